-- Arcade schema, SQLite flavour. Keep in step with ../postgres/0001_init.sql.
--
-- Append-only triggers (tests drop them by name to simulate tampering):
--   outcomes_append_only_update, outcomes_append_only_delete,
--   rewards_append_only_update,  rewards_append_only_delete
--
-- Times are milliseconds since the epoch, JSON is TEXT.
-- Hot-path tables (state, outcomes, rewards) carry no foreign keys so an
-- action commit does not pay for parent lookups.

CREATE TABLE settings (
    name  TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE tenants (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    key_hash   TEXT PRIMARY KEY NOT NULL,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    role       TEXT NOT NULL CHECK (role IN ('operator', 'platform')),
    created_at BIGINT NOT NULL
);

CREATE TABLE groups (
    id         TEXT PRIMARY KEY NOT NULL,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX groups_tenant ON groups (tenant_id, created_at);

CREATE TABLE plugins (
    name       TEXT NOT NULL,
    version    TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    manifest   TEXT NOT NULL,
    limits     TEXT NOT NULL DEFAULT '{}',
    wasm       BLOB NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (name, version)
);
CREATE INDEX plugins_sha256 ON plugins (sha256);

CREATE TABLE activities (
    id             TEXT PRIMARY KEY NOT NULL,
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    group_id       TEXT NOT NULL REFERENCES groups (id),
    plugin         TEXT NOT NULL,
    plugin_version TEXT NOT NULL,
    plugin_sha256  TEXT NOT NULL,
    config         TEXT NOT NULL,
    timezone       TEXT NOT NULL,
    starts_at      BIGINT,
    ends_at        BIGINT,
    status         TEXT NOT NULL CHECK (status IN ('active', 'paused')),
    key_commitment TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX activities_tenant ON activities (tenant_id, created_at);

CREATE TABLE stock (
    activity_id TEXT NOT NULL REFERENCES activities (id),
    pool        TEXT NOT NULL,
    initial     BIGINT NOT NULL,
    remaining   BIGINT NOT NULL,
    PRIMARY KEY (activity_id, pool),
    CHECK (remaining >= 0 AND remaining <= initial)
);

-- user_id '' is the activity scope; value NULL is a removed key, kept so
-- its version keeps counting.
CREATE TABLE state (
    activity_id TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    key         TEXT NOT NULL,
    value       TEXT,
    version     BIGINT NOT NULL,
    PRIMARY KEY (activity_id, user_id, key)
);

CREATE TABLE outcomes (
    id            TEXT PRIMARY KEY NOT NULL,
    tenant_id     TEXT NOT NULL,
    activity_id   TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    action        TEXT NOT NULL,
    payload       TEXT NOT NULL,
    result        TEXT NOT NULL,
    rewards       TEXT NOT NULL,
    inputs        TEXT NOT NULL,
    effects_hash  TEXT NOT NULL,
    plugin_sha256 TEXT NOT NULL,
    fuel_used     BIGINT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX outcomes_activity ON outcomes (activity_id, id);

CREATE TABLE rewards (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   TEXT NOT NULL,
    activity_id TEXT NOT NULL,
    outcome_id  TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    item        TEXT NOT NULL,
    name        TEXT NOT NULL,
    amount      BIGINT NOT NULL CHECK (amount > 0),
    created_at  BIGINT NOT NULL
);
CREATE INDEX rewards_activity ON rewards (activity_id, id);

CREATE TABLE idempotency (
    tenant_id    TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response     TEXT,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, key)
);

CREATE TRIGGER outcomes_append_only_update BEFORE UPDATE ON outcomes
BEGIN SELECT RAISE(ABORT, 'outcomes are append-only'); END;
CREATE TRIGGER outcomes_append_only_delete BEFORE DELETE ON outcomes
BEGIN SELECT RAISE(ABORT, 'outcomes are append-only'); END;
CREATE TRIGGER rewards_append_only_update BEFORE UPDATE ON rewards
BEGIN SELECT RAISE(ABORT, 'rewards are append-only'); END;
CREATE TRIGGER rewards_append_only_delete BEFORE DELETE ON rewards
BEGIN SELECT RAISE(ABORT, 'rewards are append-only'); END;
