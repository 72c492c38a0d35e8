-- An activity may carry a budget: the reward cost in fen its config is
-- simulated against on creation and on every config change, counted in
-- the activity's unit costs (activities.costs).
ALTER TABLE activities ADD COLUMN budget_fen BIGINT CHECK (budget_fen >= 0);
