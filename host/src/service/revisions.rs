//! Config revisions. An activity's config changes only by a new revision:
//! checked like a new activity's (host checks, then the plugin's
//! `validate-config`), recorded with its author, reason and the field diff
//! against the revision before, its stock pools resized in the same
//! transaction (a pool keeps what was already claimed from it). A
//! rollback is a new revision carrying an old one's config. Calls record
//! the revision they ran under in their inputs, and replay runs an
//! outcome under that revision's config.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Arcade;
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::store::{Revision, StoreError};

use super::activities::ActivityView;
use super::simulate::{Audience, BudgetCheck, BudgetScope};

/// Longest reason, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// `PUT /v1/activities/{id}/config`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigChange {
    /// The whole new config.
    pub config: Value,
    /// Why, 1 to 500 characters.
    pub reason: String,
    /// If given, the change applies only on top of this revision
    /// (`409 revision_conflict` otherwise): two operators editing at once
    /// do not overwrite each other unseen.
    #[serde(default)]
    pub base_revision: Option<i64>,
    /// For an activity with a budget: the audience to simulate the new
    /// config with (default: the group's reported members).
    #[serde(default)]
    pub audience: Option<Audience>,
    /// Save even if the new config's simulated P95 cost is above the
    /// activity's budget.
    #[serde(default)]
    pub accept_over_budget: bool,
}

/// A revision as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RevisionView {
    /// 1 at creation, then one more per change.
    pub revision: i64,
    /// The config.
    pub config: Value,
    /// The key id that made it (empty if unknown).
    pub author: String,
    /// Why.
    pub reason: String,
    /// `[{"path","from","to"}]` against the revision before; a missing
    /// side is absent.
    pub diff: Value,
    /// When (RFC 3339).
    pub created_at: String,
}

impl From<Revision> for RevisionView {
    fn from(r: Revision) -> Self {
        RevisionView {
            revision: r.revision,
            config: serde_json::from_str(&r.config).unwrap_or(Value::Null),
            author: r.author,
            reason: r.reason,
            diff: serde_json::from_str(&r.diff).unwrap_or(Value::Null),
            created_at: crate::clock::to_rfc3339(r.created_at),
        }
    }
}

/// The leaf changes from `old` to `new`, as `{"path","from","to"}` with
/// paths like `prizes[0].stock`; objects and arrays are compared member
/// by member, anything else as a whole.
pub fn diff(old: &Value, new: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    walk("", Some(old), Some(new), &mut out);
    out
}

fn walk(path: &str, old: Option<&Value>, new: Option<&Value>, out: &mut Vec<Value>) {
    match (old, new) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(&p, a.get(k), b.get(k), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            for i in 0..a.len().max(b.len()) {
                walk(&format!("{path}[{i}]"), a.get(i), b.get(i), out);
            }
        }
        (a, b) if a == b => {}
        (a, b) => {
            let mut change = json!({ "path": path });
            if let Some(a) = a {
                change["from"] = a.clone();
            }
            if let Some(b) = b {
                change["to"] = b.clone();
            }
            out.push(change);
        }
    }
}

impl Arcade {
    /// Change an activity's config by a new revision.
    pub async fn revise_config(
        &self,
        tenant_id: &str,
        id: &str,
        change: ConfigChange,
        author: &str,
    ) -> Result<ActivityView> {
        let reason = change.reason.trim();
        if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
            return Err(Error::invalid(
                "invalid_reason",
                format!("reason must be 1 to {MAX_REASON_CHARS} characters"),
            ));
        }
        let budget = BudgetInputs {
            audience: change.audience,
            accept_over_budget: change.accept_over_budget,
        };
        self.apply_revision(
            tenant_id,
            id,
            &change.config,
            reason,
            author,
            change.base_revision,
            Some(budget),
        )
        .await
    }

    /// Make revision `to`'s config current again, as a new revision.
    pub async fn roll_back(
        &self,
        tenant_id: &str,
        id: &str,
        to: i64,
        author: &str,
    ) -> Result<ActivityView> {
        let old = self
            .revisions_of(tenant_id, id)
            .await?
            .into_iter()
            .find(|r| r.revision == to)
            .ok_or_else(|| Error::not_found("revision", &to.to_string()))?;
        let config: Value = serde_json::from_str(&old.config)
            .map_err(|e| Error::Internal(format!("stored revision is not JSON: {e}")))?;
        let reason = format!("rollback to revision {to}");
        // A rollback restores a config that was accepted before; it is not
        // held up by the budget check again.
        self.apply_revision(tenant_id, id, &config, &reason, author, None, None)
            .await
    }

    /// An activity's revisions, oldest first.
    pub async fn revisions(&self, tenant_id: &str, id: &str) -> Result<Vec<RevisionView>> {
        let all = self.revisions_of(tenant_id, id).await?;
        Ok(all.into_iter().map(RevisionView::from).collect())
    }

    async fn revisions_of(&self, tenant_id: &str, id: &str) -> Result<Vec<Revision>> {
        match self.store.activity(id).await? {
            Some(a) if a.tenant_id == tenant_id => Ok(self.store.revisions(id).await?),
            _ => Err(Error::not_found("activity", id)),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn apply_revision(
        &self,
        tenant_id: &str,
        id: &str,
        config: &Value,
        reason: &str,
        author: &str,
        base: Option<i64>,
        budget: Option<BudgetInputs>,
    ) -> Result<ActivityView> {
        let current = match self.store.activity(id).await? {
            Some(a) if a.tenant_id == tenant_id => a,
            _ => return Err(Error::not_found("activity", id)),
        };
        if let Some(base) = base
            && base != current.revision
        {
            return Err(revision_conflict(current.revision));
        }
        let rec = self
            .store
            .plugin(&current.plugin, Some(&current.plugin_version))
            .await?
            .ok_or_else(|| Error::Internal("an activity's plugin version is gone".into()))?;
        let (stored, stock) = self.validated_config(&rec, config).await?;
        let old: Value = serde_json::from_str(&current.config).unwrap_or(Value::Null);
        let changes = diff(&old, config);
        if changes.is_empty() {
            return Err(Error::invalid(
                "config_unchanged",
                "the config is the same as the current revision's",
            ));
        }
        match (current.budget_fen, budget) {
            (Some(budget_fen), Some(inputs)) => {
                let scope = BudgetScope {
                    tenant_id,
                    group_id: &current.group_id,
                    plugin: &current.plugin,
                    plugin_version: &current.plugin_version,
                    timezone: &current.timezone,
                    starts_at: current.starts_at,
                    ends_at: current.ends_at,
                };
                let check = BudgetCheck {
                    budget_fen,
                    costs: serde_json::from_str(&current.costs).unwrap_or_default(),
                    audience: inputs.audience,
                    accept_over_budget: inputs.accept_over_budget,
                };
                self.check_budget(&scope, config, &check).await?;
            }
            (None, Some(inputs)) if inputs.audience.is_some() || inputs.accept_over_budget => {
                return Err(Error::invalid(
                    "invalid_budget",
                    "the activity has no budget; audience and accept_over_budget do not apply",
                ));
            }
            _ => {}
        }
        let revision = Revision {
            activity_id: id.to_owned(),
            revision: current.revision + 1,
            config: stored,
            author: author.to_owned(),
            reason: reason.to_owned(),
            diff: Value::Array(changes).to_string(),
            created_at: now_ms(),
        };
        match self.store.revise_activity(&revision, &stock).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => return Err(revision_conflict(current.revision + 1)),
            Err(StoreError::StockClaimed { pool, claimed }) => {
                return Err(Error::conflict(
                    "stock_below_claimed",
                    format!("pool {pool} already has {claimed} claimed; it cannot be smaller"),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        self.forget_activity(id);
        self.activity_view(tenant_id, id).await
    }
}

/// The budget part of a config change.
struct BudgetInputs {
    audience: Option<Audience>,
    accept_over_budget: bool,
}

fn revision_conflict(current: i64) -> Error {
    Error::conflict(
        "revision_conflict",
        format!("the activity is at revision {current} now; review it and change that"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_names_each_changed_leaf() {
        let old = json!({"prizes": [{"id": "a", "stock": 5}], "miss_weight": 9, "gone": true});
        let new =
            json!({"prizes": [{"id": "a", "stock": 8}, {"id": "b"}], "miss_weight": 9, "new": 1});
        assert_eq!(
            diff(&old, &new),
            vec![
                json!({"path": "gone", "from": true}),
                json!({"path": "new", "to": 1}),
                json!({"path": "prizes[0].stock", "from": 5, "to": 8}),
                json!({"path": "prizes[1]", "to": {"id": "b"}}),
            ]
        );
        assert!(diff(&old, &old).is_empty());
        assert_eq!(
            diff(&json!({"a": 1}), &json!({"a": "1"})),
            vec![json!({"path": "a", "from": 1, "to": "1"})]
        );
    }
}
