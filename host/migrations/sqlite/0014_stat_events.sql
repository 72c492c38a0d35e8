-- Completion per mechanic is counted from the mechanics' events (teams
-- opened and succeeded, bargains started and completed, quiz attempts
-- submitted): each queued outcome carries the kinds of the events it
-- appended, and the rollup counts them per activity.
-- Keep in step with ../postgres/0017_stat_events.sql.
ALTER TABLE stat_queue ADD COLUMN events TEXT NOT NULL DEFAULT '';
UPDATE stat_queue SET events = COALESCE(
    (SELECT group_concat(kind, ',') FROM events e WHERE e.outcome_id = stat_queue.outcome_id), '');

CREATE TABLE stat_events (
    activity_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    n           BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (activity_id, kind)
);
-- Events of outcomes counted before this migration.
INSERT INTO stat_events (activity_id, kind, n)
    SELECT activity_id, kind, COUNT(*) FROM events
    WHERE outcome_id <> '' AND outcome_id NOT IN (SELECT outcome_id FROM stat_queue)
    GROUP BY activity_id, kind;
