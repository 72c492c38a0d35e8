//! The PostgreSQL backend.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};

use serde_json::json;

use super::batch::Batcher;
use super::{ActionCommit, StoreError, StoreResult, TimerChange, sql};

/// Most commits sent in one batch: each runs in a subtransaction, and
/// Postgres caches 64 subtransactions per backend before slowing down.
const COMMIT_BATCH: usize = 32;

/// A [`super::Store`] on PostgreSQL. Postgres handles concurrent writers
/// itself, so reads and writes share one pool; action commits go through
/// a group-commit queue (see [`super::batch`]).
pub struct PgStore {
    read: PgPool,
    write: PgPool,
    commits: Batcher<String, StoreResult<()>>,
}

impl PgStore {
    /// Connect to `url` and migrate the database.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(32)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        let committer = pool.clone();
        let commits = Batcher::spawn(COMMIT_BATCH, move |inputs| {
            commit_batch(committer.clone(), inputs)
        });
        Ok(Self {
            read: pool.clone(),
            write: pool,
            commits,
        })
    }

    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        Self::begin_on(&self.write).await
    }

    async fn begin_on(pool: &PgPool) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        pool.begin().await
    }

    /// The whole commit as one call of `arcade_commit` (migration 0004):
    /// one round trip instead of one per statement, and row locks held
    /// only for the function's run and the commit. Concurrent commits are
    /// grouped into one call of `arcade_commit_batch` (migration 0005).
    async fn fast_commit(&self, c: &ActionCommit) -> Option<StoreResult<()>> {
        Some(self.commit_in_one_call(c).await)
    }

    async fn commit_in_one_call(&self, c: &ActionCommit) -> StoreResult<()> {
        let mut stock: Vec<_> = c.stock.iter().collect();
        stock.sort();
        let balances: Vec<_> = sql::balance_steps(c)
            .into_iter()
            .map(|((user, currency), delta)| json!([user, currency, delta]))
            .collect();
        let state: Vec<_> = sql::state_steps(c)
            .iter()
            .map(|step| {
                let (key, write, value, version) = step.parts();
                json!({"user_id": key.user_id, "key": key.key, "write": write,
                       "value": value, "version": version})
            })
            .collect();
        let timers: Vec<_> = sql::timer_steps(c)
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
            },
            "stock": stock,
            "balances": balances,
            "state": state,
            "fired_timer": c.fired_timer,
            "timers": timers,
            "rewards": c.rewards,
            "events": c.events,
            "idempotency": c.idempotency,
        });
        self.commits.submit(input.to_string()).await
    }
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
        "23505" => Err(StoreError::Duplicate("outcome")),
        "23503" => Err(StoreError::NotFound("outcome")),
        _ => Err(StoreError::Database(sqlx::Error::Protocol(failure))),
    }
}

/// The SQLSTATE `arcade_commit` raises when a condition of the commit no
/// longer holds.
const COMMIT_CONFLICT: &str = "AR001";

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
super::sql::impl_store!(
    PgStore,
    sqlx::Postgres,
    backend = "postgres",
    for_share = " FOR SHARE",
    skip_locked = " FOR UPDATE SKIP LOCKED",
    event_lock = Some(TENANT_EVENT_LOCK)
);
