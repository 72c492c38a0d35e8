//! The PostgreSQL backend.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};

use serde_json::json;

use super::batch::Batcher;
use super::sql::{
    self,
    order::StateStep,
    snapshot::{SNAPSHOT, SnapshotRow, snapshot_from_rows},
};
use super::{ActionCommit, Snapshot, StoreError, StoreResult, TimerChange};

/// Most commits sent in one batch: each runs in a subtransaction, and
/// Postgres caches 64 subtransactions per backend before slowing down.
const COMMIT_BATCH: usize = 32;
/// Most commits of a chain sent in one call (one transaction).
const CHAIN_PART: usize = 128;
/// Most snapshots read in one statement.
const SNAPSHOT_BATCH: usize = 64;

/// A [`super::Store`] on PostgreSQL. Postgres handles concurrent writers
/// itself, so reads and writes share one pool; action commits go through
/// a group-commit queue, and action snapshots through a queue that reads
/// many in one statement (see [`super::batch`]).
pub struct PgStore {
    read: PgPool,
    write: PgPool,
    commits: Batcher<String, StoreResult<()>>,
    snapshots: Batcher<(String, String), StoreResult<Snapshot>>,
}

impl PgStore {
    /// Connect to `url` and migrate the database.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(32)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await?;
        let mut migrator = sqlx::migrate!("./migrations/postgres");
        // Migrations 0004-0006 once defined the commit functions; they are
        // gone from the tree since `define_commit_functions` took over.
        migrator.set_ignore_missing(true);
        migrator.run(&pool).await?;
        define_commit_functions(&pool).await?;
        let committer = pool.clone();
        let commits = Batcher::spawn(COMMIT_BATCH, move |inputs| {
            commit_batch(committer.clone(), inputs)
        });
        let reader = pool.clone();
        let snapshots = Batcher::spawn(SNAPSHOT_BATCH, move |keys| {
            snapshot_batch(reader.clone(), keys)
        });
        Ok(Self {
            read: pool.clone(),
            write: pool,
            commits,
            snapshots,
        })
    }

    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        Self::begin_on(&self.write).await
    }

    async fn begin_on(pool: &PgPool) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        pool.begin().await
    }

    /// Each through the snapshot queue, which reads those queued together
    /// in one statement (`snapshot_batch`).
    async fn many_snapshots(
        &self,
        activity_id: &str,
        users: &[&str],
    ) -> StoreResult<Vec<Snapshot>> {
        futures::future::try_join_all(users.iter().map(|u| self.fast_snapshot_of(activity_id, u)))
            .await
    }

    async fn fast_snapshot_of(&self, activity_id: &str, user_id: &str) -> StoreResult<Snapshot> {
        let key = (activity_id.to_owned(), user_id.to_owned());
        self.snapshots.submit(key).await
    }

    /// Snapshots that queue up are read together (`snapshot_batch`).
    async fn fast_snapshot(
        &self,
        activity_id: &str,
        user_id: &str,
    ) -> Option<StoreResult<Snapshot>> {
        let key = (activity_id.to_owned(), user_id.to_owned());
        Some(self.snapshots.submit(key).await)
    }

    /// The whole commit as one call of `arcade_commit` (`pg_commit.sql`):
    /// one round trip instead of one per statement, and row locks held
    /// only for the function's run and the commit. Concurrent commits are
    /// grouped into one call of `arcade_commit_batch`.
    async fn fast_commit(&self, c: &ActionCommit) -> Option<StoreResult<()>> {
        Some(self.commits.submit(commit_input(c)).await)
    }

    /// Commits applied by one call of `arcade_commit_all`, all or nothing.
    async fn commit_all(&self, cs: &[ActionCommit]) -> StoreResult<()> {
        let inputs: Vec<String> = cs.iter().map(commit_input).collect();
        let done = sqlx::query("SELECT arcade_commit_all($1::jsonb)")
            .bind(format!("[{}]", inputs.join(",")))
            .execute(&self.write)
            .await;
        match done {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some(COMMIT_CONFLICT) => {
                Err(StoreError::Conflict)
            }
            Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some(KEY_TAKEN) => {
                Err(StoreError::KeyTaken)
            }
            Err(e) => Err(sql::classify("outcome")(e)),
        }
    }

    /// A chain is committed by `arcade_commit_chain`, in parts of up to
    /// [`CHAIN_PART`] commits, each part one transaction; it stops at the
    /// first commit that fails.
    async fn chain_commits(&self, cs: &[ActionCommit]) -> Vec<StoreResult<()>> {
        let mut answers: Vec<StoreResult<()>> = Vec::with_capacity(cs.len());
        for part in cs.chunks(CHAIN_PART) {
            if answers.iter().any(Result::is_err) {
                answers.extend(part.iter().map(|_| Err(StoreError::Conflict)));
                continue;
            }
            let inputs: Vec<String> = part.iter().map(commit_input).collect();
            let batch = format!("[{}]", inputs.join(","));
            let replies = sqlx::query_scalar::<_, Vec<Option<String>>>(
                "SELECT arcade_commit_chain($1::jsonb)",
            )
            .bind(batch)
            .fetch_one(&self.write)
            .await;
            match replies {
                Ok(replies) if replies.len() == part.len() => {
                    answers.extend(replies.into_iter().map(batch_answer));
                }
                Ok(replies) => {
                    let why = format!("{} answers for {} commits", replies.len(), part.len());
                    answers
                        .extend(part.iter().map(|_| {
                            Err(StoreError::Database(sqlx::Error::Protocol(why.clone())))
                        }));
                }
                // The call failed as a whole: none of this part applied.
                Err(e) => {
                    let e = sql::classify("outcome")(e);
                    tracing::warn!(error = %e, "chained commit failed");
                    answers.extend(part.iter().map(|_| Err(StoreError::Conflict)));
                }
            }
        }
        answers
    }
}

/// Define (or redefine) `arcade_commit` and `arcade_commit_batch` from
/// `pg_commit.sql`, their only definition. Replicas starting together
/// take turns: concurrent `CREATE OR REPLACE` of one function can fail.
async fn define_commit_functions(pool: &PgPool) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('arcade_commit_functions', 0))")
        .execute(&mut *tx)
        .await?;
    sqlx::raw_sql(include_str!("pg_commit.sql"))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// An [`ActionCommit`] as the JSON argument of `arcade_commit`.
fn commit_input(c: &ActionCommit) -> String {
    let mut stock: Vec<_> = c.stock.iter().collect();
    stock.sort();
    let balances: Vec<_> = sql::order::balance_steps(c)
        .into_iter()
        .map(|((user, currency), delta)| json!([user, currency, delta]))
        .collect();
    let state: Vec<_> = sql::order::state_steps(c)
        .iter()
        .map(|step| {
            let (key, write, value, version) = step.parts();
            let advance = match step {
                StateStep::Write(w) => w.advance,
                StateStep::Read(_) => 0,
            };
            json!({"user_id": key.user_id, "key": key.key, "write": write,
                       "value": value, "version": version, "advance": advance})
        })
        .collect();
    let timers: Vec<_> = sql::order::timer_steps(c)
        .into_iter()
        .map(|t| match t {
            TimerChange::Schedule {
                id,
                name,
                due_at,
                payload,
            } => json!({"id": id, "name": name, "due_at": due_at, "payload": payload}),
            TimerChange::Cancel { name } => json!({"name": name}),
        })
        .collect();
    let o = &c.outcome;
    let input = json!({
        "outcome": {
            "id": o.id, "tenant_id": o.tenant_id, "activity_id": o.activity_id,
            "user_id": o.user_id, "action": o.action, "payload": o.payload,
            "result": o.result, "rewards": o.rewards, "inputs": o.inputs,
            "effects_hash": o.effects_hash, "plugin_sha256": o.plugin_sha256,
            "fuel_used": o.fuel_used, "created_at": o.created_at,
            "group_id": o.group_id, "spends": o.spends,
        },
        "stock": stock,
        "balances": balances,
        "state": state,
        "fired_timer": c.fired_timer,
        "timers": timers,
        "rewards": c.rewards,
        "events": c.events,
        "stat_invites": c.stat_invites(),
        "idempotency": c.idempotency.as_ref().map(|k| json!({
            "key": k.key, "request_hash": k.request_hash, "response": k.response,
        })),
    });
    input.to_string()
}

/// Commit one action's input with `arcade_commit`.
async fn commit_one(pool: &PgPool, input: &str) -> StoreResult<()> {
    let done = sqlx::query("SELECT arcade_commit($1::jsonb)")
        .bind(input)
        .execute(pool)
        .await;
    match done {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some(COMMIT_CONFLICT) => {
            Err(StoreError::Conflict)
        }
        Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some(KEY_TAKEN) => {
            Err(StoreError::KeyTaken)
        }
        Err(e) => Err(sql::classify("outcome")(e)),
    }
}

/// Commit a batch: a lone input as itself, several in one call of
/// `arcade_commit_batch`, each committed or refused on its own. If the
/// call as a whole fails (the connection broke, say), nothing of it was
/// applied, and each input is committed by itself instead.
async fn commit_batch(pool: PgPool, inputs: Vec<String>) -> Vec<StoreResult<()>> {
    if let [input] = inputs.as_slice() {
        return vec![commit_one(&pool, input).await];
    }
    let batch = format!("[{}]", inputs.join(","));

    let answers =
        sqlx::query_scalar::<_, Vec<Option<String>>>("SELECT arcade_commit_batch($1::jsonb)")
            .bind(batch)
            .fetch_one(&pool)
            .await;
    match answers {
        Ok(answers) if answers.len() == inputs.len() => {
            answers.into_iter().map(batch_answer).collect()
        }
        failed => {
            let why = match failed {
                Ok(a) => format!("{} answers for {} commits", a.len(), inputs.len()),
                Err(e) => e.to_string(),
            };
            tracing::warn!(error = %why, "batched commit failed; committing one by one");
            futures::future::join_all(inputs.iter().map(|i| commit_one(&pool, i))).await
        }
    }
}

/// One element of `arcade_commit_batch`'s answer: NULL, or the SQLSTATE
/// and message of the failure.
fn batch_answer(answer: Option<String>) -> StoreResult<()> {
    let Some(failure) = answer else {
        return Ok(());
    };
    match failure.get(..5).unwrap_or_default() {
        // A condition no longer held, a deadlock or serialization loser,
        // or a lock not granted in time: all lost races, run again.
        COMMIT_CONFLICT | "40P01" | "40001" | "55P03" => Err(StoreError::Conflict),
        KEY_TAKEN => Err(StoreError::KeyTaken),
        "23505" => Err(StoreError::Duplicate("outcome")),
        "23503" => Err(StoreError::NotFound("outcome")),
        _ => Err(StoreError::Database(sqlx::Error::Protocol(failure))),
    }
}

/// Many snapshots in one statement: [`SNAPSHOT`]'s three branches,
/// each joined laterally to the list of requests so that every request is
/// its own primary-key lookup (`OFFSET 0` keeps Postgres from flattening
/// the lookups into a join it might plan as a scan). `i` numbers the
/// requests from 1.
const SNAPSHOT_MANY: &str = "\
    WITH r AS (SELECT * FROM unnest($1::text[], $2::text[]) \
               WITH ORDINALITY AS r(activity_id, user_id, i)) \
    SELECT r.i, 's', s.user_id, s.key, s.value, s.version, CAST(0 AS BIGINT) FROM r, \
    LATERAL (SELECT user_id, key, value, version FROM state \
             WHERE activity_id = r.activity_id AND user_id = '' OFFSET 0) s \
    UNION ALL \
    SELECT r.i, 's', s.user_id, s.key, s.value, s.version, CAST(0 AS BIGINT) FROM r, \
    LATERAL (SELECT user_id, key, value, version FROM state \
             WHERE activity_id = r.activity_id AND user_id = r.user_id \
             AND r.user_id <> '' OFFSET 0) s \
    UNION ALL \
    SELECT r.i, 'k', k.pool, '', NULL, k.initial, k.remaining FROM r, \
    LATERAL (SELECT pool, initial, remaining FROM stock \
             WHERE activity_id = r.activity_id OFFSET 0) k";

/// Read a batch of snapshots: a lone one with [`SNAPSHOT`], several
/// with [`SNAPSHOT_MANY`], each still one consistent view (one statement).
/// If the statement fails, each snapshot is read by itself instead.
async fn snapshot_batch(pool: PgPool, keys: Vec<(String, String)>) -> Vec<StoreResult<Snapshot>> {
    if let [(activity_id, user_id)] = keys.as_slice() {
        return vec![snapshot_one(&pool, activity_id, user_id).await];
    }
    let (activities, users): (Vec<&str>, Vec<&str>) =
        keys.iter().map(|(a, u)| (a.as_str(), u.as_str())).unzip();
    let rows =
        sqlx::query_as::<_, (i64, String, String, String, Option<String>, i64, i64)>(SNAPSHOT_MANY)
            .bind(&activities)
            .bind(&users)
            .fetch_all(&pool)
            .await;
    match rows {
        Ok(rows) => {
            let mut per_key: Vec<Vec<SnapshotRow>> = vec![Vec::new(); keys.len()];
            for (i, kind, a, b, value, n, m) in rows {
                per_key[(i - 1) as usize].push(SnapshotRow(kind, a, b, value, n, m));
            }
            per_key
                .into_iter()
                .map(|rows| Ok(snapshot_from_rows(rows)))
                .collect()
        }
        Err(e) => {
            tracing::warn!(error = %e, "batched snapshot failed; reading one by one");
            let reads = keys.iter().map(|(a, u)| snapshot_one(&pool, a, u));
            futures::future::join_all(reads).await
        }
    }
}

async fn snapshot_one(pool: &PgPool, activity_id: &str, user_id: &str) -> StoreResult<Snapshot> {
    let rows = sqlx::query_as::<_, SnapshotRow>(SNAPSHOT)
        .bind(activity_id)
        .bind(user_id)
        .fetch_all(pool)
        .await?;
    Ok(snapshot_from_rows(rows))
}

/// The SQLSTATE `arcade_commit` raises when a condition of the commit no
/// longer holds.
const COMMIT_CONFLICT: &str = "AR001";
/// The SQLSTATE `arcade_commit` raises when its idempotency key is
/// already committed.
const KEY_TAKEN: &str = "AR002";

/// Serializes, per tenant, the tail of commits that append events.
///
/// Event readers page with `after = <last seq seen>`, so within a tenant a
/// row must never become visible with a `seq` below one already visible.
/// An identity column alone does not give that: two commits draw `seq`
/// values when they insert, but may commit in the other order, and a
/// reader that saw the higher `seq` first would page past the lower one
/// for good. Holding this transaction-scoped lock from before the first
/// event insert until commit makes each tenant's event-appending commits
/// draw and publish their `seq` values one after another, so `seq` order
/// is commit order. It is taken after every row lock of the commit but the
/// outcome insert and the idempotency row, so it cannot close a wait cycle
/// with them, and commits without events never take it.
const TENANT_EVENT_LOCK: &str = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))";

// FOR SHARE keeps a validated read's row from changing until we commit;
// Read Committed alone would only check it at the moment of the SELECT.
super::keys::impl_key_store!(PgStore, sqlx::Postgres);
super::sweep::impl_tombstone_store!(PgStore, sqlx::Postgres);
super::enablements::impl_enablement_store!(
    PgStore,
    sqlx::Postgres,
    event_lock = Some(TENANT_EVENT_LOCK)
);
super::exports::impl_export_store!(PgStore, sqlx::Postgres);
super::webhooks::impl_webhook_store!(
    PgStore,
    sqlx::Postgres,
    claim_lock = " FOR UPDATE OF d SKIP LOCKED"
);
super::fulfilment::impl_fulfilment_store!(
    PgStore,
    sqlx::Postgres,
    event_lock = Some(TENANT_EVENT_LOCK)
);

super::sql::impl_store!(
    PgStore,
    sqlx::Postgres,
    backend = "postgres",
    for_share = " FOR SHARE",
    skip_locked = " FOR UPDATE SKIP LOCKED",
    event_lock = Some(TENANT_EVENT_LOCK)
);
