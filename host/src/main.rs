use clap::Parser;

use arcade_host::cli::{Cli, Command};

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
        Command::Verify(args) => {
            if !arcade_host::verify::run(args)? {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Plugin(command) => {
            if !arcade_host::toolkit::run_command(command).await? {
                std::process::exit(1);
            }
            Ok(())
        }
    }
}
