//! The reward ledger and balances as users and operators read them, and
//! a prize's redemption state. Rewards and balance changes are written
//! only by a commit (`commit.rs`).

use crate::store::{LedgerEntry, LedgerLine, RewardRow};

/// The columns of [`RewardRowRow`], as a literal so `concat!` can splice
/// it into a `&'static str` query.
macro_rules! reward_cols {
    () => {
        "user_id, kind, item, name, amount, expires_at, code"
    };
}
pub(in crate::store) use reward_cols;

/// The [`RewardRow`] part of a row of `rewards`: the columns of
/// `reward_cols!()`.
#[derive(sqlx::FromRow)]
pub(in crate::store) struct RewardRowRow {
    user_id: String,
    kind: String,
    item: String,
    name: String,
    amount: i64,
    expires_at: Option<i64>,
    code: Option<String>,
}

impl From<RewardRowRow> for RewardRow {
    fn from(r: RewardRowRow) -> Self {
        RewardRow {
            user_id: r.user_id,
            kind: r.kind,
            item: r.item,
            name: r.name,
            amount: r.amount,
            expires_at: r.expires_at,
            code: r.code,
        }
    }
}

/// A line of the ledger query: a credit's columns, or a debit's (the
/// outcome id as key and outcome, `spends`).
#[derive(sqlx::FromRow)]
pub(in crate::store) struct LedgerUnionRow {
    at: i64,
    entry: String,
    n: i64,
    k: String,
    activity_id: String,
    outcome_id: String,
    state: Option<String>,
    user_id: String,
    kind: String,
    item: String,
    name: String,
    amount: i64,
    expires_at: Option<i64>,
    code: Option<String>,
    spends: String,
}

impl From<LedgerUnionRow> for LedgerLine {
    fn from(r: LedgerUnionRow) -> Self {
        if r.entry == "debit" {
            return LedgerLine::Debit {
                outcome_id: r.outcome_id,
                activity_id: r.activity_id,
                spends: serde_json::from_str(&r.spends).unwrap_or_default(),
                created_at: r.at,
            };
        }
        LedgerLine::Credit(LedgerEntry {
            id: r.k,
            seq: r.n,
            activity_id: r.activity_id,
            outcome_id: r.outcome_id,
            state: r.state,
            created_at: r.at,
            reward: RewardRow {
                user_id: r.user_id,
                kind: r.kind,
                item: r.item,
                name: r.name,
                amount: r.amount,
                expires_at: r.expires_at,
                code: r.code,
            },
        })
    }
}

/// Expands, for `$store` on database `$db`, the inherent methods behind
/// [`Store`](crate::store::Store)'s ledger and balance reads and
/// [`Store::set_reward_state`](crate::store::Store::set_reward_state).
macro_rules! impl_ledger {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::store::sql::{
                self,
                ledger::RewardRowRow,
            };
            use $crate::store::sql::ledger::LedgerUnionRow;
            use $crate::store::{LedgerLine, LedgerQuery, RewardRow, StoreResult};

            impl $store {
                async fn sql_rewards(&self, activity_id: &str) -> StoreResult<Vec<RewardRow>> {
                    let rows = sqlx::query_as::<$db, RewardRowRow>(concat!(
                        "SELECT ",
                        sql::ledger::reward_cols!(),
                        " FROM rewards WHERE activity_id = $1 ORDER BY id"
                    ))
                    .bind(activity_id)
                    .fetch_all(&self.read)
                    .await?;
                    Ok(rows.into_iter().map(RewardRow::from).collect())
                }

                async fn sql_balances(
                    &self,
                    tenant_id: &str,
                    user_id: &str,
                ) -> StoreResult<Vec<(String, i64)>> {
                    Ok(sqlx::query_as::<$db, (String, i64)>(
                        "SELECT currency, balance FROM balances \
                         WHERE tenant_id = $1 AND user_id = $2 ORDER BY currency",
                    )
                    .bind(tenant_id)
                    .bind(user_id)
                    .fetch_all(&self.read)
                    .await?)
                }

                async fn sql_user_ledger(
                    &self,
                    tenant_id: &str,
                    user_id: &str,
                    query: &LedgerQuery,
                ) -> StoreResult<Vec<LedgerLine>> {
                    // Credits and (if asked) debits in one order, newest
                    // first; the cursor is the last line's (time, entry,
                    // key). Each branch reads through its user index.
                    let rows = sqlx::query_as::<$db, LedgerUnionRow>(
                        "SELECT at, entry, n, k, activity_id, outcome_id, state, user_id, kind, item, \
                         name, amount, expires_at, code, spends FROM ( \
                         SELECT r.created_at AS at, 'credit' AS entry, r.id AS n, i.public_id AS k, \
                         r.activity_id, r.outcome_id, s.state, r.user_id, r.kind, r.item, r.name, \
                         r.amount, r.expires_at, r.code, '' AS spends \
                         FROM rewards r JOIN reward_ids i ON i.reward_id = r.id \
                         LEFT JOIN reward_states s ON s.reward_id = r.id \
                         WHERE r.tenant_id = $1 AND r.user_id = $2 \
                         UNION ALL \
                         SELECT o.created_at, 'debit', 0, o.id, o.activity_id, o.id, NULL, o.user_id, \
                         '', '', '', 0, NULL, NULL, o.spends \
                         FROM outcomes o WHERE $3 AND o.tenant_id = $1 AND o.user_id = $2 \
                         AND o.spends <> '') u \
                         WHERE at < $4 OR (at = $4 AND (entry < $5 OR (entry = $5 AND \
                         (n < $6 OR (n = $6 AND k < $7))))) \
                         ORDER BY at DESC, entry DESC, n DESC, k DESC LIMIT $8",
                    )
                    .bind(tenant_id)
                    .bind(user_id)
                    .bind(query.debits)
                    .bind(query.after.as_ref().map_or(i64::MAX, |c| c.created_at))
                    .bind(query.after.as_ref().map_or("", |c| c.entry.as_str()))
                    .bind(query.after.as_ref().map_or(0, |c| c.n))
                    .bind(query.after.as_ref().map_or("", |c| c.key.as_str()))
                    .bind(i64::from(query.limit))
                    .fetch_all(&self.read)
                    .await?;
                    Ok(rows.into_iter().map(LedgerLine::from).collect())
                }

                async fn sql_set_reward_state(
                    &self,
                    tenant_id: &str,
                    reward_id: &str,
                    from: &str,
                    to: &str,
                    now: i64,
                ) -> StoreResult<Option<bool>> {
                    // The sequential id stays internal; the tenant's check
                    // is on the reward row itself.
                    let id = sqlx::query_scalar::<$db, i64>(
                        "SELECT r.id FROM reward_ids i JOIN rewards r ON r.id = i.reward_id \
                         WHERE i.public_id = $1 AND r.tenant_id = $2",
                    )
                    .bind(reward_id)
                    .bind(tenant_id)
                    .fetch_optional(&self.write)
                    .await?;
                    let Some(id) = id else {
                        return Ok(None);
                    };
                    let done = sqlx::query::<$db>(
                        // Only a pending prize moves, and only to a final
                        // state: redeemed and cancelled are terminal.
                        "UPDATE reward_states SET state = $4, updated_at = $5 \
                         WHERE reward_id = $1 AND tenant_id = $2 AND state = $3 \
                         AND state = 'pending' AND $4 IN ('redeemed', 'cancelled')",
                    )
                    .bind(id)
                    .bind(tenant_id)
                    .bind(from)
                    .bind(to)
                    .bind(now)
                    .execute(&self.write)
                    .await?;
                    Ok(Some(done.rows_affected() == 1))
                }
            }
        };
    };
}

pub(in crate::store) use impl_ledger;
