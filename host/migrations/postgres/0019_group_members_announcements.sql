-- Per-member join events: besides reporting a count (PUT .../members),
-- a platform may report who joined and left, and the host keeps the set.
-- The group's count moves with the set in the same transaction; a PUT
-- still sets the count outright and later events move it from there.
-- Keep in step with ../sqlite/0016_group_members_announcements.sql.
CREATE TABLE group_members (
    group_id  TEXT NOT NULL REFERENCES groups (id),
    user_id   TEXT NOT NULL,
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
