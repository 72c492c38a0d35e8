//! The optional parts: the owner's first cut, the new-member bonus, stock.
use super::*;
use arcade_sdk::{ErrorKind, RewardKind};

#[test]
fn owner_first_cut_takes_its_share() {
    let mut h = host(with(
        base(),
        "owner_first_cut",
        json!({"min_percent": 40, "max_percent": 60}),
    ));
    for n in 0..20 {
        let out = h
            .handle::<PriceCut>(&format!("o{n}"), "start", json!({}))
            .unwrap();
        let cut = out.result["owner_cut_fen"].as_u64().unwrap();
        assert!((3_960..=5_940).contains(&cut), "cut {cut}");
        assert_eq!(out.result["price_fen"], 10_000 - cut);
        assert_eq!(out.result["helps_left"], 3);
        assert_eq!(out.result["cuts"][0]["owner_cut"], true);
        let id = out.result["bargain_id"].as_str().unwrap().to_owned();
        let mut last = None;
        for helper in ["a", "b", "c"] {
            last = Some(help(&mut h, &format!("{helper}{n}"), &id).unwrap());
        }
        assert_eq!(last.unwrap().result["price_fen"], 100);
    }
}

#[test]
fn new_member_bonus_and_double_cut() {
    let mut h = host(with(
        with(base(), "helpers_needed", json!(2)),
        "new_member_bonus",
        json!({"reward": {"coupon": {"id": "welcome", "name": "5 yuan off", "value_fen": 500, "valid_days": 7}},
               "double_cut": true}),
    ));
    h.set_first_seen("old", Some(START_MS - 1));
    let id = start(&mut h, "owner");
    let out = help(&mut h, "old", &id).unwrap();
    assert!(out.rewards.is_empty());
    assert!(out.result["new_member_bonus"].is_null());
    let out = help(&mut h, "newbie", &id).unwrap();
    assert_eq!(out.result["status"], "completed");
    let coupon = out
        .rewards
        .iter()
        .find(|r| r.kind == RewardKind::Coupon)
        .unwrap();
    assert_eq!(coupon.user_id, "newbie");
    assert_eq!(coupon.amount, 500);
    assert_eq!(coupon.expires_ms, Some(START_MS + 7 * arcade_sdk::DAY_MS));
    let prize = out
        .rewards
        .iter()
        .find(|r| r.kind == RewardKind::Prize)
        .unwrap();
    assert_eq!(prize.user_id, "owner");
    assert_eq!(
        out.result["new_member_bonus"],
        json!({"kind": "coupon", "id": "welcome", "name": "5 yuan off", "value_fen": 500,
               "valid_days": 7, "double_cut": true})
    );
    // The helper is no longer new after that help.
    let id2 = start(&mut h, "owner2");
    let out = help(&mut h, "newbie", &id2).unwrap();
    assert!(out.rewards.is_empty());
}

#[test]
fn points_bonus_is_credited() {
    let mut h = host(with(
        base(),
        "new_member_bonus",
        json!({"reward": {"points": 30}}),
    ));
    let id = start(&mut h, "owner");
    let out = help(&mut h, "fresh", &id).unwrap();
    assert_eq!(out.rewards[0].kind, RewardKind::Points);
    assert_eq!(h.balance("fresh", "points"), 30);
}

#[test]
fn stock_is_claimed_on_completion_and_sold_out_refuses() {
    let mut h = host(with(
        with(base(), "stock", json!(1)),
        "helpers_needed",
        json!(1),
    ));
    let first = start(&mut h, "o1");
    let second = start(&mut h, "o2");
    help(&mut h, "a", &first).unwrap();
    assert_eq!(h.stock("kettle"), Some(0));
    let err = help(&mut h, "b", &second).unwrap_err();
    assert_eq!(
        (err.kind, err.code.as_str()),
        (ErrorKind::Rejected, "sold_out")
    );
    // The refused help counted nothing: the bargain is still open and b
    // still has both helps today.
    let view = h.view::<PriceCut>("b").unwrap();
    assert_eq!(view["helps_left_today"], 2);
    assert_eq!(
        h.view::<PriceCut>("o2").unwrap()["bargains"][0]["helps_left"],
        1
    );
    let err = h.handle::<PriceCut>("o3", "start", json!({})).unwrap_err();
    assert_eq!(err.code, "sold_out");
    assert_eq!(h.view::<PriceCut>("o3").unwrap()["item"]["remaining"], 0);
}
