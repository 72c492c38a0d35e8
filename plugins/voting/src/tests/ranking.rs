use serde_json::json;

use super::{OP, act, approved, code, host, submit, vote};
use crate::Voting;

fn judged() -> arcade_sdk::testing::MockHost {
    host(json!({
        "votes_per_day": 3,
        "judges": [{"user_id": "j1", "weight": 2}, {"user_id": "j2"}]
    }))
}

fn score(
    host: &mut arcade_sdk::testing::MockHost,
    judge: &str,
    id: &str,
    score: u32,
) -> serde_json::Value {
    act(
        host,
        judge,
        "score",
        json!({"entry_id": id, "score": score}),
    )
    .unwrap()
    .result
}

/// `(entry id, score)` down the leaderboard.
fn board(host: &mut arcade_sdk::testing::MockHost) -> Vec<(String, u64)> {
    let view = host.view::<Voting>("anyone").unwrap();
    view["leaderboard"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, row)| {
            assert_eq!(row["rank"], i + 1, "{row}");
            (
                row["entry_id"].as_str().unwrap().to_owned(),
                row["score"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn ties_go_to_the_entry_approved_first() {
    let mut host = host(json!({"votes_per_day": 3}));
    // Submitted a, b, c; approved b, c, a.
    let [a, b, c] = ["ann", "bob", "cat"].map(|u| submit(&mut host, u, u));
    for id in [&b, &c, &a] {
        act(&mut host, OP, "approve", json!({"entry_id": id})).unwrap();
    }
    let at = |s: &str, n: u64| (s.to_owned(), n);
    assert_eq!(board(&mut host), [at(&b, 0), at(&c, 0), at(&a, 0)]);
    vote(&mut host, "v1", &a).unwrap();
    vote(&mut host, "v1", &c).unwrap();
    assert_eq!(board(&mut host), [at(&c, 1), at(&a, 1), at(&b, 0)]);
    vote(&mut host, "v2", &a).unwrap();
    assert_eq!(board(&mut host), [at(&a, 2), at(&c, 1), at(&b, 0)]);
}

#[test]
fn judges_score_approved_entries_and_rescoring_replaces() {
    let mut host = judged();
    let a = approved(&mut host, "ann", "a");
    let b = approved(&mut host, "bob", "b");
    let pending = submit(&mut host, "cat", "c");
    let r = act(
        &mut host,
        "v1",
        "score",
        json!({"entry_id": a, "score": 50}),
    );
    assert_eq!(code(r), "not_a_judge");
    assert_eq!(
        code(act(
            &mut host,
            OP,
            "score",
            json!({"entry_id": a, "score": 50})
        )),
        "not_a_judge"
    );
    let r = act(
        &mut host,
        "j1",
        "score",
        json!({"entry_id": a, "score": 101}),
    );
    assert_eq!(code(r), "invalid_payload");
    let r = act(
        &mut host,
        "j1",
        "score",
        json!({"entry_id": a, "score": -1}),
    );
    assert_eq!(code(r), "invalid_payload");
    let r = act(
        &mut host,
        "j1",
        "score",
        json!({"entry_id": pending, "score": 5}),
    );
    assert_eq!(code(r), "entry_not_approved");

    let first = score(&mut host, "j1", &a, 30);
    assert_eq!(
        first,
        json!({"entry_id": a, "score": 30, "previous": null, "weight": 2, "judge_points": 60})
    );
    let again = score(&mut host, "j1", &a, 10);
    assert_eq!(
        (again["previous"].as_u64(), again["judge_points"].as_u64()),
        (Some(30), Some(20))
    );
    let both = score(&mut host, "j2", &a, 7);
    assert_eq!(both["judge_points"], 27, "2 × 10 + 1 × 7");

    // score = votes + judges' points: b's votes tie with a's 27 points
    // (a was approved first), then pass them.
    for i in 0..27 {
        vote(&mut host, &format!("v{i}"), &b).unwrap();
    }
    assert_eq!(board(&mut host), [(a.clone(), 27), (b.clone(), 27)]);
    vote(&mut host, "v27", &b).unwrap();
    assert_eq!(board(&mut host), [(b.clone(), 28), (a.clone(), 27)]);
    let view = host.view::<Voting>("j1").unwrap();
    assert_eq!(
        view["judging"],
        json!({"weight": 2, "my_scores": {a.as_str(): 10}})
    );
    assert!(host.view::<Voting>("v0").unwrap().get("judging").is_none());
    let row = &view["leaderboard"][1];
    assert_eq!(
        (row["votes"].as_u64(), row["judge_points"].as_u64()),
        (Some(0), Some(27))
    );
}
