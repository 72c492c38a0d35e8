-- Config revisions (keep in step with ../postgres/0011_revisions.sql): an activity's config changes only by a new revision,
-- kept with its author, reason and field diff; outcomes record the
-- revision they ran under (in their inputs).
ALTER TABLE activities ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
ALTER TABLE activities ADD COLUMN revised_by TEXT NOT NULL DEFAULT '';

CREATE TABLE activity_revisions (
    activity_id TEXT NOT NULL REFERENCES activities (id),
    revision    BIGINT NOT NULL,
    config      TEXT NOT NULL,
    author      TEXT NOT NULL,
    reason      TEXT NOT NULL,
    diff        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (activity_id, revision)
);
INSERT INTO activity_revisions (activity_id, revision, config, author, reason, diff, created_at)
    SELECT id, 1, config, '', 'created', '[]', created_at FROM activities;
