use clap::Parser;

use arcade_host::cli::{Cli, Command, PluginCommand};

/// Many small, short-lived allocations on many threads (requests, JSON,
/// guest buffers): mimalloc serves them faster than the system allocator.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => arcade_host::server::serve(args).await,
        Command::Replay(args) => {
            if !arcade_host::server::replay(args).await? {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Simulate(args) => {
            tokio::task::spawn_blocking(move || arcade_host::simulate::run(args)).await?
        }
        Command::Plugin(PluginCommand::New(args)) => {
            let dir = arcade_host::toolkit::new(&args)?;
            println!("{}", dir.display());
            eprintln!(
                "created {}: cd into it, run `cargo test`, then `arcade plugin build`",
                dir.display()
            );
            Ok(())
        }
        Command::Plugin(PluginCommand::Build(args)) => {
            let wasm = arcade_host::toolkit::build(&args)?;
            let size = std::fs::metadata(&wasm)?.len();
            eprintln!("built {} ({} KiB)", wasm.display(), size.div_ceil(1024));
            println!("{}", wasm.display());
            Ok(())
        }
    }
}
