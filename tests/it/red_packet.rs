//! The red-packet test plugin over HTTP: one shared counter in activity
//! state hands out each packet once, then refuses with `sold_out`.

use std::collections::HashSet;

use serde_json::json;

use crate::both_backends;
use crate::harness::{ADMIN, Server};
use crate::support::Db;

both_backends!(grabs_each_packet_once_then_sold_out);

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
