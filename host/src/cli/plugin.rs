//! `arcade plugin ...`: the plugin author's toolkit. None of it needs a
//! separate server; `upload` and `list` talk to one that is running.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::DraftArgs;

/// `arcade plugin ...`.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Scaffold a mechanic crate (a workspace of its own) with a working
    /// mechanic, its tests, a sample session and a README.
    New(PluginNewArgs),
    /// Compile the plugin crate to a WebAssembly component for the host
    /// and print the component's path.
    Build(PluginBuildArgs),
    /// Run scripted sessions against the compiled component in an
    /// in-process host (the real service and sandbox, an in-memory store,
    /// a clock the script steps) and compare each step with the session's
    /// golden file.
    Test(PluginTestArgs),
    /// Serve the plugin on 127.0.0.1 from a fresh local store, with a
    /// tenant, keys and one activity ready, and print curl examples.
    Run(PluginRunArgs),
    /// `run`, rebuilding and reloading the component (same version) when
    /// the crate's sources change; the activity moves to each new build.
    Dev(PluginRunArgs),
    /// Upload a component to a running service (admin key).
    Upload(PluginUploadArgs),
    /// List the plugins registered with a running service.
    List(RemoteArgs),
    /// Build the crate and run the launch simulator over its component,
    /// as `arcade simulate` does: progress on stderr, the report on stdout.
    Simulate(Box<PluginSimulateArgs>),
}

/// `arcade plugin new`.
#[derive(Debug, Clone, Args)]
pub struct PluginNewArgs {
    /// The plugin's name: lower-case letters, digits and '-'.
    pub name: String,
    /// Where to create the crate's directory.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    /// Depend on the SDK at this path (default: the SDK this binary was
    /// built beside, if it is still there, else the SDK by version).
    #[arg(long, conflicts_with = "sdk_version")]
    pub sdk_path: Option<PathBuf>,
    /// Depend on the SDK by this version requirement from the registry.
    #[arg(long)]
    pub sdk_version: Option<String>,
}

/// `arcade plugin build`.
#[derive(Debug, Clone, Args)]
pub struct PluginBuildArgs {
    /// The plugin crate's directory.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    /// The Rust target (default wasm32-wasip2, the only one the host runs).
    #[arg(long, hide = true)]
    pub target: Option<String>,
}

/// The component a command works on: the crate's, built first, or a file.
#[derive(Debug, Clone, Args)]
pub struct ComponentArgs {
    /// The plugin crate's directory.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    /// Use this component file instead of building the crate.
    #[arg(long)]
    pub component: Option<PathBuf>,
}

/// `arcade plugin test`.
#[derive(Debug, Clone, Args)]
pub struct PluginTestArgs {
    /// The crate, or a component.
    #[command(flatten)]
    pub component: ComponentArgs,
    /// Session files (YAML or JSON) to run; default: every session in the
    /// crate's `sessions/` directory.
    pub sessions: Vec<PathBuf>,
    /// Write each session's golden file from this run instead of comparing
    /// (`ARCADE_BLESS=1` too).
    #[arg(long, env = "ARCADE_BLESS", value_parser = clap::builder::BoolishValueParser::new())]
    pub bless: bool,
}

/// `arcade plugin run` and `arcade plugin dev`.
#[derive(Debug, Clone, Args)]
pub struct PluginRunArgs {
    /// The crate, or a component (`dev` then reloads when the file changes).
    #[command(flatten)]
    pub component: ComponentArgs,
    /// The port to listen on, on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// The activity's config, a JSON file (default: the crate's
    /// `config.json`, else the config of its first session).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Where the local SQLite store lives; emptied at each start
    /// (default: `target/arcade-run` in the crate).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

/// A running service and a key for it.
#[derive(Debug, Clone, Args)]
pub struct RemoteArgs {
    /// The service's base URL.
    #[arg(long, env = "ARCADE_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// An API key: the admin token to upload; any key to list.
    #[arg(long, env = "ARCADE_KEY", hide_env_values = true)]
    pub key: String,
}

/// `arcade plugin upload`.
#[derive(Debug, Clone, Args)]
pub struct PluginUploadArgs {
    /// The service and the admin token.
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// The component file (`arcade plugin build` prints its path).
    pub file: PathBuf,
}

/// `arcade plugin simulate`.
#[derive(Debug, Clone, Args)]
pub struct PluginSimulateArgs {
    /// The crate, or a component.
    #[command(flatten)]
    pub component: ComponentArgs,
    /// The draft and how to simulate it.
    #[command(flatten)]
    pub draft: DraftArgs,
}
