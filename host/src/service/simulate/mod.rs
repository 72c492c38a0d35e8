//! The launch simulator: a draft config and an expected audience, run
//! Monte-Carlo through the real plugin in the real sandbox, against an
//! in-memory activity (no database). It reports reward cost in fen
//! (expected, P50, P95 over runs), when each stock pool runs out, and how
//! actions end. A given seed gives the same report.
//!
//! Parts: `audience` (who acts, how often, when), `world` (the in-memory
//! activity), `engine` (the runs, on threads), `report` (the summary),
//! `jobs` (background runs with progress), `budget` (the check on
//! activities that carry a budget).

mod audience;
mod budget;
mod engine;
mod jobs;
mod report;
mod world;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::Value;

pub use audience::{ActionMix, Arrival, Audience, GroupSize, Shape};
pub(crate) use budget::BudgetScope;
pub use budget::{BUDGET_ACTIONS, BUDGET_SEED, BudgetCheck, DEFAULT_MEMBERS};
pub use engine::{Admit, Progress, SIMULATED_ACTIVITY};
pub(crate) use jobs::Jobs;
pub use jobs::SimulationView;
pub use report::{ActionCompletion, Completion, CostSummary, PoolSummary, Report, RewardSummary};

use super::{Arcade, blocking};
use crate::clock::{parse_rfc3339, parse_timezone};
use crate::error::{Error, Result};
use crate::sandbox::{LimitOverrides, Limits, Plugin, Sandbox};
use audience::{Crowd, Planned};
use engine::Engine;

/// Runs when a request names none.
pub const DEFAULT_RUNS: u32 = 20;
/// Most runs one simulation may make.
pub const MAX_RUNS: u32 = 1000;
/// Most actions one simulation may plan over all its runs (expected).
pub const MAX_ACTIONS: f64 = 2_000_000.0;
/// The schedule when a request gives none: 24 hours from the start.
pub const DEFAULT_HOURS: i64 = 24;
/// Longest schedule simulated.
pub const MAX_DAYS: i64 = 366;
const HOUR_MS: i64 = 3_600_000;

/// `POST /v1/activities/simulate`, and what `arcade simulate` reads.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulationRequest {
    /// Plugin name.
    pub plugin: String,
    /// Plugin version; latest if absent.
    #[serde(default)]
    pub plugin_version: Option<String>,
    /// The draft config.
    pub config: Value,
    /// IANA time zone; `Asia/Shanghai` if absent.
    #[serde(default)]
    pub timezone: Option<String>,
    /// RFC 3339 start; the current hour if absent.
    #[serde(default)]
    pub starts_at: Option<String>,
    /// RFC 3339 end; 24 hours after the start if absent.
    #[serde(default)]
    pub ends_at: Option<String>,
    /// The expected audience.
    pub audience: Audience,
    /// Unit cost in fen by reward item (prize id, coupon id, or the
    /// currency of points and tickets).
    #[serde(default)]
    pub costs: BTreeMap<String, i64>,
    /// Monte-Carlo runs (default 20).
    #[serde(default)]
    pub runs: Option<u32>,
    /// The seed (default 0).
    #[serde(default)]
    pub seed: u64,
    /// Run in the background: answer `202` with a job to poll at
    /// `GET /v1/simulations/{id}`.
    #[serde(default)]
    pub background: bool,
}

/// A draft to simulate, its schedule already parsed.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The config.
    pub config: Value,
    /// IANA time zone.
    pub timezone: Option<String>,
    /// Start, ms since the epoch.
    pub starts_at: Option<i64>,
    /// End, ms since the epoch.
    pub ends_at: Option<i64>,
    /// The audience.
    pub audience: Audience,
    /// Unit costs in fen.
    pub costs: BTreeMap<String, i64>,
    /// Runs; `None`: the default.
    pub runs: Option<u32>,
    /// Seed.
    pub seed: u64,
}

impl SimulationRequest {
    /// The draft this request describes.
    pub fn draft(&self) -> Result<Draft> {
        let when = |field: &str, v: &Option<String>| -> Result<Option<i64>> {
            v.as_deref()
                .map(|s| {
                    parse_rfc3339(s).ok_or_else(|| {
                        Error::invalid("invalid_schedule", format!("{field} {s:?} is not RFC 3339"))
                    })
                })
                .transpose()
        };
        Ok(Draft {
            config: self.config.clone(),
            timezone: self.timezone.clone(),
            starts_at: when("starts_at", &self.starts_at)?,
            ends_at: when("ends_at", &self.ends_at)?,
            audience: self.audience.clone(),
            costs: self.costs.clone(),
            runs: self.runs,
            seed: self.seed,
        })
    }
}

/// A checked draft, ready to run: needs only the sandbox it was checked
/// with. The command line builds one without a service.
pub struct Simulation {
    plugin: Arc<Plugin>,
    limits: Limits,
    config: String,
    pools: Vec<(String, i64)>,
    timezone: Tz,
    crowd: Crowd,
    seed: u64,
    runs: u32,
    starts_at: i64,
    ends_at: i64,
    costs: BTreeMap<String, i64>,
}

/// A simulation's actions, planned for every run.
pub struct Plans(Vec<Vec<(Vec<Planned>, u64)>>);

impl Plans {
    /// Actions planned over all runs.
    pub fn actions(&self) -> u64 {
        self.0.iter().flatten().map(|(p, _)| p.len() as u64).sum()
    }
}

impl Simulation {
    /// Check `draft` for `plugin` (blocking: runs `validate-config`). With
    /// `fit` the runs are cut so the expected actions stay within `fit`
    /// (at least 5 runs), instead of refusing a large audience.
    pub fn prepare(
        sandbox: &Sandbox,
        plugin: Arc<Plugin>,
        limits: Limits,
        draft: Draft,
        now: i64,
        fit: Option<f64>,
    ) -> Result<Simulation> {
        let (config, pools) =
            super::activities::checked_config(sandbox, &plugin, &limits, &draft.config)?;
        let tz_name = draft
            .timezone
            .as_deref()
            .unwrap_or(super::activities::DEFAULT_TIMEZONE);
        let timezone = parse_timezone(tz_name).ok_or_else(|| {
            Error::invalid(
                "invalid_timezone",
                format!("{tz_name:?} is not an IANA time zone"),
            )
        })?;
        let starts_at = draft.starts_at.unwrap_or(now - now.rem_euclid(HOUR_MS));
        let ends_at = draft
            .ends_at
            .unwrap_or(starts_at.saturating_add(DEFAULT_HOURS * HOUR_MS));
        if ends_at <= starts_at {
            return Err(Error::invalid(
                "invalid_schedule",
                "ends_at must be after starts_at",
            ));
        }
        if ends_at - starts_at > MAX_DAYS * 24 * HOUR_MS {
            return Err(Error::invalid(
                "invalid_schedule",
                format!("a simulated schedule is at most {MAX_DAYS} days"),
            ));
        }
        if let Some((item, cost)) = draft.costs.iter().find(|(_, c)| **c < 0) {
            return Err(Error::invalid(
                "invalid_costs",
                format!("the cost of {item:?} is {cost}; costs are fen, 0 or more"),
            ));
        }
        let actions: Vec<String> = plugin
            .manifest
            .actions
            .iter()
            .map(|a| a.name.clone())
            .collect();
        let crowd = Crowd::new(&draft.audience, &actions, starts_at, ends_at)?;
        let per_run = crowd.expected_actions();
        let mut runs = draft.runs.unwrap_or(DEFAULT_RUNS);
        if runs == 0 || runs > MAX_RUNS {
            return Err(Error::invalid(
                "invalid_simulation",
                format!("runs must be 1 to {MAX_RUNS}"),
            ));
        }
        if let Some(cap) = fit
            && per_run * f64::from(runs) > cap
        {
            runs = ((cap / per_run.max(1.0)) as u32).clamp(5, runs);
        }
        if per_run * f64::from(runs) > MAX_ACTIONS {
            return Err(Error::invalid(
                "simulation_too_large",
                format!(
                    "about {:.0} actions over {runs} runs; a simulation makes at most {MAX_ACTIONS}",
                    per_run * f64::from(runs)
                ),
            ));
        }
        Ok(Simulation {
            plugin,
            limits,
            config,
            pools,
            timezone,
            crowd,
            seed: draft.seed,
            runs,
            starts_at,
            ends_at,
            costs: draft.costs,
        })
    }

    /// Plan every run's actions (cheap next to running them).
    pub fn plan(&self) -> Plans {
        Plans(
            (0..self.runs)
                .map(|run| {
                    self.crowd
                        .groups
                        .iter()
                        .enumerate()
                        .map(|(g, members)| {
                            self.crowd
                                .plan(*members, &mut audience::plan_rng(self.seed, run, g))
                        })
                        .collect()
                })
                .collect(),
        )
    }

    /// Run the plans on `threads` threads (blocking), counting actions in
    /// `progress`; with `admit`, each call first takes an admission slot.
    pub fn run(
        &self,
        sandbox: &Sandbox,
        plans: &Plans,
        threads: usize,
        progress: &Progress,
        admit: Option<Admit<'_>>,
    ) -> Result<Report> {
        progress
            .total
            .store(plans.actions(), std::sync::atomic::Ordering::Relaxed);
        let engine = Engine {
            sandbox,
            plugin: &self.plugin,
            limits: self.limits,
            config: &self.config,
            pools: &self.pools,
            timezone: self.timezone,
            crowd: &self.crowd,
            seed: self.seed,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
        };
        let runs = engine.run(&plans.0, threads, progress, admit)?;
        let frame = report::Frame {
            plugin: &self.plugin.manifest.name,
            plugin_version: &self.plugin.manifest.version,
            seed: self.seed,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            groups: &self.crowd.groups,
            pools: &self.pools,
            costs: &self.costs,
        };
        Ok(report::build(&frame, &runs))
    }

    /// Plan and run in one go, on every core, without admission.
    pub fn run_alone(&self, sandbox: &Sandbox, progress: &Progress) -> Result<Report> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        self.run(sandbox, &self.plan(), threads, progress, None)
    }
}

/// Threads one simulation uses in the service: half the cores, so live
/// traffic keeps the rest (and each call takes an admission slot, so the
/// tenant's fair share applies too).
fn service_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

impl Arcade {
    /// A draft checked for the named plugin version.
    pub(crate) async fn prepare_simulation(
        &self,
        plugin: &str,
        version: Option<&str>,
        draft: Draft,
        fit: Option<f64>,
    ) -> Result<Simulation> {
        let rec = self.store.plugin(plugin, version).await?.ok_or_else(|| {
            let v = version.unwrap_or("latest");
            Error::invalid(
                "unknown_plugin",
                format!("no plugin {plugin}@{v} is registered"),
            )
        })?;
        let compiled = self.compiled(&rec.sha256).await?;
        let overrides: LimitOverrides = serde_json::from_str(&rec.limits).unwrap_or_default();
        let limits = self
            .sandbox
            .limits_for(&compiled.manifest.budget, &overrides);
        let (sandbox, now) = (self.sandbox.clone(), self.now());
        blocking(move || Simulation::prepare(&sandbox, compiled, limits, draft, now, fit)).await?
    }

    /// Run a checked simulation for `tenant_id` on the blocking pool.
    pub(crate) async fn run_simulation(
        &self,
        tenant_id: &str,
        sim: Simulation,
        plans: Plans,
        progress: Arc<Progress>,
    ) -> Result<Report> {
        let sandbox = self.sandbox.clone();
        let runtime = tokio::runtime::Handle::current();
        let tenant = tenant_id.to_owned();
        blocking(move || {
            let admit = || -> Result<crate::sandbox::Permit> {
                Ok(runtime.block_on(sandbox.admit(&tenant))?)
            };
            sim.run(&sandbox, &plans, service_threads(), &progress, Some(&admit))
        })
        .await?
    }

    /// Simulate a draft and wait for the report.
    pub async fn simulate(&self, tenant_id: &str, req: SimulationRequest) -> Result<Report> {
        let draft = req.draft()?;
        let sim = self
            .prepare_simulation(&req.plugin, req.plugin_version.as_deref(), draft, None)
            .await?;
        let plans = sim.plan();
        self.run_simulation(tenant_id, sim, plans, Arc::default())
            .await
    }

    /// Check a draft and simulate it in the background; poll with
    /// [`Arcade::simulation`].
    pub async fn start_simulation(
        self: &Arc<Self>,
        tenant_id: &str,
        req: SimulationRequest,
    ) -> Result<SimulationView> {
        let draft = req.draft()?;
        let sim = self
            .prepare_simulation(&req.plugin, req.plugin_version.as_deref(), draft, None)
            .await?;
        let (id, job) = self.simulations.start(tenant_id)?;
        let plans = sim.plan();
        job.progress
            .total
            .store(plans.actions(), std::sync::atomic::Ordering::Relaxed);
        let (arcade, tenant) = (self.clone(), tenant_id.to_owned());
        let running = job.clone();
        tokio::spawn(async move {
            let progress = running.progress.clone();
            let result = arcade.run_simulation(&tenant, sim, plans, progress).await;
            running.finish(result);
        });
        self.simulations.view(tenant_id, &id)
    }

    /// A background simulation of this tenant: progress, then the report.
    pub fn simulation(&self, tenant_id: &str, id: &str) -> Result<SimulationView> {
        self.simulations.view(tenant_id, id)
    }
}
