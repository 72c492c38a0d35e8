//! Typed actions: a mechanic's actions as one Rust enum, from which the
//! SDK derives the manifest's action list (names, summaries, payload JSON
//! Schemas) and parses each request.
//!
//! Derive `Deserialize` and `JsonSchema` on an enum tagged the way the
//! host sends actions, with one variant per action whose doc comment is
//! the action's summary:
//!
//! ```
//! use arcade_sdk::{Actions, JsonSchema};
//! use serde::Deserialize;
//!
//! #[derive(Debug, Deserialize, JsonSchema)]
//! #[serde(tag = "name", content = "payload", rename_all = "snake_case", deny_unknown_fields)]
//! enum Action {
//!     /// Grab one packet.
//!     Grab {},
//!     /// Open a packet for a friend.
//!     Share(Share),
//! }
//!
//! #[derive(Debug, Deserialize, JsonSchema)]
//! #[serde(deny_unknown_fields)]
//! struct Share {
//!     /// Who receives it.
//!     friend: String,
//! }
//!
//! let specs = Action::specs();
//! assert_eq!(specs[1].name, "share");
//! assert_eq!(specs[1].summary, "Open a packet for a friend.");
//! let a = Action::parse("share", serde_json::json!({"friend": "u2"})).unwrap();
//! assert!(matches!(a, Action::Share(Share { friend }) if friend == "u2"));
//! let e = Action::parse("share", serde_json::json!({"friend": 7})).unwrap_err();
//! assert_eq!(e.code, "invalid_payload");
//! assert!(e.message.contains("friend"), "{}", e.message);
//! assert_eq!(Action::parse("jump", serde_json::json!({})).unwrap_err().code, "unknown_action");
//! ```
//!
//! A variant `Name {}` takes the payload `{}`; a variant `Name(T)` takes a
//! payload of type `T`. The host checks every payload against its schema
//! before the mechanic runs, so `parse` failing is the exception.

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::Error;

/// One action as the manifest declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionSpec {
    /// The name platforms send (`"name"` of the request).
    pub name: String,
    /// One sentence, from the variant's doc comment.
    pub summary: String,
    /// JSON Schema of the payload.
    pub payload_schema: Value,
}

/// A mechanic's set of actions. Implemented for every enum that derives
/// `Deserialize` and `JsonSchema` with
/// `#[serde(tag = "name", content = "payload")]`; see the
/// [module docs](self).
pub trait Actions: Sized {
    /// The actions, for the manifest.
    fn specs() -> Vec<ActionSpec>;

    /// The action `name` with `payload` (a JSON object), or an
    /// `unknown_action` / `invalid_payload` error naming the field.
    fn parse(name: &str, payload: Value) -> Result<Self, Error>;
}

impl<T: DeserializeOwned + JsonSchema> Actions for T {
    fn specs() -> Vec<ActionSpec> {
        let root = schemars::schema_for!(T).to_value();
        let defs = root.get("$defs").cloned();
        let variants: Vec<Value> = match root.get("oneOf").or_else(|| root.get("anyOf")) {
            Some(Value::Array(v)) => v.clone(),
            _ => vec![root.clone()],
        };
        let mut specs = Vec::new();
        for v in variants {
            let name_schema = &v["properties"]["name"];
            let names: Vec<String> = match (&name_schema["const"], &name_schema["enum"]) {
                (Value::String(s), _) => vec![s.clone()],
                (_, Value::Array(all)) => all
                    .iter()
                    .filter_map(|n| n.as_str().map(str::to_owned))
                    .collect(),
                _ => continue,
            };
            let summary = v["description"].as_str().unwrap_or_default().to_owned();
            let mut payload = match v["properties"].get("payload") {
                Some(p) => p.clone(),
                None => json!({"type": "object", "maxProperties": 0}),
            };
            if let (Some(defs), Value::Object(p)) = (&defs, &mut payload)
                && contains_ref(&Value::Object(p.clone()))
            {
                p.insert("$defs".into(), defs.clone());
            }
            for name in names {
                specs.push(ActionSpec {
                    name,
                    summary: summary.clone(),
                    payload_schema: payload.clone(),
                });
            }
        }
        specs
    }

    fn parse(name: &str, payload: Value) -> Result<Self, Error> {
        let empty = payload.as_object().is_some_and(Map::is_empty);
        let tagged = json!({ "name": name, "payload": payload });
        let first = match serde_path_to_error::deserialize::<_, T>(&tagged) {
            Ok(action) => return Ok(action),
            Err(e) => e,
        };
        // A unit variant takes no content; `{}` is how the host sends none.
        if empty && let Ok(action) = serde_json::from_value::<T>(json!({ "name": name })) {
            return Ok(action);
        }
        let path = first.path().to_string();
        let message = first.inner().to_string();
        if path == "name" || message.contains("unknown variant") {
            return Err(Error::unknown_action(name));
        }
        let field = path
            .strip_prefix("payload")
            .map(|p| p.trim_start_matches('.'))
            .unwrap_or(&path);
        Err(Error::invalid_input(
            "invalid_payload",
            if field.is_empty() || field == "?" {
                format!("payload: {message}")
            } else {
                format!("payload field `{field}`: {message}")
            },
        ))
    }
}

fn contains_ref(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.contains_key("$ref") || m.values().any(contains_ref),
        Value::Array(a) => a.iter().any(contains_ref),
        _ => false,
    }
}
