//! Unit tests against the SDK's mock host.
use super::*;
use arcade_sdk::testing::MockHost;
use arcade_sdk::{ErrorKind, RewardKind};

const START_MS: i64 = 1_767_225_600_000;

fn base() -> serde_json::Value {
    json!({
        "item": {"id": "kettle", "name": "Kettle", "original_price_fen": 10_000, "floor_price_fen": 100},
        "helpers_needed": 3,
        "time_limit_minutes": 60,
        "max_helps_per_day": 2
    })
}

fn with(mut config: serde_json::Value, key: &str, value: serde_json::Value) -> serde_json::Value {
    config[key] = value;
    config
}

fn host(config: serde_json::Value) -> MockHost {
    let mut host = MockHost::new(&config.to_string());
    host.setup::<PriceCut>().expect("valid config");
    host
}

fn start(h: &mut MockHost, owner: &str) -> String {
    let out = h.handle::<PriceCut>(owner, "start", json!({})).unwrap();
    out.result["bargain_id"].as_str().unwrap().to_owned()
}

fn help(
    h: &mut MockHost,
    helper: &str,
    id: &str,
) -> Result<arcade_sdk::testing::MockOutcome, Error> {
    h.handle::<PriceCut>(helper, "help", json!({"bargain_id": id}))
}

fn config_fields(config: serde_json::Value) -> Vec<String> {
    let mut h = MockHost::new(&config.to_string());
    h.setup::<PriceCut>()
        .unwrap_err()
        .into_iter()
        .map(|e| e.field)
        .collect()
}

#[test]
fn config_errors_name_the_field() {
    let mut c = base();
    c["item"]["floor_price_fen"] = json!(10_000);
    assert_eq!(config_fields(c), ["item.floor_price_fen"]);
    let mut c = base();
    c["item"]["floor_price_fen"] = json!(-1);
    assert_eq!(config_fields(c), ["item.floor_price_fen"]);
    assert_eq!(
        config_fields(with(base(), "helpers_needed", json!(0))),
        ["helpers_needed"]
    );
    assert_eq!(
        config_fields(with(base(), "helpers_needed", json!(101))),
        ["helpers_needed"]
    );
    assert_eq!(
        config_fields(with(base(), "max_helps_per_day", json!(0))),
        ["max_helps_per_day"]
    );
    assert_eq!(
        config_fields(with(base(), "time_limit_minutes", json!(0))),
        ["time_limit_minutes"]
    );
    assert_eq!(
        config_fields(with(base(), "max_bargains_per_user", json!(0))),
        ["max_bargains_per_user"]
    );
    assert_eq!(
        config_fields(with(
            base(),
            "owner_first_cut",
            json!({"min_percent": 50, "max_percent": 40})
        )),
        ["owner_first_cut.max_percent"]
    );
    assert_eq!(
        config_fields(with(
            base(),
            "new_member_bonus",
            json!({"kind": "coupon", "name": "5 off", "amount": 500})
        )),
        ["new_member_bonus.id"]
    );
    assert_eq!(
        config_fields(with(base(), "colour", json!("red"))),
        ["colour"]
    );
    // Not enough fen for every help to cut at least 1.
    let mut c = with(base(), "helpers_needed", json!(10));
    c["item"] = json!({"id": "x", "name": "X", "original_price_fen": 109, "floor_price_fen": 100});
    assert_eq!(config_fields(c.clone()), ["helpers_needed"]);
    c["item"]["original_price_fen"] = json!(110);
    host(c.clone());
    let c = with(
        c,
        "owner_first_cut",
        json!({"min_percent": 10, "max_percent": 20}),
    );
    assert_eq!(config_fields(c), ["helpers_needed"]);
}

#[test]
fn start_creates_an_open_bargain_with_a_timer() {
    let mut h = host(base());
    let out = h.handle::<PriceCut>("owner", "start", json!({})).unwrap();
    let id = out.result["bargain_id"].as_str().unwrap();
    assert_eq!(out.result["price_fen"], 10_000);
    assert_eq!(out.result["helps_left"], 3);
    assert_eq!(out.result["status"], "open");
    assert_eq!(out.result["time_left_ms"], 3_600_000);
    assert_eq!(out.events[0].kind, "bargain.started");
    assert_eq!(
        h.pending_timers(),
        [(format!("expire:{id}"), START_MS + 3_600_000)]
    );
    let err = h
        .handle::<PriceCut>("owner", "start", json!({"x": 1}))
        .unwrap_err();
    assert_eq!(err.code, "invalid_payload");
}

#[test]
fn completes_exactly_at_help_n_on_the_floor_price() {
    let mut h = host(base());
    let id = start(&mut h, "owner");
    let mut total = 0;
    for (n, helper) in ["a", "b", "c"].into_iter().enumerate() {
        let out = help(&mut h, helper, &id).unwrap();
        let cut = out.result["cut_fen"].as_u64().unwrap();
        assert!(cut >= 1);
        total += cut;
        assert_eq!(out.result["price_fen"], 10_000 - total);
        assert_eq!(out.result["helps_left"], 2 - n);
        if n < 2 {
            assert_eq!(out.result["status"], "open");
            assert!(out.rewards.is_empty() && out.events.is_empty());
        } else {
            assert_eq!(out.result["status"], "completed");
            assert_eq!(out.result["price_fen"], 100);
            assert_eq!(out.rewards.len(), 1);
            let r = &out.rewards[0];
            assert_eq!(
                (r.kind, r.item.as_str(), r.user_id.as_str()),
                (RewardKind::Prize, "kettle", "owner")
            );
            assert_eq!(out.events.len(), 1);
            assert_eq!(out.events[0].kind, "bargain.completed");
            assert_eq!(out.events[0].subject, id);
            assert_eq!(out.events[0].data["helpers"], json!(["a", "b", "c"]));
        }
    }
    assert_eq!(total, 9_900);
    assert!(
        h.pending_timers().is_empty(),
        "completion cancels the timer"
    );
    let err = help(&mut h, "d", &id).unwrap_err();
    assert_eq!(
        (err.kind, err.code.as_str()),
        (ErrorKind::Rejected, "bargain_closed")
    );
    let view = h.view::<PriceCut>("owner").unwrap();
    assert_eq!(view["bargains"][0]["status"], "completed");
    assert_eq!(view["bargains"][0]["price_fen"], 100);
    assert_eq!(view["bargains"][0]["cuts"].as_array().unwrap().len(), 3);
}

#[test]
fn help_errors() {
    let mut h = host(base());
    let id = start(&mut h, "owner");
    let err = help(&mut h, "a", "nope").unwrap_err();
    assert_eq!(
        (err.kind, err.code.as_str()),
        (ErrorKind::NotFound, "bargain_not_found")
    );
    let err = help(&mut h, "a", &"x".repeat(200)).unwrap_err();
    assert_eq!(err.code, "bargain_not_found");
    let err = h.handle::<PriceCut>("a", "help", json!({})).unwrap_err();
    assert_eq!(
        (err.kind, err.code.as_str()),
        (ErrorKind::InvalidInput, "invalid_payload")
    );
    let err = help(&mut h, "owner", &id).unwrap_err();
    assert_eq!(err.code, "cannot_help_own_bargain");
    help(&mut h, "a", &id).unwrap();
    let err = help(&mut h, "a", &id).unwrap_err();
    assert_eq!(err.code, "already_helped");
    let err = h.handle::<PriceCut>("a", "haggle", json!({})).unwrap_err();
    assert_eq!(err.code, "unknown_action");
}

#[test]
fn daily_help_limit_resets_on_the_next_business_day() {
    let mut h = host(with(base(), "time_limit_minutes", json!(3 * 24 * 60)));
    let ids: Vec<String> = (0..4).map(|i| start(&mut h, &format!("o{i}"))).collect();
    // 2026-01-01 15:59:59 UTC is 23:59:59 in UTC+8.
    h.set_now_ms(1_767_283_199_000);
    let out = help(&mut h, "a", &ids[0]).unwrap();
    assert_eq!(out.result["helps_left_today"], 1);
    help(&mut h, "a", &ids[1]).unwrap();
    let err = help(&mut h, "a", &ids[2]).unwrap_err();
    assert_eq!(err.code, "daily_help_limit_reached");
    assert_eq!(h.view::<PriceCut>("a").unwrap()["helps_left_today"], 0);
    h.set_now_ms(1_767_283_200_000);
    assert_eq!(h.view::<PriceCut>("a").unwrap()["helps_left_today"], 2);
    help(&mut h, "a", &ids[2]).unwrap();
    let view = h.view::<PriceCut>("a").unwrap();
    assert_eq!(view["helped"].as_array().unwrap().len(), 3);
    assert_eq!(view["helped"][0]["bargain_id"], ids[2].as_str());
}

#[test]
fn the_timer_expires_an_open_bargain() {
    let mut h = host(base());
    let id = start(&mut h, "owner");
    help(&mut h, "a", &id).unwrap();
    h.set_now_ms(START_MS + 3_600_000 - 1);
    assert!(h.fire_due_timers::<PriceCut>().is_empty());
    let view = h.view::<PriceCut>("owner").unwrap();
    assert_eq!(view["bargains"][0]["time_left_ms"], 1);
    h.set_now_ms(START_MS + 3_600_000);
    // Past the deadline a help is refused even before the timer fires.
    let err = help(&mut h, "b", &id).unwrap_err();
    assert_eq!(err.code, "bargain_closed");
    let fired = h.fire_due_timers::<PriceCut>();
    assert_eq!(fired.len(), 1);
    let out = fired[0].1.as_ref().unwrap();
    assert_eq!(out.result["expired"], true);
    assert_eq!(out.events[0].kind, "bargain.expired");
    assert_eq!(out.events[0].subject, id);
    assert_eq!(out.events[0].data["helps_left"], 2);
    assert!(out.rewards.is_empty());
    let view = h.view::<PriceCut>("owner").unwrap();
    assert_eq!(view["bargains"][0]["status"], "expired");
    assert_eq!(view["bargains"][0]["time_left_ms"], 0);
    // The owner may start again once the old bargain is closed.
    start(&mut h, "owner");
}

#[test]
fn one_open_bargain_at_a_time_and_per_user_limit() {
    let mut h = host(with(base(), "max_bargains_per_user", json!(2)));
    let id = start(&mut h, "owner");
    let err = h
        .handle::<PriceCut>("owner", "start", json!({}))
        .unwrap_err();
    assert_eq!(err.code, "bargain_in_progress");
    for helper in ["a", "b", "c"] {
        help(&mut h, helper, &id).unwrap();
    }
    start(&mut h, "owner");
    h.set_now_ms(START_MS + 3_600_000);
    h.fire_due_timers::<PriceCut>();
    let err = h
        .handle::<PriceCut>("owner", "start", json!({}))
        .unwrap_err();
    assert_eq!(err.code, "bargain_limit_reached");
    assert_eq!(h.view::<PriceCut>("owner").unwrap()["bargains_left"], 0);
}

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
        json!({"kind": "coupon", "id": "welcome", "name": "5 yuan off", "amount": 500, "valid_days": 7, "double_cut": true}),
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
    assert_eq!(coupon.expires_ms, Some(START_MS + 7 * 86_400_000));
    let prize = out
        .rewards
        .iter()
        .find(|r| r.kind == RewardKind::Prize)
        .unwrap();
    assert_eq!(prize.user_id, "owner");
    assert_eq!(out.result["new_member_bonus"]["double_cut"], true);
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
        json!({"kind": "points", "name": "Welcome points", "amount": 30}),
    ));
    let id = start(&mut h, "owner");
    let out = help(&mut h, "fresh", &id).unwrap();
    assert_eq!(out.rewards[0].kind, RewardKind::Points);
    assert_eq!(h.balance("fresh", "points"), 30);
}

#[test]
fn double_cut_takes_more_on_average() {
    let mut rng = 7u64;
    let mut below = |n: u64| {
        rng = rng.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (rng >> 33) % n
    };
    let (mut single, mut double) = (0, 0);
    for _ in 0..2_000 {
        single += next_cut(10_000, 10, false, &mut below);
        double += next_cut(10_000, 10, true, &mut below);
    }
    assert!(double > single * 3 / 2, "{double} vs {single}");
    // Capped so each help still to come gets 1 fen.
    assert_eq!(next_cut(5, 5, true, &mut |_| 0), 1);
    assert_eq!(next_cut(6, 5, true, &mut |_| 0), 2);
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

#[test]
fn manifest_declares_both_actions() {
    let m = PriceCut::manifest();
    assert_eq!(m.name(), "price-cut");
    let d = arcade_sdk::glue::describe::<PriceCut>();
    let names: Vec<_> = d.actions.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["start", "help"]);
    let schema: serde_json::Value = serde_json::from_str(&d.config_schema).unwrap();
    assert_eq!(schema["properties"]["helpers_needed"]["maximum"], 100);
}

proptest::proptest! {
    /// The cut algorithm alone, over a wide range: every cut is at least
    /// 1 fen, the price never drops below the floor, and the N-th help
    /// lands exactly on it.
    #[test]
    fn cuts_sum_to_the_reduction(
        extra in 0u64..10_000_000,
        n in 1u32..=100,
        doubles in proptest::collection::vec(proptest::prelude::any::<bool>(), 100),
        owner in proptest::option::of((1u32..=99, 0u32..=98)),
        seed in proptest::prelude::any::<u64>(),
    ) {
        let total = u64::from(n) + u64::from(owner.is_some()) + extra;
        let mut rng = seed;
        let mut below = |bound: u64| {
            rng = rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = rng;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) % bound
        };
        let mut remaining = total;
        if let Some((lo, span)) = owner {
            let hi = (lo + span).min(99);
            let cut = owner_cut(total, n, lo, hi, &mut below);
            proptest::prop_assert!(cut >= 1 && remaining - cut >= u64::from(n));
            remaining -= cut;
        }
        for k in 0..n {
            let left = n - k;
            let cut = next_cut(remaining, left, doubles[k as usize], &mut below);
            proptest::prop_assert!(cut >= 1);
            proptest::prop_assert!(cut <= remaining - u64::from(left - 1));
            remaining -= cut;
        }
        proptest::prop_assert_eq!(remaining, 0);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// A full bargain through the mock host: the helps' cuts sum exactly
    /// to original - floor, each is at least 1 fen, the price never goes
    /// below the floor, and it reaches the floor exactly at help N.
    #[test]
    fn a_full_bargain_lands_on_the_floor(
        floor in 0u64..100_000,
        extra in 0u64..1_000_000,
        n in 1u32..=100,
        seed in proptest::prelude::any::<u64>(),
    ) {
        let original = floor + u64::from(n) + extra;
        let mut h = host(json!({
            "item": {"id": "i", "name": "I", "original_price_fen": original, "floor_price_fen": floor},
            "helpers_needed": n,
            "time_limit_minutes": 60,
            "max_helps_per_day": 1
        }));
        h.seed(seed);
        let id = start(&mut h, "owner");
        let mut price = original;
        let mut sum = 0;
        for k in 1..=n {
            let out = help(&mut h, &format!("h{k}"), &id).unwrap();
            let cut = out.result["cut_fen"].as_u64().unwrap();
            proptest::prop_assert!(cut >= 1);
            sum += cut;
            price -= cut;
            proptest::prop_assert_eq!(out.result["price_fen"].as_u64(), Some(price));
            proptest::prop_assert!(price >= floor);
            proptest::prop_assert_eq!(out.result["helps_left"].as_u64(), Some(u64::from(n - k)));
            let done = out.result["status"] == "completed";
            proptest::prop_assert_eq!(done, k == n);
            proptest::prop_assert_eq!(price == floor, k == n);
            proptest::prop_assert_eq!(out.events.len(), usize::from(done));
        }
        proptest::prop_assert_eq!(sum, original - floor);
        proptest::prop_assert_eq!(help(&mut h, "late", &id).unwrap_err().code, "bargain_closed");
    }
}
