//! Unit tests against the SDK's mock host, by concern; the helpers here
//! build configs and hosts and run the two actions.
use crate::*;
use arcade_sdk::json;
use arcade_sdk::testing::{MockHost, MockOutcome};

mod checks;
mod deadline;
mod limits;
mod properties;
mod teams;

const START_MS: i64 = 1_767_225_600_000;

fn config(extra: serde_json::Value) -> serde_json::Value {
    let mut c = json!({
        "product": {"id": "tea", "name": "Milk tea", "original_price_fen": 2000, "deal_price_fen": 1200},
        "team_size": 3,
        "time_limit_minutes": 60,
        "max_open_teams_per_user": 2
    });
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

fn host(extra: serde_json::Value) -> MockHost {
    let mut host = MockHost::new(&config(extra).to_string());
    host.setup::<GroupBuy>().expect("valid config");
    host
}

fn open(h: &mut MockHost, user: &str) -> String {
    let out = h.handle::<GroupBuy>(user, "open", json!({})).unwrap();
    out.result["team_id"].as_str().unwrap().to_owned()
}

fn join(h: &mut MockHost, user: &str, team: &str) -> Result<MockOutcome, arcade_sdk::Error> {
    h.handle::<GroupBuy>(user, "join", json!({"team_id": team}))
}

fn config_error_fields(config: serde_json::Value) -> Vec<String> {
    let mut h = MockHost::new(&config.to_string());
    h.setup::<GroupBuy>()
        .unwrap_err()
        .into_iter()
        .map(|e| e.field)
        .collect()
}
