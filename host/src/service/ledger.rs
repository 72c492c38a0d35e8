//! What platforms read about a user across activities (rewards ledger,
//! balances), what operators do with prizes (redeem, cancel), and the
//! tenant's event log.

use serde::Serialize;

use super::Arcade;
use crate::clock::to_rfc3339;
use crate::error::{Error, Result};
use crate::store::{EventRecord, LedgerCursor, LedgerLine, LedgerQuery, RewardRow};

/// Largest page of events.
pub const MAX_EVENTS_PAGE: u32 = 500;
/// Largest page of a user's ledger.
pub const MAX_LEDGER_PAGE: u32 = 500;

/// A page of a user's ledger.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LedgerPage {
    /// The user.
    pub user_id: String,
    /// Lines, newest first.
    pub entries: Vec<LedgerView>,
    /// Pass as `after` for the next page; `None` when this page is the last.
    pub next: Option<String>,
}

/// One line of a user's ledger as platforms see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(tag = "entry", rename_all = "snake_case")]
pub enum LedgerView {
    /// A reward granted to the user: points and tickets add to the balance
    /// of currency `item`.
    Credit {
        /// The reward's public id (for redeem and cancel).
        id: String,
        /// Activity that granted it.
        activity_id: String,
        /// Outcome that granted it.
        outcome_id: String,
        /// The reward.
        #[serde(flatten)]
        reward: RewardView,
        /// `pending`, `redeemed` or `cancelled` for prizes; `None` otherwise.
        state: Option<String>,
        /// Grant time, RFC 3339.
        created_at: String,
    },
    /// What one outcome took from the user's balance of `currency`.
    Debit {
        /// The outcome that spent it.
        outcome_id: String,
        /// Its activity.
        activity_id: String,
        /// `points` or a ticket name.
        currency: String,
        /// How much, positive.
        amount: i64,
        /// Time, RFC 3339.
        created_at: String,
    },
}

/// A reward as the API shows it: like the stored [`RewardRow`], with its
/// expiry in RFC 3339.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RewardView {
    /// Recipient.
    pub user_id: String,
    /// `prize`, `coupon`, `points` or `tickets`.
    pub kind: String,
    /// Prize or coupon id, ticket name, or `points`.
    pub item: String,
    /// Display name.
    pub name: String,
    /// Units granted.
    pub amount: i64,
    /// When it expires, RFC 3339; absent if never.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// Coupon code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

impl From<&RewardRow> for RewardView {
    fn from(r: &RewardRow) -> Self {
        RewardView {
            user_id: r.user_id.clone(),
            kind: r.kind.clone(),
            item: r.item.clone(),
            name: r.name.clone(),
            amount: r.amount,
            expires_at: r.expires_at.map(to_rfc3339),
            code: r.code.clone(),
        }
    }
}

/// A ledger position as the API passes it: `<ms>~<entry>~<n>~<key>`.
fn encode_cursor(c: &LedgerCursor) -> String {
    format!("{}~{}~{}~{}", c.created_at, c.entry, c.n, c.key)
}

fn decode_cursor(s: &str) -> Result<LedgerCursor> {
    let bad = || {
        Error::invalid(
            "invalid_cursor",
            "after must be the `next` of a previous page of this ledger",
        )
    };
    let mut parts = s.splitn(4, '~');
    let created_at = parts.next().and_then(|t| t.parse().ok()).ok_or_else(bad)?;
    let entry = parts
        .next()
        .filter(|e| matches!(*e, "credit" | "debit"))
        .ok_or_else(bad)?;
    let n = parts.next().and_then(|t| t.parse().ok()).ok_or_else(bad)?;
    let key = parts.next().filter(|k| !k.is_empty()).ok_or_else(bad)?;
    Ok(LedgerCursor {
        created_at,
        entry: entry.to_owned(),
        n,
        key: key.to_owned(),
    })
}

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
        let data = api_event_data(&e.event.kind, &e.event.data);
        EventView {
            seq: e.seq,
            kind: e.event.kind,
            activity_id: e.activity_id,
            outcome_id: e.outcome_id,
            subject: e.event.subject,
            data,
            created_at: crate::clock::to_rfc3339(e.created_at),
        }
    }
}

/// An event's data as the API (and a webhook) shows it. The host's own
/// reward event carries the stored reward, whose expiry is kept in ms;
/// the API speaks RFC 3339.
pub(crate) fn api_event_data(kind: &str, text: &str) -> serde_json::Value {
    let mut data: serde_json::Value = serde_json::from_str(text).unwrap_or(serde_json::Value::Null);
    if kind == "reward.granted"
        && let Some(at) = data.get("expires_at").and_then(serde_json::Value::as_i64)
    {
        data["expires_at"] = to_rfc3339(at).into();
    }
    data
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
    /// A page of a user's ledger with the tenant, newest first: the
    /// rewards granted, and with `debits` what their actions spent, so the
    /// whole ledger sums to the balances.
    pub async fn user_ledger(
        &self,
        tenant_id: &str,
        user_id: &str,
        debits: bool,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> Result<LedgerPage> {
        super::activities::check_user_id(user_id)?;
        let limit = limit.unwrap_or(100);
        if limit == 0 || limit > MAX_LEDGER_PAGE {
            return Err(Error::invalid(
                "invalid_limit",
                format!("limit must be 1 to {MAX_LEDGER_PAGE}"),
            ));
        }
        let query = LedgerQuery {
            debits,
            after: after.map(decode_cursor).transpose()?,
            limit,
        };
        let lines = self.store.user_ledger(tenant_id, user_id, &query).await?;
        let next = (lines.len() == limit as usize)
            .then(|| lines.last().map(|l| encode_cursor(&l.cursor())))
            .flatten();
        let mut entries = Vec::with_capacity(lines.len());
        for line in lines {
            match line {
                LedgerLine::Credit(e) => entries.push(LedgerView::Credit {
                    reward: RewardView::from(&e.reward),
                    id: e.id,
                    activity_id: e.activity_id,
                    outcome_id: e.outcome_id,
                    state: e.state,
                    created_at: to_rfc3339(e.created_at),
                }),
                LedgerLine::Debit {
                    outcome_id,
                    activity_id,
                    spends,
                    created_at,
                } => {
                    entries.extend(
                        spends
                            .into_iter()
                            .map(|(currency, amount)| LedgerView::Debit {
                                outcome_id: outcome_id.clone(),
                                activity_id: activity_id.clone(),
                                currency,
                                amount,
                                created_at: to_rfc3339(created_at),
                            }),
                    )
                }
            }
        }
        Ok(LedgerPage {
            user_id: user_id.to_owned(),
            entries,
            next,
        })
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
