//! Unit tests against the SDK's mock host.
use super::*;
use arcade_sdk::testing::MockHost;

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
            {"from_rank": 1, "to_rank": 1, "reward": {"kind": "points", "amount": 100}},
            {"from_rank": 2, "to_rank": 3, "reward": {"kind": "coupon", "id": "c5", "name": "5 off", "amount": 500, "valid_days": 7}}
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

#[test]
fn config_errors_name_the_field() {
    let fields = |c: serde_json::Value| -> Vec<String> {
        MockHost::new(&c.to_string())
            .setup::<Quiz>()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect()
    };
    let mut c = config();
    c["questions"][0]["answer"] = json!(["a", "b"]);
    c["questions"][1]["answer"] = json!(["z"]);
    assert_eq!(fields(c), ["questions[0].answer", "questions[1].answer[0]"]);
    let mut c = config();
    c["questions"][2]["id"] = json!("q0");
    c["questions_per_attempt"] = json!(7);
    assert_eq!(fields(c), ["questions[2].id", "questions_per_attempt"]);
    let mut c = config();
    c["rank_rewards"][0]["to_rank"] = json!(0);
    c["rank_rewards"][1]["reward"]["id"] = json!("");
    c["leaderboard_size"] = json!(0);
    assert_eq!(
        fields(c),
        [
            "leaderboard_size",
            "rank_rewards[0].to_rank",
            "rank_rewards[1].reward.id"
        ]
    );
    let mut c = config();
    c["questions"][0]["kind"] = json!("essay");
    assert_eq!(fields(c), ["questions[0].kind"]);
    let mut c = config();
    c["typo"] = json!(1);
    assert_eq!(fields(c), ["typo"]);
    let mut c = config();
    c["time_limit_seconds"] = json!(0);
    c["speed_bonus"] = json!({"max_points": 0});
    assert_eq!(fields(c), ["time_limit_seconds", "speed_bonus.max_points"]);
}

#[test]
fn start_hides_answers_and_schedules_the_close() {
    let mut h = host(config());
    let out = h.handle::<Quiz>("u1", "start", json!({})).unwrap();
    let qs = out.result["questions"].as_array().unwrap();
    assert_eq!(qs.len(), 3);
    assert!(!has_answer_key(&out.result), "{}", out.result);
    for q in qs {
        assert_eq!(q["options"].as_array().unwrap().len(), 4);
        assert!(q.get("answer").is_none());
    }
    assert_eq!(out.result["deadline_ms"], T0 + 60_000);
    assert_eq!(h.pending_timers(), [(CLOSE_TIMER.to_owned(), CLOSES)]);

    let view = h.view::<Quiz>("u1").unwrap();
    assert!(!has_answer_key(&view), "{view}");
    assert_eq!(
        view["current_attempt"]["attempt_id"],
        out.result["attempt_id"]
    );
    assert_eq!(
        view["current_attempt"]["questions"],
        out.result["questions"]
    );
    assert_eq!(view["current_attempt"]["time_left_ms"], 60_000);
    assert_eq!(view["attempts_used"], 1);
    assert_eq!(view["attempts_left"], 1);
    assert!(view["last_result"].is_null());
}

#[test]
fn a_second_start_reports_the_attempt_in_progress() {
    let mut h = host(config());
    let (id, _) = start(&mut h, "u1");
    let err = h.handle::<Quiz>("u1", "start", json!({})).unwrap_err();
    assert_eq!(err.code, "attempt_in_progress");
    assert!(err.message.contains(&id));
    // Another user is not blocked.
    start(&mut h, "u2");
}

#[test]
fn submit_scores_exact_matches_and_reveals_answers_only_then() {
    let mut h = host(config());
    let (id, qs) = start(&mut h, "u1");
    h.set_now_ms(T0 + 10_000);
    // First right; second: a strict subset or superset of a multiple
    // answer is wrong, as is any wrong single answer.
    let mut ans = answers(&qs, 1);
    ans[&qs[1]] = if correct_answer(&qs[1]).len() == 2 {
        json!(["a"])
    } else {
        json!(["b", "c"])
    };
    let out = submit(&mut h, "u1", &id, ans).unwrap();
    assert_eq!(out.result["correct"], 1);
    assert_eq!(out.result["score"], points(&qs[0]));
    assert_eq!(out.result["elapsed_ms"], 10_000);
    let results = out.result["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["correct"], true);
    assert_eq!(results[1]["correct"], false);
    assert_eq!(results[1]["answer"], json!(correct_answer(&qs[1])));
    assert_eq!(out.events.len(), 1);
    assert_eq!(out.events[0].kind, "quiz.attempt_submitted");
    assert_eq!(out.events[0].subject, id);

    let view = h.view::<Quiz>("u1").unwrap();
    assert!(view["current_attempt"].is_null());
    assert_eq!(view["last_result"]["results"], out.result["results"]);
    assert_eq!(view["best"]["score"], points(&qs[0]));
    assert_eq!(view["rank"], 1);
}

#[test]
fn the_second_submit_of_an_attempt_is_refused() {
    let mut h = host(config());
    let (id, qs) = start(&mut h, "u1");
    submit(&mut h, "u1", &id, answers(&qs, 3)).unwrap();
    let err = submit(&mut h, "u1", &id, answers(&qs, 3)).unwrap_err();
    assert_eq!(err.code, "attempt_already_submitted");
    assert_eq!(h.view::<Quiz>("u1").unwrap()["attempts_used"], 1);
}

#[test]
fn attempts_are_private_and_bad_answers_are_refused() {
    let mut h = host(config());
    let (id, qs) = start(&mut h, "u1");
    assert_eq!(
        submit(&mut h, "u2", &id, json!({})).unwrap_err().code,
        "attempt_not_found"
    );
    assert_eq!(
        submit(&mut h, "u1", &"x".repeat(300), json!({}))
            .unwrap_err()
            .code,
        "attempt_not_found"
    );
    let not_drawn = (0..6)
        .map(|i| format!("q{i}"))
        .find(|q| !qs.contains(q))
        .unwrap();
    let err = submit(&mut h, "u1", &id, json!({ not_drawn: ["a"] })).unwrap_err();
    assert_eq!(err.code, "unknown_question");
    let err = submit(&mut h, "u1", &id, json!({ qs[0].clone(): ["zz"] })).unwrap_err();
    assert_eq!(err.code, "unknown_option");
    let err = h
        .handle::<Quiz>("u1", "submit", json!({"answers": {}}))
        .unwrap_err();
    assert_eq!(err.code, "invalid_payload");
    // None of those refusals used the attempt up.
    assert_eq!(
        submit(&mut h, "u1", &id, json!({})).unwrap().result["score"],
        0
    );
}

#[test]
fn the_time_limit_is_enforced_by_the_clock() {
    let mut h = host(config());
    let (id, qs) = start(&mut h, "u1");
    h.set_now_ms(T0 + 60_001);
    let err = submit(&mut h, "u1", &id, answers(&qs, 3)).unwrap_err();
    assert_eq!(err.code, "time_limit_exceeded");
    // Refused again: the clock, not stored state, decides.
    let err = submit(&mut h, "u1", &id, answers(&qs, 3)).unwrap_err();
    assert_eq!(err.code, "time_limit_exceeded");
    let view = h.view::<Quiz>("u1").unwrap();
    assert!(view["current_attempt"].is_null());
    assert_eq!(view["attempts_used"], 1);
    assert!(view["best"].is_null());
    // The expired attempt counts; the next start records it as expired.
    let (id2, qs2) = start(&mut h, "u1");
    let err = submit(&mut h, "u1", &id, answers(&qs, 3)).unwrap_err();
    assert_eq!(err.code, "time_limit_exceeded");
    // Exactly at the limit is still in time.
    h.set_now_ms(T0 + 60_001 + 60_000);
    submit(&mut h, "u1", &id2, answers(&qs2, 3)).unwrap();
    let err = h.handle::<Quiz>("u1", "start", json!({})).unwrap_err();
    assert_eq!(err.code, "no_attempts_left");
}

#[test]
fn the_best_attempt_counts_and_ties_go_to_the_earlier_finish() {
    let mut h = host(json!({
        "questions": bank(1),
        "questions_per_attempt": 1,
        "time_limit_seconds": 60,
        "attempts_per_user": 3,
        "closes_at_ms": CLOSES,
    }));
    // u1 answers right, slowly, first; u2 right, faster, but later.
    let (a1, q1) = start(&mut h, "u1");
    h.set_now_ms(T0 + 1_000);
    let (a2, q2) = start(&mut h, "u2");
    h.set_now_ms(T0 + 30_000);
    submit(&mut h, "u1", &a1, answers(&q1, 1)).unwrap();
    h.set_now_ms(T0 + 31_000);
    let out = submit(&mut h, "u2", &a2, answers(&q2, 1)).unwrap();
    assert_eq!(out.result["rank"], 2);
    // u3: same score, same finish time as u2, shorter elapsed: ahead of u2.
    h.set_now_ms(T0 + 21_000);
    let (a3, q3) = start(&mut h, "u3");
    h.set_now_ms(T0 + 31_000);
    submit(&mut h, "u3", &a3, answers(&q3, 1)).unwrap();
    // u2 does worse on a second attempt: the best one stays.
    let (a2b, q2b) = start(&mut h, "u2");
    let out = submit(&mut h, "u2", &a2b, answers(&q2b, 0)).unwrap();
    assert_eq!(out.result["best_score"], 1);
    let board = h.view::<Quiz>("u2").unwrap()["leaderboard"].clone();
    let users: Vec<_> = board
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["user_id"].clone())
        .collect();
    assert_eq!(users, [json!("u1"), json!("u3"), json!("u2")]);
    assert_eq!(h.view::<Quiz>("u2").unwrap()["rank"], 3);
    assert_eq!(h.view::<Quiz>("u2").unwrap()["attempts_left"], 1);
}

#[test]
fn the_speed_bonus_is_linear_in_time_left() {
    let mut c = config();
    c["speed_bonus"] = json!({"max_points": 30});
    let mut h = host(c);
    let (id, qs) = start(&mut h, "u1");
    h.set_now_ms(T0 + 20_000);
    let out = submit(&mut h, "u1", &id, answers(&qs, 3)).unwrap();
    let base: u64 = qs.iter().map(|q| points(q)).sum();
    assert_eq!(out.result["bonus"], 20);
    assert_eq!(out.result["score"], base + 20);
    // Nothing right, no bonus however fast.
    let (id, qs) = start(&mut h, "u2");
    let out = submit(&mut h, "u2", &id, answers(&qs, 0)).unwrap();
    assert_eq!(out.result["bonus"], 0);
    assert_eq!(out.result["score"], 0);
}

#[test]
fn closing_pays_rank_rewards_once_and_refuses_later_actions() {
    let mut h = host(config());
    let mut pending = None;
    for (n, user) in ["u1", "u2", "u3", "u4"].iter().enumerate() {
        let (id, qs) = start(&mut h, user);
        if n == 3 {
            pending = Some(id);
            continue;
        }
        // u1 gets all 3 right, u2 2, u3 1.
        submit(&mut h, user, &id, answers(&qs, 3 - n)).unwrap();
    }
    h.set_now_ms(CLOSES - 1);
    assert!(h.fire_due_timers::<Quiz>().is_empty());
    h.set_now_ms(CLOSES);
    let err = submit(&mut h, "u4", pending.as_deref().unwrap(), json!({})).unwrap_err();
    assert_eq!(err.code, "quiz_closed");
    let fired = h.fire_due_timers::<Quiz>();
    assert_eq!(fired.len(), 1);
    let out = fired[0].1.as_ref().unwrap();
    let got: Vec<_> = out
        .rewards
        .iter()
        .map(|r| (r.user_id.as_str(), r.kind, r.amount))
        .collect();
    assert_eq!(
        got,
        [
            ("u1", RewardKind::Points, 100),
            ("u2", RewardKind::Coupon, 500),
            ("u3", RewardKind::Coupon, 500)
        ]
    );
    assert_eq!(out.rewards[1].expires_ms, Some(CLOSES + 7 * 86_400_000));
    assert_eq!(out.events.len(), 1);
    assert_eq!(out.events[0].kind, "quiz.finished");
    let ranking = out.events[0].data["ranking"].as_array().unwrap();
    assert_eq!(ranking.len(), 3);
    assert_eq!(ranking[0]["user_id"], "u1");
    assert_eq!(h.balance("u1", "points"), 100);

    // Fires once: nothing is left to fire.
    assert!(h.fire_due_timers::<Quiz>().is_empty());
    assert_eq!(h.balance("u1", "points"), 100);
    assert_eq!(
        h.handle::<Quiz>("u5", "start", json!({})).unwrap_err().code,
        "quiz_closed"
    );
    let view = h.view::<Quiz>("u1").unwrap();
    assert_eq!(view["closed"], true);
    assert_eq!(view["rank"], 1);
}

#[test]
fn a_close_with_nobody_ranked_grants_nothing() {
    let mut h = host(config());
    // Started but never submitted: not on the leaderboard.
    start(&mut h, "u1");
    h.set_now_ms(CLOSES + 5_000);
    let fired = h.fire_due_timers::<Quiz>();
    let out = fired[0].1.as_ref().unwrap();
    assert!(out.rewards.is_empty());
    assert_eq!(out.events[0].data["ranking"], json!([]));
    assert!(h.pending_timers().is_empty());
    let view = h.view::<Quiz>("u1").unwrap();
    assert!(view["current_attempt"].is_null());
    assert!(view["rank"].is_null());
}

#[test]
fn an_unknown_action_is_invalid_input() {
    let mut h = host(config());
    let err = h.handle::<Quiz>("u1", "cheat", json!({})).unwrap_err();
    assert_eq!(err.code, "unknown_action");
}

proptest::proptest! {
    /// Whatever the seed, an attempt draws N distinct questions of the bank.
    #[test]
    fn draws_are_distinct_questions_of_the_bank(
        bank_size in 1usize..30,
        pick in 0usize..30,
        seed in proptest::prelude::any::<u64>(),
    ) {
        let n = 1 + pick % bank_size;
        let mut h = host(json!({
            "questions": bank(bank_size),
            "questions_per_attempt": n,
            "time_limit_seconds": 60,
            "closes_at_ms": CLOSES,
        }));
        h.seed(seed);
        let (_, qs) = start(&mut h, "u");
        proptest::prop_assert_eq!(qs.len(), n);
        let distinct: HashSet<_> = qs.iter().collect();
        proptest::prop_assert_eq!(distinct.len(), n);
        for q in &qs {
            proptest::prop_assert!(q[1..].parse::<usize>().unwrap() < bank_size);
        }
    }

    /// The score is the points of the exactly right questions, plus a
    /// bonus within `0..=max_points`.
    #[test]
    fn the_score_is_the_points_of_exact_answers_plus_a_bounded_bonus(
        seed in proptest::prelude::any::<u64>(),
        choices in proptest::collection::vec(proptest::collection::btree_set(0usize..4, 0..4), 5),
        elapsed in 0i64..=60_000,
        bonus in proptest::option::of(1u32..50),
    ) {
        let mut c = json!({
            "questions": bank(8),
            "questions_per_attempt": 5,
            "time_limit_seconds": 60,
            "closes_at_ms": CLOSES,
        });
        if let Some(b) = bonus {
            c["speed_bonus"] = json!({"max_points": b});
        }
        let mut h = host(c);
        h.seed(seed);
        let (id, qs) = start(&mut h, "u");
        let ids = ["a", "b", "c", "d"];
        let mut expected = 0u64;
        let mut answers = serde_json::Map::new();
        for (q, chosen) in qs.iter().zip(&choices) {
            let chosen: Vec<&str> = chosen.iter().map(|i| ids[*i]).collect();
            let mut right = correct_answer(q);
            right.sort();
            if chosen == right {
                expected += points(q);
            }
            answers.insert(q.clone(), json!(chosen));
        }
        h.set_now_ms(T0 + elapsed);
        let out = submit(&mut h, "u", &id, serde_json::Value::Object(answers)).unwrap();
        let score = out.result["score"].as_u64().unwrap();
        let got_bonus = out.result["bonus"].as_u64().unwrap();
        proptest::prop_assert_eq!(out.result["base_score"].as_u64().unwrap(), expected);
        proptest::prop_assert_eq!(score, expected + got_bonus);
        proptest::prop_assert!(got_bonus <= u64::from(bonus.unwrap_or(0)));
        if expected == 0 {
            proptest::prop_assert_eq!(got_bonus, 0);
        }
    }
}

#[test]
fn the_readme_example_config_is_valid() {
    let readme = include_str!("../README.md");
    let start = readme.find("\"config\": {").unwrap() + "\"config\": ".len();
    let end = readme[start..].find("\n    }}'").unwrap() + start + "\n    }".len();
    // The shell splices `$CLOSES` (an hour from now) into the JSON.
    let text = readme[start..end].replace("'$CLOSES'", &(T0 + 3_600_000).to_string());
    let config: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut h = host(config);
    h.set_now_ms(T0);
    let out = h.handle::<Quiz>("u1", "start", json!({})).unwrap();
    assert_eq!(out.result["questions"].as_array().unwrap().len(), 2);
}
