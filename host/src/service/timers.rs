//! The timer worker: fires due timers through the plugin's `on-timer`.
//!
//! Any number of replicas may run it. Each lease takes due timers no other
//! worker holds (`FOR UPDATE SKIP LOCKED` on Postgres); each firing commits
//! its outcome and marks the timer fired in one transaction that requires
//! the timer still pending, so a timer fires at most once even if a lease
//! expires mid-run. Timers live in the database, so those that came due
//! while no replica was running fire on the next start.

use std::sync::Arc;
use std::time::Duration;

use tracing::Instrument;

use super::Arcade;
use super::calls::{CallSpec, Trigger};
use crate::error::Error;
use crate::sandbox::PluginFailure;
use crate::store::DueTimer;

/// How long a worker holds the timers it leased.
const LEASE_MS: i64 = 10_000;
/// Timers leased per round.
const BATCH: u32 = 32;
/// Pause between rounds when nothing was due.
const IDLE: Duration = Duration::from_millis(200);

/// What happened to one timer.
#[derive(Debug, PartialEq, Eq)]
pub enum Fired {
    /// Its outcome committed.
    Committed,
    /// The plugin refused or failed deterministically (a trap, a refusal,
    /// bad output, fuel or memory); the timer is recorded as fired with the
    /// error as its result, so it does not fire again. A missed wall-clock
    /// deadline is retried when the lease runs out instead.
    Failed(String),
}

impl Arcade {
    /// Lease and fire every timer due now; returns how many were fired.
    pub async fn fire_due_timers(&self) -> crate::error::Result<usize> {
        let due = self
            .store
            .lease_due_timers(self.now(), LEASE_MS, BATCH)
            .await?;
        let n = due.len();
        for timer in due {
            match self.fire(&timer).await {
                Ok(fired) => {
                    tracing::debug!(timer = %timer.id, name = %timer.name, ?fired, "timer")
                }
                Err(e) => {
                    tracing::error!(timer = %timer.id, error = %e, "timer firing failed; it will be retried")
                }
            }
        }
        Ok(n)
    }

    /// Fire one leased timer.
    pub(crate) async fn fire(&self, timer: &DueTimer) -> crate::error::Result<Fired> {
        let activity = self
            .load_activity(&timer.tenant_id, &timer.activity_id)
            .await?;
        let outcome_id = self.new_id();
        let spec = CallSpec {
            group_id: activity.record.group_id.clone(),
            activity,
            outcome_id: outcome_id.clone(),
            user_id: String::new(),
            trigger: Trigger::Timer {
                id: timer.id.clone(),
                name: timer.name.clone(),
                due_ms: timer.due_at,
            },
            payload: timer.payload.clone(),
        };
        let span = tracing::info_span!("timer", activity = %timer.activity_id, timer = %timer.name, outcome = %outcome_id);
        // A timer another worker already fired makes every commit
        // conflict; the call then ends in `Contention`, and the timer,
        // no longer pending, is not leased again.
        match self.run_timer_call(spec).instrument(span).await {
            Ok(_) => Ok(Fired::Committed),
            // A deadline can be missed for reasons outside the plugin (a
            // starved machine); leave the timer to be leased again.
            Err(e @ Error::Plugin(PluginFailure::Timeout(_))) => Err(e),
            Err(e @ (Error::Guest(_) | Error::Plugin(_))) => {
                let code = e.code();
                self.record_failed_timer(timer, &outcome_id, &e).await?;
                Ok(Fired::Failed(code))
            }
            Err(e) => Err(e),
        }
    }

    /// Mark a timer whose call failed as fired, keeping the error as the
    /// outcome so operators see it in the audit trail.
    async fn record_failed_timer(
        &self,
        timer: &DueTimer,
        outcome_id: &str,
        error: &Error,
    ) -> crate::error::Result<()> {
        let activity = self
            .load_activity(&timer.tenant_id, &timer.activity_id)
            .await?;
        let result =
            serde_json::json!({"error": {"code": error.code(), "message": error.to_string()}});
        let commit = crate::store::ActionCommit {
            outcome: crate::store::OutcomeRecord {
                id: outcome_id.to_owned(),
                tenant_id: timer.tenant_id.clone(),
                activity_id: timer.activity_id.clone(),
                user_id: String::new(),
                action: format!("timer:{}", timer.name),
                payload: timer.payload.clone(),
                result: result.to_string(),
                rewards: "[]".into(),
                inputs: "{}".into(),
                effects_hash: String::new(),
                plugin_sha256: activity.plugin.sha256.clone(),
                fuel_used: 0,
                created_at: self.now(),
                group_id: activity.record.group_id.clone(),
                spends: String::new(),
            },
            reads: vec![],
            writes: vec![],
            stock: vec![],
            rewards: vec![],
            balances: vec![],
            timers: vec![],
            events: vec![],
            fired_timer: Some(timer.id.clone()),
            idempotency: None,
        };
        match self.store.commit(&commit).await {
            Ok(()) | Err(crate::store::StoreError::Conflict) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// Run the timer worker until the process stops.
pub async fn run_worker(arcade: Arc<Arcade>) {
    loop {
        match arcade.fire_due_timers().await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "timer worker round failed"),
        }
        tokio::time::sleep(IDLE).await;
    }
}
