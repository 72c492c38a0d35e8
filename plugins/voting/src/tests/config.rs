use arcade_sdk::testing::MockHost;
use serde_json::json;

use super::{START, config};
use crate::Voting;

/// The fields named by the config's problems.
fn problems(extra: serde_json::Value) -> Vec<String> {
    let mut host = MockHost::new(&config(extra).to_string());
    let errors = host.setup::<Voting>().unwrap_err();
    errors.into_iter().map(|e| e.field).collect()
}

#[test]
fn each_problem_names_its_field() {
    assert_eq!(
        problems(json!({
            "closes_at_ms": START,
            "submissions_close_at_ms": START + 1,
            "voting_opens_at_ms": START,
            "votes_per_day": 0,
            "entries_per_user": 6,
            "max_entries": 501,
            "leaderboard_size": 31,
        })),
        [
            "submissions_close_at_ms",
            "voting_opens_at_ms",
            "votes_per_day",
            "entries_per_user",
            "max_entries",
            "leaderboard_size"
        ]
    );
    assert_eq!(problems(json!({"moderators": []})), ["moderators"]);
    assert_eq!(
        problems(json!({"moderators": ["op", "", "op", "#x"]})),
        ["moderators[1]", "moderators[2]", "moderators[3]"]
    );
    assert_eq!(
        problems(json!({"judges": [
            {"user_id": "j1", "weight": 0},
            {"user_id": "j1"},
            {"user_id": "j2", "weight": 1001}
        ]})),
        ["judges[1].user_id", "judges[0].weight", "judges[2].weight"]
    );
}

#[test]
fn rank_rewards_are_checked_and_bounded_by_one_outcome() {
    assert_eq!(
        problems(json!({"rank_rewards": [
            {"from_rank": 0, "to_rank": 1, "reward": {"points": 10}},
            {"from_rank": 3, "to_rank": 2, "reward": {"points": 10}},
            {"from_rank": 1, "to_rank": 101, "reward": {"points": 10}},
            {"from_rank": 1, "to_rank": 1, "reward": {"points": -5}},
            {"from_rank": 1, "to_rank": 1, "reward": {"coupon": {"id": "", "name": "c", "value_fen": 0}}}
        ]})),
        [
            "rank_rewards[0].from_rank",
            "rank_rewards[1].to_rank",
            "rank_rewards[2].to_rank",
            "rank_rewards[3].reward.points",
            "rank_rewards[4].reward.coupon.id",
            "rank_rewards[4].reward.coupon.value_fen"
        ]
    );
    // Two tiers over ranks 1-40 and 20-50: 71 rewards, more than one
    // outcome may grant.
    assert_eq!(
        problems(json!({"rank_rewards": [
            {"from_rank": 1, "to_rank": 40, "reward": {"points": 10}},
            {"from_rank": 20, "to_rank": 50, "reward": {"points": 5}}
        ]})),
        ["rank_rewards"]
    );
}

#[test]
fn unknown_and_mistyped_fields_are_named() {
    assert_eq!(problems(json!({"vote_per_day": 3})), ["vote_per_day"]);
    let mut host = MockHost::new(r#"{"closes_at_ms": 1, "moderators": "op"}"#);
    let errors = host.setup::<Voting>().unwrap_err();
    assert_eq!(errors[0].field, "moderators", "{errors:?}");
}
