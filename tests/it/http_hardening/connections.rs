//! The connection cap: idle connections cannot lock clients out.

use std::time::{Duration, Instant};

use futures::future::join_all;
use tokio::net::TcpStream;

use super::{Hardened, closed_within, get, read_reply, relaxed, send};
use crate::harness::ADMIN;
use crate::support::Db;

crate::both_backends!(idle_flood_does_not_lock_out, busy_cap_waits_for_a_slot);

/// Idle connections opened: more than the usual open-file limit of 1,024.
const FLOOD: usize = 1_100;
/// The server's cap in these tests.
const CAP: usize = 256;

/// Client and server share this process: make room for both ends.
fn raise_file_limit() {
    let limit = rlimit::increase_nofile_limit(8192).expect("raise open-file limit");
    assert!(
        limit >= (FLOOD + CAP + 256) as u64,
        "open-file limit {limit} is too low for this test"
    );
}

/// 1,100 connections that never send a byte, against a cap of 256: the
/// server closes the longest-idle ones to admit new ones, never holds more
/// than the cap, and a fresh client is served at once.
async fn idle_flood_does_not_lock_out(db: Db) {
    raise_file_limit();
    let mut config = relaxed();
    config.max_connections = CAP;
    let s = Hardened::start(&db, config).await;
    let mut flood: Vec<TcpStream> = Vec::with_capacity(FLOOD);
    for _ in 0..FLOOD {
        flood.push(s.connect().await);
    }
    let started = Instant::now();
    let mut fresh = s.connect().await;
    send(&mut fresh, &get("/healthz")).await;
    let r = read_reply(&mut fresh, Duration::from_secs(5)).await;
    assert_eq!(r.status, 200, "{r:?}");
    let served_in = started.elapsed();
    assert!(
        served_in < Duration::from_secs(2),
        "served after {served_in:?}"
    );

    let closed = join_all(
        flood
            .iter_mut()
            .map(|c| closed_within(c, Duration::from_millis(300))),
    )
    .await;
    let still_open = closed.iter().filter(|c| c.is_none()).count();
    // The fresh connection holds one slot.
    assert!(
        still_open < CAP,
        "{still_open} flood connections still open with a cap of {CAP}"
    );
    assert!(
        still_open > CAP / 2,
        "only {still_open} flood connections open: the cap evicted more than it needed"
    );
    // The oldest went first.
    assert!(closed[0].is_some() && closed[FLOOD - 1].is_none());
}

/// When every connection has a request in flight, a new one waits for a
/// slot instead of evicting a busy one, and is served once a slot frees.
async fn busy_cap_waits_for_a_slot(db: Db) {
    let mut config = relaxed();
    config.max_connections = 2;
    config.header_timeout = Duration::from_secs(3);
    let s = Hardened::start(&db, config).await;
    // Two requests whose bodies are slow keep both slots busy.
    let body = r#"{"name":"busy"}"#;
    let head = format!(
        "POST /v1/tenants HTTP/1.1\r\nHost: arcade\r\nAuthorization: Bearer {ADMIN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        body.len(),
        &body[..1]
    );
    let mut busy = Vec::new();
    for _ in 0..2 {
        let mut c = s.connect().await;
        send(&mut c, &head).await;
        busy.push(c);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let mut waiting = s.connect().await;
    send(&mut waiting, &get("/healthz")).await;
    // Not evicted: the busy connections are still open.
    for c in &mut busy {
        assert_eq!(closed_within(c, Duration::from_millis(300)).await, None);
    }
    // Finish one busy request; its connection is then idle and makes room.
    let mut first = busy.remove(0);
    send(&mut first, &body[1..]).await;
    let r = read_reply(&mut first, Duration::from_secs(5)).await;
    assert_eq!(r.status, 201, "{r:?}");
    let r = read_reply(&mut waiting, Duration::from_secs(5)).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "waited {:?}",
        started.elapsed()
    );
}
