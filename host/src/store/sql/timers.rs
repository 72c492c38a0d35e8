//! Leasing due timers to workers, and an activity's pending timers.
//! Timers are scheduled, cancelled and fired only by a commit
//! (`commit.rs`).

use crate::store::DueTimer;

/// A leased timer as `RETURNING` gives it: id, tenant_id, activity_id,
/// name, payload, due_at.
#[derive(sqlx::FromRow)]
pub(in crate::store) struct TimerRow {
    id: String,
    tenant_id: String,
    activity_id: String,
    name: String,
    payload: String,
    due_at: i64,
}

impl From<TimerRow> for DueTimer {
    fn from(r: TimerRow) -> Self {
        DueTimer {
            id: r.id,
            tenant_id: r.tenant_id,
            activity_id: r.activity_id,
            name: r.name,
            payload: r.payload,
            due_at: r.due_at,
        }
    }
}

/// Expands, for `$store` on database `$db`, the inherent methods behind
/// [`Store::lease_due_timers`](crate::store::Store::lease_due_timers) and
/// [`Store::pending_timers`](crate::store::Store::pending_timers).
/// `$skip_locked` is appended to the leasing subquery.
macro_rules! impl_timers {
    ($store:ty, $db:ty, skip_locked = $skip_locked:literal) => {
        const _: () = {
            use $crate::store::sql::timers::TimerRow;
            use $crate::store::{DueTimer, StoreResult};

            impl $store {
                async fn sql_lease_due_timers(
                    &self,
                    now: i64,
                    lease_ms: i64,
                    limit: u32,
                ) -> StoreResult<Vec<DueTimer>> {
                    // One statement picks and leases; on Postgres SKIP
                    // LOCKED lets concurrent workers take disjoint timers,
                    // on SQLite the single writer connection serializes it.
                    let rows = sqlx::query_as::<$db, TimerRow>(concat!(
                        "UPDATE timers SET leased_until = $1 + $2 \
                         WHERE id IN (SELECT id FROM timers \
                         WHERE state = 'pending' AND due_at <= $1 \
                         AND (leased_until IS NULL OR leased_until < $1) \
                         ORDER BY due_at, id LIMIT $3",
                        $skip_locked,
                        ") RETURNING id, tenant_id, activity_id, name, payload, due_at"
                    ))
                    .bind(now)
                    .bind(lease_ms)
                    .bind(i64::from(limit))
                    .fetch_all(&self.write)
                    .await?;
                    let mut timers: Vec<_> = rows.into_iter().map(DueTimer::from).collect();
                    timers.sort_by(|a, b| (a.due_at, &a.id).cmp(&(b.due_at, &b.id)));
                    Ok(timers)
                }

                async fn sql_timers_due(&self, now: i64) -> StoreResult<i64> {
                    // The partial index `timers_pending_due` serves it.
                    Ok(sqlx::query_scalar::<$db, i64>(
                        "SELECT COUNT(*) FROM timers WHERE state = 'pending' AND due_at <= $1",
                    )
                    .bind(now)
                    .fetch_one(&self.read)
                    .await?)
                }

                async fn sql_pending_timers(
                    &self,
                    activity_id: &str,
                ) -> StoreResult<Vec<(String, i64)>> {
                    Ok(sqlx::query_as::<$db, (String, i64)>(
                        "SELECT name, due_at FROM timers \
                         WHERE activity_id = $1 AND state = 'pending' ORDER BY due_at, name",
                    )
                    .bind(activity_id)
                    .fetch_all(&self.read)
                    .await?)
                }
            }
        };
    };
}

pub(in crate::store) use impl_timers;
