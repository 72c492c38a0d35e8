//! `arcade plugin simulate`: build the crate (or take `--component`) and
//! run the launch simulator over its component, exactly as `arcade
//! simulate --plugin-file` does (`crate::simulate`).

use anyhow::Context;

use super::local;
use crate::cli::PluginSimulateArgs;

/// Build, then simulate (blocking): progress on stderr, the report on
/// stdout.
pub(super) fn simulate(args: &PluginSimulateArgs) -> anyhow::Result<()> {
    let path = local::component(&args.component)?;
    let wasm = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    eprintln!("simulating {}", path.display());
    crate::simulate::simulate_component(&wasm, &args.draft)
}
