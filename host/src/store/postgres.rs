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

// FOR SHARE keeps a validated read's row from changing until we commit;
// Read Committed alone would only check it at the moment of the SELECT.
super::sql::impl_store!(
    PgStore,
    sqlx::Postgres,
    backend = "postgres",
    for_share = " FOR SHARE"
);
