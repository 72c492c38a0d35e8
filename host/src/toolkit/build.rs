//! `arcade plugin build`: compile a plugin crate to a component for the
//! host (`cargo build --release --target wasm32-wasip2`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::cli::PluginBuildArgs;

/// The target every plugin is built for.
pub const WASM_TARGET: &str = "wasm32-wasip2";

/// Whether rustup lists `target` as installed; `None` without rustup.
fn target_installed(target: &str) -> Option<bool> {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .ok()?;
    out.status.success().then(|| {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l.trim() == target)
    })
}

/// The crate's name and target directory, from `cargo metadata`.
fn metadata(manifest: &Path) -> anyhow::Result<(String, PathBuf)> {
    let out = Command::new("cargo")
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--manifest-path",
        ])
        .arg(manifest)
        .output()
        .context("running cargo metadata (is cargo on PATH?)")?;
    if !out.status.success() {
        bail!(
            "cargo metadata failed for {}:\n{}",
            manifest.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let manifest = manifest.canonicalize()?;
    let package = meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| {
            p["manifest_path"]
                .as_str()
                .is_some_and(|m| Path::new(m) == manifest)
        })
        .or_else(|| meta["packages"].get(0))
        .context("no package in the manifest")?;
    let name = package["name"].as_str().context("package name")?.to_owned();
    let target = meta["target_directory"]
        .as_str()
        .context("target directory")?
        .into();
    Ok((name, target))
}

/// `arcade plugin build`: compile the crate at `args.dir` to a component;
/// returns the component's path.
pub fn build(args: &PluginBuildArgs) -> anyhow::Result<PathBuf> {
    let manifest = args.dir.join("Cargo.toml");
    if !manifest.is_file() {
        bail!(
            "no Cargo.toml in {}; run this in a plugin's directory or pass --dir (arcade plugin new <name> makes one)",
            args.dir.display()
        );
    }
    let target = args.target.as_deref().unwrap_or(WASM_TARGET);
    if target_installed(target) == Some(false) {
        bail!(
            "the Rust target {target} is not installed; install it with: rustup target add {target}"
        );
    }
    let (name, target_dir) = metadata(&manifest)?;
    eprintln!("building {name} for {target} (release) ...");
    let status = Command::new("cargo")
        .args(["build", "--release", "--target", target, "--manifest-path"])
        .arg(&manifest)
        .status()
        .context("running cargo build (is cargo on PATH?)")?;
    if !status.success() {
        bail!("cargo build failed ({status}); its messages are above");
    }
    let wasm = target_dir
        .join(target)
        .join("release")
        .join(format!("{}.wasm", name.replace('-', "_")));
    if !wasm.is_file() {
        bail!(
            "cargo build succeeded but {} is missing; is the crate's [lib] crate-type [\"cdylib\", \"rlib\"]?",
            wasm.display()
        );
    }
    Ok(wasm)
}
