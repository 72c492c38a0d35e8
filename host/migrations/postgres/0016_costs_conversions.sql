-- What rewards cost and what activities earn. An activity carries the
-- unit cost in fen of its reward items (JSON map item -> fen); the rollup
-- adds each outcome's reward cost and whether it won a prize, and
-- platforms report goal events (conversions) with their value in fen.
-- Keep in step with ../sqlite/0013_costs_conversions.sql.
ALTER TABLE activities ADD COLUMN costs TEXT NOT NULL DEFAULT '{}';

ALTER TABLE stat_days ADD COLUMN cost_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stat_days ADD COLUMN winners BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stat_totals ADD COLUMN cost_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stat_totals ADD COLUMN winners BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stat_totals ADD COLUMN conversions BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stat_totals ADD COLUMN conversion_fen BIGINT NOT NULL DEFAULT 0;

-- A goal event a platform reports (an order, a sign-up), at most once per
-- id: a retried report counts once.
CREATE TABLE conversions (
    tenant_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    activity_id TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    value_fen   BIGINT NOT NULL CHECK (value_fen >= 0),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX conversions_activity ON conversions (activity_id, created_at);
