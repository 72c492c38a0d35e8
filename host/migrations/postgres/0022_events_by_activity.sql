-- `GET /v1/events?activity_id=` reads one activity's events in order.
-- Keep in step with ../sqlite/0019_events_by_activity.sql.
CREATE INDEX events_activity ON events (activity_id, seq);
