//! Errors the router itself produces are `{"error":{"code","message"}}`.

use std::time::Duration;

use super::{Hardened, RawReply, read_reply, relaxed, send};
use crate::harness::ADMIN;
use crate::support::Db;

crate::both_backends!(router_errors_are_json);

async fn exchange(s: &Hardened, request: &str) -> RawReply {
    let mut c = s.connect().await;
    send(&mut c, request).await;
    read_reply(&mut c, Duration::from_secs(10)).await
}

fn request(method: &str, path: &str, extra: &str) -> String {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: arcade\r\nAuthorization: Bearer {ADMIN}\r\n{extra}\r\n"
    )
}

fn expect(r: &RawReply, status: u16, code: &str) {
    assert_eq!((r.status, r.code()), (status, code), "{r:?}");
    assert!(
        r.header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "{r:?}"
    );
    let message = r.body["error"]["message"].as_str().unwrap_or("");
    assert!(!message.is_empty(), "no message: {r:?}");
}

async fn router_errors_are_json(db: Db) {
    let s = Hardened::start(&db, relaxed()).await;

    let r = exchange(&s, &request("GET", "/v1/nowhere", "")).await;
    expect(&r, 404, "not_found");
    assert!(r.text.contains("/v1/nowhere"), "{r:?}");

    let r = exchange(&s, &request("DELETE", "/v1/tenants", "")).await;
    expect(&r, 405, "method_not_allowed");
    assert_eq!(r.header("allow"), Some("POST"), "{r:?}");

    // A JSON body over its limit, and an upload over its limit, both
    // refused from Content-Length before any of the body is sent.
    let r = exchange(
        &s,
        &request(
            "POST",
            "/v1/tenants",
            "Content-Type: application/json\r\nContent-Length: 1048576\r\n",
        ),
    )
    .await;
    expect(&r, 413, "payload_too_large");
    let r = exchange(
        &s,
        &request(
            "POST",
            "/v1/plugins",
            "Content-Type: application/wasm\r\nContent-Length: 40000000\r\n",
        ),
    )
    .await;
    expect(&r, 413, "payload_too_large");

    let long = format!("/healthz?pad={}", "x".repeat(9 << 10));
    let r = exchange(&s, &request("GET", &long, "")).await;
    expect(&r, 414, "uri_too_long");

    let big = format!("X-Big: {}\r\n", "y".repeat(20 << 10));
    let r = exchange(&s, &request("GET", "/healthz", &big)).await;
    expect(&r, 431, "headers_too_large");
    let many: String = (0..120).map(|i| format!("X-Many-{i}: 1\r\n")).collect();
    let r = exchange(&s, &request("GET", "/healthz", &many)).await;
    expect(&r, 431, "headers_too_large");

    for path in ["/v1/activities/%FF%FE", "/v1/outcomes/%C3%28/replay"] {
        let method = if path.ends_with("replay") {
            "POST"
        } else {
            "GET"
        };
        let r = exchange(&s, &request(method, path, "")).await;
        expect(&r, 400, "invalid_path");
    }

    // JSON extractor rejections.
    let head = request(
        "POST",
        "/v1/tenants",
        "Content-Type: application/json\r\nContent-Length: 5\r\n",
    );
    let r = exchange(&s, &format!("{head}{{nope")).await;
    expect(&r, 400, "invalid_json");
    let body = r#"{"name":"x","extra":1}"#;
    let r = exchange(
        &s,
        &format!(
            "{}{body}",
            request(
                "POST",
                "/v1/tenants",
                &format!(
                    "Content-Type: application/json\r\nContent-Length: {}\r\n",
                    body.len()
                )
            )
        ),
    )
    .await;
    expect(&r, 422, "invalid_body");
    let r = exchange(
        &s,
        &format!(
            "{}{body}",
            request(
                "POST",
                "/v1/tenants",
                &format!("Content-Length: {}\r\n", body.len())
            )
        ),
    )
    .await;
    expect(&r, 422, "unsupported_media_type");

    // The server still serves after all of that.
    let r = exchange(&s, &request("GET", "/healthz", "")).await;
    assert_eq!(r.status, 200, "{r:?}");
}
