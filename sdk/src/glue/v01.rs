//! `arcade:mechanic@0.1.0` (the `contract-0-1` feature): the SDK's types to
//! and from the bindings. Empty strings stand for none, as 0.1 has it.

use super::{Call, to_json};
use crate::bindings as b;
use crate::{Error, ErrorKind, Mechanic, Outcome, RewardKind};

/// `describe`.
pub fn describe<M: Mechanic>() -> b::Manifest {
    let d = super::run_describe::<M>();
    let m = d.manifest;
    b::Manifest {
        name: m.name,
        version: m.version,
        summary: m.summary,
        actions: d
            .actions
            .into_iter()
            .map(|a| b::ActionSpec {
                name: a.name,
                summary: a.summary,
                payload_schema: to_json(&a.payload_schema),
            })
            .collect(),
        config_schema: to_json(&d.config_schema),
        budget: b::Budget {
            fuel: m.fuel,
            memory_bytes: m.memory_bytes,
            timeout_ms: m.timeout_ms,
        },
    }
}

/// `validate-config`.
pub fn validate_config<M: Mechanic>(config: &str) -> Result<b::Setup, Vec<b::ConfigError>> {
    super::run_validate::<M>(config)
        .map(|setup| b::Setup {
            stock: setup
                .stock
                .into_iter()
                .map(|(id, initial)| b::StockPool { id, initial })
                .collect(),
        })
        .map_err(|errors| {
            errors
                .into_iter()
                .map(|e| b::ConfigError {
                    field: e.field,
                    message: e.message,
                })
                .collect()
        })
}

fn call(ctx: b::Context) -> Call {
    let some = |s: String| Some(s).filter(|s| !s.is_empty());
    Call {
        activity_id: ctx.activity_id,
        user_id: some(ctx.user_id),
        call_id: some(ctx.call_id),
        config: ctx.config,
    }
}

/// `handle`.
pub fn handle<M: Mechanic>(ctx: b::Context, action: b::Action) -> Result<b::Outcome, b::Error> {
    super::run_handle::<M>(call(ctx), &action.name, &action.payload)
        .map(outcome)
        .map_err(error)
}

/// `view`: 0.1 views take no query.
pub fn view<M: Mechanic>(ctx: b::Context) -> Result<String, b::Error> {
    super::run_view::<M>(call(ctx), "{}")
        .map(|v| to_json(&v))
        .map_err(error)
}

/// `on-timer`.
pub fn on_timer<M: Mechanic>(ctx: b::Context, timer: b::Timer) -> Result<b::Outcome, b::Error> {
    super::run_on_timer::<M>(call(ctx), (timer.name, &timer.payload, timer.due_ms))
        .map(outcome)
        .map_err(error)
}

fn outcome(o: Outcome) -> b::Outcome {
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

fn error(e: Error) -> b::Error {
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
