-- Statistics kept incrementally. Every committed outcome is queued in
-- stat_queue in its own commit (a transactional outbox); the rollup
-- worker takes queued outcomes, deletes them and applies their counts in
-- one transaction, so each outcome is counted exactly once whichever
-- replica takes it. Pages read only the rollups, never outcomes.
CREATE TABLE stat_queue (
    outcome_id TEXT PRIMARY KEY NOT NULL
);

-- Per activity and business day (in the activity's time zone).
CREATE TABLE stat_days (
    activity_id TEXT NOT NULL,
    day         TEXT NOT NULL,
    actions     BIGINT NOT NULL DEFAULT 0,
    users       BIGINT NOT NULL DEFAULT 0,
    new_users   BIGINT NOT NULL DEFAULT 0,
    prizes      BIGINT NOT NULL DEFAULT 0,
    coupons     BIGINT NOT NULL DEFAULT 0,
    points      BIGINT NOT NULL DEFAULT 0,
    tickets     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (activity_id, day)
);

-- Who took part, for distinct counts: per activity and day, per activity,
-- and per group (across the group's activities).
CREATE TABLE stat_user_days (
    activity_id TEXT NOT NULL,
    day         TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    PRIMARY KEY (activity_id, day, user_id)
);
CREATE TABLE stat_users (
    activity_id TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    first_day   TEXT NOT NULL,
    PRIMARY KEY (activity_id, user_id)
);
CREATE TABLE stat_group_users (
    group_id TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);

-- Running totals, so a dashboard reads one row.
CREATE TABLE stat_totals (
    scope   TEXT PRIMARY KEY NOT NULL,
    actions BIGINT NOT NULL DEFAULT 0,
    users   BIGINT NOT NULL DEFAULT 0,
    prizes  BIGINT NOT NULL DEFAULT 0,
    coupons BIGINT NOT NULL DEFAULT 0,
    points  BIGINT NOT NULL DEFAULT 0,
    tickets BIGINT NOT NULL DEFAULT 0
);

-- Outcomes committed before this migration are counted too.
INSERT INTO stat_queue (outcome_id) SELECT id FROM outcomes;
