-- Opaque reward ids, API key revocation, tombstone sweeping, SQLite
-- flavour. Keep in step with ../postgres/0007_reward_ids_keys_tombstones.sql.
--
-- Random ids are version-4 UUIDs in text form, as gen_random_uuid() makes
-- them on Postgres.

-- SQLite cannot add a column with a non-constant default, and rewards are
-- append-only, so public ids live beside them, written by a trigger in
-- the inserting transaction (the commit code needs no change).
CREATE TABLE reward_ids (
    reward_id INTEGER PRIMARY KEY NOT NULL REFERENCES rewards (id),
    public_id TEXT NOT NULL UNIQUE
);
INSERT INTO reward_ids (reward_id, public_id)
SELECT id, lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + abs(random()) % 4, 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))) FROM rewards;
CREATE TRIGGER rewards_public_id AFTER INSERT ON rewards
BEGIN
    INSERT INTO reward_ids (reward_id, public_id)
    VALUES (NEW.id, lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + abs(random()) % 4, 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))));
END;

ALTER TABLE api_keys ADD COLUMN id TEXT NULL;
ALTER TABLE api_keys ADD COLUMN label TEXT NULL;
ALTER TABLE api_keys ADD COLUMN prefix TEXT NULL;
ALTER TABLE api_keys ADD COLUMN revoked_at BIGINT NULL;
UPDATE api_keys SET id = lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + abs(random()) % 4, 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))) WHERE id IS NULL;
CREATE UNIQUE INDEX api_keys_id ON api_keys (id);
-- Keys inserted without an id (as before this migration) get one.
CREATE TRIGGER api_keys_fill_id AFTER INSERT ON api_keys WHEN NEW.id IS NULL
BEGIN
    UPDATE api_keys SET id = lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + abs(random()) % 4, 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))
    WHERE key_hash = NEW.key_hash;
END;
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);

CREATE TABLE tombstone_marks (
    activity_id TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    key         TEXT NOT NULL,
    version     BIGINT NOT NULL,
    marked_at   BIGINT NOT NULL,
    PRIMARY KEY (activity_id, user_id, key)
);
CREATE INDEX tombstone_marks_age ON tombstone_marks (marked_at);
