//! `arcade plugin ...`: the plugin author's toolkit, which needs no
//! separate server. One module per command: `new` scaffolds a mechanic
//! crate (`template.rs`), `build` compiles it to a component, `test` runs
//! scripted sessions against the component in an in-process host and
//! compares them with golden files (`session.rs` the files, `script.rs`
//! the run, `output.rs` what a step did, `fuel.rs` the fuel of each step),
//! `run` serves it locally and `dev` also reloads it on changes
//! (`dev.rs`), `remote` uploads to and lists a running service, and
//! `simulate` runs the launch simulator over it. `local.rs` is the host
//! of one plugin that `test`, `run` and `dev` share.

mod build;
mod dev;
mod fuel;
mod local;
mod new;
mod output;
mod remote;
mod run;
mod script;
mod session;
mod simulate;
mod template;
mod test;

pub use build::{WASM_TARGET, build};
pub use new::new;

use crate::cli::PluginCommand;

/// Run an `arcade plugin` command. `Ok(false)` when it ran but did not
/// pass (a session that did not match its golden file): exit 1.
pub async fn run_command(command: PluginCommand) -> anyhow::Result<bool> {
    match command {
        PluginCommand::New(args) => {
            let dir = new(&args)?;
            println!("{}", dir.display());
            eprintln!(
                "created {}: cd into it, run `cargo test`, then `arcade plugin test`",
                dir.display()
            );
        }
        PluginCommand::Build(args) => {
            let wasm = build(&args)?;
            let size = std::fs::metadata(&wasm)?.len();
            eprintln!("built {} ({} KiB)", wasm.display(), size.div_ceil(1024));
            println!("{}", wasm.display());
        }
        PluginCommand::Test(args) => return test::test(&args).await,
        PluginCommand::Run(args) => run::run(&args, false).await?,
        PluginCommand::Dev(args) => run::run(&args, true).await?,
        PluginCommand::Upload(args) => remote::upload(&args).await?,
        PluginCommand::List(args) => remote::list(&args).await?,
        PluginCommand::Simulate(args) => {
            tokio::task::spawn_blocking(move || simulate::simulate(&args)).await??
        }
    }
    Ok(true)
}
