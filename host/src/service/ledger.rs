//! What platforms read about a user across activities (rewards ledger,
//! balances), what operators do with prizes (redeem, cancel), and the
//! tenant's event log.

use serde::Serialize;

use super::Arcade;
use crate::error::{Error, Result};
use crate::store::{EventRecord, LedgerEntry};

/// Largest page of events.
pub const MAX_EVENTS_PAGE: u32 = 500;

/// A user's balances.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"user_id": "u1", "points": 120, "balances": {"points": 120, "spins": 2}}))]
pub struct Balances {
    /// The user.
    pub user_id: String,
    /// Loyalty points.
    pub points: i64,
    /// Every balance by currency, points included.
    pub balances: std::collections::BTreeMap<String, i64>,
}

/// A page of events.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventPage {
    /// Events, oldest first.
    pub events: Vec<EventView>,
    /// Pass as `after` for the next page; the last `seq` seen, or the
    /// request's own `after` when there was nothing new.
    pub next: Option<i64>,
}

/// An event as shown to platforms.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventView {
    /// Cursor position.
    pub seq: i64,
    /// Dotted type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Activity.
    pub activity_id: String,
    /// Outcome that recorded it.
    pub outcome_id: String,
    /// What it is about.
    pub subject: String,
    /// Details.
    pub data: serde_json::Value,
    /// Time (RFC 3339).
    pub created_at: String,
}

impl From<EventRecord> for EventView {
    fn from(e: EventRecord) -> Self {
        EventView {
            seq: e.seq,
            kind: e.event.kind,
            activity_id: e.activity_id,
            outcome_id: e.outcome_id,
            subject: e.event.subject,
            data: serde_json::from_str(&e.event.data).unwrap_or(serde_json::Value::Null),
            created_at: crate::clock::to_rfc3339(e.created_at),
        }
    }
}

/// `GET /v1/events?activity_id=&type=`: both optional.
#[derive(Debug, Default, Clone)]
pub struct EventFilter {
    /// Only this activity's events.
    pub activity_id: Option<String>,
    /// Only events of this type (`reward.granted`, `team.succeeded`, ...).
    pub kind: Option<String>,
}

impl Arcade {
    /// A user's ledger with the tenant, newest first.
    pub async fn user_rewards(&self, tenant_id: &str, user_id: &str) -> Result<Vec<LedgerEntry>> {
        super::activities::check_user_id(user_id)?;
        Ok(self.store.user_rewards(tenant_id, user_id).await?)
    }

    /// A user's balances with the tenant.
    pub async fn user_balances(&self, tenant_id: &str, user_id: &str) -> Result<Balances> {
        super::activities::check_user_id(user_id)?;
        let balances: std::collections::BTreeMap<String, i64> = self
            .store
            .balances(tenant_id, user_id)
            .await?
            .into_iter()
            .collect();
        Ok(Balances {
            user_id: user_id.to_owned(),
            points: balances.get("points").copied().unwrap_or(0),
            balances,
        })
    }

    /// Move a prize from `pending` to `redeemed` or `cancelled`. A reward
    /// id that is unknown or another tenant's is `reward_not_found`.
    pub async fn settle_prize(&self, tenant_id: &str, reward_id: &str, to: &str) -> Result<()> {
        let moved = self
            .store
            .set_reward_state(tenant_id, reward_id, "pending", to, crate::clock::now_ms())
            .await?;
        match moved {
            None => return Err(Error::not_found("reward", reward_id)),
            Some(true) => return Ok(()),
            Some(false) => {}
        }
        Err(Error::conflict(
            "reward_not_pending",
            format!(
                "no pending prize {reward_id} of this tenant; only a pending prize can be {to}"
            ),
        ))
    }

    /// The tenant's events after the cursor.
    pub async fn events(
        &self,
        tenant_id: &str,
        after: Option<i64>,
        limit: Option<u32>,
    ) -> Result<EventPage> {
        self.events_where(tenant_id, after, limit, &EventFilter::default())
            .await
    }

    /// A page of the tenant's events of one activity and/or one type.
    pub async fn events_where(
        &self,
        tenant_id: &str,
        after: Option<i64>,
        limit: Option<u32>,
        filter: &EventFilter,
    ) -> Result<EventPage> {
        let limit = limit.unwrap_or(100);
        if limit == 0 || limit > MAX_EVENTS_PAGE {
            return Err(Error::invalid(
                "invalid_limit",
                format!("limit must be 1 to {MAX_EVENTS_PAGE}"),
            ));
        }
        let events: Vec<EventView> = self
            .store
            .events_where(
                tenant_id,
                after,
                limit,
                filter.activity_id.as_deref(),
                filter.kind.as_deref(),
            )
            .await?
            .into_iter()
            .map(EventView::from)
            .collect();
        let next = events.last().map(|e| e.seq).or(after);
        Ok(EventPage { events, next })
    }
}
