//! Replay: re-run a stored action from its recorded inputs and check the
//! plugin produces the stored result, rewards and effects, bit for bit.

use serde::Serialize;

use super::calls::{Effects, finish_outcome};
use super::{Arcade, blocking};
use crate::clock::parse_timezone;
use crate::error::{Error, Result};
use crate::randomness;
use crate::sandbox::{CallContext, CallIo, DueTimer, Inputs, Mode};
use crate::store::RewardRow;

/// The verdict of a replay.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayReport {
    /// The outcome replayed.
    pub outcome_id: String,
    /// Whether everything matched.
    pub matches: bool,
    /// What differed, in words.
    pub mismatches: Vec<String>,
    /// The stored result.
    pub stored_result: serde_json::Value,
    /// The result the replay produced, if it produced one.
    pub replayed_result: Option<serde_json::Value>,
}

impl Arcade {
    /// Replay an outcome. `tenant_id` restricts it to that tenant's
    /// outcomes; `None` (the command line) allows any.
    pub async fn replay(&self, tenant_id: Option<&str>, outcome_id: &str) -> Result<ReplayReport> {
        let stored = self
            .store
            .outcome(outcome_id)
            .await?
            .filter(|o| tenant_id.is_none_or(|t| t == o.tenant_id))
            .ok_or_else(|| Error::not_found("outcome", outcome_id))?;
        let activity = self
            .store
            .activity(&stored.activity_id)
            .await?
            .ok_or_else(|| Error::not_found("activity", &stored.activity_id))?;
        let plugin = self.compiled(&stored.plugin_sha256).await?;
        let overrides = match self
            .store
            .plugin(&activity.plugin, Some(&activity.plugin_version))
            .await?
        {
            Some(p) => serde_json::from_str(&p.limits).unwrap_or_default(),
            None => Default::default(),
        };
        let limits = self.sandbox.limits_for(&plugin.manifest.budget, &overrides);
        let timezone = parse_timezone(&activity.timezone)
            .ok_or_else(|| Error::Internal("stored time zone is unknown".into()))?;
        let stored_result: serde_json::Value =
            serde_json::from_str(&stored.result).unwrap_or(serde_json::Value::Null);

        let mut mismatches = Vec::new();
        let inputs: Inputs = match serde_json::from_str(&stored.inputs) {
            Ok(i) => i,
            Err(e) => {
                return Ok(ReplayReport {
                    outcome_id: stored.id,
                    matches: false,
                    mismatches: vec![format!("stored inputs are unreadable: {e}")],
                    stored_result,
                    replayed_result: None,
                });
            }
        };
        let key = self.activity_key(&activity.id);
        // Outcomes numbered per user draw from (user, seq); older ones
        // from their id.
        let rng = match inputs.seq {
            Some(seq) => randomness::action_stream(&key, &stored.user_id, seq),
            None => randomness::legacy_stream(&key, &stored.id),
        };
        let recorded_draws = inputs.draws.clone();
        let due_ms = inputs.due_ms;
        let inputs_seq = inputs.seq;
        let inputs_revision = inputs.config_revision;
        let io = CallIo::replay(Mode::ReadWrite, &stored.user_id, timezone, inputs, rng);
        let (sandbox, s) = (self.sandbox.clone(), stored.clone());
        // The config the call ran under: its revision's, if it recorded one
        // that is not the current.
        let config = match inputs_revision {
            Some(n) if n != activity.revision => self
                .store
                .revisions(&activity.id)
                .await?
                .into_iter()
                .find(|r| r.revision == n)
                .map(|r| r.config)
                .ok_or_else(|| {
                    Error::Internal(format!("revision {n} of the activity is missing"))
                })?,
            _ => activity.config.clone(),
        };
        let report = blocking(move || {
            let ctx = CallContext {
                activity_id: &s.activity_id,
                user_id: &s.user_id,
                config: &config,
                call_id: &s.id,
            };
            match (s.action.strip_prefix("timer:"), due_ms) {
                (Some(name), Some(due_ms)) => {
                    let timer = DueTimer {
                        name,
                        payload: &s.payload,
                        due_ms,
                    };
                    sandbox.on_timer(&plugin, &limits, io, &ctx, &timer)
                }
                _ => sandbox.handle(&plugin, &limits, io, &ctx, &s.action, &s.payload),
            }
        })
        .await?;
        if report.io.diverged {
            mismatches.push("the replay read state or stock the original call did not".into());
        }
        let mut outcome = match report.result {
            Ok(Ok(o)) => o,
            Ok(Err(refusal)) => {
                mismatches.push(format!("the replay was refused: {}", refusal.code));
                return Ok(ReplayReport {
                    outcome_id: stored.id,
                    matches: false,
                    mismatches,
                    stored_result,
                    replayed_result: None,
                });
            }
            Err(failure) => {
                mismatches.push(format!("the replay failed: {failure}"));
                return Ok(ReplayReport {
                    outcome_id: stored.id,
                    matches: false,
                    mismatches,
                    stored_result,
                    replayed_result: None,
                });
            }
        };
        finish_outcome(&stored.id, &mut outcome);
        // Outcomes from before draws were recorded have none to compare.
        if (!recorded_draws.is_empty() || inputs_seq.is_some())
            && report.io.inputs.draws != recorded_draws
        {
            mismatches.push("the numbers drawn differ from the recorded draws".into());
        }
        if outcome.result != stored.result {
            mismatches.push("result differs".into());
        }
        let stored_rewards: Option<Vec<RewardRow>> = serde_json::from_str(&stored.rewards).ok();
        if stored_rewards.as_ref() != Some(&outcome.rewards) {
            mismatches.push("rewards differ".into());
        }
        let effects_hash = Effects::of(&outcome, &report.io).hash();
        if effects_hash != stored.effects_hash {
            mismatches.push("state or stock effects differ (effects hash)".into());
        }
        Ok(ReplayReport {
            outcome_id: stored.id,
            matches: mismatches.is_empty(),
            mismatches,
            stored_result,
            replayed_result: serde_json::from_str(&outcome.result).ok(),
        })
    }
}
