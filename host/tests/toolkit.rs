//! `arcade plugin new` and `arcade plugin build` as processes, the way an
//! author runs them: scaffold a crate, run its own tests, build the
//! component, and run it in the real service.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arcade_host::cli::StoreArgs;
use arcade_host::sandbox::SandboxConfig;
use arcade_host::service::{ActionRequest, NewActivity};
use serde_json::{Value, json};

/// A directory of its own for one test, emptied first.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("toolkit")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Where scaffolded crates build: kept between runs, so only the first
/// run compiles the SDK's dependencies.
fn scaffold_target() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("scaffold-target")
}

fn arcade(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arcade"))
        .args(args)
        .env("CARGO_TARGET_DIR", scaffold_target())
        .output()
        .expect("run arcade")
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

#[test]
fn new_refuses_bad_names_and_existing_directories() {
    let dir = scratch("refusals");
    let dir_arg = dir.to_str().unwrap();
    let bad = arcade(&["plugin", "new", "Stamp_Card", "--dir", dir_arg]);
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("invalid plugin name"),
        "{}",
        text(&bad.stderr)
    );
    assert!(
        arcade(&["plugin", "new", "card", "--dir", dir_arg])
            .status
            .success()
    );
    let again = arcade(&["plugin", "new", "card", "--dir", dir_arg]);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("already exists"),
        "{}",
        text(&again.stderr)
    );
}

#[test]
fn build_names_a_missing_target_and_a_missing_crate() {
    let dir = scratch("build-errors");
    let dir_arg = dir.to_str().unwrap();
    let none = arcade(&["plugin", "build", "--dir", dir_arg]);
    assert!(!none.status.success());
    assert!(
        text(&none.stderr).contains("no Cargo.toml"),
        "{}",
        text(&none.stderr)
    );

    assert!(
        arcade(&["plugin", "new", "card", "--dir", dir_arg])
            .status
            .success()
    );
    let crate_dir = dir.join("card");
    let missing = arcade(&[
        "plugin",
        "build",
        "--dir",
        crate_dir.to_str().unwrap(),
        "--target",
        "wasm32-not-a-target",
    ]);
    assert!(!missing.status.success());
    assert!(
        text(&missing.stderr).contains("rustup target add wasm32-not-a-target"),
        "{}",
        text(&missing.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scaffolded_plugin_tests_builds_and_runs_in_the_service() {
    let dir = scratch("stamp");
    let new = arcade(&[
        "plugin",
        "new",
        "stamp-card",
        "--dir",
        dir.to_str().unwrap(),
    ]);
    assert!(new.status.success(), "{}", text(&new.stderr));
    let crate_dir = dir.join("stamp-card");
    let manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains("\n[workspace]\n"),
        "a workspace of its own: {manifest}"
    );
    assert!(crate_dir.join("README.md").is_file());

    // The scaffold's own tests pass as written.
    let test = Command::new("cargo")
        .args(["test", "--quiet", "--manifest-path"])
        .arg(crate_dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", scaffold_target())
        .output()
        .expect("run cargo test");
    assert!(
        test.status.success(),
        "{}{}",
        text(&test.stdout),
        text(&test.stderr)
    );
    assert!(
        text(&test.stdout).contains("3 passed"),
        "{}",
        text(&test.stdout)
    );

    // `build` prints the component's path on stdout.
    let build = arcade(&["plugin", "build", "--dir", crate_dir.to_str().unwrap()]);
    assert!(build.status.success(), "{}", text(&build.stderr));
    let wasm = PathBuf::from(text(&build.stdout).trim());
    assert_eq!(wasm.file_name().unwrap(), "stamp_card.wasm");
    let bytes = std::fs::read(&wasm).unwrap();
    // A component, not a core module: layer 1 in the preamble.
    assert_eq!(&bytes[..8], b"\0asm\x0d\0\x01\0", "{}", wasm.display());

    // Uploaded to the service, it runs under the real sandbox.
    let data = scratch("stamp-data");
    let store = arcade_host::server::open_store(&StoreArgs {
        data_dir: data,
        database_url: None,
    })
    .await
    .unwrap();
    let arcade = arcade_host::server::assemble(
        store,
        SandboxConfig::default(),
        "toolkit-test-admin-token",
        None,
    )
    .await
    .unwrap();
    let (plugin, _) = arcade.upload_plugin(bytes).await.expect("upload");
    assert_eq!(plugin.name, "stamp-card");
    let tenant = arcade.create_tenant("t").await.unwrap();
    let group = arcade
        .create_group(&tenant, arcade_host::service::NewGroup::named("g"))
        .await
        .unwrap();
    let activity = arcade
        .create_activity(
            &tenant,
            serde_json::from_value::<NewActivity>(json!({
                "group_id": group.id, "plugin": "stamp-card",
                "config": {"goal": 2, "reward_points": 50}
            }))
            .unwrap(),
            "test",
        )
        .await
        .unwrap();
    let mut answers = Vec::new();
    for _ in 0..2 {
        let req = ActionRequest {
            user_id: "u1".into(),
            action: "stamp".into(),
            payload: json!({}),
            group_id: None,
        };
        let body = arcade.act(&tenant, &activity.id, req, None).await.unwrap();
        answers.push(serde_json::from_str::<Value>(&body).unwrap());
    }
    assert_eq!(answers[0]["result"]["stamps"], 1, "{answers:?}");
    assert_eq!(answers[1]["rewards"][0]["kind"], "points", "{answers:?}");
    assert_eq!(answers[1]["rewards"][0]["amount"], 50, "{answers:?}");
}
