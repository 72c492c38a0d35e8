//! Reading outcomes: the audit trail operators page through.

use serde::Serialize;

use super::Arcade;
use crate::clock::to_rfc3339;
use crate::error::{Error, Result};
use crate::store::OutcomeRecord;

/// Largest page of outcomes.
pub const MAX_PAGE: u32 = 500;

/// An outcome as shown to operators.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OutcomeView {
    /// Id.
    pub id: String,
    /// Activity.
    pub activity_id: String,
    /// User.
    pub user_id: String,
    /// Action name.
    pub action: String,
    /// Payload.
    pub payload: serde_json::Value,
    /// Result.
    pub result: serde_json::Value,
    /// Rewards.
    pub rewards: Vec<super::RewardView>,
    /// Fuel used.
    pub fuel_used: i64,
    /// Commit time (RFC 3339).
    pub created_at: String,
    /// The group the user acted from; null for outcomes from before
    /// groups were recorded (they came from the activity's home group).
    pub group_id: Option<String>,
}

/// A page of outcomes.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OutcomePageView {
    /// Outcomes, oldest first.
    pub outcomes: Vec<OutcomeView>,
    /// Pass as `after` for the next page; `null` at the end.
    pub next: Option<String>,
}

fn view(o: OutcomeRecord) -> OutcomeView {
    let json = |s: &str| serde_json::from_str(s).unwrap_or(serde_json::Value::Null);
    OutcomeView {
        payload: json(&o.payload),
        result: json(&o.result),
        rewards: serde_json::from_str::<Vec<crate::store::RewardRow>>(&o.rewards)
            .unwrap_or_default()
            .iter()
            .map(Into::into)
            .collect(),
        id: o.id,
        activity_id: o.activity_id,
        user_id: o.user_id,
        action: o.action,
        fuel_used: o.fuel_used,
        group_id: (!o.group_id.is_empty()).then_some(o.group_id),
        created_at: to_rfc3339(o.created_at),
    }
}

/// What answers "why did this user win?": the outcome, and everything
/// that made it: the plugin build, the config revision, the randomness
/// commitment (the replay is the proof).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OutcomeProof {
    /// The outcome.
    pub outcome: OutcomeView,
    /// The plugin that produced it, by name and version (`null` if that
    /// build is no longer registered).
    pub plugin: Option<String>,
    /// Its version.
    pub plugin_version: Option<String>,
    /// The sha256 of its component.
    pub plugin_sha256: String,
    /// The config revision the call ran under.
    pub config_revision: i64,
    /// The activity's commitment to its randomness key.
    pub key_commitment: String,
    /// The activity's time zone, for reading `created_at`.
    pub timezone: String,
}

impl Arcade {
    /// An outcome with its provenance (see [`OutcomeProof`]).
    pub async fn outcome_proof(&self, tenant_id: &str, id: &str) -> Result<OutcomeProof> {
        let rec = self
            .store
            .outcome(id)
            .await?
            .filter(|o| o.tenant_id == tenant_id)
            .ok_or_else(|| Error::not_found("outcome", id))?;
        let activity = self.activity_view(tenant_id, &rec.activity_id).await?;
        let revision = serde_json::from_str::<serde_json::Value>(&rec.inputs)
            .ok()
            .and_then(|i| i.get("config_revision").and_then(|r| r.as_i64()))
            .unwrap_or(1);
        let plugin = self
            .plugins()
            .await?
            .into_iter()
            .find(|p| p.sha256 == rec.plugin_sha256);
        Ok(OutcomeProof {
            plugin: plugin.as_ref().map(|p| p.name.clone()),
            plugin_version: plugin.map(|p| p.version),
            plugin_sha256: rec.plugin_sha256.clone(),
            config_revision: revision,
            key_commitment: activity.key_commitment,
            timezone: activity.timezone,
            outcome: view(rec),
        })
    }

    /// A page of an activity's outcomes after the cursor.
    pub async fn outcomes(
        &self,
        tenant_id: &str,
        activity_id: &str,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> Result<OutcomePageView> {
        self.activity_view(tenant_id, activity_id).await?;
        let limit = limit.unwrap_or(100);
        if limit == 0 || limit > MAX_PAGE {
            return Err(Error::invalid(
                "invalid_limit",
                format!("limit must be 1 to {MAX_PAGE}"),
            ));
        }
        let page = self.store.outcomes(activity_id, after, limit).await?;
        Ok(OutcomePageView {
            outcomes: page.outcomes.into_iter().map(view).collect(),
            next: page.next,
        })
    }

    /// One user's latest outcomes of an activity, newest first (at most
    /// `limit`, up to the page maximum): the console's search by user.
    pub async fn user_outcomes(
        &self,
        tenant_id: &str,
        activity_id: &str,
        user_id: &str,
        limit: u32,
    ) -> Result<Vec<OutcomeView>> {
        self.activity_view(tenant_id, activity_id).await?;
        let rows = self
            .store
            .user_outcomes(tenant_id, activity_id, user_id, limit.clamp(1, MAX_PAGE))
            .await?;
        Ok(rows.into_iter().map(view).collect())
    }

    /// One outcome of the tenant.
    pub async fn outcome(&self, tenant_id: &str, id: &str) -> Result<OutcomeView> {
        self.store
            .outcome(id)
            .await?
            .filter(|o| o.tenant_id == tenant_id)
            .map(view)
            .ok_or_else(|| Error::not_found("outcome", id))
    }
}
