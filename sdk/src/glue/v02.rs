//! `arcade:mechanic@0.2.0`: the SDK's types to and from the bindings.

use super::{Call, to_json};
use crate::bindings as b;
use crate::{ConfigError, Error, ErrorKind, Mechanic, Outcome, RewardKind};

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
        view_query_schema: to_json(&d.view_query_schema),
        budget: b::Budget {
            fuel: m.fuel,
            memory_bytes: m.memory_bytes,
            timeout_ms: m.timeout_ms,
        },
    }
}

/// `prizes[1].weight` as path segments.
fn path(field: &str) -> Vec<b::PathSegment> {
    let mut out = Vec::new();
    for part in field.split('.').filter(|p| !p.is_empty()) {
        let mut rest = part;
        if let Some(open) = rest.find('[') {
            if open > 0 {
                out.push(b::PathSegment::Field(rest[..open].to_owned()));
            }
            rest = &rest[open..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let close = stripped.find(']').unwrap_or(stripped.len());
                match stripped[..close].parse() {
                    Ok(i) => out.push(b::PathSegment::Index(i)),
                    Err(_) => out.push(b::PathSegment::Field(stripped[..close].to_owned())),
                }
                rest = stripped.get(close + 1..).unwrap_or("");
            }
        } else {
            out.push(b::PathSegment::Field(rest.to_owned()));
        }
    }
    out
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
        .map_err(|errors: Vec<ConfigError>| {
            errors
                .into_iter()
                .map(|e| b::ConfigError {
                    path: path(&e.field),
                    message: e.message,
                })
                .collect()
        })
}

fn call(ctx: b::Context) -> Call {
    Call {
        activity_id: ctx.activity_id,
        user_id: ctx.user_id,
        call_id: ctx.call_id,
        config: ctx.config,
    }
}

/// `handle`.
pub fn handle<M: Mechanic>(ctx: b::Context, action: b::Action) -> Result<b::Outcome, b::Error> {
    super::run_handle::<M>(call(ctx), &action.name, &action.payload)
        .map(outcome)
        .map_err(error)
}

/// `view`.
pub fn view<M: Mechanic>(ctx: b::Context, query: String) -> Result<String, b::Error> {
    super::run_view::<M>(call(ctx), &query)
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
    let some = |s: String| Some(s).filter(|s| !s.is_empty());
    b::Outcome {
        result: to_json(&o.result),
        rewards: o
            .rewards
            .into_iter()
            .map(|r| b::Grant {
                recipient: some(r.user_id),
                reward: match r.kind {
                    RewardKind::Prize => b::Reward::Prize(b::PrizeReward {
                        item: r.item,
                        name: r.name,
                        count: u32::try_from(r.amount).unwrap_or(0),
                    }),
                    RewardKind::Points => b::Reward::Points(b::PointsReward { amount: r.amount }),
                    RewardKind::Coupon => b::Reward::Coupon(b::CouponReward {
                        template: r.item,
                        name: r.name,
                        value_fen: r.amount,
                        expires_ms: r.expires_ms,
                    }),
                    RewardKind::Tickets => b::Reward::Tickets(b::TicketsReward {
                        balance: r.item,
                        amount: r.amount,
                    }),
                },
            })
            .collect(),
        events: o
            .events
            .into_iter()
            .map(|e| {
                let inviter = e.data.get("inviter").and_then(|i| i.as_str());
                match inviter {
                    Some(inviter) if e.kind == "invite.accepted" => {
                        b::Event::InviteAccepted(b::Invite {
                            inviter: inviter.to_owned(),
                            invitee: some(e.subject),
                        })
                    }
                    _ => b::Event::Custom(b::CustomEvent {
                        kind: e.kind,
                        subject: some(e.subject),
                        data: Some(to_json(&e.data)),
                    }),
                }
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
