//! Conversions between the SDK's types and the generated bindings, called
//! by the code [`export!`](crate::export) expands to. Not for plugin authors.

use crate::bindings as b;
use crate::{Action, ConfigError, Context, Error, ErrorKind, Mechanic, Outcome, RewardKind, Timer};

/// `describe`.
pub fn describe<M: Mechanic>() -> b::Manifest {
    let m = M::manifest();
    b::Manifest {
        name: m.name,
        version: m.version,
        summary: m.summary,
        actions: m
            .actions
            .into_iter()
            .map(|a| b::ActionSpec {
                name: a.name,
                summary: a.summary,
                payload_schema: a.payload_schema.to_string(),
            })
            .collect(),
        config_schema: m.config_schema.to_string(),
        budget: b::Budget {
            fuel: m.fuel,
            memory_bytes: m.memory_bytes,
            timeout_ms: m.timeout_ms,
        },
    }
}

/// Parse a config, naming the offending field on failure.
pub fn parse_config<M: Mechanic>(config: &str) -> Result<M::Config, Vec<ConfigError>> {
    let de = &mut serde_json::Deserializer::from_str(config);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { String::new() } else { path };
        vec![ConfigError::new(field, e.inner().to_string())]
    })
}

/// `validate-config`.
pub fn validate_config<M: Mechanic>(config: &str) -> Result<b::Setup, Vec<b::ConfigError>> {
    let to_wit = |errors: Vec<ConfigError>| {
        errors
            .into_iter()
            .map(|e| b::ConfigError {
                field: e.field,
                message: e.message,
            })
            .collect::<Vec<_>>()
    };
    let parsed = parse_config::<M>(config).map_err(to_wit)?;
    let setup = M::validate(&parsed).map_err(to_wit)?;
    Ok(b::Setup {
        stock: setup
            .stock
            .into_iter()
            .map(|(id, initial)| b::StockPool { id, initial })
            .collect(),
    })
}

/// Build the SDK context from the WIT one. The host only ever passes a
/// config that `validate-config` accepted, so a parse failure here is a
/// host-side inconsistency, reported as an error rather than a panic.
pub fn context<M: Mechanic>(ctx: b::Context) -> Result<Context<M::Config>, Error> {
    // The config passed validate-config already, so the fast parser will
    // do; the path-tracking one is only needed to explain a failure.
    let config = match serde_json::from_str(&ctx.config) {
        Ok(config) => config,
        Err(_) => {
            let e = parse_config::<M>(&ctx.config).err().unwrap_or_default();
            let why = e.first().map_or("unknown", |e| e.message.as_str());
            return Err(Error::invalid_input(
                "invalid_config",
                format!("stored config no longer parses: {why}"),
            ));
        }
    };
    Ok(Context {
        activity_id: ctx.activity_id,
        user_id: ctx.user_id,
        call_id: ctx.call_id,
        config,
    })
}

fn json(text: &str, what: &str) -> Result<serde_json::Value, Error> {
    if text.is_empty() {
        return Ok(serde_json::Value::Object(Default::default()));
    }
    serde_json::from_str(text)
        .map_err(|e| Error::invalid_input("invalid_payload", format!("{what} is not JSON: {e}")))
}

/// `handle`.
pub fn handle<M: Mechanic>(ctx: b::Context, action: b::Action) -> Result<b::Outcome, b::Error> {
    let run = || {
        let ctx = context::<M>(ctx)?;
        let action = Action {
            payload: json(&action.payload, "payload")?,
            name: action.name,
        };
        M::handle(&ctx, &action)
    };
    run().map(outcome_to_wit).map_err(error_to_wit)
}

/// `view`.
pub fn view<M: Mechanic>(ctx: b::Context) -> Result<String, b::Error> {
    let run = || {
        let ctx = context::<M>(ctx)?;
        M::view(&ctx)
    };
    run().map(|v| to_json(&v)).map_err(error_to_wit)
}

/// `on-timer`.
pub fn on_timer<M: Mechanic>(ctx: b::Context, timer: b::Timer) -> Result<b::Outcome, b::Error> {
    let run = || {
        let ctx = context::<M>(ctx)?;
        let timer = Timer {
            payload: json(&timer.payload, "timer payload")?,
            name: timer.name,
            due_ms: timer.due_ms,
        };
        M::on_timer(&ctx, &timer)
    };
    run().map(outcome_to_wit).map_err(error_to_wit)
}

fn outcome_to_wit(o: Outcome) -> b::Outcome {
    b::Outcome {
        result: to_json(&o.result),
        rewards: o
            .rewards
            .into_iter()
            .map(|r| b::Reward {
                user_id: r.user_id,
                kind: match r.kind {
                    RewardKind::Prize => b::RewardKind::Prize,
                    RewardKind::Points => b::RewardKind::Points,
                    RewardKind::Coupon => b::RewardKind::Coupon,
                    RewardKind::Tickets => b::RewardKind::Tickets,
                },
                item: r.item,
                name: r.name,
                amount: r.amount,
                expires_ms: r.expires_ms,
            })
            .collect(),
        events: o
            .events
            .into_iter()
            .map(|e| b::Event {
                kind: e.kind,
                subject: e.subject,
                data: to_json(&e.data),
            })
            .collect(),
    }
}

fn error_to_wit(e: Error) -> b::Error {
    b::Error {
        kind: match e.kind {
            ErrorKind::InvalidInput => b::ErrorKind::InvalidInput,
            ErrorKind::Rejected => b::ErrorKind::Rejected,
            ErrorKind::NotFound => b::ErrorKind::NotFound,
        },
        code: e.code,
        message: e.message,
    }
}

/// JSON text of a value. Serializes straight into a byte buffer: a
/// value's `Display` goes through `core::fmt` one fragment at a time,
/// several times slower in a plugin.
fn to_json(value: &serde_json::Value) -> String {
    serde_json::to_string(value).expect("a JSON value always serializes")
}
