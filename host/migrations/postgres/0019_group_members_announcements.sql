-- Per-member join events, and announcements of per-group schedule overrides.
-- Keep in step with ../sqlite/0016_group_members_announcements.sql.

-- Besides reporting a count (PUT .../members), a platform may report who
-- joined and left, and the host keeps the set. The group's count moves
-- with the set in the same transaction; a PUT still sets the count
-- outright and later events move it from there.
CREATE TABLE group_members (
    group_id  TEXT NOT NULL REFERENCES groups (id),
    user_id   TEXT NOT NULL,
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);

-- A group's schedule override is announced like the activity's own
-- schedule (activity.started/ended, with the group in the event data).
-- Each column holds the boundary it last announced, not a flag, so an
-- override moved to another time is announced again when that passes.
ALTER TABLE activity_groups ADD COLUMN announced_start BIGINT NULL;
ALTER TABLE activity_groups ADD COLUMN announced_end BIGINT NULL;
-- Boundaries already passed count as announced: the first schedule
-- worker after this migration does not flood the event log.
UPDATE activity_groups SET announced_start = starts_at
    WHERE starts_at <= (extract(epoch from now()) * 1000)::bigint;
UPDATE activity_groups SET announced_end = ends_at
    WHERE ends_at <= (extract(epoch from now()) * 1000)::bigint;
-- The worker looks only at rows with an override; most have none.
CREATE INDEX activity_groups_overrides ON activity_groups (activity_id, group_id)
    WHERE starts_at IS NOT NULL OR ends_at IS NOT NULL;
