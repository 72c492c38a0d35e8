use serde_json::json;

use super::{DAY, HOUR, OP, START, act, approved, code, host, submit, vote};
use crate::Voting;

#[test]
fn one_vote_per_entry_per_day_within_the_daily_votes() {
    let mut host = host(json!({"votes_per_day": 2}));
    let [a, b, c] = ["ann", "bob", "cat"].map(|u| approved(&mut host, u, u));
    let out = vote(&mut host, "dan", &a).unwrap();
    assert_eq!(
        out.result,
        json!({"entry_id": a, "votes": 1, "votes_left_today": 1, "voted_today": [a]})
    );
    assert_eq!(code(vote(&mut host, "dan", &a)), "already_voted_today");
    assert_eq!(
        vote(&mut host, "dan", &b).unwrap().result["votes_left_today"],
        0
    );
    assert_eq!(code(vote(&mut host, "dan", &c)), "no_votes_left");
    // Refusals used up nothing and counted nothing.
    let view = host.view::<Voting>("dan").unwrap();
    assert_eq!(view["votes_left_today"], 0);
    assert_eq!(view["voted_today"], json!([a, b]));
    assert_eq!(view["leaderboard"][0]["votes"], 1);
    assert_eq!(vote(&mut host, "eve", &a).unwrap().result["votes"], 2);
}

#[test]
fn a_new_business_day_in_the_activity_zone_brings_new_votes() {
    // The mock host is at UTC+8: START is 08:00 local, midnight is 16 h on.
    let mut host = host(json!({}));
    let a = approved(&mut host, "ann", "a");
    vote(&mut host, "dan", &a).unwrap();
    host.set_now_ms(START + 16 * HOUR - 1);
    assert_eq!(code(vote(&mut host, "dan", &a)), "already_voted_today");
    assert_eq!(host.view::<Voting>("dan").unwrap()["votes_left_today"], 0);
    host.set_now_ms(START + 16 * HOUR);
    let view = host.view::<Voting>("dan").unwrap();
    assert_eq!(
        (
            view["votes_left_today"].as_u64(),
            view["voted_today"].clone()
        ),
        (Some(1), json!([]))
    );
    assert_eq!(vote(&mut host, "dan", &a).unwrap().result["votes"], 2);
}

#[test]
fn only_approved_entries_of_others_take_votes() {
    let mut host = host(json!({}));
    let pending = submit(&mut host, "ann", "pending");
    let rejected = submit(&mut host, "bob", "rejected");
    act(&mut host, OP, "reject", json!({"entry_id": rejected})).unwrap();
    assert_eq!(code(vote(&mut host, "dan", &pending)), "entry_not_approved");
    assert_eq!(
        code(vote(&mut host, "dan", &rejected)),
        "entry_not_approved"
    );
    assert_eq!(code(vote(&mut host, "dan", "e99")), "unknown_entry");
    assert_eq!(
        code(vote(&mut host, "dan", &"e1".repeat(200))),
        "unknown_entry"
    );
    let bad = act(&mut host, "dan", "vote", json!({"entry": "e1"}));
    assert_eq!(code(bad), "invalid_payload");

    let own = approved(&mut host, "cat", "mine");
    assert_eq!(code(vote(&mut host, "cat", &own)), "own_entry");
    let mut lenient = super::host(json!({"allow_self_vote": true}));
    let own = approved(&mut lenient, "cat", "mine");
    assert_eq!(code(vote(&mut lenient, "cat", &own)), "ok");
}

#[test]
fn votes_wait_for_the_voting_window_and_stop_at_the_close() {
    let mut host = host(json!({"voting_opens_at_ms": START + DAY}));
    let a = approved(&mut host, "ann", "a");
    assert_eq!(code(vote(&mut host, "dan", &a)), "voting_not_open");
    assert_eq!(host.view::<Voting>("dan").unwrap()["voting_open"], false);
    host.set_now_ms(START + DAY);
    assert_eq!(code(vote(&mut host, "dan", &a)), "ok");
    host.set_now_ms(START + 7 * DAY);
    // Closed by the clock, before the close timer has run.
    assert_eq!(code(vote(&mut host, "eve", &a)), "contest_closed");
    assert_eq!(
        code(act(&mut host, "eve", "submit", json!({"title": "t"}))),
        "contest_closed"
    );
    assert_eq!(
        code(act(&mut host, OP, "approve", json!({"entry_id": a}))),
        "contest_closed"
    );
}

#[test]
fn unknown_actions_are_named() {
    let mut host = host(json!({}));
    assert_eq!(
        code(act(&mut host, "ann", "like", json!({}))),
        "unknown_action"
    );
}
