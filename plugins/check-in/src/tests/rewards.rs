//! Cycle rewards and milestones.
use super::*;
use arcade_sdk::{Reward, RewardKind};

#[test]
fn cycle_rewards_repeat_with_the_cycle_length() {
    let mut h = host(json!({"cycle_rewards": [
        {"points": 5},
        {"tickets": {"name": "spins", "amount": 1}},
        {"coupon": {"id": "c10", "name": "10 yuan off", "value_fen": 1000, "valid_days": 3}}
    ]}));
    let mut kinds = Vec::new();
    for day in 0..8 {
        noon(&mut h, day);
        let out = check_in(&mut h, "u").unwrap();
        assert_eq!(out.result["streak"], day + 1);
        assert_eq!(out.result["cycle_day"], day % 3 + 1);
        assert_eq!(out.result["cycle_length"], 3);
        assert_eq!(out.rewards.len(), 1);
        kinds.push(out.rewards[0].kind);
        if out.rewards[0].kind == RewardKind::Coupon {
            assert_eq!(out.rewards[0].amount, 1000);
            assert_eq!(out.rewards[0].expires_ms, Some(h_now(day) + 3 * DAY_MS));
        }
    }
    use RewardKind::*;
    assert_eq!(
        kinds,
        [
            Points, Tickets, Coupon, Points, Tickets, Coupon, Points, Tickets
        ]
    );
    assert_eq!(h.balance("u", "points"), 15);
    assert_eq!(h.balance("u", "spins"), 3);
    let view = h.view::<CheckIn>("u").unwrap();
    assert_eq!(view["next_cycle_day"], 3);
    assert_eq!(view["next_cycle_reward"]["kind"], "coupon");
}

#[test]
fn milestones_are_granted_once() {
    let mut h = host(json!({
        "cycle_rewards": [{"points": 1}],
        "milestones": [
            {"days": 3, "reward": {"prize": {"id": "mug", "name": "Mug"}}},
            {"days": 2, "reward": {"points": 100}}
        ]
    }));
    let mut granted = Vec::new();
    // Gaps do not matter: milestones count the total, not the streak.
    for day in [0, 2, 3, 5, 6, 9] {
        noon(&mut h, day);
        let out = check_in(&mut h, "u").unwrap();
        for r in &out.rewards[1..] {
            granted.push((out.result["total"].as_u64().unwrap(), r.kind));
        }
        assert_eq!(out.events.len(), out.rewards.len() - 1);
    }
    assert_eq!(granted, [(2, RewardKind::Points), (3, RewardKind::Prize)]);
    assert_eq!(h.balance("u", "points"), 6 + 100);
    let view = h.view::<CheckIn>("u").unwrap();
    assert_eq!(view["milestones"][0]["days"], 2);
    assert_eq!(view["milestones"][1]["reached"], true);
    assert!(view["next_milestone"].is_null());
}

#[test]
fn milestones_count_make_ups() {
    let mut h = host(json!({
        "cycle_rewards": [{"points": 1}],
        "milestones": [{"days": 2, "reward": {"points": 100}}],
        "makeup": {"window_days": 5, "per_month": 5}
    }));
    check_in(&mut h, "u").unwrap();
    noon(&mut h, 3);
    let out = make_up(&mut h, "u", 1).unwrap();
    assert_eq!(out.result["milestones_reached"], json!([2]));
    assert_eq!(out.rewards, vec![Reward::points(100).to("u")]);
    assert_eq!(out.events[0].kind, "check_in.milestone_reached");
    assert!(check_in(&mut h, "u").unwrap().rewards.len() == 1);
}
