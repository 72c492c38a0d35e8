//! The PostgreSQL backend.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};

use serde_json::json;

use super::{ActionCommit, StoreError, StoreResult, TimerChange, sql};

/// A [`super::Store`] on PostgreSQL. Postgres handles concurrent writers
/// itself, so reads and writes share one pool.
pub struct PgStore {
    read: PgPool,
    write: PgPool,
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
        Ok(Self {
            read: pool.clone(),
            write: pool,
        })
    }

    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        self.write.begin().await
    }

    /// The whole commit as one call of `arcade_commit` (migration 0004):
    /// one round trip instead of one per statement, and row locks held
    /// only for the function's run and the commit.
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
        let done = sqlx::query("SELECT arcade_commit($1::jsonb)")
            .bind(input.to_string())
            .execute(&self.write)
            .await;
        match done {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some(COMMIT_CONFLICT) => {
                Err(StoreError::Conflict)
            }
            Err(e) => Err(sql::classify("outcome")(e)),
        }
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
