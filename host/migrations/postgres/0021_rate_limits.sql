-- A tenant's rate limit per API key (`PUT /v1/tenants/{id}/rate-limit`):
-- JSON `{"per_second": n, "burst": m}`, or NULL for none.
-- Keep in step with ../sqlite/0018_rate_limits.sql.
ALTER TABLE tenants ADD COLUMN rate_limit TEXT;
