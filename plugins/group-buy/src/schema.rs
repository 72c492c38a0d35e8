//! The config's JSON Schema, published in the manifest. The checks that
//! count are in [`crate::config`]; this describes them for tools and UIs.

use arcade_sdk::{Value, json};

use crate::config::{MAX_OPEN_TEAMS, MAX_TIME_LIMIT_MINUTES, TEAM_SIZE};

/// The JSON Schema of [`Config`](crate::Config).
pub fn config() -> Value {
    json!({
        "type": "object",
        "required": ["product", "team_size", "time_limit_minutes", "max_open_teams_per_user"],
        "additionalProperties": false,
        "$defs": {"reward": reward()},
        "properties": {
            "product": {
                "type": "object",
                "required": ["id", "name", "original_price_fen", "deal_price_fen"],
                "additionalProperties": false,
                "properties": {
                    "id": {"type": "string", "minLength": 1, "maxLength": 64},
                    "name": {"type": "string", "minLength": 1},
                    "original_price_fen": {"type": "integer", "minimum": 1},
                    "deal_price_fen": {"type": "integer", "minimum": 0,
                        "description": "must be below original_price_fen"}
                }
            },
            "team_size": {"type": "integer", "minimum": TEAM_SIZE.start(), "maximum": TEAM_SIZE.end()},
            "time_limit_minutes": {"type": "integer", "minimum": 1, "maximum": MAX_TIME_LIMIT_MINUTES},
            "max_open_teams_per_user": {"type": "integer", "minimum": 1, "maximum": MAX_OPEN_TEAMS},
            "new_members_only": {"type": "boolean", "default": false},
            "auto_fill_at_deadline": {"type": "boolean", "default": false},
            "reward": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/reward"}]}
        }
    })
}

/// The schema of the SDK's reward shape ([`arcade_sdk::RewardSpec`]).
fn reward() -> Value {
    let id = json!({"type": "string", "minLength": 1, "maxLength": 64});
    let object = |key: &str, required: Value, properties: Value| {
        json!({"type": "object", "additionalProperties": false, "required": [key],
               "properties": {key: {"type": "object", "additionalProperties": false,
                                    "required": required, "properties": properties}}})
    };
    json!({"oneOf": [
        {"type": "object", "additionalProperties": false, "required": ["points"],
         "properties": {"points": {"type": "integer", "minimum": 1}}},
        object("coupon", json!(["id", "name", "value_fen"]), json!({
            "id": id, "name": {"type": "string", "minLength": 1},
            "value_fen": {"type": "integer", "minimum": 1},
            "valid_days": {"type": ["integer", "null"], "minimum": 1}})),
        object("tickets", json!(["name", "amount"]),
               json!({"name": id, "amount": {"type": "integer", "minimum": 1}})),
        object("prize", json!(["id", "name"]),
               json!({"id": id, "name": {"type": "string", "minLength": 1}})),
    ]})
}
