//! Noisy-neighbour benchmark: `cargo bench -p arcade-tests --bench neighbour`.
//!
//! Tenant A draws (lucky-draw) from 64 keep-alive connections, first alone,
//! then while tenant B floods the hostile `loop` action (spins until its
//! fuel runs out) from 64 connections of its own. Prints A's draws per
//! second in both runs and their ratio (the goal: at least 0.9), and what B
//! got back. One server, a fresh SQLite file, everything on 127.0.0.1.
//!
//! `ARCADE_BENCH_SECS` sets each measured run (default 10 s).
//! The load here is deliberately small and self-contained; it is meant to
//! be replaced by the separate-process load generator.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use serde_json::{Value, json};

const ADMIN: &str = "bench-admin-token-0123456789";
const CLIENTS: usize = 64;

struct Bench {
    base: String,
    client: reqwest::Client,
}

impl Bench {
    async fn post(&self, token: &str, path: &str, body: Value) -> anyhow::Result<(u16, Value)> {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await?;
        let status = r.status().as_u16();
        Ok((status, r.json().await.unwrap_or(Value::Null)))
    }

    /// A tenant's platform and operator keys and a group id.
    async fn tenant(&self, name: &str) -> anyhow::Result<(String, String, String)> {
        let (_, t) = self
            .post(ADMIN, "/v1/tenants", json!({"name": name}))
            .await?;
        let id = t["id"].as_str().context("tenant id")?.to_owned();
        let mut keys = Vec::new();
        for role in ["platform", "operator"] {
            let path = format!("/v1/tenants/{id}/keys");
            let (_, k) = self.post(ADMIN, &path, json!({"role": role})).await?;
            keys.push(k["key"].as_str().context("key")?.to_owned());
        }
        let (_, g) = self
            .post(&keys[1], "/v1/groups", json!({"name": "g"}))
            .await?;
        let group = g["id"].as_str().context("group")?.to_owned();
        Ok((keys[0].clone(), keys[1].clone(), group))
    }

    async fn activity(
        &self,
        operator: &str,
        group: &str,
        plugin: &str,
        config: Value,
    ) -> anyhow::Result<String> {
        let body = json!({"group_id": group, "plugin": plugin, "config": config});
        let (status, a) = self.post(operator, "/v1/activities", body).await?;
        ensure!(status == 201, "activity: {status} {a}");
        Ok(a["id"].as_str().context("activity id")?.to_owned())
    }
}

/// Run `CLIENTS` loops of `action` until `until`; the status codes seen.
async fn load(
    bench: Arc<Bench>,
    token: String,
    activity: String,
    action: &'static str,
    until: Instant,
) -> BTreeMap<String, u64> {
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (bench, token, activity) = (bench.clone(), token.clone(), activity.clone());
            tokio::spawn(async move {
                let mut seen = BTreeMap::<String, u64>::new();
                let mut n = 0u64;
                while Instant::now() < until {
                    let body = json!({"user_id": format!("{action}-{c}-{n}"), "action": action});
                    let path = format!("/v1/activities/{activity}/actions");
                    let code = match bench.post(&token, &path, body).await {
                        Ok((200, _)) => "200".to_owned(),
                        Ok((s, v)) => format!("{s} {}", v["error"]["code"].as_str().unwrap_or("")),
                        Err(e) => format!("transport: {e}"),
                    };
                    *seen.entry(code).or_default() += 1;
                    n += 1;
                }
                seen
            })
        })
        .collect();
    let mut all = BTreeMap::new();
    for t in tasks {
        for (k, v) in t.await.expect("client task") {
            *all.entry(k).or_default() += v;
        }
    }
    all
}

fn main() -> anyhow::Result<()> {
    let secs = std::env::var("ARCADE_BENCH_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10u64);
    let window = Duration::from_secs(secs);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let path = std::env::temp_dir().join(format!("arcade-neighbour-{}.db", uuid::Uuid::new_v4().simple()));
        let store = Arc::new(arcade_host::store::sqlite::SqliteStore::open(&path).await?);
        let config = arcade_host::sandbox::SandboxConfig::default();
        let admission = config.admission;
        let arcade = arcade_host::server::assemble(store, config, ADMIN, Some([7; 32])).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move {
            axum::serve(listener, arcade_host::http::router(arcade)).await.expect("serve");
        });
        let bench = Arc::new(Bench {
            base,
            client: reqwest::Client::builder().pool_max_idle_per_host(2 * CLIENTS).build()?,
        });
        let hostile = std::fs::read(env!("HOSTILE_WASM")).context("hostile plugin")?;
        let r = bench
            .client
            .post(format!("{}/v1/plugins", bench.base))
            .bearer_auth(ADMIN)
            .header("content-type", "application/wasm")
            .body(hostile)
            .send()
            .await?;
        ensure!(r.status() == 201, "upload hostile: {}", r.status());
        let (a_platform, a_operator, a_group) = bench.tenant("a").await?;
        let (b_platform, b_operator, b_group) = bench.tenant("b").await?;
        let prizes = json!({"prizes": [{"id": "p", "name": "P", "weight": 1, "stock": 100_000_000}], "miss_weight": 9});
        let draw = bench.activity(&a_operator, &a_group, "lucky-draw", prizes).await?;
        let runaway = bench.activity(&b_operator, &b_group, "hostile", json!({})).await?;

        let warm = Instant::now() + Duration::from_secs(2);
        load(bench.clone(), a_platform.clone(), draw.clone(), "draw", warm).await;
        let alone = load(bench.clone(), a_platform.clone(), draw.clone(), "draw", Instant::now() + window).await;

        let flood_until = Instant::now() + window + Duration::from_secs(3);
        let flood = tokio::spawn(load(bench.clone(), b_platform, runaway, "loop", flood_until));
        tokio::time::sleep(Duration::from_secs(2)).await;
        let beside = load(bench.clone(), a_platform, draw, "draw", Instant::now() + window).await;
        let b_seen = flood.await?;

        let rate = |seen: &BTreeMap<String, u64>| seen.get("200").copied().unwrap_or(0) as f64 / window.as_secs_f64();
        let (r_alone, r_beside) = (rate(&alone), rate(&beside));
        println!("admission: {admission:?}");
        println!("tenant A alone:            {r_alone:8.0} draws/s  {alone:?}");
        println!("tenant A beside runaway B: {r_beside:8.0} draws/s  {beside:?}");
        println!("tenant B (64 x loop):      {b_seen:?}");
        println!("ratio: {:.3} (goal >= 0.9)", r_beside / r_alone);
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
        Ok(())
    })
}
