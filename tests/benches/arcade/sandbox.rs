//! (a) The sandbox cost of one lucky-draw action against the same
//! mechanic run natively through `arcade_sdk::testing::MockHost`.

use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use arcade_host::sandbox::{CallContext, CallIo, LimitOverrides, Mode, Sandbox, SandboxConfig};
use arcade_host::store::{Snapshot, StockLevel};
use arcade_sdk::testing::MockHost;
use serde_json::json;

use crate::{CONFIG, SECRET, STOCK};

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Medians and tails of both ways of running one draw.
pub struct SandboxResult {
    iters: usize,
    sandbox_p50: Duration,
    sandbox_p99: Duration,
    native_p50: Duration,
    native_p99: Duration,
    wins: usize,
}

/// Run `iters` draws each way, after a warm-up.
pub fn bench_sandbox(iters: usize) -> anyhow::Result<SandboxResult> {
    let sandbox = Sandbox::new(SandboxConfig::default())?;
    let wasm = arcade_host::bundled::PLUGINS
        .iter()
        .find(|(name, _)| *name == "lucky-draw")
        .context("lucky-draw is not bundled")?
        .1;
    let plugin = sandbox.load(wasm).map_err(|e| anyhow::anyhow!("{e}"))?;
    let limits = sandbox.limits_for(&plugin.manifest.budget, &LimitOverrides::default());
    let tz = arcade_host::clock::parse_timezone("Asia/Shanghai").context("time zone")?;
    let activity_key = arcade_host::randomness::activity_key(&SECRET, "bench-activity");
    let now = arcade_host::clock::now_ms();

    // What the service hands the sandbox for a first-time user: no state,
    // the prize pool full. Built outside the timed region.
    let call = |i: usize| {
        let snapshot = Snapshot {
            state: Vec::new(),
            stock: vec![StockLevel {
                pool: "p1".into(),
                initial: STOCK,
                remaining: STOCK,
            }],
        };
        let rng = arcade_host::randomness::action_stream(&activity_key, "bench-user", i as u64 + 1);
        let user = format!("user-{i}");
        let io = CallIo::live(Mode::ReadWrite, &user, tz, now, snapshot, Some(rng), None);
        (user, io)
    };
    let run_one = |i: usize| -> anyhow::Result<(Duration, bool)> {
        let (user, io) = call(i);
        let ctx = CallContext {
            activity_id: "bench-activity",
            user_id: &user,
            config: CONFIG,
            call_id: "bench-call",
        };
        let start = Instant::now();
        let report = sandbox.handle(&plugin, &limits, io, &ctx, "draw", "{}");
        let won = match &report.result {
            Ok(Ok(outcome)) => !outcome.rewards.is_empty(),
            Ok(Err(refusal)) => bail!("draw refused: {refusal:?}"),
            Err(failure) => bail!("draw failed: {failure}"),
        };
        drop(report);
        Ok((start.elapsed(), won))
    };

    let warmup = (iters / 10).max(100);
    for i in 0..warmup {
        run_one(i)?;
    }
    let mut samples = Vec::with_capacity(iters);
    let mut wins = 0;
    for i in 0..iters {
        let (d, won) = run_one(warmup + i)?;
        samples.push(d);
        wins += usize::from(won);
    }
    samples.sort_unstable();

    // The same decision natively: a fresh mock host per draw (a first-time
    // user, full pool), set up outside the timed region.
    let native_one = |i: usize| -> anyhow::Result<Duration> {
        let mut host = MockHost::new(CONFIG);
        host.seed(i as u64);
        host.setup::<lucky_draw::LuckyDraw>()
            .map_err(|e| anyhow::anyhow!("config rejected: {e:?}"))?;
        let user = format!("user-{i}");
        let payload = json!({});
        let start = Instant::now();
        let outcome = host.handle::<lucky_draw::LuckyDraw>(&user, "draw", payload);
        ensure!(outcome.is_ok(), "native draw refused: {outcome:?}");
        drop(outcome);
        Ok(start.elapsed())
    };
    for i in 0..warmup {
        native_one(i)?;
    }
    let mut native = Vec::with_capacity(iters);
    for i in 0..iters {
        native.push(native_one(warmup + i)?);
    }
    native.sort_unstable();

    Ok(SandboxResult {
        iters,
        sandbox_p50: quantile(&samples, 0.5),
        sandbox_p99: quantile(&samples, 0.99),
        native_p50: quantile(&native, 0.5),
        native_p99: quantile(&native, 0.99),
        wins,
    })
}

/// The table's header and part (a).
pub fn print_sandbox(a: &SandboxResult, cores: usize) {
    let ratio = us(a.sandbox_p50) / us(a.native_p50).max(1e-9);
    let target = if us(a.sandbox_p50) <= 20.0 {
        "met"
    } else {
        "MISSED"
    };
    println!();
    println!("Arcade benchmark ({cores} CPUs; HTTP clients and server share them)");
    println!("{}", "=".repeat(96));
    println!(
        "(a) lucky draw, one action: {} iterations after warm-up",
        a.iters
    );
    println!("  {:<44} {:>10} {:>10}   notes", "", "median", "p99");
    println!(
        "  {:<44} {:>8.1}µs {:>8.1}µs   fresh store+instance, handle(\"draw\"), drop; {} wins",
        "sandbox (wasmtime, Sandbox::handle)",
        us(a.sandbox_p50),
        us(a.sandbox_p99),
        a.wins
    );
    println!(
        "  {:<44} {:>8.2}µs {:>8.2}µs   same mechanic and config via MockHost",
        "native Rust (arcade_sdk::testing::MockHost)",
        us(a.native_p50),
        us(a.native_p99)
    );
    println!(
        "  {:<44} {:>9.1}x   target sandbox median <= 20 µs: {target}",
        "ratio sandbox / native (median)", ratio
    );
}
