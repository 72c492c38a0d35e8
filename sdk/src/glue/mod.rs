//! What [`export!`](crate::export) expands to calls into: the SDK's side
//! of each export, in the SDK's own types (`core` below), and one thin
//! adapter per contract version to and from its generated bindings
//! (`v02`, or `v01` with the `contract-0-1` feature). The mock host calls
//! the core directly. Not for plugin authors.

#[cfg(feature = "contract-0-1")]
mod v01;
#[cfg(feature = "contract-0-1")]
pub use v01::*;
#[cfg(not(feature = "contract-0-1"))]
mod v02;
#[cfg(not(feature = "contract-0-1"))]
pub use v02::*;

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::actions::{ActionSpec, Actions};
use crate::{ConfigError, Context, Error, Mechanic, Outcome, Setup, Timer, View};

/// The manifest, completed with the generated schemas.
pub(crate) struct Described {
    pub manifest: crate::Manifest,
    pub actions: Vec<ActionSpec>,
    pub config_schema: Value,
    #[cfg_attr(feature = "contract-0-1", allow(dead_code))]
    pub view_query_schema: Value,
}

pub(crate) fn run_describe<M: Mechanic>() -> Described {
    let manifest = M::manifest();
    let properties: serde_json::Map<String, Value> = manifest
        .view_query
        .iter()
        .map(|(name, description)| {
            (
                name.clone(),
                json!({"type": "string", "description": description}),
            )
        })
        .collect();
    Described {
        actions: M::Action::specs(),
        config_schema: schemars::schema_for!(M::Config).to_value(),
        view_query_schema: json!({"type": "object", "properties": properties}),
        manifest,
    }
}

/// Parse a config, naming the offending field on failure: a missing or
/// unknown field by its own path, not its parent's.
pub fn parse_config<M: Mechanic>(config: &str) -> Result<M::Config, Vec<ConfigError>> {
    let de = &mut serde_json::Deserializer::from_str(config);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let mut field = if path == "." { String::new() } else { path };
        let message = e.inner().to_string();
        for marker in ["missing field `", "unknown field `"] {
            if let Some(rest) = message.split(marker).nth(1)
                && let Some(name) = rest.split('`').next()
                && field.rsplit('.').next() != Some(name)
            {
                if !field.is_empty() {
                    field.push('.');
                }
                field.push_str(name);
                break;
            }
        }
        vec![ConfigError::new(field, message)]
    })
}

pub(crate) fn run_validate<M: Mechanic>(config: &str) -> Result<Setup, Vec<ConfigError>> {
    let parsed = parse_config::<M>(config)?;
    M::validate(&parsed)
}

/// The config of a call. The host only ever passes a config that
/// `validate-config` accepted, so a parse failure here is a host-side
/// inconsistency, reported as an error rather than a panic.
fn config<M: Mechanic>(text: &str) -> Result<M::Config, Error> {
    // The fast parser will do; the path-tracking one only explains a
    // failure.
    serde_json::from_str(text).map_err(|_| {
        let e = parse_config::<M>(text).err().unwrap_or_default();
        let why = e.first().map_or("unknown", |e| e.message.as_str());
        Error::invalid_input(
            "invalid_config",
            format!("stored config no longer parses: {why}"),
        )
    })
}

fn json_object(text: &str, what: &str) -> Result<Value, Error> {
    if text.is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_str(text)
        .map_err(|e| Error::invalid_input("invalid_payload", format!("{what} is not JSON: {e}")))
}

/// A call's context in the SDK's terms.
pub(crate) struct Call {
    pub activity_id: String,
    pub user_id: Option<String>,
    pub call_id: Option<String>,
    pub config: String,
}

pub(crate) fn run_handle<M: Mechanic>(
    call: Call,
    name: &str,
    payload: &str,
) -> Result<Outcome, Error> {
    let ctx = Context {
        config: config::<M>(&call.config)?,
        activity_id: call.activity_id,
        user_id: call.user_id.unwrap_or_default(),
        call_id: call.call_id.unwrap_or_default(),
    };
    let action = M::Action::parse(name, json_object(payload, "payload")?)?;
    M::handle(&ctx, action)
}

pub(crate) fn run_view<M: Mechanic>(call: Call, query: &str) -> Result<Value, Error> {
    let query: BTreeMap<String, Value> = match json_object(query, "query")? {
        Value::Object(m) => m.into_iter().collect(),
        _ => {
            return Err(Error::invalid_input(
                "invalid_payload",
                "the view query must be a JSON object",
            ));
        }
    };
    let ctx = View {
        config: config::<M>(&call.config)?,
        activity_id: call.activity_id,
        viewer: call.user_id.filter(|u| !u.is_empty()),
        query: query
            .into_iter()
            .map(|(k, v)| match v {
                Value::String(s) => (k, s),
                other => (k, other.to_string()),
            })
            .collect(),
    };
    M::view(&ctx)
}

pub(crate) fn run_on_timer<M: Mechanic>(
    call: Call,
    timer: (String, &str, i64),
) -> Result<Outcome, Error> {
    let ctx = Context {
        config: config::<M>(&call.config)?,
        activity_id: call.activity_id,
        user_id: call.user_id.unwrap_or_default(),
        call_id: call.call_id.unwrap_or_default(),
    };
    let (name, payload, due_ms) = timer;
    let timer = Timer {
        payload: json_object(payload, "timer payload")?,
        name,
        due_ms,
    };
    M::on_timer(&ctx, &timer)
}

/// JSON text of a value. Serializes straight into a byte buffer: a
/// value's `Display` goes through `core::fmt` one fragment at a time,
/// several times slower in a plugin.
pub(crate) fn to_json(value: &Value) -> String {
    serde_json::to_string(value).expect("a JSON value always serializes")
}
