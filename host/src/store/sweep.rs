//! Expiring state tombstones by mark and sweep, beside the commit path
//! rather than in it: [`TombstoneStore::mark_tombstones`] records the
//! version of each tombstone it sees, with the time;
//! [`TombstoneStore::sweep_tombstones`] deletes a tombstone only if it
//! still has the marked version and the mark is old enough. The delete is
//! conditional on that version and on the value still being NULL, so a
//! write that lands first is never lost, and one that lands after finds
//! the key absent and re-creates it (a commit's compare-and-set fails and
//! the call runs again).

use async_trait::async_trait;

use super::StoreResult;

/// Tombstone expiry. Part of every [`super::Store`].
#[async_trait]
pub trait TombstoneStore {
    /// Mark up to `limit` tombstones not yet marked at their current
    /// version as seen at `now`; returns how many were marked.
    async fn mark_tombstones(&self, now: i64, limit: u32) -> StoreResult<u64>;
    /// Delete up to `limit` tombstones whose mark is at or before `cutoff`
    /// and still names their current version, with those marks (and marks
    /// that no longer match their row); returns how many tombstones were
    /// deleted and how many marks were looked at.
    async fn sweep_tombstones(&self, cutoff: i64, limit: u32) -> StoreResult<(u64, u64)>;
}

/// Implements [`TombstoneStore`] for `$store` (see
/// [`super::sql::impl_store!`] for what it needs of the store).
macro_rules! impl_tombstone_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::store::StoreResult;
            use $crate::store::sweep::TombstoneStore;

            #[async_trait::async_trait]
            impl TombstoneStore for $store {
                async fn mark_tombstones(&self, now: i64, limit: u32) -> StoreResult<u64> {
                    // A mark left from an older version of the same key
                    // is replaced, restarting its clock.
                    let done = sqlx::query::<$db>(
                        "INSERT INTO tombstone_marks \
                         (activity_id, user_id, key, version, marked_at) \
                         SELECT s.activity_id, s.user_id, s.key, s.version, $1 FROM state s \
                         WHERE s.value IS NULL AND NOT EXISTS (\
                           SELECT 1 FROM tombstone_marks m \
                           WHERE m.activity_id = s.activity_id AND m.user_id = s.user_id \
                           AND m.key = s.key AND m.version = s.version) \
                         LIMIT $2 \
                         ON CONFLICT (activity_id, user_id, key) DO UPDATE \
                         SET version = excluded.version, marked_at = excluded.marked_at",
                    )
                    .bind(now)
                    .bind(i64::from(limit))
                    .execute(&self.write)
                    .await?;
                    Ok(done.rows_affected())
                }

                async fn sweep_tombstones(
                    &self,
                    cutoff: i64,
                    limit: u32,
                ) -> StoreResult<(u64, u64)> {
                    let due = sqlx::query_as::<$db, (String, String, String, i64)>(
                        "SELECT activity_id, user_id, key, version FROM tombstone_marks \
                         WHERE marked_at <= $1 ORDER BY marked_at LIMIT $2",
                    )
                    .bind(cutoff)
                    .bind(i64::from(limit))
                    .fetch_all(&self.write)
                    .await?;
                    // One short transaction per tombstone: holding several
                    // state rows at once could deadlock with a commit
                    // batch, whose commits lock rows in arrival order.
                    let mut swept = 0;
                    for (activity_id, user_id, key, version) in &due {
                        let mut tx = Self::begin_on(&self.write).await?;
                        swept += sqlx::query::<$db>(
                            "DELETE FROM state \
                             WHERE activity_id = $1 AND user_id = $2 AND key = $3 \
                             AND version = $4 AND value IS NULL",
                        )
                        .bind(activity_id)
                        .bind(user_id)
                        .bind(key)
                        .bind(version)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                        sqlx::query::<$db>(
                            "DELETE FROM tombstone_marks \
                             WHERE activity_id = $1 AND user_id = $2 AND key = $3 \
                             AND version = $4",
                        )
                        .bind(activity_id)
                        .bind(user_id)
                        .bind(key)
                        .bind(version)
                        .execute(&mut *tx)
                        .await?;
                        tx.commit().await?;
                    }
                    Ok((swept, due.len() as u64))
                }
            }
        };
    };
}

pub(super) use impl_tombstone_store;
