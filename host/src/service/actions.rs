//! Running an action: schedule checks, idempotency, and the call in a
//! task of its own (see `calls.rs` for the call itself).

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tracing::Instrument;

use super::activities::check_user_id;
use super::calls::{CallSpec, KeyedRequest, Trigger};
use super::idempotency::{self, KeyGuard, Turn};
use super::{Arcade, LoadedActivity, enablements};
use crate::error::{Error, Result};
use crate::store::ActivityStatus;

/// Largest action payload accepted, in bytes of JSON.
pub const PAYLOAD_LIMIT_BYTES: usize = 16 * 1024;
/// How long a request waits for another on this replica running the same
/// request under the same idempotency key. Longer than an action can run
/// (its lane gives up after `lane::PATIENCE`).
const IDEMPOTENCY_WAIT: Duration = Duration::from_secs(30);

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
    /// The group the user acted from; the activity's home group if
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(Default::default())
}

impl Arcade {
    /// Run an action and return the response body (JSON text). With an
    /// idempotency key, a repeated request gets the first response,
    /// byte for byte, even after the activity was paused or ended.
    ///
    /// The action runs in a task of its own: if the caller goes away
    /// (the client hung up), it still runs to its end, and a key it held
    /// is settled or released at once.
    pub async fn act(
        self: &Arc<Self>,
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

        let Some(key) = idempotency_key else {
            check_accepting(&activity, &req, self.now())?;
            return self.spawn_action(activity, req, None).await;
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
            let guard = match self.in_flight.enter(tenant_id, key, &request_hash) {
                Turn::Lead(guard) => guard,
                Turn::Reused => return Err(idempotency::key_reused()),
                Turn::Wait(settled) => {
                    let left = IDEMPOTENCY_WAIT.saturating_sub(waited_since.elapsed());
                    match tokio::time::timeout(left, idempotency::wait(settled)).await {
                        Ok(Some(body)) => {
                            self.metrics.idempotency_replay("in_flight");
                            return Ok(body);
                        }
                        // Released without a commit: try to take the key.
                        Ok(None) => continue,
                        Err(_) => {
                            return Err(Error::conflict(
                                "idempotency_in_flight",
                                "a request with this Idempotency-Key is still running; \
                                 retry shortly",
                            ));
                        }
                    }
                }
            };
            let keyed = KeyedRequest {
                key: key.to_owned(),
                request_hash,
            };
            // Nothing is read before the run: a key committed before makes
            // the run's own commit fail with `KeyTaken`, which answers with
            // the stored response. Only a refusal needs the lookup, since a
            // retry of a committed request must get that answer whatever
            // the activity's schedule says now.
            if let Err(refused) = check_accepting(&activity, &req, self.now()) {
                let answer = self.stored_or(tenant_id, &keyed, refused).await;
                guard.settle(&answer);
                return answer;
            }
            return self.spawn_action(activity, req, Some((keyed, guard))).await;
        }
    }

    /// Run the action in a task of its own and wait for it.
    async fn spawn_action(
        self: &Arc<Self>,
        activity: Arc<LoadedActivity>,
        req: ActionRequest,
        keyed: Option<(KeyedRequest, KeyGuard)>,
    ) -> Result<String> {
        let outcome_id = self.new_id();
        let span = tracing::info_span!(
            "action",
            activity = %activity.record.id,
            plugin = %activity.record.plugin,
            outcome = %outcome_id,
            action = %req.action,
        );
        let (idempotency, guard) = keyed.unzip();
        let group_id = req
            .group_id
            .unwrap_or_else(|| activity.record.group_id.clone());
        let spec = CallSpec {
            group_id,
            activity,
            outcome_id,
            user_id: req.user_id,
            trigger: Trigger::Action {
                name: req.action,
                idempotency,
            },
            payload: req.payload.to_string(),
        };
        let arcade = self.clone();
        let started = std::time::Instant::now();
        let (plugin, action) = (
            spec.activity.plugin.manifest.name.clone(),
            spec.action_name(),
        );
        let task = tokio::spawn(
            async move {
                let keyed = spec.idempotency().cloned();
                let tenant_id = spec.activity.record.tenant_id.clone();
                let result = match (arcade.run_action(spec).await, keyed) {
                    // Refused now (say `already_joined`), but a first run
                    // of this request may have committed: its answer stands.
                    (Err(e), Some(keyed)) => arcade.stored_or(&tenant_id, &keyed, e).await,
                    (result, _) => result,
                };
                if let Some(guard) = guard {
                    guard.settle(&result);
                }
                let seconds = started.elapsed().as_secs_f64();
                arcade
                    .metrics
                    .action(&plugin, &action, result.is_ok(), seconds);
                result
            }
            .instrument(span),
        );
        task.await
            .map_err(|e| Error::Internal(format!("action task failed: {e}")))?
    }

    /// The stored answer of a keyed request that committed before, else
    /// `refused`. A failed lookup leaves the refusal as the answer.
    async fn stored_or(
        &self,
        tenant_id: &str,
        keyed: &KeyedRequest,
        refused: Error,
    ) -> Result<String> {
        match self.store.idempotent_response(tenant_id, &keyed.key).await {
            Ok(Some(stored)) => {
                let answer = idempotency::stored_answer(stored, &keyed.request_hash);
                if answer.is_ok() {
                    self.metrics.idempotency_replay("stored");
                }
                answer
            }
            Ok(None) => Err(refused),
            Err(e) => {
                tracing::warn!(error = %e, "idempotency lookup after a refusal failed");
                Err(refused)
            }
        }
    }
}

fn check_accepting(activity: &LoadedActivity, req: &ActionRequest, now: i64) -> Result<()> {
    let a = &activity.record;
    let action = req.action.as_str();
    if a.status == ActivityStatus::Paused {
        return Err(Error::conflict("activity_paused", "the activity is paused"));
    }
    let group = req.group_id.as_deref().unwrap_or(&a.group_id);
    let schedule = enablements::gate(a, &activity.groups, group)?;
    if schedule.starts_at.is_some_and(|s| now < s) {
        return Err(Error::conflict(
            "activity_not_started",
            "the activity has not started yet",
        ));
    }
    if schedule.ends_at.is_some_and(|e| e <= now) {
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
    // The payload schema the plugin declared, before the plugin runs.
    let problems = activity.plugin.schemas.check_payload(action, &req.payload);
    if !problems.is_empty() {
        return Err(Error::InvalidPayload(problems));
    }
    Ok(())
}
