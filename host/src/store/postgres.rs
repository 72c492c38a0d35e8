//! The PostgreSQL backend.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};

use super::StoreResult;

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
}

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
