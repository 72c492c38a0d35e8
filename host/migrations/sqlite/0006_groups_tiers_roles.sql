-- Groups carry a tier (from the tenant's ordered list) and tags, and the
-- member count the platform last reported; keys may also be owners and
-- analysts. Keep in step with ../postgres/0009_groups_tiers_roles.sql.

ALTER TABLE tenants ADD COLUMN tiers TEXT NOT NULL DEFAULT '["初级","中级","高级"]';

ALTER TABLE groups ADD COLUMN tier TEXT NOT NULL DEFAULT '初级';
ALTER TABLE groups ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE groups ADD COLUMN members BIGINT NULL CHECK (members IS NULL OR members >= 0);
ALTER TABLE groups ADD COLUMN members_at BIGINT NULL;
CREATE INDEX groups_tier ON groups (tenant_id, tier);

-- SQLite cannot change a CHECK constraint in place: rebuild api_keys.
CREATE TABLE api_keys_new (
    key_hash   TEXT PRIMARY KEY NOT NULL,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    role       TEXT NOT NULL CHECK (role IN ('owner', 'operator', 'analyst', 'platform')),
    created_at BIGINT NOT NULL,
    id         TEXT NULL,
    label      TEXT NULL,
    prefix     TEXT NULL,
    revoked_at BIGINT NULL
);
INSERT INTO api_keys_new (key_hash, tenant_id, role, created_at, id, label, prefix, revoked_at)
    SELECT key_hash, tenant_id, role, created_at, id, label, prefix, revoked_at FROM api_keys;
DROP TABLE api_keys;
ALTER TABLE api_keys_new RENAME TO api_keys;
CREATE UNIQUE INDEX api_keys_id ON api_keys (id);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);
CREATE TRIGGER api_keys_fill_id AFTER INSERT ON api_keys WHEN NEW.id IS NULL
BEGIN
    UPDATE api_keys SET id = lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + abs(random()) % 4, 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))
    WHERE key_hash = NEW.key_hash;
END;
