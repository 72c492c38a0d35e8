//! Config checks (every problem names its field) and the manifest.
use super::*;

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
            json!({"reward": {"coupon": {"id": "", "name": "5 off", "value_fen": 500}}})
        )),
        ["new_member_bonus.reward.coupon.id"]
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
fn manifest_declares_both_actions() {
    let m = PriceCut::manifest();
    assert_eq!(m.name(), "price-cut");
    let d = arcade_sdk::glue::describe::<PriceCut>();
    let names: Vec<_> = d.actions.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["start", "help"]);
    let schema: serde_json::Value = serde_json::from_str(&d.config_schema).unwrap();
    // Derived from the config type; the range is checked by `validate`.
    assert_eq!(schema["properties"]["helpers_needed"]["type"], "integer");
    assert!(
        schema["required"]
            .as_array()
            .unwrap()
            .contains(&json!("helpers_needed"))
    );
}
