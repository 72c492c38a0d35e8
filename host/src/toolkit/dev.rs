//! The reload loop of `arcade plugin dev`: poll the crate's sources (or
//! the `--component` file) for changes, build again, and upload the new
//! component under the same version. The service runs in dev mode, which
//! lets that upload replace the version's bytes and moves the activity to
//! them; a failed build keeps the previous one serving.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::local::{self, LocalHost};
use crate::cli::ComponentArgs;

/// How often the sources are looked at.
const POLL: Duration = Duration::from_millis(400);

/// What a change to rebuilds from: the crate's `Cargo.toml`, `build.rs`
/// and everything under `src/`, or the component file.
fn watched(args: &ComponentArgs) -> Vec<PathBuf> {
    match &args.component {
        Some(file) => vec![file.clone()],
        None => vec![
            args.dir.join("Cargo.toml"),
            args.dir.join("build.rs"),
            args.dir.join("src"),
        ],
    }
}

/// The watched paths, for the banner.
pub(super) fn watched_label(args: &ComponentArgs) -> String {
    match &args.component {
        Some(file) => file.display().to_string(),
        None => format!("{}/{{Cargo.toml,build.rs,src/}}", args.dir.display()),
    }
}

/// Size and modification time of every file under the watched paths.
fn fingerprint(paths: &[PathBuf]) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    fn walk(path: &Path, out: &mut Vec<(PathBuf, u64, Option<SystemTime>)>) {
        let Ok(meta) = std::fs::metadata(path) else {
            return;
        };
        if meta.is_dir() {
            for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
                walk(&entry.path(), out);
            }
        } else {
            out.push((path.to_owned(), meta.len(), meta.modified().ok()));
        }
    }
    let mut out = Vec::new();
    for path in paths {
        walk(path, &mut out);
    }
    out.sort();
    out
}

/// The watched files as they were when the component being served was
/// built: taken before the service announces itself, so an edit made
/// right after is seen.
pub(super) struct Sources {
    paths: Vec<PathBuf>,
    seen: Vec<(PathBuf, u64, Option<SystemTime>)>,
}

impl Sources {
    pub(super) fn now(args: &ComponentArgs) -> Sources {
        let paths = watched(args);
        let seen = fingerprint(&paths);
        Sources { paths, seen }
    }
}

/// Rebuild and reload on every change, until the task is aborted.
pub(super) async fn watch(
    sources: Sources,
    host: LocalHost,
    args: ComponentArgs,
    activity: String,
    config: Value,
) {
    let Sources { paths, mut seen } = sources;
    loop {
        tokio::time::sleep(POLL).await;
        let now = fingerprint(&paths);
        if now == seen {
            continue;
        }
        // Editors save in steps: wait for the files to settle.
        tokio::time::sleep(POLL).await;
        seen = fingerprint(&paths);
        println!("change seen: rebuilding ...");
        let which = args.clone();
        let built = tokio::task::spawn_blocking(move || local::component(&which)).await;
        match built {
            Ok(Ok(path)) => {
                if let Err(e) = reload(&host, &path, &activity, &config).await {
                    println!("reload failed, still serving the previous build: {e:#}");
                }
            }
            Ok(Err(e)) => println!("build failed, still serving the previous build: {e:#}"),
            Err(e) => println!("build task failed: {e}"),
        }
    }
}

/// Upload the new build; say what became of the activity.
async fn reload(
    host: &LocalHost,
    path: &Path,
    activity: &str,
    config: &Value,
) -> anyhow::Result<()> {
    let wasm = std::fs::read(path)?;
    let (info, fresh) = host.arcade.upload_plugin(wasm).await?;
    let short = &info.sha256[..12];
    if !fresh {
        println!("rebuilt: the component did not change (sha256 {short})");
        return Ok(());
    }
    let (name, version) = (&host.plugin.name, &host.plugin.version);
    if info.name != *name || info.version != *version {
        println!(
            "registered {} {} as a new plugin version; the activity stays on {name} {version} \
             (dev reloads a version in place: keep the version, or restart `arcade plugin dev`)",
            info.name, info.version
        );
        return Ok(());
    }
    println!("reloaded {name} {version} (sha256 {short}); activity {activity} runs it now");
    let record = host.arcade.store().plugin(name, Some(version)).await?;
    if let Some(record) = record
        && let Err(e) = host.arcade.validated_config(&record, config).await
    {
        println!("warning: the new build refuses the activity's config: {e}");
    }
    Ok(())
}
