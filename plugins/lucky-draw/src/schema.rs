//! The config's JSON Schema, published in the manifest. The checks that
//! count are in [`crate::config`]; this describes them for tools and UIs.

use arcade_sdk::{Value, json};

use crate::config::MAX_SEGMENTS;

/// The JSON Schema of [`Config`](crate::Config).
pub fn config() -> Value {
    json!({
        "type": "object",
        "required": ["prizes"],
        "additionalProperties": false,
        "$defs": {"reward": reward()},
        "properties": {
            "prizes": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["id", "name", "weight"],
                    "additionalProperties": false,
                    "properties": {
                        "id": {"type": "string", "minLength": 1, "maxLength": 64},
                        "name": {"type": "string", "minLength": 1},
                        "weight": {"type": "integer", "minimum": 1},
                        "stock": {"type": ["integer", "null"], "minimum": 0},
                        "position": {"type": ["integer", "null"], "minimum": 0}
                    }
                }
            },
            "miss_weight": {"type": "integer", "minimum": 0, "default": 0},
            "per_user_total": {"type": ["integer", "null"], "minimum": 1},
            "per_user_daily": {"type": ["integer", "null"], "minimum": 1},
            "presentation": {
                "type": "object",
                "properties": {
                    "style": {"enum": ["wheel", "grid"], "default": "wheel"},
                    "segments": {"type": ["integer", "null"], "minimum": 2, "maximum": MAX_SEGMENTS}
                }
            },
            "cost_points": {"type": ["integer", "null"], "minimum": 1},
            "pity": {
                "type": ["object", "null"],
                "required": ["after", "prize"],
                "properties": {"after": {"type": "integer", "minimum": 1}, "prize": {"type": "string"}}
            },
            "extra_draws": {
                "type": ["object", "null"],
                "required": ["ticket"],
                "properties": {"ticket": {"type": "string", "minLength": 1, "maxLength": 64}}
            },
            "consolation": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/reward"}]}
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
