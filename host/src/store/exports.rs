//! CSV export jobs and the keyset-paged reads they are written from.
//! [`impl_export_store!`] expands the same statements for both backends.

use async_trait::async_trait;
use serde::Serialize;

use super::{OutcomeRecord, StoreResult};

/// One export job as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ExportJob {
    /// Id (a random UUID).
    pub id: String,
    /// The tenant it belongs to; no other tenant sees it.
    pub tenant_id: String,
    /// `outcomes`, `rewards` or `stats`.
    pub kind: String,
    /// The activity exported.
    pub activity_id: String,
    /// The request's parameters, as JSON text.
    pub params: String,
    /// `queued`, `running`, `done` or `failed`.
    pub status: String,
    /// Rows written so far.
    pub rows_done: i64,
    /// Rows to write, once counted.
    pub rows_total: Option<i64>,
    /// Why it failed.
    pub error: Option<String>,
    /// The finished file's name in the export directory.
    pub file: Option<String>,
    /// The finished file's size.
    pub bytes: Option<i64>,
    /// Who started it: a key id.
    pub created_by: String,
    /// When, ms since epoch.
    pub created_at: i64,
    /// Last sign of life of the task writing it, ms since epoch.
    pub heartbeat_at: i64,
    /// When it ended, ms since epoch.
    pub finished_at: Option<i64>,
}

/// A reward as exported: the reward, its public id, its redemption state
/// and its fulfilment.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RewardExport {
    /// Internal sequence, the page cursor (never shown).
    pub seq: i64,
    /// Public id.
    pub public_id: String,
    /// The outcome that granted it.
    pub outcome_id: String,
    /// Who got it.
    pub user_id: String,
    /// `prize`, `points`, `coupon`, ...
    pub kind: String,
    /// Item id.
    pub item: String,
    /// Display name.
    pub name: String,
    /// Amount.
    pub amount: i64,
    /// Coupon code, if any.
    pub code: Option<String>,
    /// Expiry, ms since epoch.
    pub expires_at: Option<i64>,
    /// Grant time, ms since epoch.
    pub created_at: i64,
    /// Redemption state of a prize.
    pub state: Option<String>,
    /// `shipped` or `written_off`.
    pub fulfilment: Option<String>,
    /// Carrier of a shipped prize.
    pub carrier: Option<String>,
    /// Tracking number of a shipped prize.
    pub tracking_no: Option<String>,
}

/// Export jobs and their reads. Part of every [`super::Store`].
#[async_trait]
pub trait ExportStore {
    /// Store a new job.
    async fn insert_export(&self, job: &ExportJob) -> StoreResult<()>;
    /// One job of a tenant.
    async fn export_job(&self, tenant_id: &str, id: &str) -> StoreResult<Option<ExportJob>>;
    /// A tenant's most recent jobs, newest first.
    async fn export_jobs(&self, tenant_id: &str, limit: i64) -> StoreResult<Vec<ExportJob>>;
    /// Record progress of a running job (and its heartbeat); false if it
    /// is no longer running.
    async fn export_progress(
        &self,
        id: &str,
        rows_done: i64,
        rows_total: Option<i64>,
        now: i64,
    ) -> StoreResult<bool>;
    /// End a running job as `done` (with its file) or `failed` (with an
    /// error); false if it was not running.
    async fn finish_export(&self, job: &ExportJob) -> StoreResult<bool>;
    /// Mark failed every job still queued or running whose heartbeat is
    /// before `stale_before`; returns how many.
    async fn fail_stale_exports(&self, stale_before: i64, now: i64) -> StoreResult<u64>;
    /// Up to `limit` outcomes of an activity with `from <= created_at <
    /// to` and an id after `after`, in id order.
    async fn export_outcomes(
        &self,
        activity_id: &str,
        range: (i64, i64),
        after: &str,
        limit: i64,
    ) -> StoreResult<Vec<OutcomeRecord>>;
    /// Up to `limit` rewards of an activity granted in `range`, after the
    /// internal sequence `after`, in that order.
    async fn export_rewards(
        &self,
        activity_id: &str,
        range: (i64, i64),
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<RewardExport>>;
    /// How many outcomes (`rewards` false) or rewards (true) of an
    /// activity fall in `range`.
    async fn count_in_range(
        &self,
        activity_id: &str,
        rewards: bool,
        range: (i64, i64),
    ) -> StoreResult<i64>;
}

/// Implements [`ExportStore`] for `$store` (see [`super::sql::impl_store!`]
/// for what it needs of the store).
macro_rules! impl_export_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::store::exports::{ExportJob, ExportStore, RewardExport};
            use $crate::store::sql::{self, outcomes::OutcomeRow};
            use $crate::store::{OutcomeRecord, StoreResult};

            const JOB_COLS: &str = "SELECT id, tenant_id, kind, activity_id, params, status, \
                 rows_done, rows_total, error, file, bytes, created_by, created_at, \
                 heartbeat_at, finished_at FROM exports";

            #[async_trait::async_trait]
            impl ExportStore for $store {
                async fn insert_export(&self, j: &ExportJob) -> StoreResult<()> {
                    sqlx::query::<$db>(
                        "INSERT INTO exports (id, tenant_id, kind, activity_id, params, status, \
                         rows_done, rows_total, error, file, bytes, created_by, created_at, \
                         heartbeat_at, finished_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                    )
                    .bind(&j.id)
                    .bind(&j.tenant_id)
                    .bind(&j.kind)
                    .bind(&j.activity_id)
                    .bind(&j.params)
                    .bind(&j.status)
                    .bind(j.rows_done)
                    .bind(j.rows_total)
                    .bind(&j.error)
                    .bind(&j.file)
                    .bind(j.bytes)
                    .bind(&j.created_by)
                    .bind(j.created_at)
                    .bind(j.heartbeat_at)
                    .bind(j.finished_at)
                    .execute(&self.write)
                    .await
                    .map_err(sql::classify("export"))?;
                    Ok(())
                }

                async fn export_job(
                    &self,
                    tenant_id: &str,
                    id: &str,
                ) -> StoreResult<Option<ExportJob>> {
                    Ok(sqlx::query_as::<$db, ExportJob>(&format!(
                        "{JOB_COLS} WHERE id = $1 AND tenant_id = $2"
                    ))
                    .bind(id)
                    .bind(tenant_id)
                    .fetch_optional(&self.read)
                    .await?)
                }

                async fn export_jobs(
                    &self,
                    tenant_id: &str,
                    limit: i64,
                ) -> StoreResult<Vec<ExportJob>> {
                    Ok(sqlx::query_as::<$db, ExportJob>(&format!(
                        "{JOB_COLS} WHERE tenant_id = $1 ORDER BY created_at DESC, id LIMIT $2"
                    ))
                    .bind(tenant_id)
                    .bind(limit)
                    .fetch_all(&self.read)
                    .await?)
                }

                async fn export_progress(
                    &self,
                    id: &str,
                    rows_done: i64,
                    rows_total: Option<i64>,
                    now: i64,
                ) -> StoreResult<bool> {
                    let done = sqlx::query::<$db>(
                        "UPDATE exports SET rows_done = $2, \
                         rows_total = COALESCE($3, rows_total), heartbeat_at = $4 \
                         WHERE id = $1 AND status IN ('queued', 'running')",
                    )
                    .bind(id)
                    .bind(rows_done)
                    .bind(rows_total)
                    .bind(now)
                    .execute(&self.write)
                    .await?;
                    Ok(done.rows_affected() == 1)
                }

                async fn finish_export(&self, j: &ExportJob) -> StoreResult<bool> {
                    let done = sqlx::query::<$db>(
                        "UPDATE exports SET status = $2, rows_done = $3, rows_total = $4, \
                         error = $5, file = $6, bytes = $7, heartbeat_at = $8, finished_at = $8 \
                         WHERE id = $1 AND status IN ('queued', 'running')",
                    )
                    .bind(&j.id)
                    .bind(&j.status)
                    .bind(j.rows_done)
                    .bind(j.rows_total)
                    .bind(&j.error)
                    .bind(&j.file)
                    .bind(j.bytes)
                    .bind(j.finished_at.unwrap_or(j.heartbeat_at))
                    .execute(&self.write)
                    .await?;
                    Ok(done.rows_affected() == 1)
                }

                async fn fail_stale_exports(&self, stale_before: i64, now: i64) -> StoreResult<u64> {
                    let done = sqlx::query::<$db>(
                        "UPDATE exports SET status = 'failed', finished_at = $2, \
                         error = 'interrupted: the replica writing it stopped; start it again' \
                         WHERE status IN ('queued', 'running') AND heartbeat_at < $1",
                    )
                    .bind(stale_before)
                    .bind(now)
                    .execute(&self.write)
                    .await?;
                    Ok(done.rows_affected())
                }

                async fn export_outcomes(
                    &self,
                    activity_id: &str,
                    range: (i64, i64),
                    after: &str,
                    limit: i64,
                ) -> StoreResult<Vec<OutcomeRecord>> {
                    let rows = sqlx::query_as::<$db, OutcomeRow>(concat!(
                        "SELECT ",
                        sql::outcomes::outcome_cols!(),
                        " FROM outcomes WHERE activity_id = $1 AND id > $2 \
                         AND created_at >= $3 AND created_at < $4 ORDER BY id LIMIT $5"
                    ))
                    .bind(activity_id)
                    .bind(after)
                    .bind(range.0)
                    .bind(range.1)
                    .bind(limit)
                    .fetch_all(&self.read)
                    .await?;
                    Ok(rows.into_iter().map(OutcomeRecord::from).collect())
                }

                async fn export_rewards(
                    &self,
                    activity_id: &str,
                    range: (i64, i64),
                    after: i64,
                    limit: i64,
                ) -> StoreResult<Vec<RewardExport>> {
                    Ok(sqlx::query_as::<$db, RewardExport>(
                        "SELECT r.id AS seq, i.public_id, r.outcome_id, r.user_id, r.kind, \
                         r.item, r.name, r.amount, r.code, r.expires_at, r.created_at, \
                         s.state, f.status AS fulfilment, f.carrier, f.tracking_no \
                         FROM rewards r JOIN reward_ids i ON i.reward_id = r.id \
                         LEFT JOIN reward_states s ON s.reward_id = r.id \
                         LEFT JOIN fulfilment f ON f.reward_id = r.id \
                         WHERE r.activity_id = $1 AND r.id > $2 \
                         AND r.created_at >= $3 AND r.created_at < $4 ORDER BY r.id LIMIT $5",
                    )
                    .bind(activity_id)
                    .bind(after)
                    .bind(range.0)
                    .bind(range.1)
                    .bind(limit)
                    .fetch_all(&self.read)
                    .await?)
                }

                async fn count_in_range(
                    &self,
                    activity_id: &str,
                    rewards: bool,
                    range: (i64, i64),
                ) -> StoreResult<i64> {
                    let table = if rewards { "rewards" } else { "outcomes" };
                    Ok(sqlx::query_scalar::<$db, i64>(&format!(
                        "SELECT COUNT(*) FROM {table} WHERE activity_id = $1 \
                         AND created_at >= $2 AND created_at < $3"
                    ))
                    .bind(activity_id)
                    .bind(range.0)
                    .bind(range.1)
                    .fetch_one(&self.read)
                    .await?)
                }
            }
        };
    };
}

pub(super) use impl_export_store;
