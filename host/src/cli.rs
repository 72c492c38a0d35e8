//! Command-line and environment configuration. Every flag has an
//! environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::http::serve::ServeConfig;
use crate::sandbox::{AdmissionConfig, Limits, SandboxConfig};

mod plugin;
pub use plugin::*;

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
    /// Simulate a draft config against an expected audience, without a
    /// server: progress on stderr, the JSON report on stdout.
    Simulate(SimulateArgs),
    /// Re-derive every draw of an ended activity from its outcomes export
    /// and its revealed key, without a server or database; exits 0 when
    /// everything checks out and 1 otherwise.
    Verify(VerifyArgs),
    /// The plugin author's toolkit: scaffold, build, test, run, simulate
    /// and upload a mechanic, without a separate server.
    #[command(subcommand)]
    Plugin(PluginCommand),
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
    #[arg(long, env = "ARCADE_MAX_QUEUED_CALLS", default_value_t = 8192)]
    pub max_queued_calls: usize,
    /// Longest a call waits for a slot before `503 overloaded`, in ms.
    #[arg(long, env = "ARCADE_MAX_QUEUE_WAIT_MS", default_value_t = 5000)]
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

/// HTTP timeouts and the connection cap.
#[derive(Debug, Clone, Args)]
pub struct HttpArgs {
    /// Longest time from a request's first byte to the end of its headers,
    /// in milliseconds; the connection is closed when it passes.
    #[arg(long, env = "ARCADE_HEADER_TIMEOUT_MS", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout_ms: u64,
    /// Longest time from the end of a request's headers to the end of its
    /// body, in milliseconds; `408 body_timeout` when it passes.
    #[arg(long, env = "ARCADE_BODY_TIMEOUT_MS", default_value_t = 30_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout_ms: u64,
    /// How long a keep-alive connection may wait for its next request, in
    /// milliseconds. Keep it above the idle timeout of any proxy in front.
    #[arg(long, env = "ARCADE_IDLE_TIMEOUT_MS", default_value_t = 75_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout_ms: u64,
    /// Open connections at most; at the cap the longest-idle connection is
    /// closed to admit a new one. Lowered at start-up to fit the open-file
    /// limit.
    #[arg(long, env = "ARCADE_MAX_CONNECTIONS", default_value_t = 4096,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections: u64,
    /// On shutdown, how long requests in flight may take to finish, in
    /// milliseconds.
    #[arg(long, env = "ARCADE_DRAIN_TIMEOUT_MS", default_value_t = 20_000)]
    pub drain_timeout_ms: u64,
}

impl HttpArgs {
    /// The server configuration these flags describe.
    pub fn config(&self) -> ServeConfig {
        ServeConfig {
            header_timeout: Duration::from_millis(self.header_timeout_ms),
            body_timeout: Duration::from_millis(self.body_timeout_ms),
            idle_timeout: Duration::from_millis(self.idle_timeout_ms),
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
            drain_timeout: Duration::from_millis(self.drain_timeout_ms),
        }
    }
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
    /// HTTP timeouts and limits.
    #[command(flatten)]
    pub http: HttpArgs,
    /// Log format.
    #[arg(long, env = "ARCADE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Metrics and traces.
    #[command(flatten)]
    pub observability: ObservabilityArgs,
    /// How long an Idempotency-Key answers repeats of its request, in
    /// seconds; older keys are swept.
    #[arg(long, env = "ARCADE_IDEMPOTENCY_TTL_SECS", default_value_t = 86_400)]
    pub idempotency_ttl_secs: u64,
    /// Key cache and tombstone sweeping.
    #[command(flatten)]
    pub upkeep: UpkeepArgs,
    /// Directory for CSV export files (default: `exports` in the data
    /// directory). Replicas behind one load balancer should share it, or
    /// a download may reach a replica without the file.
    #[arg(long, env = "ARCADE_EXPORT_DIR")]
    pub export_dir: Option<PathBuf>,
}

/// Who may read `GET /metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MetricsMode {
    /// `Authorization: Bearer` with the admin token or `--metrics-token`.
    Token,
    /// Anyone who reaches the listener (keep it off the public network).
    Open,
    /// Not served (`404`).
    Off,
}

/// `GET /metrics` and trace export.
#[derive(Debug, Clone, Args)]
pub struct ObservabilityArgs {
    /// Who may read `GET /metrics`.
    #[arg(long, env = "ARCADE_METRICS", value_enum, default_value_t = MetricsMode::Token)]
    pub metrics: MetricsMode,
    /// A token that reads `GET /metrics` and nothing else, for a scraper;
    /// the admin token reads it too.
    #[arg(long, env = "ARCADE_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Export traces (a span per request and per plugin call) over OTLP,
    /// HTTP/protobuf, to this base URL (`/v1/traces` is appended unless
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` names the full URL). Off when
    /// unset.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
}

impl ObservabilityArgs {
    /// Who may read `GET /metrics`.
    pub fn access(&self) -> anyhow::Result<crate::service::MetricsAccess> {
        use crate::service::MetricsAccess;
        if let Some(t) = &self.metrics_token {
            anyhow::ensure!(
                t.len() >= 16,
                "ARCADE_METRICS_TOKEN must be at least 16 characters"
            );
        }
        Ok(match self.metrics {
            MetricsMode::Token => MetricsAccess::Token(self.metrics_token.clone()),
            MetricsMode::Open => MetricsAccess::Open,
            MetricsMode::Off => MetricsAccess::Off,
        })
    }
}

/// Caches and background upkeep.
#[derive(Debug, Clone, Args)]
pub struct UpkeepArgs {
    /// How long a replica trusts a cached API key, in milliseconds: a key
    /// revoked through another replica stops working here within this.
    #[arg(long, env = "ARCADE_KEY_CACHE_TTL_MS", default_value_t = crate::service::KEY_CACHE_TTL.as_millis() as u64)]
    pub key_cache_ttl_ms: u64,
    /// How long a removed state key's tombstone must stay unchanged before
    /// it is deleted, in seconds. Keep it far above the longest call.
    #[arg(long, env = "ARCADE_TOMBSTONE_RETENTION_SECS", default_value_t = crate::service::tombstones::DEFAULT_RETENTION.as_secs())]
    pub tombstone_retention_secs: u64,
    /// Seconds between tombstone sweeps.
    #[arg(long, env = "ARCADE_TOMBSTONE_SWEEP_INTERVAL_SECS", default_value_t = crate::service::tombstones::DEFAULT_INTERVAL.as_secs())]
    pub tombstone_sweep_interval_secs: u64,
}

/// `arcade verify`.
#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// The activity's outcomes export (CSV, as `GET /v1/exports/{id}/download`
    /// returns it); `-` reads standard input.
    #[arg(long)]
    pub export: PathBuf,
    /// The activity's randomness key, hex, as `GET /v1/activities/{id}/fairness`
    /// reveals it once the activity has ended.
    #[arg(long)]
    pub key: String,
    /// The key commitment published when the activity was created; the
    /// key must hash to it.
    #[arg(long)]
    pub commitment: Option<String>,
    /// The export covers a time range, not the whole activity: do not
    /// require each user's sequence numbers to start at 1 without gaps.
    #[arg(long)]
    pub partial: bool,
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

/// `arcade simulate`.
#[derive(Debug, Clone, Args)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["plugin", "plugin_file"]))]
pub struct SimulateArgs {
    /// A bundled plugin, by name (`lucky-draw`, `group-buy`, ...).
    #[arg(long, env = "ARCADE_SIMULATE_PLUGIN")]
    pub plugin: Option<String>,
    /// A plugin component file (`.wasm`) instead of a bundled one.
    #[arg(long, env = "ARCADE_SIMULATE_PLUGIN_FILE")]
    pub plugin_file: Option<PathBuf>,
    /// The draft and how to simulate it.
    #[command(flatten)]
    pub draft: DraftArgs,
}

/// What `arcade simulate` and `arcade plugin simulate` simulate, and how.
#[derive(Debug, Clone, Args)]
pub struct DraftArgs {
    /// The draft config, a JSON file.
    #[arg(long, env = "ARCADE_SIMULATE_CONFIG")]
    pub config: PathBuf,
    /// The expected audience, a JSON file (as `audience` in
    /// `POST /v1/activities/simulate`).
    #[arg(long, env = "ARCADE_SIMULATE_AUDIENCE")]
    pub audience: PathBuf,
    /// Unit costs in fen by reward item, a JSON file (`{"p1": 5000}`).
    #[arg(long, env = "ARCADE_SIMULATE_COSTS")]
    pub costs: Option<PathBuf>,
    /// The seed: the same seed gives the same report.
    #[arg(long, env = "ARCADE_SIMULATE_SEED", default_value_t = 0)]
    pub seed: u64,
    /// Monte-Carlo runs.
    #[arg(long, env = "ARCADE_SIMULATE_RUNS", default_value_t = crate::service::simulate::DEFAULT_RUNS)]
    pub runs: u32,
    /// Schedule start (RFC 3339; default: the current hour).
    #[arg(long, env = "ARCADE_SIMULATE_STARTS_AT")]
    pub starts_at: Option<String>,
    /// Schedule end (RFC 3339; default: 24 hours after the start).
    #[arg(long, env = "ARCADE_SIMULATE_ENDS_AT")]
    pub ends_at: Option<String>,
    /// IANA time zone.
    #[arg(long, env = "ARCADE_SIMULATE_TIMEZONE", default_value = crate::service::DEFAULT_TIMEZONE)]
    pub timezone: String,
    /// Threads to run on (default: every core).
    #[arg(long, env = "ARCADE_SIMULATE_THREADS")]
    pub threads: Option<usize>,
    /// Sandbox limits (the plugin cache is off unless `--cache-dir`).
    #[command(flatten)]
    pub sandbox: SandboxArgs,
}
