//! Starting the service: open the store, assemble [`Arcade`], register
//! the bundled plugins, serve HTTP until a shutdown signal.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::cli::{ReplayArgs, ServeArgs, StoreArgs};
pub use crate::http::serve::ServeConfig;
use crate::randomness;
use crate::sandbox::Sandbox;
use crate::service::Arcade;
use crate::store::Store;
use crate::store::postgres::PgStore;
use crate::store::sqlite::SqliteStore;

/// File in the data directory holding a generated admin token.
const ADMIN_TOKEN_FILE: &str = "admin-token";
/// The embedded database file in the data directory.
const SQLITE_FILE: &str = "arcade.sqlite3";

/// Open the configured store: Postgres if a URL is given, else the
/// embedded SQLite file in the data directory.
pub async fn open_store(args: &StoreArgs) -> anyhow::Result<Arc<dyn Store>> {
    match &args.database_url {
        Some(url) => Ok(Arc::new(
            PgStore::connect(url)
                .await
                .context("connecting to Postgres (DATABASE_URL)")?,
        )),
        None => {
            std::fs::create_dir_all(&args.data_dir)
                .with_context(|| format!("creating data dir {}", args.data_dir.display()))?;
            let path = args.data_dir.join(SQLITE_FILE);
            Ok(Arc::new(
                SqliteStore::open(&path)
                    .await
                    .with_context(|| format!("opening {}", path.display()))?,
            ))
        }
    }
}

/// The admin token: given, or kept in the data directory, or generated
/// (and printed once).
fn admin_token(given: Option<&str>, data_dir: &Path) -> anyhow::Result<String> {
    if let Some(t) = given {
        anyhow::ensure!(
            t.len() >= 16,
            "ARCADE_ADMIN_TOKEN must be at least 16 characters"
        );
        return Ok(t.to_owned());
    }
    let path = data_dir.join(ADMIN_TOKEN_FILE);
    if let Ok(t) = std::fs::read_to_string(&path) {
        return Ok(t.trim().to_owned());
    }
    std::fs::create_dir_all(data_dir)?;
    let token = format!("adm_{}", hex::encode(randomness::generate_key()));
    write_private(&path, &token).with_context(|| format!("writing {}", path.display()))?;
    println!(
        "Generated admin token (kept in {}): {token}",
        path.display()
    );
    Ok(token)
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

fn parse_secret(secret: Option<&str>) -> anyhow::Result<Option<randomness::Key>> {
    secret
        .map(|s| randomness::parse_key(s).context("ARCADE_SECRET must be 64 hex characters"))
        .transpose()
}

/// Build the service on a store, with the bundled plugins registered.
pub async fn assemble(
    store: Arc<dyn Store>,
    sandbox: crate::sandbox::SandboxConfig,
    admin_token: &str,
    secret: Option<randomness::Key>,
) -> anyhow::Result<Arc<Arcade>> {
    let sandbox = Arc::new(Sandbox::new(sandbox)?);
    let arcade = Arcade::new(store, sandbox, admin_token, secret).await?;
    arcade.register_bundled(crate::bundled::PLUGINS).await?;
    let interrupted = arcade.fail_interrupted_exports().await?;
    if interrupted > 0 {
        tracing::warn!(
            interrupted,
            "exports left running by a stopped replica marked failed"
        );
    }
    Ok(Arc::new(arcade))
}

/// `arcade serve`.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let observe = &args.observability;
    let telemetry = crate::telemetry::init(args.log_format, observe.otlp_endpoint.as_deref())?;
    if let Some(endpoint) = &observe.otlp_endpoint {
        tracing::info!(%endpoint, "exporting traces over OTLP");
    }
    let served = run(args).await;
    telemetry.shutdown();
    served
}

async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let store = open_store(&args.store).await?;
    let token = admin_token(args.admin_token.as_deref(), &args.store.data_dir)?;
    let arcade = assemble(
        store.clone(),
        args.sandbox.config(&args.store.data_dir),
        &token,
        parse_secret(args.secret.as_deref())?,
    )
    .await?;
    arcade.set_metrics_access(args.observability.access()?);
    arcade.set_export_dir(
        args.export_dir
            .clone()
            .unwrap_or_else(|| args.store.data_dir.join("exports")),
    );
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    tracing::info!(addr = %listener.local_addr()?, backend = store.backend(), "arcade serving");
    let mut config = args.http.config();
    config.max_connections = crate::http::serve::fit_file_limit(config.max_connections);
    let worker = tokio::spawn(crate::service::timers::run_worker(arcade.clone()));
    let upkeep = &args.upkeep;
    arcade.set_key_cache_ttl(Duration::from_millis(upkeep.key_cache_ttl_ms));
    let tombstones = tokio::spawn(crate::service::tombstones::run_sweeper(
        arcade.clone(),
        Duration::from_secs(upkeep.tombstone_retention_secs),
        Duration::from_secs(upkeep.tombstone_sweep_interval_secs),
    ));
    let rollup = tokio::spawn(crate::service::stats::run_rollup(arcade.clone()));
    let schedule = tokio::spawn(crate::service::schedule::run_schedule(arcade.clone()));
    let webhooks = tokio::spawn(crate::service::webhooks::run_webhooks(arcade.clone()));
    let sweeper = tokio::spawn(crate::service::sweeper::run_idempotency_sweeper(
        arcade.clone(),
        Duration::from_secs(args.idempotency_ttl_secs),
    ));
    serve_on(listener, arcade, config, shutdown_signal()).await?;
    worker.abort();
    rollup.abort();
    schedule.abort();
    sweeper.abort();
    tombstones.abort();
    webhooks.abort();
    Ok(())
}

/// Serve the HTTP API of `arcade` on `listener` with `config`'s timeouts
/// and connection cap until `shutdown` resolves; then stop accepting and
/// return once requests in flight have finished or the drain timeout has
/// passed. The timer and webhook workers are not started here.
pub async fn serve_on<F>(
    listener: tokio::net::TcpListener,
    arcade: Arc<Arcade>,
    config: ServeConfig,
    shutdown: F,
) -> std::io::Result<()>
where
    F: std::future::Future<Output = ()> + Send,
{
    crate::http::serve::serve(listener, crate::http::router(arcade), config, shutdown).await
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("install SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutting down");
}

/// `arcade replay`: prints the verdict as JSON; `Ok(true)` on a match.
pub async fn replay(args: ReplayArgs) -> anyhow::Result<bool> {
    let store = open_store(&args.store).await?;
    let sandbox = Arc::new(Sandbox::new(args.sandbox.config(&args.store.data_dir))?);
    // The admin token plays no part in a replay.
    let arcade = Arcade::new(
        store,
        sandbox,
        &hex::encode(randomness::generate_key()),
        parse_secret(args.secret.as_deref())?,
    )
    .await?;
    let report = arcade.replay(None, &args.outcome_id).await?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(report.matches)
}
