//! `arcade plugin test`: build the component (or take `--component`), run
//! each session in an in-process host (`script.rs`), print each step with
//! the fuel it used, and compare the steps with the session's golden file;
//! `--bless` (or `ARCADE_BLESS=1`) writes the golden files instead.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};

use serde_json::Value;

use super::fuel::{FuelMeter, grouped};
use super::output::Output;
use super::script::{self, Ran};
use super::{local, session};
use crate::cli::PluginTestArgs;
use crate::sandbox::Sandbox;

/// Run the command; `Ok(false)` if a session failed.
pub(super) async fn test(args: &PluginTestArgs) -> anyhow::Result<bool> {
    let meter = FuelMeter::install();
    let which = args.component.clone();
    let path = tokio::task::spawn_blocking(move || local::component(&which)).await??;
    let wasm = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let sessions = sessions(args)?;
    let built = args.component.component.is_none();
    let sandbox = local::sandbox(built.then(|| local::cache_dir(&path)).flatten())?;
    let (mut passed, mut failed) = (0, 0);
    for file in &sessions {
        if check(file, &sandbox, &wasm, meter.as_ref(), args.bless).await {
            passed += 1;
        } else {
            failed += 1;
        }
    }
    println!("sessions: {passed} passed, {failed} failed");
    Ok(failed == 0)
}

/// The sessions named, or every session in the crate's `sessions/`.
fn sessions(args: &PluginTestArgs) -> anyhow::Result<Vec<PathBuf>> {
    if !args.sessions.is_empty() {
        return Ok(args.sessions.clone());
    }
    let dir = args.component.dir.join("sessions");
    let found = if dir.is_dir() {
        session::discover(&dir)?
    } else {
        Vec::new()
    };
    if found.is_empty() {
        bail!(
            "no sessions in {}: write one (see `arcade plugin new`'s sessions/) or name session files",
            dir.display()
        );
    }
    Ok(found)
}

/// Run one session and judge it; prints as it goes.
async fn check(
    file: &Path,
    sandbox: &Arc<Sandbox>,
    wasm: &[u8],
    meter: Option<&FuelMeter>,
    bless: bool,
) -> bool {
    println!("session {}", file.display());
    let session = match session::load(file) {
        Ok(s) => s,
        Err(e) => {
            println!("  error: {e:#}");
            return false;
        }
    };
    let mut unmet = 0;
    let ran = script::run(&session, sandbox, wasm, meter, |step| {
        print_step(&step);
        unmet += step.unmet.len();
    })
    .await;
    let outputs = match ran {
        Ok(outputs) => outputs,
        Err(e) => {
            println!("  error: {e:#}");
            return false;
        }
    };
    let actual = serde_json::to_string_pretty(&outputs).expect("outputs serialize") + "\n";
    let golden = session::golden_path(file);
    if unmet > 0 {
        println!("  {unmet} expectation(s) not met");
    }
    if bless {
        return match std::fs::write(&golden, &actual) {
            Ok(()) => {
                println!("  blessed: wrote {}", golden.display());
                unmet == 0
            }
            Err(e) => {
                println!("  error: writing {}: {e}", golden.display());
                false
            }
        };
    }
    let Ok(expected) = std::fs::read_to_string(&golden) else {
        println!(
            "  no golden file {}: check the steps above, then write it with `arcade plugin test --bless`",
            golden.display()
        );
        return false;
    };
    if same(&expected, &actual) {
        println!("  ok: matches {}", golden.display());
        return unmet == 0;
    }
    println!(
        "  differs from {} (-: golden, +: this run):",
        golden.display()
    );
    let diff = similar::TextDiff::from_lines(&expected, &actual);
    for line in diff
        .unified_diff()
        .context_radius(3)
        .header("golden", "this run")
        .to_string()
        .lines()
    {
        println!("    {line}");
    }
    println!("  if this run is right, accept it with `arcade plugin test --bless`");
    false
}

/// The same text, or the same JSON written differently.
fn same(expected: &str, actual: &str) -> bool {
    expected == actual
        || serde_json::from_str::<serde_json::Value>(expected)
            .ok()
            .zip(serde_json::from_str::<serde_json::Value>(actual).ok())
            .is_some_and(|(e, a)| e == a)
}

fn print_step(ran: &Ran<'_>) {
    let o = ran.output;
    let what = match (&o.user, &o.action, &o.view, &o.advance) {
        (Some(user), Some(action), _, _) => format!("{user} {action}"),
        (_, _, Some(Value::String(user)), _) => format!("view {user}"),
        (_, _, Some(_), _) => "view (anyone)".to_owned(),
        (_, _, _, Some(by)) => format!("advance {by}"),
        _ => String::new(),
    };
    let mut outcome = match (&o.status, &o.code) {
        (Some(status), Some(code)) => format!("{status} {code}"),
        (Some(status), None) => status.to_string(),
        (None, _) => String::new(),
    };
    if let Some(n) = o.rewards.as_ref().and_then(|r| r.as_array()).map(Vec::len)
        && n > 0
    {
        outcome.push_str(&format!(" +{n} reward{}", if n == 1 { "" } else { "s" }));
    }
    let what = match &o.together {
        Some(t) => {
            let [a, b] = &t.a_then_b;
            let name = |o: &Output| {
                format!(
                    "{} {}",
                    o.user.as_deref().unwrap_or(""),
                    o.action.as_deref().unwrap_or("")
                )
            };
            outcome = if t.conflicts.is_empty() {
                "no conflict".to_owned()
            } else {
                format!("conflict on {}", t.conflicts.join(", "))
            };
            if t.order_matters {
                outcome.push_str("; order matters");
            }
            format!("together: {} | {}", name(a), name(b))
        }
        None => what,
    };
    if let Some(timers) = &o.timers {
        let n = timers.len();
        outcome = format!("{n} timer{} fired", if n == 1 { "" } else { "s" });
    }
    let fuel = ran
        .fuel
        .map(|f| format!("fuel {:>11}", grouped(f)))
        .unwrap_or_default();
    let line = format!("  {:>3}  {what:<28} {outcome:<28} {fuel}", o.step);
    println!("{}", line.trim_end());
    for problem in ran.unmet {
        println!("       expectation not met: {problem}");
    }
}
