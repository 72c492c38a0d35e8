//! The config's JSON Schema, published in the manifest. The checks that
//! count are in [`crate::config`]; this describes them for tools and UIs.

use arcade_sdk::{Value, json};

use crate::config::{
    MAX_ATTEMPTS_PER_USER, MAX_ID_LEN, MAX_QUESTIONS_PER_ATTEMPT, MAX_RANKED,
    MAX_TIME_LIMIT_SECONDS,
};

/// The JSON Schema of [`Config`](crate::Config).
pub fn config() -> Value {
    json!({
        "type": "object",
        "required": ["questions", "questions_per_attempt", "time_limit_seconds", "closes_at_ms"],
        "additionalProperties": false,
        "$defs": {"reward": reward()},
        "properties": {
            "questions": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["id", "text", "kind", "options", "answer"],
                    "additionalProperties": false,
                    "properties": {
                        "id": {"type": "string", "minLength": 1, "maxLength": MAX_ID_LEN},
                        "text": {"type": "string", "minLength": 1},
                        "kind": {"enum": ["single", "multiple"]},
                        "options": {
                            "type": "array",
                            "minItems": 2,
                            "items": {
                                "type": "object",
                                "required": ["id", "text"],
                                "additionalProperties": false,
                                "properties": {
                                    "id": {"type": "string", "minLength": 1, "maxLength": MAX_ID_LEN},
                                    "text": {"type": "string", "minLength": 1}
                                }
                            }
                        },
                        "answer": {"type": "array", "minItems": 1, "uniqueItems": true, "items": {"type": "string"}},
                        "points": {"type": "integer", "minimum": 0, "default": 10}
                    }
                }
            },
            "questions_per_attempt": {"type": "integer", "minimum": 1, "maximum": MAX_QUESTIONS_PER_ATTEMPT},
            "time_limit_seconds": {"type": "integer", "minimum": 1, "maximum": MAX_TIME_LIMIT_SECONDS},
            "attempts_per_user": {"type": "integer", "minimum": 1, "maximum": MAX_ATTEMPTS_PER_USER, "default": 1},
            "speed_bonus": {
                "type": ["object", "null"],
                "required": ["max_points"],
                "additionalProperties": false,
                "properties": {
                    "max_points": {"type": "integer", "minimum": 1},
                    "min_correct": {"type": "integer", "minimum": 0, "default": 1}
                }
            },
            "closes_at_ms": {"type": "integer", "minimum": 1},
            "rank_rewards": {
                "type": "array",
                "default": [],
                "items": {
                    "type": "object",
                    "required": ["from_rank", "to_rank", "reward"],
                    "additionalProperties": false,
                    "properties": {
                        "from_rank": {"type": "integer", "minimum": 1},
                        "to_rank": {"type": "integer", "minimum": 1, "maximum": MAX_RANKED},
                        "reward": {"$ref": "#/$defs/reward"}
                    }
                }
            },
            "leaderboard_size": {"type": "integer", "minimum": 1, "maximum": MAX_RANKED, "default": 10}
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
