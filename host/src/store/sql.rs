//! The SQL shared by both backends. [`impl_store!`] expands the same method
//! bodies for a concrete sqlx database so the statements exist once; the
//! backends only differ in how they open pools, begin a write transaction
//! and whether a validated read takes a row lock.

use std::collections::BTreeMap;

use super::{
    ActionCommit, Activity, ActivityStatus, DueTimer, EventRecord, EventRow, Group, LedgerEntry,
    OutcomeRecord, PluginRecord, RewardRow, Role, Snapshot, StateEntry, StateKey, StockLevel,
    StoreError, TimerChange,
};

/// Row tuples, in the column order of the matching `*_COLS` constant.
pub(super) type GroupRow = (String, String, i64);
pub(super) type PluginRow = (String, String, String, String, String, i64);
pub(super) type ActivityRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<i64>,
    String,
    String,
    i64,
);
pub(super) type OutcomeRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
);
/// `reward_cols!()`: user_id, kind, item, name, amount, expires_at, code.
pub(super) type RewardRowRow = (
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<String>,
);
/// public id, activity_id, outcome_id, state, created_at, then
/// `reward_cols!()`.
pub(super) type LedgerRow = (
    String,
    String,
    String,
    Option<String>,
    i64,
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<String>,
);
/// id, tenant_id, activity_id, name, payload, due_at.
pub(super) type TimerRow = (String, String, String, String, String, i64);
/// seq, activity_id, outcome_id, kind, subject, data, created_at.
pub(super) type EventRecordRow = (i64, String, String, String, String, String, i64);
/// One row of the snapshot query: `(kind, a, b, value, n, m)` where kind
/// `s` is a state entry `(user_id, key, value, version, _)` and kind `k` a
/// stock pool `(pool, _, _, initial, remaining)`.
pub(super) type SnapshotRow = (String, String, String, Option<String>, i64, i64);

/// One action's snapshot (`$1` activity, `$2` user) in one statement, so
/// one consistent view in one round trip. Each branch is an equality on a
/// key prefix. With an IN list, Postgres cached a generic plan, made while
/// the table was nearly empty, that used only `activity_id` in the index
/// and filtered every state row of the activity.
pub(super) const SNAPSHOT: &str = "\
    SELECT 's', user_id, key, value, version, CAST(0 AS BIGINT) FROM state \
    WHERE activity_id = $1 AND user_id = '' \
    UNION ALL \
    SELECT 's', user_id, key, value, version, CAST(0 AS BIGINT) FROM state \
    WHERE activity_id = $1 AND user_id = $2 AND user_id <> '' \
    UNION ALL \
    SELECT 'k', pool, '', NULL, initial, remaining FROM stock \
    WHERE activity_id = $1";

/// A snapshot from the rows of [`SNAPSHOT`], state and stock in key order.
pub(super) fn snapshot_from_rows(rows: impl IntoIterator<Item = SnapshotRow>) -> Snapshot {
    let mut snap = Snapshot::default();
    for (kind, a, b, value, n, m) in rows {
        if kind == "s" {
            snap.state.push(StateEntry {
                key: StateKey { user_id: a, key: b },
                value,
                version: n,
            });
        } else {
            snap.stock.push(StockLevel {
                pool: a,
                initial: n,
                remaining: m,
            });
        }
    }
    snap.state.sort_by(|x, y| x.key.cmp(&y.key));
    snap.stock.sort_by(|x, y| x.pool.cmp(&y.pool));
    snap
}

// Column lists as literal-producing macros so `concat!` can splice them
// into `&'static str` queries.
macro_rules! plugin_cols {
    () => {
        "name, version, sha256, manifest, limits, created_at"
    };
}
macro_rules! activity_cols {
    () => {
        "id, tenant_id, group_id, plugin, plugin_version, plugin_sha256, config, timezone, \
         starts_at, ends_at, status, key_commitment, created_at"
    };
}
macro_rules! outcome_cols {
    () => {
        "id, tenant_id, activity_id, user_id, action, payload, result, rewards, inputs, \
         effects_hash, plugin_sha256, fuel_used, created_at"
    };
}
macro_rules! reward_cols {
    () => {
        "user_id, kind, item, name, amount, expires_at, code"
    };
}
pub(super) use {activity_cols, outcome_cols, plugin_cols, reward_cols};

pub(super) fn group(r: GroupRow) -> Group {
    Group {
        id: r.0,
        name: r.1,
        created_at: r.2,
    }
}

pub(super) fn plugin(r: PluginRow) -> PluginRecord {
    PluginRecord {
        name: r.0,
        version: r.1,
        sha256: r.2,
        manifest: r.3,
        limits: r.4,
        created_at: r.5,
    }
}

pub(super) fn activity(r: ActivityRow) -> Result<Activity, StoreError> {
    Ok(Activity {
        status: ActivityStatus::parse(&r.10).ok_or_else(|| corrupt("activity status", &r.10))?,
        id: r.0,
        tenant_id: r.1,
        group_id: r.2,
        plugin: r.3,
        plugin_version: r.4,
        plugin_sha256: r.5,
        config: r.6,
        timezone: r.7,
        starts_at: r.8,
        ends_at: r.9,
        key_commitment: r.11,
        created_at: r.12,
    })
}

pub(super) fn outcome(r: OutcomeRow) -> OutcomeRecord {
    OutcomeRecord {
        id: r.0,
        tenant_id: r.1,
        activity_id: r.2,
        user_id: r.3,
        action: r.4,
        payload: r.5,
        result: r.6,
        rewards: r.7,
        inputs: r.8,
        effects_hash: r.9,
        plugin_sha256: r.10,
        fuel_used: r.11,
        created_at: r.12,
    }
}

pub(super) fn reward(r: RewardRowRow) -> RewardRow {
    RewardRow {
        user_id: r.0,
        kind: r.1,
        item: r.2,
        name: r.3,
        amount: r.4,
        expires_at: r.5,
        code: r.6,
    }
}

pub(super) fn ledger_entry(r: LedgerRow) -> LedgerEntry {
    LedgerEntry {
        id: r.0,
        activity_id: r.1,
        outcome_id: r.2,
        state: r.3,
        created_at: r.4,
        reward: reward((r.5, r.6, r.7, r.8, r.9, r.10, r.11)),
    }
}

pub(super) fn due_timer(r: TimerRow) -> DueTimer {
    DueTimer {
        id: r.0,
        tenant_id: r.1,
        activity_id: r.2,
        name: r.3,
        payload: r.4,
        due_at: r.5,
    }
}

pub(super) fn event(r: EventRecordRow) -> EventRecord {
    EventRecord {
        seq: r.0,
        activity_id: r.1,
        outcome_id: r.2,
        event: EventRow {
            kind: r.3,
            subject: r.4,
            data: r.5,
        },
        created_at: r.6,
    }
}

pub(super) fn role(s: &str) -> Result<Role, StoreError> {
    Role::parse(s).ok_or_else(|| corrupt("role", s))
}

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

/// A commit's balance changes, netted per `(user, currency)` and in that
/// key order, so concurrent commits lock balance rows in one order.
/// Netting is sound because the commit is atomic: only the final balance
/// of each row is visible, and it is checked.
pub(super) fn balance_steps(c: &ActionCommit) -> BTreeMap<(&str, &str), i64> {
    let mut net = BTreeMap::new();
    for b in &c.balances {
        let d = net
            .entry((b.user_id.as_str(), b.currency.as_str()))
            .or_insert(0i64);
        *d = d.saturating_add(b.delta);
    }
    net
}

/// A commit's timer changes in name order (a stable sort: changes to one
/// name keep their order), so concurrent commits lock timer rows in one
/// order; changes to different names commute.
pub(super) fn timer_steps(c: &ActionCommit) -> Vec<&TimerChange> {
    let mut steps: Vec<_> = c.timers.iter().collect();
    steps.sort_by_key(|t| match t {
        TimerChange::Schedule { name, .. } | TimerChange::Cancel { name } => name.as_str(),
    });
    steps
}

/// A step of a commit's state phase. Writes and validated reads are taken
/// in one key order so two commits never wait on each other's row locks in
/// opposite orders.
pub(super) enum StateStep<'a> {
    Write(&'a super::StateWrite),
    Read(&'a super::StateRead),
}

impl StateStep<'_> {
    fn key(&self) -> &StateKey {
        match self {
            StateStep::Write(w) => &w.key,
            StateStep::Read(r) => &r.key,
        }
    }
}

impl<'a> StateStep<'a> {
    /// `(key, is_write, value, version)`: for a write the expected version,
    /// for a read the version read.
    pub(super) fn parts(&self) -> (&'a StateKey, bool, Option<&'a str>, Option<i64>) {
        match self {
            StateStep::Write(w) => (&w.key, true, w.value.as_deref(), w.expected_version),
            StateStep::Read(r) => (&r.key, false, None, r.version),
        }
    }
}

pub(super) fn state_steps(c: &ActionCommit) -> Vec<StateStep<'_>> {
    let mut steps: Vec<_> = c
        .writes
        .iter()
        .map(StateStep::Write)
        .chain(c.reads.iter().map(StateStep::Read))
        .collect();
    steps.sort_by(|a, b| a.key().cmp(b.key()));
    steps
}

/// Implements [`super::Store`] for `$store`, a struct with `read` and
/// `write` pools of database `$db`, a `begin_write` method, a `begin_on`
/// function (the same on a given pool), and `fast_commit` and
/// `fast_snapshot` hooks.
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
        const _: () = {
            use $crate::store::*;
            use $crate::store::sql;

            /// Taken once per commit that appends events, bound to the
            /// tenant id; see the backend for why.
            const EVENT_LOCK: Option<&str> = $event_lock;

            impl $store {
                /// Commit `c` in a transaction of its own, statement by
                /// statement.
                async fn commit_alone(
                    write: &sqlx::Pool<$db>,
                    c: &ActionCommit,
                ) -> StoreResult<()> {
                    let conflict = sql::classify("outcome");
                    let mut tx = Self::begin_on(write).await.map_err(&conflict)?;
                    // Roll back explicitly rather than on drop, so a losing
                    // commit releases its row locks before we return.
                    match Self::apply_commit(&mut *tx, c).await {
                        Ok(()) => tx.commit().await.map_err(&conflict),
                        Err(e) => {
                            tx.rollback().await?;
                            Err(e)
                        }
                    }
                }

                /// Apply every change of `c` on `tx`, which the caller
                /// commits (or rolls back, on an error).
                async fn apply_commit(
                    tx: &mut <$db as sqlx::Database>::Connection,
                    c: &ActionCommit,
                ) -> StoreResult<()> {
                    let o = &c.outcome;
                    let conflict = sql::classify("outcome");

                    // The key first: a request already committed under it
                    // makes this commit a repeat, whatever else holds.
                    if let Some(k) = &c.idempotency {
                        let done = sqlx::query::<$db>(
                            "INSERT INTO idempotency \
                             (tenant_id, key, request_hash, response, created_at) \
                             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                        )
                        .bind(&o.tenant_id)
                        .bind(&k.key)
                        .bind(&k.request_hash)
                        .bind(&k.response)
                        .bind(o.created_at)
                        .execute(&mut *tx)
                        .await
                        .map_err(&conflict)?;
                        if done.rows_affected() == 0 {
                            return Err(StoreError::KeyTaken);
                        }
                    }

                    let mut stock: Vec<_> = c.stock.iter().collect();
                    stock.sort();
                    for (pool, delta) in stock {
                        let done = sqlx::query::<$db>(
                            "UPDATE stock SET remaining = remaining + $3 \
                             WHERE activity_id = $1 AND pool = $2 \
                             AND remaining + $3 >= 0 AND remaining + $3 <= initial",
                        )
                        .bind(&o.activity_id)
                        .bind(pool)
                        .bind(*delta)
                        .execute(&mut *tx)
                        .await
                        .map_err(&conflict)?;
                        if done.rows_affected() == 0 {
                            return Err(StoreError::Conflict);
                        }
                    }

                    // Net change per (user, currency), in key order.
                    for ((user, currency), delta) in sql::balance_steps(c) {
                        if delta > 0 {
                            sqlx::query::<$db>(
                                "INSERT INTO balances (tenant_id, user_id, currency, balance) \
                                 VALUES ($1, $2, $3, $4) \
                                 ON CONFLICT (tenant_id, user_id, currency) \
                                 DO UPDATE SET balance = balances.balance + excluded.balance",
                            )
                            .bind(&o.tenant_id)
                            .bind(user)
                            .bind(currency)
                            .bind(delta)
                            .execute(&mut *tx)
                            .await
                            .map_err(&conflict)?;
                        } else if delta < 0 {
                            // A missing row is a zero balance: nothing
                            // to debit, so no row matches either.
                            let done = sqlx::query::<$db>(
                                "UPDATE balances SET balance = balance + $4 \
                                 WHERE tenant_id = $1 AND user_id = $2 AND currency = $3 \
                                 AND balance + $4 >= 0",
                            )
                            .bind(&o.tenant_id)
                            .bind(user)
                            .bind(currency)
                            .bind(delta)
                            .execute(&mut *tx)
                            .await
                            .map_err(&conflict)?;
                            if done.rows_affected() == 0 {
                                return Err(StoreError::Conflict);
                            }
                        }
                    }

                    for step in sql::state_steps(c) {
                        let ok = match step {
                            sql::StateStep::Write(w) => {
                                let q = match w.expected_version {
                                    Some(v) => sqlx::query::<$db>(
                                        "UPDATE state SET value = $4, version = version + 1 \
                                         WHERE activity_id = $1 AND user_id = $2 AND key = $3 \
                                         AND version = $5",
                                    )
                                    .bind(&o.activity_id)
                                    .bind(&w.key.user_id)
                                    .bind(&w.key.key)
                                    .bind(&w.value)
                                    .bind(v),
                                    None => sqlx::query::<$db>(
                                        "INSERT INTO state \
                                         (activity_id, user_id, key, value, version) \
                                         VALUES ($1, $2, $3, $4, 1) ON CONFLICT DO NOTHING",
                                    )
                                    .bind(&o.activity_id)
                                    .bind(&w.key.user_id)
                                    .bind(&w.key.key)
                                    .bind(&w.value),
                                };
                                q.execute(&mut *tx).await.map_err(&conflict)?.rows_affected() == 1
                            }
                            sql::StateStep::Read(r) => {
                                let current = sqlx::query_scalar::<$db, i64>(concat!(
                                    "SELECT version FROM state \
                                     WHERE activity_id = $1 AND user_id = $2 AND key = $3",
                                    $for_share
                                ))
                                .bind(&o.activity_id)
                                .bind(&r.key.user_id)
                                .bind(&r.key.key)
                                .fetch_optional(&mut *tx)
                                .await
                                .map_err(&conflict)?;
                                current == r.version
                            }
                        };
                        if !ok {
                            return Err(StoreError::Conflict);
                        }
                    }

                    // The timer this outcome fires goes first, so the
                    // outcome may schedule a timer of the same name.
                    if let Some(id) = &c.fired_timer {
                        let done = sqlx::query::<$db>(
                            "UPDATE timers SET state = 'fired', fired_at = $2 \
                             WHERE id = $1 AND activity_id = $3 AND state = 'pending'",
                        )
                        .bind(id)
                        .bind(o.created_at)
                        .bind(&o.activity_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(&conflict)?;
                        if done.rows_affected() == 0 {
                            return Err(StoreError::Conflict);
                        }
                    }
                    for change in sql::timer_steps(c) {
                        let name = match change {
                            TimerChange::Schedule { name, .. } | TimerChange::Cancel { name } => {
                                name
                            }
                        };
                        sqlx::query::<$db>(
                            "UPDATE timers SET state = 'cancelled' \
                             WHERE activity_id = $1 AND name = $2 AND state = 'pending'",
                        )
                        .bind(&o.activity_id)
                        .bind(name)
                        .execute(&mut *tx)
                        .await
                        .map_err(&conflict)?;
                        if let TimerChange::Schedule {
                            id,
                            name,
                            due_at,
                            payload,
                        } = change
                        {
                            sqlx::query::<$db>(
                                "INSERT INTO timers (id, tenant_id, activity_id, name, payload, \
                                 due_at, state, leased_until, fired_at, created_at) \
                                 VALUES ($1, $2, $3, $4, $5, $6, 'pending', NULL, NULL, $7)",
                            )
                            .bind(id)
                            .bind(&o.tenant_id)
                            .bind(&o.activity_id)
                            .bind(name)
                            .bind(payload)
                            .bind(*due_at)
                            .bind(o.created_at)
                            .execute(&mut *tx)
                            .await
                            // A concurrent commit scheduled the same
                            // name first: a lost race like any other.
                            .map_err(sql::unique_is_conflict)?;
                        }
                    }

                    for r in &c.rewards {
                        let id = sqlx::query_scalar::<$db, i64>(
                            "INSERT INTO rewards (tenant_id, activity_id, outcome_id, user_id, \
                             kind, item, name, amount, expires_at, code, created_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                             RETURNING id",
                        )
                        .bind(&o.tenant_id)
                        .bind(&o.activity_id)
                        .bind(&o.id)
                        .bind(&r.user_id)
                        .bind(&r.kind)
                        .bind(&r.item)
                        .bind(&r.name)
                        .bind(r.amount)
                        .bind(r.expires_at)
                        .bind(&r.code)
                        .bind(o.created_at)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(&conflict)?;
                        if r.kind == "prize" {
                            sqlx::query::<$db>(
                                "INSERT INTO reward_states \
                                 (reward_id, tenant_id, state, updated_at) \
                                 VALUES ($1, $2, 'pending', $3)",
                            )
                            .bind(id)
                            .bind(&o.tenant_id)
                            .bind(o.created_at)
                            .execute(&mut *tx)
                            .await
                            .map_err(&conflict)?;
                        }
                    }

                    if !c.events.is_empty() {
                        if let Some(lock) = EVENT_LOCK {
                            sqlx::query::<$db>(lock)
                                .bind(&o.tenant_id)
                                .execute(&mut *tx)
                                .await
                                .map_err(&conflict)?;
                        }
                        for e in &c.events {
                            sqlx::query::<$db>(
                                "INSERT INTO events (tenant_id, activity_id, outcome_id, \
                                 kind, subject, data, created_at) \
                                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                            )
                            .bind(&o.tenant_id)
                            .bind(&o.activity_id)
                            .bind(&o.id)
                            .bind(&e.kind)
                            .bind(&e.subject)
                            .bind(&e.data)
                            .bind(o.created_at)
                            .execute(&mut *tx)
                            .await
                            .map_err(&conflict)?;
                        }
                    }

                    sqlx::query::<$db>(concat!(
                        "INSERT INTO outcomes (",
                        sql::outcome_cols!(),
                        ") \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
                    ))
                    .bind(&o.id)
                    .bind(&o.tenant_id)
                    .bind(&o.activity_id)
                    .bind(&o.user_id)
                    .bind(&o.action)
                    .bind(&o.payload)
                    .bind(&o.result)
                    .bind(&o.rewards)
                    .bind(&o.inputs)
                    .bind(&o.effects_hash)
                    .bind(&o.plugin_sha256)
                    .bind(o.fuel_used)
                    .bind(o.created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(&conflict)?;

                    Ok(())
                }
            }

            #[async_trait::async_trait]
            impl Store for $store {
                fn backend(&self) -> &'static str {
                    $backend
                }

                async fn setting(&self, name: &str) -> StoreResult<Option<String>> {
                    Ok(sqlx::query_scalar::<$db, String>(
                        "SELECT value FROM settings WHERE name = $1",
                    )
                    .bind(name)
                    .fetch_optional(&self.read)
                    .await?)
                }

                async fn init_setting(&self, name: &str, value: &str) -> StoreResult<String> {
                    sqlx::query::<$db>(
                        "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    )
                    .bind(name)
                    .bind(value)
                    .execute(&self.write)
                    .await?;
                    // Read through the write pool: on SQLite it is the
                    // connection that just wrote, so the row is visible.
                    Ok(sqlx::query_scalar::<$db, String>(
                        "SELECT value FROM settings WHERE name = $1",
                    )
                    .bind(name)
                    .fetch_one(&self.write)
                    .await?)
                }

                async fn create_tenant(&self, id: &str, name: &str, now: i64) -> StoreResult<()> {
                    sqlx::query::<$db>("INSERT INTO tenants (id, name, created_at) \
                         VALUES ($1, $2, $3)")
                        .bind(id)
                        .bind(name)
                        .bind(now)
                        .execute(&self.write)
                        .await
                        .map_err(sql::classify("tenant"))?;
                    Ok(())
                }

                async fn tenant_exists(&self, id: &str) -> StoreResult<bool> {
                    Ok(sqlx::query::<$db>("SELECT 1 FROM tenants WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&self.read)
                        .await?
                        .is_some())
                }

                async fn create_api_key(
                    &self,
                    key_hash: &str,
                    tenant_id: &str,
                    role: Role,
                    now: i64,
                ) -> StoreResult<()> {
                    sqlx::query::<$db>(
                        "INSERT INTO api_keys (key_hash, tenant_id, role, created_at) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(key_hash)
                    .bind(tenant_id)
                    .bind(role.as_str())
                    .bind(now)
                    .execute(&self.write)
                    .await
                    .map_err(sql::classify("api key"))?;
                    Ok(())
                }

                async fn api_key(&self, key_hash: &str) -> StoreResult<Option<ApiKey>> {
                    let row = sqlx::query_as::<$db, (String, String)>(
                        "SELECT tenant_id, role FROM api_keys \
                         WHERE key_hash = $1 AND revoked_at IS NULL",
                    )
                    .bind(key_hash)
                    .fetch_optional(&self.read)
                    .await?;
                    row.map(|(tenant_id, role)| {
                        Ok(ApiKey {
                            tenant_id,
                            role: sql::role(&role)?,
                        })
                    })
                    .transpose()
                }

                async fn create_group(&self, tenant_id: &str, group: &Group) -> StoreResult<()> {
                    sqlx::query::<$db>(
                        "INSERT INTO groups (id, tenant_id, name, created_at) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(&group.id)
                    .bind(tenant_id)
                    .bind(&group.name)
                    .bind(group.created_at)
                    .execute(&self.write)
                    .await
                    .map_err(sql::classify("group"))?;
                    Ok(())
                }

                async fn groups(&self, tenant_id: &str) -> StoreResult<Vec<Group>> {
                    let rows = sqlx::query_as::<$db, sql::GroupRow>(
                        "SELECT id, name, created_at FROM groups WHERE tenant_id = $1 \
                         ORDER BY created_at, id",
                    )
                    .bind(tenant_id)
                    .fetch_all(&self.read)
                    .await?;
                    Ok(rows.into_iter().map(sql::group).collect())
                }

                async fn group(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Group>> {
                    let row = sqlx::query_as::<$db, sql::GroupRow>(
                        "SELECT id, name, created_at FROM groups WHERE tenant_id = $1 AND id = $2",
                    )
                    .bind(tenant_id)
                    .bind(id)
                    .fetch_optional(&self.read)
                    .await?;
                    Ok(row.map(sql::group))
                }

                async fn put_plugin(&self, p: &PluginRecord, wasm: &[u8]) -> StoreResult<()> {
                    sqlx::query::<$db>(
                        "INSERT INTO plugins \
                         (name, version, sha256, manifest, limits, wasm, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(&p.name)
                    .bind(&p.version)
                    .bind(&p.sha256)
                    .bind(&p.manifest)
                    .bind(&p.limits)
                    .bind(wasm)
                    .bind(p.created_at)
                    .execute(&self.write)
                    .await
                    .map_err(sql::classify("plugin version"))?;
                    Ok(())
                }

                async fn plugins(&self) -> StoreResult<Vec<PluginRecord>> {
                    let rows = sqlx::query_as::<$db, sql::PluginRow>(concat!(
                        "SELECT ",
                        sql::plugin_cols!(),
                        " FROM plugins ORDER BY name, created_at, version"
                    ))
                    .fetch_all(&self.read)
                    .await?;
                    Ok(rows.into_iter().map(sql::plugin).collect())
                }

                async fn plugin(
                    &self,
                    name: &str,
                    version: Option<&str>,
                ) -> StoreResult<Option<PluginRecord>> {
                    let row = sqlx::query_as::<$db, sql::PluginRow>(concat!(
                        "SELECT ",
                        sql::plugin_cols!(),
                        " FROM plugins WHERE name = $1 AND ($2 IS NULL OR version = $2) \
                         ORDER BY created_at DESC, version DESC LIMIT 1"
                    ))
                    .bind(name)
                    .bind(version)
                    .fetch_optional(&self.read)
                    .await?;
                    Ok(row.map(sql::plugin))
                }

                async fn plugin_wasm(&self, sha256: &str) -> StoreResult<Option<Vec<u8>>> {
                    Ok(sqlx::query_scalar::<$db, Vec<u8>>(
                        "SELECT wasm FROM plugins WHERE sha256 = $1 LIMIT 1",
                    )
                    .bind(sha256)
                    .fetch_optional(&self.read)
                    .await?)
                }

                async fn set_plugin_limits(
                    &self,
                    name: &str,
                    version: &str,
                    limits: &str,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<$db>(
                        "UPDATE plugins SET limits = $3 WHERE name = $1 AND version = $2",
                    )
                    .bind(name)
                    .bind(version)
                    .bind(limits)
                    .execute(&self.write)
                    .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound("plugin version"));
                    }
                    Ok(())
                }

                async fn create_activity(
                    &self,
                    a: &Activity,
                    stock: &[(String, i64)],
                ) -> StoreResult<()> {
                    let mut tx = self.begin_write().await?;
                    sqlx::query::<$db>(concat!(
                        "INSERT INTO activities (",
                        sql::activity_cols!(),
                        ") \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
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
                    .execute(&mut *tx)
                    .await
                    .map_err(sql::classify("activity"))?;
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

                async fn activity(&self, id: &str) -> StoreResult<Option<Activity>> {
                    let row = sqlx::query_as::<$db, sql::ActivityRow>(concat!(
                        "SELECT ",
                        sql::activity_cols!(),
                        " FROM activities WHERE id = $1"
                    ))
                    .bind(id)
                    .fetch_optional(&self.read)
                    .await?;
                    row.map(sql::activity).transpose()
                }

                async fn activities(
                    &self,
                    tenant_id: &str,
                    group_id: Option<&str>,
                ) -> StoreResult<Vec<Activity>> {
                    let rows = sqlx::query_as::<$db, sql::ActivityRow>(concat!(
                        "SELECT ",
                        sql::activity_cols!(),
                        " FROM activities \
                         WHERE tenant_id = $1 AND ($2 IS NULL OR group_id = $2) \
                         ORDER BY created_at, id"
                    ))
                    .bind(tenant_id)
                    .bind(group_id)
                    .fetch_all(&self.read)
                    .await?;
                    rows.into_iter().map(sql::activity).collect()
                }

                async fn set_activity_status(
                    &self,
                    id: &str,
                    status: ActivityStatus,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<$db>("UPDATE activities SET status = $2 WHERE id = $1")
                        .bind(id)
                        .bind(status.as_str())
                        .execute(&self.write)
                        .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound("activity"));
                    }
                    Ok(())
                }

                async fn stock(&self, activity_id: &str) -> StoreResult<Vec<StockLevel>> {
                    let rows = sqlx::query_as::<$db, (String, i64, i64)>(
                        "SELECT pool, initial, remaining FROM stock \
                         WHERE activity_id = $1 ORDER BY pool",
                    )
                    .bind(activity_id)
                    .fetch_all(&self.read)
                    .await?;
                    Ok(rows
                        .into_iter()
                        .map(|(pool, initial, remaining)| StockLevel {
                            pool,
                            initial,
                            remaining,
                        })
                        .collect())
                }

                async fn snapshot(
                    &self,
                    activity_id: &str,
                    user_id: &str,
                ) -> StoreResult<Snapshot> {
                    if let Some(done) = self.fast_snapshot(activity_id, user_id).await {
                        return done;
                    }
                    let rows = sqlx::query_as::<$db, sql::SnapshotRow>(sql::SNAPSHOT)
                        .bind(activity_id)
                        .bind(user_id)
                        .fetch_all(&self.read)
                        .await?;
                    Ok(sql::snapshot_from_rows(rows))
                }

                async fn commit(&self, c: &ActionCommit) -> StoreResult<()> {
                    if let Some(done) = self.fast_commit(c).await {
                        return done;
                    }
                    Self::commit_alone(&self.write, c).await
                }

                async fn commit_chain(&self, cs: &[ActionCommit]) -> Vec<StoreResult<()>> {
                    self.chain_commits(cs).await
                }

                async fn idempotent_response(
                    &self,
                    tenant_id: &str,
                    key: &str,
                ) -> StoreResult<Option<StoredResponse>> {
                    let row = sqlx::query_as::<$db, (String, String, i64)>(
                        "SELECT request_hash, response, created_at FROM idempotency \
                         WHERE tenant_id = $1 AND key = $2",
                    )
                    .bind(tenant_id)
                    .bind(key)
                    .fetch_optional(&self.read)
                    .await?;
                    Ok(row.map(|(request_hash, response, created_at)| StoredResponse {
                        request_hash,
                        response,
                        created_at,
                    }))
                }

                async fn sweep_idempotency(&self, before: i64) -> StoreResult<u64> {
                    let done = sqlx::query::<$db>("DELETE FROM idempotency WHERE created_at < $1")
                        .bind(before)
                        .execute(&self.write)
                        .await?;
                    Ok(done.rows_affected())
                }

                async fn outcome(&self, id: &str) -> StoreResult<Option<OutcomeRecord>> {
                    let row = sqlx::query_as::<$db, sql::OutcomeRow>(concat!(
                        "SELECT ",
                        sql::outcome_cols!(),
                        " FROM outcomes WHERE id = $1"
                    ))
                    .bind(id)
                    .fetch_optional(&self.read)
                    .await?;
                    Ok(row.map(sql::outcome))
                }

                async fn outcomes(
                    &self,
                    activity_id: &str,
                    after: Option<&str>,
                    limit: u32,
                ) -> StoreResult<OutcomePage> {
                    // A page of zero could never advance the cursor.
                    let limit = limit.max(1) as usize;
                    let rows = sqlx::query_as::<$db, sql::OutcomeRow>(concat!(
                        "SELECT ",
                        sql::outcome_cols!(),
                        " FROM outcomes WHERE activity_id = $1 AND id > $2 \
                         ORDER BY id LIMIT $3"
                    ))
                    .bind(activity_id)
                    .bind(after.unwrap_or(""))
                    .bind(limit as i64 + 1)
                    .fetch_all(&self.read)
                    .await?;
                    let more = rows.len() > limit;
                    let outcomes: Vec<_> = rows.into_iter().take(limit).map(sql::outcome).collect();
                    let next = if more {
                        outcomes.last().map(|o| o.id.clone())
                    } else {
                        None
                    };
                    Ok(OutcomePage { outcomes, next })
                }

                async fn count_outcomes(&self, activity_id: &str) -> StoreResult<i64> {
                    Ok(sqlx::query_scalar::<$db, i64>(
                        "SELECT COUNT(*) FROM outcomes WHERE activity_id = $1",
                    )
                    .bind(activity_id)
                    .fetch_one(&self.read)
                    .await?)
                }

                async fn rewards(&self, activity_id: &str) -> StoreResult<Vec<RewardRow>> {
                    let rows = sqlx::query_as::<$db, sql::RewardRowRow>(concat!(
                        "SELECT ",
                        sql::reward_cols!(),
                        " FROM rewards WHERE activity_id = $1 ORDER BY id"
                    ))
                    .bind(activity_id)
                    .fetch_all(&self.read)
                    .await?;
                    Ok(rows.into_iter().map(sql::reward).collect())
                }

                async fn scope_state(
                    &self,
                    activity_id: &str,
                    scope_key: &str,
                ) -> StoreResult<Vec<StateEntry>> {
                    let rows = sqlx::query_as::<$db, (String, String, Option<String>, i64)>(
                        "SELECT user_id, key, value, version FROM state \
                         WHERE activity_id = $1 AND user_id = $2 ORDER BY key",
                    )
                    .bind(activity_id)
                    .bind(scope_key)
                    .fetch_all(&self.read)
                    .await?;
                    Ok(rows
                        .into_iter()
                        .map(|(user_id, key, value, version)| StateEntry {
                            key: StateKey { user_id, key },
                            value,
                            version,
                        })
                        .collect())
                }

                async fn first_seen(&self, tenant_id: &str, user_id: &str) -> StoreResult<Option<i64>> {
                    Ok(sqlx::query_scalar::<$db, Option<i64>>(
                        "SELECT MIN(created_at) FROM outcomes WHERE tenant_id = $1 AND user_id = $2",
                    )
                    .bind(tenant_id)
                    .bind(user_id)
                    .fetch_one(&self.read)
                    .await?)
                }

                async fn balances(
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

                async fn user_rewards(
                    &self,
                    tenant_id: &str,
                    user_id: &str,
                ) -> StoreResult<Vec<LedgerEntry>> {
                    let rows = sqlx::query_as::<$db, sql::LedgerRow>(
                        "SELECT i.public_id, r.activity_id, r.outcome_id, s.state, r.created_at, \
                         r.user_id, r.kind, r.item, r.name, r.amount, r.expires_at, r.code \
                         FROM rewards r JOIN reward_ids i ON i.reward_id = r.id \
                         LEFT JOIN reward_states s ON s.reward_id = r.id \
                         WHERE r.tenant_id = $1 AND r.user_id = $2 ORDER BY r.id DESC",
                    )
                    .bind(tenant_id)
                    .bind(user_id)
                    .fetch_all(&self.read)
                    .await?;
                    Ok(rows.into_iter().map(sql::ledger_entry).collect())
                }

                async fn set_reward_state(
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

                async fn lease_due_timers(
                    &self,
                    now: i64,
                    lease_ms: i64,
                    limit: u32,
                ) -> StoreResult<Vec<DueTimer>> {
                    // One statement picks and leases; on Postgres SKIP
                    // LOCKED lets concurrent workers take disjoint timers,
                    // on SQLite the single writer connection serializes it.
                    let rows = sqlx::query_as::<$db, sql::TimerRow>(concat!(
                        "UPDATE timers SET leased_until = $1 + $2 \
                         WHERE id IN (SELECT id FROM timers \
                         WHERE state = 'pending' AND due_at <= $1 \
                         AND (leased_until IS NULL OR leased_until < $1) \
                         ORDER BY due_at, id LIMIT $3",
                        $skip_locked,
                        ") RETURNING id, tenant_id, activity_id, name, payload, due_at"
                    ))
                    .bind(now)
                    .bind(lease_ms)
                    .bind(i64::from(limit))
                    .fetch_all(&self.write)
                    .await?;
                    let mut timers: Vec<_> = rows.into_iter().map(sql::due_timer).collect();
                    timers.sort_by(|a, b| (a.due_at, &a.id).cmp(&(b.due_at, &b.id)));
                    Ok(timers)
                }

                async fn pending_timers(&self, activity_id: &str) -> StoreResult<Vec<(String, i64)>> {
                    Ok(sqlx::query_as::<$db, (String, i64)>(
                        "SELECT name, due_at FROM timers \
                         WHERE activity_id = $1 AND state = 'pending' ORDER BY due_at, name",
                    )
                    .bind(activity_id)
                    .fetch_all(&self.read)
                    .await?)
                }

                async fn events(
                    &self,
                    tenant_id: &str,
                    after: Option<i64>,
                    limit: u32,
                ) -> StoreResult<Vec<EventRecord>> {
                    let rows = sqlx::query_as::<$db, sql::EventRecordRow>(
                        "SELECT seq, activity_id, outcome_id, kind, subject, data, created_at \
                         FROM events WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                    )
                    .bind(tenant_id)
                    .bind(after.unwrap_or(0))
                    .bind(i64::from(limit))
                    .fetch_all(&self.read)
                    .await?;
                    Ok(rows.into_iter().map(sql::event).collect())
                }
            }
        };
    };
}

pub(super) use impl_store;
