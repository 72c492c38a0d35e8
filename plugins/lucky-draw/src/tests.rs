//! Unit tests against the SDK's mock host.
use super::*;
use arcade_sdk::json;
use arcade_sdk::testing::MockHost;

fn host(config: serde_json::Value) -> MockHost {
    let mut host = MockHost::new(&config.to_string());
    host.setup::<LuckyDraw>().expect("valid config");
    host
}

#[test]
fn config_errors_name_the_field() {
    let mut h = MockHost::new(r#"{"prizes":[{"id":"a","name":"A","weight":0}]}"#);
    let errs = h.setup::<LuckyDraw>().unwrap_err();
    assert_eq!(errs[0].field, "prizes[0].weight");
    let mut h = MockHost::new(r#"{"prizes":[{"id":"a","name":"A","weight":-1}]}"#);
    let errs = h.setup::<LuckyDraw>().unwrap_err();
    assert_eq!(errs[0].field, "prizes[0].weight");
    let mut h = MockHost::new(r#"{"prizes":[],"per_user_daily":0}"#);
    let fields: Vec<_> = h
        .setup::<LuckyDraw>()
        .unwrap_err()
        .into_iter()
        .map(|e| e.field)
        .collect();
    assert_eq!(fields, ["prizes", "per_user_daily"]);
}

#[test]
fn stock_runs_out_and_weight_goes_to_miss() {
    let mut h = host(json!({"prizes":[{"id":"p","name":"P","weight":1,"stock":3}]}));
    let mut wins = 0;
    for _ in 0..10 {
        let out = h.handle::<LuckyDraw>("u", "draw", json!({})).unwrap();
        if out.result["prize"] == "p" {
            wins += 1;
            assert_eq!(out.rewards.len(), 1);
        } else {
            assert!(out.rewards.is_empty());
        }
    }
    assert_eq!(wins, 3);
    assert_eq!(h.stock("p"), Some(0));
}

#[test]
fn daily_limit_resets_on_the_next_business_day() {
    let mut h = host(json!({"prizes":[{"id":"p","name":"P","weight":1}],"per_user_daily":2}));
    // 2026-01-01 15:59:59 UTC is 23:59:59 in UTC+8.
    h.set_now_ms(1_767_283_199_000);
    h.handle::<LuckyDraw>("u", "draw", json!({})).unwrap();
    h.handle::<LuckyDraw>("u", "draw", json!({})).unwrap();
    let err = h.handle::<LuckyDraw>("u", "draw", json!({})).unwrap_err();
    assert_eq!(err.code, "daily_limit_reached");
    h.set_now_ms(1_767_283_200_000);
    let out = h.handle::<LuckyDraw>("u", "draw", json!({})).unwrap();
    assert_eq!(out.result["draws_left_today"], 1);
    assert_eq!(h.view::<LuckyDraw>("u").unwrap()["draws_total"], 3);
}

proptest::proptest! {
    /// Whatever the wheel and however many draws, no prize is won more
    /// often than its stock, stock never goes below zero, and wins and
    /// stock agree.
    #[test]
    fn stock_is_never_oversold(
        prizes in proptest::collection::vec((1u64..20, proptest::option::of(0u64..6)), 1..5),
        miss in 0u64..30,
        draws in 1usize..60,
        seed in proptest::prelude::any::<u64>(),
    ) {
        let config = json!({
            "prizes": prizes.iter().enumerate().map(|(i, (w, s))| json!({
                "id": format!("p{i}"), "name": "P", "weight": w, "stock": s
            })).collect::<Vec<_>>(),
            "miss_weight": miss,
        });
        let mut h = host(config);
        h.seed(seed);
        let mut wins = vec![0u64; prizes.len()];
        for n in 0..draws {
            let out = h.handle::<LuckyDraw>(&format!("u{n}"), "draw", json!({})).unwrap();
            if let Some(id) = out.result["prize"].as_str() {
                wins[id[1..].parse::<usize>().unwrap()] += 1;
            }
        }
        for (i, (_, stock)) in prizes.iter().enumerate() {
            if let Some(stock) = stock {
                proptest::prop_assert!(wins[i] <= *stock);
                proptest::prop_assert_eq!(h.stock(&format!("p{i}")), Some(stock - wins[i]));
            }
        }
    }
}

#[test]
fn grid_positions_and_miss_cells() {
    let mut h = host(json!({
        "prizes": [{"id": "a", "name": "A", "weight": 1, "position": 4},
                   {"id": "b", "name": "B", "weight": 1}],
        "miss_weight": 2,
        "presentation": {"style": "grid"}
    }));
    let view = h.view::<LuckyDraw>("u").unwrap();
    assert_eq!(view["prizes"][0]["position"], 4);
    assert_eq!(view["prizes"][1]["position"], 0);
    assert_eq!(
        view["presentation"]["miss_cells"],
        json!([1, 2, 3, 5, 6, 7])
    );
    for n in 0..40 {
        let out = h
            .handle::<LuckyDraw>(&format!("u{n}"), "draw", json!({}))
            .unwrap();
        let pos = out.result["position"].as_u64().unwrap();
        match out.result["prize"].as_str() {
            Some("a") => assert_eq!(pos, 4),
            Some("b") => assert_eq!(pos, 0),
            _ => assert!([1, 2, 3, 5, 6, 7].contains(&pos)),
        }
    }
}

#[test]
fn layout_errors_name_the_field() {
    let mut h = MockHost::new(
        &json!({"prizes": [{"id": "a", "name": "A", "weight": 1, "position": 8}],
                "presentation": {"style": "grid"}})
        .to_string(),
    );
    assert_eq!(
        h.setup::<LuckyDraw>().unwrap_err()[0].field,
        "prizes[0].position"
    );
    let full: Vec<_> = (0..8)
        .map(|i| json!({"id": format!("p{i}"), "name": "P", "weight": 1}))
        .collect();
    let mut h = MockHost::new(
        &json!({"prizes": full, "miss_weight": 1, "presentation": {"style": "grid"}}).to_string(),
    );
    assert_eq!(h.setup::<LuckyDraw>().unwrap_err()[0].field, "miss_weight");
}

#[test]
fn draws_cost_points_and_refuse_when_short() {
    let mut h = host(json!({"prizes": [{"id": "p", "name": "P", "weight": 1}], "cost_points": 10}));
    h.set_balance("u", "points", 25);
    h.handle::<LuckyDraw>("u", "draw", json!({})).unwrap();
    h.handle::<LuckyDraw>("u", "draw", json!({})).unwrap();
    let err = h.handle::<LuckyDraw>("u", "draw", json!({})).unwrap_err();
    assert_eq!(err.code, "insufficient_points");
    assert_eq!(h.balance("u", "points"), 5);
}

#[test]
fn pity_guarantees_a_prize_after_a_run_of_misses() {
    let mut h = host(json!({
        "prizes": [{"id": "rare", "name": "Rare", "weight": 1, "stock": 100}],
        "miss_weight": 1_000_000,
        "pity": {"after": 5, "prize": "rare"}
    }));
    for round in 0..3 {
        for n in 0..4 {
            let out = h.handle::<LuckyDraw>("u", "draw", json!({})).unwrap();
            assert!(out.result["prize"].is_null(), "round {round} draw {n}");
        }
        let out = h.handle::<LuckyDraw>("u", "draw", json!({})).unwrap();
        assert_eq!(out.result["prize"], "rare");
        assert_eq!(out.result["pity"], true);
    }
    assert_eq!(h.stock("rare"), Some(97));
}

#[test]
fn extra_draws_spend_tickets_after_the_free_ones() {
    let mut h = host(json!({
        "prizes": [{"id": "p", "name": "P", "weight": 1}],
        "per_user_daily": 1,
        "extra_draws": {"ticket": "spins"}
    }));
    h.set_balance("u", "spins", 2);
    let first = h.handle::<LuckyDraw>("u", "draw", json!({})).unwrap();
    assert_eq!(first.result["used_ticket"], false);
    for _ in 0..2 {
        let out = h.handle::<LuckyDraw>("u", "draw", json!({})).unwrap();
        assert_eq!(out.result["used_ticket"], true);
    }
    let err = h.handle::<LuckyDraw>("u", "draw", json!({})).unwrap_err();
    assert_eq!(err.code, "daily_limit_reached");
    assert_eq!(h.balance("u", "spins"), 0);
    assert_eq!(h.view::<LuckyDraw>("u").unwrap()["extra_draw_tickets"], 0);
}

#[test]
fn a_miss_gets_the_consolation_coupon() {
    let mut h = host(json!({
        "prizes": [{"id": "p", "name": "P", "weight": 1, "stock": 0}],
        "consolation": {"coupon": {"id": "c5", "name": "5 yuan off", "value_fen": 500, "valid_days": 7}}
    }));
    let out = h.handle::<LuckyDraw>("u", "draw", json!({})).unwrap();
    assert!(out.result["prize"].is_null());
    assert_eq!(out.rewards.len(), 1);
    assert_eq!(out.rewards[0].kind, arcade_sdk::RewardKind::Coupon);
    assert_eq!(out.rewards[0].amount, 500);
    assert_eq!(
        out.rewards[0].expires_ms,
        Some(1_767_225_600_000 + 7 * arcade_sdk::DAY_MS)
    );
}

#[test]
fn consolation_is_a_reward_spec() {
    let mut h = host(json!({
        "prizes": [{"id": "p", "name": "P", "weight": 1, "stock": 0}],
        "consolation": {"points": 30}
    }));
    let out = h.handle::<LuckyDraw>("u", "draw", json!({})).unwrap();
    assert_eq!(
        out.result["consolation"],
        json!({"kind": "points", "amount": 30})
    );
    assert_eq!(h.balance("u", "points"), 30);
    let mut h = MockHost::new(
        &json!({"prizes": [{"id": "p", "name": "P", "weight": 1}],
                "consolation": {"coupon": {"id": "", "name": "C", "value_fen": 0}}})
        .to_string(),
    );
    let fields: Vec<_> = h
        .setup::<LuckyDraw>()
        .unwrap_err()
        .into_iter()
        .map(|e| e.field)
        .collect();
    assert_eq!(
        fields,
        ["consolation.coupon.id", "consolation.coupon.value_fen"]
    );
}

#[test]
fn draw_ignores_the_fields_of_its_payload() {
    // A payload is always a JSON object (the host refuses anything else);
    // whatever fields it has, a draw ignores them.
    let mut h = host(json!({"prizes": [{"id": "p", "name": "P", "weight": 1}]}));
    for payload in [json!({"x": 1}), json!({}), json!({"spin": true})] {
        let out = h.handle::<LuckyDraw>("u", "draw", payload).unwrap();
        assert_eq!(out.result["prize"], "p");
    }
}
