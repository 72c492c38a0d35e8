//! The voting contest (`voting`) over HTTP, on both stores: moderation,
//! daily votes, judges and the leaderboard (`rules`); a crowd of keyed
//! voters on one entry, each vote counted once (`crowd`); the close timer
//! granting rank rewards once, and following a revision that moves the
//! close (`close`).

mod close;
mod crowd;
mod rules;

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Reply, Server, Tenant};

pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 24 * HOUR_MS;
/// The moderator's user id (the operator acting through the platform API).
pub const OP: &str = "operator-1";

pub fn code(r: &Reply) -> (u16, &str) {
    (r.status.as_u16(), r.code())
}

/// A contest closing `closes_in_ms` from the server's clock.
pub fn config(s: &Server, closes_in_ms: i64, extra: Value) -> Value {
    let mut config = json!({"closes_at_ms": s.arcade.now() + closes_in_ms, "moderators": [OP]});
    for (k, v) in extra.as_object().unwrap() {
        config[k] = v.clone();
    }
    config
}

/// An action with a payload and an Idempotency-Key, as platforms send them.
pub async fn keyed(
    s: &Server,
    t: &Tenant,
    id: &str,
    user: &str,
    action: &str,
    payload: Value,
    key: &str,
) -> Reply {
    s.send(
        &t.platform,
        Method::POST,
        &format!("/v1/activities/{id}/actions"),
        Some(json!({"user_id": user, "action": action, "payload": payload})),
        &[("idempotency-key", key)],
    )
    .await
}

pub async fn vote(s: &Server, t: &Tenant, id: &str, user: &str, entry: &str) -> Reply {
    s.act_with(t, id, user, "vote", json!({"entry_id": entry}))
        .await
}

/// Submit an entry and have the moderator approve it; its id.
pub async fn approved(s: &Server, t: &Tenant, id: &str, user: &str) -> String {
    let r = s
        .act_with(
            t,
            id,
            user,
            "submit",
            json!({"title": format!("{user}'s entry")}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let entry = r.body["result"]["entry_id"].as_str().unwrap().to_owned();
    let r = s
        .act_with(t, id, OP, "approve", json!({"entry_id": entry}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    entry
}

pub fn events_of(events: &[Value], kind: &str) -> Vec<Value> {
    events
        .iter()
        .filter(|e| e["type"] == kind)
        .cloned()
        .collect()
}

pub async fn rewards(s: &Server, t: &Tenant, user: &str) -> Vec<Value> {
    let r = s
        .get(&t.platform, &format!("/v1/users/{user}/rewards"))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body["rewards"].as_array().unwrap().clone()
}

/// `(entry id, score)` down the leaderboard.
pub fn board(view: &Value) -> Vec<(String, i64)> {
    view["leaderboard"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["entry_id"].as_str().unwrap().to_owned(),
                r["score"].as_i64().unwrap(),
            )
        })
        .collect()
}
