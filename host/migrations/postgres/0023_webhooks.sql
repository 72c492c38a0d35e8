-- Webhooks: a tenant's endpoints, one delivery per (endpoint, event) and
-- each attempt of it. The event log is the outbox: `cursor` is the last
-- event `seq` an endpoint has copied into its deliveries.
-- Keep in step with ../sqlite/0020_webhooks.sql.
CREATE TABLE webhook_endpoints (
    id              TEXT PRIMARY KEY NOT NULL,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    url             TEXT NOT NULL,
    description     TEXT NOT NULL,
    -- JSON array of event types (`reward.granted`, `reward.*`); [] = all.
    event_types     TEXT NOT NULL,
    enabled         BOOLEAN NOT NULL,
    disabled_reason TEXT NULL,
    -- `whsec_...`, needed in clear to sign.
    secret          TEXT NOT NULL,
    -- The secret before the last rotation, also signed with until then.
    previous_secret TEXT NULL,
    previous_until  BIGINT NULL,
    cursor          BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id, created_at);

CREATE TABLE webhook_deliveries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id       TEXT NOT NULL,
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id),
    event_seq       BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    -- Deliveries of one (activity, subject) go out in event order.
    activity_id     TEXT NOT NULL,
    subject         TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    -- Attempts since it was last queued; the backoff counts these.
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT NULL,
    lease_until     BIGINT NULL,
    last_attempt_at BIGINT NULL,
    last_status     BIGINT NULL,
    last_error      TEXT NULL,
    last_duration_ms BIGINT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (endpoint_id, event_seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_order
    ON webhook_deliveries (endpoint_id, activity_id, subject, event_seq)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, id);

CREATE TABLE webhook_attempts (
    delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries (id),
    n           BIGINT NOT NULL,
    tenant_id   TEXT NOT NULL,
    at          BIGINT NOT NULL,
    status      BIGINT NULL,
    error       TEXT NULL,
    duration_ms BIGINT NOT NULL,
    PRIMARY KEY (delivery_id, n)
);
