//! The SQL shared by both backends, one file per aggregate. Each file's
//! macro expands, for a concrete sqlx database, inherent methods named
//! after the [`Store`](super::Store) methods they implement with a `sql_`
//! prefix; [`impl_store!`] expands them all and a `Store` impl that
//! delegates to them, so the statements exist once. The backends only
//! differ in how they open pools, begin a write transaction and whether a
//! validated read takes a row lock.
//!
//! The bodies are inherent methods rather than macros expanded inside the
//! `Store` impl because `#[async_trait]` rewrites the impl's methods
//! before any macro in it expands. Rows are read into structs deriving
//! [`sqlx::FromRow`], which serve both databases, and converted into the
//! store's records next to where they are defined.

pub(super) mod activities;
pub(super) mod audit;
pub(super) mod commit;
pub(super) mod events;
pub(super) mod groups;
pub(super) mod idempotency;
pub(super) mod ledger;
pub(super) mod order;
pub(super) mod outcomes;
pub(super) mod plugins;
pub(super) mod settings;
pub(super) mod snapshot;
pub(super) mod stats;
pub(super) mod tenants;
pub(super) mod timers;

use super::StoreError;

/// A stored value this code does not know, such as an unknown role.
fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("unknown {what} {value:?} in database").into(),
    ))
}

/// Maps constraint violations to the store's vocabulary; `what` names the
/// thing that already exists or whose parent is missing.
pub(super) fn classify(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Duplicate(what),
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => StoreError::NotFound(what),
        // Postgres aborts one side of a deadlock or serialization failure;
        // for the caller that is an ordinary lost race.
        sqlx::Error::Database(d) if matches!(d.code().as_deref(), Some("40P01" | "40001")) => {
            StoreError::Conflict
        }
        _ => StoreError::Database(e),
    }
}

/// Like [`classify`] for a commit, but a uniqueness violation is a lost
/// race (`Conflict`) rather than a duplicate.
pub(super) fn unique_is_conflict(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict,
        _ => classify("timer")(e),
    }
}

/// Implements [`super::Store`] for `$store`, a struct with `read` and
/// `write` pools of database `$db`, a `begin_write` method, a `begin_on`
/// function (the same on a given pool), `fast_commit` and `fast_snapshot`
/// hooks and a `chain_commits` method.
/// `$for_share` is appended to the read-validation query, `$skip_locked` to
/// the timer-leasing subquery, and `$event_lock`, if any, is run (with the
/// tenant id as `$1`) before a commit appends events.
macro_rules! impl_store {
    (
        $store:ty,
        $db:ty,
        backend = $backend:literal,
        for_share = $for_share:literal,
        skip_locked = $skip_locked:literal,
        event_lock = $event_lock:expr $(,)?
    ) => {
        $crate::store::sql::settings::impl_settings!($store, $db);
        $crate::store::sql::tenants::impl_tenants!($store, $db);
        $crate::store::sql::groups::impl_groups!($store, $db, $backend);
        $crate::store::sql::audit::impl_audit!($store, $db);
        $crate::store::sql::stats::impl_stats!($store, $db, $backend);
        $crate::store::sql::plugins::impl_plugins!($store, $db);
        $crate::store::sql::activities::impl_activities!($store, $db);
        $crate::store::sql::snapshot::impl_snapshot!($store, $db);
        $crate::store::sql::commit::impl_commit!(
            $store,
            $db,
            for_share = $for_share,
            event_lock = $event_lock,
        );
        $crate::store::sql::idempotency::impl_idempotency!($store, $db);
        $crate::store::sql::outcomes::impl_outcomes!($store, $db);
        $crate::store::sql::ledger::impl_ledger!($store, $db);
        $crate::store::sql::timers::impl_timers!($store, $db, skip_locked = $skip_locked);
        $crate::store::sql::events::impl_events!($store, $db);

        const _: () = {
            use $crate::store::*;

            #[async_trait::async_trait]
            impl Store for $store {
                fn backend(&self) -> &'static str {
                    $backend
                }

                fn register_metrics(&self, registry: &mut prometheus_client::registry::Registry) {
                    self.commits
                        .register(registry, "arcade_commit", "Action commits");
                }

                async fn setting(&self, name: &str) -> StoreResult<Option<String>> {
                    self.sql_setting(name).await
                }

                async fn init_setting(&self, name: &str, value: &str) -> StoreResult<String> {
                    self.sql_init_setting(name, value).await
                }

                async fn create_tenant(&self, id: &str, name: &str, now: i64) -> StoreResult<()> {
                    self.sql_create_tenant(id, name, now).await
                }

                async fn tenant_exists(&self, id: &str) -> StoreResult<bool> {
                    self.sql_tenant_exists(id).await
                }

                async fn tenant_rate_limit(&self, id: &str) -> StoreResult<Option<String>> {
                    self.sql_tenant_rate_limit(id).await
                }

                async fn set_tenant_rate_limit(
                    &self,
                    id: &str,
                    limit: Option<&str>,
                ) -> StoreResult<bool> {
                    self.sql_set_tenant_rate_limit(id, limit).await
                }

                async fn create_api_key(
                    &self,
                    key_hash: &str,
                    tenant_id: &str,
                    role: Role,
                    now: i64,
                ) -> StoreResult<()> {
                    self.sql_create_api_key(key_hash, tenant_id, role, now)
                        .await
                }

                async fn api_key(&self, key_hash: &str) -> StoreResult<Option<ApiKey>> {
                    self.sql_api_key(key_hash).await
                }

                async fn create_group(&self, tenant_id: &str, group: &Group) -> StoreResult<()> {
                    self.sql_create_group(tenant_id, group).await
                }

                async fn groups(&self, tenant_id: &str) -> StoreResult<Vec<Group>> {
                    self.sql_groups(tenant_id).await
                }

                async fn group(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Group>> {
                    self.sql_group(tenant_id, id).await
                }

                async fn update_group(&self, tenant_id: &str, group: &Group) -> StoreResult<bool> {
                    self.sql_update_group(tenant_id, group).await
                }

                async fn set_group_members(
                    &self,
                    tenant_id: &str,
                    id: &str,
                    members: i64,
                    at: i64,
                ) -> StoreResult<bool> {
                    self.sql_set_group_members(tenant_id, id, members, at).await
                }

                async fn apply_member_events(
                    &self,
                    tenant_id: &str,
                    id: &str,
                    events: &[MemberEvent],
                    at: i64,
                ) -> StoreResult<Option<(Group, usize)>> {
                    self.sql_apply_member_events(tenant_id, id, events, at)
                        .await
                }

                async fn stats_pending(&self, limit: i64) -> StoreResult<Vec<StatPending>> {
                    self.sql_stats_pending(limit).await
                }

                async fn apply_stats(&self, facts: &[StatFact]) -> StoreResult<usize> {
                    self.sql_apply_stats(facts).await
                }

                async fn stat_totals(&self, scope: &str) -> StoreResult<StatTotals> {
                    self.sql_stat_totals(scope).await
                }

                async fn stat_days(
                    &self,
                    activity_id: &str,
                    from: &str,
                    to: &str,
                ) -> StoreResult<Vec<StatDay>> {
                    self.sql_stat_days(activity_id, from, to).await
                }

                async fn stat_range_users(
                    &self,
                    activity_id: &str,
                    from: &str,
                    to: &str,
                ) -> StoreResult<i64> {
                    self.sql_stat_range_users(activity_id, from, to).await
                }

                async fn stat_totals_of(&self, scopes: &[String]) -> StoreResult<Vec<StatTotals>> {
                    self.sql_stat_totals_of(scopes).await
                }

                async fn record_viewers(
                    &self,
                    rows: &[(String, String, String)],
                ) -> StoreResult<()> {
                    self.sql_record_viewers(rows).await
                }

                async fn viewers(
                    &self,
                    activity_id: &str,
                ) -> StoreResult<(i64, Vec<(String, i64)>)> {
                    self.sql_viewers(activity_id).await
                }

                async fn stat_counts(
                    &self,
                    activity_id: &str,
                ) -> StoreResult<$crate::store::StatCounts> {
                    self.sql_stat_counts(activity_id).await
                }

                async fn set_activity_costs(
                    &self,
                    activity_id: &str,
                    costs: &str,
                ) -> StoreResult<()> {
                    self.sql_set_activity_costs(activity_id, costs).await
                }

                async fn record_conversion(&self, c: &Conversion) -> StoreResult<bool> {
                    self.sql_record_conversion(c).await
                }

                async fn stats_backlog(&self) -> StoreResult<i64> {
                    self.sql_stats_backlog().await
                }

                async fn append_audit(&self, tenant_id: &str, e: &AuditEntry) -> StoreResult<()> {
                    self.sql_append_audit(tenant_id, e).await
                }

                async fn audit(
                    &self,
                    tenant_id: &str,
                    after: i64,
                    limit: i64,
                ) -> StoreResult<Vec<AuditEntry>> {
                    self.sql_audit(tenant_id, after, limit).await
                }

                async fn tiers(&self, tenant_id: &str) -> StoreResult<Option<Vec<String>>> {
                    self.sql_tiers(tenant_id).await
                }

                async fn set_tiers(&self, tenant_id: &str, tiers: &[String]) -> StoreResult<()> {
                    self.sql_set_tiers(tenant_id, tiers).await
                }

                async fn put_plugin(&self, p: &PluginRecord, wasm: &[u8]) -> StoreResult<()> {
                    self.sql_put_plugin(p, wasm).await
                }

                async fn plugins(&self) -> StoreResult<Vec<PluginRecord>> {
                    self.sql_plugins().await
                }

                async fn plugin(
                    &self,
                    name: &str,
                    version: Option<&str>,
                ) -> StoreResult<Option<PluginRecord>> {
                    self.sql_plugin(name, version).await
                }

                async fn plugin_wasm(&self, sha256: &str) -> StoreResult<Option<Vec<u8>>> {
                    self.sql_plugin_wasm(sha256).await
                }

                async fn set_plugin_limits(
                    &self,
                    name: &str,
                    version: &str,
                    limits: &str,
                ) -> StoreResult<()> {
                    self.sql_set_plugin_limits(name, version, limits).await
                }

                async fn replace_plugin(&self, p: &PluginRecord, wasm: &[u8]) -> StoreResult<u64> {
                    self.sql_replace_plugin(p, wasm).await
                }

                async fn create_activity(
                    &self,
                    a: &Activity,
                    stock: &[(String, i64)],
                ) -> StoreResult<()> {
                    self.sql_create_activity(a, stock).await
                }

                async fn activity(&self, id: &str) -> StoreResult<Option<Activity>> {
                    self.sql_activity(id).await
                }

                async fn activities(
                    &self,
                    tenant_id: &str,
                    group_id: Option<&str>,
                ) -> StoreResult<Vec<Activity>> {
                    self.sql_activities(tenant_id, group_id).await
                }

                async fn revise_activity(
                    &self,
                    revision: &Revision,
                    stock: &[(String, i64)],
                ) -> StoreResult<()> {
                    self.sql_revise_activity(revision, stock).await
                }

                async fn revisions(&self, activity_id: &str) -> StoreResult<Vec<Revision>> {
                    self.sql_revisions(activity_id).await
                }

                async fn plugin_pins(&self) -> StoreResult<Vec<(String, String, String)>> {
                    self.sql_plugin_pins().await
                }

                async fn set_activity_status(
                    &self,
                    id: &str,
                    status: ActivityStatus,
                ) -> StoreResult<()> {
                    self.sql_set_activity_status(id, status).await
                }

                async fn stock(&self, activity_id: &str) -> StoreResult<Vec<StockLevel>> {
                    self.sql_stock(activity_id).await
                }

                async fn snapshot(
                    &self,
                    activity_id: &str,
                    user_id: &str,
                ) -> StoreResult<Snapshot> {
                    self.sql_snapshot(activity_id, user_id).await
                }

                async fn snapshots(
                    &self,
                    activity_id: &str,
                    users: &[&str],
                ) -> StoreResult<Vec<Snapshot>> {
                    self.many_snapshots(activity_id, users).await
                }

                async fn commit(&self, c: &ActionCommit) -> StoreResult<()> {
                    self.sql_commit(c).await
                }

                async fn commit_chain(&self, cs: &[ActionCommit]) -> Vec<StoreResult<()>> {
                    // Folded, the chain moves each shared row once; if that
                    // fails, one by one finds the commit that failed.
                    if let Some(folded) = $crate::store::squash::squash(cs) {
                        match self.commit_all(&folded).await {
                            Ok(()) => return cs.iter().map(|_| Ok(())).collect(),
                            Err(e) => {
                                tracing::debug!(error = %e, "folded chain refused; one by one")
                            }
                        }
                    }
                    self.chain_commits(cs).await
                }

                async fn idempotent_response(
                    &self,
                    tenant_id: &str,
                    key: &str,
                ) -> StoreResult<Option<StoredResponse>> {
                    self.sql_idempotent_response(tenant_id, key).await
                }

                async fn sweep_idempotency(&self, before: i64) -> StoreResult<u64> {
                    self.sql_sweep_idempotency(before).await
                }

                async fn outcome(&self, id: &str) -> StoreResult<Option<OutcomeRecord>> {
                    self.sql_outcome(id).await
                }

                async fn outcomes(
                    &self,
                    activity_id: &str,
                    after: Option<&str>,
                    limit: u32,
                ) -> StoreResult<OutcomePage> {
                    self.sql_outcomes(activity_id, after, limit).await
                }

                async fn user_outcomes(
                    &self,
                    tenant_id: &str,
                    activity_id: &str,
                    user_id: &str,
                    limit: u32,
                ) -> StoreResult<Vec<OutcomeRecord>> {
                    self.sql_user_outcomes(tenant_id, activity_id, user_id, limit)
                        .await
                }

                async fn count_outcomes(&self, activity_id: &str) -> StoreResult<i64> {
                    self.sql_count_outcomes(activity_id).await
                }

                async fn rewards(&self, activity_id: &str) -> StoreResult<Vec<RewardRow>> {
                    self.sql_rewards(activity_id).await
                }

                async fn scope_state(
                    &self,
                    activity_id: &str,
                    scope_key: &str,
                ) -> StoreResult<Vec<StateEntry>> {
                    self.sql_scope_state(activity_id, scope_key).await
                }

                async fn first_seen(
                    &self,
                    tenant_id: &str,
                    user_id: &str,
                ) -> StoreResult<Option<i64>> {
                    self.sql_first_seen(tenant_id, user_id).await
                }

                async fn balances(
                    &self,
                    tenant_id: &str,
                    user_id: &str,
                ) -> StoreResult<Vec<(String, i64)>> {
                    self.sql_balances(tenant_id, user_id).await
                }

                async fn user_ledger(
                    &self,
                    tenant_id: &str,
                    user_id: &str,
                    query: &LedgerQuery,
                ) -> StoreResult<Vec<LedgerLine>> {
                    self.sql_user_ledger(tenant_id, user_id, query).await
                }

                async fn set_reward_state(
                    &self,
                    tenant_id: &str,
                    reward_id: &str,
                    from: &str,
                    to: &str,
                    now: i64,
                ) -> StoreResult<Option<bool>> {
                    self.sql_set_reward_state(tenant_id, reward_id, from, to, now)
                        .await
                }

                async fn lease_due_timers(
                    &self,
                    now: i64,
                    lease_ms: i64,
                    limit: u32,
                ) -> StoreResult<Vec<DueTimer>> {
                    self.sql_lease_due_timers(now, lease_ms, limit).await
                }

                async fn pending_timers(
                    &self,
                    activity_id: &str,
                ) -> StoreResult<Vec<(String, i64)>> {
                    self.sql_pending_timers(activity_id).await
                }

                async fn timers_due(&self, now: i64) -> StoreResult<i64> {
                    self.sql_timers_due(now).await
                }

                async fn events(
                    &self,
                    tenant_id: &str,
                    after: Option<i64>,
                    limit: u32,
                ) -> StoreResult<Vec<EventRecord>> {
                    self.sql_events(tenant_id, after, limit).await
                }

                async fn events_where(
                    &self,
                    tenant_id: &str,
                    after: Option<i64>,
                    limit: u32,
                    activity_id: Option<&str>,
                    kind: Option<&str>,
                ) -> StoreResult<Vec<EventRecord>> {
                    self.sql_events_where(tenant_id, after, limit, activity_id, kind)
                        .await
                }
            }
        };
    };
}

pub(super) use impl_store;
