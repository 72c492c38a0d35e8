//! Config checks: every problem names its field.
use super::*;

#[test]
fn config_errors_name_the_field() {
    let fields = |config: Value| -> Vec<String> {
        let mut h = MockHost::new(&config.to_string());
        h.setup::<CheckIn>()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect()
    };
    assert_eq!(fields(json!({"cycle_rewards": []})), ["cycle_rewards"]);
    // A missing field is named by its own path.
    assert_eq!(fields(json!({})), ["cycle_rewards"]);
    assert_eq!(
        fields(json!({"cycle_rewards": [{"points": 1}], "bogus": 1})),
        ["bogus"]
    );
    assert_eq!(
        fields(
            json!({"cycle_rewards": [{"points": 0}, {"coupon": {"id": "", "name": "C", "value_fen": 0, "valid_days": 0}}]})
        ),
        [
            "cycle_rewards[0].points",
            "cycle_rewards[1].coupon.id",
            "cycle_rewards[1].coupon.value_fen",
            "cycle_rewards[1].coupon.valid_days"
        ]
    );
    assert_eq!(
        fields(json!({"cycle_rewards": [{"tickets": {"name": "points", "amount": 0}}]})),
        [
            "cycle_rewards[0].tickets.name",
            "cycle_rewards[0].tickets.amount"
        ]
    );
    assert_eq!(
        fields(json!({"cycle_rewards": [{"points": 1}], "milestones": [
            {"days": 7, "reward": {"points": 5}},
            {"days": 7, "reward": {"prize": {"id": "mug", "name": ""}}},
            {"days": 0, "reward": {"points": 5}}
        ]})),
        [
            "milestones[1].days",
            "milestones[1].reward.prize.name",
            "milestones[2].days"
        ]
    );
    assert_eq!(
        fields(json!({"cycle_rewards": [{"points": 1}],
                      "makeup": {"window_days": 0, "per_month": 0, "cost_points": 0}})),
        [
            "makeup.window_days",
            "makeup.per_month",
            "makeup.cost_points"
        ]
    );
    assert_eq!(
        fields(
            json!({"cycle_rewards": [{"points": 1}], "makeup": {"window_days": 366, "per_month": 1}})
        ),
        ["makeup.window_days"]
    );
    // serde's own errors name the path too.
    assert_eq!(
        fields(json!({"cycle_rewards": [{"points": 1}, {"cash": 3}]})),
        ["cycle_rewards[1]"]
    );
    assert_eq!(
        fields(json!({"cycle_rewards": [{"points": 1}], "makeup": {"window_days": 3}})),
        ["makeup.per_month"]
    );
}
