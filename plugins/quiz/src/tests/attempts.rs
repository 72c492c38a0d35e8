//! Starting and submitting attempts: hidden answers, scoring, time limits.
use super::*;

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
fn an_unknown_action_is_invalid_input() {
    let mut h = host(config());
    let err = h.handle::<Quiz>("u1", "cheat", json!({})).unwrap_err();
    assert_eq!(err.code, "unknown_action");
}
