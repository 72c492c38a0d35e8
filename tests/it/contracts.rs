//! Contract versions side by side: a 0.1 component (the red-packet test
//! plugin) and 0.2 components (the referral test plugin, the first-party
//! mechanics) served by one host; the view query and anonymous viewers of
//! 0.2, refused with a clear code for 0.1; and the schemas a plugin
//! declares, enforced by the host before the guest runs.

use serde_json::{Value, json};

use crate::both_backends;
use crate::harness::{ADMIN, Server};
use crate::red_packet::upload_red_packet;
use crate::support::Db;

both_backends!(
    both_versions_are_served_and_say_which_they_are,
    the_view_query_reaches_0_2_and_is_refused_for_0_1,
    payloads_and_configs_are_checked_against_the_declared_schemas
);

async fn upload_referral(s: &Server) {
    let wasm = std::fs::read(env!("REFERRAL_WASM")).expect("referral plugin was built");
    s.arcade.upload_plugin(wasm).await.expect("upload referral");
}

async fn both_versions_are_served_and_say_which_they_are(db: Db) {
    let s = Server::start(db).await;
    upload_red_packet(&s).await;
    upload_referral(&s).await;
    let plugins = s.get(ADMIN, "/v1/plugins").await;
    let contract = |name: &str| -> Value {
        plugins.body["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} listed: {}", plugins.text))["manifest"]["contract"]
            .clone()
    };
    assert_eq!(contract("red-packet"), "0.1.0");
    assert_eq!(contract("referral"), "0.2.0");
    assert_eq!(contract("hongbao"), "0.2.0");

    let t = s.tenant("t").await;
    let old = s.activity(&t, "red-packet", json!({"packets": 2})).await;
    let new = s.activity(&t, "referral", json!({})).await;
    let r = s.act(&t, &old, "u1", "grab").await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["result"]["packet"], 2);
    let r = s
        .act_with(&t, &new, "u2", "join", json!({"invite_code": "u1"}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["result"]["joined"], "u2");
    // The typed invite is recorded as the same event 0.1 plugins wrote.
    let events = s.all_events(&t).await;
    let invite = events
        .iter()
        .find(|e| e["type"] == "invite.accepted")
        .expect("the invite is in the event log");
    assert_eq!(invite["subject"], "u2");
    assert_eq!(invite["data"]["inviter"], "u1");
}

async fn the_view_query_reaches_0_2_and_is_refused_for_0_1(db: Db) {
    let s = Server::start(db).await;
    upload_red_packet(&s).await;
    upload_referral(&s).await;
    let t = s.tenant("t").await;
    let old = s.activity(&t, "red-packet", json!({"packets": 2})).await;
    let new = s.activity(&t, "referral", json!({})).await;
    let view = |id: &str, query: &str| {
        let path = format!("/v1/activities/{id}/view{query}");
        let (s, t) = (&s, &t);
        async move { s.get(&t.platform, &path).await }
    };

    let r = view(&new, "?echo=abc&user_id=u7").await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, json!({"viewer": "u7", "query": {"echo": "abc"}}));
    let r = view(&new, "?echo=x").await;
    assert_eq!(r.status, 200, "an anonymous viewer is fine for 0.2: {r:?}");
    assert_eq!(r.body, json!({"viewer": null, "query": {"echo": "x"}}));

    let r = view(&old, "?user_id=u1&team_id=abc").await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "view_query_unsupported"),
        "{r:?}"
    );
    assert!(r.text.contains("team_id"), "{}", r.text);
    let r = view(&old, "").await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "invalid_user_id"),
        "{r:?}"
    );
    let r = view(&old, "?user_id=u1").await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["remaining"], 2);
}

async fn payloads_and_configs_are_checked_against_the_declared_schemas(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let id = s
        .activity(&t, "hongbao", json!({"total_fen": 100, "count": 2}))
        .await;
    // `grab` takes `{}`: an unknown field is refused before the guest runs,
    // named by its own path, and nothing is recorded.
    let r = s.act_with(&t, &id, "u1", "grab", json!({"foo": 1})).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "invalid_payload"),
        "{r:?}"
    );
    assert_eq!(r.body["error"]["details"][0]["field"], "foo", "{r:?}");
    assert!(s.all_outcomes(&t, &id).await.is_empty());
    let r = s.act(&t, &id, "u1", "grab").await;
    assert_eq!(r.status, 200, "the same user is not burnt: {r:?}");

    // Configs: the schema's bounds and unknown fields, each by its path.
    let bad = s
        .create_activity(
            &t,
            json!({"plugin": "hongbao", "config": {"total_fen": 0, "count": 2, "colour": "red"}}),
        )
        .await;
    assert_eq!(
        (bad.status.as_u16(), bad.code()),
        (422, "invalid_config"),
        "{bad:?}"
    );
    let fields: Vec<&str> = bad.body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"total_fen"), "{fields:?}");
    assert!(fields.contains(&"colour"), "{fields:?}");
    let bad = s
        .create_activity(&t, json!({"plugin": "hongbao", "config": {"count": 2}}))
        .await;
    assert_eq!(
        bad.body["error"]["details"][0]["field"], "total_fen",
        "{bad:?}"
    );
}
