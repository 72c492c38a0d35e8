//! The OpenAPI document against the live router: every documented
//! operation reaches a handler (not the router's `404`/`405`), every other
//! method on a documented path is `405`, and the document's security
//! matches the handlers (a secured operation without a token is `401`).

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::both_backends;
use crate::harness::Server;
use crate::support::Db;

both_backends!(the_document_matches_the_router);

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn the_document_matches_the_router(db: Db) {
    let s = Server::start(db).await;
    let resp = s.client.get(s.url("/openapi.json")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let doc: Value = resp.json().await.unwrap();
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.len() > 40, "{} paths", paths.len());
    let mut checked = 0;
    for (path, item) in paths {
        // Any value will do for a path parameter: routing does not look.
        let concrete: String = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "x1" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        for m in METHODS {
            let method = Method::from_bytes(m.to_uppercase().as_bytes()).unwrap();
            let resp = s
                .client
                .request(method.clone(), s.url(&concrete))
                .send()
                .await
                .unwrap();
            let status = resp.status();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            let Some(op) = item.get(m) else {
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{m} {path} is served but not documented"
                );
                continue;
            };
            let no_route = status == StatusCode::NOT_FOUND
                && body["error"]["message"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("no route"));
            assert!(
                !no_route && status != StatusCode::METHOD_NOT_ALLOWED,
                "{m} {path} is documented but not routed: {status} {body}"
            );
            let open = op["security"] == serde_json::json!([{}]);
            if open {
                assert!(status.is_success(), "{m} {path} needs no token: {status}");
            } else {
                assert_eq!(
                    status,
                    StatusCode::UNAUTHORIZED,
                    "{m} {path} without a token: {body}"
                );
                assert_eq!(body["error"]["code"], "unauthorized");
            }
            checked += 1;
        }
    }
    assert!(checked > 60, "{checked} operations checked");

    // The explorer is HTML and its files are served, outside the document.
    let page = s.client.get(s.url("/docs")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.text().await.unwrap().contains("/openapi.json"));
    for asset in ["/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css"] {
        let r = s.client.get(s.url(asset)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{asset}");
        assert!(r.bytes().await.unwrap().len() > 100_000, "{asset}");
    }
    let missing = s.client.get(s.url("/docs/nope.js")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
}
