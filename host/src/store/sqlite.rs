//! The embedded SQLite backend.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::batch::Batcher;
use super::{ActionCommit, StoreResult};

/// Most commits applied in one write transaction.
const COMMIT_BATCH: usize = 64;

/// A [`super::Store`] on a SQLite file.
///
/// SQLite admits one writer at a time, so every write goes through a
/// single-connection pool: concurrent writers queue in the pool instead of
/// failing with `SQLITE_BUSY`. Reads use their own pool and, thanks to WAL,
/// run alongside the writer. Action commits go through a group-commit
/// queue (see [`super::batch`]): those that arrive while the writer is
/// busy share its next transaction, each inside a savepoint of its own.
pub struct SqliteStore {
    read: SqlitePool,
    write: SqlitePool,
    commits: Batcher<ActionCommit, StoreResult<()>>,
}

impl SqliteStore {
    /// Open (creating if needed) the database at `path` and migrate it.
    pub async fn open(path: &Path) -> StoreResult<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
        }
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL makes NORMAL durable against application crashes; only an
            // OS crash can lose the last commits.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            // Writers wait here for their turn; under a burst the queue
            // can be long.
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(opts.clone())
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&write).await?;
        let readers = std::thread::available_parallelism().map_or(4, |n| n.get().max(4)) as u32;
        let read = SqlitePoolOptions::new()
            .max_connections(readers)
            .connect_with(opts)
            .await?;
        Ok(Self::assemble(read, write))
    }

    /// A private in-memory database, for tests.
    pub async fn open_in_memory() -> StoreResult<Self> {
        let opts = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        // The database lives as long as its only connection, so that
        // connection must never be closed or replaced.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(opts)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Self::assemble(pool.clone(), pool))
    }

    fn assemble(read: SqlitePool, write: SqlitePool) -> Self {
        let committer = write.clone();
        let commits = Batcher::spawn(COMMIT_BATCH, move |commits| {
            commit_batch(committer.clone(), commits)
        });
        Self {
            read,
            write,
            commits,
        }
    }

    /// `BEGIN IMMEDIATE` takes the write lock up front, so a transaction
    /// never has to upgrade a read snapshot that another writer outdated.
    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Self::begin_on(&self.write).await
    }

    async fn begin_on(pool: &SqlitePool) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        pool.begin_with("BEGIN IMMEDIATE").await
    }

    /// One read of the activity's scope and stock and of every user's
    /// scope: a round of a hot activity would otherwise take a pooled
    /// connection (and its worker thread) per action.
    async fn many_snapshots(
        &self,
        activity_id: &str,
        users: &[&str],
    ) -> StoreResult<Vec<super::Snapshot>> {
        let list = serde_json::to_string(users).expect("user ids serialize");
        let rows = sqlx::query_as::<_, super::sql::snapshot::SnapshotRow>(
            "SELECT 's', user_id, key, value, version, CAST(0 AS BIGINT) FROM state \
             WHERE activity_id = $1 AND user_id = '' \
             UNION ALL \
             SELECT 's', user_id, key, value, version, CAST(0 AS BIGINT) FROM state \
             WHERE activity_id = $1 AND user_id IN (SELECT value FROM json_each($2)) \
             AND user_id <> '' \
             UNION ALL \
             SELECT 'k', pool, '', NULL, initial, remaining FROM stock \
             WHERE activity_id = $1",
        )
        .bind(activity_id)
        .bind(list)
        .fetch_all(&self.read)
        .await?;
        Ok(super::sql::snapshot::snapshots_for(rows, users))
    }

    /// Reads run in-process on the read pool, alongside the writer.
    async fn fast_snapshot(&self, _: &str, _: &str) -> Option<StoreResult<super::Snapshot>> {
        None
    }

    /// SQLite is in-process, so statements cost no round trips; what a
    /// commit costs is its transaction, which the queue shares.
    async fn fast_commit(&self, c: &ActionCommit) -> Option<StoreResult<()>> {
        Some(self.commits.submit(c.clone()).await)
    }

    /// Commits applied in one write transaction, all or nothing.
    async fn commit_all(&self, cs: &[ActionCommit]) -> StoreResult<()> {
        let mut tx = Self::begin_on(&self.write)
            .await
            .map_err(super::sql::classify("outcome"))?;
        for c in cs {
            if let Err(e) = Self::apply_commit(&mut tx, c).await {
                tx.rollback().await?;
                return Err(e);
            }
        }
        tx.commit().await.map_err(super::sql::classify("outcome"))
    }

    /// A chain is applied in one write transaction, each commit in a
    /// savepoint, stopping at the first that fails (the later ones rest
    /// on its writes).
    async fn chain_commits(&self, cs: &[ActionCommit]) -> Vec<StoreResult<()>> {
        let mut answers: Vec<StoreResult<()>> = Vec::with_capacity(cs.len());
        let applied: sqlx::Result<()> = async {
            let mut tx = Self::begin_on(&self.write).await?;
            for c in cs {
                if answers.iter().any(Result::is_err) {
                    answers.push(Err(super::StoreError::Conflict));
                    continue;
                }
                let mut savepoint = sqlx::Connection::begin(&mut *tx).await?;
                let done = Self::apply_commit(&mut savepoint, c).await;
                if done.is_ok() {
                    savepoint.commit().await?;
                } else {
                    savepoint.rollback().await?;
                }
                answers.push(done);
            }
            tx.commit().await
        }
        .await;
        match applied {
            Ok(()) => answers,
            // Nothing of the transaction was applied.
            Err(e) => {
                tracing::warn!(error = %e, "chained commit failed");
                cs.iter()
                    .map(|_| Err(super::StoreError::Conflict))
                    .collect()
            }
        }
    }
}

/// Apply a batch of commits in one write transaction, each in a savepoint
/// so that one refused is rolled back alone. If the transaction itself
/// fails, none of it was applied, and each commit runs by itself instead.
async fn commit_batch(write: SqlitePool, commits: Vec<ActionCommit>) -> Vec<StoreResult<()>> {
    if let [c] = commits.as_slice() {
        return vec![SqliteStore::commit_alone(&write, c).await];
    }
    let mut answers = Vec::with_capacity(commits.len());
    let together: sqlx::Result<()> = async {
        let mut tx = SqliteStore::begin_on(&write).await?;
        for c in &commits {
            let mut savepoint = sqlx::Connection::begin(&mut *tx).await?;
            let applied = SqliteStore::apply_commit(&mut savepoint, c).await;
            if applied.is_ok() {
                savepoint.commit().await?;
            } else {
                savepoint.rollback().await?;
            }
            answers.push(applied);
        }
        tx.commit().await
    }
    .await;
    match together {
        Ok(()) => answers,
        Err(e) => {
            tracing::warn!(error = %e, "batched commit failed; committing one by one");
            let mut answers = Vec::with_capacity(commits.len());
            for c in &commits {
                answers.push(SqliteStore::commit_alone(&write, c).await);
            }
            answers
        }
    }
}

super::keys::impl_key_store!(SqliteStore, sqlx::Sqlite);
super::sweep::impl_tombstone_store!(SqliteStore, sqlx::Sqlite);
super::enablements::impl_enablement_store!(SqliteStore, sqlx::Sqlite, event_lock = None);
super::exports::impl_export_store!(SqliteStore, sqlx::Sqlite);
super::fulfilment::impl_fulfilment_store!(SqliteStore, sqlx::Sqlite, event_lock = None);
// One writer connection: nothing else can claim in between.
super::webhooks::impl_webhook_store!(SqliteStore, sqlx::Sqlite, claim_lock = "");

super::sql::impl_store!(
    SqliteStore,
    sqlx::Sqlite,
    backend = "sqlite",
    for_share = "",
    // One writer connection: nothing else can lease in between.
    skip_locked = "",
    // One writer at a time already makes event `seq` order commit order.
    event_lock = None
);
