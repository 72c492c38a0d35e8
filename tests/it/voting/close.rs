//! The close timer: rank rewards granted once; a revision moving the
//! close; the largest contest closing within the sandbox's default budget.

use std::sync::Arc;

use futures::future::join_all;
use reqwest::Method;
use serde_json::json;

use super::{HOUR_MS, OP, approved, code, config, events_of, rewards, vote};
use crate::both_backends;
use crate::harness::Server;
use crate::support::Db;

both_backends!(
    the_close_timer_grants_rank_rewards_once,
    the_close_follows_a_revision_of_its_time,
    the_largest_contest_closes_within_the_default_budget
);

async fn the_close_timer_grants_rank_rewards_once(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let extra = json!({
        "votes_per_day": 3,
        "rank_rewards": [
            {"from_rank": 1, "to_rank": 1, "reward": {"points": 500}},
            {"from_rank": 2, "to_rank": 3, "reward": {"prize": {"id": "mug", "name": "Mug"}}}
        ]
    });
    let id = s.activity(&t, "voting", config(&s, HOUR_MS, extra)).await;
    let [a, b, c, d] = [
        approved(&s, &t, &id, "ann").await,
        approved(&s, &t, &id, "bob").await,
        approved(&s, &t, &id, "cat").await,
        approved(&s, &t, &id, "dan").await,
    ];
    // b 2, c 1, a 1 (approved before c), d 0.
    for (user, entry) in [("v1", &b), ("v2", &b), ("v1", &c), ("v3", &a)] {
        assert_eq!(vote(&s, &t, &id, user, entry).await.status, 200);
    }
    assert!(events_of(&s.all_events(&t).await, "contest.closed").is_empty());

    s.arcade.advance_clock(HOUR_MS + 1);
    s.eventually("contest.closed is recorded", || async {
        !events_of(&s.all_events(&t).await, "contest.closed").is_empty()
    })
    .await;
    let r = vote(&s, &t, &id, "v4", &d).await;
    assert_eq!(code(&r), (409, "contest_closed"), "{r:?}");
    // Give a second firing every chance to show up.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;

    let events = s.all_events(&t).await;
    let closed = events_of(&events, "contest.closed");
    assert_eq!(closed.len(), 1, "{closed:?}");
    let ranking: Vec<&str> = closed[0]["data"]["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["entry_id"].as_str().unwrap())
        .collect();
    assert_eq!(ranking, [b.as_str(), a.as_str(), c.as_str(), d.as_str()]);
    let granted = |user: &str| {
        events_of(&events, "reward.granted")
            .into_iter()
            .filter(|e| e["subject"] == user)
            .count()
    };
    assert_eq!(
        [
            granted("bob"),
            granted("ann"),
            granted("cat"),
            granted("dan")
        ],
        [1, 1, 1, 0]
    );
    let bob = rewards(&s, &t, "bob").await;
    assert_eq!(
        (
            bob.len(),
            bob[0]["kind"].as_str(),
            bob[0]["amount"].as_i64()
        ),
        (1, Some("points"), Some(500))
    );
    let cat = rewards(&s, &t, "cat").await;
    assert_eq!(
        (cat.len(), cat[0]["kind"].as_str()),
        (1, Some("prize")),
        "{cat:?}"
    );
    let timers = s
        .all_outcomes(&t, &id)
        .await
        .into_iter()
        .filter(|o| o["action"] == "timer:close")
        .count();
    assert_eq!(timers, 1);

    let view = s.view(&t, &id, "ann").await;
    assert_eq!(view["closed"], true, "{view}");
    assert_eq!(view["my_entries"][0]["rank"], 2, "{view}");
}

async fn the_close_follows_a_revision_of_its_time(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let first = config(
        &s,
        HOUR_MS,
        json!({"rank_rewards": [{"from_rank": 1, "to_rank": 1, "reward": {"points": 10}}]}),
    );
    let id = s.activity(&t, "voting", first.clone()).await;
    let entry = approved(&s, &t, &id, "ann").await;
    let mut later = first;
    later["closes_at_ms"] = json!(s.arcade.now() + 3 * HOUR_MS);
    let r = s
        .send(
            &t.operator,
            Method::PUT,
            &format!("/v1/activities/{id}/config"),
            Some(json!({"config": later, "reason": "more time"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");

    // The timer set for the old time runs, and sets itself for the new one.
    s.arcade.advance_clock(HOUR_MS + 1);
    let timer_ran = || async {
        s.all_outcomes(&t, &id)
            .await
            .iter()
            .filter(|o| o["action"] == "timer:close")
            .count()
    };
    s.eventually("the first close timer runs", || async {
        timer_ran().await == 1
    })
    .await;
    assert_eq!(vote(&s, &t, &id, "v1", &entry).await.status, 200);
    assert!(events_of(&s.all_events(&t).await, "contest.closed").is_empty());

    s.arcade.advance_clock(2 * HOUR_MS);
    s.eventually("contest.closed is recorded", || async {
        !events_of(&s.all_events(&t).await, "contest.closed").is_empty()
    })
    .await;
    assert_eq!(timer_ran().await, 2);
    assert_eq!(rewards(&s, &t, "ann").await.len(), 1);
}

/// 500 entries (the most a contest takes) with the longest texts, all
/// approved and judged: the close ranks them all, freezes the ranking and
/// grants 64 rewards in one call, within the default fuel (a close that
/// ran out would be recorded as failed and never grant anything).
async fn the_largest_contest_closes_within_the_default_budget(db: Db) {
    let s = Arc::new(Server::start(db).await);
    let t = s.tenant("t").await;
    let extra = json!({
        "max_entries": 500,
        "leaderboard_size": 30,
        "judges": [{"user_id": "judge"}],
        "rank_rewards": [{"from_rank": 1, "to_rank": 64, "reward": {"points": 1}}]
    });
    let id = s.activity(&t, "voting", config(&s, HOUR_MS, extra)).await;
    // Four bytes a character, the most UTF-8 takes.
    let payload = json!({
        "title": "😀".repeat(40),
        "description": "😀".repeat(140),
        "image_url": format!("https://{}", "i".repeat(248)),
    });
    let entries = (0..500).map(|i| {
        let (s, t, id, payload) = (s.clone(), t.clone(), id.clone(), payload.clone());
        tokio::spawn(async move {
            let r = s
                .act_with(&t, &id, &format!("{i:0>128}"), "submit", payload)
                .await;
            assert_eq!(r.status, 200, "{r:?}");
            let entry = json!({"entry_id": r.body["result"]["entry_id"]});
            let r = s.act_with(&t, &id, OP, "approve", entry.clone()).await;
            assert_eq!(r.status, 200, "{r:?}");
            let mut scored = entry;
            scored["score"] = json!(i % 101);
            let r = s.act_with(&t, &id, "judge", "score", scored).await;
            assert_eq!(r.status, 200, "{r:?}");
        })
    });
    for done in join_all(entries).await {
        done.unwrap();
    }
    let view = s.view(&t, &id, "judge").await;
    assert_eq!(view["leaderboard"].as_array().unwrap().len(), 30);

    s.arcade.advance_clock(HOUR_MS + 1);
    s.eventually("the close timer runs", || async {
        s.all_outcomes(&t, &id)
            .await
            .iter()
            .any(|o| o["action"] == "timer:close")
    })
    .await;
    let outcomes = s.all_outcomes(&t, &id).await;
    let close = outcomes
        .iter()
        .find(|o| o["action"] == "timer:close")
        .unwrap();
    assert_eq!(
        close["result"],
        json!({"closed": true, "ranked": 500, "rewards_granted": 64}),
        "{close}"
    );
    let closed = events_of(&s.all_events(&t).await, "contest.closed");
    assert_eq!(closed[0]["data"]["ranking"].as_array().unwrap().len(), 64);
}
