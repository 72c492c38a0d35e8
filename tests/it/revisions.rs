//! Config revisions: a change is checked like a new config, recorded
//! with author, reason and field diff, resizes stock without giving back
//! what was claimed, and can be rolled back; outcomes replay under the
//! revision they ran under.

use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::harness::{ADMIN, Reply, Server, Tenant};
use crate::support::Db;

both_backends!(
    config_changes_by_revision,
    outcomes_replay_under_their_revision
);

fn code(r: &Reply) -> (u16, &str) {
    (r.status.as_u16(), r.code())
}

fn config(name: &str, stock: i64) -> Value {
    json!({"prizes": [{"id": "p", "name": name, "weight": 1, "stock": stock}]})
}

async fn put_config(s: &Server, token: &str, id: &str, body: Value) -> Reply {
    s.send(
        token,
        Method::PUT,
        &format!("/v1/activities/{id}/config"),
        Some(body),
        &[],
    )
    .await
}

async fn revisions(s: &Server, t: &Tenant, id: &str) -> Vec<Value> {
    let r = s
        .get(&t.operator, &format!("/v1/activities/{id}/revisions"))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body["revisions"].as_array().unwrap().clone()
}

async fn draw(s: &Server, t: &Tenant, id: &str, user: &str) -> Value {
    let r = s.act(t, id, user, "draw").await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body
}

async fn config_changes_by_revision(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let id = s.activity(&t, "lucky-draw", config("P", 5)).await;
    let first = s.get(&t.operator, &format!("/v1/activities/{id}")).await;
    assert_eq!(first.body["revision"], 1, "{first:?}");
    let operator_key = first.body["revised_by"].as_str().unwrap().to_owned();
    assert!(!operator_key.is_empty() && operator_key != "admin");
    draw(&s, &t, &id, "u1").await;
    draw(&s, &t, &id, "u2").await;
    assert_eq!(s.stock(&t, &id, "p").await, 3);

    // More stock: the pool grows by the difference, claims stay claimed.
    let r = put_config(
        &s,
        &t.operator,
        &id,
        json!({"config": config("P", 10), "reason": "restock", "base_revision": 1}),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["revision"], 2);
    let pool = &r.body["stock"][0];
    assert_eq!(
        (pool["initial"].as_i64(), pool["remaining"].as_i64()),
        (Some(10), Some(8)),
        "{r:?}"
    );

    let revs = revisions(&s, &t, &id).await;
    assert_eq!(revs.len(), 2);
    assert_eq!(revs[0]["reason"], "created");
    assert_eq!(revs[0]["config"], config("P", 5));
    assert_eq!(revs[1]["reason"], "restock");
    assert_eq!(revs[1]["author"], operator_key.as_str());
    assert_eq!(
        revs[1]["diff"],
        json!([{"path": "prizes[0].stock", "from": 5, "to": 10}])
    );

    // Refused changes leave everything as it was.
    let refusals = [
        (
            json!({"config": config("P", 1), "reason": "too small"}),
            (409, "stock_below_claimed"),
        ),
        (
            json!({"config": config("P", 10), "reason": "same"}),
            (422, "config_unchanged"),
        ),
        (
            json!({"config": {"prizes": []}, "reason": "broken"}),
            (422, "invalid_config"),
        ),
        (
            json!({"config": config("P", 11), "reason": " "}),
            (422, "invalid_reason"),
        ),
        (
            json!({"config": config("P", 11), "reason": "stale", "base_revision": 1}),
            (409, "revision_conflict"),
        ),
        (
            json!({"config": config("P\u{0}", 11), "reason": "nul"}),
            (422, "invalid_text"),
        ),
    ];
    for (body, want) in refusals {
        let r = put_config(&s, &t.operator, &id, body.clone()).await;
        assert_eq!(code(&r), want, "{body}: {r:?}");
    }
    assert_eq!(revisions(&s, &t, &id).await.len(), 2);
    assert_eq!(s.stock(&t, &id, "p").await, 8);

    // Who may.
    let analyst = s
        .post(
            ADMIN,
            &format!("/v1/tenants/{}/keys", t.id),
            json!({"role": "analyst"}),
        )
        .await;
    let analyst = analyst.body["key"].as_str().unwrap().to_owned();
    let r = put_config(
        &s,
        &analyst,
        &id,
        json!({"config": config("P", 12), "reason": "r"}),
    )
    .await;
    assert_eq!(code(&r), (403, "forbidden"), "{r:?}");
    assert_eq!(
        s.get(&analyst, &format!("/v1/activities/{id}/revisions"))
            .await
            .status,
        200
    );
    let other = s.tenant("other").await;
    let r = put_config(
        &s,
        &other.operator,
        &id,
        json!({"config": config("P", 12), "reason": "r"}),
    )
    .await;
    assert_eq!(code(&r), (404, "activity_not_found"), "{r:?}");
    let r = s
        .get(&other.operator, &format!("/v1/activities/{id}/revisions"))
        .await;
    assert_eq!(code(&r), (404, "activity_not_found"), "{r:?}");

    // Roll back to the first: a new revision with its config; the pool
    // shrinks back to 5 with its 2 claims kept.
    draw(&s, &t, &id, "u3").await;
    let r = s
        .post(
            &t.operator,
            &format!("/v1/activities/{id}/revisions/1/rollback"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["revision"], 3);
    assert_eq!(r.body["config"], config("P", 5));
    assert_eq!(s.stock(&t, &id, "p").await, 2);
    let revs = revisions(&s, &t, &id).await;
    assert_eq!(revs[2]["reason"], "rollback to revision 1");
    assert_eq!(
        revs[2]["diff"],
        json!([{"path": "prizes[0].stock", "from": 10, "to": 5}])
    );
    let r = s
        .post(
            &t.operator,
            &format!("/v1/activities/{id}/revisions/9/rollback"),
            json!({}),
        )
        .await;
    assert_eq!(code(&r), (404, "revision_not_found"), "{r:?}");

    // The audit log has each change.
    let log = s.get(&t.operator, "/v1/audit").await;
    let actions: Vec<&str> = log.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target"] == id.as_str())
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["activity.create", "activity.revise", "activity.rollback"]
    );
}

async fn outcomes_replay_under_their_revision(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let id = s.activity(&t, "lucky-draw", config("Mug", 100)).await;
    draw(&s, &t, &id, "u1").await;
    let r = put_config(
        &s,
        &t.operator,
        &id,
        json!({"config": config("Tote bag", 100), "reason": "new prize"}),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    draw(&s, &t, &id, "u2").await;

    let outcomes = s.all_outcomes(&t, &id).await;
    assert_eq!(outcomes.len(), 2);
    let names: Vec<&str> = outcomes
        .iter()
        .map(|o| o["rewards"][0]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Mug", "Tote bag"],
        "each draw ran under its revision"
    );
    // Each replays under the revision it ran under: the first would not
    // match under the current config, whose prize has another name.
    for o in &outcomes {
        let oid = o["id"].as_str().unwrap();
        let r = s
            .post(
                &t.operator,
                &format!("/v1/outcomes/{oid}/replay"),
                json!({}),
            )
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.body["matches"], true, "{r:?}");
    }
}
