//! What one action reads and what it commits: the [`Snapshot`] it runs
//! on, and the [`ActionCommit`] that applies its changes all or nothing,
//! with the idempotency key it is committed under.

use serde::{Deserialize, Serialize};

use super::{EventRow, OutcomeRecord, RewardRow, StockLevel};

/// Identifies one state entry: `user_id` is empty for activity scope.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct StateKey {
    /// The acting user, or empty for activity scope.
    pub user_id: String,
    /// The key.
    pub key: String,
}

/// A state entry as read. `value` is `None` for a removed key (tombstone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateEntry {
    /// Which entry.
    pub key: StateKey,
    /// Its value.
    pub value: Option<String>,
    /// Its version; bumped on every write.
    pub version: i64,
}

/// What an action may read: the activity's and the user's state, and the
/// activity's stock.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// State entries of the activity scope and the acting user's scope.
    pub state: Vec<StateEntry>,
    /// Stock pools of the activity.
    pub stock: Vec<StockLevel>,
}

/// A state change, checked against the version the action read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateWrite {
    /// Which entry.
    pub key: StateKey,
    /// New value, or `None` to remove.
    pub value: Option<String>,
    /// Version read; `None` if the entry did not exist.
    pub expected_version: Option<i64>,
    /// How many versions the write moves the entry on (an absent entry
    /// is created at this version): 1 for an action's own write, more for
    /// the writes of a chain folded into one (`squash.rs`).
    pub advance: i64,
}

/// A state entry that was read but not written; the commit fails if it
/// changed since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateRead {
    /// Which entry.
    pub key: StateKey,
    /// Version read; `None` if the entry did not exist.
    pub version: Option<i64>,
}

/// A change to one user's balance of one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceChange {
    /// The user.
    pub user_id: String,
    /// `points` or a ticket name.
    pub currency: String,
    /// Positive credits, negative debits. A debit that would take the
    /// balance below zero is a `Conflict`.
    pub delta: i64,
}

/// A timer change made by an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimerChange {
    /// Schedule `name` (replacing a pending timer of that name).
    Schedule {
        /// New timer id (unique).
        id: String,
        /// Name, unique among the activity's pending timers.
        name: String,
        /// Due time, ms since epoch.
        due_at: i64,
        /// Payload JSON.
        payload: String,
    },
    /// Cancel the pending timer `name`, if any.
    Cancel {
        /// Name.
        name: String,
    },
}

/// Everything one action changes, applied in one transaction.
#[derive(Debug, Clone)]
pub struct ActionCommit {
    /// The outcome to append.
    pub outcome: OutcomeRecord,
    /// Entries read and not written: validated, not changed.
    pub reads: Vec<StateRead>,
    /// Entries written: compare-and-set on version.
    pub writes: Vec<StateWrite>,
    /// Net stock change per pool: negative claims, positive releases.
    pub stock: Vec<(String, i64)>,
    /// Rewards to append to the ledger (prizes also get a `pending`
    /// redemption state).
    pub rewards: Vec<RewardRow>,
    /// Balance changes, applied by conditional updates.
    pub balances: Vec<BalanceChange>,
    /// Timer schedules and cancellations.
    pub timers: Vec<TimerChange>,
    /// Events to append to the tenant's event log.
    pub events: Vec<EventRow>,
    /// The timer this commit fires, if it is an `on-timer` outcome: it must
    /// still be pending (else `Conflict`) and becomes fired.
    pub fired_timer: Option<String>,
    /// If the request carried an idempotency key: the key, inserted first
    /// in the commit (a key already present fails it with `KeyTaken`),
    /// with the response to return to every repeat of the request.
    pub idempotency: Option<IdempotencyRecord>,
}

/// The event type by which a mechanic reports an invite it let count
/// (fission, 裂变): subject the invitee, data `{"inviter": user}`.
pub const INVITE_ACCEPTED: &str = "invite.accepted";

impl ActionCommit {
    /// The commit's invites for the statistics' outbox: a JSON array of
    /// `[invitee, inviter]` from its [`INVITE_ACCEPTED`] events, or `""`
    /// when there are none. Self-invites and events without an inviter
    /// are left out.
    pub fn stat_invites(&self) -> String {
        let pairs: Vec<[String; 2]> = self
            .events
            .iter()
            .filter(|e| e.kind == INVITE_ACCEPTED)
            .filter_map(|e| {
                let data: serde_json::Value = serde_json::from_str(&e.data).ok()?;
                let inviter = data.get("inviter")?.as_str()?;
                let invitee = e.subject.as_str();
                (!inviter.is_empty() && !invitee.is_empty() && inviter != invitee)
                    .then(|| [invitee.to_owned(), inviter.to_owned()])
            })
            .collect();
        if pairs.is_empty() {
            return String::new();
        }
        serde_json::to_string(&pairs).expect("pairs serialize")
    }
}

/// An idempotency key as committed with its action's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// The key, unique per tenant.
    pub key: String,
    /// Hash of the request (activity, user, action, payload), so a reuse
    /// of the key for a different request is recognised.
    pub request_hash: String,
    /// The response body, returned verbatim to repeats.
    pub response: String,
}

/// A committed idempotency key, as looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// Hash of the request that committed the key.
    pub request_hash: String,
    /// Its response body.
    pub response: String,
    /// Commit time, ms since epoch.
    pub created_at: i64,
}
