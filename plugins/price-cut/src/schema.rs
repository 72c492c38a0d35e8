//! The config's JSON Schema, published in the manifest. The checks that
//! count are in [`crate::config`]; this describes them for tools and UIs.

use arcade_sdk::{Value, json};

use crate::config::{MAX_HELPERS, MAX_PRICE_FEN, MAX_TIME_LIMIT_MINUTES};

/// The JSON Schema of [`Config`](crate::Config).
pub fn config() -> Value {
    json!({
        "type": "object",
        "required": ["item", "helpers_needed", "time_limit_minutes", "max_helps_per_day"],
        "additionalProperties": false,
        "$defs": {"reward": reward()},
        "properties": {
            "item": {
                "type": "object",
                "required": ["id", "name", "original_price_fen", "floor_price_fen"],
                "additionalProperties": false,
                "properties": {
                    "id": {"type": "string", "minLength": 1, "maxLength": 64},
                    "name": {"type": "string", "minLength": 1},
                    "original_price_fen": {"type": "integer", "minimum": 1, "maximum": MAX_PRICE_FEN},
                    "floor_price_fen": {"type": "integer", "minimum": 0}
                }
            },
            "helpers_needed": {"type": "integer", "minimum": 1, "maximum": MAX_HELPERS},
            "time_limit_minutes": {"type": "integer", "minimum": 1, "maximum": MAX_TIME_LIMIT_MINUTES},
            "max_helps_per_day": {"type": "integer", "minimum": 1},
            "owner_first_cut": {
                "type": ["object", "null"],
                "required": ["min_percent", "max_percent"],
                "additionalProperties": false,
                "properties": {
                    "min_percent": {"type": "integer", "minimum": 1, "maximum": 99},
                    "max_percent": {"type": "integer", "minimum": 1, "maximum": 99}
                }
            },
            "new_member_bonus": {
                "type": ["object", "null"],
                "required": ["reward"],
                "additionalProperties": false,
                "properties": {
                    "reward": {"$ref": "#/$defs/reward"},
                    "double_cut": {"type": "boolean", "default": false}
                }
            },
            "stock": {"type": ["integer", "null"], "minimum": 0},
            "max_bargains_per_user": {"type": ["integer", "null"], "minimum": 1}
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
