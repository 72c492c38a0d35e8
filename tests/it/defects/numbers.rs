//! Numbers in a config that do not fit a signed 64-bit integer are
//! `422 invalid_config` naming the field, refused by the host whatever the
//! plugin would make of them; negative stock is refused too.

use serde_json::{Value, json};

use crate::both_backends;
use crate::harness::Server;
use crate::support::Db;

both_backends!(out_of_range_numbers_are_invalid_config);

/// A lucky draw config with `stock` spliced in as raw JSON number text,
/// so values beyond what `serde_json::Value` builds exactly stay exact.
fn config_with(field: &str, number: &str) -> Value {
    let (stock, weight, miss) = match field {
        "stock" => (number, "1", "1"),
        "weight" => ("5", number, "1"),
        _ => ("5", "1", number),
    };
    serde_json::from_str(&format!(
        r#"{{"miss_weight": {miss},
            "prizes": [{{"id": "gold", "name": "Gold", "weight": {weight}, "stock": {stock}}}]}}"#
    ))
    .unwrap()
}

async fn out_of_range_numbers_are_invalid_config(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    for (field, path, number) in [
        ("stock", "prizes[0].stock", "9223372036854775808"),
        ("stock", "prizes[0].stock", "18446744073709551615"),
        ("stock", "prizes[0].stock", "1e30"),
        ("stock", "prizes[0].stock", "-1"),
        ("stock", "prizes[0].stock", "-1e30"),
        ("weight", "prizes[0].weight", "18446744073709551616"),
        ("miss_weight", "miss_weight", "1e300"),
    ] {
        let config = config_with(field, number);
        let r = s
            .create_activity(&t, json!({"plugin": "lucky-draw", "config": config}))
            .await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (422, "invalid_config"),
            "{field} = {number}: {r:?}"
        );
        let details = r.body["error"]["details"].as_array().unwrap();
        assert!(
            details.iter().any(|d| d["field"] == path),
            "{path} not named for {number}: {r:?}"
        );
    }
    // None of those became an activity.
    let r = s.get(&t.operator, "/v1/activities").await;
    assert_eq!(r.body["activities"], json!([]), "{r:?}");

    // The largest stock that fits is kept exactly.
    let id = s
        .activity(
            &t,
            "lucky-draw",
            config_with("stock", "9223372036854775807"),
        )
        .await;
    assert_eq!(s.stock(&t, &id, "gold").await, i64::MAX);
    let r = s.act(&t, &id, "u1", "draw").await;
    assert_eq!(r.status, 200, "{r:?}");
}
