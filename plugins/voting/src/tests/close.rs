use arcade_sdk::testing::MockHost;
use serde_json::json;

use super::{DAY, OP, START, act, approved, code, host, submit, vote};
use crate::{CLOSE_TIMER, Voting};

fn contest() -> MockHost {
    host(json!({
        "votes_per_day": 3,
        "judges": [{"user_id": "judge", "weight": 1}],
        "rank_rewards": [
            {"from_rank": 1, "to_rank": 1, "reward": {"points": 500}},
            {"from_rank": 1, "to_rank": 2, "reward": {"coupon": {"id": "c5", "name": "5 off", "value_fen": 500, "valid_days": 7}}},
            {"from_rank": 3, "to_rank": 3, "reward": {"prize": {"id": "mug", "name": "Mug"}}}
        ]
    }))
}

#[test]
fn the_close_ranks_freezes_and_rewards_the_authors_once() {
    let mut host = contest();
    let [a, b, c, d] = ["ann", "bob", "cat", "dan"].map(|u| approved(&mut host, u, u));
    let pending = submit(&mut host, "eve", "late");
    // b 3 votes; c 1 vote + 2 judge points; a and d none (a first by approval).
    for v in ["v1", "v2", "v3"] {
        vote(&mut host, v, &b).unwrap();
    }
    vote(&mut host, "v1", &c).unwrap();
    act(
        &mut host,
        "judge",
        "score",
        json!({"entry_id": c, "score": 2}),
    )
    .unwrap();
    assert!(host.fire_due_timers::<Voting>().is_empty(), "not due yet");

    host.set_now_ms(START + 7 * DAY);
    let fired = host.fire_due_timers::<Voting>();
    assert_eq!(fired.len(), 1);
    let (name, out) = &fired[0];
    assert_eq!(name, CLOSE_TIMER);
    let out = out.as_ref().unwrap();
    assert_eq!(
        out.result,
        json!({"closed": true, "ranked": 4, "rewards_granted": 4})
    );
    let who: Vec<(&str, &str)> = out
        .rewards
        .iter()
        .map(|r| (r.user_id.as_str(), r.item.as_str()))
        .collect();
    assert_eq!(
        who,
        [
            ("bob", "points"),
            ("bob", "c5"),
            ("cat", "c5"),
            ("ann", "mug")
        ]
    );
    assert_eq!(out.rewards[1].expires_ms, Some(START + 14 * DAY));
    assert_eq!(host.balance("bob", "points"), 500);

    let event = &out.events[0];
    assert_eq!(
        (event.kind.as_str(), event.subject.as_str()),
        ("contest.closed", "activity-under-test")
    );
    let ranking: Vec<(&str, u64)> = event.data["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["entry_id"].as_str().unwrap(),
                r["score"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ranking,
        [
            (b.as_str(), 3),
            (c.as_str(), 3),
            (a.as_str(), 0),
            (d.as_str(), 0)
        ]
    );
    assert_eq!(
        event.data["ranking"][2]["rewards"],
        json!([{"kind": "prize", "id": "mug", "name": "Mug"}])
    );

    // Closed: everything is refused, and the view shows the frozen ranks.
    for (user, action, payload) in [
        ("v9", "vote", json!({"entry_id": a})),
        ("judge", "score", json!({"entry_id": a, "score": 9})),
        ("v9", "submit", json!({"title": "t"})),
        (OP, "approve", json!({"entry_id": pending})),
    ] {
        assert_eq!(
            code(act(&mut host, user, action, payload)),
            "contest_closed",
            "{action}"
        );
    }
    let view = host.view::<Voting>("bob").unwrap();
    assert_eq!(
        (view["closed"].as_bool(), view["closed_at_ms"].as_i64()),
        (Some(true), Some(START + 7 * DAY))
    );
    assert_eq!(view["my_entries"][0]["rank"], 1);
    assert_eq!(view["leaderboard"][1]["entry_id"], c.as_str());
    assert!(host.pending_timers().is_empty());
    assert!(host.fire_due_timers::<Voting>().is_empty(), "fires once");
}

#[test]
fn fewer_entries_than_rewarded_ranks_reward_only_those_ranked() {
    let mut host = contest();
    approved(&mut host, "ann", "only");
    submit(&mut host, "bob", "never approved");
    host.set_now_ms(START + 8 * DAY);
    let fired = host.fire_due_timers::<Voting>();
    let out = fired[0].1.as_ref().unwrap();
    assert_eq!(out.result["ranked"], 1);
    let who: Vec<&str> = out.rewards.iter().map(|r| r.user_id.as_str()).collect();
    assert_eq!(who, ["ann", "ann"]);
}
