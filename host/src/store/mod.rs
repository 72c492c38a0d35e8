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

mod action;
mod batch;
pub mod enablements;
pub mod exports;
pub mod fulfilment;
pub mod keys;
pub mod postgres;
mod records;
mod sql;
pub mod sqlite;
mod squash;
pub mod sweep;
pub mod webhooks;

pub use action::{
    ActionCommit, BalanceChange, IdempotencyRecord, Snapshot, StateEntry, StateKey, StateRead,
    StateWrite, StoredResponse, TimerChange,
};
pub use enablements::{Announcement, Enablement, EnablementStore};
pub use exports::{ExportJob, ExportStore, RewardExport};
pub use fulfilment::{FulfilmentItem, FulfilmentStore, Refusal, Settlement};
pub use keys::{KeyInfo, KeyStore, NewKey};
pub use records::{
    Activity, ActivityStatus, ApiKey, AuditEntry, Conversion, DueTimer, EventRecord, EventRow,
    Group, LedgerCursor, LedgerEntry, LedgerLine, LedgerQuery, MemberEvent, MemberEventKind,
    OutcomePage, OutcomeRecord, PluginRecord, Revision, RewardRow, Role, StatCounts, StatDay,
    StatFact, StatPending, StatTotals, StockLevel,
};
pub use sweep::TombstoneStore;
pub use webhooks::{
    AttemptRecord, AttemptVerdict, ClaimedDelivery, NewDelivery, WebhookAttempt, WebhookDelivery,
    WebhookEndpoint, WebhookStore,
};

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
    /// A stock pool would shrink below what was already claimed from it.
    #[error("stock pool {pool} has {claimed} claimed")]
    StockClaimed {
        /// The pool.
        pool: String,
        /// What was claimed from it.
        claimed: i64,
    },
    /// A group's stock share needs more units than the shared pool has
    /// left.
    #[error("stock pool {pool} has {available} units left")]
    StockShort {
        /// The pool.
        pool: String,
        /// Units left in the shared pool.
        available: i64,
    },
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Result alias for store operations.
pub type StoreResult<T> = Result<T, StoreError>;

/// The storage boundary the rest of the host talks to.
#[async_trait]
pub trait Store:
    KeyStore
    + TombstoneStore
    + EnablementStore
    + ExportStore
    + FulfilmentStore
    + WebhookStore
    + Send
    + Sync
    + 'static
{
    /// `postgres` or `sqlite`.
    fn backend(&self) -> &'static str;

    /// Register the store's own metrics (its commit queue) in `registry`.
    fn register_metrics(&self, registry: &mut prometheus_client::registry::Registry);

    /// A server-wide setting, such as the randomness secret.
    async fn setting(&self, name: &str) -> StoreResult<Option<String>>;
    /// Set a server-wide setting unless it is already set; returns the
    /// value that is stored afterwards (first writer wins).
    async fn init_setting(&self, name: &str, value: &str) -> StoreResult<String>;

    /// Create a tenant.
    async fn create_tenant(&self, id: &str, name: &str, now: i64) -> StoreResult<()>;
    /// Whether a tenant exists.
    async fn tenant_exists(&self, id: &str) -> StoreResult<bool>;
    /// A tenant's rate limit per API key, as stored (JSON), if it has one.
    async fn tenant_rate_limit(&self, id: &str) -> StoreResult<Option<String>>;
    /// Set or (with `None`) remove a tenant's rate limit; `false` if there
    /// is no such tenant.
    async fn set_tenant_rate_limit(&self, id: &str, limit: Option<&str>) -> StoreResult<bool>;
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
    /// Replace a group's name, tier and tags; false if there is no such
    /// group of the tenant.
    async fn update_group(&self, tenant_id: &str, group: &Group) -> StoreResult<bool>;
    /// Record a group's member count as reported at `at`; false if there
    /// is no such group of the tenant.
    async fn set_group_members(
        &self,
        tenant_id: &str,
        id: &str,
        members: i64,
        at: i64,
    ) -> StoreResult<bool>;
    /// Apply a platform's join and leave events to a group's member set,
    /// in order and in one transaction, moving its count with them: a
    /// join of a member or a leave of a non-member changes nothing; each
    /// other event moves the count by one (never below zero) and stamps
    /// it `at`. Returns the group afterwards and how many events changed
    /// the set; `None` if there is no such group of the tenant.
    async fn apply_member_events(
        &self,
        tenant_id: &str,
        id: &str,
        events: &[MemberEvent],
        at: i64,
    ) -> StoreResult<Option<(Group, usize)>>;
    /// Up to `limit` committed outcomes not yet counted by the statistics.
    async fn stats_pending(&self, limit: i64) -> StoreResult<Vec<StatPending>>;
    /// Count `facts` in one transaction, each only if this call takes its
    /// outcome off the queue (so each is counted once, whoever applies
    /// it); returns how many it counted.
    async fn apply_stats(&self, facts: &[StatFact]) -> StoreResult<usize>;
    /// Running totals of `activity:<id>` or `group:<id>` (zeros if none).
    async fn stat_totals(&self, scope: &str) -> StoreResult<StatTotals>;
    /// An activity's days from `from` to `to` (inclusive, `YYYY-MM-DD`).
    async fn stat_days(&self, activity_id: &str, from: &str, to: &str)
    -> StoreResult<Vec<StatDay>>;
    /// Distinct users of an activity from `from` to `to`.
    async fn stat_range_users(&self, activity_id: &str, from: &str, to: &str) -> StoreResult<i64>;
    /// Running totals of each scope, in the order given (zeros if none),
    /// in one query.
    async fn stat_totals_of(&self, scopes: &[String]) -> StoreResult<Vec<StatTotals>>;
    /// Record that users viewed activities on business days:
    /// `(activity id, day, user id)`, each kept once.
    async fn record_viewers(&self, rows: &[(String, String, String)]) -> StoreResult<()>;
    /// An activity's viewers: distinct users in all, and per day (oldest
    /// first).
    async fn viewers(&self, activity_id: &str) -> StoreResult<(i64, Vec<(String, i64)>)>;
    /// An activity's event and fission counts, in one query.
    async fn stat_counts(&self, activity_id: &str) -> StoreResult<StatCounts>;
    /// Replace an activity's reward unit costs (JSON map item -> fen).
    async fn set_activity_costs(&self, activity_id: &str, costs: &str) -> StoreResult<()>;
    /// Record a conversion and add it to its activity's totals in one
    /// transaction; false (nothing changed) if its id was recorded before.
    async fn record_conversion(&self, c: &Conversion) -> StoreResult<bool>;
    /// Outcomes waiting to be counted.
    async fn stats_backlog(&self) -> StoreResult<i64>;
    /// Append to a tenant's audit log (`seq` is assigned).
    async fn append_audit(&self, tenant_id: &str, entry: &AuditEntry) -> StoreResult<()>;
    /// A tenant's audit log after `after`, oldest first, at most `limit`.
    async fn audit(&self, tenant_id: &str, after: i64, limit: i64) -> StoreResult<Vec<AuditEntry>>;
    /// A tenant's tiers, lowest first; `None` if there is no such tenant.
    async fn tiers(&self, tenant_id: &str) -> StoreResult<Option<Vec<String>>>;
    /// Replace a tenant's tiers.
    async fn set_tiers(&self, tenant_id: &str, tiers: &[String]) -> StoreResult<()>;

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
    /// Replace a registered plugin version's bytes, hash and manifest (its
    /// limit overrides stay) and move the activities on that version to
    /// them, in one transaction; returns how many activities moved.
    /// `NotFound` if the version is not registered. Only for dev mode
    /// (`Arcade::set_dev_mode`): released versions are immutable.
    async fn replace_plugin(&self, plugin: &PluginRecord, wasm: &[u8]) -> StoreResult<u64>;

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
    /// Which activities pin which plugin build, over every tenant:
    /// `(plugin sha256, tenant id, activity id)`, by build.
    async fn plugin_pins(&self) -> StoreResult<Vec<(String, String, String)>>;
    /// Pause or resume.
    async fn set_activity_status(&self, id: &str, status: ActivityStatus) -> StoreResult<()>;
    /// Make `revision` the activity's config, in one transaction: only if
    /// the current revision is the one before (else `Conflict`), with its
    /// record, and each pool of `stock` resized (a new one created): a
    /// pool keeps what was claimed from it, so a size below that is
    /// `StockClaimed` and nothing changes.
    async fn revise_activity(
        &self,
        revision: &Revision,
        stock: &[(String, i64)],
    ) -> StoreResult<()>;
    /// An activity's revisions, oldest first.
    async fn revisions(&self, activity_id: &str) -> StoreResult<Vec<Revision>>;
    /// Stock levels of an activity, by pool id.
    async fn stock(&self, activity_id: &str) -> StoreResult<Vec<StockLevel>>;

    /// What an action by `user_id` may read, consistent as of one moment.
    async fn snapshot(&self, activity_id: &str, user_id: &str) -> StoreResult<Snapshot>;
    /// [`Store::snapshot`] of one activity for each of `users` (a hot
    /// activity's round), in their order; a backend may read them in one
    /// statement.
    async fn snapshots(&self, activity_id: &str, users: &[&str]) -> StoreResult<Vec<Snapshot>> {
        futures::future::try_join_all(users.iter().map(|u| self.snapshot(activity_id, u))).await
    }
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
    /// One user's outcomes of an activity, newest first, at most `limit`.
    async fn user_outcomes(
        &self,
        tenant_id: &str,
        activity_id: &str,
        user_id: &str,
        limit: u32,
    ) -> StoreResult<Vec<OutcomeRecord>>;
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
    /// A page of a user's ledger with a tenant, newest first: the rewards
    /// granted to them and (if asked) what their outcomes spent.
    async fn user_ledger(
        &self,
        tenant_id: &str,
        user_id: &str,
        query: &LedgerQuery,
    ) -> StoreResult<Vec<LedgerLine>>;
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
    /// How many pending timers are due at `now`, leased or not: the timer
    /// workers' backlog.
    async fn timers_due(&self, now: i64) -> StoreResult<i64>;
    /// Pending timers of an activity, by due time: `(name, due_at)`.
    async fn pending_timers(&self, activity_id: &str) -> StoreResult<Vec<(String, i64)>>;
    /// A tenant's events after the cursor, oldest first.
    async fn events(
        &self,
        tenant_id: &str,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<EventRecord>>;
    /// As [`Store::events`], only those of one activity and/or one type.
    async fn events_where(
        &self,
        tenant_id: &str,
        after: Option<i64>,
        limit: u32,
        activity_id: Option<&str>,
        kind: Option<&str>,
    ) -> StoreResult<Vec<EventRecord>>;
}
