//! Running an action: schedule checks, idempotency, the sandboxed call
//! over a snapshot, and an optimistic commit retried on conflict.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tracing::Instrument;

use super::activities::check_user_id;
use super::calls::{CallSpec, Trigger};
use super::{Arcade, LoadedActivity};
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::store::{ActivityStatus, IdempotencyClaim};

/// Largest action payload accepted, in bytes of JSON.
pub const PAYLOAD_LIMIT_BYTES: usize = 16 * 1024;
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
        check_accepting(&activity, &req.action, self.now())?;

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

        let result = self.execute(&activity, &req, Some(key)).await;
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
        idempotency_key: Option<&str>,
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
        let spec = CallSpec {
            activity,
            outcome_id: &outcome_id,
            user_id: &req.user_id,
            trigger: Trigger::Action {
                name: &req.action,
                idempotency_key,
            },
            payload: &payload,
        };
        self.run_call(&spec).instrument(span).await
    }
}

fn check_accepting(activity: &LoadedActivity, action: &str, now: i64) -> Result<()> {
    let a = &activity.record;
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
