//! The rules, natively, against the SDK's mock host.

mod bounds;
mod close;
mod config;
mod entries;
mod ranking;
mod votes;

use arcade_sdk::testing::{MockHost, MockOutcome};
use arcade_sdk::{Error, Value};
use serde_json::json;

use crate::Voting;

/// The mock host's clock at the start: 2026-01-01T08:00 in its UTC+8.
pub const START: i64 = 1_767_225_600_000;
pub const HOUR: i64 = 3_600_000;
pub const DAY: i64 = 24 * HOUR;
/// The moderator of every test contest.
pub const OP: &str = "op";

/// A contest closing in a week, moderated by [`OP`], with `extra` fields.
pub fn config(extra: Value) -> Value {
    let mut config = json!({"closes_at_ms": START + 7 * DAY, "moderators": [OP]});
    for (k, v) in extra.as_object().expect("extra fields").clone() {
        config[k] = v;
    }
    config
}

pub fn host(extra: Value) -> MockHost {
    let mut host = MockHost::new(&config(extra).to_string());
    host.setup::<Voting>().expect("valid config");
    host
}

pub fn act(
    host: &mut MockHost,
    user: &str,
    action: &str,
    payload: Value,
) -> Result<MockOutcome, Error> {
    host.handle::<Voting>(user, action, payload)
}

/// The refusal's code, or `ok`.
pub fn code(r: Result<MockOutcome, Error>) -> String {
    r.map_or_else(|e| e.code, |_| "ok".into())
}

/// Submit an entry titled `title` by `user`; its id.
pub fn submit(host: &mut MockHost, user: &str, title: &str) -> String {
    let out = act(host, user, "submit", json!({"title": title})).expect("submitted");
    out.result["entry_id"].as_str().unwrap().to_owned()
}

/// An approved entry by `user`; its id.
pub fn approved(host: &mut MockHost, user: &str, title: &str) -> String {
    let id = submit(host, user, title);
    act(host, OP, "approve", json!({"entry_id": id})).expect("approved");
    id
}

pub fn vote(host: &mut MockHost, user: &str, id: &str) -> Result<MockOutcome, Error> {
    act(host, user, "vote", json!({"entry_id": id}))
}
