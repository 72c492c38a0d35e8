//! (g) The launch simulator: 100,000 lucky draws, Monte-Carlo over ten
//! runs, each through `Sandbox::handle` against the in-memory activity,
//! on every core, against the target of 10 s.

use std::time::{Duration, Instant};

use anyhow::Context;
use arcade_host::sandbox::{LimitOverrides, Sandbox, SandboxConfig};
use arcade_host::service::simulate::{Draft, Progress, Simulation};
use serde_json::json;

/// Target for 100,000 simulated actions.
const TARGET: Duration = Duration::from_secs(10);

/// What one simulation took.
pub struct SimulateResult {
    actions: u64,
    runs: u32,
    threads: usize,
    elapsed: Duration,
    p95_fen: i64,
}

/// Simulate `actions` draws (members × ten runs) of a lucky draw whose
/// rare prize runs out early.
pub fn bench_simulate(actions: u64) -> anyhow::Result<SimulateResult> {
    let sandbox = Sandbox::new(SandboxConfig::default())?;
    let wasm = arcade_host::bundled::PLUGINS
        .iter()
        .find(|(name, _)| *name == "lucky-draw")
        .context("lucky-draw is not bundled")?
        .1;
    let plugin = sandbox.load(wasm).map_err(|e| anyhow::anyhow!("{e}"))?;
    let limits = sandbox.limits_for(&plugin.manifest.budget, &LimitOverrides::default());
    let runs = 10;
    let draft = Draft {
        config: json!({
            "prizes": [
                {"id": "mug", "name": "Mug", "weight": 1, "stock": 500},
                {"id": "pen", "name": "Pen", "weight": 5}
            ],
            "miss_weight": 20
        }),
        timezone: None,
        starts_at: Some(1_790_000_000_000),
        ends_at: Some(1_790_000_000_000 + 24 * 3_600_000),
        audience: serde_json::from_value(json!({
            "members": actions / u64::from(runs),
            "arrival": "front_loaded"
        }))?,
        costs: [("mug".to_owned(), 3000), ("pen".to_owned(), 200)].into(),
        runs: Some(runs),
        seed: 1,
    };
    let sim = Simulation::prepare(&sandbox, plugin, limits, draft, 0, None)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let started = Instant::now();
    let plans = sim.plan();
    let report = sim
        .run(&sandbox, &plans, threads, &Progress::default(), None)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(SimulateResult {
        actions: report.actions_total,
        runs: report.runs,
        threads,
        elapsed: started.elapsed(),
        p95_fen: report.cost_fen.p95,
    })
}

pub fn print_simulate(r: &SimulateResult) {
    let scaled = r.elapsed.as_secs_f64() * 100_000.0 / r.actions.max(1) as f64;
    let target = if scaled < TARGET.as_secs_f64() {
        "met"
    } else {
        "MISSED"
    };
    println!(
        "(g) launch simulator: {} lucky draws in {} runs on {} threads: {:.2} s \
         ({:.1} µs an action; P95 cost {} fen); target 100,000 actions < {} s: {target}",
        r.actions,
        r.runs,
        r.threads,
        r.elapsed.as_secs_f64(),
        r.elapsed.as_secs_f64() * 1e6 / r.actions.max(1) as f64,
        r.p95_fen,
        TARGET.as_secs()
    );
}
