// Builds WebAssembly plugin crates of this workspace for `wasm32-wasip2`
// from a build script. Shared by the host (bundled plugins) and the
// end-to-end tests (test plugins) through `include!`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root, given the manifest dir of the crate being built.
fn workspace_root(manifest_dir: &Path) -> PathBuf {
    manifest_dir
        .ancestors()
        .find(|dir| {
            std::fs::read_to_string(dir.join("Cargo.toml"))
                .is_ok_and(|toml| toml.contains("[workspace]"))
        })
        .expect("crate lives in the Arcade workspace")
        .to_path_buf()
}

/// Cargo's target directory: the nearest ancestor of OUT_DIR that cargo
/// marked with CACHEDIR.TAG.
fn target_dir(out_dir: &Path) -> PathBuf {
    out_dir
        .ancestors()
        .find(|dir| dir.join("CACHEDIR.TAG").exists())
        .unwrap_or(out_dir)
        .to_path_buf()
}

/// Build `packages` as components and copy each to OUT_DIR as
/// `<crate_name>.wasm`. Returns the paths, in order.
pub fn build_plugins(packages: &[&str]) -> Vec<PathBuf> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let root = workspace_root(&manifest_dir);
    let wasm_target = target_dir(&out_dir).join("wasm-plugins");
    for watched in ["wit", "sdk", "plugins", "tests/plugins", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args(["build", "--target", "wasm32-wasip2", "--profile", "wasm"])
        .arg("--target-dir")
        .arg(&wasm_target);
    for p in packages {
        cmd.args(["-p", p]);
    }
    // Flags meant for the host build must not leak into the guest build.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd.status().expect("run cargo for the wasm plugins");
    if !status.success() {
        panic!(
            "building the wasm plugins {packages:?} failed; is the target installed? \
             Run `rustup target add wasm32-wasip2`."
        );
    }
    packages
        .iter()
        .map(|p| {
            let file = format!("{}.wasm", p.replace('-', "_"));
            let built = wasm_target.join("wasm32-wasip2/wasm").join(&file);
            let copied = out_dir.join(&file);
            std::fs::copy(&built, &copied)
                .unwrap_or_else(|e| panic!("copy {}: {e}", built.display()));
            copied
        })
        .collect()
}
