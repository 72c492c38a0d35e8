//! `arcade replay` as a process: exit 0 on a match, 1 on a tampered row,
//! against the same store `serve` used (a SQLite data dir, or DATABASE_URL).
//! `arcade simulate` as a process. `arcade serve` exporting its spans to
//! an OTLP collector.

use std::process::Command;

use arcade_host::cli::StoreArgs;
use arcade_host::sandbox::SandboxConfig;
use arcade_host::service::{ActionRequest, NewActivity};
use arcade_host::store::Role;
use serde_json::json;
use sqlx::Connection;

const PG_HINT: &str = "pg_virtualenv sh -c 'DATABASE_URL=postgres://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/$PGDATABASE cargo test'";

/// Where the service and `arcade replay` keep compiled plugins: shared by
/// the tests and kept between runs, so each plugin is compiled once rather
/// than by every process.
fn plugin_cache_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plugin-cache")
}

/// Draw a few times through the service; returns an outcome id.
async fn seed(args: &StoreArgs) -> String {
    let store = arcade_host::server::open_store(args).await.unwrap();
    let sandbox = SandboxConfig {
        cache_dir: Some(plugin_cache_dir()),
        ..SandboxConfig::default()
    };
    let arcade = arcade_host::server::assemble(store, sandbox, "cli-test-admin-token", None)
        .await
        .unwrap();
    let tenant = arcade.create_tenant("t").await.unwrap();
    arcade
        .create_api_key(&tenant, Role::Platform)
        .await
        .unwrap();
    let group = arcade
        .create_group(&tenant, arcade_host::service::NewGroup::named("g"))
        .await
        .unwrap();
    let activity = arcade
        .create_activity(
            &tenant,
            serde_json::from_value::<NewActivity>(json!({
                "group_id": group.id,
                "plugin": "lucky-draw",
                "config": {"prizes": [{"id": "p", "name": "P", "weight": 1, "stock": 5}], "miss_weight": 1}
            }))
            .unwrap(),
            "test",
        )
        .await
        .unwrap();
    let mut last = String::new();
    for i in 0..4 {
        let req = ActionRequest {
            user_id: format!("u{i}"),
            action: "draw".into(),
            payload: json!({}),
            group_id: None,
        };
        let body = arcade.act(&tenant, &activity.id, req, None).await.unwrap();
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        last = v["outcome_id"].as_str().unwrap().to_owned();
    }
    last
}

fn replay(outcome: &str, args: &StoreArgs) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_arcade"));
    cmd.args(["replay", outcome, "--data-dir"])
        .arg(&args.data_dir)
        .env_remove("ARCADE_SECRET")
        .env("ARCADE_CACHE_DIR", plugin_cache_dir())
        .env("ARCADE_LOG", "warn");
    match &args.database_url {
        Some(url) => cmd.env("DATABASE_URL", url),
        None => cmd.env_remove("DATABASE_URL"),
    };
    let out = cmd.output().expect("run arcade replay");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

async fn replay_cli(args: StoreArgs, tamper: &[&str]) {
    let outcome = seed(&args).await;
    let (code, out) = replay(&outcome, &args);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("\"matches\": true"), "{out}");

    for sql in tamper {
        let sql = sql.replace("{id}", &outcome);
        match &args.database_url {
            Some(url) => {
                let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                sqlx::query(&sql).execute(&mut c).await.unwrap();
            }
            None => {
                let url = format!(
                    "sqlite://{}",
                    args.data_dir.join("arcade.sqlite3").display()
                );
                let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
                sqlx::query(&sql).execute(&mut c).await.unwrap();
            }
        }
    }
    let (code, out) = replay(&outcome, &args);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("\"matches\": false"), "{out}");

    let (code, _) = replay("00000000-0000-0000-0000-000000000000", &args);
    assert_ne!(code, 0, "an unknown outcome is an error");
}

const FORGE: &str = "UPDATE outcomes SET result = '{\"prize\":\"forged\"}' WHERE id = '{id}'";

#[tokio::test(flavor = "multi_thread")]
async fn replay_cli_sqlite() {
    let dir = std::env::temp_dir().join(format!("arcade-cli-{}", uuid::Uuid::new_v4().simple()));
    let args = StoreArgs {
        data_dir: dir.clone(),
        database_url: None,
    };
    replay_cli(args, &["DROP TRIGGER outcomes_append_only_update", FORGE]).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn replay_cli_postgres() {
    let base = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| panic!("DATABASE_URL is not set; run the tests with: {PG_HINT}"));
    let mut admin = sqlx::PgConnection::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("cannot reach Postgres at DATABASE_URL ({e}); run: {PG_HINT}"));
    let name = format!("arcade_cli_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let (prefix, _) = base
        .rsplit_once('/')
        .expect("DATABASE_URL ends in a database name");
    let url = format!("{prefix}/{name}");
    let dir = std::env::temp_dir().join(format!("arcade-cli-{name}"));
    let args = StoreArgs {
        data_dir: dir.clone(),
        database_url: Some(url),
    };
    replay_cli(args, &["ALTER TABLE outcomes DISABLE TRIGGER USER", FORGE]).await;
    let _ = std::fs::remove_dir_all(dir);
    let _ = sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await;
}

/// `arcade simulate` with `files` (config, audience) and `extra` flags:
/// exit code, stdout, stderr.
fn simulate(
    dir: &std::path::Path,
    audience: serde_json::Value,
    extra: &[&str],
) -> (i32, String, String) {
    let config = json!({
        "prizes": [{"id": "mug", "name": "Mug", "weight": 1, "stock": 3},
                   {"id": "pen", "name": "Pen", "weight": 2}],
        "miss_weight": 2
    });
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    std::fs::write(dir.join("audience.json"), audience.to_string()).unwrap();
    std::fs::write(dir.join("costs.json"), r#"{"mug": 3000, "pen": 100}"#).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_arcade"))
        .arg("simulate")
        .args(["--plugin", "lucky-draw"])
        .arg("--config")
        .arg(dir.join("config.json"))
        .arg("--audience")
        .arg(dir.join("audience.json"))
        .arg("--costs")
        .arg(dir.join("costs.json"))
        .args(["--starts-at", "2026-12-01T00:00:00Z", "--runs", "4"])
        .arg("--cache-dir")
        .arg(plugin_cache_dir())
        .args(extra)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("run arcade simulate");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn simulate_cli_reports_deterministically() {
    let dir = std::env::temp_dir().join(format!("arcade-sim-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let audience = json!({"members": 100, "participation": 0.5, "arrival": "front_loaded"});
    let (code, one, err) = simulate(&dir, audience.clone(), &["--seed", "5"]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&one).expect("the report is JSON");
    assert_eq!(report["runs"], 4);
    assert_eq!(report["seed"], 5);
    assert!(report["actions_total"].as_u64().unwrap() > 100, "{report}");
    assert_eq!(report["stock"][0]["pool"], "mug");
    assert!(err.contains("simulated"), "no progress on stderr: {err}");
    // The same seed on one thread: the same report.
    let (_, again, _) = simulate(&dir, audience.clone(), &["--seed", "5", "--threads", "1"]);
    assert_eq!(one, again);
    let (_, other, _) = simulate(&dir, audience, &["--seed", "6"]);
    assert_ne!(one, other);
    // A bad audience fails with the reason.
    let (code, _, err) = simulate(&dir, json!({"members": 10, "participation": 2}), &[]);
    assert_eq!(code, 1);
    assert!(err.contains("participation"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `arcade verify` with `args`, feeding `stdin`: exit code and stdout.
fn verify(args: &[&str], stdin: &str) -> (i32, String, String) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_arcade"))
        .arg("verify")
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run arcade verify");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn verify_cli_passes_a_true_export_and_fails_a_tampered_one() {
    use arcade_host::randomness::{action_stream, commitment};
    let key = [0x5a; 32];
    let mut csv = String::from("id,user_id,action,seq,draws\n");
    for (n, user) in ["ann", "bo", "ann", "cy", "ann"].iter().enumerate() {
        let seq = csv.matches(&format!(",{user},")).count() as u64 + 1;
        let mut s = action_stream(&key, user, seq);
        let draws = format!("[[100,{}],[0,{}]]", s.below(100), s.next_u64());
        csv.push_str(&format!("o{n},{user},draw,{seq},\"{draws}\"\n"));
    }
    let dir = std::env::temp_dir().join(format!("arcade-verify-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("outcomes.csv");
    std::fs::write(&file, &csv).unwrap();
    let key_hex = hex::encode(key);
    let c = commitment(&key);
    let path = file.to_str().unwrap();

    let (code, out, err) = verify(
        &["--export", path, "--key", &key_hex, "--commitment", &c],
        "",
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("5 outcomes of 3 users, 10 draws re-derived"),
        "{out}"
    );

    // The same from standard input, with one draw changed: exit 1, naming it.
    let tampered = csv.replacen("[[100,", "[[100,1", 1);
    assert_ne!(tampered, csv);
    let (code, out, _) = verify(&["--export", "-", "--key", &key_hex], &tampered);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL line 2 (outcome o0)"), "{out}");

    // A key that is not the committed one.
    let (code, out, _) = verify(
        &[
            "--export",
            path,
            "--key",
            &hex::encode([1u8; 32]),
            "--commitment",
            &c,
        ],
        "",
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("does not match the commitment"), "{out}");

    // Unusable arguments are named.
    let (code, _, err) = verify(&["--export", path, "--key", "abc"], "");
    assert_ne!(code, 0);
    assert!(err.contains("64-hex-character"), "{err}");
    let (code, _, err) = verify(&["--export", "/nonexistent.csv", "--key", &key_hex], "");
    assert_ne!(code, 0);
    assert!(err.contains("cannot open /nonexistent.csv"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A fake OTLP collector on 127.0.0.1: keeps the bodies posted to
/// `/v1/traces`, concatenated.
async fn collector() -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
) {
    use axum::body::Bytes;
    use axum::extract::State;
    use std::sync::{Arc, Mutex};
    let received: Arc<Mutex<Vec<u8>>> = Arc::default();
    let app = axum::Router::new()
        .route(
            "/v1/traces",
            axum::routing::post(
                |State(seen): State<Arc<Mutex<Vec<u8>>>>, body: Bytes| async move {
                    seen.lock().unwrap().extend_from_slice(&body);
                    [("content-type", "application/x-protobuf")]
                },
            ),
        )
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, received)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_exports_spans_over_otlp() {
    use tokio::io::AsyncBufReadExt;
    const ADMIN: &str = "otlp-test-admin-token";
    let (collector, received) = collector().await;
    let dir = std::env::temp_dir().join(format!("arcade-otlp-{}", uuid::Uuid::new_v4().simple()));
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_arcade"))
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .args(["--metrics", "open", "--data-dir"])
        .arg(&dir)
        .env("ARCADE_ADMIN_TOKEN", ADMIN)
        .env("ARCADE_CACHE_DIR", plugin_cache_dir())
        .env("ARCADE_LOG", "info")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{collector}"))
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        // Export every 100 ms instead of every 5 s.
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .env_remove("DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start arcade serve");
    // The address it listens on, from its start-up log line.
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = tokio::time::timeout(std::time::Duration::from_secs(120), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            if v["fields"]["message"] == "arcade serving" {
                return v["fields"]["addr"].as_str().unwrap().to_owned();
            }
        }
        panic!("arcade serve stopped before serving");
    })
    .await
    .expect("arcade serve started within 2 minutes");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

    let http = reqwest::Client::new();
    let post = |token: String, path: &str, body: serde_json::Value| {
        let req = http
            .post(format!("http://{addr}{path}"))
            .bearer_auth(token)
            .header("x-request-id", "otlp-request-1")
            .json(&body);
        async move {
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            let body: serde_json::Value = r.json().await.unwrap();
            assert!(status < 300, "{status} {body}");
            body
        }
    };
    let tenant = post(ADMIN.into(), "/v1/tenants", json!({"name": "t"})).await;
    let keys = format!("/v1/tenants/{}/keys", tenant["id"].as_str().unwrap());
    let key = |r: serde_json::Value| r["key"].as_str().unwrap().to_owned();
    let operator = key(post(ADMIN.into(), &keys, json!({"role": "operator"})).await);
    let platform = key(post(ADMIN.into(), &keys, json!({"role": "platform"})).await);
    let group = post(operator.clone(), "/v1/groups", json!({"name": "g"})).await;
    let activity = post(
        operator,
        "/v1/activities",
        json!({
            "group_id": group["id"],
            "plugin": "lucky-draw",
            "config": {"prizes": [{"id": "p", "name": "P", "weight": 1, "stock": 5}], "miss_weight": 1}
        }),
    )
    .await;
    let id = activity["id"].as_str().unwrap();
    let drawn = post(
        platform,
        &format!("/v1/activities/{id}/actions"),
        json!({"user_id": "u1", "action": "draw", "payload": {}}),
    )
    .await;
    let outcome = drawn["outcome_id"].as_str().unwrap().to_owned();

    // The request's span (named by method and route, with its request id)
    // and the plugin call's span (with the outcome id) reach the collector.
    let wanted = [
        "POST /v1/activities/{id}/actions",
        "otlp-request-1",
        "plugin_call",
        outcome.as_str(),
    ];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let missing: Vec<_> = {
            let seen = received.lock().unwrap();
            wanted
                .iter()
                .filter(|w| !contains(&seen, w))
                .copied()
                .collect()
        };
        if missing.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the collector never received {missing:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // `--metrics open`: no token needed; the draw was counted.
    let metrics = http
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains(
            "arcade_plugin_calls_total{plugin=\"lucky-draw\",version=\"0.1.0\",kind=\"handle\",result=\"ok\"} 1\n"
        ),
        "{text}"
    );
    child.kill().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}
