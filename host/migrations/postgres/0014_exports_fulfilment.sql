-- CSV export jobs and the fulfilment of physical prizes. Keep in step
-- with ../sqlite/0011_exports_fulfilment.sql.

-- One export job. The CSV itself is a file in the export directory
-- (`--export-dir`), named by `file` once the job is done. A running job
-- writes `heartbeat_at` after every page; one whose heartbeat is stale
-- was interrupted (its replica stopped) and is marked failed.
CREATE TABLE exports (
    id           TEXT PRIMARY KEY NOT NULL,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    kind         TEXT NOT NULL CHECK (kind IN ('outcomes', 'rewards', 'stats')),
    activity_id  TEXT NOT NULL,
    params       TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    rows_done    BIGINT NOT NULL DEFAULT 0,
    rows_total   BIGINT NULL,
    error        TEXT NULL,
    file         TEXT NULL,
    bytes        BIGINT NULL,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL,
    finished_at  BIGINT NULL
);
CREATE INDEX exports_tenant ON exports (tenant_id, created_at);
CREATE INDEX exports_running ON exports (heartbeat_at) WHERE status IN ('queued', 'running');

-- A prize's fulfilment once it leaves the queue. The queue itself is the
-- prizes whose redemption state is `pending`: shipping one redeems it,
-- writing it off cancels it, in the same transaction as this row.
CREATE TABLE fulfilment (
    reward_id   BIGINT PRIMARY KEY NOT NULL REFERENCES rewards (id),
    tenant_id   TEXT NOT NULL,
    activity_id TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('shipped', 'written_off')),
    carrier     TEXT NULL,
    tracking_no TEXT NULL,
    note        TEXT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL
);
CREATE INDEX fulfilment_tenant ON fulfilment (tenant_id, status, reward_id);
CREATE INDEX reward_states_tenant ON reward_states (tenant_id, state, reward_id);
