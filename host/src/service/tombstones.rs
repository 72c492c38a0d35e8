//! The tombstone sweeper. A removed state key stays as a tombstone (value
//! NULL) so its version keeps counting; tombstones that have not changed
//! for the retention period are deleted, by mark and sweep (see
//! [`crate::store::sweep`]). Every replica may run it: marks and deletes
//! are conditional, so two sweepers only repeat each other's work.

use std::sync::Arc;
use std::time::Duration;

use super::Arcade;
use crate::error::Result;

/// Default time a tombstone must stay unchanged before it is deleted.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
/// Default time between sweeps.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(3600);
/// Rows handled per statement or transaction, so a sweep never holds the
/// writer (SQLite) or many row locks (Postgres) for long.
const BATCH: u32 = 500;

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Tombstones deleted.
    pub swept: u64,
    /// Tombstones newly marked (or re-marked at a new version).
    pub marked: u64,
}

impl Arcade {
    /// One sweep: delete tombstones marked at least `retention` ago (by the
    /// service clock) that still have the marked version, then mark the
    /// tombstones not yet marked. A tombstone is thus deleted by the first
    /// sweep at least `retention` after the sweep that first saw it.
    pub async fn sweep_tombstones(&self, retention: Duration) -> Result<SweepReport> {
        let now = self.now();
        let retention_ms = i64::try_from(retention.as_millis()).unwrap_or(i64::MAX);
        let cutoff = now.saturating_sub(retention_ms);
        let mut report = SweepReport::default();
        loop {
            let (swept, looked_at) = self.store.sweep_tombstones(cutoff, BATCH).await?;
            report.swept += swept;
            if looked_at < u64::from(BATCH) {
                break;
            }
        }
        loop {
            let marked = self.store.mark_tombstones(now, BATCH).await?;
            report.marked += marked;
            if marked < u64::from(BATCH) {
                break;
            }
        }
        Ok(report)
    }
}

/// Sweep every `interval` until the task is dropped. Failures are logged
/// and the next sweep tries again.
pub async fn run_sweeper(arcade: Arc<Arcade>, retention: Duration, interval: Duration) {
    let mut ticks = tokio::time::interval(interval.max(Duration::from_millis(10)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match arcade.sweep_tombstones(retention).await {
            Ok(r) if r.swept > 0 || r.marked > 0 => {
                tracing::info!(swept = r.swept, marked = r.marked, "tombstone sweep");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "tombstone sweep failed"),
        }
    }
}
