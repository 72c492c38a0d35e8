-- An activity may carry a budget: the reward cost in fen its config is
-- simulated against on creation and on every config change, with the
-- unit costs (JSON object, item id to fen) it is counted in.
ALTER TABLE activities
    ADD COLUMN budget_fen BIGINT CHECK (budget_fen >= 0),
    ADD COLUMN budget_costs TEXT NOT NULL DEFAULT '{}';
