//! Running an action: schedule checks, idempotency, the sandboxed call
//! over a snapshot, and an optimistic commit retried on conflict.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tracing::Instrument;

use super::activities::check_user_id;
use super::{Arcade, LoadedActivity, blocking};
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::randomness;
use crate::sandbox::{CallContext, CallIo, GuestOutcome, Mode};
use crate::store::{
    ActionCommit, ActivityStatus, IdempotencyClaim, OutcomeRecord, RewardRow, StateKey, StateRead,
    StateWrite, StoreError,
};

/// Largest action payload accepted, in bytes of JSON.
pub const PAYLOAD_LIMIT_BYTES: usize = 16 * 1024;
/// Runs of one action before giving up under contention.
const MAX_ATTEMPTS: u32 = 20;
/// How long a request waits for another holding the same idempotency key.
const IDEMPOTENCY_WAIT: Duration = Duration::from_secs(10);
/// A claim with no response after this long is presumed abandoned by a
/// crashed replica and may be taken over.
const IDEMPOTENCY_STALE_MS: i64 = 60_000;

/// An action request from a platform.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// The acting user.
    pub user_id: String,
    /// The action's name.
    pub action: String,
    /// Its payload; `{}` if absent.
    #[serde(default = "empty_object")]
    pub payload: serde_json::Value,
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(Default::default())
}

#[derive(Serialize)]
struct ActionResponse<'a> {
    outcome_id: &'a str,
    result: serde_json::Value,
    rewards: &'a [RewardRow],
}

/// What the replay check hashes: everything an outcome changed.
#[derive(Serialize)]
pub(crate) struct Effects<'a> {
    pub(crate) result: &'a str,
    pub(crate) rewards: &'a [RewardRow],
    pub(crate) writes: Vec<(&'a StateKey, &'a Option<String>)>,
    pub(crate) stock: Vec<(&'a String, &'a i64)>,
}

impl Effects<'_> {
    pub(crate) fn hash(&self) -> String {
        hex::encode(Sha256::digest(
            serde_json::to_vec(self).expect("effects serialize"),
        ))
    }
}

impl Arcade {
    /// Run an action and return the response body (JSON text). With an
    /// idempotency key, a repeated request gets the first response,
    /// byte for byte.
    pub async fn act(
        &self,
        tenant_id: &str,
        activity_id: &str,
        req: ActionRequest,
        idempotency_key: Option<&str>,
    ) -> Result<String> {
        check_user_id(&req.user_id)?;
        if !req.payload.is_object() {
            return Err(Error::invalid(
                "invalid_payload",
                "payload must be a JSON object",
            ));
        }
        let activity = self.load_activity(tenant_id, activity_id).await?;
        check_accepting(&activity, &req.action)?;

        let Some(key) = idempotency_key else {
            return self.execute(&activity, &req, None).await;
        };
        if key.is_empty() || key.len() > 255 {
            return Err(Error::invalid(
                "invalid_idempotency_key",
                "Idempotency-Key must be 1 to 255 bytes",
            ));
        }
        let request_hash = hex::encode(Sha256::digest(
            serde_json::to_vec(&(activity_id, &req)).expect("request serializes"),
        ));
        let waited_since = tokio::time::Instant::now();
        loop {
            let claim = self
                .store
                .claim_idempotency(tenant_id, key, &request_hash, now_ms())
                .await?;
            let (held_hash, response, created_at) = match claim {
                IdempotencyClaim::Claimed => break,
                IdempotencyClaim::Existing {
                    request_hash,
                    response,
                    created_at,
                } => (request_hash, response, created_at),
            };
            if held_hash != request_hash {
                return Err(Error::invalid(
                    "idempotency_key_reused",
                    "this Idempotency-Key was already used for a different request",
                ));
            }
            if let Some(body) = response {
                return Ok(body);
            }
            if now_ms() - created_at > IDEMPOTENCY_STALE_MS {
                self.store.release_idempotency(tenant_id, key).await?;
                continue;
            }
            if waited_since.elapsed() > IDEMPOTENCY_WAIT {
                return Err(Error::conflict(
                    "idempotency_in_flight",
                    "a request with this Idempotency-Key is still running; retry shortly",
                ));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }

        let result = self.execute(&activity, &req, Some((tenant_id, key))).await;
        if result.is_err() {
            // Nothing was committed: let a retry run the request afresh.
            if let Err(e) = self.store.release_idempotency(tenant_id, key).await {
                tracing::warn!(error = %e, "could not release idempotency key");
            }
        }
        result
    }

    async fn execute(
        &self,
        activity: &std::sync::Arc<LoadedActivity>,
        req: &ActionRequest,
        idempotency: Option<(&str, &str)>,
    ) -> Result<String> {
        let outcome_id = uuid::Uuid::now_v7().to_string();
        let payload = req.payload.to_string();
        let span = tracing::info_span!(
            "action",
            activity = %activity.record.id,
            plugin = %activity.record.plugin,
            outcome = %outcome_id,
            action = %req.action,
        );
        self.run_attempts(activity, req, idempotency, &outcome_id, &payload)
            .instrument(span)
            .await
    }

    async fn run_attempts(
        &self,
        activity: &std::sync::Arc<LoadedActivity>,
        req: &ActionRequest,
        idempotency: Option<(&str, &str)>,
        outcome_id: &str,
        payload: &str,
    ) -> Result<String> {
        for attempt in 0..MAX_ATTEMPTS {
            let now = now_ms();
            let snapshot = self
                .store
                .snapshot(&activity.record.id, &req.user_id)
                .await?;
            let rng = randomness::action_stream(&activity.key, outcome_id);
            let io = CallIo::live(
                Mode::ReadWrite,
                &req.user_id,
                activity.timezone,
                now,
                snapshot,
                Some(rng),
            );
            let (sandbox, a, user, action, p) = (
                self.sandbox.clone(),
                activity.clone(),
                req.user_id.clone(),
                req.action.clone(),
                payload.to_owned(),
            );
            let report = blocking(move || {
                let ctx = CallContext {
                    activity_id: &a.record.id,
                    user_id: &user,
                    config: &a.record.config,
                };
                sandbox.handle(&a.plugin, &a.limits, io, &ctx, &action, &p)
            })
            .await?;
            log_guest_lines(&report.io);
            let outcome = match report.result {
                Ok(Ok(outcome)) => outcome,
                Ok(Err(refusal)) => return Err(Error::Guest(refusal)),
                Err(failure) => {
                    tracing::warn!(code = failure.code(), error = %failure, "plugin failed");
                    return Err(failure.into());
                }
            };
            let body = response_body(outcome_id, &outcome);
            let commit = build_commit(
                activity,
                outcome_id,
                req,
                payload,
                outcome,
                &report.io,
                report.fuel_used,
                idempotency.map(|(_, key)| (key.to_owned(), body.clone())),
            );
            match self.store.commit(&commit).await {
                Ok(()) => return Ok(body),
                Err(StoreError::Conflict) => {
                    tracing::debug!(attempt, "write conflict; running the action again");
                    let backoff =
                        1 + (attempt as u64).min(10) * u64::from(rand::random::<u8>() % 4);
                    tokio::time::sleep(Duration::from_millis(backoff)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Contention)
    }
}

fn check_accepting(activity: &LoadedActivity, action: &str) -> Result<()> {
    let a = &activity.record;
    let now = now_ms();
    if a.status == ActivityStatus::Paused {
        return Err(Error::conflict("activity_paused", "the activity is paused"));
    }
    if a.starts_at.is_some_and(|s| now < s) {
        return Err(Error::conflict(
            "activity_not_started",
            "the activity has not started yet",
        ));
    }
    if a.ends_at.is_some_and(|e| e <= now) {
        return Err(Error::conflict("activity_ended", "the activity has ended"));
    }
    if !activity
        .plugin
        .manifest
        .actions
        .iter()
        .any(|s| s.name == action)
    {
        let known: Vec<_> = activity
            .plugin
            .manifest
            .actions
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        return Err(Error::invalid(
            "unknown_action",
            format!(
                "{action:?} is not an action of {} (known: {})",
                a.plugin,
                known.join(", ")
            ),
        ));
    }
    Ok(())
}

fn response_body(outcome_id: &str, outcome: &GuestOutcome) -> String {
    let result: serde_json::Value =
        serde_json::from_str(&outcome.result).expect("the sandbox checked the result is JSON");
    serde_json::to_string(&ActionResponse {
        outcome_id,
        result,
        rewards: &outcome.rewards,
    })
    .expect("response serializes")
}

#[allow(clippy::too_many_arguments)]
fn build_commit(
    activity: &LoadedActivity,
    outcome_id: &str,
    req: &ActionRequest,
    payload: &str,
    outcome: GuestOutcome,
    io: &CallIo,
    fuel_used: u64,
    idempotency: Option<(String, String)>,
) -> ActionCommit {
    let writes: Vec<StateWrite> = io
        .writes
        .iter()
        .map(|(key, value)| StateWrite {
            key: key.clone(),
            value: value.clone(),
            expected_version: io.inputs.state.get(key).and_then(|s| s.version),
        })
        .collect();
    let reads: Vec<StateRead> = io
        .inputs
        .state
        .iter()
        .filter(|(key, _)| !io.writes.contains_key(*key))
        .map(|(key, seen)| StateRead {
            key: key.clone(),
            version: seen.version,
        })
        .collect();
    let stock: Vec<(String, i64)> = io
        .stock_delta
        .iter()
        .filter(|(_, d)| **d != 0)
        .map(|(p, d)| (p.clone(), *d))
        .collect();
    let effects_hash = Effects {
        result: &outcome.result,
        rewards: &outcome.rewards,
        writes: io.writes.iter().collect(),
        stock: io.stock_delta.iter().filter(|(_, d)| **d != 0).collect(),
    }
    .hash();
    ActionCommit {
        outcome: OutcomeRecord {
            id: outcome_id.to_owned(),
            tenant_id: activity.record.tenant_id.clone(),
            activity_id: activity.record.id.clone(),
            user_id: req.user_id.clone(),
            action: req.action.clone(),
            payload: payload.to_owned(),
            rewards: serde_json::to_string(&outcome.rewards).expect("rewards serialize"),
            result: outcome.result,
            inputs: serde_json::to_string(&io.inputs).expect("inputs serialize"),
            effects_hash,
            plugin_sha256: activity.plugin.sha256.clone(),
            fuel_used: fuel_used as i64,
            created_at: now_ms(),
        },
        reads,
        writes,
        stock,
        rewards: outcome.rewards,
        balances: vec![],
        timers: vec![],
        events: vec![],
        fired_timer: None,
        idempotency,
    }
}

fn log_guest_lines(io: &CallIo) {
    use crate::sandbox::call::LogLevel;
    for (level, line) in &io.logs {
        match level {
            LogLevel::Debug => tracing::debug!(target: "arcade::plugin", "{line}"),
            LogLevel::Info => tracing::info!(target: "arcade::plugin", "{line}"),
            LogLevel::Warn => tracing::warn!(target: "arcade::plugin", "{line}"),
            LogLevel::Error => tracing::error!(target: "arcade::plugin", "{line}"),
        }
    }
    if io.dropped_logs > 0 {
        tracing::warn!(target: "arcade::plugin", dropped = io.dropped_logs, "plugin log lines dropped");
    }
}
