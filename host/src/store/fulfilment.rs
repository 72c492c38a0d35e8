//! The fulfilment of physical prizes. The queue is the tenant's prizes
//! whose redemption state is `pending` (every prize is, from its grant);
//! shipping one moves it to `redeemed`, writing it off to `cancelled`,
//! each by the same conditional update as a single redemption, in one
//! transaction with its `fulfilment` row and its event.
//! [`impl_fulfilment_store!`] expands the statements for both backends.

use async_trait::async_trait;

use super::StoreResult;

/// A prize in the fulfilment queue or past it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FulfilmentItem {
    /// Internal sequence (never shown).
    pub seq: i64,
    /// The reward's public id.
    pub public_id: String,
    /// Activity.
    pub activity_id: String,
    /// The outcome that granted it.
    pub outcome_id: String,
    /// Winner.
    pub user_id: String,
    /// Item id.
    pub item: String,
    /// Display name.
    pub name: String,
    /// Amount.
    pub amount: i64,
    /// Grant time, ms since epoch.
    pub created_at: i64,
    /// Redemption state: `pending`, `redeemed` or `cancelled`.
    pub state: String,
    /// `shipped` or `written_off` once fulfilled here.
    pub fulfilment: Option<String>,
    /// Carrier.
    pub carrier: Option<String>,
    /// Tracking number.
    pub tracking_no: Option<String>,
    /// Why it was written off.
    pub note: Option<String>,
    /// When it was shipped or written off.
    pub updated_at: Option<i64>,
    /// Who shipped or wrote it off: a key id.
    pub updated_by: Option<String>,
}

/// One prize to ship or write off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    /// The reward's public id.
    pub reward_id: String,
    /// Carrier (shipping).
    pub carrier: Option<String>,
    /// Tracking number (shipping).
    pub tracking_no: Option<String>,
    /// Reason (write-off).
    pub note: Option<String>,
}

/// Why a bulk fulfilment changed nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Refusal {
    /// Ids that are not prizes of the tenant.
    pub not_found: Vec<String>,
    /// Prizes of the tenant no longer pending.
    pub not_pending: Vec<String>,
}

/// Fulfilment reads and moves. Part of every [`super::Store`].
#[async_trait]
pub trait FulfilmentStore {
    /// Up to `limit` prizes of the tenant in `status` (`pending`,
    /// `shipped` or `written_off`), of one activity if given, after the
    /// reward with public id `after`, oldest grant first.
    async fn fulfilment_items(
        &self,
        tenant_id: &str,
        activity_id: Option<&str>,
        status: &str,
        after: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<FulfilmentItem>>;
    /// Move every prize of `items` from pending to `status` (`shipped`
    /// or `written_off`) in one transaction with one `reward.<status>`
    /// event each; all or nothing. `Ok(Err(_))` names what refused.
    async fn fulfil(
        &self,
        tenant_id: &str,
        status: &str,
        items: &[Settlement],
        by: &str,
        now: i64,
    ) -> StoreResult<Result<Vec<FulfilmentItem>, Refusal>>;
}

/// Implements [`FulfilmentStore`] for `$store`; `$event_lock`, if any, is
/// run with the tenant as `$1` before events are appended (as in
/// `sql/commit.rs`).
macro_rules! impl_fulfilment_store {
    ($store:ty, $db:ty, event_lock = $event_lock:expr $(,)?) => {
        const _: () = {
            use $crate::store::fulfilment::{FulfilmentItem, FulfilmentStore, Refusal, Settlement};
            use $crate::store::{StoreResult, sql};

            const EVENT_LOCK: Option<&str> = $event_lock;
            const ITEM_COLS: &str = "SELECT r.id AS seq, i.public_id, r.activity_id, \
                 r.outcome_id, r.user_id, r.item, r.name, r.amount, r.created_at, s.state, \
                 f.status AS fulfilment, f.carrier, f.tracking_no, f.note, f.updated_at, \
                 f.updated_by FROM rewards r JOIN reward_ids i ON i.reward_id = r.id \
                 JOIN reward_states s ON s.reward_id = r.id \
                 LEFT JOIN fulfilment f ON f.reward_id = r.id";

            #[async_trait::async_trait]
            impl FulfilmentStore for $store {
                async fn fulfilment_items(
                    &self,
                    tenant_id: &str,
                    activity_id: Option<&str>,
                    status: &str,
                    after: Option<&str>,
                    limit: i64,
                ) -> StoreResult<Vec<FulfilmentItem>> {
                    let after = match after {
                        None => 0,
                        Some(public) => sqlx::query_scalar::<$db, i64>(
                            "SELECT r.id FROM reward_ids i JOIN rewards r ON r.id = i.reward_id \
                             WHERE i.public_id = $1 AND r.tenant_id = $2",
                        )
                        .bind(public)
                        .bind(tenant_id)
                        .fetch_optional(&self.read)
                        .await?
                        .ok_or($crate::store::StoreError::NotFound("reward"))?,
                    };
                    let filter = if status == "pending" {
                        "s.tenant_id = $1 AND s.state = 'pending' AND f.reward_id IS NULL \
                         AND $2 = $2"
                    } else {
                        "f.tenant_id = $1 AND f.status = $2"
                    };
                    let activity = if activity_id.is_some() {
                        " AND r.activity_id = $5"
                    } else {
                        " AND $5 = $5"
                    };
                    Ok(sqlx::query_as::<$db, FulfilmentItem>(&format!(
                        "{ITEM_COLS} WHERE {filter}{activity} AND r.id > $3 \
                         ORDER BY r.id LIMIT $4"
                    ))
                    .bind(tenant_id)
                    .bind(status)
                    .bind(after)
                    .bind(limit)
                    .bind(activity_id.unwrap_or(""))
                    .fetch_all(&self.read)
                    .await?)
                }

                async fn fulfil(
                    &self,
                    tenant_id: &str,
                    status: &str,
                    items: &[Settlement],
                    by: &str,
                    now: i64,
                ) -> StoreResult<Result<Vec<FulfilmentItem>, Refusal>> {
                    let to = if status == "shipped" {
                        "redeemed"
                    } else {
                        "cancelled"
                    };
                    let classify = sql::classify("fulfilment");
                    let mut tx = self.begin_write().await.map_err(&classify)?;
                    let mut refusal = Refusal::default();
                    let mut found = Vec::with_capacity(items.len());
                    for it in items {
                        let item = sqlx::query_as::<$db, FulfilmentItem>(&format!(
                            "{ITEM_COLS} WHERE i.public_id = $1 AND r.tenant_id = $2"
                        ))
                        .bind(&it.reward_id)
                        .bind(tenant_id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(&classify)?;
                        let Some(item) = item else {
                            refusal.not_found.push(it.reward_id.clone());
                            continue;
                        };
                        // The same condition as a single redemption: only a
                        // pending prize moves, whoever got there first wins.
                        let moved = sqlx::query::<$db>(
                            "UPDATE reward_states SET state = $3, updated_at = $4 \
                             WHERE reward_id = $1 AND tenant_id = $2 AND state = 'pending'",
                        )
                        .bind(item.seq)
                        .bind(tenant_id)
                        .bind(to)
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .map_err(&classify)?;
                        if moved.rows_affected() != 1 {
                            refusal.not_pending.push(it.reward_id.clone());
                            continue;
                        }
                        found.push((item, it));
                    }
                    if !refusal.not_found.is_empty() || !refusal.not_pending.is_empty() {
                        tx.rollback().await.map_err(&classify)?;
                        return Ok(Err(refusal));
                    }
                    for (item, it) in &found {
                        sqlx::query::<$db>(
                            "INSERT INTO fulfilment (reward_id, tenant_id, activity_id, status, \
                             carrier, tracking_no, note, updated_at, updated_by) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                        )
                        .bind(item.seq)
                        .bind(tenant_id)
                        .bind(&item.activity_id)
                        .bind(status)
                        .bind(&it.carrier)
                        .bind(&it.tracking_no)
                        .bind(&it.note)
                        .bind(now)
                        .bind(by)
                        .execute(&mut *tx)
                        .await
                        .map_err(&classify)?;
                    }
                    if let Some(lock) = EVENT_LOCK {
                        sqlx::query::<$db>(lock)
                            .bind(tenant_id)
                            .execute(&mut *tx)
                            .await
                            .map_err(&classify)?;
                    }
                    let mut done = Vec::with_capacity(found.len());
                    for (mut item, it) in found {
                        let data = serde_json::json!({
                            "reward_id": item.public_id,
                            "item": item.item,
                            "name": item.name,
                            "amount": item.amount,
                            "carrier": it.carrier,
                            "tracking_no": it.tracking_no,
                            "note": it.note,
                            "by": by,
                        });
                        sqlx::query::<$db>(
                            "INSERT INTO events (tenant_id, activity_id, outcome_id, \
                             kind, subject, data, created_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        )
                        .bind(tenant_id)
                        .bind(&item.activity_id)
                        .bind(&item.outcome_id)
                        .bind(format!("reward.{status}"))
                        .bind(&item.user_id)
                        .bind(data.to_string())
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .map_err(&classify)?;
                        item.state = to.to_owned();
                        item.fulfilment = Some(status.to_owned());
                        item.carrier = it.carrier.clone();
                        item.tracking_no = it.tracking_no.clone();
                        item.note = it.note.clone();
                        item.updated_at = Some(now);
                        item.updated_by = Some(by.to_owned());
                        done.push(item);
                    }
                    tx.commit().await.map_err(&classify)?;
                    Ok(Ok(done))
                }
            }
        };
    };
}

pub(super) use impl_fulfilment_store;
