//! What a guest returns, and the checks it must pass before the host
//! believes it: manifests, setups, outcomes, refusals, JSON texts. Anything
//! that breaks the contract becomes `plugin_bad_output`.

use serde::{Deserialize, Serialize};

use super::bindings::types as wit;
use super::failure::PluginFailure;
use super::limits::{LimitOverrides, Limits};

/// One action the plugin accepts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ActionSpec {
    /// Name.
    pub name: String,
    /// One sentence.
    pub summary: String,
    /// JSON Schema of the payload.
    pub payload_schema: serde_json::Value,
}

/// A plugin's `describe` answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// kebab-case name.
    pub name: String,
    /// Version.
    pub version: String,
    /// For operators.
    pub summary: String,
    /// Actions accepted by `handle`.
    pub actions: Vec<ActionSpec>,
    /// JSON Schema of the config.
    pub config_schema: serde_json::Value,
    /// Resources it asks for.
    pub budget: LimitOverrides,
}

/// A refusal by the mechanic (a rule said no); nothing is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestError {
    /// `invalid_input`, `rejected` or `not_found`.
    pub kind: GuestErrorKind,
    /// snake_case code.
    pub code: String,
    /// Message.
    pub message: String,
}

/// HTTP-level class of a guest refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuestErrorKind {
    /// 422.
    InvalidInput,
    /// 409.
    Rejected,
    /// 404.
    NotFound,
}

/// A problem with a config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigProblem {
    /// Field path.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// Stock pools to create: `(id, initial units)`.
pub type StockPools = Vec<(String, i64)>;

/// A successful `handle` or `on-timer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestOutcome {
    /// Result JSON text.
    pub result: String,
    /// Rewards granted, beneficiaries resolved.
    pub rewards: Vec<crate::store::RewardRow>,
    /// Events to record.
    pub events: Vec<crate::store::EventRow>,
}

pub(crate) fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

pub(crate) fn check_json(text: &str, limits: &Limits, what: &str) -> Result<(), PluginFailure> {
    if text.len() > limits.output_bytes as usize {
        return Err(PluginFailure::BadOutput(format!(
            "{what} is {} bytes, more than the {} byte cap",
            text.len(),
            limits.output_bytes
        )));
    }
    serde_json::from_str::<serde::de::IgnoredAny>(text)
        .map_err(|e| PluginFailure::BadOutput(format!("{what} is not valid JSON: {e}")))?;
    Ok(())
}

fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

pub(crate) fn check_guest_error(e: wit::Error) -> Result<GuestError, PluginFailure> {
    if !is_code(&e.code) {
        return Err(PluginFailure::BadOutput(format!(
            "error code {:?} is not snake_case of at most 64 characters",
            truncate(e.code, 80)
        )));
    }
    if super::reserved::is_reserved(&e.code) {
        return Err(PluginFailure::BadOutput(format!(
            "error code {:?} is reserved for the host",
            e.code
        )));
    }
    Ok(GuestError {
        kind: match e.kind {
            wit::ErrorKind::InvalidInput => GuestErrorKind::InvalidInput,
            wit::ErrorKind::Rejected => GuestErrorKind::Rejected,
            wit::ErrorKind::NotFound => GuestErrorKind::NotFound,
        },
        code: e.code,
        message: truncate(e.message, 1024),
    })
}

pub(crate) fn check_outcome_result(
    r: Result<wit::Outcome, wit::Error>,
    limits: &Limits,
    acting_user: &str,
) -> Result<Result<GuestOutcome, GuestError>, PluginFailure> {
    let outcome = match r {
        Ok(o) => o,
        Err(e) => return Ok(Err(check_guest_error(e)?)),
    };
    check_json(&outcome.result, limits, "result")?;
    if outcome.rewards.len() > 64 {
        return Err(PluginFailure::BadOutput(
            "an outcome may grant at most 64 rewards".into(),
        ));
    }
    if outcome.events.len() > 64 {
        return Err(PluginFailure::BadOutput(
            "an outcome may record at most 64 events".into(),
        ));
    }
    let mut rewards = Vec::with_capacity(outcome.rewards.len());
    for r in outcome.rewards {
        if r.amount <= 0 || r.item.is_empty() || r.item.len() > 64 || r.name.len() > 256 {
            return Err(PluginFailure::BadOutput(format!(
                "reward {:?} needs a positive amount, a 1-64 byte item and a name of at most 256 bytes",
                truncate(r.item, 64)
            )));
        }
        let user_id = if r.user_id.is_empty() {
            acting_user.to_owned()
        } else {
            r.user_id
        };
        if user_id.is_empty() || user_id.len() > 128 || user_id.starts_with('#') {
            return Err(PluginFailure::BadOutput(
                "a reward needs a beneficiary: name the user (there is no acting user here)".into(),
            ));
        }
        let kind = match r.kind {
            wit::RewardKind::Prize => "prize",
            wit::RewardKind::Points => "points",
            wit::RewardKind::Coupon => "coupon",
            wit::RewardKind::Tickets => "tickets",
        };
        let item = if kind == "points" {
            "points".to_owned()
        } else {
            r.item
        };
        rewards.push(crate::store::RewardRow {
            user_id,
            kind: kind.into(),
            item,
            name: r.name,
            amount: r.amount,
            expires_at: r.expires_ms.filter(|_| kind == "coupon"),
            code: None,
        });
    }
    let mut events = Vec::with_capacity(outcome.events.len());
    for e in outcome.events {
        let dotted = |s: &str| {
            !s.is_empty()
                && s.len() <= 64
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_')
        };
        if !dotted(&e.kind) || e.subject.len() > 128 {
            return Err(PluginFailure::BadOutput(format!(
                "event kind {:?} must be dotted lower-case and the subject at most 128 bytes",
                truncate(e.kind, 64)
            )));
        }
        let data = if e.data.is_empty() {
            "{}".to_owned()
        } else {
            e.data
        };
        check_json(&data, limits, "event data")?;
        events.push(crate::store::EventRow {
            kind: e.kind,
            subject: e.subject,
            data,
        });
    }
    Ok(Ok(GuestOutcome {
        result: outcome.result,
        rewards,
        events,
    }))
}

pub(crate) fn check_setup(setup: wit::Setup) -> Result<Vec<(String, i64)>, PluginFailure> {
    if setup.stock.len() > 1000 {
        return Err(PluginFailure::BadOutput(
            "an activity may have at most 1000 stock pools".into(),
        ));
    }
    let mut pools: Vec<(String, i64)> = Vec::with_capacity(setup.stock.len());
    for p in setup.stock {
        let initial = i64::try_from(p.initial)
            .map_err(|_| PluginFailure::BadOutput(format!("stock pool {:?} is too large", p.id)))?;
        // Control characters are refused so a pool id can never collide
        // with the name of a group's share (`store::enablements`).
        if p.id.is_empty()
            || p.id.len() > 64
            || p.id.chars().any(char::is_control)
            || pools.iter().any(|(id, _)| *id == p.id)
        {
            return Err(PluginFailure::BadOutput(format!(
                "stock pool id {:?} must be unique, 1 to 64 bytes, without control characters",
                truncate(p.id, 64)
            )));
        }
        pools.push((p.id, initial));
    }
    Ok(pools)
}

pub(crate) fn check_manifest(m: wit::Manifest) -> Result<Manifest, PluginFailure> {
    let bad = |msg: String| PluginFailure::BadOutput(format!("describe: {msg}"));
    let kebab = |s: &str| {
        !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if !kebab(&m.name) {
        return Err(bad(format!("name {:?} is not kebab-case", m.name)));
    }
    if m.version.is_empty()
        || m.version.len() > 32
        || !m
            .version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-+".contains(&b))
    {
        return Err(bad(format!("version {:?} is not a version", m.version)));
    }
    let parse = |text: &str, what: &str| {
        serde_json::from_str::<serde_json::Value>(text)
            .map_err(|e| bad(format!("{what} is not JSON: {e}")))
    };
    let mut actions = Vec::with_capacity(m.actions.len());
    for a in m.actions {
        if !is_code(&a.name.replace('-', "_")) {
            return Err(bad(format!(
                "action name {:?} is not a simple name",
                a.name
            )));
        }
        actions.push(ActionSpec {
            payload_schema: parse(&a.payload_schema, "payload schema")?,
            name: a.name,
            summary: a.summary,
        });
    }
    Ok(Manifest {
        config_schema: parse(&m.config_schema, "config schema")?,
        name: m.name,
        version: m.version,
        summary: m.summary,
        actions,
        budget: LimitOverrides {
            fuel: m.budget.fuel,
            memory_bytes: m.budget.memory_bytes,
            timeout_ms: m.budget.timeout_ms,
        },
    })
}

/// The problems a `validate-config` refusal reports, checked and trimmed.
pub(crate) fn check_problems(
    problems: Vec<wit::ConfigError>,
) -> Result<Vec<ConfigProblem>, PluginFailure> {
    if problems.is_empty() || problems.len() > 100 {
        return Err(PluginFailure::BadOutput(
            "validate-config must report 1 to 100 problems".into(),
        ));
    }
    Ok(problems
        .into_iter()
        .map(|p| ConfigProblem {
            field: truncate(p.field, 256),
            message: truncate(p.message, 1024),
        })
        .collect())
}
