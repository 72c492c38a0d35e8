//! `arcade plugin new`: scaffold a mechanic crate from `template.rs`.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::template;
use crate::cli::PluginNewArgs;

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
    for sub in ["src", "sessions"] {
        std::fs::create_dir_all(dir.join(sub))
            .with_context(|| format!("creating {}", dir.display()))?;
    }
    for (file, text) in [
        ("Cargo.toml", template::CARGO_TOML),
        ("src/lib.rs", template::LIB_RS),
        ("README.md", template::README),
        ("config.json", template::CONFIG_JSON),
        ("sessions/basic.yaml", template::SESSION),
        ("sessions/basic.golden.json", template::GOLDEN),
        (".gitignore", "/target\nCargo.lock\n"),
    ] {
        let path = dir.join(file);
        std::fs::write(&path, fill(text)).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(dir)
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
