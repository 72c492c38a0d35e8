//! What a plugin returns must be storable (see [`crate::text`]): a U+0000
//! anywhere in its result, rewards, events, state writes, timers or
//! balance names fails that call as `plugin_bad_output`, before anything
//! reaches the store.

use serde_json::Value;

use crate::sandbox::{CallIo, GuestOutcome, PluginFailure, TimerOp};
use crate::text::{find_nul, storable};

/// `Err` naming the first output that carries U+0000.
pub(crate) fn check_storable(outcome: &GuestOutcome, io: &CallIo) -> Result<(), PluginFailure> {
    match first_nul(outcome, io) {
        None => Ok(()),
        Some(what) => Err(PluginFailure::BadOutput(format!(
            "{what} contains the character U+0000, which cannot be stored"
        ))),
    }
}

fn first_nul(outcome: &GuestOutcome, io: &CallIo) -> Option<String> {
    if let Some(path) = json_nul(&outcome.result, "result") {
        return Some(path);
    }
    for (i, r) in outcome.rewards.iter().enumerate() {
        let texts = [&r.user_id, &r.kind, &r.item, &r.name];
        if texts.iter().any(|t| !storable(t)) {
            return Some(format!("reward {i}"));
        }
    }
    for (i, e) in outcome.events.iter().enumerate() {
        if !storable(&e.kind) || !storable(&e.subject) {
            return Some(format!("event {i}"));
        }
        if let Some(path) = json_nul(&e.data, &format!("event {i} data")) {
            return Some(path);
        }
    }
    for (key, value) in &io.writes {
        let value_ok = value.as_deref().is_none_or(storable);
        if !storable(&key.user_id) || !storable(&key.key) || !value_ok {
            return Some(format!("state key {:?}", key.key));
        }
    }
    for op in &io.timers {
        let ok = match op {
            TimerOp::Schedule { name, payload, .. } => {
                storable(name) && json_nul(payload, "").is_none()
            }
            TimerOp::Cancel { name } => storable(name),
        };
        if !ok {
            return Some("a timer".into());
        }
    }
    let names = io.stock_delta.keys().chain(io.debits.keys());
    names
        .filter(|n| !storable(n))
        .map(|_| "a stock pool or balance name".to_owned())
        .next()
}

/// A U+0000 in JSON text: literal, or escaped inside a string or key.
fn json_nul(text: &str, at: &str) -> Option<String> {
    if !storable(text) {
        return Some(at.to_owned());
    }
    // Only escaped NULs are left to find, so skip parsing without one.
    if !text.contains("\\u0000") {
        return None;
    }
    let value: Value = serde_json::from_str(text).ok()?;
    find_nul(&value, at)
}
