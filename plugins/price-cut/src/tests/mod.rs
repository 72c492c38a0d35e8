//! Unit tests against the SDK's mock host, by concern; the helpers here
//! build configs and hosts and run the two actions.
use crate::*;
use arcade_sdk::testing::MockHost;
use arcade_sdk::{Error, json};

mod bargains;
mod checks;
mod cuts;
mod options;

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
