-- Idempotency keys are now inserted by the commit of their action's
-- outcome, together with its response, so a row without a response is a
-- claim left by an earlier version of the host: drop those (their
-- requests never committed), and index commit times for the sweeper.
-- The commit functions themselves are defined by host/src/store/pg_commit.sql.
DELETE FROM idempotency WHERE response IS NULL;
ALTER TABLE idempotency ALTER COLUMN response SET NOT NULL;
CREATE INDEX idempotency_created ON idempotency (created_at);
