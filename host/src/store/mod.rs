//! The storage boundary. Everything the host persists goes through
//! [`Store`]; two backends implement it with the same SQL semantics:
//! [`sqlite::SqliteStore`] (embedded default) and [`postgres::PgStore`].
//!
//! Invariants every backend keeps, each enforced by the database rather
//! than by the caller:
//! - outcomes and reward rows are append-only (triggers refuse UPDATE and
//!   DELETE);
//! - an idempotency key is unique per tenant (primary key), and is only
//!   ever inserted by the commit of its action's outcome;
//! - stock never goes below zero nor above its initial size (CHECK), and
//!   is only changed by conditional updates;
//! - a state row is only overwritten by a writer that read its current
//!   version (compare-and-set on `version`).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

mod batch;
pub mod keys;
pub mod postgres;
mod sql;
pub mod sqlite;
pub mod sweep;

pub use keys::{KeyInfo, KeyStore, NewKey};
pub use sweep::TombstoneStore;

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A row the caller expected is gone, or a name is taken.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A uniqueness rule refused the write.
    #[error("{0} already exists")]
    Duplicate(&'static str),
    /// Something this commit read or claimed changed underneath it; the
    /// caller should reload and run again.
    #[error("write conflict")]
    Conflict,
    /// The commit's idempotency key was committed by another request
    /// first; its stored response is the answer.
    #[error("idempotency key already used")]
    KeyTaken,
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Result alias for store operations.
pub type StoreResult<T> = Result<T, StoreError>;

/// A key's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages a tenant's groups and activities.
    Operator,
    /// Runs actions and reads views on behalf of users.
    Platform,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Platform => "platform",
        }
    }

    /// Parse a stored name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "operator" => Some(Role::Operator),
            "platform" => Some(Role::Platform),
            _ => None,
        }
    }
}

/// A tenant-scoped API key, as looked up by its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// The tenant it belongs to.
    pub tenant_id: String,
    /// What it may do.
    pub role: Role,
}

/// A group (社群) of a tenant.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Group {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Creation time, ms since epoch.
    pub created_at: i64,
}

/// A registered plugin version.
#[derive(Debug, Clone)]
pub struct PluginRecord {
    /// Name from the manifest.
    pub name: String,
    /// Version from the manifest.
    pub version: String,
    /// Hex sha256 of the component bytes.
    pub sha256: String,
    /// The `describe` manifest as JSON.
    pub manifest: String,
    /// Per-plugin limit overrides as JSON (`{}` for none).
    pub limits: String,
    /// Upload time, ms since epoch.
    pub created_at: i64,
}

/// Whether an activity accepts actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActivityStatus {
    /// Accepting actions (within its schedule).
    Active,
    /// Paused by an operator.
    Paused,
}

impl ActivityStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityStatus::Active => "active",
            ActivityStatus::Paused => "paused",
        }
    }

    /// Parse a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(ActivityStatus::Active),
            "paused" => Some(ActivityStatus::Paused),
            _ => None,
        }
    }
}

/// An activity: one configured run of a plugin in a group.
#[derive(Debug, Clone)]
pub struct Activity {
    /// Id.
    pub id: String,
    /// Owning tenant.
    pub tenant_id: String,
    /// Group it runs in.
    pub group_id: String,
    /// Plugin name.
    pub plugin: String,
    /// Plugin version.
    pub plugin_version: String,
    /// sha256 of the plugin component it is bound to.
    pub plugin_sha256: String,
    /// Config JSON, as accepted by the plugin. Immutable.
    pub config: String,
    /// IANA time zone.
    pub timezone: String,
    /// Schedule start, ms since epoch.
    pub starts_at: Option<i64>,
    /// Schedule end, ms since epoch.
    pub ends_at: Option<i64>,
    /// Active or paused.
    pub status: ActivityStatus,
    /// Hex blake3 hash of the activity's randomness key.
    pub key_commitment: String,
    /// Creation time, ms since epoch.
    pub created_at: i64,
}

/// A stock pool's level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StockLevel {
    /// Pool id.
    pub pool: String,
    /// Size at creation.
    pub initial: i64,
    /// Units left.
    pub remaining: i64,
}

/// Identifies one state entry: `user_id` is empty for activity scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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

/// A ledger row for a granted reward.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewardRow {
    /// Who receives it (already resolved: never empty).
    pub user_id: String,
    /// `prize`, `points`, `coupon` or `tickets`.
    pub kind: String,
    /// Item id within the activity.
    pub item: String,
    /// Display name.
    pub name: String,
    /// Positive amount.
    pub amount: i64,
    /// Coupon expiry, ms since epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// Coupon code issued by the host (coupons only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// A reward as stored in the ledger, with its id and, for prizes, its
/// redemption state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerEntry {
    /// Public id: random, so ids cannot be guessed or enumerated.
    pub id: String,
    /// Activity that granted it.
    pub activity_id: String,
    /// Outcome that granted it.
    pub outcome_id: String,
    /// The reward.
    #[serde(flatten)]
    pub reward: RewardRow,
    /// `pending`, `redeemed` or `cancelled` for prizes; `None` otherwise.
    pub state: Option<String>,
    /// Grant time, ms since epoch.
    pub created_at: i64,
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

/// A timer that is due, leased to one worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueTimer {
    /// Timer id.
    pub id: String,
    /// Tenant of the activity.
    pub tenant_id: String,
    /// Activity.
    pub activity_id: String,
    /// Name.
    pub name: String,
    /// Payload JSON.
    pub payload: String,
    /// Due time, ms since epoch.
    pub due_at: i64,
}

/// An event to record with an outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRow {
    /// Dotted type such as `team.succeeded`.
    pub kind: String,
    /// What it is about.
    pub subject: String,
    /// JSON object text.
    pub data: String,
}

/// A recorded event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventRecord {
    /// Position in the tenant's event log; the cursor.
    pub seq: i64,
    /// Activity.
    pub activity_id: String,
    /// Outcome that recorded it.
    pub outcome_id: String,
    /// The event.
    #[serde(flatten)]
    pub event: EventRow,
    /// Time, ms since epoch.
    pub created_at: i64,
}

/// An outcome row. Append-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeRecord {
    /// Server-assigned id (UUIDv7); also the randomness nonce.
    pub id: String,
    /// Tenant.
    pub tenant_id: String,
    /// Activity.
    pub activity_id: String,
    /// Acting user (empty for timers).
    pub user_id: String,
    /// Action name.
    pub action: String,
    /// Payload JSON.
    pub payload: String,
    /// Result JSON returned by the plugin.
    pub result: String,
    /// Rewards granted, as a JSON array of [`RewardRow`].
    pub rewards: String,
    /// What the plugin read (state, stock, clock), as JSON, for replay.
    pub inputs: String,
    /// Hex sha256 over the result, rewards, state writes and stock changes.
    pub effects_hash: String,
    /// sha256 of the plugin that produced it.
    pub plugin_sha256: String,
    /// Fuel the call consumed.
    pub fuel_used: i64,
    /// Commit time, ms since epoch.
    pub created_at: i64,
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

/// A page of outcomes.
#[derive(Debug, Clone)]
pub struct OutcomePage {
    /// Outcomes in id (time) order.
    pub outcomes: Vec<OutcomeRecord>,
    /// Cursor for the next page, if there may be more.
    pub next: Option<String>,
}

/// The storage boundary the rest of the host talks to.
#[async_trait]
pub trait Store: KeyStore + TombstoneStore + Send + Sync + 'static {
    /// `postgres` or `sqlite`.
    fn backend(&self) -> &'static str;

    /// A server-wide setting, such as the randomness secret.
    async fn setting(&self, name: &str) -> StoreResult<Option<String>>;
    /// Set a server-wide setting unless it is already set; returns the
    /// value that is stored afterwards (first writer wins).
    async fn init_setting(&self, name: &str, value: &str) -> StoreResult<String>;

    /// Create a tenant.
    async fn create_tenant(&self, id: &str, name: &str, now: i64) -> StoreResult<()>;
    /// Whether a tenant exists.
    async fn tenant_exists(&self, id: &str) -> StoreResult<bool>;
    /// Store an API key by its hash.
    async fn create_api_key(
        &self,
        key_hash: &str,
        tenant_id: &str,
        role: Role,
        now: i64,
    ) -> StoreResult<()>;
    /// Look an active (unrevoked) API key up by its hash.
    async fn api_key(&self, key_hash: &str) -> StoreResult<Option<ApiKey>>;

    /// Create a group.
    async fn create_group(&self, tenant_id: &str, group: &Group) -> StoreResult<()>;
    /// A tenant's groups, oldest first.
    async fn groups(&self, tenant_id: &str) -> StoreResult<Vec<Group>>;
    /// One group of a tenant.
    async fn group(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Group>>;

    /// Register a plugin version with its bytes. `Duplicate` if the name
    /// and version exist.
    async fn put_plugin(&self, plugin: &PluginRecord, wasm: &[u8]) -> StoreResult<()>;
    /// All plugin versions, by name then upload time.
    async fn plugins(&self) -> StoreResult<Vec<PluginRecord>>;
    /// One plugin version; `version` `None` means the latest uploaded.
    async fn plugin(&self, name: &str, version: Option<&str>) -> StoreResult<Option<PluginRecord>>;
    /// The component bytes of a plugin, by sha256.
    async fn plugin_wasm(&self, sha256: &str) -> StoreResult<Option<Vec<u8>>>;
    /// Replace a plugin version's limit overrides.
    async fn set_plugin_limits(&self, name: &str, version: &str, limits: &str) -> StoreResult<()>;

    /// Create an activity with its stock pools, atomically.
    async fn create_activity(
        &self,
        activity: &Activity,
        stock: &[(String, i64)],
    ) -> StoreResult<()>;
    /// One activity (any tenant; callers check ownership).
    async fn activity(&self, id: &str) -> StoreResult<Option<Activity>>;
    /// A tenant's activities, oldest first, optionally in one group.
    async fn activities(
        &self,
        tenant_id: &str,
        group_id: Option<&str>,
    ) -> StoreResult<Vec<Activity>>;
    /// Pause or resume.
    async fn set_activity_status(&self, id: &str, status: ActivityStatus) -> StoreResult<()>;
    /// Stock levels of an activity, by pool id.
    async fn stock(&self, activity_id: &str) -> StoreResult<Vec<StockLevel>>;

    /// What an action by `user_id` may read, consistent as of one moment.
    async fn snapshot(&self, activity_id: &str, user_id: &str) -> StoreResult<Snapshot>;
    /// Apply an action's changes and append its outcome, all or nothing.
    /// `Conflict` if a read version, a written version or a stock claim no
    /// longer holds; `KeyTaken` if its idempotency key is already stored.
    async fn commit(&self, commit: &ActionCommit) -> StoreResult<()>;
    /// Apply commits in the given order, each all or nothing and answered
    /// on its own, as [`Store::commit`] would one after another, stopping
    /// at the first that fails: the later ones are answered `Conflict`
    /// without being tried. Used for actions that ran one after another
    /// over each other's writes; after a failure their version checks
    /// could pass by coincidence (another writer moving a row the same
    /// number of versions), so they must not be tried.
    async fn commit_chain(&self, commits: &[ActionCommit]) -> Vec<StoreResult<()>> {
        let mut answers = Vec::with_capacity(commits.len());
        for c in commits {
            if answers.iter().any(|a: &StoreResult<()>| a.is_err()) {
                answers.push(Err(StoreError::Conflict));
            } else {
                answers.push(self.commit(c).await);
            }
        }
        answers
    }

    /// The committed response for an idempotency key, if any.
    async fn idempotent_response(
        &self,
        tenant_id: &str,
        key: &str,
    ) -> StoreResult<Option<StoredResponse>>;
    /// Forget idempotency keys committed before `before` (ms since epoch);
    /// returns how many.
    async fn sweep_idempotency(&self, before: i64) -> StoreResult<u64>;

    /// One outcome (any tenant; callers check ownership).
    async fn outcome(&self, id: &str) -> StoreResult<Option<OutcomeRecord>>;
    /// Outcomes of an activity after the cursor (an outcome id), oldest first.
    async fn outcomes(
        &self,
        activity_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<OutcomePage>;
    /// Number of outcomes of an activity.
    async fn count_outcomes(&self, activity_id: &str) -> StoreResult<i64>;
    /// Reward ledger rows of an activity, oldest first.
    async fn rewards(&self, activity_id: &str) -> StoreResult<Vec<RewardRow>>;

    /// State rows of one scope of an activity (`user_id` is the scope key:
    /// a user id, `""` for the activity, `#team:<id>` for a team).
    async fn scope_state(&self, activity_id: &str, scope_key: &str)
    -> StoreResult<Vec<StateEntry>>;
    /// When the user's first outcome with the tenant committed, if any.
    async fn first_seen(&self, tenant_id: &str, user_id: &str) -> StoreResult<Option<i64>>;
    /// A user's balances with a tenant, by currency.
    async fn balances(&self, tenant_id: &str, user_id: &str) -> StoreResult<Vec<(String, i64)>>;
    /// A user's ledger entries with a tenant, newest first.
    async fn user_rewards(&self, tenant_id: &str, user_id: &str) -> StoreResult<Vec<LedgerEntry>>;
    /// Move a prize's redemption state from `from` to `to`, by the
    /// reward's public id: `None` if the tenant has no reward with that id,
    /// `Some(false)` if it is not a prize or not in state `from`.
    async fn set_reward_state(
        &self,
        tenant_id: &str,
        reward_id: &str,
        from: &str,
        to: &str,
        now: i64,
    ) -> StoreResult<Option<bool>>;
    /// Lease up to `limit` pending timers due at `now` for `lease_ms`, so no
    /// other worker takes them meanwhile (`FOR UPDATE SKIP LOCKED` on
    /// Postgres). Expired leases are taken over.
    async fn lease_due_timers(
        &self,
        now: i64,
        lease_ms: i64,
        limit: u32,
    ) -> StoreResult<Vec<DueTimer>>;
    /// Pending timers of an activity, by due time: `(name, due_at)`.
    async fn pending_timers(&self, activity_id: &str) -> StoreResult<Vec<(String, i64)>>;
    /// A tenant's events after the cursor, oldest first.
    async fn events(
        &self,
        tenant_id: &str,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<EventRecord>>;
}
