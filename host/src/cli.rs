//! Command-line and environment configuration. Every flag has an
//! environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::sandbox::{AdmissionConfig, Limits, SandboxConfig};

/// Arcade: community activity mechanics as sandboxed WebAssembly plugins.
#[derive(Debug, Parser)]
#[command(name = "arcade", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service.
    Serve(ServeArgs),
    /// Re-run a stored outcome and check it reproduces exactly; exits 0 on
    /// a match and 1 on a mismatch.
    Replay(ReplayArgs),
}

/// Where data lives.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Directory for the embedded SQLite database and the generated admin
    /// token.
    #[arg(long, env = "ARCADE_DATA_DIR", default_value = "./arcade-data")]
    pub data_dir: PathBuf,
    /// Use this Postgres database instead of the embedded SQLite file.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

/// Sandbox limits.
#[derive(Debug, Clone, Args)]
pub struct SandboxArgs {
    /// Default fuel per plugin call.
    #[arg(long, env = "ARCADE_PLUGIN_FUEL", default_value_t = Limits::DEFAULT.fuel)]
    pub plugin_fuel: u64,
    /// Default memory per plugin call, in MiB.
    #[arg(long, env = "ARCADE_PLUGIN_MEMORY_MIB", default_value_t = Limits::DEFAULT.memory_bytes >> 20)]
    pub plugin_memory_mib: u64,
    /// Default deadline per plugin call, in milliseconds.
    #[arg(long, env = "ARCADE_PLUGIN_TIMEOUT_MS", default_value_t = Limits::DEFAULT.timeout_ms)]
    pub plugin_timeout_ms: u32,
    /// Largest result or view a plugin may return, in KiB.
    #[arg(long, env = "ARCADE_PLUGIN_OUTPUT_KIB", default_value_t = Limits::DEFAULT.output_bytes >> 10)]
    pub plugin_output_kib: u32,
    /// Operator cap on fuel: no plugin gets more.
    #[arg(long, env = "ARCADE_PLUGIN_MAX_FUEL", default_value_t = Limits::DEFAULT_CAPS.fuel)]
    pub plugin_max_fuel: u64,
    /// Operator cap on memory, in MiB.
    #[arg(long, env = "ARCADE_PLUGIN_MAX_MEMORY_MIB", default_value_t = Limits::DEFAULT_CAPS.memory_bytes >> 20)]
    pub plugin_max_memory_mib: u64,
    /// Operator cap on the deadline, in milliseconds.
    #[arg(long, env = "ARCADE_PLUGIN_MAX_TIMEOUT_MS", default_value_t = Limits::DEFAULT_CAPS.timeout_ms)]
    pub plugin_max_timeout_ms: u32,
    /// Sandbox instances that may exist at once (the pooling allocator's
    /// size): running calls, calls paused for a fairer tenant, and calls
    /// outside admission such as uploads and replays.
    #[arg(long, env = "ARCADE_MAX_CONCURRENT_CALLS", default_value_t = 256)]
    pub max_concurrent_calls: u32,
    /// Plugin calls that run at once (default: twice the CPUs).
    #[arg(long, env = "ARCADE_MAX_RUNNING_CALLS")]
    pub max_running_calls: Option<usize>,
    /// Running calls one tenant may hold (default: half of them).
    #[arg(long, env = "ARCADE_MAX_TENANT_CALLS")]
    pub max_tenant_calls: Option<usize>,
    /// Calls that may wait for a slot; beyond it, `503 overloaded`. One
    /// tenant may fill half of it.
    #[arg(long, env = "ARCADE_MAX_QUEUED_CALLS", default_value_t = 1024)]
    pub max_queued_calls: usize,
    /// Longest a call waits for a slot before `503 overloaded`, in ms.
    #[arg(long, env = "ARCADE_MAX_QUEUE_WAIT_MS", default_value_t = 2000)]
    pub max_queue_wait_ms: u64,
    /// Directory for compiled plugins, so a restart does not compile them
    /// again; `off` disables it. Default: `cache` in the data directory.
    #[arg(long, env = "ARCADE_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
}

impl SandboxArgs {
    /// The sandbox configuration these flags describe; the plugin cache
    /// defaults to `cache` in `data_dir`.
    pub fn config(&self, data_dir: &std::path::Path) -> SandboxConfig {
        let machine = AdmissionConfig::for_this_machine();
        let slots = self.max_running_calls.unwrap_or(machine.slots).max(1);
        let admission = AdmissionConfig {
            slots,
            per_tenant: self.max_tenant_calls.unwrap_or((slots / 2).max(1)),
            max_queued: self.max_queued_calls,
            max_wait: std::time::Duration::from_millis(self.max_queue_wait_ms),
        };
        let cache_dir = match &self.cache_dir {
            Some(dir) if dir.as_os_str() == "off" || dir.as_os_str().is_empty() => None,
            Some(dir) => Some(dir.clone()),
            None => Some(data_dir.join("cache")),
        };
        let caps = Limits {
            fuel: self.plugin_max_fuel,
            memory_bytes: self.plugin_max_memory_mib << 20,
            timeout_ms: self.plugin_max_timeout_ms,
            output_bytes: Limits::DEFAULT_CAPS
                .output_bytes
                .max(self.plugin_output_kib << 10),
        };
        SandboxConfig {
            defaults: Limits {
                fuel: self.plugin_fuel,
                memory_bytes: self.plugin_memory_mib << 20,
                timeout_ms: self.plugin_timeout_ms,
                output_bytes: self.plugin_output_kib << 10,
            },
            caps,
            max_concurrent_calls: self.max_concurrent_calls,
            admission,
            cache_dir,
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// `arcade serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Storage.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address to listen on.
    #[arg(long, env = "ARCADE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The admin token. If unset, one is generated on first start, kept in
    /// the data directory, and printed once.
    #[arg(long, env = "ARCADE_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Hex-encoded 32-byte randomness secret. If unset, one is generated
    /// and kept in the database, shared by every replica.
    #[arg(long, env = "ARCADE_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// Sandbox limits.
    #[command(flatten)]
    pub sandbox: SandboxArgs,
    /// Log format.
    #[arg(long, env = "ARCADE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// `arcade replay`.
#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// The outcome to replay.
    pub outcome_id: String,
    /// Storage (the same as `serve` used).
    #[command(flatten)]
    pub store: StoreArgs,
    /// The randomness secret, if `serve` was given one.
    #[arg(long, env = "ARCADE_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// Sandbox limits.
    #[command(flatten)]
    pub sandbox: SandboxArgs,
}
