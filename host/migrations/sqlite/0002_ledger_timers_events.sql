-- Rewards ledger, balances, timers and events, SQLite flavour. Keep in step
-- with ../postgres/0002_ledger_timers_events.sql.
--
-- Append-only triggers added here: events_append_only_update,
-- events_append_only_delete.

-- rewards.user_id is the beneficiary (not necessarily the acting user).
ALTER TABLE rewards ADD COLUMN code TEXT NULL;
ALTER TABLE rewards ADD COLUMN expires_at BIGINT NULL;
CREATE INDEX rewards_user ON rewards (tenant_id, user_id, id);

-- Redemption state of a prize; rewards themselves stay append-only.
CREATE TABLE reward_states (
    reward_id  INTEGER PRIMARY KEY NOT NULL REFERENCES rewards (id),
    tenant_id  TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('pending', 'redeemed', 'cancelled')),
    updated_at BIGINT NOT NULL
);

CREATE TABLE balances (
    tenant_id TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    currency  TEXT NOT NULL,
    balance   BIGINT NOT NULL CHECK (balance >= 0),
    PRIMARY KEY (tenant_id, user_id, currency)
);

CREATE TABLE timers (
    id           TEXT PRIMARY KEY NOT NULL,
    tenant_id    TEXT NOT NULL,
    activity_id  TEXT NOT NULL,
    name         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    due_at       BIGINT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'fired', 'cancelled')),
    leased_until BIGINT NULL,
    fired_at     BIGINT NULL,
    created_at   BIGINT NOT NULL
);
-- At most one pending timer per name and activity: a constraint.
CREATE UNIQUE INDEX timers_pending_name ON timers (activity_id, name) WHERE state = 'pending';
CREATE INDEX timers_pending_due ON timers (due_at) WHERE state = 'pending';

CREATE TABLE events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   TEXT NOT NULL,
    activity_id TEXT NOT NULL,
    outcome_id  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    data        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX events_tenant ON events (tenant_id, seq);

CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
