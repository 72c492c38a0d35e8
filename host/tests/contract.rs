//! The contract's WIT: every version parses, released versions stay
//! frozen, and 0.2 exports its functions as a versioned interface (what
//! the host dispatches on).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wit_parser::{Resolve, WorldItem, WorldKey};

fn wit(version: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../wit")
        .join(version)
}

/// Released contracts are never edited: a change goes into a new version.
#[test]
fn released_contracts_are_frozen() {
    let text = std::fs::read(wit("0.1.0").join("mechanic.wit")).expect("wit/0.1.0 present");
    assert_eq!(
        hex::encode(Sha256::digest(&text)),
        "c8a56ace9c41916d762a3dbd8dcf938e7a2cbe5567a4a9ae331409114c0ea72f",
        "wit/0.1.0/mechanic.wit changed; released contracts are frozen (add a new version)"
    );
}

/// Each version parses, as package `arcade:mechanic@<version>` with a
/// `mechanic` world.
#[test]
fn every_version_parses() {
    for version in ["0.1.0", "0.2.0"] {
        let mut resolve = Resolve::default();
        let (pkg, _) = resolve
            .push_dir(wit(version))
            .unwrap_or_else(|e| panic!("wit/{version}: {e:?}"));
        let name = &resolve.packages[pkg].name;
        assert_eq!(
            (name.namespace.as_str(), name.name.as_str()),
            ("arcade", "mechanic")
        );
        assert_eq!(
            name.version.as_ref().map(ToString::to_string).as_deref(),
            Some(version)
        );
        resolve
            .select_world(&[pkg], Some("mechanic"))
            .unwrap_or_else(|e| panic!("wit/{version}: no mechanic world: {e:?}"));
    }
}

/// 0.1 exports bare functions; 0.2 exports one interface, `plugin`, whose
/// versioned name tells the host which contract a component implements.
#[test]
fn versions_are_told_apart_by_their_exports() {
    let exports = |version: &str| -> Vec<String> {
        let mut resolve = Resolve::default();
        let (pkg, _) = resolve.push_dir(wit(version)).expect("parses");
        let world = resolve
            .select_world(&[pkg], Some("mechanic"))
            .expect("world");
        resolve.worlds[world]
            .exports
            .iter()
            .map(|(key, item)| match (key, item) {
                (WorldKey::Interface(id), WorldItem::Interface { .. }) => {
                    resolve.id_of(*id).expect("named interface")
                }
                (key, _) => resolve.name_world_key(key),
            })
            .collect()
    };
    let mut old = exports("0.1.0");
    old.sort();
    assert_eq!(
        old,
        ["describe", "handle", "on-timer", "validate-config", "view"]
    );
    assert_eq!(exports("0.2.0"), ["arcade:mechanic/plugin@0.2.0"]);
}

/// The SDK builds from its own copy of the contract, so that it packages
/// and authors outside this repository depend on it by version; the copy
/// is `wit/`, word for word.
#[test]
fn the_sdk_vendors_the_contract_unchanged() {
    // Each version the SDK builds from.
    let versions: &[&str] = &["0.1.0", "0.2.0"];
    for version in versions {
        let file = |root: &str| {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(root)
                .join(version)
                .join("mechanic.wit");
            std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        };
        assert!(
            file("../wit") == file("../sdk/wit"),
            "sdk/wit/{version} differs from wit/{version}: copy wit/{version}/mechanic.wit into sdk/wit/{version}/"
        );
    }
}
