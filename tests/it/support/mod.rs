//! Fixtures shared by the end-to-end tests.
#![allow(dead_code)] // not every test module uses every helper

use std::path::PathBuf;
use std::sync::Arc;

use arcade_host::sandbox::SandboxConfig;
use arcade_host::store::Store;
use arcade_host::store::postgres::PgStore;
use arcade_host::store::sqlite::SqliteStore;
use sqlx::Connection;

/// Where test servers keep compiled plugins: one directory for every test
/// and every run, as `serve` keeps them in its data directory. Compiling
/// the bundled plugins took most of a short test's time when each
/// server did it afresh. Entries are keyed by the component's sha256 and
/// the engine's compatibility hash, so a changed plugin or wasmtime never
/// reads another's. Compiling itself is still tested, by
/// `sandbox::compiled_plugins_survive_a_restart_on_disk`.
pub fn plugin_cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plugin-cache")
}

/// `config` with the shared plugin cache, unless it names its own.
pub fn with_plugin_cache(config: SandboxConfig) -> SandboxConfig {
    SandboxConfig {
        cache_dir: config.cache_dir.or_else(|| Some(plugin_cache_dir())),
        ..config
    }
}

/// How to run the Postgres tests; printed when `DATABASE_URL` is missing.
pub const PG_HINT: &str = "pg_virtualenv sh -c 'DATABASE_URL=postgres://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/$PGDATABASE cargo test'";

/// Where a test store lives, for tests that need to reach past the
/// [`Store`] boundary with raw SQL.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Db {
    /// A fresh, empty SQLite file in the temp dir.
    pub fn sqlite() -> Db {
        let name = format!("arcade-test-{}.db", uuid::Uuid::new_v4().simple());
        Db::Sqlite(std::env::temp_dir().join(name))
    }

    /// Another fresh, empty database of the same backend.
    pub async fn fresh(&self) -> Db {
        match self {
            Db::Sqlite(_) => Db::sqlite(),
            Db::Postgres(_) => Db::postgres().await,
        }
    }

    /// A fresh, empty Postgres database.
    pub async fn postgres() -> Db {
        Db::Postgres(fresh_pg_url().await)
    }

    /// Open the store on it (migrating it).
    pub async fn store(&self) -> Arc<dyn Store> {
        match self {
            Db::Sqlite(path) => Arc::new(SqliteStore::open(path).await.expect("open sqlite store")),
            Db::Postgres(url) => Arc::new(PgStore::connect(url).await.expect("connect pg store")),
        }
    }

    /// Run one raw statement, bypassing the store.
    pub async fn execute(&self, sql: &str) -> Result<u64, sqlx::Error> {
        match self {
            Db::Sqlite(path) => {
                let url = format!("sqlite://{}", path.display());
                let mut conn = sqlx::SqliteConnection::connect(&url).await?;
                Ok(sqlx::query(sql).execute(&mut conn).await?.rows_affected())
            }
            Db::Postgres(url) => {
                let mut conn = sqlx::PgConnection::connect(url).await?;
                Ok(sqlx::query(sql).execute(&mut conn).await?.rows_affected())
            }
        }
    }

    /// Remove the database; best effort.
    pub async fn destroy(self) {
        match self {
            Db::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
            Db::Postgres(url) => {
                let Ok(admin_url) = std::env::var("DATABASE_URL") else {
                    return;
                };
                let name = database_of(&url);
                if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                    // FORCE: the store's pool may still hold connections.
                    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(&drop).execute(&mut admin).await;
                }
            }
        }
    }
}

/// A store on a fresh SQLite file.
pub async fn sqlite_store() -> Arc<dyn Store> {
    Db::sqlite().store().await
}

/// A store on a fresh Postgres database.
pub async fn pg_store() -> Arc<dyn Store> {
    Db::postgres().await.store().await
}

/// Create an empty database `arcade_test_<uuid>` next to `DATABASE_URL`'s
/// and return its URL. Panics, rather than skipping, when Postgres is not
/// available: a green run must mean both backends were tested.
pub async fn fresh_pg_url() -> String {
    let base = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| panic!("DATABASE_URL is not set; run the tests with: {PG_HINT}"));
    let mut admin = sqlx::PgConnection::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to DATABASE_URL ({e}); run: {PG_HINT}"));
    let name = format!("arcade_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create test database");
    with_database(&base, &name)
}

/// `url` pointing at database `name` instead, query string kept.
fn with_database(url: &str, name: &str) -> String {
    let (main, query) = url
        .split_once('?')
        .map_or((url, None), |(m, q)| (m, Some(q)));
    let (scheme, rest) = main.split_once("://").expect("DATABASE_URL has a scheme");
    let authority = rest.split_once('/').map_or(rest, |(a, _)| a);
    match query {
        Some(q) => format!("{scheme}://{authority}/{name}?{q}"),
        None => format!("{scheme}://{authority}/{name}"),
    }
}

/// The database name in a Postgres URL.
fn database_of(url: &str) -> &str {
    let main = url.split_once('?').map_or(url, |(m, _)| m);
    main.rsplit_once('/').map_or("", |(_, db)| db)
}
