//! The sandbox as a shared resource: saturation is the host's condition
//! (`503 overloaded` with `Retry-After`), a store failure during a call is
//! a storage error, a plugin cannot answer with a host code, one tenant's
//! runaway plugin leaves another tenant's throughput nearly whole, and
//! compiled plugins survive a restart on disk.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arcade_host::sandbox::{AdmissionConfig, Sandbox, SandboxConfig};
use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::harness::{ADMIN, Server, Tenant};
use crate::support::Db;

both_backends!(
    saturation_is_overloaded,
    a_full_instance_pool_is_overloaded,
    a_store_failure_mid_call_is_a_storage_error,
    plugins_cannot_answer_with_host_codes,
    a_runaway_neighbour_costs_little,
);

async fn upload_hostile(s: &Server) {
    let wasm = std::fs::read(env!("HOSTILE_WASM")).expect("hostile plugin was built");
    let r = s
        .client
        .post(s.url("/v1/plugins"))
        .bearer_auth(ADMIN)
        .header("content-type", "application/wasm")
        .body(wasm)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

/// Let the hostile `loop` run `timeout_ms` of guest time.
async fn loops_for(s: &Server, timeout_ms: u32) {
    let r = s
        .send(
            ADMIN,
            Method::PUT,
            "/v1/plugins/hostile/0.1.0/limits",
            Some(json!({"fuel": 1_000_000_000_000u64, "timeout_ms": timeout_ms})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
}

fn admission(slots: usize, per_tenant: usize, max_queued: usize, wait_ms: u64) -> SandboxConfig {
    SandboxConfig {
        admission: AdmissionConfig {
            slots,
            per_tenant,
            max_queued,
            max_wait: Duration::from_millis(wait_ms),
        },
        ..SandboxConfig::default()
    }
}

/// Fire `n` hostile `loop` actions at once; their replies.
async fn loops(s: &Arc<Server>, t: &Tenant, id: &str, n: usize) -> Vec<reqwest::Response> {
    let calls = (0..n).map(|i| {
        let (s, t, id) = (s.clone(), t.clone(), id.to_owned());
        tokio::spawn(async move {
            s.client
                .post(s.url(&format!("/v1/activities/{id}/actions")))
                .bearer_auth(&t.platform)
                .json(&json!({"user_id": format!("u{i}"), "action": "loop"}))
                .send()
                .await
                .unwrap()
        })
    });
    let calls: Vec<_> = calls.collect();
    let mut out = Vec::new();
    for c in calls {
        out.push(c.await.unwrap());
    }
    out
}

async fn codes(replies: Vec<reqwest::Response>) -> Vec<(u16, String, Option<String>)> {
    let mut out = Vec::new();
    for r in replies {
        let status = r.status().as_u16();
        let retry = r
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        let body: serde_json::Value = r.json().await.unwrap();
        out.push((
            status,
            body["error"]["code"].as_str().unwrap_or("").to_owned(),
            retry,
        ));
    }
    out
}

async fn saturation_is_overloaded(db: Db) {
    // One slot, one waiting place, 300 ms of waiting at most.
    let s = Arc::new(Server::start_with(db, admission(1, 1, 1, 300)).await);
    upload_hostile(&s).await;
    loops_for(&s, 800).await;
    let t = s.tenant("t").await;
    let id = s.activity(&t, "hostile", json!({})).await;

    let started = Instant::now();
    let replies = codes(loops(&s, &t, &id, 4).await).await;
    let timeouts = replies.iter().filter(|r| r.1 == "plugin_timeout").count();
    let overloaded: Vec<_> = replies.iter().filter(|r| r.1 == "overloaded").collect();
    // Calls of one tenant take turns in its slot, a slice each, so a
    // queued call may get in; the waiting room still overflows.
    assert!(timeouts >= 1, "{replies:?}");
    assert!(!overloaded.is_empty(), "{replies:?}");
    assert_eq!(timeouts + overloaded.len(), replies.len(), "{replies:?}");
    for (status, _, retry) in &overloaded {
        assert_eq!(*status, 503);
        let secs: u64 = retry.as_deref().expect("Retry-After").parse().unwrap();
        assert!(secs >= 1, "{secs}");
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    // Nothing of the refused calls was written, and the plugin still runs.
    assert!(s.all_outcomes(&t, &id).await.is_empty());
    let ok = s.act(&t, &id, "u1", "ok").await;
    assert_eq!(ok.status, 200, "{ok:?}");
    assert_eq!(s.arcade.sandbox().load_now(), (0, 0));
}

async fn a_full_instance_pool_is_overloaded(db: Db) {
    // Admission lets 8 calls run but the pool has 4 instances: the pool,
    // not the plugin, refuses the rest.
    let config = SandboxConfig {
        max_concurrent_calls: 4,
        ..admission(8, 8, 16, 5_000)
    };
    let s = Arc::new(Server::start_with(db, config).await);
    upload_hostile(&s).await;
    loops_for(&s, 1_000).await;
    let t = s.tenant("t").await;
    let id = s.activity(&t, "hostile", json!({})).await;
    let replies = codes(loops(&s, &t, &id, 8).await).await;
    let refused = replies.iter().filter(|r| r.1 == "overloaded").count();
    assert!(refused >= 1, "{replies:?}");
    for r in &replies {
        assert!(
            (r.0, r.1.as_str()) == (504, "plugin_timeout")
                || (r.0, r.1.as_str()) == (503, "overloaded"),
            "{replies:?}"
        );
        assert!(r.1 != "plugin_trap");
    }
}

async fn a_store_failure_mid_call_is_a_storage_error(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let id = s
        .activity(
            &t,
            "lucky-draw",
            json!({"prizes": [{"id": "p", "name": "P", "weight": 1}], "cost_points": 10}),
        )
        .await;
    // The draw reads the user's balance lazily, from the sandbox thread.
    s.db.execute("ALTER TABLE balances RENAME TO balances_away")
        .await
        .unwrap();
    let r = s.act(&t, &id, "u1", "draw").await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (500, "storage_error"),
        "{r:?}"
    );
    assert!(
        !r.text.contains("balances"),
        "no database internals: {}",
        r.text
    );
    s.db.execute("ALTER TABLE balances_away RENAME TO balances")
        .await
        .unwrap();
    let r = s.act(&t, &id, "u1", "draw").await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "insufficient_points"),
        "{r:?}"
    );
    assert!(s.all_outcomes(&t, &id).await.is_empty());
}

async fn plugins_cannot_answer_with_host_codes(db: Db) {
    let s = Server::start(db).await;
    upload_hostile(&s).await;
    let t = s.tenant("t").await;
    let id = s.activity(&t, "hostile", json!({})).await;
    for code in [
        "unauthorized",
        "overloaded",
        "plugin_timeout",
        "activity_paused",
    ] {
        let r = s
            .act_with(&t, &id, "u1", "impersonate", json!({"code": code}))
            .await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (502, "plugin_bad_output"),
            "{code}: {r:?}"
        );
    }
    // A code of the mechanic's own passes through.
    let r = s
        .act_with(&t, &id, "u1", "impersonate", json!({"code": "sold_out"}))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "sold_out"), "{r:?}");
}

/// Tenant A's sequential-client draw rate over `window`, with `clients`
/// connections.
async fn draw_rate(s: &Arc<Server>, t: &Tenant, id: &str, clients: usize, window: Duration) -> f64 {
    let stop = Instant::now() + window;
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (s, t, id) = (s.clone(), t.clone(), id.to_owned());
            tokio::spawn(async move {
                let mut n = 0u64;
                while Instant::now() < stop {
                    let r = s.act(&t, &id, &format!("a{c}-{n}"), "draw").await;
                    assert_eq!(r.status, 200, "{r:?}");
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    total as f64 / window.as_secs_f64()
}

async fn a_runaway_neighbour_costs_little(db: Db) {
    let s = Arc::new(Server::start(db).await);
    upload_hostile(&s).await;
    let a = s.tenant("a").await;
    let b = s.tenant("b").await;
    let draw = s
        .activity(
            &a,
            "lucky-draw",
            json!({"prizes": [{"id": "p", "name": "P", "weight": 1}], "miss_weight": 9}),
        )
        .await;
    let hostile = s.activity(&b, "hostile", json!({})).await;
    let window = Duration::from_secs(3);
    draw_rate(&s, &a, &draw, 8, Duration::from_millis(500)).await;
    let alone = draw_rate(&s, &a, &draw, 8, window).await;

    let flood_until = Instant::now() + window + Duration::from_secs(1);
    let flood: Vec<_> = (0..32)
        .map(|i| {
            let (s, b, id) = (s.clone(), b.clone(), hostile.clone());
            tokio::spawn(async move {
                let mut codes = Vec::new();
                while Instant::now() < flood_until {
                    let r = s.act(&b, &id, &format!("b{i}"), "loop").await;
                    codes.push(r.code().to_owned());
                }
                codes
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let beside = draw_rate(&s, &a, &draw, 8, window).await;
    let mut b_codes = Vec::new();
    for f in flood {
        b_codes.extend(f.await.unwrap());
    }
    let ratio = beside / alone;
    eprintln!(
        "tenant A: {alone:.0} draws/s alone, {beside:.0}/s beside a runaway (ratio {ratio:.2})"
    );
    assert!(
        b_codes
            .iter()
            .all(|c| c == "plugin_fuel_exhausted" || c == "overloaded"),
        "{b_codes:?}"
    );
    assert!(
        b_codes.iter().any(|c| c == "plugin_fuel_exhausted"),
        "B was served too"
    );
    assert!(ratio >= MIN_NEIGHBOUR_RATIO, "ratio {ratio:.2}");
}

/// What the test demands of the ratio (before admission control it was
/// about 0.01). The benchmark (`tests/benches/neighbour.rs`, release
/// build) measures it against the 0.9 goal; in a debug build the guest's
/// host calls are unoptimised, so the cheap tenant's sandbox time, and the
/// equal share its neighbour gets, are several times larger.
const MIN_NEIGHBOUR_RATIO: f64 = 0.4;

#[test]
fn compiled_plugins_survive_a_restart_on_disk() {
    let dir = std::env::temp_dir().join(format!("arcade-cache-{}", uuid::Uuid::new_v4().simple()));
    let config = SandboxConfig {
        cache_dir: Some(dir.clone()),
        ..SandboxConfig::default()
    };
    let (_, wasm) = arcade_host::bundled::PLUGINS[0];
    let start = |expect: (u64, u64, u64)| {
        let sandbox = Sandbox::new(config.clone()).unwrap();
        let plugin = sandbox.load(wasm).expect("loads");
        assert!(!plugin.manifest.actions.is_empty());
        let stats = sandbox.cache_stats().expect("cache on");
        assert_eq!(
            (stats.compiled, stats.from_disk, stats.rejected),
            expect,
            "{stats:?}"
        );
    };
    start((1, 0, 0));
    start((0, 1, 0));
    let entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 1, "one entry, no temp files: {entries:?}");
    let file = &entries[0];

    // A flipped byte is caught by the digest, the entry rebuilt.
    let mut bytes = std::fs::read(file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(file, &bytes).unwrap();
    start((1, 0, 1));
    start((0, 1, 0));
    // So is a torn file, and one of another engine's format.
    let bytes = std::fs::read(file).unwrap();
    std::fs::write(file, &bytes[..bytes.len() / 3]).unwrap();
    start((1, 0, 1));
    // A whole file with a sound digest that wasmtime itself refuses.
    let mut foreign = b"not a compiled component of this engine".to_vec();
    let digest = arcade_host::sandbox::sha256_hex(&foreign);
    foreign.extend((0..32).map(|i| u8::from_str_radix(&digest[2 * i..2 * i + 2], 16).unwrap()));
    std::fs::write(file, &foreign).unwrap();
    start((1, 0, 1));
    start((0, 1, 0));

    // An unusable directory only turns the cache off.
    let blocked = dir.join("blocked");
    std::fs::write(&blocked, b"a file, not a directory").unwrap();
    let sandbox = Sandbox::new(SandboxConfig {
        cache_dir: Some(blocked.join("cache")),
        ..SandboxConfig::default()
    })
    .unwrap();
    assert!(sandbox.cache_stats().is_none());
    sandbox.load(wasm).expect("still loads");
    let _ = std::fs::remove_dir_all(&dir);
}
