-- Opaque reward ids, API key revocation, tombstone sweeping. Keep in step
-- with ../sqlite/0004_reward_ids_keys_tombstones.sql.

-- Rewards are addressed by a random public id; the sequential `id` stays
-- internal. The default fills it in, so the commit functions need no
-- change. `reward_ids` has the same shape on both backends (a table
-- filled by a trigger on SQLite), so queries are shared.
ALTER TABLE rewards ADD COLUMN public_id TEXT NOT NULL DEFAULT gen_random_uuid()::text;
CREATE UNIQUE INDEX rewards_public_id ON rewards (public_id);
CREATE VIEW reward_ids AS SELECT id AS reward_id, public_id FROM rewards;

-- Keys get a public id, an optional label, a short displayable prefix
-- (unknown for keys made before this migration) and a revocation time.
ALTER TABLE api_keys ADD COLUMN id TEXT NOT NULL DEFAULT gen_random_uuid()::text;
ALTER TABLE api_keys ADD COLUMN label TEXT NULL;
ALTER TABLE api_keys ADD COLUMN prefix TEXT NULL;
ALTER TABLE api_keys ADD COLUMN revoked_at BIGINT NULL;
CREATE UNIQUE INDEX api_keys_id ON api_keys (id);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);

-- Tombstones seen by the sweeper: a tombstone is deleted once it has kept
-- the marked version for the retention period.
CREATE TABLE tombstone_marks (
    activity_id TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    key         TEXT NOT NULL,
    version     BIGINT NOT NULL,
    marked_at   BIGINT NOT NULL,
    PRIMARY KEY (activity_id, user_id, key)
);
CREATE INDEX tombstone_marks_age ON tombstone_marks (marked_at);
