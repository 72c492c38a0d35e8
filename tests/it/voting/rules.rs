//! Moderation, daily votes, judges and the leaderboard.

use serde_json::json;

use super::{DAY_MS, OP, approved, board, code, config, events_of, vote};
use crate::both_backends;
use crate::harness::Server;
use crate::support::Db;

both_backends!(the_rules_over_http);

async fn the_rules_over_http(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let bad = s
        .create_activity(
            &t,
            json!({"plugin": "voting", "config": config(&s, DAY_MS, json!({"votes_per_day": 0}))}),
        )
        .await;
    assert_eq!(code(&bad), (422, "invalid_config"), "{bad:?}");
    assert_eq!(
        bad.body["error"]["details"][0]["field"], "votes_per_day",
        "{bad:?}"
    );

    let extra = json!({"votes_per_day": 2, "judges": [{"user_id": "judge", "weight": 3}]});
    let id = s
        .activity(&t, "voting", config(&s, 7 * DAY_MS, extra))
        .await;
    let pending = s
        .act_with(&t, &id, "ann", "submit", json!({"title": "Swan"}))
        .await;
    assert_eq!(
        pending.body["result"],
        json!({"entry_id": "e1", "status": "pending"})
    );
    let r = vote(&s, &t, &id, "dan", "e1").await;
    assert_eq!(code(&r), (409, "entry_not_approved"), "{r:?}");
    let r = s
        .act_with(&t, &id, "ann", "approve", json!({"entry_id": "e1"}))
        .await;
    assert_eq!(code(&r), (409, "not_a_moderator"), "{r:?}");
    let r = s
        .act_with(&t, &id, OP, "approve", json!({"entry_id": "e1"}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let bob = approved(&s, &t, &id, "bob").await;
    let cat = approved(&s, &t, &id, "cat").await;

    let r = vote(&s, &t, &id, "dan", &bob).await;
    assert_eq!(r.body["result"]["votes_left_today"], 1, "{r:?}");
    let r = vote(&s, &t, &id, "dan", &bob).await;
    assert_eq!(code(&r), (409, "already_voted_today"), "{r:?}");
    let r = vote(&s, &t, &id, "dan", "e9").await;
    assert_eq!(code(&r), (404, "unknown_entry"), "{r:?}");
    let r = vote(&s, &t, &id, "bob", &bob).await;
    assert_eq!(code(&r), (409, "own_entry"), "{r:?}");
    assert_eq!(vote(&s, &t, &id, "dan", "e1").await.status, 200);
    let r = vote(&s, &t, &id, "dan", &cat).await;
    assert_eq!(code(&r), (409, "no_votes_left"), "{r:?}");
    let r = s
        .act_with(
            &t,
            &id,
            "dan",
            "score",
            json!({"entry_id": cat, "score": 50}),
        )
        .await;
    assert_eq!(code(&r), (409, "not_a_judge"), "{r:?}");
    let r = s
        .act_with(
            &t,
            &id,
            "judge",
            "score",
            json!({"entry_id": cat, "score": 1}),
        )
        .await;
    assert_eq!(r.body["result"]["judge_points"], 3, "{r:?}");

    // cat 3 judge points; e1 and bob 1 vote each, e1 approved first.
    let view = s.view(&t, &id, "dan").await;
    let expected = [(cat.clone(), 3), ("e1".to_owned(), 1), (bob.clone(), 1)];
    assert_eq!(board(&view), expected, "{view}");
    assert_eq!(view["voted_today"], json!([bob, "e1"]), "{view}");
    assert_eq!(view["votes_left_today"], 0, "{view}");

    // The page an author shares: one entry, by id, for anyone.
    let page = s
        .get(
            &t.platform,
            &format!("/v1/activities/{id}/view?entry_id={cat}"),
        )
        .await;
    assert_eq!(page.status, 200, "{page:?}");
    assert_eq!(page.body["rank"], 1, "{page:?}");
    assert_eq!(page.body["judge_points"], 3, "{page:?}");
    assert_eq!(page.body["status"], "approved", "{page:?}");
    let mine = s
        .get(
            &t.platform,
            &format!("/v1/activities/{id}/view?entry_id=e1&user_id=dan"),
        )
        .await;
    assert_eq!(mine.body["voted_today"], true, "{mine:?}");
    let none = s
        .get(
            &t.platform,
            &format!("/v1/activities/{id}/view?entry_id=e404"),
        )
        .await;
    assert_eq!(code(&none), (404, "unknown_entry"), "{none:?}");

    // A day later dan has two new votes, for the same entries too.
    s.arcade.advance_clock(DAY_MS);
    assert_eq!(s.view(&t, &id, "dan").await["votes_left_today"], 2);
    let r = vote(&s, &t, &id, "dan", &bob).await;
    assert_eq!(r.body["result"]["votes"], 2, "{r:?}");
    let submitted = events_of(&s.all_events(&t).await, "entry.submitted");
    assert_eq!(submitted.len(), 3);
}
