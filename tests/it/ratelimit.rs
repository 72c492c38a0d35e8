//! Rate limits per API key: none by default; a tenant's limit gives each
//! of its keys a bucket; over it, `429 rate_limited` with `Retry-After`,
//! and the wait it names is enough.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::harness::{ADMIN, Server};
use crate::support::Db;

both_backends!(a_key_over_its_tenants_limit_waits);

async fn a_key_over_its_tenants_limit_waits(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let other = s.tenant("other").await;
    let path = format!("/v1/tenants/{}/rate-limit", t.id);
    // A read every role of a tenant may make.
    let groups = "/v1/users/u1/points";

    // No limit by default: a burst passes.
    for _ in 0..30 {
        assert_eq!(s.get(&t.operator, groups).await.status, 200);
    }
    let none = s.get(ADMIN, &path).await;
    assert_eq!(none.body, json!({"rate_limit": null}), "{none:?}");

    // Only the admin or the tenant's owner sets it; bad values are refused.
    let by_operator = s
        .send(
            &t.operator,
            Method::PUT,
            &path,
            Some(json!({"per_second": 1})),
            &[],
        )
        .await;
    assert_eq!(by_operator.status, 403, "{by_operator:?}");
    let zero = s
        .send(
            ADMIN,
            Method::PUT,
            &path,
            Some(json!({"per_second": 0})),
            &[],
        )
        .await;
    assert_eq!(
        (zero.status.as_u16(), zero.code()),
        (422, "invalid_rate_limit"),
        "{zero:?}"
    );
    let set = s
        .send(
            ADMIN,
            Method::PUT,
            &path,
            Some(json!({"per_second": 2, "burst": 3})),
            &[],
        )
        .await;
    assert_eq!(set.status, 200, "{set:?}");
    assert_eq!(set.body["rate_limit"], json!({"per_second": 2, "burst": 3}));

    // The burst passes, the next is refused with a wait that is enough.
    let client = reqwest::Client::new();
    let call = |key: &str| client.get(s.url(groups)).bearer_auth(key.to_owned()).send();
    for i in 0..3 {
        assert_eq!(
            call(&t.operator).await.unwrap().status(),
            200,
            "request {i}"
        );
    }
    let refused = call(&t.operator).await.unwrap();
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "Retry-After: {wait}");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");

    // Each key has its own bucket; another tenant has no limit.
    assert_eq!(call(&t.platform).await.unwrap().status(), 200);
    for _ in 0..10 {
        assert_eq!(call(&other.operator).await.unwrap().status(), 200);
    }
    // After the wait, the key passes again.
    tokio::time::sleep(Duration::from_secs(wait)).await;
    assert_eq!(call(&t.operator).await.unwrap().status(), 200);

    // Removed, the limit is gone at once on this replica.
    let removed = s.send(ADMIN, Method::DELETE, &path, None, &[]).await;
    assert_eq!(removed.status, 200, "{removed:?}");
    for _ in 0..10 {
        assert_eq!(call(&t.operator).await.unwrap().status(), 200);
    }
    let unknown = s
        .send(
            ADMIN,
            Method::PUT,
            "/v1/tenants/nope/rate-limit",
            Some(json!({"per_second": 1})),
            &[],
        )
        .await;
    assert_eq!(unknown.status, 404, "{unknown:?}");
}
