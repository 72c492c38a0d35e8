//! The lucky draw over HTTP: the API flow, and the guarantees under real
//! concurrency (no oversell, idempotency, per-user limits).

use std::collections::HashSet;
use std::sync::Arc;

use futures::future::join_all;
use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::harness::{ADMIN, Server};
use crate::support::Db;

both_backends!(
    quickstart_flow,
    errors_are_clear,
    tenants_are_isolated,
    pause_resume_and_schedule,
    no_oversell_under_2000_concurrent_draws,
    idempotency_under_parallel_retries,
    daily_limit_holds_under_concurrency,
);

async fn quickstart_flow(db: Db) {
    let s = Server::start(db).await;
    assert_eq!(s.get("", "/healthz").await.status, 200);
    let plugins = s.get(ADMIN, "/v1/plugins").await;
    let names: Vec<_> = plugins.body["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for bundled in ["check-in", "group-buy", "lucky-draw", "price-cut", "quiz"] {
        assert!(names.contains(&bundled), "{bundled} missing from {names:?}");
    }

    let t = s.tenant("acme").await;
    let groups = s.get(&t.operator, "/v1/groups").await;
    assert_eq!(groups.body["groups"][0]["id"], t.group.as_str());

    let config = json!({
        "prizes": [{"id": "p1", "name": "Mug", "weight": 1, "stock": 2}],
        "miss_weight": 0,
        "per_user_daily": 2
    });
    let id = s.activity(&t, "lucky-draw", config.clone()).await;
    let a = s.get(&t.operator, &format!("/v1/activities/{id}")).await;
    assert_eq!(a.body["config"], config);
    assert_eq!(a.body["plugin_version"], "0.1.0");
    assert_eq!(a.body["timezone"], "Asia/Shanghai");
    assert_eq!(a.body["key_commitment"].as_str().unwrap().len(), 64);

    let r = s.act(&t, &id, "u1", "draw").await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["result"]["prize"], "p1");
    assert_eq!(r.body["rewards"][0]["item"], "p1");
    assert!(r.body["outcome_id"].is_string());
    assert_eq!(s.stock(&t, &id, "p1").await, 1);

    let view = s
        .get(&t.platform, &format!("/v1/activities/{id}/view?user_id=u1"))
        .await;
    assert_eq!(view.status, 200, "{view:?}");
    assert_eq!(view.body["draws_left_today"], 1);
    assert_eq!(view.body["wins"][0]["prize"], "p1");

    // The second draw takes the last unit; the third finds none and misses.
    assert_eq!(
        s.act(&t, &id, "u2", "draw").await.body["result"]["prize"],
        "p1"
    );
    let miss = s.act(&t, &id, "u3", "draw").await;
    assert_eq!(miss.status, 200);
    assert_eq!(miss.body["result"]["prize"], serde_json::Value::Null);
    assert_eq!(miss.body["rewards"], json!([]));
    assert_eq!(s.stock(&t, &id, "p1").await, 0);

    let outcomes = s.all_outcomes(&t, &id).await;
    assert_eq!(outcomes.len(), 3);
    assert_eq!(outcomes[0]["user_id"], "u1");
    assert_eq!(outcomes[0]["action"], "draw");
    assert_eq!(outcomes[0]["result"]["prize"], "p1");
    assert!(outcomes[0]["created_at"].is_string());
    // Cursor pagination returns each outcome once, in order.
    let page = s
        .get(
            &t.operator,
            &format!("/v1/activities/{id}/outcomes?limit=2"),
        )
        .await;
    assert_eq!(page.body["outcomes"].as_array().unwrap().len(), 2);
    let next = page.body["next"].as_str().unwrap();
    let rest = s
        .get(
            &t.operator,
            &format!("/v1/activities/{id}/outcomes?limit=2&after={next}"),
        )
        .await;
    assert_eq!(rest.body["outcomes"][0]["user_id"], "u3");
    assert!(rest.body["next"].is_null());
}

async fn errors_are_clear(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("acme").await;

    let r = s.get("nope", "/v1/groups").await;
    assert_eq!((r.status.as_u16(), r.code()), (401, "unauthorized"));
    let r = s
        .post(&t.platform, "/v1/groups", json!({"name": "x"}))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "forbidden"));
    let r = s
        .post(&t.operator, "/v1/tenants", json!({"name": "x"}))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "forbidden"));

    let bad = |config| json!({"plugin": "lucky-draw", "config": config});
    let r = s
        .create_activity(
            &t,
            bad(json!({"prizes": [{"id": "a", "name": "A", "weight": -3}]})),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "invalid_config"),
        "{r:?}"
    );
    assert_eq!(r.body["error"]["details"][0]["field"], "prizes[0].weight");
    let r = s
        .create_activity(
            &t,
            bad(json!({"prizes": [{"id": "a", "name": "A", "weight": 1}], "per_user_daily": 0})),
        )
        .await;
    assert_eq!(
        r.body["error"]["details"][0]["field"], "per_user_daily",
        "{r:?}"
    );
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("per_user_daily")
    );
    let r = s
        .create_activity(&t, json!({"plugin": "no-such", "config": {}}))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "unknown_plugin"));
    let good = json!({"prizes": [{"id": "a", "name": "A", "weight": 1}]});
    let r = s
        .create_activity(
            &t,
            json!({"plugin": "lucky-draw", "config": good, "timezone": "Mars/Base"}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "invalid_timezone"));
    let r = s
        .create_activity(
            &t,
            json!({"plugin": "lucky-draw", "config": good, "starts_at": "tomorrow"}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "invalid_schedule"));

    let id = s.activity(&t, "lucky-draw", good).await;
    let r = s.act(&t, &id, "u1", "spin").await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "unknown_action"));
    let r = s.act(&t, &id, "", "draw").await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "invalid_user_id"));
    let r = s
        .send(
            &t.platform,
            Method::POST,
            &format!("/v1/activities/{id}/actions"),
            None,
            &[("content-type", "application/json")],
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (400, "invalid_json"),
        "{r:?}"
    );
    let r = s
        .post(
            &t.platform,
            &format!("/v1/activities/{id}/actions"),
            json!({"user": "u1"}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "invalid_body"));
    let r = s
        .act(&t, "00000000-0000-0000-0000-000000000000", "u1", "draw")
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "activity_not_found"));
    // Nothing above reached the outcome log.
    assert!(s.all_outcomes(&t, &id).await.is_empty());
}

async fn tenants_are_isolated(db: Db) {
    let s = Server::start(db).await;
    let a = s.tenant("a").await;
    let b = s.tenant("b").await;
    let id = s
        .activity(
            &a,
            "lucky-draw",
            json!({"prizes": [{"id": "p", "name": "P", "weight": 1}]}),
        )
        .await;
    let drawn = s.act(&a, &id, "u1", "draw").await;
    let outcome = drawn.body["outcome_id"].as_str().unwrap();
    for path in [
        format!("/v1/activities/{id}"),
        format!("/v1/activities/{id}/outcomes"),
        format!("/v1/outcomes/{outcome}"),
    ] {
        let r = s.get(&b.operator, &path).await;
        assert_eq!(r.status, 404, "{path}: {r:?}");
    }
    let r = s.act(&b, &id, "u1", "draw").await;
    assert_eq!(r.status, 404);
    let r = s
        .post(
            &b.operator,
            &format!("/v1/activities/{id}/pause"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = s
        .post(
            &b.operator,
            &format!("/v1/outcomes/{outcome}/replay"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 404);
    let groups = s.get(&b.operator, "/v1/groups").await;
    assert_eq!(groups.body["groups"].as_array().unwrap().len(), 1);
    let r = s
        .post(
            &b.operator,
            "/v1/activities",
            json!({"group_id": a.group, "plugin": "lucky-draw", "config": {}}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "group_not_found"));
}

async fn pause_resume_and_schedule(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let config = json!({"prizes": [{"id": "p", "name": "P", "weight": 1}]});
    let id = s.activity(&t, "lucky-draw", config.clone()).await;
    let r = s
        .post(
            &t.operator,
            &format!("/v1/activities/{id}/pause"),
            json!({}),
        )
        .await;
    assert_eq!(r.body["status"], "paused");
    let r = s.act(&t, &id, "u", "draw").await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "activity_paused"));
    s.post(
        &t.operator,
        &format!("/v1/activities/{id}/resume"),
        json!({}),
    )
    .await;
    assert_eq!(s.act(&t, &id, "u", "draw").await.status, 200);

    let later = s
        .create_activity(
            &t,
            json!({"plugin": "lucky-draw", "config": config, "starts_at": "2999-01-01T00:00:00Z"}),
        )
        .await;
    let r = s
        .act(&t, later.body["id"].as_str().unwrap(), "u", "draw")
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "activity_not_started"));
    let over = s
        .create_activity(
            &t,
            json!({"plugin": "lucky-draw", "config": config,
            "starts_at": "2020-01-01T00:00:00+08:00", "ends_at": "2020-02-01T00:00:00+08:00"}),
        )
        .await;
    let over_id = over.body["id"].as_str().unwrap();
    let r = s.act(&t, over_id, "u", "draw").await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "activity_ended"));
    // Once ended, the randomness key is revealed and matches the commitment.
    let f = s
        .get(&t.operator, &format!("/v1/activities/{over_id}/fairness"))
        .await;
    let key = hex_decode(f.body["key"].as_str().expect("key revealed"));
    assert_eq!(
        arcade_host::randomness::commitment(&key.try_into().unwrap()),
        f.body["key_commitment"].as_str().unwrap()
    );
    let f = s
        .get(&t.operator, &format!("/v1/activities/{id}/fairness"))
        .await;
    assert!(
        f.body["key"].is_null(),
        "key of a running activity stays secret"
    );
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

async fn no_oversell_under_2000_concurrent_draws(db: Db) {
    let s = Arc::new(Server::start(db).await);
    let t = s.tenant("t").await;
    let id = s
        .activity(
            &t,
            "lucky-draw",
            json!({
                "prizes": [{"id": "p1", "name": "Phone", "weight": 1, "stock": 100}],
                "miss_weight": 0
            }),
        )
        .await;
    let draws = (0..2000).map(|i| {
        let (s, t, id) = (s.clone(), t.clone(), id.clone());
        tokio::spawn(async move { s.act(&t, &id, &format!("user-{i}"), "draw").await })
    });
    let replies: Vec<_> = join_all(draws)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    for r in &replies {
        assert_eq!(r.status, 200, "{r:?}");
    }
    let wins = replies
        .iter()
        .filter(|r| r.body["result"]["prize"] == "p1")
        .count();
    assert_eq!(wins, 100);
    assert_eq!(s.stock(&t, &id, "p1").await, 0);
    let outcomes = s.all_outcomes(&t, &id).await;
    assert_eq!(outcomes.len(), 2000);
    let won: Vec<_> = outcomes
        .iter()
        .filter(|o| o["result"]["prize"] == "p1")
        .collect();
    assert_eq!(won.len(), 100, "outcomes and stock agree");
    let rewards = s.arcade.store().rewards(&id).await.unwrap();
    assert_eq!(rewards.len(), 100, "one ledger row per win");
    let users: HashSet<_> = outcomes
        .iter()
        .map(|o| o["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(users.len(), 2000);
}

async fn idempotency_under_parallel_retries(db: Db) {
    let s = Arc::new(Server::start(db).await);
    let t = s.tenant("t").await;
    let id = s
        .activity(
            &t,
            "lucky-draw",
            json!({
                "prizes": [{"id": "p1", "name": "Mug", "weight": 1, "stock": 5}],
                "miss_weight": 1
            }),
        )
        .await;
    let path = format!("/v1/activities/{id}/actions");
    let body = json!({"user_id": "u1", "action": "draw"});
    let sends = (0..20).map(|_| {
        let (s, t, path, body) = (s.clone(), t.clone(), path.clone(), body.clone());
        tokio::spawn(async move {
            s.send(
                &t.platform,
                Method::POST,
                &path,
                Some(body),
                &[("idempotency-key", "k-1")],
            )
            .await
        })
    });
    let replies: Vec<_> = join_all(sends)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let ok: Vec<_> = replies.iter().filter(|r| r.status == 200).collect();
    assert!(!ok.is_empty());
    for r in &replies {
        assert!(
            r.status == 200 || (r.status == 409 && r.code() == "idempotency_in_flight"),
            "{r:?}"
        );
    }
    assert!(
        ok.iter().all(|r| r.text == ok[0].text),
        "every 200 is byte-identical"
    );
    assert_eq!(s.all_outcomes(&t, &id).await.len(), 1);

    let again = s
        .send(
            &t.platform,
            Method::POST,
            &path,
            Some(body),
            &[("idempotency-key", "k-1")],
        )
        .await;
    assert_eq!(again.text, ok[0].text);
    let other = s
        .send(
            &t.platform,
            Method::POST,
            &path,
            Some(json!({"user_id": "u2", "action": "draw"})),
            &[("idempotency-key", "k-1")],
        )
        .await;
    assert_eq!(
        (other.status.as_u16(), other.code()),
        (422, "idempotency_key_reused")
    );
    assert_eq!(s.all_outcomes(&t, &id).await.len(), 1);
}

async fn daily_limit_holds_under_concurrency(db: Db) {
    let s = Arc::new(Server::start(db).await);
    let t = s.tenant("t").await;
    let id = s
        .activity(
            &t,
            "lucky-draw",
            json!({
                "prizes": [{"id": "p1", "name": "Mug", "weight": 1}],
                "miss_weight": 3,
                "per_user_daily": 3
            }),
        )
        .await;
    let draws = (0..50).map(|_| {
        let (s, t, id) = (s.clone(), t.clone(), id.clone());
        tokio::spawn(async move { s.act(&t, &id, "greedy", "draw").await })
    });
    let replies: Vec<_> = join_all(draws)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let ok = replies.iter().filter(|r| r.status == 200).count();
    let refused = replies
        .iter()
        .filter(|r| r.status == 409 && r.code() == "daily_limit_reached")
        .count();
    assert_eq!(
        (ok, refused),
        (3, 47),
        "{:?}",
        replies.iter().find(|r| r.status != 200 && r.status != 409)
    );
    assert_eq!(s.all_outcomes(&t, &id).await.len(), 3);
    let view = s
        .get(
            &t.platform,
            &format!("/v1/activities/{id}/view?user_id=greedy"),
        )
        .await;
    assert_eq!(view.body["draws_today"], 3);
    assert_eq!(view.body["draws_left_today"], 0);
}
