//! Budgets. An activity may carry `budget_fen` (with the unit costs it is
//! counted in); creating it, or changing its config, simulates the config
//! first, and a P95 reward cost above the budget is refused
//! (`422 over_budget`) unless the request says `"accept_over_budget":
//! true`. The audience is the request's, or by default every reported
//! member of the group (1,000 if the group reported none) making the
//! plugin's first action once, evenly over the schedule; the seed is
//! fixed, so the same draft gets the same verdict. With
//! `accept_over_budget` nothing is simulated. A group too large for the
//! default audience (over 400,000 members: five runs past the
//! simulator's 2,000,000 actions) is `422 simulation_too_large`: give an
//! `audience`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Arcade, Arrival, Audience, Draft, Report};
use crate::error::{Error, Result};

/// The seed budget checks use.
pub const BUDGET_SEED: u64 = 0;
/// Members assumed when the group reported no member count.
pub const DEFAULT_MEMBERS: u64 = 1000;
/// Actions a budget check simulates at most (runs are cut to fit, to no
/// fewer than five), so saving an activity stays quick.
pub const BUDGET_ACTIONS: f64 = 200_000.0;

/// The budget part of a create or change request.
#[derive(Debug, Clone, Default)]
pub struct BudgetCheck {
    /// Budget in fen.
    pub budget_fen: i64,
    /// Unit costs in fen by reward item.
    pub costs: BTreeMap<String, i64>,
    /// The expected audience, if the request gave one.
    pub audience: Option<Audience>,
    /// Save even if the P95 cost is above the budget.
    pub accept_over_budget: bool,
}

/// Where a budget check runs: the activity's plugin, group and schedule.
pub(crate) struct BudgetScope<'a> {
    pub(crate) tenant_id: &'a str,
    pub(crate) group_id: &'a str,
    pub(crate) plugin: &'a str,
    pub(crate) plugin_version: &'a str,
    pub(crate) timezone: &'a str,
    pub(crate) starts_at: Option<i64>,
    pub(crate) ends_at: Option<i64>,
}

/// Refuse a budget below zero.
pub(crate) fn check_budget_value(budget_fen: i64) -> Result<()> {
    if budget_fen < 0 {
        return Err(Error::invalid(
            "invalid_budget",
            "budget_fen must be 0 or more",
        ));
    }
    Ok(())
}

impl Arcade {
    /// Simulate `config` under `scope` and refuse it if its P95 cost is
    /// over the budget and that was not accepted. An accepted overrun
    /// needs no simulation: nothing it could find would refuse the config.
    pub(crate) async fn check_budget(
        &self,
        scope: &BudgetScope<'_>,
        config: &Value,
        check: &BudgetCheck,
    ) -> Result<Option<Report>> {
        check_budget_value(check.budget_fen)?;
        if check.accept_over_budget {
            return Ok(None);
        }
        let audience = match &check.audience {
            Some(a) => a.clone(),
            None => {
                let reported = self
                    .store
                    .group(scope.tenant_id, scope.group_id)
                    .await?
                    .and_then(|g| g.members)
                    .filter(|m| *m > 0);
                Audience {
                    members: Some(reported.map_or(DEFAULT_MEMBERS, |m| m as u64)),
                    groups: None,
                    participation: 1.0,
                    actions_per_user: 1.0,
                    actions: Vec::new(),
                    arrival: Arrival::default(),
                }
            }
        };
        let draft = Draft {
            config: config.clone(),
            timezone: Some(scope.timezone.to_owned()),
            starts_at: scope.starts_at,
            ends_at: scope.ends_at,
            audience,
            costs: check.costs.clone(),
            runs: None,
            seed: BUDGET_SEED,
        };
        let sim = self
            .prepare_simulation(
                scope.plugin,
                Some(scope.plugin_version),
                draft,
                Some(BUDGET_ACTIONS),
            )
            .await?;
        let plans = sim.plan();
        let report = self
            .run_simulation(scope.tenant_id, sim, plans, Default::default())
            .await?;
        let p95 = report.cost_fen.p95;
        if p95 > check.budget_fen {
            return Err(Error::invalid(
                "over_budget",
                format!(
                    "the simulated P95 reward cost is {p95} fen (expected {:.0}), over the budget \
                     of {} fen; send \"accept_over_budget\": true to save it anyway",
                    report.cost_fen.expected, check.budget_fen
                ),
            ));
        }
        Ok(Some(report))
    }
}
