//! A misbehaving plugin costs only its own action: each failure has its
//! own code, arrives within a bounded time, writes nothing, and other
//! activities keep serving meanwhile.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::harness::{ADMIN, Server, Tenant};
use crate::support::Db;

both_backends!(
    misbehaviour_is_contained,
    others_keep_serving_during_a_runaway,
    calls_that_block_or_run_long_leave_the_async_workers
);

fn hostile_wasm() -> Vec<u8> {
    std::fs::read(env!("HOSTILE_WASM")).expect("hostile plugin was built by build.rs")
}

async fn upload_hostile(s: &Server) {
    let r = s
        .client
        .post(s.url("/v1/plugins"))
        .bearer_auth(ADMIN)
        .header("content-type", "application/wasm")
        .body(hostile_wasm())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

async fn set_limits(s: &Server, limits: serde_json::Value) {
    let r = s
        .send(
            ADMIN,
            Method::PUT,
            "/v1/plugins/hostile/0.1.0/limits",
            Some(limits),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
}

async fn expect_failure(s: &Server, t: &Tenant, id: &str, action: &str, status: u16, code: &str) {
    let started = Instant::now();
    let r = s.act(t, id, "u1", action).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (status, code),
        "{action}: {r:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{action} took {:?}",
        started.elapsed()
    );
}

async fn misbehaviour_is_contained(db: Db) {
    let s = Server::start(db).await;
    upload_hostile(&s).await;
    let t = s.tenant("t").await;
    let id = s.activity(&t, "hostile", json!({})).await;

    expect_failure(&s, &t, &id, "loop", 502, "plugin_fuel_exhausted").await;
    expect_failure(&s, &t, &id, "oom", 502, "plugin_memory_exceeded").await;
    expect_failure(&s, &t, &id, "trap", 502, "plugin_trap").await;
    expect_failure(&s, &t, &id, "bad-json", 502, "plugin_bad_output").await;
    expect_failure(&s, &t, &id, "huge", 502, "plugin_bad_output").await;
    expect_failure(&s, &t, &id, "bad-code", 502, "plugin_bad_output").await;
    expect_failure(&s, &t, &id, "write-then-trap", 502, "plugin_trap").await;
    let view = s
        .get(&t.platform, &format!("/v1/activities/{id}/view?user_id=u1"))
        .await;
    assert_eq!(
        (view.status.as_u16(), view.code()),
        (502, "plugin_bad_output")
    );

    // With a huge fuel allowance the wall-clock deadline stops the loop.
    set_limits(&s, json!({"fuel": 1_000_000_000_000u64, "timeout_ms": 300})).await;
    expect_failure(&s, &t, &id, "loop", 504, "plugin_timeout").await;

    // None of the failed actions wrote anything: no outcome, the stock
    // claimed before the trap is intact, and the plugin still works.
    assert!(s.all_outcomes(&t, &id).await.is_empty());
    assert_eq!(s.stock(&t, &id, "pool").await, 10);
    let ok = s.act(&t, &id, "u1", "ok").await;
    assert_eq!(ok.status, 200, "{ok:?}");
    assert_eq!(ok.body["result"]["count"], 1);
    assert_eq!(s.all_outcomes(&t, &id).await.len(), 1);
    let snapshot = s.arcade.store().snapshot(&id, "u1").await.unwrap();
    assert!(
        snapshot.state.iter().all(|e| e.key.key != "poisoned"),
        "state written before a trap must not persist"
    );
}

async fn others_keep_serving_during_a_runaway(db: Db) {
    let s = Arc::new(Server::start(db).await);
    upload_hostile(&s).await;
    set_limits(
        &s,
        json!({"fuel": 1_000_000_000_000u64, "timeout_ms": 1500}),
    )
    .await;
    let t = s.tenant("t").await;
    let hostile = s.activity(&t, "hostile", json!({})).await;
    let draw = s
        .activity(
            &t,
            "lucky-draw",
            json!({"prizes": [{"id": "p", "name": "P", "weight": 1}]}),
        )
        .await;

    let runaway = {
        let (s, t, id) = (s.clone(), t.clone(), hostile.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let r = s.act(&t, &id, "u1", "loop").await;
            (r, started.elapsed())
        })
    };
    let runaways: Vec<_> = (0..3)
        .map(|i| {
            let (s, t, id) = (s.clone(), t.clone(), hostile.clone());
            tokio::spawn(async move { s.act(&t, &id, &format!("x{i}"), "loop").await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    for i in 0..20 {
        let r = s.act(&t, &draw, &format!("u{i}"), "draw").await;
        assert_eq!(r.status, 200, "{r:?}");
    }
    let served_in = started.elapsed();
    let (r, took) = runaway.await.unwrap();
    assert_eq!(r.code(), "plugin_timeout");
    assert!(
        took >= Duration::from_millis(1400),
        "deadline honoured: {took:?}"
    );
    assert!(
        served_in < took,
        "20 draws ({served_in:?}) finished while the runaway ({took:?}) was still running"
    );
    for h in runaways {
        assert_eq!(h.await.unwrap().code(), "plugin_timeout");
    }
}

/// A call first runs on the request's async worker; one that needs a
/// lazy read (a group-buy team) or runs past the inline budget (a loop)
/// runs again on the blocking pool with the same answer it would have
/// had, and its plugin goes straight there afterwards. Short calls stay.
async fn calls_that_block_or_run_long_leave_the_async_workers(db: Db) {
    let mut s = Server::start(db).await;
    upload_hostile(&s).await;
    let t = s.tenant("t").await;
    let tenant_id = t.id.clone();

    // Short draws stay inline. The budget is 1 ms of wall time, so on a
    // loaded machine a draw preempted past it is (rightly) moved off; a
    // fresh service forgets that, and one of three rounds must stay.
    let mut stayed = false;
    for round in 0..3 {
        if round > 0 {
            s = s.restart(0).await;
        }
        let draw = s
            .activity(
                &t,
                "lucky-draw",
                json!({"prizes": [{"id": "p", "name": "P", "weight": 1, "stock": 5}]}),
            )
            .await;
        for i in 0..5 {
            let r = s.act(&t, &draw, &format!("u{i}"), "draw").await;
            assert_eq!(r.status, 200, "{r:?}");
        }
        assert_eq!(s.stock(&t, &draw, "p").await, 0);
        if s.arcade.calls_inline(&tenant_id, &draw).await.unwrap() {
            stayed = true;
            break;
        }
    }
    assert!(stayed, "short draws stay inline");
    let inline = |id: String| {
        let (arcade, tenant_id) = (s.arcade.clone(), tenant_id.clone());
        async move { arcade.calls_inline(&tenant_id, &id).await.unwrap() }
    };

    let buy = s
        .activity(
            &t,
            "group-buy",
            json!({
                "product": {"id": "p", "name": "P", "original_price_fen": 100, "deal_price_fen": 50},
                "team_size": 2, "time_limit_minutes": 60, "max_open_teams_per_user": 1
            }),
        )
        .await;
    let opened = s.act_with(&t, &buy, "leader", "open", json!({})).await;
    assert_eq!(opened.status, 200, "{opened:?}");
    let team = opened.body["result"]["team_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Joining reads the team's scope lazily: the inline attempt stops and
    // the call runs again where it may block; the answer is the real one.
    let joined = s
        .act_with(&t, &buy, "member", "join", json!({"team_id": team}))
        .await;
    assert_eq!(joined.status, 200, "{joined:?}");
    let late = s
        .act_with(&t, &buy, "late", "join", json!({"team_id": team}))
        .await;
    assert_eq!(
        (late.status.as_u16(), late.code()),
        (409, "team_full"),
        "{late:?}"
    );
    assert!(
        !inline(buy.clone()).await,
        "a plugin that read lazily is offloaded"
    );

    // Fuel to spare, so the loop runs until its deadline: far past the
    // inline budget, however fast the machine.
    set_limits(&s, json!({"fuel": 1_000_000_000_000u64, "timeout_ms": 300})).await;
    let hostile = s.activity(&t, "hostile", json!({})).await;
    assert!(inline(hostile.clone()).await);
    expect_failure(&s, &t, &hostile, "loop", 504, "plugin_timeout").await;
    assert!(!inline(hostile.clone()).await, "a long call is offloaded");
    // Offloaded, the plugin still serves, from the blocking pool.
    let ok = s.act(&t, &hostile, "u1", "ok").await;
    assert_eq!(ok.status, 200, "{ok:?}");
    assert_eq!(s.all_outcomes(&t, &hostile).await.len(), 1);
}
