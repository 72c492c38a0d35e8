//! Header, body and idle timeouts.

use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;

use super::{Hardened, closed_within, get, read_reply, relaxed, send};
use crate::harness::ADMIN;
use crate::support::Db;

crate::both_backends!(
    slow_headers_are_cut_off,
    slow_body_is_answered_408,
    idle_keepalive_is_closed,
);

/// A client that trickles its headers, a byte every 50 ms (each read well
/// within any per-read timeout), is closed once the header timeout has
/// passed since its first byte.
async fn slow_headers_are_cut_off(db: Db) {
    let mut config = relaxed();
    config.header_timeout = Duration::from_millis(400);
    let s = Hardened::start(&db, config).await;
    let mut c = s.connect().await;
    let request = format!(
        "GET /healthz HTTP/1.1\r\nHost: arcade\r\n{}",
        "X-Slow: 1\r\n".repeat(100)
    );
    let started = Instant::now();
    let mut closed_at = None;
    for byte in request.as_bytes() {
        if c.write_all(&[*byte]).await.is_err() {
            closed_at = Some(started.elapsed());
            break;
        }
        if let Some(after) = closed_within(&mut c, Duration::from_millis(50)).await {
            closed_at = Some(started.elapsed() - Duration::from_millis(50) + after);
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "never closed");
    }
    let closed_at = closed_at.expect("closed");
    assert!(
        closed_at >= Duration::from_millis(350) && closed_at < Duration::from_millis(2000),
        "closed after {closed_at:?}, header timeout 400 ms"
    );
    // Other clients are unaffected.
    let mut ok = s.connect().await;
    send(&mut ok, &get("/healthz")).await;
    assert_eq!(
        read_reply(&mut ok, Duration::from_secs(5)).await.status,
        200
    );
}

/// A body that stops arriving gets `408 body_timeout` in the JSON error
/// shape once the body timeout passes, and the connection is closed.
async fn slow_body_is_answered_408(db: Db) {
    let mut config = relaxed();
    config.body_timeout = Duration::from_millis(500);
    let s = Hardened::start(&db, config).await;
    let mut c = s.connect().await;
    let body = r#"{"name":"a tenant that never finishes arriving"}"#;
    let head = format!(
        "POST /v1/tenants HTTP/1.1\r\nHost: arcade\r\nAuthorization: Bearer {ADMIN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let started = Instant::now();
    send(&mut c, &head).await;
    send(&mut c, &body[..10]).await;
    let r = read_reply(&mut c, Duration::from_secs(5)).await;
    let took = started.elapsed();
    assert_eq!((r.status, r.code()), (408, "body_timeout"), "{r:?}");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("500 ms"),
        "{r:?}"
    );
    assert_eq!(r.header("connection"), Some("close"), "{r:?}");
    assert!(
        took >= Duration::from_millis(450) && took < Duration::from_secs(3),
        "answered after {took:?}"
    );
    assert!(
        closed_within(&mut c, Duration::from_secs(2))
            .await
            .is_some()
    );
}

/// A keep-alive connection outlives the (shorter) header timeout while
/// idle, serves a second request, and is closed once idle for the idle
/// timeout.
async fn idle_keepalive_is_closed(db: Db) {
    let mut config = relaxed();
    config.header_timeout = Duration::from_millis(200);
    config.idle_timeout = Duration::from_millis(800);
    let s = Hardened::start(&db, config).await;
    let mut c = s.connect().await;
    send(&mut c, &get("/healthz")).await;
    assert_eq!(read_reply(&mut c, Duration::from_secs(5)).await.status, 200);
    // Idle past the header timeout: still open.
    assert_eq!(
        closed_within(&mut c, Duration::from_millis(500)).await,
        None
    );
    send(&mut c, &get("/healthz")).await;
    assert_eq!(read_reply(&mut c, Duration::from_secs(5)).await.status, 200);
    let after = closed_within(&mut c, Duration::from_secs(5))
        .await
        .expect("closed when idle");
    assert!(
        after >= Duration::from_millis(700) && after < Duration::from_millis(2500),
        "closed after {after:?} idle, idle timeout 800 ms"
    );
}
