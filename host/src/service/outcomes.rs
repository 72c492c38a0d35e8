//! Reading outcomes: the audit trail operators page through.

use serde::Serialize;

use super::Arcade;
use crate::clock::to_rfc3339;
use crate::error::{Error, Result};
use crate::store::OutcomeRecord;

/// Largest page of outcomes.
pub const MAX_PAGE: u32 = 500;

/// An outcome as shown to operators.
#[derive(Debug, Clone, Serialize)]
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
    pub rewards: serde_json::Value,
    /// Fuel used.
    pub fuel_used: i64,
    /// Commit time (RFC 3339).
    pub created_at: String,
    /// The group the user acted from; null for outcomes from before
    /// groups were recorded (they came from the activity's home group).
    pub group_id: Option<String>,
}

/// A page of outcomes.
#[derive(Debug, Clone, Serialize)]
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
        rewards: json(&o.rewards),
        id: o.id,
        activity_id: o.activity_id,
        user_id: o.user_id,
        action: o.action,
        fuel_used: o.fuel_used,
        group_id: (!o.group_id.is_empty()).then_some(o.group_id),
        created_at: to_rfc3339(o.created_at),
    }
}

impl Arcade {
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
