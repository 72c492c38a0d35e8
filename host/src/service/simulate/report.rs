//! The simulation report: cost in fen across runs (expected, P50, P95),
//! rewards by item, when each stock pool ran out, and how actions ended.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::engine::RunTally;
use crate::clock::to_rfc3339;

const HOUR_MS: f64 = 3_600_000.0;

/// What a simulation found. Deterministic for its inputs and seed.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Report {
    /// Plugin name.
    pub plugin: String,
    /// Plugin version.
    pub plugin_version: String,
    /// The seed.
    pub seed: u64,
    /// Monte-Carlo runs.
    pub runs: u32,
    /// Schedule start (RFC 3339).
    pub starts_at: String,
    /// Schedule end (RFC 3339).
    pub ends_at: String,
    /// Members of each simulated group.
    pub groups: Vec<u64>,
    /// Mean participants per run, over all groups.
    pub participants_mean: f64,
    /// Actions made, mean per run.
    pub actions_mean: f64,
    /// Actions simulated over all runs.
    pub actions_total: u64,
    /// Reward cost per run.
    pub cost_fen: CostSummary,
    /// Rewards by kind and item, mean units per run.
    pub rewards: Vec<RewardSummary>,
    /// Items granted that `costs` gave no unit cost for (counted as 0).
    pub uncosted: Vec<String>,
    /// Each stock pool (per group when there are several).
    pub stock: Vec<PoolSummary>,
    /// How actions ended.
    pub completion: Completion,
    /// Timer calls, mean per run.
    pub timer_calls_mean: f64,
}

/// Reward cost in fen across runs.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CostSummary {
    /// Mean.
    pub expected: f64,
    /// Median (nearest rank).
    pub p50: i64,
    /// 95th percentile (nearest rank).
    pub p95: i64,
    /// Cheapest run.
    pub min: i64,
    /// Dearest run.
    pub max: i64,
    /// Each run's cost, in run order.
    pub per_run: Vec<i64>,
}

/// One rewarded item.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RewardSummary {
    /// `prize`, `points`, `coupon` or `tickets`.
    pub kind: String,
    /// Item id (the currency for points and tickets).
    pub item: String,
    /// Display name.
    pub name: String,
    /// Mean units granted per run.
    pub units_mean: f64,
    /// Unit cost from `costs`, if given.
    pub unit_cost_fen: Option<i64>,
    /// Mean cost per run.
    pub cost_fen_mean: f64,
}

/// One stock pool.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PoolSummary {
    /// Index in the audience's groups (0 with one group).
    pub group: usize,
    /// Pool id.
    pub pool: String,
    /// Size.
    pub initial: i64,
    /// Mean units left at the end.
    pub remaining_mean: f64,
    /// Share of runs in which it ran out.
    pub ran_out_share: f64,
    /// Hours from the start when it ran out, median over runs (a run
    /// where it never ran out counts as never); `null`: not in most runs.
    pub ran_out_hour_p50: Option<f64>,
    /// The same as a time (RFC 3339).
    pub ran_out_at_p50: Option<String>,
}

/// How actions ended, as shares of all actions made.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SimulatedCompletion)]
pub struct Completion {
    /// Ran to an outcome.
    pub succeeded: f64,
    /// Ran to an outcome with at least one reward.
    pub rewarded: f64,
    /// Refused by the mechanic, by code.
    pub refused: BTreeMap<String, f64>,
    /// Failed in the sandbox, by code.
    pub failed: BTreeMap<String, f64>,
    /// Per action of the mix.
    pub by_action: BTreeMap<String, ActionCompletion>,
}

/// One action's completion.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ActionCompletion {
    /// Made, mean per run.
    pub actions_mean: f64,
    /// Share that ran to an outcome.
    pub succeeded: f64,
    /// Share rewarded.
    pub rewarded: f64,
}

/// The parts of a report that do not come from the runs.
pub(super) struct Frame<'a> {
    pub(super) plugin: &'a str,
    pub(super) plugin_version: &'a str,
    pub(super) seed: u64,
    pub(super) starts_at: i64,
    pub(super) ends_at: i64,
    pub(super) groups: &'a [u64],
    pub(super) pools: &'a [(String, i64)],
    pub(super) costs: &'a BTreeMap<String, i64>,
}

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        round(part as f64 / whole as f64, 4)
    }
}

/// Nearest rank: the smallest value with at least `p` of them at or below.
pub(super) fn percentile<T: Ord + Copy>(sorted: &[T], p: f64) -> T {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

pub(super) fn build(f: &Frame<'_>, runs: &[RunTally]) -> Report {
    let n = runs.len().max(1) as f64;
    let mean = |x: u64| round(x as f64 / n, 2);
    let unit = |item: &str| f.costs.get(item).copied();

    let mut per_run = Vec::with_capacity(runs.len());
    let mut rewards: BTreeMap<(String, String), (String, i64)> = BTreeMap::new();
    let (mut participants, mut actions, mut succeeded, mut rewarded, mut timers) = (0, 0, 0, 0, 0);
    let mut refused: BTreeMap<String, u64> = BTreeMap::new();
    let mut failed: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_action: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    for run in runs {
        let mut cost: i64 = 0;
        for g in run {
            participants += g.participants;
            actions += g.actions;
            succeeded += g.succeeded;
            rewarded += g.rewarded;
            timers += g.timer_calls;
            for (code, k) in &g.refused {
                *refused.entry(code.clone()).or_default() += k;
            }
            for (code, k) in &g.failed {
                *failed.entry(code.clone()).or_default() += k;
            }
            for (name, (a, s, r)) in &g.by_action {
                let e = by_action.entry(name.clone()).or_default();
                e.0 += a;
                e.1 += s;
                e.2 += r;
            }
            for ((kind, item), (name, units)) in &g.rewards {
                let e = rewards
                    .entry((kind.clone(), item.clone()))
                    .or_insert_with(|| (name.clone(), 0));
                e.1 += units;
                cost = cost.saturating_add(units.saturating_mul(unit(item).unwrap_or(0)));
            }
        }
        per_run.push(cost);
    }
    let mut sorted = per_run.clone();
    sorted.sort_unstable();
    let cost_fen = CostSummary {
        expected: round(per_run.iter().map(|c| *c as f64).sum::<f64>() / n, 2),
        p50: sorted.first().map_or(0, |_| percentile(&sorted, 0.5)),
        p95: sorted.first().map_or(0, |_| percentile(&sorted, 0.95)),
        min: sorted.first().copied().unwrap_or(0),
        max: sorted.last().copied().unwrap_or(0),
        per_run,
    };

    let mut uncosted = Vec::new();
    let rewards = rewards
        .into_iter()
        .map(|((kind, item), (name, units))| {
            let unit_cost = unit(&item);
            if unit_cost.is_none() {
                uncosted.push(item.clone());
            }
            RewardSummary {
                cost_fen_mean: round(units as f64 * unit_cost.unwrap_or(0) as f64 / n, 2),
                units_mean: round(units as f64 / n, 2),
                unit_cost_fen: unit_cost,
                kind,
                item,
                name,
            }
        })
        .collect();
    uncosted.sort();
    uncosted.dedup();

    let mut stock = Vec::new();
    for (g, _) in f.groups.iter().enumerate() {
        for (pool, initial) in f.pools {
            // Never is later than any time.
            let mut gone: Vec<i64> = runs
                .iter()
                .map(|r| {
                    r[g].ran_out
                        .get(pool)
                        .copied()
                        .flatten()
                        .unwrap_or(i64::MAX)
                })
                .collect();
            gone.sort_unstable();
            let ran_out = gone.iter().filter(|t| **t != i64::MAX).count() as u64;
            let p50 = gone
                .first()
                .map(|_| percentile(&gone, 0.5))
                .filter(|t| *t != i64::MAX);
            let left: i64 = runs
                .iter()
                .map(|r| r[g].remaining.get(pool).copied().unwrap_or(*initial))
                .sum();
            stock.push(PoolSummary {
                group: g,
                pool: pool.clone(),
                initial: *initial,
                remaining_mean: round(left as f64 / n, 2),
                ran_out_share: share(ran_out, runs.len() as u64),
                ran_out_hour_p50: p50.map(|t| round((t - f.starts_at) as f64 / HOUR_MS, 2)),
                ran_out_at_p50: p50.map(to_rfc3339),
            });
        }
    }

    let shares = |m: BTreeMap<String, u64>| {
        m.into_iter()
            .map(|(code, k)| (code, share(k, actions)))
            .collect()
    };
    let completion = Completion {
        succeeded: share(succeeded, actions),
        rewarded: share(rewarded, actions),
        refused: shares(refused),
        failed: shares(failed),
        by_action: by_action
            .into_iter()
            .map(|(name, (a, s, r))| {
                (
                    name,
                    ActionCompletion {
                        actions_mean: mean(a),
                        succeeded: share(s, a),
                        rewarded: share(r, a),
                    },
                )
            })
            .collect(),
    };
    Report {
        plugin: f.plugin.to_owned(),
        plugin_version: f.plugin_version.to_owned(),
        seed: f.seed,
        runs: runs.len() as u32,
        starts_at: to_rfc3339(f.starts_at),
        ends_at: to_rfc3339(f.ends_at),
        groups: f.groups.to_vec(),
        participants_mean: mean(participants),
        actions_mean: mean(actions),
        actions_total: actions,
        cost_fen,
        rewards,
        uncosted,
        stock,
        completion,
        timer_calls_mean: mean(timers),
    }
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<i64> = (1..=20).collect();
        assert_eq!(percentile(&v, 0.5), 10);
        assert_eq!(percentile(&v, 0.95), 19);
        assert_eq!(percentile(&[7], 0.95), 7);
        assert_eq!(percentile(&[1, 2], 0.5), 1);
    }
}
