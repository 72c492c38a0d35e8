-- One activity on many groups. An activity is enabled in its home group
-- (activities.group_id) and in every group listed here: explicitly, or by
-- its targeting rules (every group of a tier or with a tag), re-evaluated
-- whenever a group or the rules change. Each enablement may override the
-- schedule, switch the group off, and carve a share of stock pools out
-- for the group (a stock row named pool || char(31) || group_id).
-- Keep in step with ../postgres/0013_enablements.sql.
CREATE TABLE activity_groups (
    activity_id TEXT NOT NULL REFERENCES activities (id),
    group_id    TEXT NOT NULL REFERENCES groups (id),
    source      TEXT NOT NULL CHECK (source IN ('explicit', 'rule')),
    enabled     BOOLEAN NOT NULL,
    starts_at   BIGINT NULL,
    ends_at     BIGINT NULL,
    stock_share TEXT NOT NULL DEFAULT '{}',
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (activity_id, group_id)
);
CREATE INDEX activity_groups_group ON activity_groups (group_id);

-- Targeting rules (JSON arrays) and staged mode (only the test group acts).
ALTER TABLE activities ADD COLUMN targeting TEXT NOT NULL DEFAULT '{"tiers":[],"tags":[]}';
ALTER TABLE activities ADD COLUMN staged_group_id TEXT NULL;
-- Schedule events announced by the schedule worker.
ALTER TABLE activities ADD COLUMN announced TEXT NOT NULL DEFAULT '';

-- The group a user acted from (NULL: the home group, for outcomes from
-- before this migration).
ALTER TABLE outcomes ADD COLUMN group_id TEXT NULL;

-- Distinct users per activity and group.
CREATE TABLE stat_activity_group_users (
    activity_id TEXT NOT NULL,
    group_id    TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    PRIMARY KEY (activity_id, group_id, user_id)
);

-- Boundaries already passed count as announced: the first schedule
-- worker after this migration does not flood the event log.
UPDATE activities SET announced = trim(
    CASE WHEN starts_at IS NOT NULL AND starts_at <= CAST(strftime('%s', 'now') AS INTEGER) * 1000
         THEN 'started' ELSE '' END || ',' ||
    CASE WHEN ends_at IS NOT NULL AND ends_at <= CAST(strftime('%s', 'now') AS INTEGER) * 1000
         THEN 'ended' ELSE '' END, ',');
