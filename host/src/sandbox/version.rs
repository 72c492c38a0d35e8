//! Contract versions: which one a component implements, and the
//! conversions from each version's generated types into the sandbox's own
//! (`output.rs`'s `Raw*` forms, checked there by one set of rules).
//!
//! A component is 0.2 if it exports the instance
//! `arcade:mechanic/plugin@0.2.0`, 0.1 if it exports the five functions at
//! the top level; both or neither is `plugin_incompatible`. One
//! component, one contract, so a replay runs an outcome under the version
//! it first ran under.

use wasmtime::Engine;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, InstancePre};

use super::bindings::{v01, v02};
use super::failure::PluginFailure;
use super::imports::CallState;
use super::limits::LimitOverrides;
use super::output::{
    GuestErrorKind, RawError, RawEvent, RawGrant, RawManifest, RawOutcome, RawProblem,
};

/// The name of 0.2's export.
pub(crate) const PLUGIN_0_2: &str = "arcade:mechanic/plugin@0.2.0";
/// 0.1's bare exports.
const FUNCTIONS_0_1: [&str; 5] = ["describe", "validate-config", "handle", "view", "on-timer"];

/// A component ready to instantiate, by contract version.
pub(crate) enum Pre {
    V01(v01::MechanicPre<CallState>),
    V02(v02::MechanicPre<CallState>),
}

/// One instance of a component, by contract version.
pub(crate) enum Instance {
    V01(v01::Mechanic),
    V02(v02::Mechanic),
}

impl Pre {
    /// Tell the version from the component's exports and type-check it
    /// against that version's world.
    pub(crate) fn new(
        engine: &Engine,
        component: &Component,
        instance_pre: InstancePre<CallState>,
    ) -> Result<Pre, PluginFailure> {
        let ty = component.component_type();
        let mut v02 = false;
        let mut v01 = 0;
        for (name, item) in ty.exports(engine) {
            let name: &str = name;
            match item.ty {
                ComponentItem::ComponentInstance(_) if name == PLUGIN_0_2 => v02 = true,
                ComponentItem::ComponentFunc(_) if FUNCTIONS_0_1.contains(&name) => v01 += 1,
                _ => {}
            }
        }
        let incompatible = |e: wasmtime::Error| PluginFailure::Incompatible(format!("{e}"));
        match (v01 > 0, v02) {
            (false, true) => Ok(Pre::V02(
                v02::MechanicPre::new(instance_pre).map_err(incompatible)?,
            )),
            (true, false) => Ok(Pre::V01(
                v01::MechanicPre::new(instance_pre).map_err(incompatible)?,
            )),
            (true, true) => Err(PluginFailure::Incompatible(format!(
                "the component exports both contract 0.1's functions and {PLUGIN_0_2}; build it against one version"
            ))),
            (false, false) => Err(PluginFailure::Incompatible(format!(
                "the component implements no arcade:mechanic contract: it exports neither {PLUGIN_0_2} (0.2) nor describe/validate-config/handle/view/on-timer (0.1)"
            ))),
        }
    }

    pub(crate) fn instantiate(
        &self,
        store: &mut wasmtime::Store<CallState>,
    ) -> wasmtime::Result<Instance> {
        Ok(match self {
            Pre::V01(pre) => Instance::V01(pre.instantiate(store)?),
            Pre::V02(pre) => Instance::V02(pre.instantiate(store)?),
        })
    }

    /// `0.1.0` or `0.2.0`.
    pub(crate) fn contract(&self) -> &'static str {
        match self {
            Pre::V01(_) => "0.1.0",
            Pre::V02(_) => "0.2.0",
        }
    }
}

/// Conversions from 0.1's types: exactly what the host stored before 0.2,
/// so old outcomes' effects hashes and replays do not change.
pub(crate) mod from01 {
    use super::*;
    use v01::types as w;

    pub(crate) fn context(c: &crate::sandbox::CallContext<'_>) -> w::Context {
        w::Context {
            activity_id: c.activity_id.to_owned(),
            user_id: c.user_id.to_owned(),
            call_id: c.call_id.to_owned(),
            config: c.config.to_owned(),
        }
    }

    pub(crate) fn error(e: w::Error) -> RawError {
        RawError {
            kind: match e.kind {
                w::ErrorKind::InvalidInput => GuestErrorKind::InvalidInput,
                w::ErrorKind::Rejected => GuestErrorKind::Rejected,
                w::ErrorKind::NotFound => GuestErrorKind::NotFound,
            },
            code: e.code,
            message: e.message,
        }
    }

    pub(crate) fn outcome(o: w::Outcome) -> RawOutcome {
        RawOutcome {
            result: o.result,
            rewards: o
                .rewards
                .into_iter()
                .map(|r| {
                    let kind = match r.kind {
                        w::RewardKind::Prize => "prize",
                        w::RewardKind::Points => "points",
                        w::RewardKind::Coupon => "coupon",
                        w::RewardKind::Tickets => "tickets",
                    };
                    RawGrant {
                        recipient: Some(r.user_id).filter(|u| !u.is_empty()),
                        item: if kind == "points" {
                            "points".into()
                        } else {
                            r.item
                        },
                        kind,
                        name: r.name,
                        amount: r.amount,
                        expires_ms: r.expires_ms,
                    }
                })
                .collect(),
            events: o
                .events
                .into_iter()
                .map(|e| RawEvent::Custom {
                    kind: e.kind,
                    subject: e.subject,
                    data: Some(e.data),
                    strict: false,
                })
                .collect(),
        }
    }

    pub(crate) fn manifest(m: w::Manifest) -> RawManifest {
        RawManifest {
            name: m.name,
            version: m.version,
            summary: m.summary,
            actions: m
                .actions
                .into_iter()
                .map(|a| (a.name, a.summary, a.payload_schema))
                .collect(),
            config_schema: m.config_schema,
            view_query_schema: None,
            budget: LimitOverrides {
                fuel: m.budget.fuel,
                memory_bytes: m.budget.memory_bytes,
                timeout_ms: m.budget.timeout_ms,
            },
            contract: "0.1.0",
        }
    }

    pub(crate) fn setup(s: w::Setup) -> Vec<(String, u64)> {
        s.stock.into_iter().map(|p| (p.id, p.initial)).collect()
    }

    pub(crate) fn problems(p: Vec<w::ConfigError>) -> Vec<RawProblem> {
        p.into_iter()
            .map(|p| RawProblem {
                field: p.field,
                message: p.message,
            })
            .collect()
    }

    pub(crate) fn timer(t: &crate::sandbox::DueTimer<'_>) -> w::Timer {
        w::Timer {
            name: t.name.to_owned(),
            payload: t.payload.to_owned(),
            due_ms: t.due_ms,
        }
    }
}

/// Conversions from 0.2's types.
pub(crate) mod from02 {
    use super::*;
    use v02::types as w;

    pub(crate) fn context(c: &crate::sandbox::CallContext<'_>) -> w::Context {
        let some = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
        w::Context {
            activity_id: c.activity_id.to_owned(),
            user_id: some(c.user_id),
            call_id: some(c.call_id),
            config: c.config.to_owned(),
        }
    }

    pub(crate) fn error(e: w::Error) -> RawError {
        RawError {
            kind: match e.kind {
                w::ErrorKind::InvalidInput => GuestErrorKind::InvalidInput,
                w::ErrorKind::Rejected => GuestErrorKind::Rejected,
                w::ErrorKind::NotFound => GuestErrorKind::NotFound,
            },
            code: e.code,
            message: e.message,
        }
    }

    fn grant(g: w::Grant) -> Result<RawGrant, PluginFailure> {
        let recipient = g.recipient;
        Ok(match g.reward {
            w::Reward::Prize(p) => RawGrant {
                recipient,
                kind: "prize",
                item: p.item,
                name: p.name,
                amount: i64::from(p.count),
                expires_ms: None,
            },
            w::Reward::Points(p) => RawGrant {
                recipient,
                kind: "points",
                item: "points".into(),
                name: "points".into(),
                amount: p.amount,
                expires_ms: None,
            },
            w::Reward::Coupon(c) => RawGrant {
                recipient,
                kind: "coupon",
                item: c.template,
                name: c.name,
                amount: c.value_fen,
                expires_ms: c.expires_ms,
            },
            w::Reward::Tickets(t) => {
                if t.balance == "points" {
                    return Err(PluginFailure::BadOutput(
                        "a tickets reward may not name the balance `points`: grant points instead"
                            .into(),
                    ));
                }
                RawGrant {
                    recipient,
                    kind: "tickets",
                    item: t.balance.clone(),
                    name: t.balance,
                    amount: t.amount,
                    expires_ms: None,
                }
            }
        })
    }

    pub(crate) fn outcome(o: w::Outcome) -> Result<RawOutcome, PluginFailure> {
        Ok(RawOutcome {
            result: o.result,
            rewards: o.rewards.into_iter().map(grant).collect::<Result<_, _>>()?,
            events: o
                .events
                .into_iter()
                .map(|e| match e {
                    w::Event::Custom(c) => RawEvent::Custom {
                        kind: c.kind,
                        subject: c.subject.unwrap_or_default(),
                        data: c.data,
                        strict: true,
                    },
                    w::Event::InviteAccepted(i) => RawEvent::Invite {
                        invitee: i.invitee,
                        inviter: i.inviter,
                    },
                })
                .collect(),
        })
    }

    pub(crate) fn manifest(m: w::Manifest) -> RawManifest {
        RawManifest {
            name: m.name,
            version: m.version,
            summary: m.summary,
            actions: m
                .actions
                .into_iter()
                .map(|a| (a.name, a.summary, a.payload_schema))
                .collect(),
            config_schema: m.config_schema,
            view_query_schema: Some(m.view_query_schema),
            budget: LimitOverrides {
                fuel: m.budget.fuel,
                memory_bytes: m.budget.memory_bytes,
                timeout_ms: m.budget.timeout_ms,
            },
            contract: "0.2.0",
        }
    }

    pub(crate) fn setup(s: w::Setup) -> Vec<(String, u64)> {
        s.stock.into_iter().map(|p| (p.id, p.initial)).collect()
    }

    /// A path as the host shows its own: `prizes[1].weight`.
    pub(crate) fn render_path(path: &[w::PathSegment]) -> String {
        let mut out = String::new();
        for segment in path {
            match segment {
                w::PathSegment::Field(name) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(name);
                }
                w::PathSegment::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
            }
        }
        out
    }

    pub(crate) fn problems(p: Vec<w::ConfigError>) -> Vec<RawProblem> {
        p.into_iter()
            .map(|p| RawProblem {
                field: render_path(&p.path),
                message: p.message,
            })
            .collect()
    }

    pub(crate) fn timer(t: &crate::sandbox::DueTimer<'_>) -> w::Timer {
        w::Timer {
            name: t.name.to_owned(),
            payload: t.payload.to_owned(),
            due_ms: t.due_ms,
        }
    }
}
