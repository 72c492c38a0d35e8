-- What an outcome spent from the acting user's balances (wallet debits),
-- as a JSON array of [currency, amount], or '' when it spent nothing: the
-- user's ledger lists them beside the credits so it reconciles with the
-- balance. Keep in step with ../sqlite/0021_outcome_spends.sql.
ALTER TABLE outcomes ADD COLUMN spends TEXT NOT NULL DEFAULT '';
CREATE INDEX outcomes_user_spends ON outcomes (tenant_id, user_id, created_at) WHERE spends <> '';
CREATE INDEX rewards_user_ledger ON rewards (tenant_id, user_id, created_at);
