//! The rewards ledger, balances and the event log, through the lucky draw:
//! consolation points credited, draws paid with points (never below zero,
//! also under concurrency), coupons with codes, prizes redeemed once, and
//! events in commit order.

use std::sync::Arc;

use futures::future::join_all;
use serde_json::json;

use crate::both_backends;
use crate::harness::{Server, Tenant};
use crate::support::Db;

both_backends!(
    points_coupons_and_prizes,
    paying_with_points_never_overdraws,
    events_filter_by_activity_and_type,
);

/// An activity where every draw misses and consoles with `consolation`.
async fn always_miss(s: &Server, t: &Tenant, consolation: serde_json::Value) -> String {
    s.activity(
        t,
        "lucky-draw",
        json!({
            "prizes": [{"id": "gone", "name": "Gone", "weight": 1, "stock": 0}],
            "consolation": consolation
        }),
    )
    .await
}

async fn points(s: &Server, t: &Tenant, user: &str) -> i64 {
    let r = s
        .get(&t.platform, &format!("/v1/users/{user}/points"))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body["points"].as_i64().unwrap()
}

async fn points_coupons_and_prizes(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let earn = always_miss(&s, &t, json!({"points": 30})).await;
    for _ in 0..2 {
        let r = s.act(&t, &earn, "u1", "draw").await;
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.body["result"]["consolation"]["amount"], 30);
    }
    assert_eq!(points(&s, &t, "u1").await, 60);
    assert_eq!(points(&s, &t, "u2").await, 0);

    // Points earned in one activity pay for draws in another.
    let spend = s
        .activity(
            &t,
            "lucky-draw",
            json!({
                "prizes": [{"id": "mug", "name": "Mug", "weight": 1, "stock": 1}],
                "cost_points": 25,
                "presentation": {"style": "grid"}
            }),
        )
        .await;
    let won = s.act(&t, &spend, "u1", "draw").await;
    assert_eq!(won.body["result"]["prize"], "mug", "{won:?}");
    assert_eq!(won.body["result"]["position"], 0);
    assert_eq!(points(&s, &t, "u1").await, 35);

    let coupons = always_miss(
        &s,
        &t,
        json!({
            "coupon": {"id": "c5", "name": "5 yuan off", "value_fen": 500, "valid_days": 7}
        }),
    )
    .await;
    let a = s.act(&t, &coupons, "u1", "draw").await;
    let b = s.act(&t, &coupons, "u1", "draw").await;
    let code_a = a.body["rewards"][0]["code"]
        .as_str()
        .expect("coupon code")
        .to_owned();
    let code_b = b.body["rewards"][0]["code"].as_str().unwrap().to_owned();
    assert_ne!(code_a, code_b);
    let expires = a.body["rewards"][0]["expires_at"]
        .as_str()
        .expect("an expiry");
    assert!(
        chrono::DateTime::parse_from_rfc3339(expires).is_ok(),
        "{expires}"
    );

    let ledger = s.get(&t.platform, "/v1/users/u1/rewards").await;
    let rewards = ledger.body["rewards"].as_array().unwrap();
    assert_eq!(rewards.len(), 5, "{ledger:?}");
    let prize = rewards.iter().find(|r| r["kind"] == "prize").unwrap();
    assert_eq!(prize["state"], "pending");
    assert!(
        rewards
            .iter()
            .filter(|r| r["kind"] == "coupon")
            .all(|r| r["state"].is_null())
    );

    // Redemption is operator-only and happens once.
    let id = prize["id"].as_str().unwrap().to_owned();
    let r = s
        .post(&t.platform, &format!("/v1/rewards/{id}/redeem"), json!({}))
        .await;
    assert_eq!(r.status, 403);
    let r = s
        .post(&t.operator, &format!("/v1/rewards/{id}/redeem"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = s
        .post(&t.operator, &format!("/v1/rewards/{id}/cancel"), json!({}))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "reward_not_pending"));
    let other = s.tenant("other").await;
    let r = s
        .post(
            &other.operator,
            &format!("/v1/rewards/{id}/redeem"),
            json!({}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "reward_not_found"));
    let ledger = s.get(&t.platform, "/v1/users/u1/rewards").await;
    let prize = ledger.body["rewards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "prize")
        .cloned()
        .unwrap();
    assert_eq!(prize["state"], "redeemed");

    // One reward.granted event per reward, in order, paged by cursor.
    let page = s.get(&t.platform, "/v1/events?limit=3").await;
    let events = page.body["events"].as_array().unwrap();
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| e["type"] == "reward.granted"));
    assert_eq!(events[0]["subject"], "u1");
    let next = page.body["next"].as_i64().unwrap();
    let rest = s
        .get(&t.platform, &format!("/v1/events?after={next}"))
        .await;
    let rest = rest.body["events"].as_array().unwrap();
    assert_eq!(rest.len(), 2);
    assert!(rest[0]["seq"].as_i64().unwrap() > next);
    let none = s.get(&other.platform, "/v1/events").await;
    assert_eq!(none.body["events"], json!([]), "events are per tenant");
}

async fn paying_with_points_never_overdraws(db: Db) {
    let s = Arc::new(Server::start(db).await);
    let t = s.tenant("t").await;
    let earn = always_miss(&s, &t, json!({"points": 100})).await;
    assert_eq!(s.act(&t, &earn, "rich", "draw").await.status, 200);
    let spend = s
        .activity(
            &t,
            "lucky-draw",
            json!({
                "prizes": [{"id": "p", "name": "P", "weight": 1}],
                "cost_points": 10
            }),
        )
        .await;
    let draws = (0..25).map(|_| {
        let (s, t, id) = (s.clone(), t.clone(), spend.clone());
        tokio::spawn(async move { s.act(&t, &id, "rich", "draw").await })
    });
    let replies: Vec<_> = join_all(draws)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let ok = replies.iter().filter(|r| r.status == 200).count();
    let short = replies
        .iter()
        .filter(|r| r.code() == "insufficient_points")
        .count();
    assert_eq!(
        (ok, short),
        (10, 15),
        "{:?}",
        replies.iter().find(|r| r.status != 200)
    );
    assert_eq!(points(&s, &t, "rich").await, 0);
    assert_eq!(s.all_outcomes(&t, &spend).await.len(), 10);
}

/// `GET /v1/events?activity_id=&type=`: one activity's, one type's, or
/// both, paged by the same cursor.
async fn events_filter_by_activity_and_type(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let points = always_miss(&s, &t, json!({"points": 5})).await;
    let coupons = always_miss(
        &s,
        &t,
        json!({"coupon": {"id": "c1", "name": "C", "value_fen": 100}}),
    )
    .await;
    let team = s
        .activity(&t, "group-buy", json!({
            "product": {"id": "p", "name": "P", "original_price_fen": 200, "deal_price_fen": 100},
            "team_size": 2, "time_limit_minutes": 60, "max_open_teams_per_user": 1
        }))
        .await;
    for u in ["u1", "u2", "u3"] {
        assert_eq!(s.act(&t, &points, u, "draw").await.status, 200);
        assert_eq!(s.act(&t, &coupons, u, "draw").await.status, 200);
    }
    assert_eq!(s.act(&t, &team, "u1", "open").await.status, 200);

    let get = |q: String| {
        let s = &s;
        let key = t.platform.clone();
        async move {
            let r = s.get(&key, &format!("/v1/events?{q}")).await;
            assert_eq!(r.status, 200, "{r:?}");
            r.body
        }
    };
    let of_points = get(format!("activity_id={points}")).await;
    let list = of_points["events"].as_array().unwrap();
    assert_eq!(list.len(), 3, "{of_points}");
    assert!(
        list.iter().all(|e| e["activity_id"] == points.as_str()),
        "{of_points}"
    );
    let opened = get("type=team.opened".into()).await;
    let list = opened["events"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{opened}");
    assert_eq!(list[0]["activity_id"], team.as_str());
    let none = get(format!("activity_id={points}&type=team.opened")).await;
    assert_eq!(none["events"], json!([]));
    // The cursor pages within the filter.
    let first = get(format!("activity_id={coupons}&type=reward.granted&limit=2")).await;
    assert_eq!(first["events"].as_array().unwrap().len(), 2);
    let next = first["next"].as_i64().unwrap();
    let rest = get(format!(
        "activity_id={coupons}&type=reward.granted&after={next}"
    ))
    .await;
    let rest = rest["events"].as_array().unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0]["activity_id"], coupons.as_str());
}
