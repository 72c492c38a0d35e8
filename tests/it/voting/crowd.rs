//! A crowd on one entry: every vote counted once, a double tap accepted once.

use std::sync::Arc;

use futures::future::join_all;
use serde_json::json;

use super::{DAY_MS, approved, code, config, keyed};
use crate::both_backends;
use crate::harness::{Reply, Server};
use crate::support::Db;

both_backends!(a_crowd_on_one_entry_counts_every_vote_once);

async fn a_crowd_on_one_entry_counts_every_vote_once(db: Db) {
    let limit = rlimit::increase_nofile_limit(8192).expect("raise open-file limit");
    assert!(limit >= 1000, "need 1,000 open files; have {limit}");
    let s = Arc::new(Server::start(db).await);
    let t = s.tenant("t").await;
    let id = s
        .activity(
            &t,
            "voting",
            config(&s, 7 * DAY_MS, json!({"votes_per_day": 3})),
        )
        .await;
    let entry = approved(&s, &t, &id, "ann").await;

    // 200 voters at once, each with its key; and 20 users who each send the
    // same vote twice at once under different keys (a double tap).
    let send = |user: String, key: String| {
        let (s, t, id, entry) = (s.clone(), t.clone(), id.clone(), entry.clone());
        tokio::spawn(async move {
            keyed(&s, &t, &id, &user, "vote", json!({"entry_id": entry}), &key).await
        })
    };
    let mut tasks: Vec<_> = (0..200)
        .map(|i| send(format!("v{i}"), format!("vote-v{i}")))
        .collect();
    for i in 0..20 {
        for tap in 0..2 {
            tasks.push(send(format!("d{i}"), format!("vote-d{i}-{tap}")));
        }
    }
    let replies: Vec<Reply> = join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let (crowd, taps) = replies.split_at(200);
    for r in crowd {
        assert_eq!(r.status, 200, "{r:?}");
    }
    for pair in taps.chunks(2) {
        let mut codes: Vec<(u16, &str)> = pair.iter().map(code).collect();
        codes.sort();
        assert_eq!(codes, [(200, ""), (409, "already_voted_today")], "{pair:?}");
    }
    let accepted = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(accepted, 220);
    // Each answer saw a distinct tally, 1 to 220.
    let mut tallies: Vec<i64> = replies
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| r.body["result"]["votes"].as_i64().unwrap())
        .collect();
    tallies.sort();
    assert_eq!(tallies, (1..=220).collect::<Vec<i64>>());

    // Retries with the same keys get the first answers and count nothing.
    for (i, first) in crowd.iter().enumerate().step_by(20) {
        let again = keyed(
            &s,
            &t,
            &id,
            &format!("v{i}"),
            "vote",
            json!({"entry_id": entry}),
            &format!("vote-v{i}"),
        )
        .await;
        assert_eq!(again.body, first.body);
    }
    let view = s.view(&t, &id, "v0").await;
    assert_eq!(view["leaderboard"][0]["votes"], 220, "{view}");
    let votes = s
        .all_outcomes(&t, &id)
        .await
        .into_iter()
        .filter(|o| o["action"] == "vote")
        .count();
    assert_eq!(votes, accepted);
}
