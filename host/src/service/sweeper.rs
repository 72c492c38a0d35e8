//! Expiry of idempotency keys. A key answers repeats of its request for
//! its time to live, then is forgotten, so the table does not grow
//! without bound. Every replica runs the sweeper; the deletes are
//! idempotent, so running it twice at once costs only the work.

use std::sync::Arc;
use std::time::Duration;

use super::Arcade;

/// Time between sweeps.
pub const SWEEP_EVERY: Duration = Duration::from_secs(60);

impl Arcade {
    /// Forget idempotency keys committed more than `ttl` ago (by the
    /// service clock); returns how many.
    pub async fn sweep_idempotency(&self, ttl: Duration) -> crate::error::Result<u64> {
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        let before = self.now().saturating_sub(ttl_ms);
        Ok(self.store.sweep_idempotency(before).await?)
    }
}

/// Sweep expired idempotency keys every [`SWEEP_EVERY`] until the process
/// stops.
pub async fn run_idempotency_sweeper(arcade: Arc<Arcade>, ttl: Duration) {
    loop {
        match arcade.sweep_idempotency(ttl).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(keys = n, "expired idempotency keys swept"),
            Err(e) => tracing::error!(error = %e, "idempotency sweep failed"),
        }
        tokio::time::sleep(SWEEP_EVERY).await;
    }
}
