-- Webhooks: a tenant's endpoints, one delivery per (endpoint, event) and
-- each attempt of it. The event log is the outbox: `cursor` is the last
-- event `seq` an endpoint has copied into its deliveries.
-- Keep in step with ../postgres/0023_webhooks.sql.
CREATE TABLE webhook_endpoints (
    id              TEXT PRIMARY KEY NOT NULL,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    url             TEXT NOT NULL,
    description     TEXT NOT NULL,
    -- JSON array of event types (`reward.granted`, `reward.*`); [] = all.
    event_types     TEXT NOT NULL,
    enabled         INTEGER NOT NULL,
    disabled_reason TEXT NULL,
    -- `whsec_...`, needed in clear to sign.
    secret          TEXT NOT NULL,
    -- The secret before the last rotation, also signed with until then.
    previous_secret TEXT NULL,
    previous_until  INTEGER NULL,
    cursor          INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id, created_at);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id       TEXT NOT NULL,
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id),
    event_seq       INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    -- Deliveries of one (activity, subject) go out in event order.
    activity_id     TEXT NOT NULL,
    subject         TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    -- Attempts since it was last queued; the backoff counts these.
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER NULL,
    lease_until     INTEGER NULL,
    last_attempt_at INTEGER NULL,
    last_status     INTEGER NULL,
    last_error      TEXT NULL,
    last_duration_ms INTEGER NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (endpoint_id, event_seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_order
    ON webhook_deliveries (endpoint_id, activity_id, subject, event_seq)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, id);

CREATE TABLE webhook_attempts (
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id),
    n           INTEGER NOT NULL,
    tenant_id   TEXT NOT NULL,
    at          INTEGER NOT NULL,
    status      INTEGER NULL,
    error       TEXT NULL,
    duration_ms INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, n)
);
