//! Activities and the stock pools created with them.

use crate::store::{Activity, ActivityStatus, StockLevel, StoreError};

/// The columns of [`ActivityRow`], as a literal so `concat!` can splice it
/// into a `&'static str` query.
macro_rules! activity_cols {
    () => {
        "id, tenant_id, group_id, plugin, plugin_version, plugin_sha256, config, timezone, \
         starts_at, ends_at, status, key_commitment, created_at, revision, revised_by, targeting, \
         staged_group_id, costs, budget_fen"
    };
}
pub(in crate::store) use activity_cols;

/// A row of `activities`: the columns of `activity_cols!()`.
#[derive(sqlx::FromRow)]
pub(in crate::store) struct ActivityRow {
    id: String,
    tenant_id: String,
    group_id: String,
    plugin: String,
    plugin_version: String,
    plugin_sha256: String,
    config: String,
    timezone: String,
    starts_at: Option<i64>,
    ends_at: Option<i64>,
    status: String,
    key_commitment: String,
    created_at: i64,
    revision: i64,
    revised_by: String,
    targeting: String,
    staged_group_id: Option<String>,
    costs: String,
    budget_fen: Option<i64>,
}

impl TryFrom<ActivityRow> for Activity {
    type Error = StoreError;

    fn try_from(r: ActivityRow) -> Result<Self, StoreError> {
        Ok(Activity {
            status: ActivityStatus::parse(&r.status)
                .ok_or_else(|| super::corrupt("activity status", &r.status))?,
            id: r.id,
            tenant_id: r.tenant_id,
            group_id: r.group_id,
            plugin: r.plugin,
            plugin_version: r.plugin_version,
            plugin_sha256: r.plugin_sha256,
            config: r.config,
            timezone: r.timezone,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            key_commitment: r.key_commitment,
            created_at: r.created_at,
            revision: r.revision,
            revised_by: r.revised_by,
            targeting: r.targeting,
            staged_group_id: r.staged_group_id,
            costs: r.costs,
            budget_fen: r.budget_fen,
        })
    }
}

/// A row of `activity_revisions`.
#[derive(sqlx::FromRow)]
pub(in crate::store) struct RevisionRow {
    activity_id: String,
    revision: i64,
    config: String,
    author: String,
    reason: String,
    diff: String,
    created_at: i64,
}

impl From<RevisionRow> for crate::store::Revision {
    fn from(r: RevisionRow) -> Self {
        crate::store::Revision {
            activity_id: r.activity_id,
            revision: r.revision,
            config: r.config,
            author: r.author,
            reason: r.reason,
            diff: r.diff,
            created_at: r.created_at,
        }
    }
}

/// A row of `stock` without its activity: pool, initial, remaining.
#[derive(sqlx::FromRow)]
pub(in crate::store) struct StockRow {
    pool: String,
    initial: i64,
    remaining: i64,
}

impl From<StockRow> for StockLevel {
    fn from(r: StockRow) -> Self {
        StockLevel {
            pool: r.pool,
            initial: r.initial,
            remaining: r.remaining,
        }
    }
}

/// Expands, for `$store` on database `$db`, the inherent methods behind
/// [`Store`](crate::store::Store)'s activity and stock methods.
macro_rules! impl_activities {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::store::sql::{
                self,
                activities::{ActivityRow, StockRow},
            };
            use $crate::store::{Activity, ActivityStatus, StockLevel, StoreError, StoreResult};

            impl $store {
                async fn sql_create_activity(
                    &self,
                    a: &Activity,
                    stock: &[(String, i64)],
                ) -> StoreResult<()> {
                    let mut tx = self.begin_write().await?;
                    sqlx::query::<$db>(concat!(
                        "INSERT INTO activities (",
                        sql::activities::activity_cols!(),
                        ") \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1, $14, $15, $16, $17, $18)"
                    ))
                    .bind(&a.id)
                    .bind(&a.tenant_id)
                    .bind(&a.group_id)
                    .bind(&a.plugin)
                    .bind(&a.plugin_version)
                    .bind(&a.plugin_sha256)
                    .bind(&a.config)
                    .bind(&a.timezone)
                    .bind(a.starts_at)
                    .bind(a.ends_at)
                    .bind(a.status.as_str())
                    .bind(&a.key_commitment)
                    .bind(a.created_at)
                    .bind(&a.revised_by)
                    .bind(&a.targeting)
                    .bind(&a.staged_group_id)
                    .bind(&a.costs)
                    .bind(a.budget_fen)
                    .execute(&mut *tx)
                    .await
                    .map_err(sql::classify("activity"))?;
                    sqlx::query::<$db>(
                        "INSERT INTO activity_revisions \
                         (activity_id, revision, config, author, reason, diff, created_at) \
                         VALUES ($1, 1, $2, $3, 'created', '[]', $4)",
                    )
                    .bind(&a.id)
                    .bind(&a.config)
                    .bind(&a.revised_by)
                    .bind(a.created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(sql::classify("activity revision"))?;
                    for (pool, size) in stock {
                        sqlx::query::<$db>(
                            "INSERT INTO stock (activity_id, pool, initial, remaining) \
                             VALUES ($1, $2, $3, $3)",
                        )
                        .bind(&a.id)
                        .bind(pool)
                        .bind(*size)
                        .execute(&mut *tx)
                        .await
                        .map_err(sql::classify("stock pool"))?;
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn sql_activity(&self, id: &str) -> StoreResult<Option<Activity>> {
                    let row = sqlx::query_as::<$db, ActivityRow>(concat!(
                        "SELECT ",
                        sql::activities::activity_cols!(),
                        " FROM activities WHERE id = $1"
                    ))
                    .bind(id)
                    .fetch_optional(&self.read)
                    .await?;
                    row.map(Activity::try_from).transpose()
                }

                async fn sql_activities(
                    &self,
                    tenant_id: &str,
                    group_id: Option<&str>,
                ) -> StoreResult<Vec<Activity>> {
                    let rows = sqlx::query_as::<$db, ActivityRow>(concat!(
                        "SELECT ",
                        sql::activities::activity_cols!(),
                        " FROM activities \
                         WHERE tenant_id = $1 AND ($2 IS NULL OR group_id = $2) \
                         ORDER BY created_at, id"
                    ))
                    .bind(tenant_id)
                    .bind(group_id)
                    .fetch_all(&self.read)
                    .await?;
                    rows.into_iter().map(Activity::try_from).collect()
                }

                async fn sql_plugin_pins(&self) -> StoreResult<Vec<(String, String, String)>> {
                    Ok(sqlx::query_as::<$db, (String, String, String)>(
                        "SELECT plugin_sha256, tenant_id, id FROM activities \
                         ORDER BY plugin_sha256, created_at, id",
                    )
                    .fetch_all(&self.read)
                    .await?)
                }

                async fn sql_set_activity_status(
                    &self,
                    id: &str,
                    status: ActivityStatus,
                ) -> StoreResult<()> {
                    let done =
                        sqlx::query::<$db>("UPDATE activities SET status = $2 WHERE id = $1")
                            .bind(id)
                            .bind(status.as_str())
                            .execute(&self.write)
                            .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound("activity"));
                    }
                    Ok(())
                }

                async fn sql_revise_activity(
                    &self,
                    r: &$crate::store::Revision,
                    stock: &[(String, i64)],
                ) -> StoreResult<()> {
                    let mut tx = self.begin_write().await?;
                    let moved = sqlx::query::<$db>(
                        "UPDATE activities SET config = $3, revision = $2, revised_by = $4 \
                         WHERE id = $1 AND revision = $2 - 1",
                    )
                    .bind(&r.activity_id)
                    .bind(r.revision)
                    .bind(&r.config)
                    .bind(&r.author)
                    .execute(&mut *tx)
                    .await
                    .map_err(sql::classify("activity"))?;
                    if moved.rows_affected() != 1 {
                        return Err(StoreError::Conflict);
                    }
                    sqlx::query::<$db>(
                        "INSERT INTO activity_revisions \
                         (activity_id, revision, config, author, reason, diff, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(&r.activity_id)
                    .bind(r.revision)
                    .bind(&r.config)
                    .bind(&r.author)
                    .bind(&r.reason)
                    .bind(&r.diff)
                    .bind(r.created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(sql::classify("activity revision"))?;
                    // A pool's size moves by the difference; what was
                    // claimed stays claimed, so it cannot shrink below that.
                    // Groups' shares are part of the size: the shared row
                    // holds the rest.
                    let rows: Vec<(String, i64)> = sqlx::query_as::<$db, (String, i64)>(
                        "SELECT pool, initial FROM stock WHERE activity_id = $1",
                    )
                    .bind(&r.activity_id)
                    .fetch_all(&mut *tx)
                    .await?;
                    let mut shared = std::collections::BTreeMap::<&str, i64>::new();
                    for (name, initial) in &rows {
                        if let (pool, Some(_)) = $crate::store::enablements::split_pool(name) {
                            *shared.entry(pool).or_default() += initial;
                        }
                    }
                    for (pool, size) in stock {
                        let size = &(*size - shared.get(pool.as_str()).copied().unwrap_or(0));
                        let resized = sqlx::query::<$db>(
                            "UPDATE stock SET remaining = remaining + ($3 - initial), initial = $3 \
                             WHERE activity_id = $1 AND pool = $2 AND remaining + ($3 - initial) >= 0",
                        )
                        .bind(&r.activity_id)
                        .bind(pool)
                        .bind(*size)
                        .execute(&mut *tx)
                        .await
                        .map_err(sql::classify("stock pool"))?;
                        if resized.rows_affected() == 1 {
                            continue;
                        }
                        let exists: Option<(i64,)> = sqlx::query_as::<$db, (i64,)>(
                            "SELECT initial - remaining FROM stock WHERE activity_id = $1 AND pool = $2",
                        )
                        .bind(&r.activity_id)
                        .bind(pool)
                        .fetch_optional(&mut *tx)
                        .await?;
                        match exists {
                            Some((claimed,)) => {
                                return Err(StoreError::StockClaimed {
                                    pool: pool.clone(),
                                    claimed,
                                });
                            }
                            None => {
                                sqlx::query::<$db>(
                                    "INSERT INTO stock (activity_id, pool, initial, remaining) \
                                     VALUES ($1, $2, $3, $3)",
                                )
                                .bind(&r.activity_id)
                                .bind(pool)
                                .bind(*size)
                                .execute(&mut *tx)
                                .await
                                .map_err(sql::classify("stock pool"))?;
                            }
                        }
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn sql_revisions(
                    &self,
                    activity_id: &str,
                ) -> StoreResult<Vec<$crate::store::Revision>> {
                    let rows = sqlx::query_as::<$db, sql::activities::RevisionRow>(
                        "SELECT activity_id, revision, config, author, reason, diff, created_at \
                         FROM activity_revisions WHERE activity_id = $1 ORDER BY revision",
                    )
                    .bind(activity_id)
                    .fetch_all(&self.read)
                    .await?;
                    Ok(rows.into_iter().map(Into::into).collect())
                }

                async fn sql_set_activity_costs(&self, activity_id: &str, costs: &str) -> StoreResult<()> {
                    let done = sqlx::query::<$db>("UPDATE activities SET costs = $2 WHERE id = $1")
                        .bind(activity_id)
                        .bind(costs)
                        .execute(&self.write)
                        .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound("activity"));
                    }
                    Ok(())
                }

                async fn sql_stock(&self, activity_id: &str) -> StoreResult<Vec<StockLevel>> {
                    let rows = sqlx::query_as::<$db, StockRow>(
                        "SELECT pool, initial, remaining FROM stock \
                         WHERE activity_id = $1 ORDER BY pool",
                    )
                    .bind(activity_id)
                    .fetch_all(&self.read)
                    .await?;
                    Ok(rows.into_iter().map(StockLevel::from).collect())
                }
            }
        };
    };
}

pub(in crate::store) use impl_activities;
