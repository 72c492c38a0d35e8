//! The plugin author's toolkit as processes, the way an author runs it:
//! scaffold a crate, run its own tests, build the component, run its
//! scripted sessions, serve it locally (and reload it on an edit), upload
//! it to a running service, simulate it. Tests share one scaffolded,
//! built crate and one target directory.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, Instant};

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

fn arcade_cmd(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_arcade"));
    cmd.args(args)
        .env("CARGO_TARGET_DIR", scaffold_target())
        .env_remove("ARCADE_BLESS");
    cmd
}

fn arcade(args: &[&str]) -> Output {
    arcade_cmd(args).output().expect("run arcade")
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

fn both(out: &Output) -> String {
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

/// One `stamp-card` crate, scaffolded and built once for every test.
struct Scaffold {
    dir: PathBuf,
    wasm: PathBuf,
}

fn scaffold() -> &'static Scaffold {
    static ONE: OnceLock<Scaffold> = OnceLock::new();
    ONE.get_or_init(|| {
        let root = scratch("shared");
        let new = arcade(&[
            "plugin",
            "new",
            "stamp-card",
            "--dir",
            root.to_str().unwrap(),
        ]);
        assert!(new.status.success(), "{}", both(&new));
        let dir = root.join("stamp-card");
        let build = arcade(&["plugin", "build", "--dir", dir.to_str().unwrap()]);
        assert!(build.status.success(), "{}", both(&build));
        let wasm = PathBuf::from(text(&build.stdout).trim());
        Scaffold { dir, wasm }
    })
}

/// A process whose stdout lines arrive on a channel; killed when dropped.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    fn start(mut cmd: Command) -> Running {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn arcade");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The first line from now on that `pick` accepts, within `limit`.
    fn wait_for<T>(&mut self, limit: Duration, pick: impl Fn(&str) -> Option<T>) -> T {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = pick(&line);
                    self.seen.push(line);
                    if let Some(found) = found {
                        return found;
                    }
                }
                Err(_) => panic!(
                    "waited {limit:?}; the output was:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn new_refuses_bad_names_and_existing_directories() {
    let dir = scratch("refusals");
    let dir_arg = dir.to_str().unwrap();
    let bad = arcade(&["plugin", "new", "Stamp_Card", "--dir", dir_arg]);
    assert!(!bad.status.success());
    assert!(both(&bad).contains("invalid plugin name"), "{}", both(&bad));
    assert!(
        arcade(&["plugin", "new", "card", "--dir", dir_arg])
            .status
            .success()
    );
    let again = arcade(&["plugin", "new", "card", "--dir", dir_arg]);
    assert!(!again.status.success());
    assert!(both(&again).contains("already exists"), "{}", both(&again));
}

#[test]
fn build_names_a_missing_target_and_a_missing_crate() {
    let dir = scratch("build-errors");
    let dir_arg = dir.to_str().unwrap();
    let none = arcade(&["plugin", "build", "--dir", dir_arg]);
    assert!(!none.status.success());
    assert!(both(&none).contains("no Cargo.toml"), "{}", both(&none));

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
        both(&missing).contains("rustup target add wasm32-not-a-target"),
        "{}",
        both(&missing)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scaffolded_plugin_tests_builds_and_runs_in_the_service() {
    let crate_dir = &scaffold().dir;
    let manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains("\n[workspace]\n"),
        "a workspace of its own: {manifest}"
    );
    for file in ["README.md", "config.json", "sessions/basic.yaml"] {
        assert!(crate_dir.join(file).is_file(), "{file}");
    }

    // The scaffold's own tests pass as written.
    let test = Command::new("cargo")
        .args(["test", "--quiet", "--manifest-path"])
        .arg(crate_dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", scaffold_target())
        .output()
        .expect("run cargo test");
    assert!(test.status.success(), "{}", both(&test));
    assert!(text(&test.stdout).contains("3 passed"), "{}", both(&test));

    // `build` printed the component's path on stdout.
    let wasm = &scaffold().wasm;
    assert_eq!(wasm.file_name().unwrap(), "stamp_card.wasm");
    let bytes = std::fs::read(wasm).unwrap();
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

#[test]
fn plugin_test_passes_out_of_the_box_and_prints_fuel() {
    let dir = &scaffold().dir;
    let out = arcade(&["plugin", "test", "--dir", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", both(&out));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("ok: matches"), "{stdout}");
    assert!(stdout.contains("sessions: 1 passed, 0 failed"), "{stdout}");
    // Every action and view reports the fuel it used.
    let fuel_lines = stdout.lines().filter(|l| l.contains(" fuel ")).count();
    assert!(fuel_lines >= 8, "{stdout}");
    assert!(stdout.contains("409 card_complete"), "{stdout}");
    assert!(
        stdout.contains("together: u2 stamp | u3 stamp no conflict"),
        "{stdout}"
    );
}

#[test]
fn together_names_the_conflict_and_whether_order_matters() {
    let dir = scratch("together");
    let session = dir.join("same-card.json");
    // One user stamping twice at once, one stamp short of the goal: both
    // calls read and write that user's card, and whichever runs first
    // completes it and takes the reward.
    let steps = serde_json::json!({
        "config": {"goal": 2, "reward_points": 100},
        "steps": [
            {"user": "u1", "action": "stamp"},
            {"together": [{"user": "u1", "action": "stamp"}, {"user": "u1", "action": "stamp", "payload": {}}]},
            {"view": "u1", "expect": {"result": {"stamps": 2}}}
        ]
    });
    std::fs::write(&session, steps.to_string()).unwrap();
    let wasm = scaffold().wasm.to_str().unwrap();
    let args = [
        "plugin",
        "test",
        "--bless",
        "--component",
        wasm,
        session.to_str().unwrap(),
    ];
    let out = arcade(&args);
    assert!(out.status.success(), "{}", both(&out));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("conflict on user/u1/"), "{stdout}");
    assert!(stdout.contains("order matters"), "{stdout}");
    let golden: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("same-card.golden.json")).unwrap())
            .unwrap();
    let t = &golden[1]["together"];
    assert_eq!(t["order_matters"], true, "{t}");
    let conflicts = t["conflicts"].as_array().unwrap();
    assert!(!conflicts.is_empty(), "{t}");
    assert!(
        conflicts
            .iter()
            .all(|c| c.as_str().unwrap().starts_with("user/u1/")),
        "{t}"
    );
    // Each order ran from the state before the step: the first call in
    // either order completes the card, the second finds it complete.
    for order in ["a_then_b", "b_then_a"] {
        assert_eq!(t[order][0]["result"]["stamps"], 2, "{t}");
        assert_eq!(t[order][0]["rewards"][0]["amount"], 100, "{t}");
        assert_eq!(t[order][1]["code"], "card_complete", "{t}");
    }
    assert_eq!(t["b_then_a"][0]["user"], "u1", "{t}");
    // The session went on from A then B.
    assert_eq!(golden[2]["result"]["stamps"], 2, "{golden}");
}

/// A copy of the scaffold's session and golden file to change.
fn session_copy(name: &str) -> (PathBuf, PathBuf) {
    let dir = scratch(name);
    let sessions = scaffold().dir.join("sessions");
    for file in ["basic.yaml", "basic.golden.json"] {
        std::fs::copy(sessions.join(file), dir.join(file)).unwrap();
    }
    (dir.join("basic.yaml"), dir.join("basic.golden.json"))
}

#[test]
fn an_edited_golden_file_fails_with_a_diff_and_bless_rewrites_it() {
    let (session, golden) = session_copy("golden-edit");
    let original = std::fs::read_to_string(&golden).unwrap();
    let edited = original.replacen("\"stamps\": 3", "\"stamps\": 33", 1);
    assert_ne!(original, edited);
    std::fs::write(&golden, &edited).unwrap();
    let wasm = scaffold().wasm.to_str().unwrap();
    let args = [
        "plugin",
        "test",
        "--component",
        wasm,
        session.to_str().unwrap(),
    ];

    let failed = arcade(&args);
    assert_eq!(failed.status.code(), Some(1), "{}", both(&failed));
    let stdout = text(&failed.stdout);
    assert!(stdout.contains("differs from"), "{stdout}");
    assert!(stdout.contains("-      \"stamps\": 33"), "{stdout}");
    assert!(stdout.contains("+      \"stamps\": 3"), "{stdout}");
    assert!(stdout.contains("sessions: 0 passed, 1 failed"), "{stdout}");

    let blessed = arcade(&[&args[..], &["--bless"]].concat());
    assert!(blessed.status.success(), "{}", both(&blessed));
    assert_eq!(std::fs::read_to_string(&golden).unwrap(), original);

    // ARCADE_BLESS=1 does the same; a missing golden file is a failure.
    std::fs::remove_file(&golden).unwrap();
    let missing = arcade(&args);
    assert!(!missing.status.success());
    assert!(
        text(&missing.stdout).contains("no golden file"),
        "{}",
        both(&missing)
    );
    let by_env = arcade_cmd(&args).env("ARCADE_BLESS", "1").output().unwrap();
    assert!(by_env.status.success(), "{}", both(&by_env));
    assert_eq!(std::fs::read_to_string(&golden).unwrap(), original);
}

#[test]
fn unmet_expectations_fail_a_session_naming_the_field() {
    let (session, _) = session_copy("expect");
    let text_of = std::fs::read_to_string(&session).unwrap();
    std::fs::write(
        &session,
        text_of.replace(
            "expect: {result: {stamps: 3, goal: 3}}",
            "expect: {result: {stamps: 4}}",
        ),
    )
    .unwrap();
    let wasm = scaffold().wasm.to_str().unwrap();
    let out = arcade(&[
        "plugin",
        "test",
        "--component",
        wasm,
        session.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    assert!(
        text(&out.stdout).contains("expectation not met: result.stamps: expected 4, got 3"),
        "{}",
        both(&out)
    );
}

/// The `export ARCADE=... PLATFORM=...` line `plugin run` prints, as a map.
fn exports(line: &str) -> Option<std::collections::HashMap<String, String>> {
    let rest = line.strip_prefix("export ")?;
    Some(
        rest.split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    )
}

async fn stamp(env: &std::collections::HashMap<String, String>, user: &str) -> (u16, Value) {
    let url = format!(
        "{}/v1/activities/{}/actions",
        env["ARCADE"], env["ACTIVITY"]
    );
    let resp = reqwest::Client::new()
        .post(url)
        .bearer_auth(&env["PLATFORM"])
        .json(&json!({"user_id": user, "action": "stamp"}))
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn plugin_run_serves_an_activity_over_http() {
    let s = scaffold();
    let data = scratch("run-data");
    let mut run = Running::start(arcade_cmd(&[
        "plugin",
        "run",
        "--dir",
        s.dir.to_str().unwrap(),
        "--component",
        s.wasm.to_str().unwrap(),
        "--port",
        "0",
        "--data-dir",
        data.to_str().unwrap(),
    ]));
    let env = run.wait_for(Duration::from_secs(60), exports);
    assert!(env["ARCADE"].starts_with("http://127.0.0.1:"), "{env:?}");
    run.wait_for(Duration::from_secs(5), |l| {
        l.starts_with("curl -s -X POST $ARCADE/v1/activities/$ACTIVITY/actions")
            .then_some(())
    });
    let (status, body) = stamp(&env, "u1").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["stamps"], 1, "{body}");
    // The config is the crate's config.json (goal 5).
    assert_eq!(body["result"]["goal"], 5, "{body}");
    // The operator key reads the outcome.
    let outcomes: Value = reqwest::Client::new()
        .get(format!(
            "{}/v1/activities/{}/outcomes",
            env["ARCADE"], env["ACTIVITY"]
        ))
        .bearer_auth(&env["OPERATOR"])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        outcomes["outcomes"].as_array().unwrap().len(),
        1,
        "{outcomes}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn plugin_dev_reloads_the_activity_after_a_source_edit() {
    // A crate of its own (another name, so another component file): this
    // test edits its source.
    let root = scratch("dev");
    let new = arcade(&["plugin", "new", "dev-card", "--dir", root.to_str().unwrap()]);
    assert!(new.status.success(), "{}", both(&new));
    let dir = root.join("dev-card");
    let mut dev = Running::start(arcade_cmd(&[
        "plugin",
        "dev",
        "--dir",
        dir.to_str().unwrap(),
        "--port",
        "0",
        "--data-dir",
        root.join("data").to_str().unwrap(),
    ]));
    let env = dev.wait_for(Duration::from_secs(600), exports);
    let (status, body) = stamp(&env, "u1").await;
    assert_eq!(
        (status, &body["result"]["stamps"]),
        (200, &json!(1)),
        "{body}"
    );

    let lib = dir.join("src/lib.rs");
    let source = std::fs::read_to_string(&lib).unwrap();
    let edited = source.replace(
        "json!({\"stamps\": stamps, \"goal\": ctx.config.goal})",
        "json!({\"stamps\": stamps, \"goal\": ctx.config.goal, \"edited\": true})",
    );
    assert_ne!(source, edited, "the template changed: update this test");
    std::fs::write(&lib, edited).unwrap();
    dev.wait_for(Duration::from_secs(600), |l| {
        assert!(!l.starts_with("build failed"), "{l}");
        l.starts_with("reloaded dev-card 0.1.0").then_some(())
    });
    // Same activity, same state, the new build's behaviour.
    let (status, body) = stamp(&env, "u1").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["stamps"], 2, "{body}");
    assert_eq!(body["result"]["edited"], true, "{body}");
}

/// The component with a custom section appended: another sha256 under the
/// same name and version.
fn rebuilt(wasm: &[u8]) -> Vec<u8> {
    let name = b"toolkit-test";
    let payload = b"another build";
    let size = 1 + name.len() + payload.len();
    let mut out = wasm.to_vec();
    out.push(0); // custom section
    out.push(u8::try_from(size).unwrap()); // one-byte LEB128
    out.push(u8::try_from(name.len()).unwrap());
    out.extend_from_slice(name);
    out.extend_from_slice(payload);
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn only_dev_mode_replaces_a_version_and_moves_its_activities() {
    let wasm = std::fs::read(&scaffold().wasm).unwrap();
    let store = std::sync::Arc::new(
        arcade_host::store::sqlite::SqliteStore::open_in_memory()
            .await
            .unwrap(),
    );
    let sandbox =
        std::sync::Arc::new(arcade_host::sandbox::Sandbox::new(SandboxConfig::default()).unwrap());
    let arcade = std::sync::Arc::new(
        arcade_host::service::Arcade::new(store, sandbox, "toolkit-test-admin-token", None)
            .await
            .unwrap(),
    );
    let (first, fresh) = arcade.upload_plugin(wasm.clone()).await.unwrap();
    assert!(fresh);
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

    let other = rebuilt(&wasm);
    let refused = arcade.upload_plugin(other.clone()).await.unwrap_err();
    assert_eq!(refused.code(), "plugin_version_exists");
    assert_eq!(refused.status(), 409);

    arcade.set_dev_mode(true);
    let (second, fresh) = arcade.upload_plugin(other).await.unwrap();
    assert!(fresh);
    assert_ne!(second.sha256, first.sha256);
    assert_eq!(
        (second.name.as_str(), second.version.as_str()),
        ("stamp-card", "0.1.0")
    );
    let moved = arcade.activity_view(&tenant, &activity.id).await.unwrap();
    assert_eq!(moved.plugin_sha256, second.sha256);
    let plugins = arcade.plugins().await.unwrap();
    let mine: Vec<_> = plugins.iter().filter(|p| p.name == "stamp-card").collect();
    assert_eq!(mine.len(), 1, "replaced, not added");
    let req = ActionRequest {
        user_id: "u1".into(),
        action: "stamp".into(),
        payload: json!({}),
        group_id: None,
    };
    arcade
        .act(&tenant, &activity.id, req, None)
        .await
        .expect("runs the new build");
}

/// `arcade serve` on a free port; its address from its first log line.
fn serve(name: &str, token: &str) -> (Running, String) {
    let data = scratch(name);
    let mut server = Running::start(arcade_cmd(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().unwrap(),
        "--admin-token",
        token,
        "--cache-dir",
        Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("plugin-cache")
            .to_str()
            .unwrap(),
        "--log-format",
        "json",
    ]));
    let addr = server.wait_for(Duration::from_secs(120), |line| {
        let v: Value = serde_json::from_str(line).ok()?;
        (v["fields"]["message"] == "arcade serving")
            .then(|| v["fields"]["addr"].as_str().map(str::to_owned))?
    });
    (server, format!("http://{addr}"))
}

#[test]
fn upload_and_list_against_a_running_service_with_clear_errors() {
    let token = "toolkit-upload-admin-token";
    let (_server, url) = serve("upload-serve", token);
    let wasm = scaffold().wasm.to_str().unwrap();
    let remote = ["--url", url.as_str(), "--key", token];

    let up = arcade(&[&["plugin", "upload"][..], &remote, &[wasm]].concat());
    assert!(up.status.success(), "{}", both(&up));
    assert!(
        text(&up.stdout).starts_with("uploaded stamp-card 0.1.0"),
        "{}",
        both(&up)
    );
    let again = arcade(&[&["plugin", "upload"][..], &remote, &[wasm]].concat());
    assert!(again.status.success(), "{}", both(&again));
    assert!(
        text(&again.stdout).contains("already registered"),
        "{}",
        both(&again)
    );

    let list = arcade(&[&["plugin", "list"][..], &remote].concat());
    assert!(list.status.success(), "{}", both(&list));
    let listed = text(&list.stdout);
    assert!(
        listed.lines().any(|l| l.starts_with("stamp-card ")),
        "{listed}"
    );
    assert!(
        listed.lines().any(|l| l.starts_with("lucky-draw ")),
        "{listed}"
    );

    // Another build under the same version: 409, named, with what to do.
    let other = scratch("upload-other").join("other.wasm");
    std::fs::write(&other, rebuilt(&std::fs::read(wasm).unwrap())).unwrap();
    let dup = arcade(
        &[
            &["plugin", "upload"][..],
            &remote,
            &[other.to_str().unwrap()],
        ]
        .concat(),
    );
    assert_eq!(dup.status.code(), Some(1), "{}", both(&dup));
    assert!(
        both(&dup).contains("409 plugin_version_exists"),
        "{}",
        both(&dup)
    );
    assert!(both(&dup).contains("new version"), "{}", both(&dup));

    // A wrong key: 401 for upload and list alike.
    for cmd in [&["plugin", "upload"][..], &["plugin", "list"]] {
        let args = [cmd, &["--url", url.as_str(), "--key", "not-the-token"]].concat();
        let args = if cmd[1] == "upload" {
            [&args[..], &[wasm]].concat()
        } else {
            args
        };
        let bad = arcade(&args);
        assert_eq!(bad.status.code(), Some(1), "{}", both(&bad));
        assert!(both(&bad).contains("401 unauthorized"), "{}", both(&bad));
        assert!(both(&bad).contains("admin token"), "{}", both(&bad));
    }

    // Nothing listening: said so.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let gone = arcade(&["plugin", "list", "--url", &nowhere, "--key", token]);
    assert_eq!(gone.status.code(), Some(1), "{}", both(&gone));
    assert!(
        both(&gone).contains("cannot reach the service"),
        "{}",
        both(&gone)
    );
}

#[test]
fn plugin_simulate_builds_the_crate_and_prints_a_report() {
    let s = scaffold();
    let dir = scratch("simulate");
    std::fs::write(
        dir.join("audience.json"),
        r#"{"members": 50, "actions_per_user": 3}"#,
    )
    .unwrap();
    let out = arcade(&[
        "plugin",
        "simulate",
        "--dir",
        s.dir.to_str().unwrap(),
        "--config",
        s.dir.join("config.json").to_str().unwrap(),
        "--audience",
        dir.join("audience.json").to_str().unwrap(),
        "--runs",
        "2",
        "--seed",
        "1",
        "--starts-at",
        "2026-12-01T00:00:00+08:00",
    ]);
    assert!(out.status.success(), "{}", both(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report on stdout");
    assert_eq!(report["runs"], 2, "{report}");
    assert_eq!(report["completion"]["succeeded"], 1.0, "{report}");
    assert!(report["cost_fen"].is_object(), "{report}");
}

/// The first-party plugins' sessions (`plugins/*/sessions/`), examples
/// for authors, pass against the components the service bundles.
#[test]
fn first_party_sessions_match_their_golden_files() {
    let plugins = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins");
    let dir = scratch("first-party");
    let mut ran = Vec::new();
    for (name, wasm) in arcade_host::bundled::PLUGINS {
        let crate_dir = plugins.join(name);
        if !crate_dir.join("sessions").is_dir() {
            continue;
        }
        let component = dir.join(format!("{name}.wasm"));
        std::fs::write(&component, wasm).unwrap();
        let out = arcade(&[
            "plugin",
            "test",
            "--dir",
            crate_dir.to_str().unwrap(),
            "--component",
            component.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{name}: {}", both(&out));
        assert!(
            text(&out.stdout).contains("0 failed"),
            "{name}: {}",
            both(&out)
        );
        ran.push(*name);
    }
    assert_eq!(ran, ["hongbao", "invite-unlock", "voting"]);
}
