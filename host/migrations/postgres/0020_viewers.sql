-- Who viewed an activity (GET .../view with a user_id), once per user and
-- business day: the first step of the dashboard's funnel. Recorded in
-- batches by `service/viewers.rs`.
-- Keep in step with ../sqlite/0017_viewers.sql.
CREATE TABLE activity_viewers (
    activity_id TEXT NOT NULL,
    day         TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    PRIMARY KEY (activity_id, day, user_id)
);
CREATE INDEX activity_viewers_user ON activity_viewers (activity_id, user_id);
