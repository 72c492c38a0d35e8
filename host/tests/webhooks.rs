//! Webhook delivery survives `kill -9`: the real `arcade serve` delivers a
//! few hundred events to a receiver that answers slowly, is killed while
//! deliveries are in flight, and is started again on the same data. Every
//! event arrives (at least once: duplicates carry the same `webhook-id`),
//! and each subject's events first arrive in event order.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqlx::Connection;

const ADMIN: &str = "webhook-crash-admin-token";
const PG_HINT: &str = "pg_virtualenv sh -c 'DATABASE_URL=postgres://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/$PGDATABASE cargo test'";
/// Users, and draws per user: one `reward.granted` event each.
const USERS: usize = 30;
const DRAWS: usize = 10;

fn plugin_cache_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plugin-cache")
}

fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// A running `arcade serve`, killed (SIGKILL) when dropped, so a failed
/// test leaves no process behind.
struct Serving(Child);

impl Serving {
    fn kill_9(&mut self) {
        self.0.kill().expect("kill -9");
        self.0.wait().unwrap();
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(data_dir: &std::path::Path, database_url: Option<&str>, addr: SocketAddr) -> Serving {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_arcade"));
    cmd.arg("serve")
        .env("ARCADE_DATA_DIR", data_dir)
        .env("ARCADE_LISTEN", addr.to_string())
        .env("ARCADE_ADMIN_TOKEN", ADMIN)
        .env("ARCADE_CACHE_DIR", plugin_cache_dir())
        .env("ARCADE_LOG", "warn")
        .env_remove("ARCADE_SECRET")
        .stdout(Stdio::null());
    match database_url {
        Some(url) => cmd.env("DATABASE_URL", url),
        None => cmd.env_remove("DATABASE_URL"),
    };
    Serving(cmd.spawn().expect("start arcade serve"))
}

struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(r) = self.http.get(format!("{}/healthz", self.base)).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("arcade serve did not come up at {}", self.base);
    }

    async fn call(
        &self,
        key: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    async fn post(&self, key: &str, path: &str, body: Value) -> Value {
        self.call(key, reqwest::Method::POST, path, Some(body))
            .await
    }
}

/// What the receiver saw: each request's webhook-id and payload, in
/// arrival order.
type Seen = Arc<Mutex<Vec<(String, Value)>>>;

/// A receiver that takes `delay` to answer 200.
async fn receiver(delay: Duration) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let log = log.clone();
            async move {
                let id = headers["webhook-id"].to_str().unwrap().to_owned();
                log.lock()
                    .unwrap()
                    .push((id, serde_json::from_str(&body).unwrap()));
                tokio::time::sleep(delay).await;
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

async fn every_event_survives_a_kill(data_dir: std::path::PathBuf, database_url: Option<String>) {
    let (hook, seen) = receiver(Duration::from_millis(300)).await;
    let addr = free_addr();
    let mut child = serve(&data_dir, database_url.as_deref(), addr);
    let api = Api {
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
    };
    api.wait_ready().await;

    let tenant = api.post(ADMIN, "/v1/tenants", json!({"name": "t"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = |role: &'static str| {
        let (api, tenant) = (&api, &tenant);
        async move {
            api.post(
                ADMIN,
                &format!("/v1/tenants/{tenant}/keys"),
                json!({"role": role}),
            )
            .await["key"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let (owner, operator, platform) = (
        key("owner").await,
        key("operator").await,
        key("platform").await,
    );
    let group = api
        .post(&operator, "/v1/groups", json!({"name": "g"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let activity = api
        .post(
            &operator,
            "/v1/activities",
            json!({"group_id": group, "plugin": "lucky-draw", "config": {
                "prizes": [{"id": "gone", "name": "Gone", "weight": 1, "stock": 0}],
                "consolation": {"points": 1}
            }}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api.post(&owner, "/v1/webhooks", json!({"url": hook})).await;

    // Draws: each user's in order, users side by side.
    let draws = (0..USERS).map(|u| {
        let (api, platform, activity) = (&api, &platform, &activity);
        async move {
            for _ in 0..DRAWS {
                api.post(
                    platform,
                    &format!("/v1/activities/{activity}/actions"),
                    json!({"user_id": format!("u{u}"), "action": "draw"}),
                )
                .await;
            }
        }
    });
    futures::future::join_all(draws).await;
    let total = USERS * DRAWS;

    // Kill -9 while deliveries are in flight.
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.lock().unwrap().len() < total / 3 {
        assert!(Instant::now() < deadline, "deliveries did not start");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill_9();
    let at_kill = seen.lock().unwrap().len();
    assert!(
        at_kill < total,
        "everything was delivered before the kill; slow the receiver"
    );

    // Start again on the same data; everything arrives.
    let mut child = serve(&data_dir, database_url.as_deref(), addr);
    api.wait_ready().await;
    let mut events: Vec<i64> = Vec::new();
    let mut after = 0;
    loop {
        let page = api
            .call(
                &operator,
                reqwest::Method::GET,
                &format!("/v1/events?limit=500&after={after}"),
                None,
            )
            .await;
        let list = page["events"].as_array().unwrap();
        if list.is_empty() {
            break;
        }
        events.extend(list.iter().map(|e| e["seq"].as_i64().unwrap()));
        after = *events.last().unwrap();
    }
    assert_eq!(events.len(), total);
    let want: HashSet<String> = events.iter().map(|s| format!("evt_{s}")).collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let ids: HashSet<String> = seen
            .lock()
            .unwrap()
            .iter()
            .map(|(id, _)| id.clone())
            .collect();
        if want.is_subset(&ids) {
            assert_eq!(ids, want, "nothing but the tenant's events");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {total} events arrived after the restart",
            want.intersection(&ids).count()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.kill_9();

    // Duplicates carry the same payload, and each subject's events first
    // arrive in event order.
    let seen = seen.lock().unwrap().clone();
    let mut first: BTreeMap<String, Value> = BTreeMap::new();
    let mut order: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (id, body) in &seen {
        match first.get(id) {
            Some(earlier) => assert_eq!(earlier, body, "a resend of {id} differs"),
            None => {
                first.insert(id.clone(), body.clone());
                let subject = body["data"]["subject"].as_str().unwrap().to_owned();
                order
                    .entry(subject)
                    .or_default()
                    .push(body["data"]["seq"].as_i64().unwrap());
            }
        }
    }
    assert_eq!(order.len(), USERS);
    for (subject, seqs) in &order {
        assert_eq!(seqs.len(), DRAWS);
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{subject}: {seqs:?}");
    }
    eprintln!(
        "{total} events, {} requests ({} resent), {at_kill} before the kill",
        seen.len(),
        seen.len() - total
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn webhooks_survive_kill_sqlite() {
    let dir =
        std::env::temp_dir().join(format!("arcade-webhooks-{}", uuid::Uuid::new_v4().simple()));
    every_event_survives_a_kill(dir.clone(), None).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn webhooks_survive_kill_postgres() {
    let base = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| panic!("DATABASE_URL is not set; run the tests with: {PG_HINT}"));
    let mut admin = sqlx::PgConnection::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("cannot reach Postgres at DATABASE_URL ({e}); run: {PG_HINT}"));
    let name = format!("arcade_wh_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let (prefix, _) = base
        .rsplit_once('/')
        .expect("DATABASE_URL ends in a database name");
    let dir = std::env::temp_dir().join(format!("arcade-webhooks-{name}"));
    every_event_survives_a_kill(dir.clone(), Some(format!("{prefix}/{name}"))).await;
    let _ = std::fs::remove_dir_all(dir);
    let _ = sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await;
}
