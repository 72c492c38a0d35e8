//! The config's JSON Schema, published in the manifest. The checks that
//! count are in [`crate::config`]; this describes them for tools and UIs.

use arcade_sdk::{Value, json};

use crate::config::{MAX_CYCLE, MAX_MAKEUP_WINDOW};

/// The JSON Schema of [`Config`](crate::Config).
pub fn config() -> Value {
    json!({
        "type": "object",
        "required": ["cycle_rewards"],
        "additionalProperties": false,
        "$defs": {"reward": reward()},
        "properties": {
            "cycle_rewards": {
                "type": "array", "minItems": 1, "maxItems": MAX_CYCLE,
                "items": {"$ref": "#/$defs/reward"}
            },
            "milestones": {
                "type": "array", "default": [],
                "items": {
                    "type": "object", "additionalProperties": false,
                    "required": ["days", "reward"],
                    "properties": {
                        "days": {"type": "integer", "minimum": 1},
                        "reward": {"$ref": "#/$defs/reward"}
                    }
                }
            },
            "makeup": {
                "type": ["object", "null"], "additionalProperties": false,
                "required": ["window_days", "per_month"],
                "properties": {
                    "window_days": {"type": "integer", "minimum": 1, "maximum": MAX_MAKEUP_WINDOW},
                    "per_month": {"type": "integer", "minimum": 1},
                    "cost_points": {"type": ["integer", "null"], "minimum": 1}
                }
            }
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
