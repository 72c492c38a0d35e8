use clap::Parser;

use arcade_host::cli::{Cli, Command};

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
    }
}
