//! What a step did, as the golden file keeps it (everything a platform
//! would see, nothing that differs from run to run), and how a step's
//! `expect` is checked against it.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;

/// What one step did: what the golden file keeps.
#[derive(Debug, Default, Serialize)]
pub(super) struct Output {
    /// Its number in the session (0 inside a `together` step).
    #[serde(skip_serializing_if = "is_zero")]
    pub step: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// The user whose view this is (`null`: no one's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub view: Option<Value>,
    /// The view's query, if it had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<std::collections::BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advance: Option<String>,
    /// The clock after the step, in the activity's time zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub now: Option<String>,
    /// The HTTP status the API would answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rewards: Option<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
    /// The timers an `advance` fired, in order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timers: Option<Vec<Timer>>,
    /// What a `together` step found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub together: Option<Box<Together>>,
}

/// Two actions as if they arrived in the same instant (see
/// `session::TogetherStep`).
#[derive(Debug, Serialize)]
pub(super) struct Together {
    /// A, then B: what the session goes on from.
    pub a_then_b: [Output; 2],
    /// B, then A, from the same state.
    pub b_then_a: [Output; 2],
    /// State one wrote and the other read or wrote, each run from the
    /// state before the step (empty: they commute, and the host commits
    /// both without running either again).
    pub conflicts: Vec<String>,
    /// Whether either action answered differently (accepted or refused,
    /// its code, result or rewards) in the other order.
    pub order_matters: bool,
}

impl Together {
    /// Judge the two orders; `first_calls` are what A (as it ran first)
    /// and B (as it ran first) read and wrote.
    pub(super) fn judge(
        a_then_b: [Output; 2],
        b_then_a: [Output; 2],
        first_calls: [&[super::fuel::Call]; 2],
    ) -> Self {
        fn touched(calls: &[super::fuel::Call]) -> (BTreeSet<&str>, BTreeSet<&str>) {
            let reads = calls.iter().flat_map(|c| &c.reads).map(String::as_str);
            let writes = calls.iter().flat_map(|c| &c.writes).map(String::as_str);
            (reads.collect(), writes.collect())
        }
        let (ra, wa) = touched(first_calls[0]);
        let (rb, wb) = touched(first_calls[1]);
        let mut conflicts: BTreeSet<&str> = BTreeSet::new();
        conflicts.extend(
            wa.iter()
                .filter(|k| rb.contains(*k) || wb.contains(*k))
                .copied(),
        );
        conflicts.extend(wb.iter().filter(|k| ra.contains(*k)).copied());
        let answer = |o: &Output| {
            (
                o.status,
                o.code.clone(),
                o.result.clone(),
                o.rewards.clone(),
            )
        };
        let order_matters = answer(&a_then_b[0]) != answer(&b_then_a[1])
            || answer(&a_then_b[1]) != answer(&b_then_a[0]);
        Together {
            a_then_b,
            b_then_a,
            conflicts: conflicts.into_iter().map(String::from).collect(),
            order_matters,
        }
    }
}

/// An event, without what differs from run to run (sequence, ids, time).
#[derive(Debug, Serialize)]
pub(super) struct Event {
    #[serde(rename = "type")]
    pub kind: String,
    pub subject: String,
    pub data: Value,
}

/// A timer's call.
#[derive(Debug, Serialize)]
pub(super) struct Timer {
    pub timer: String,
    /// When it fired (its due time), in the activity's time zone.
    pub at: String,
    pub result: Value,
    #[serde(skip_serializing_if = "is_empty_array")]
    pub rewards: Value,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn is_empty_array(v: &Value) -> bool {
    v.as_array().is_some_and(Vec::is_empty)
}

/// Where `actual` differs from what `expected` asks: every key of an
/// expected object must match (others are ignored), arrays match element
/// by element and in length, anything else must be equal. Paths like
/// `result.prizes[0].id`.
pub(super) fn unmet(actual: &Value, expected: &Value, path: &str, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(want), Value::Object(have)) => {
            for (key, w) in want {
                let sub = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match have.get(key) {
                    Some(h) => unmet(h, w, &sub, out),
                    None => out.push(format!("{sub}: expected {w}, missing")),
                }
            }
        }
        (Value::Array(want), Value::Array(have)) if want.len() == have.len() => {
            for (i, (w, h)) in want.iter().zip(have).enumerate() {
                unmet(h, w, &format!("{path}[{i}]"), out);
            }
        }
        (w, h) if w == h => {}
        (w, h) => out.push(format!("{path}: expected {w}, got {h}")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::unmet;

    #[test]
    fn expectations_match_what_they_name() {
        let actual = json!({"status": 200, "result": {"stamps": 2, "goal": 3}, "rewards": []});
        let mut out = Vec::new();
        unmet(&actual, &json!({"result": {"stamps": 2}}), "", &mut out);
        assert!(out.is_empty(), "{out:?}");
        unmet(
            &actual,
            &json!({"result": {"stamps": 3}, "code": "x"}),
            "",
            &mut out,
        );
        assert_eq!(
            out,
            [
                "code: expected \"x\", missing",
                "result.stamps: expected 3, got 2"
            ]
        );
    }
}
