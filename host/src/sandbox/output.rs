//! What a guest returns, and the checks it must pass before the host
//! believes it: manifests, setups, outcomes, refusals, JSON texts. Anything
//! that breaks the contract becomes `plugin_bad_output`.
//!
//! The checks run over the `Raw*` forms, which every contract version's
//! answers are converted into first (`version.rs`), so one set of rules
//! serves them all.

use serde::{Deserialize, Serialize};

use super::failure::PluginFailure;
use super::limits::{LimitOverrides, Limits};

/// One action the plugin accepts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct ActionSpec {
    /// Name.
    pub name: String,
    /// One sentence.
    pub summary: String,
    /// JSON Schema of the payload.
    pub payload_schema: serde_json::Value,
}

/// A plugin's `describe` answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
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
    /// JSON Schema of the query its view accepts (contract 0.2 on; none
    /// for a 0.1 plugin, whose view takes no query).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view_query_schema: Option<serde_json::Value>,
    /// Resources it asks for.
    pub budget: LimitOverrides,
    /// The contract version the component implements, `0.1.0` or
    /// `0.2.0`; set by the host from the component's exports.
    #[serde(default = "contract_0_1")]
    pub contract: String,
}

fn contract_0_1() -> String {
    "0.1.0".into()
}

/// A refusal as any contract version reports it.
pub(crate) struct RawError {
    pub kind: GuestErrorKind,
    pub code: String,
    pub message: String,
}

/// A reward as any contract version grants it, flattened as the ledger
/// stores it.
pub(crate) struct RawGrant {
    /// None for the acting user.
    pub recipient: Option<String>,
    pub kind: &'static str,
    pub item: String,
    pub name: String,
    pub amount: i64,
    pub expires_ms: Option<i64>,
}

/// An event as any contract version records it.
pub(crate) enum RawEvent {
    /// A mechanic's own fact. `strict`: the version forbids the kinds the
    /// host records itself (0.2 on; 0.1's looser rules are frozen).
    Custom {
        kind: String,
        subject: String,
        data: Option<String>,
        strict: bool,
    },
    /// A typed invite (0.2 on): `invitee` none for the acting user.
    Invite {
        invitee: Option<String>,
        inviter: String,
    },
}

/// A successful `handle` or `on-timer` as any contract version returns it.
pub(crate) struct RawOutcome {
    pub result: String,
    pub rewards: Vec<RawGrant>,
    pub events: Vec<RawEvent>,
}

/// A `describe` answer as any contract version returns it.
pub(crate) struct RawManifest {
    pub name: String,
    pub version: String,
    pub summary: String,
    /// `(name, summary, payload schema)`.
    pub actions: Vec<(String, String, String)>,
    pub config_schema: String,
    pub view_query_schema: Option<String>,
    pub budget: LimitOverrides,
    pub contract: &'static str,
}

/// A config problem, its path already rendered.
pub(crate) struct RawProblem {
    pub field: String,
    pub message: String,
}

/// A refusal by the mechanic (a rule said no); nothing is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GuestError {
    /// `invalid_input`, `rejected` or `not_found`.
    pub kind: GuestErrorKind,
    /// snake_case code.
    pub code: String,
    /// Message.
    pub message: String,
}

/// HTTP-level class of a guest refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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

pub(crate) fn check_guest_error(e: RawError) -> Result<GuestError, PluginFailure> {
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
        kind: e.kind,
        code: e.code,
        message: truncate(e.message, 1024),
    })
}

pub(crate) fn check_outcome_result(
    r: Result<RawOutcome, RawError>,
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
        let user_id = beneficiary(r.recipient, acting_user).ok_or_else(|| {
            PluginFailure::BadOutput(
                "a reward needs a beneficiary: name the user (there is no acting user here)".into(),
            )
        })?;
        rewards.push(crate::store::RewardRow {
            user_id,
            kind: r.kind.into(),
            item: r.item,
            name: r.name,
            amount: r.amount,
            expires_at: r.expires_ms.filter(|_| r.kind == "coupon"),
            code: None,
        });
    }
    let mut events = Vec::with_capacity(outcome.events.len());
    for e in outcome.events {
        events.push(check_event(e, limits, acting_user)?);
    }
    Ok(Ok(GuestOutcome {
        result: outcome.result,
        rewards,
        events,
    }))
}

/// The user a grant or invite is for: the named one, or the acting user;
/// none if that is nobody or the name is not a user id.
fn beneficiary(named: Option<String>, acting_user: &str) -> Option<String> {
    let user_id = named
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| acting_user.to_owned());
    (!user_id.is_empty() && user_id.len() <= 128 && !user_id.starts_with('#')).then_some(user_id)
}

fn check_event(
    e: RawEvent,
    limits: &Limits,
    acting_user: &str,
) -> Result<crate::store::EventRow, PluginFailure> {
    match e {
        RawEvent::Custom {
            kind,
            subject,
            data,
            strict,
        } => {
            let dotted = |s: &str| {
                !s.is_empty()
                    && s.len() <= 64
                    && s.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_'
                    })
            };
            if !dotted(&kind) || subject.len() > 128 {
                return Err(PluginFailure::BadOutput(format!(
                    "event kind {:?} must be dotted lower-case and the subject at most 128 bytes",
                    truncate(kind, 64)
                )));
            }
            if strict
                && (kind == "invite.accepted"
                    || kind.starts_with("reward.")
                    || kind.starts_with("activity."))
            {
                return Err(PluginFailure::BadOutput(format!(
                    "event kind {kind:?} is recorded by the host (report invites with the typed invite-accepted event)"
                )));
            }
            let data = data
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| "{}".into());
            check_json(&data, limits, "event data")?;
            Ok(crate::store::EventRow {
                kind,
                subject,
                data,
            })
        }
        RawEvent::Invite { invitee, inviter } => {
            let invitee = beneficiary(invitee, acting_user).ok_or_else(|| {
                PluginFailure::BadOutput(
                    "an invite needs an invitee: name the user (there is no acting user here)"
                        .into(),
                )
            })?;
            if inviter.is_empty() || inviter.len() > 128 || inviter.starts_with('#') {
                return Err(PluginFailure::BadOutput(
                    "an invite's inviter must be a user id of 1 to 128 bytes".into(),
                ));
            }
            Ok(crate::store::EventRow {
                kind: "invite.accepted".into(),
                subject: invitee,
                data: serde_json::json!({ "inviter": inviter }).to_string(),
            })
        }
    }
}

pub(crate) fn check_setup(stock: Vec<(String, u64)>) -> Result<Vec<(String, i64)>, PluginFailure> {
    if stock.len() > 1000 {
        return Err(PluginFailure::BadOutput(
            "an activity may have at most 1000 stock pools".into(),
        ));
    }
    let mut pools: Vec<(String, i64)> = Vec::with_capacity(stock.len());
    for (id, initial) in stock {
        let initial = i64::try_from(initial)
            .map_err(|_| PluginFailure::BadOutput(format!("stock pool {id:?} is too large")))?;
        // Control characters are refused so a pool id can never collide
        // with the name of a group's share (`store::enablements`).
        if id.is_empty()
            || id.len() > 64
            || id.chars().any(char::is_control)
            || pools.iter().any(|(seen, _)| *seen == id)
        {
            return Err(PluginFailure::BadOutput(format!(
                "stock pool id {:?} must be unique, 1 to 64 bytes, without control characters",
                truncate(id, 64)
            )));
        }
        pools.push((id, initial));
    }
    Ok(pools)
}

pub(crate) fn check_manifest(m: RawManifest) -> Result<Manifest, PluginFailure> {
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
    for (name, summary, payload_schema) in m.actions {
        if !is_code(&name.replace('-', "_")) {
            return Err(bad(format!("action name {name:?} is not a simple name")));
        }
        actions.push(ActionSpec {
            payload_schema: parse(&payload_schema, "payload schema")?,
            name,
            summary,
        });
    }
    Ok(Manifest {
        config_schema: parse(&m.config_schema, "config schema")?,
        view_query_schema: m
            .view_query_schema
            .map(|s| parse(&s, "view query schema"))
            .transpose()?,
        name: m.name,
        version: m.version,
        summary: m.summary,
        actions,
        budget: m.budget,
        contract: m.contract.into(),
    })
}

/// The problems a `validate-config` refusal reports, checked and trimmed.
pub(crate) fn check_problems(
    problems: Vec<RawProblem>,
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
