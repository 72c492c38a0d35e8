//! U+0000 anywhere in a request is `422 invalid_text` naming the field, on
//! both stores (Postgres text cannot hold it); a config carrying one never
//! makes an activity; a plugin returning one fails only that action.

use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::harness::{ADMIN, Reply, Server, Tenant};
use crate::support::Db;

both_backends!(
    nul_in_requests_is_refused,
    nul_in_plugin_output_fails_one_action
);

#[track_caller]
fn refused(r: &Reply, field: &str) {
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "invalid_text"),
        "{r:?}"
    );
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(field),
        "{field:?} not named in {message:?}"
    );
}

/// A lucky draw every draw of which wins the one prize.
fn always_win(name: &str) -> serde_json::Value {
    json!({"miss_weight": 0, "prizes": [{"id": "gold", "name": name, "weight": 1}]})
}

async fn nul_in_requests_is_refused(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;

    // Bodies: names, labels, configs (nested), user ids, payload values and keys.
    let r = s
        .post(ADMIN, "/v1/tenants", json!({"name": "a\u{0}b"}))
        .await;
    refused(&r, "name");
    let r = s
        .post(&t.operator, "/v1/groups", json!({"name": "\u{0}"}))
        .await;
    refused(&r, "name");
    let r = s
        .post(
            ADMIN,
            &format!("/v1/tenants/{}/keys", t.id),
            json!({"role": "platform", "label": "x\u{0}"}),
        )
        .await;
    refused(&r, "label");
    let r = s
        .create_activity(
            &t,
            json!({"plugin": "lucky-draw", "config": always_win("Gold\u{0}")}),
        )
        .await;
    refused(&r, "config.prizes[0].name");
    let r = s
        .create_activity(
            &t,
            json!({"plugin": "lucky-draw", "config": {"pri\u{0}zes": []}}),
        )
        .await;
    refused(&r, "config.pri");
    // Neither became an activity.
    let r = s.get(&t.operator, "/v1/activities").await;
    assert_eq!(r.body["activities"], json!([]), "{r:?}");

    let id = s.activity(&t, "lucky-draw", always_win("Gold")).await;
    let act = format!("/v1/activities/{id}/actions");
    let r = s
        .post(
            &t.platform,
            &act,
            json!({"user_id": "u\u{0}", "action": "draw"}),
        )
        .await;
    refused(&r, "user_id");
    let r = s
        .act_with(&t, &id, "u1", "draw", json!({"note": ["ok", "a\u{0}"]}))
        .await;
    refused(&r, "payload.note[1]");
    let r = s
        .act_with(&t, &id, "u1", "draw", json!({"k\u{0}": 1}))
        .await;
    refused(&r, "payload.k");

    // Path parameters, each named.
    for (method, path, field) in [
        (Method::POST, "/v1/activities/%00/actions".to_owned(), "id"),
        (Method::GET, "/v1/activities/a%00b".to_owned(), "id"),
        (Method::POST, "/v1/activities/%00/pause".to_owned(), "id"),
        (Method::GET, "/v1/outcomes/%00".to_owned(), "id"),
        (Method::POST, "/v1/outcomes/%00/replay".to_owned(), "id"),
        (Method::POST, "/v1/rewards/%00/redeem".to_owned(), "id"),
        (Method::GET, "/v1/users/u%001/rewards".to_owned(), "user_id"),
        (Method::GET, "/v1/users/%00/points".to_owned(), "user_id"),
        (
            Method::DELETE,
            format!("/v1/tenants/{}/keys/%00", t.id),
            "key_id",
        ),
        (Method::GET, "/v1/tenants/%00/keys".to_owned(), "id"),
        (
            Method::PUT,
            "/v1/plugins/lucky-draw/%00/limits".to_owned(),
            "version",
        ),
    ] {
        let token = match path.as_str() {
            p if p.starts_with("/v1/tenants") || p.starts_with("/v1/plugins") => ADMIN,
            p if p.ends_with("/actions") || p.starts_with("/v1/users") => t.platform.as_str(),
            _ => t.operator.as_str(),
        };
        let body = (method != Method::GET && method != Method::DELETE).then(|| json!({}));
        let r = s.send(token, method, &path, body, &[]).await;
        refused(&r, field);
    }
    // Query strings, each parameter named.
    for (token, path, field) in [
        (
            &t.operator,
            "/v1/activities?group_id=%00".to_owned(),
            "group_id",
        ),
        (
            &t.operator,
            format!("/v1/activities/{id}/outcomes?after=x%00"),
            "after",
        ),
        (
            &t.platform,
            format!("/v1/activities/{id}/view?user_id=u%00"),
            "user_id",
        ),
        (&t.platform, "/v1/events?after=%00".to_owned(), "after"),
    ] {
        let r = s.get(token, &path).await;
        refused(&r, field);
    }

    // Nothing above reached the outcome log; ordinary requests still work.
    assert!(s.all_outcomes(&t, &id).await.is_empty());
    let r = s.act(&t, &id, "u1", "draw").await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["rewards"][0]["name"], "Gold");
    assert_eq!(s.all_outcomes(&t, &id).await.len(), 1);
}

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

async fn rewards_of(s: &Server, t: &Tenant, user: &str) -> usize {
    let r = s
        .get(&t.platform, &format!("/v1/users/{user}/rewards"))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body["rewards"].as_array().unwrap().len()
}

async fn nul_in_plugin_output_fails_one_action(db: Db) {
    let s = Server::start(db).await;
    upload_hostile(&s).await;
    let t = s.tenant("t").await;
    let id = s.activity(&t, "hostile", json!({})).await;

    for (action, what) in [
        ("nul-result", "result.note"),
        ("nul-reward", "reward 0"),
        ("nul-state", "state key \"note\""),
    ] {
        let r = s.act(&t, &id, "u1", action).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (502, "plugin_bad_output"),
            "{action}: {r:?}"
        );
        let message = r.body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(what) && message.contains("U+0000"),
            "{action}: {message}"
        );
    }
    // Only those actions failed: nothing of them was kept, and the
    // activity goes on serving.
    assert!(s.all_outcomes(&t, &id).await.is_empty());
    assert_eq!(rewards_of(&s, &t, "u1").await, 0);
    for n in 1..=2 {
        let r = s.act(&t, &id, "u1", "ok").await;
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.body["result"]["count"], n);
    }
    assert_eq!(s.all_outcomes(&t, &id).await.len(), 2);
}
