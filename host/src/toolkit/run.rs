//! `arcade plugin run` and `arcade plugin dev`: the plugin in a local
//! service on 127.0.0.1, over an embedded SQLite store emptied at each
//! start, with a tenant, its keys and one activity ready, and curl lines
//! to try it. `dev` also rebuilds and reloads on changes (`dev.rs`).

use std::net::Ipv4Addr;
use std::path::Path;

use anyhow::{Context, bail};

use super::local::{self, LocalHost, Setup};
use crate::cli::{PluginRunArgs, StoreArgs};
use crate::store::Role;

/// Marks a data directory as this command's, so it may be emptied.
const MARKER: &str = ".arcade-plugin-run";

/// Serve until Ctrl-C or SIGTERM.
pub(super) async fn run(args: &PluginRunArgs, dev: bool) -> anyhow::Result<()> {
    init_tracing();
    let which = args.component.clone();
    let path = tokio::task::spawn_blocking(move || local::component(&which)).await??;
    let sources = dev.then(|| super::dev::Sources::now(&args.component));
    let wasm = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let dir = &args.component.dir;
    let (config, config_from) = local::run_config(dir, args.config.as_deref())?;
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| dir.join("target").join("arcade-run"));
    fresh_dir(&data_dir)?;
    let store = crate::server::open_store(&StoreArgs {
        data_dir: data_dir.clone(),
        database_url: None,
    })
    .await?;
    let built = args.component.component.is_none();
    let sandbox = local::sandbox(built.then(|| local::cache_dir(&path)).flatten())?;
    let admin = format!("adm_{}", hex::encode(crate::randomness::generate_key()));
    let setup = Setup {
        dev_mode: dev,
        ..Setup::default()
    };
    let host = LocalHost::start(store, sandbox, wasm, &admin, setup).await?;
    let operator = host
        .arcade
        .create_api_key(&host.tenant, Role::Operator)
        .await?;
    let platform = host
        .arcade
        .create_api_key(&host.tenant, Role::Platform)
        .await?;
    let activity = host
        .create_activity(config.clone(), None, None, None)
        .await?;
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, args.port))
        .await
        .with_context(|| format!("listening on 127.0.0.1:{} (try --port 0)", args.port))?;
    let url = format!("http://{}", listener.local_addr()?);

    let p = &host.plugin;
    let mode = if dev { "dev" } else { "run" };
    println!(
        "arcade plugin {mode}: {} {} on {url} (Ctrl-C stops)",
        p.name, p.version
    );
    println!(
        "  component  {} (sha256 {})",
        path.display(),
        &p.sha256[..12]
    );
    println!(
        "  store      {} (SQLite, emptied at each start)",
        data_dir.display()
    );
    println!("  admin      {admin}  (uploads and lists plugins, makes tenants and keys)");
    println!("  tenant     {}", host.tenant);
    println!("  operator   {operator}  (manages groups and activities)");
    println!("  platform   {platform}  (acts for users, reads views)");
    println!("  activity   {}  (config from {config_from})", activity.id);
    if dev {
        println!(
            "  watching   {} (a change rebuilds and reloads)",
            super::dev::watched_label(&args.component)
        );
    }
    let action = manifest_action(&p.manifest);
    let exports = format!(
        "export ARCADE={url} ADMIN={admin} OPERATOR={operator} PLATFORM={platform} ACTIVITY={}",
        activity.id
    );
    // The same line in a file, for another shell: `source <data-dir>/env`.
    let env_file = data_dir.join("env");
    std::fs::write(&env_file, format!("{exports}\n"))
        .with_context(|| format!("writing {}", env_file.display()))?;
    println!(
        "  env        {} (`source` it in another shell)",
        env_file.display()
    );
    println!();
    println!("{exports}");
    println!(
        "curl -s -X POST $ARCADE/v1/activities/$ACTIVITY/actions -H \"Authorization: Bearer $PLATFORM\" \\\n  \
         -H 'Content-Type: application/json' -d '{{\"user_id\":\"u1\",\"action\":\"{action}\",\"payload\":{{}}}}'"
    );
    println!(
        "curl -s \"$ARCADE/v1/activities/$ACTIVITY/view?user_id=u1\" -H \"Authorization: Bearer $PLATFORM\""
    );
    println!(
        "curl -s \"$ARCADE/v1/activities/$ACTIVITY/outcomes\" -H \"Authorization: Bearer $OPERATOR\""
    );
    println!("curl -s \"$ARCADE/v1/events\" -H \"Authorization: Bearer $OPERATOR\"");

    let arcade = host.arcade.clone();
    let workers = [
        tokio::spawn(crate::service::timers::run_worker(arcade.clone())),
        tokio::spawn(crate::service::stats::run_rollup(arcade.clone())),
        tokio::spawn(crate::service::schedule::run_schedule(arcade.clone())),
    ];
    let watcher = sources.map(|sources| {
        tokio::spawn(super::dev::watch(
            sources,
            host,
            args.component.clone(),
            activity.id.clone(),
            config,
        ))
    });
    let served = crate::server::serve_on(listener, arcade, Default::default(), stop()).await;
    for task in workers.iter().chain(watcher.as_ref()) {
        task.abort();
    }
    served.context("serving")
}

/// The first action the plugin declares, for the curl example.
fn manifest_action(manifest: &serde_json::Value) -> String {
    manifest["actions"][0]["name"]
        .as_str()
        .unwrap_or("ACTION")
        .to_owned()
}

/// Empty `dir` for a new start, if it is this command's (or new).
fn fresh_dir(dir: &Path) -> anyhow::Result<()> {
    let ours = dir.join(MARKER).is_file();
    let empty = std::fs::read_dir(dir).map_or(true, |mut d| d.next().is_none());
    if dir.exists() && !ours && !empty {
        bail!(
            "refusing to empty {}: it was not made by `arcade plugin run`; choose another --data-dir",
            dir.display()
        );
    }
    if ours {
        std::fs::remove_dir_all(dir).with_context(|| format!("emptying {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(
        dir.join(MARKER),
        "made by arcade plugin run; emptied at each start\n",
    )?;
    Ok(())
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("ARCADE_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn stop() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("install SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
