//! Unit tests against the SDK's mock host, by concern; the helpers here
//! build banks and configs, and start and submit attempts.
use crate::*;
use arcade_sdk::testing::MockHost;
use arcade_sdk::{Error, json};

mod attempts;
mod checks;
mod properties;
mod ranking;

/// The mock's clock at creation: 2026-01-01T00:00:00Z.
const T0: i64 = 1_767_225_600_000;
const CLOSES: i64 = T0 + 3_600_000;

/// A bank of `n` questions: even ones single choice (answer `b`), odd
/// ones multiple choice (answer `a` and `c`); question `i` is worth `i + 1`.
fn bank(n: usize) -> Vec<serde_json::Value> {
    (0..n)
        .map(|i| {
            let (kind, answer) = if i.is_multiple_of(2) {
                ("single", json!(["b"]))
            } else {
                ("multiple", json!(["a", "c"]))
            };
            json!({
                "id": format!("q{i}"),
                "text": format!("Question {i}?"),
                "kind": kind,
                "options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"},
                            {"id": "c", "text": "C"}, {"id": "d", "text": "D"}],
                "answer": answer,
                "points": i + 1,
            })
        })
        .collect()
}

fn config() -> serde_json::Value {
    json!({
        "questions": bank(6),
        "questions_per_attempt": 3,
        "time_limit_seconds": 60,
        "attempts_per_user": 2,
        "closes_at_ms": CLOSES,
        "rank_rewards": [
            {"from_rank": 1, "to_rank": 1, "reward": {"points": 100}},
            {"from_rank": 2, "to_rank": 3, "reward": {"coupon": {"id": "c5", "name": "5 off", "value_fen": 500, "valid_days": 7}}}
        ]
    })
}

fn host(config: serde_json::Value) -> MockHost {
    let mut host = MockHost::new(&config.to_string());
    host.setup::<Quiz>().expect("valid config");
    host
}

fn correct_answer(id: &str) -> Vec<&'static str> {
    let i: usize = id[1..].parse().unwrap();
    if i.is_multiple_of(2) {
        vec!["b"]
    } else {
        vec!["a", "c"]
    }
}

fn points(id: &str) -> u64 {
    id[1..].parse::<u64>().unwrap() + 1
}

fn start(h: &mut MockHost, user: &str) -> (String, Vec<String>) {
    let out = h.handle::<Quiz>(user, "start", json!({})).unwrap();
    let id = out.result["attempt_id"].as_str().unwrap().to_owned();
    let qs = out.result["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap().to_owned())
        .collect();
    (id, qs)
}

/// Answers for `qs`, right for the first `right` questions, wrong after.
fn answers(qs: &[String], right: usize) -> serde_json::Value {
    let map: serde_json::Map<_, _> = qs
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let a = if i < right {
                correct_answer(q)
            } else {
                vec!["d"]
            };
            (q.clone(), json!(a))
        })
        .collect();
    serde_json::Value::Object(map)
}

fn submit(
    h: &mut MockHost,
    user: &str,
    id: &str,
    answers: serde_json::Value,
) -> Result<arcade_sdk::testing::MockOutcome, Error> {
    h.handle::<Quiz>(
        user,
        "submit",
        json!({"attempt_id": id, "answers": answers}),
    )
}

/// No `answer` key anywhere in `v`.
fn has_answer_key(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Object(m) => m
            .iter()
            .any(|(k, v)| k == "answer" || k == "answers" || has_answer_key(v)),
        serde_json::Value::Array(a) => a.iter().any(has_answer_key),
        _ => false,
    }
}
