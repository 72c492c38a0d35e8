//! What actions and views read of an activity's state: an action's
//! [`Snapshot`] of state and stock, and the rows of one scope.

use crate::store::{Snapshot, StateEntry, StateKey, StockLevel};

/// One action's snapshot (`$1` activity, `$2` user) in one statement, so
/// one consistent view in one round trip. Each branch is an equality on a
/// key prefix. With an IN list, Postgres cached a generic plan, made while
/// the table was nearly empty, that used only `activity_id` in the index
/// and filtered every state row of the activity.
pub(in crate::store) const SNAPSHOT: &str = "\
    SELECT 's', user_id, key, value, version, CAST(0 AS BIGINT) FROM state \
    WHERE activity_id = $1 AND user_id = '' \
    UNION ALL \
    SELECT 's', user_id, key, value, version, CAST(0 AS BIGINT) FROM state \
    WHERE activity_id = $1 AND user_id = $2 AND user_id <> '' \
    UNION ALL \
    SELECT 'k', pool, '', NULL, initial, remaining FROM stock \
    WHERE activity_id = $1";

/// One row of [`SNAPSHOT`]: `(kind, a, b, value, n, m)` where kind `s` is
/// a state entry `(user_id, key, value, version, _)` and kind `k` a stock
/// pool `(pool, _, _, initial, remaining)`. Read by position: the
/// literal and cast columns have no names to read them by, and each
/// database makes up different ones.
#[derive(Clone, sqlx::FromRow)]
pub(in crate::store) struct SnapshotRow(
    pub(in crate::store) String,
    pub(in crate::store) String,
    pub(in crate::store) String,
    pub(in crate::store) Option<String>,
    pub(in crate::store) i64,
    pub(in crate::store) i64,
);

/// A snapshot from the rows of [`SNAPSHOT`], state and stock in key order.
pub(in crate::store) fn snapshot_from_rows(
    rows: impl IntoIterator<Item = SnapshotRow>,
) -> Snapshot {
    let mut snap = Snapshot::default();
    for SnapshotRow(kind, a, b, value, n, m) in rows {
        if kind == "s" {
            snap.state.push(StateEntry {
                key: StateKey { user_id: a, key: b },
                value,
                version: n,
            });
        } else {
            snap.stock.push(StockLevel {
                pool: a,
                initial: n,
                remaining: m,
            });
        }
    }
    snap.state.sort_by(|x, y| x.key.cmp(&y.key));
    snap.stock.sort_by(|x, y| x.pool.cmp(&y.pool));
    snap
}

/// Each of `users`' snapshot from rows of the activity scope, the users'
/// scopes and stock (as [`SNAPSHOT`]'s, for many users at once).
pub(in crate::store) fn snapshots_for(rows: Vec<SnapshotRow>, users: &[&str]) -> Vec<Snapshot> {
    let mut shared = Vec::new();
    let mut own: std::collections::HashMap<&str, Vec<&SnapshotRow>> = Default::default();
    for row in &rows {
        if row.0 == "s" && !row.1.is_empty() {
            own.entry(row.1.as_str()).or_default().push(row);
        } else {
            shared.push(row);
        }
    }
    users
        .iter()
        .map(|u| {
            let mine = own.get(u).into_iter().flatten();
            snapshot_from_rows(shared.iter().chain(mine).map(|r| (*r).clone()))
        })
        .collect()
}

/// A row of `state` without its activity: user_id, key, value, version.
#[derive(sqlx::FromRow)]
pub(in crate::store) struct StateRow {
    user_id: String,
    key: String,
    value: Option<String>,
    version: i64,
}

impl From<StateRow> for StateEntry {
    fn from(r: StateRow) -> Self {
        StateEntry {
            key: StateKey {
                user_id: r.user_id,
                key: r.key,
            },
            value: r.value,
            version: r.version,
        }
    }
}

/// Expands, for `$store` on database `$db`, the inherent methods behind
/// [`Store::snapshot`](crate::store::Store::snapshot) and
/// [`Store::scope_state`](crate::store::Store::scope_state).
macro_rules! impl_snapshot {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::store::sql::snapshot::{self, SnapshotRow, StateRow};
            use $crate::store::{Snapshot, StateEntry, StoreResult};

            impl $store {
                async fn sql_snapshot(
                    &self,
                    activity_id: &str,
                    user_id: &str,
                ) -> StoreResult<Snapshot> {
                    if let Some(done) = self.fast_snapshot(activity_id, user_id).await {
                        return done;
                    }
                    let rows = sqlx::query_as::<$db, SnapshotRow>(snapshot::SNAPSHOT)
                        .bind(activity_id)
                        .bind(user_id)
                        .fetch_all(&self.read)
                        .await?;
                    Ok(snapshot::snapshot_from_rows(rows))
                }

                async fn sql_scope_state(
                    &self,
                    activity_id: &str,
                    scope_key: &str,
                ) -> StoreResult<Vec<StateEntry>> {
                    let rows = sqlx::query_as::<$db, StateRow>(
                        "SELECT user_id, key, value, version FROM state \
                         WHERE activity_id = $1 AND user_id = $2 ORDER BY key",
                    )
                    .bind(activity_id)
                    .bind(scope_key)
                    .fetch_all(&self.read)
                    .await?;
                    Ok(rows.into_iter().map(StateEntry::from).collect())
                }
            }
        };
    };
}

pub(in crate::store) use impl_snapshot;
