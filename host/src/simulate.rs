//! `arcade simulate`: the launch simulator without a server. It loads a
//! bundled plugin (or a component file) into a sandbox of its own, runs
//! the draft on every core, prints progress to stderr and the report, as
//! JSON, to stdout.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::cli::{DraftArgs, SimulateArgs};
use crate::sandbox::{LimitOverrides, Sandbox};
use crate::service::simulate::{Progress, Simulation, SimulationRequest};

fn read_json<T: serde::de::DeserializeOwned>(path: &std::path::Path) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Run `arcade simulate` (blocking).
pub fn run(args: SimulateArgs) -> anyhow::Result<()> {
    let wasm = match (&args.plugin, &args.plugin_file) {
        (_, Some(file)) => {
            std::fs::read(file).with_context(|| format!("reading {}", file.display()))?
        }
        (Some(name), None) => match crate::bundled::PLUGINS.iter().find(|(n, _)| n == name) {
            Some((_, wasm)) => wasm.to_vec(),
            None => {
                let names: Vec<&str> = crate::bundled::PLUGINS.iter().map(|(n, _)| *n).collect();
                bail!("no bundled plugin {name:?}; bundled: {}", names.join(", "))
            }
        },
        (None, None) => bail!("give --plugin or --plugin-file"),
    };
    simulate_component(&wasm, &args.draft)
}

/// Simulate `args`' draft over the component `wasm` in a sandbox of its
/// own (blocking): progress on stderr, the report on stdout. Shared with
/// `arcade plugin simulate`.
pub fn simulate_component(wasm: &[u8], args: &DraftArgs) -> anyhow::Result<()> {
    let mut config = args.sandbox.config(std::path::Path::new("."));
    config.cache_dir = args
        .sandbox
        .cache_dir
        .clone()
        .filter(|d| d.as_os_str() != "off" && !d.as_os_str().is_empty());
    let sandbox = Sandbox::new(config)?;
    let plugin = sandbox.load(wasm).map_err(crate::error::Error::from)?;
    let limits = sandbox.limits_for(&plugin.manifest.budget, &LimitOverrides::default());
    let request = SimulationRequest {
        plugin: plugin.manifest.name.clone(),
        plugin_version: None,
        config: read_json(&args.config)?,
        timezone: Some(args.timezone.clone()),
        starts_at: args.starts_at.clone(),
        ends_at: args.ends_at.clone(),
        audience: read_json(&args.audience)?,
        costs: match &args.costs {
            Some(path) => read_json(path)?,
            None => Default::default(),
        },
        runs: Some(args.runs),
        seed: args.seed,
        background: false,
    };
    let sim = Simulation::prepare(
        &sandbox,
        plugin,
        limits,
        request.draft()?,
        crate::clock::now_ms(),
        None,
    )?;
    let plans = sim.plan();
    let progress = Arc::new(Progress::default());
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let finished = Arc::new(AtomicBool::new(false));
    let reporter = {
        let (progress, finished) = (progress.clone(), finished.clone());
        std::thread::spawn(move || {
            while !finished.load(Relaxed) {
                std::thread::sleep(Duration::from_millis(500));
                let (done, total) = (progress.done.load(Relaxed), progress.total.load(Relaxed));
                if !finished.load(Relaxed) {
                    let pct = (done * 100).checked_div(total).unwrap_or(100);
                    eprintln!("simulated {done}/{total} actions ({pct}%)");
                }
            }
        })
    };
    let started = Instant::now();
    let result = sim.run(&sandbox, &plans, threads, &progress, None);
    finished.store(true, Relaxed);
    let _ = reporter.join();
    let report = result?;
    eprintln!(
        "simulated {} actions in {} runs on {threads} threads in {:.2} s",
        report.actions_total,
        report.runs,
        started.elapsed().as_secs_f64()
    );
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &report)?;
    writeln!(out)?;
    Ok(())
}
