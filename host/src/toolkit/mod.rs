//! `arcade plugin ...`: the plugin author's toolkit, which needs no
//! server. `new` scaffolds a mechanic crate, `build` compiles it to a
//! component for the host.

mod template;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::cli::{PluginBuildArgs, PluginNewArgs};

/// The target every plugin is built for.
pub const WASM_TARGET: &str = "wasm32-wasip2";

/// Where this binary was built from: the SDK beside it, when the source
/// tree is still there (a development checkout).
fn bundled_sdk() -> Option<PathBuf> {
    let sdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk");
    sdk.join("Cargo.toml")
        .is_file()
        .then(|| sdk.canonicalize().ok())
        .flatten()
}

/// A plugin name: lower-case ASCII letters, digits and `-`, starting with
/// a letter, at most 64 bytes (the host's plugin names).
fn check_name(name: &str) -> anyhow::Result<()> {
    let ok = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-');
    if !ok {
        bail!(
            "invalid plugin name {name:?}: use lower-case letters, digits and '-', starting with a letter (at most 64)"
        );
    }
    Ok(())
}

/// `arcade plugin new <name>`: write the crate; returns its directory.
pub fn new(args: &PluginNewArgs) -> anyhow::Result<PathBuf> {
    check_name(&args.name)?;
    let dir = args.dir.join(&args.name);
    if dir.exists() {
        bail!(
            "{} already exists; choose another name or --dir",
            dir.display()
        );
    }
    let sdk = match (&args.sdk_path, &args.sdk_version) {
        (Some(path), _) => {
            let path = path
                .canonicalize()
                .with_context(|| format!("--sdk-path {}", path.display()))?;
            format!("{{ path = {:?} }}", path.display().to_string())
        }
        (None, Some(version)) => format!("{version:?}"),
        (None, None) => match bundled_sdk() {
            Some(path) => format!("{{ path = {:?} }}", path.display().to_string()),
            None => format!("{:?}", env!("CARGO_PKG_VERSION")),
        },
    };
    let crate_name = args.name.replace('-', "_");
    let fill = |t: &str| {
        t.replace("{name}", &args.name)
            .replace("{crate}", &crate_name)
            .replace("{sdk}", &sdk)
    };
    std::fs::create_dir_all(dir.join("src"))
        .with_context(|| format!("creating {}", dir.display()))?;
    for (file, text) in [
        ("Cargo.toml", template::CARGO_TOML),
        ("src/lib.rs", template::LIB_RS),
        ("README.md", template::README),
        (".gitignore", "/target\nCargo.lock\n"),
    ] {
        let path = dir.join(file);
        std::fs::write(&path, fill(text)).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(dir)
}

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

#[cfg(test)]
mod tests {
    use super::check_name;

    #[test]
    fn plugin_names_are_checked() {
        for ok in ["a", "stamp-card", "red-packet2"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Stamp", "2x", "a_b", "a-", &"a".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
