//! Config checks: every problem names its field.
use super::*;

#[test]
fn config_errors_name_the_field() {
    let mut bad =
        config(json!({"team_size": 1, "time_limit_minutes": 0, "max_open_teams_per_user": 0}));
    bad["product"]["deal_price_fen"] = json!(2000);
    bad["product"]["id"] = json!("");
    assert_eq!(
        config_error_fields(bad),
        [
            "product.id",
            "product.deal_price_fen",
            "team_size",
            "time_limit_minutes",
            "max_open_teams_per_user"
        ]
    );
    assert_eq!(
        config_error_fields(config(json!({"team_size": 101}))),
        ["team_size"]
    );
    assert_eq!(
        config_error_fields(config(
            json!({"product": {"id": "p", "name": "P", "original_price_fen": 0, "deal_price_fen": -1}})
        )),
        ["product.original_price_fen", "product.deal_price_fen"]
    );
    // Shape errors come from the parser, also naming the field.
    assert_eq!(
        config_error_fields(config(json!({"team_size": -3}))),
        ["team_size"]
    );
    assert_eq!(
        config_error_fields(config(json!({"colour": "red"}))),
        ["colour"]
    );
    let mut missing = config(json!({}));
    missing.as_object_mut().unwrap().remove("team_size");
    let mut h = MockHost::new(&missing.to_string());
    assert!(
        h.setup::<GroupBuy>().unwrap_err()[0]
            .message
            .contains("team_size")
    );
}

#[test]
fn reward_config_errors_name_the_field() {
    assert_eq!(
        config_error_fields(config(json!({"reward": {"points": 0}}))),
        ["reward.points"]
    );
    assert_eq!(
        config_error_fields(config(
            json!({"reward": {"coupon": {"id": "", "name": "Off", "value_fen": 800, "valid_days": 0}}})
        )),
        ["reward.coupon.id", "reward.coupon.valid_days"]
    );
    // Shape errors: a coupon without its value, two rewards in one, an
    // unknown kind.
    assert_eq!(
        config_error_fields(config(
            json!({"reward": {"coupon": {"id": "c", "name": "Off"}}})
        )),
        ["reward.coupon.value_fen"]
    );
    assert_eq!(
        config_error_fields(config(json!({"reward": {"points": 5, "valid_days": 3}}))),
        ["reward"]
    );
    assert_eq!(
        config_error_fields(config(json!({"reward": {"gift": {"name": "P"}}}))),
        ["reward"]
    );
}
