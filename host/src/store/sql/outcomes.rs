//! Outcome reads: one outcome, pages of an activity's outcomes, counts.
//! Outcomes are appended only by a commit (`commit.rs`).

use crate::store::OutcomeRecord;

/// The columns of [`OutcomeRow`], as a literal so `concat!` can splice it
/// into a `&'static str` query.
macro_rules! outcome_cols {
    () => {
        "id, tenant_id, activity_id, user_id, action, payload, result, rewards, inputs, \
         effects_hash, plugin_sha256, fuel_used, created_at, group_id, spends"
    };
}
pub(in crate::store) use outcome_cols;

/// A row of `outcomes`: the columns of `outcome_cols!()`.
#[derive(sqlx::FromRow)]
pub(in crate::store) struct OutcomeRow {
    id: String,
    tenant_id: String,
    activity_id: String,
    user_id: String,
    action: String,
    payload: String,
    result: String,
    rewards: String,
    inputs: String,
    effects_hash: String,
    plugin_sha256: String,
    fuel_used: i64,
    created_at: i64,
    group_id: Option<String>,
    spends: String,
}

impl From<OutcomeRow> for OutcomeRecord {
    fn from(r: OutcomeRow) -> Self {
        OutcomeRecord {
            id: r.id,
            tenant_id: r.tenant_id,
            activity_id: r.activity_id,
            user_id: r.user_id,
            action: r.action,
            payload: r.payload,
            result: r.result,
            rewards: r.rewards,
            inputs: r.inputs,
            effects_hash: r.effects_hash,
            plugin_sha256: r.plugin_sha256,
            fuel_used: r.fuel_used,
            created_at: r.created_at,
            // Empty for outcomes from before groups were recorded: the
            // activity's home group.
            group_id: r.group_id.unwrap_or_default(),
            spends: r.spends,
        }
    }
}

/// Expands, for `$store` on database `$db`, the inherent methods behind
/// [`Store`](crate::store::Store)'s outcome reads.
macro_rules! impl_outcomes {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::store::sql::{self, outcomes::OutcomeRow};
            use $crate::store::{OutcomePage, OutcomeRecord, StoreResult};

            impl $store {
                async fn sql_outcome(&self, id: &str) -> StoreResult<Option<OutcomeRecord>> {
                    let row = sqlx::query_as::<$db, OutcomeRow>(concat!(
                        "SELECT ",
                        sql::outcomes::outcome_cols!(),
                        " FROM outcomes WHERE id = $1"
                    ))
                    .bind(id)
                    .fetch_optional(&self.read)
                    .await?;
                    Ok(row.map(OutcomeRecord::from))
                }

                async fn sql_outcomes(
                    &self,
                    activity_id: &str,
                    after: Option<&str>,
                    limit: u32,
                ) -> StoreResult<OutcomePage> {
                    // A page of zero could never advance the cursor.
                    let limit = limit.max(1) as usize;
                    let rows = sqlx::query_as::<$db, OutcomeRow>(concat!(
                        "SELECT ",
                        sql::outcomes::outcome_cols!(),
                        " FROM outcomes WHERE activity_id = $1 AND id > $2 \
                         ORDER BY id LIMIT $3"
                    ))
                    .bind(activity_id)
                    .bind(after.unwrap_or(""))
                    .bind(limit as i64 + 1)
                    .fetch_all(&self.read)
                    .await?;
                    let more = rows.len() > limit;
                    let outcomes: Vec<_> =
                        rows.into_iter().take(limit).map(OutcomeRecord::from).collect();
                    let next = if more {
                        outcomes.last().map(|o| o.id.clone())
                    } else {
                        None
                    };
                    Ok(OutcomePage { outcomes, next })
                }

                async fn sql_user_outcomes(
                    &self,
                    tenant_id: &str,
                    activity_id: &str,
                    user_id: &str,
                    limit: u32,
                ) -> StoreResult<Vec<OutcomeRecord>> {
                    // Through the (tenant_id, user_id, created_at) index.
                    let rows = sqlx::query_as::<$db, OutcomeRow>(concat!(
                        "SELECT ",
                        sql::outcomes::outcome_cols!(),
                        " FROM outcomes WHERE tenant_id = $1 AND user_id = $2 \
                         AND activity_id = $3 ORDER BY created_at DESC, id DESC LIMIT $4"
                    ))
                    .bind(tenant_id)
                    .bind(user_id)
                    .bind(activity_id)
                    .bind(i64::from(limit))
                    .fetch_all(&self.read)
                    .await?;
                    Ok(rows.into_iter().map(OutcomeRecord::from).collect())
                }

                async fn sql_count_outcomes(&self, activity_id: &str) -> StoreResult<i64> {
                    Ok(sqlx::query_scalar::<$db, i64>(
                        "SELECT COUNT(*) FROM outcomes WHERE activity_id = $1",
                    )
                    .bind(activity_id)
                    .fetch_one(&self.read)
                    .await?)
                }

                async fn sql_first_seen(
                    &self,
                    tenant_id: &str,
                    user_id: &str,
                ) -> StoreResult<Option<i64>> {
                    Ok(sqlx::query_scalar::<$db, Option<i64>>(
                        "SELECT MIN(created_at) FROM outcomes WHERE tenant_id = $1 AND user_id = $2",
                    )
                    .bind(tenant_id)
                    .bind(user_id)
                    .fetch_one(&self.read)
                    .await?)
                }
            }
        };
    };
}

pub(in crate::store) use impl_outcomes;
