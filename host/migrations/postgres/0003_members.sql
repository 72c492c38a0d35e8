-- When a user was first seen by a tenant (member.first-seen-ms): the
-- earliest outcome of that user with that tenant.
CREATE INDEX outcomes_tenant_user ON outcomes (tenant_id, user_id, created_at);
