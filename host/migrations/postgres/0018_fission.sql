-- Fission (裂变): a mechanic reports that a user it let in was invited by
-- another with an `invite.accepted` event (subject: the invitee; data:
-- {"inviter": user}). Each queued outcome carries its invites as a JSON
-- array of [invitee, inviter] pairs, and the rollup counts them.
-- Keep in step with ../sqlite/0015_fission.sql.
ALTER TABLE stat_queue ADD COLUMN invites TEXT NOT NULL DEFAULT '';

-- The queue is emptied as fast as it fills: vacuum it after a thousand
-- dead rows rather than a fifth of its (tiny) live size, so scans from
-- its head do not wade through a burst's deleted rows for long.
ALTER TABLE stat_queue SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);

-- Who invited whom, once per invitee and activity, and the invitee's
-- level: 1 for someone invited by a user nobody invited, 2 for their
-- invitees, and so on.
CREATE TABLE stat_invites (
    activity_id TEXT NOT NULL,
    invitee     TEXT NOT NULL,
    inviter     TEXT NOT NULL,
    level       BIGINT NOT NULL,
    PRIMARY KEY (activity_id, invitee)
);

-- Invites per activity and level (3 stands for 3 and deeper).
CREATE TABLE stat_fission (
    activity_id TEXT NOT NULL,
    level       BIGINT NOT NULL,
    invites     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (activity_id, level)
);
