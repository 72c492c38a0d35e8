//! Graceful shutdown: stop accepting, finish what is in flight, exit.

use std::time::{Duration, Instant};

use super::{Hardened, closed_within, get, read_reply, relaxed, send};
use crate::harness::ADMIN;
use crate::support::Db;

crate::both_backends!(
    shutdown_finishes_an_action_in_flight,
    shutdown_gives_up_after_the_drain_timeout,
);

/// An action whose body is still arriving when shutdown begins is run and
/// answered; meanwhile new connections are refused and idle ones closed;
/// then the server returns.
async fn shutdown_finishes_an_action_in_flight(db: Db) {
    let mut config = relaxed();
    config.drain_timeout = Duration::from_secs(10);
    let mut s = Hardened::start(&db, config).await;
    let (tenant, key, activity) = s.hostile_activity().await;

    let mut idle = s.connect().await;
    send(&mut idle, &get("/healthz")).await;
    assert_eq!(
        read_reply(&mut idle, Duration::from_secs(5)).await.status,
        200
    );

    let body = r#"{"user_id":"u1","action":"ok"}"#;
    let mut acting = s.connect().await;
    send(
        &mut acting,
        &format!(
            "POST /v1/activities/{activity}/actions HTTP/1.1\r\nHost: arcade\r\n\
             Authorization: Bearer {key}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{}",
            body.len(),
            &body[..5]
        ),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let started = Instant::now();
    let server = s.shut_down();
    // The idle connection is closed at once.
    let idle_closed = closed_within(&mut idle, Duration::from_secs(2)).await;
    assert!(idle_closed.is_some(), "idle connection left open");
    // No new connections.
    let refused = tokio::net::TcpStream::connect(s.addr).await;
    assert!(
        refused.is_err(),
        "a new connection was accepted while draining"
    );
    assert!(!server.is_finished(), "returned before the action finished");

    tokio::time::sleep(Duration::from_millis(300)).await;
    send(&mut acting, &body[5..]).await;
    let r = read_reply(&mut acting, Duration::from_secs(5)).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["result"]["count"], 1, "{r:?}");
    assert!(r.body["outcome_id"].is_string(), "{r:?}");
    assert!(
        closed_within(&mut acting, Duration::from_secs(2))
            .await
            .is_some()
    );

    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("server returned after the drain")
        .unwrap()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    let page = s
        .arcade
        .outcomes(&tenant, &activity, None, Some(10))
        .await
        .expect("list outcomes");
    let page = serde_json::to_value(page).unwrap();
    assert_eq!(page["outcomes"].as_array().map(Vec::len), Some(1), "{page}");
}

/// A request that does not finish within the drain timeout is cut off and
/// the server returns anyway.
async fn shutdown_gives_up_after_the_drain_timeout(db: Db) {
    let mut config = relaxed();
    config.drain_timeout = Duration::from_millis(500);
    let mut s = Hardened::start(&db, config).await;
    let mut stuck = s.connect().await;
    send(
        &mut stuck,
        &format!(
            "POST /v1/tenants HTTP/1.1\r\nHost: arcade\r\nAuthorization: Bearer {ADMIN}\r\n\
             Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"
        ),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let server = s.shut_down();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("server returned")
        .unwrap()
        .unwrap();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(450) && took < Duration::from_secs(3),
        "returned after {took:?}, drain timeout 500 ms"
    );
    assert!(
        closed_within(&mut stuck, Duration::from_secs(2))
            .await
            .is_some()
    );
}
