//! The red-packet test plugin over HTTP: one shared counter in activity
//! state hands out each packet once, then refuses with `sold_out`.

use std::collections::HashSet;

use serde_json::json;

use crate::both_backends;
use crate::harness::{ADMIN, Server};
use crate::support::Db;

both_backends!(
    grabs_each_packet_once_then_sold_out,
    loadgen_counts_what_the_server_answered
);

/// Upload the red-packet plugin built by `build.rs`.
pub async fn upload_red_packet(s: &Server) {
    let wasm = std::fs::read(env!("RED_PACKET_WASM")).expect("red-packet was built by build.rs");
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

async fn grabs_each_packet_once_then_sold_out(db: Db) {
    let s = Server::start(db).await;
    upload_red_packet(&s).await;
    let t = s.tenant("t").await;
    let id = s.activity(&t, "red-packet", json!({"packets": 5})).await;

    let mut packets = HashSet::new();
    for i in 1..=5 {
        let r = s.act(&t, &id, &format!("u{i}"), "grab").await;
        assert_eq!(r.status, 200, "grab {i}: {r:?}");
        let packet = r.body["result"]["packet"].as_u64().expect("packet number");
        assert!((1..=5).contains(&packet), "packet {packet} out of range");
        assert!(packets.insert(packet), "packet {packet} handed out twice");
    }
    assert_eq!(packets.len(), 5);

    let r = s.act(&t, &id, "u6", "grab").await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "sold_out"), "{r:?}");
    let view = s.view(&t, &id, "u6").await;
    assert_eq!(view["remaining"], 0, "{view}");
}

/// Run the `loadgen` binary against the server; its JSON report.
async fn loadgen(s: &Server, token: &str, activity: &str, mode: &[&str]) -> serde_json::Value {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args(["--url", &s.url(""), "--token", token])
        .args(["--path", &format!("/v1/activities/{activity}/actions")])
        .args(["--body", r#"{"user_id":"{user}","action":"grab"}"#])
        .args(mode)
        .output()
        .await
        .expect("run loadgen");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("loadgen prints JSON")
}

async fn loadgen_counts_what_the_server_answered(db: Db) {
    let s = Server::start(db).await;
    upload_red_packet(&s).await;
    let t = s.tenant("t").await;

    // A fixed count over two connections, each request its own key and user.
    let id = s.activity(&t, "red-packet", json!({"packets": 3})).await;
    let report = loadgen(
        &s,
        &t.platform,
        &id,
        &["--clients", "2", "--requests", "5", "--idempotency-key"],
    )
    .await;
    assert_eq!(report["count"], 5, "{report}");
    assert_eq!(report["statuses"], json!({"200": 3, "409": 2}), "{report}");
    assert_eq!(report["codes"], json!({"sold_out": 2}), "{report}");
    assert_eq!(report["transport_errors"], json!({}), "{report}");
    assert_eq!(s.view(&t, &id, "x").await["remaining"], 0);

    // A burst: one request per client; a wrong token is counted, not fatal.
    let id = s.activity(&t, "red-packet", json!({"packets": 10})).await;
    let report = loadgen(&s, &t.platform, &id, &["--clients", "4", "--burst"]).await;
    assert_eq!(report["statuses"], json!({"200": 4}), "{report}");
    assert_eq!(s.view(&t, &id, "x").await["remaining"], 6);
    let report = loadgen(&s, "wrong-token", &id, &["--clients", "3", "--burst"]).await;
    assert_eq!(report["statuses"], json!({"401": 3}), "{report}");
    let p99 = report["latency_ms"]["p99"].as_f64().expect("p99");
    assert!(p99 > 0.0, "{report}");
}
