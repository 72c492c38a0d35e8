//! The red packet (`hongbao`) over HTTP: amounts of at least 1 fen that
//! sum to the total exactly, one per user, a burst of 1,000 grabbers
//! served in full, and the expiry timer.

use std::sync::Arc;

use futures::future::join_all;
use serde_json::{Value, json};

use crate::both_backends;
use crate::harness::{Reply, Server, Tenant};
use crate::support::Db;

both_backends!(
    amounts_sum_to_the_total_one_grab_per_user,
    a_burst_of_1000_grabbers_is_served_in_full,
    expiry_stops_the_grabbing_and_reports_what_is_left
);

const HOUR_MS: i64 = 3_600_000;

fn code(r: &Reply) -> (u16, &str) {
    (r.status.as_u16(), r.code())
}

/// A grab carrying an Idempotency-Key, as platforms send them.
async fn grab(s: &Server, t: &Tenant, id: &str, user: &str) -> Reply {
    s.send(
        &t.platform,
        reqwest::Method::POST,
        &format!("/v1/activities/{id}/actions"),
        Some(json!({"user_id": user, "action": "grab"})),
        &[("idempotency-key", &format!("grab-{user}"))],
    )
    .await
}

fn amount(r: &Reply) -> i64 {
    r.body["result"]["amount_fen"].as_i64().unwrap()
}

async fn amounts_sum_to_the_total_one_grab_per_user(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let bad = s
        .create_activity(
            &t,
            json!({"plugin": "hongbao", "config": {"total_fen": 4, "count": 5}}),
        )
        .await;
    assert_eq!(code(&bad), (422, "invalid_config"), "{bad:?}");
    assert!(bad.text.contains("total_fen"), "{}", bad.text);

    let id = s
        .activity(&t, "hongbao", json!({"total_fen": 888, "count": 6}))
        .await;
    let mut sum = 0;
    for i in 0..6 {
        let user = format!("u{i}");
        let r = grab(&s, &t, &id, &user).await;
        assert_eq!(r.status, 200, "{r:?}");
        let a = amount(&r);
        assert!(a >= 1, "{r:?}");
        assert_eq!(r.body["rewards"][0]["kind"], "tickets");
        assert_eq!(r.body["rewards"][0]["amount"], a);
        sum += a;
        // A retry with the same key gets the same answer; a new request
        // by the same user is refused.
        let retry = grab(&s, &t, &id, &user).await;
        assert_eq!(retry.body, r.body);
        let again = s.act(&t, &id, &user, "grab").await;
        assert_eq!(code(&again), (409, "already_grabbed"), "{again:?}");
    }
    assert_eq!(sum, 888);
    let late = s.act(&t, &id, "u9", "grab").await;
    assert_eq!(code(&late), (409, "sold_out"), "{late:?}");
    let view = s.view(&t, &id, "u0").await;
    assert_eq!(
        (view["left"].as_i64(), view["fen_left"].as_i64()),
        (Some(0), Some(0))
    );
    let emptied: Vec<Value> = s
        .all_events(&t)
        .await
        .into_iter()
        .filter(|e| e["type"] == "packet.emptied")
        .collect();
    assert_eq!(emptied.len(), 1);
}

async fn a_burst_of_1000_grabbers_is_served_in_full(db: Db) {
    // A thousand client connections and their server ends in one process.
    let limit = rlimit::increase_nofile_limit(8192).expect("raise open-file limit");
    assert!(limit >= 2500, "need 2,500 open files; have {limit}");
    let s = Arc::new(Server::start(db).await);
    let t = s.tenant("t").await;
    let total = 100_000;
    let id = s
        .activity(&t, "hongbao", json!({"total_fen": total, "count": 1000}))
        .await;
    let tasks: Vec<_> = (0..1000)
        .map(|i| {
            let (s, t, id) = (s.clone(), t.clone(), id.clone());
            tokio::spawn(async move { grab(&s, &t, &id, &format!("g{i}")).await })
        })
        .collect();
    let replies: Vec<Reply> = join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let failed: Vec<&Reply> = replies.iter().filter(|r| r.status != 200).collect();
    assert!(
        failed.is_empty(),
        "{} not served: {:?}",
        failed.len(),
        failed.first()
    );
    let amounts: Vec<i64> = replies.iter().map(amount).collect();
    assert!(amounts.iter().all(|&a| a >= 1));
    assert_eq!(amounts.iter().sum::<i64>(), total);
    // The store agrees: 1,000 outcomes, nothing left.
    assert_eq!(s.all_outcomes(&t, &id).await.len(), 1000);
    let view = s.view(&t, &id, "g0").await;
    assert_eq!(
        (view["left"].as_i64(), view["fen_left"].as_i64()),
        (Some(0), Some(0))
    );
    let more = s.act(&t, &id, "late", "grab").await;
    assert_eq!(code(&more), (409, "sold_out"));
}

async fn expiry_stops_the_grabbing_and_reports_what_is_left(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let at = s.arcade.now() + HOUR_MS;
    let id = s
        .activity(
            &t,
            "hongbao",
            json!({"total_fen": 500, "count": 5, "expires_at_ms": at, "balance": "cash_fen"}),
        )
        .await;
    let mut grabbed = 0;
    for user in ["u1", "u2"] {
        let r = grab(&s, &t, &id, user).await;
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.body["rewards"][0]["item"], "cash_fen", "{r:?}");
        grabbed += amount(&r);
    }
    s.arcade.advance_clock(HOUR_MS + 1);
    let expired = || async {
        s.all_events(&t)
            .await
            .into_iter()
            .filter(|e| e["type"] == "packet.expired")
            .collect::<Vec<Value>>()
    };
    s.eventually("the expiry fires", || async { expired().await.len() == 1 })
        .await;
    let event = &expired().await[0];
    assert_eq!(event["data"]["left"], 3, "{event}");
    assert_eq!(event["data"]["fen_left"], 500 - grabbed, "{event}");
    let late = s.act(&t, &id, "u3", "grab").await;
    assert_eq!(code(&late), (409, "expired"), "{late:?}");
    let view = s.view(&t, &id, "u1").await;
    assert_eq!(view["expired"], true, "{view}");
}
