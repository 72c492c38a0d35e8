-- Groups carry a tier (from the tenant's ordered list) and tags, and the
-- member count the platform last reported; keys may also be owners and
-- analysts. Keep in step with ../sqlite/0006_groups_tiers_roles.sql.

ALTER TABLE tenants ADD COLUMN tiers TEXT NOT NULL DEFAULT '["初级","中级","高级"]';

ALTER TABLE groups ADD COLUMN tier TEXT NOT NULL DEFAULT '初级';
ALTER TABLE groups ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE groups ADD COLUMN members BIGINT NULL CHECK (members IS NULL OR members >= 0);
ALTER TABLE groups ADD COLUMN members_at BIGINT NULL;
CREATE INDEX groups_tier ON groups (tenant_id, tier);

ALTER TABLE api_keys DROP CONSTRAINT IF EXISTS api_keys_role_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check
    CHECK (role IN ('owner', 'operator', 'analyst', 'platform'));
