//! The quiz over HTTP: questions drawn without answers, exact-answer
//! scoring and corrections only after submission, time limits on the host
//! clock, attempts, the leaderboard order, racing submissions, and the
//! close timer paying rank rewards once even when it came due while no
//! server was running.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use serde_json::{Value, json};

use crate::both_backends;
use crate::harness::{Reply, Server, Tenant};
use crate::support::Db;

both_backends!(
    start_draws_questions_without_answers,
    submit_scores_exact_answers_only,
    attempts_time_limit_and_closing,
    config_errors_name_the_field,
    leaderboard_orders_ties_by_time,
    racing_submissions_count_once,
    close_timer_pays_once_after_downtime,
);

const DAY_MS: i64 = 86_400_000;

/// The bank: five questions; q4 and q5 have non-default points.
fn bank() -> Value {
    json!([
        {"id": "q1", "text": "Espresso bean?", "kind": "single",
         "options": [{"id": "a", "text": "Arabica"}, {"id": "b", "text": "Kidney"},
                     {"id": "c", "text": "Soy"}],
         "answer": ["a"]},
        {"id": "q2", "text": "Milk drinks?", "kind": "multiple",
         "options": [{"id": "a", "text": "Latte"}, {"id": "b", "text": "Americano"},
                     {"id": "c", "text": "Flat white"}],
         "answer": ["a", "c"]},
        {"id": "q3", "text": "Brewing temperature?", "kind": "single",
         "options": [{"id": "a", "text": "60 C"}, {"id": "b", "text": "92 C"}],
         "answer": ["b"]},
        {"id": "q4", "text": "Which are roasts?", "kind": "multiple", "points": 5,
         "options": [{"id": "a", "text": "Tall"}, {"id": "b", "text": "Dark"},
                     {"id": "c", "text": "Grande"}],
         "answer": ["b"]},
        {"id": "q5", "text": "Origin of coffee?", "kind": "single", "points": 20,
         "options": [{"id": "a", "text": "Ethiopia"}, {"id": "b", "text": "Iceland"}],
         "answer": ["a"]}
    ])
}

/// Question id → (correct options, points), from [`bank`].
fn key() -> HashMap<String, (Vec<String>, u64)> {
    bank()
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            let answer = q["answer"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_owned())
                .collect();
            (
                q["id"].as_str().unwrap().to_owned(),
                (answer, q["points"].as_u64().unwrap_or(10)),
            )
        })
        .collect()
}

/// A valid config closing `closes_in_ms` from the server's clock, with
/// `extra` fields merged in.
fn config(s: &Server, closes_in_ms: i64, extra: Value) -> Value {
    let mut c = json!({
        "questions": bank(),
        "questions_per_attempt": 3,
        "time_limit_seconds": 60,
        "closes_at_ms": s.arcade.now() + closes_in_ms,
    });
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

/// Panics if any object in `v` carries answer data.
fn assert_no_answers(v: &Value, what: &str) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                assert!(
                    !["answer", "answers", "correct", "results", "right"].contains(&k.as_str()),
                    "{what} leaks answer data under {k:?}: {v}"
                );
                assert_no_answers(x, what);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| assert_no_answers(x, what)),
        _ => {}
    }
}

async fn start(s: &Server, t: &Tenant, quiz: &str, user: &str) -> Value {
    let r = s.act(t, quiz, user, "start").await;
    assert_eq!(r.status, 200, "{user} start: {r:?}");
    r.body["result"].clone()
}

async fn submit(
    s: &Server,
    t: &Tenant,
    quiz: &str,
    user: &str,
    attempt: &str,
    answers: Value,
) -> Reply {
    s.act_with(
        t,
        quiz,
        user,
        "submit",
        json!({"attempt_id": attempt, "answers": answers}),
    )
    .await
}

/// Answers that get exactly the questions in `right` right and leave the
/// others out.
fn answering(right: &[&str]) -> Value {
    let key = key();
    let mut m = serde_json::Map::new();
    for q in right {
        m.insert((*q).to_owned(), json!(key[*q].0));
    }
    Value::Object(m)
}

fn question_ids(start: &Value) -> Vec<String> {
    start["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap().to_owned())
        .collect()
}

fn events_of<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == kind).collect()
}

async fn balances(s: &Server, t: &Tenant, user: &str) -> Value {
    let r = s
        .get(&t.platform, &format!("/v1/users/{user}/points"))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body
}

async fn rewards(s: &Server, t: &Tenant, user: &str) -> Vec<Value> {
    let r = s
        .get(&t.platform, &format!("/v1/users/{user}/rewards"))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body["rewards"].as_array().unwrap().clone()
}

fn code(r: &Reply) -> (u16, &str) {
    (r.status.as_u16(), r.code())
}

async fn start_draws_questions_without_answers(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let now = s.arcade.now();
    s.arcade.freeze_clock(Some(now));
    let quiz = s
        .activity(
            &t,
            "quiz",
            config(&s, 3_600_000, json!({"attempts_per_user": 3})),
        )
        .await;
    let bank = bank();
    let bank_q: HashMap<&str, &Value> = bank
        .as_array()
        .unwrap()
        .iter()
        .map(|q| (q["id"].as_str().unwrap(), q))
        .collect();

    let mut seen = BTreeSet::new();
    for i in 0..16 {
        let user = &format!("u{i}");
        let r = s.act(&t, &quiz, user, "start").await;
        assert_eq!(r.status, 200, "{r:?}");
        assert_no_answers(&r.body, "start reply");
        let st = &r.body["result"];
        assert_eq!(st["started_at_ms"], now);
        assert_eq!(st["deadline_ms"], now + 60_000);
        assert_eq!(st["time_limit_seconds"], 60);
        assert_eq!(st["attempts_left"], 2);
        assert_eq!(st["attempt_id"], r.body["outcome_id"], "the call id");
        let ids = question_ids(st);
        assert_eq!(ids.len(), 3, "{st}");
        assert_eq!(
            ids.iter().collect::<BTreeSet<_>>().len(),
            3,
            "distinct: {ids:?}"
        );
        for q in st["questions"].as_array().unwrap() {
            let id = q["id"].as_str().unwrap();
            let b = bank_q.get(id).unwrap_or_else(|| panic!("{id} not in bank"));
            let keys: BTreeSet<&str> = q.as_object().unwrap().keys().map(|k| &**k).collect();
            assert_eq!(
                keys,
                BTreeSet::from(["id", "text", "kind", "options", "points"]),
                "{q}"
            );
            assert_eq!(q["text"], b["text"]);
            assert_eq!(q["kind"], b["kind"]);
            assert_eq!(q["options"], b["options"], "options as configured");
            assert_eq!(q["points"], b["points"].as_u64().unwrap_or(10));
            seen.insert(id.to_owned());
        }

        let view = s.view(&t, &quiz, user).await;
        assert_no_answers(&view, "view before submission");
        let cur = &view["current_attempt"];
        assert_eq!(cur["attempt_id"], st["attempt_id"]);
        assert_eq!(cur["questions"], st["questions"]);
        assert_eq!(cur["time_left_ms"], 60_000);
        assert_eq!(view["attempts_used"], 1);
        assert_eq!(view["last_result"], Value::Null);
    }
    // 16 draws of 3 from 5: every question turns up (probability of
    // missing one is 5 * (2/5)^16, about 2e-6).
    assert_eq!(seen.len(), 5, "{seen:?}");
}

async fn submit_scores_exact_answers_only(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let t0 = s.arcade.now();
    s.arcade.freeze_clock(Some(t0));
    let quiz = s
        .activity(
            &t,
            "quiz",
            config(
                &s,
                3_600_000,
                json!({"questions_per_attempt": 5, "speed_bonus": {"max_points": 10}}),
            ),
        )
        .await;
    let st = start(&s, &t, &quiz, "u1").await;
    let attempt = st["attempt_id"].as_str().unwrap().to_owned();
    assert_eq!(question_ids(&st).len(), 5);

    // Refusals store nothing: the attempt stays submittable.
    let r = submit(&s, &t, &quiz, "u1", &attempt, json!({"q9": ["a"]})).await;
    assert_eq!(code(&r), (422, "unknown_question"), "{r:?}");
    let r = submit(&s, &t, &quiz, "u1", &attempt, json!({"q1": ["z"]})).await;
    assert_eq!(code(&r), (422, "unknown_option"), "{r:?}");
    let r = s
        .act_with(&t, &quiz, "u1", "submit", json!({"answers": {}}))
        .await;
    assert_eq!(code(&r), (422, "invalid_payload"), "{r:?}");
    let r = submit(&s, &t, &quiz, "u1", "no-such-attempt", json!({})).await;
    assert_eq!(code(&r), (404, "attempt_not_found"), "{r:?}");
    // Another user's attempt id is not found for them.
    let r = submit(&s, &t, &quiz, "u2", &attempt, answering(&["q1"])).await;
    assert_eq!(code(&r), (404, "attempt_not_found"), "{r:?}");
    assert_no_answers(&s.view(&t, &quiz, "u1").await, "view after refusals");

    // 15 s of 60 used: bonus floor(10 * 45/60) = 7.
    s.arcade.freeze_clock(Some(t0 + 15_000));
    let answers = json!({
        "q1": ["a"],            // exact: 10
        "q2": ["a"],            // subset of {a, c}: 0
        "q3": ["b", "b"],       // duplicate counts once: 10
        "q4": ["a", "b"],       // superset of {b}: 0
        "q5": ["a", "b"]        // several options on a single choice: 0
    });
    let r = submit(&s, &t, &quiz, "u1", &attempt, answers).await;
    assert_eq!(r.status, 200, "{r:?}");
    let res = &r.body["result"];
    assert_eq!(res["attempt_id"], attempt.as_str());
    assert_eq!(res["base_score"], 20, "{res}");
    assert_eq!(res["bonus"], 7, "{res}");
    assert_eq!(res["score"], 27, "{res}");
    assert_eq!(
        (res["correct"].clone(), res["total"].clone()),
        (json!(2), json!(5))
    );
    assert_eq!(res["elapsed_ms"], 15_000);
    assert_eq!(res["best_score"], 27);
    assert_eq!(res["rank"], 1);
    assert_eq!(res["attempts_left"], 0);
    let key = key();
    let results = res["results"].as_array().unwrap();
    assert_eq!(
        results
            .iter()
            .map(|x| x["question_id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>(),
        question_ids(&st),
        "corrections in draw order"
    );
    for x in results {
        let q = x["question_id"].as_str().unwrap();
        let right = q == "q1" || q == "q3";
        assert_eq!(x["correct"], right, "{x}");
        assert_eq!(
            x["answer"],
            json!(key[q].0),
            "the correction shows the answer"
        );
        assert_eq!(x["points"], if right { 10 } else { 0 }, "{x}");
    }

    // Now the view shows the corrections, and no attempt in progress.
    let view = s.view(&t, &quiz, "u1").await;
    assert_eq!(view["current_attempt"], Value::Null);
    assert_eq!(view["last_result"]["results"], res["results"]);
    assert_eq!(view["last_result"]["score"], 27);
    assert_eq!(view["best"]["score"], 27);
    assert_eq!(view["best"]["attempt_id"], attempt.as_str());
    assert_eq!(view["rank"], 1);
    assert_eq!(view["leaderboard"][0]["user_id"], "u1");
    assert_eq!(view["leaderboard"][0]["score"], 27);
    // ...to u1 only.
    assert_no_answers(&s.view(&t, &quiz, "u2").await, "another user's view");

    // Submitting again is refused and changes nothing.
    let again = submit(&s, &t, &quiz, "u1", &attempt, answering(&["q1", "q2"])).await;
    assert_eq!(
        code(&again),
        (409, "attempt_already_submitted"),
        "{again:?}"
    );

    // An instant, empty submission earns no bonus (min_correct 1) and is
    // still ranked, below u1.
    let st2 = start(&s, &t, &quiz, "u2").await;
    let r = submit(
        &s,
        &t,
        &quiz,
        "u2",
        st2["attempt_id"].as_str().unwrap(),
        json!({}),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        (
            r.body["result"]["score"].clone(),
            r.body["result"]["bonus"].clone()
        ),
        (json!(0), json!(0))
    );
    assert_eq!(r.body["result"]["rank"], 2);
    // All right at the limit: 55 points, bonus 0, and in time.
    let st3 = start(&s, &t, &quiz, "u3").await;
    s.arcade.freeze_clock(Some(t0 + 15_000 + 60_000));
    let r = submit(
        &s,
        &t,
        &quiz,
        "u3",
        st3["attempt_id"].as_str().unwrap(),
        answering(&["q1", "q2", "q3", "q4", "q5"]),
    )
    .await;
    assert_eq!(r.status, 200, "exactly at the limit is in time: {r:?}");
    assert_eq!(r.body["result"]["score"], 55);
    assert_eq!(r.body["result"]["bonus"], 0);
    assert_eq!(r.body["result"]["rank"], 1);

    let events = s.all_events(&t).await;
    let submitted = events_of(&events, "quiz.attempt_submitted");
    assert_eq!(submitted.len(), 3, "{events:?}");
    assert_eq!(submitted[0]["subject"], attempt.as_str());
    assert_eq!(
        submitted[0]["data"],
        json!({"user_id": "u1", "score": 27, "bonus": 7, "correct": 2, "total": 5,
               "elapsed_ms": 15_000, "rank": 1})
    );
}

async fn attempts_time_limit_and_closing(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let quiz = s
        .activity(
            &t,
            "quiz",
            config(&s, 600_000, json!({"attempts_per_user": 2})),
        )
        .await;
    let first = start(&s, &t, &quiz, "u1").await;
    let a1 = first["attempt_id"].as_str().unwrap().to_owned();
    assert_eq!(first["attempts_left"], 1);

    let r = s.act(&t, &quiz, "u1", "start").await;
    assert_eq!(code(&r), (409, "attempt_in_progress"), "{r:?}");
    assert!(
        r.body["error"]["message"].as_str().unwrap().contains(&a1),
        "names the attempt: {r:?}"
    );
    let r = s.act(&t, &quiz, "u1", "cheat").await;
    assert_eq!(code(&r), (422, "unknown_action"), "{r:?}");

    // The host clock runs past the 60 s limit.
    s.arcade.advance_clock(61_000);
    let ids = question_ids(&first);
    let late = submit(&s, &t, &quiz, "u1", &a1, answering(&[&ids[0]])).await;
    assert_eq!(code(&late), (409, "time_limit_exceeded"), "{late:?}");
    let late = submit(&s, &t, &quiz, "u1", &a1, json!({})).await;
    assert_eq!(code(&late), (409, "time_limit_exceeded"), "{late:?}");
    let view = s.view(&t, &quiz, "u1").await;
    assert_eq!(view["current_attempt"], Value::Null, "{view}");
    assert_eq!(view["best"], Value::Null);
    assert_eq!(view["leaderboard"], json!([]));

    // The expired attempt counts: one left.
    let second = start(&s, &t, &quiz, "u1").await;
    assert_eq!(second["attempts_left"], 0);
    let a2 = second["attempt_id"].as_str().unwrap().to_owned();
    // The expired attempt stays refused after the next start recorded it.
    let late = submit(&s, &t, &quiz, "u1", &a1, json!({})).await;
    assert_eq!(code(&late), (409, "time_limit_exceeded"), "{late:?}");
    let ok = submit(&s, &t, &quiz, "u1", &a2, json!({})).await;
    assert_eq!(ok.status, 200, "{ok:?}");
    let r = s.act(&t, &quiz, "u1", "start").await;
    assert_eq!(code(&r), (409, "no_attempts_left"), "{r:?}");
    let view = s.view(&t, &quiz, "u1").await;
    assert_eq!(
        (view["attempts_used"].clone(), view["attempts_left"].clone()),
        (json!(2), json!(0))
    );

    // Refusals stored nothing: 2 starts and 1 submission.
    let outcomes = s.all_outcomes(&t, &quiz).await;
    assert_eq!(outcomes.len(), 3, "{outcomes:?}");

    // u2 starts before the close; at the close both start and submit are
    // refused, even before the close timer has run.
    let open = start(&s, &t, &quiz, "u2").await;
    let pending = open["attempt_id"].as_str().unwrap().to_owned();
    s.arcade.advance_clock(600_000);
    let r = s.act(&t, &quiz, "u3", "start").await;
    assert_eq!(code(&r), (409, "quiz_closed"), "{r:?}");
    let r = submit(&s, &t, &quiz, "u2", &pending, json!({})).await;
    assert_eq!(code(&r), (409, "quiz_closed"), "{r:?}");
    // Closed is checked before the attempt is looked up.
    let r = submit(&s, &t, &quiz, "u2", "nope", json!({})).await;
    assert_eq!(code(&r), (409, "quiz_closed"), "{r:?}");
    let view = s.view(&t, &quiz, "u2").await;
    assert_eq!(view["closed"], true);
    assert_eq!(view["current_attempt"], Value::Null);
}

async fn config_errors_name_the_field(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let coupon = |id: Value| {
        json!({"from_rank": 1, "to_rank": 1,
               "reward": {"coupon": {"id": id, "name": "5 off", "value_fen": 500}}})
    };
    let cases: Vec<(Value, &str)> = vec![
        (json!({"questions": []}), "questions"),
        (json!({"questions_per_attempt": 0}), "questions_per_attempt"),
        (json!({"questions_per_attempt": 6}), "questions_per_attempt"),
        (json!({"time_limit_seconds": 0}), "time_limit_seconds"),
        (json!({"time_limit_seconds": 86_401}), "time_limit_seconds"),
        (json!({"attempts_per_user": 0}), "attempts_per_user"),
        (json!({"attempts_per_user": 101}), "attempts_per_user"),
        (json!({"leaderboard_size": 0}), "leaderboard_size"),
        (json!({"leaderboard_size": 101}), "leaderboard_size"),
        (json!({"closes_at_ms": 0}), "closes_at_ms"),
        (
            json!({"speed_bonus": {"max_points": 0}}),
            "speed_bonus.max_points",
        ),
        (
            json!({"speed_bonus": {"max_points": 5, "min_correct": 4}}),
            "speed_bonus.min_correct",
        ),
        (
            json!({"rank_rewards": [
                {"from_rank": 1, "to_rank": 1, "reward": {"points": 5}},
                {"from_rank": 2, "to_rank": 3, "reward": {"coupon": {"name": "5 off", "value_fen": 500}}}
            ]}),
            "rank_rewards[1].reward.coupon",
        ),
        (
            json!({"rank_rewards": [coupon(json!(""))]}),
            "rank_rewards[0].reward.coupon.id",
        ),
        (
            json!({"rank_rewards": [{"from_rank": 3, "to_rank": 2, "reward": {"points": 1}}]}),
            "rank_rewards[0].to_rank",
        ),
        (
            json!({"rank_rewards": [{"from_rank": 1, "to_rank": 101, "reward": {"points": 1}}]}),
            "rank_rewards[0].to_rank",
        ),
        (
            json!({"rank_rewards": [{"from_rank": 0, "to_rank": 1, "reward": {"points": 1}}]}),
            "rank_rewards[0].from_rank",
        ),
        (
            json!({"rank_rewards": [{"from_rank": 1, "to_rank": 1,
                                     "reward": {"points": 0}}]}),
            "rank_rewards[0].reward.points",
        ),
        (
            json!({"rank_rewards": [{"from_rank": 1, "to_rank": 1,
                                     "reward": {"tickets": {"name": "points", "amount": 1}}}]}),
            "rank_rewards[0].reward.tickets.name",
        ),
        (
            json!({"rank_rewards": [{"from_rank": 1, "to_rank": 1,
                                     "reward": {"prize": {"id": "mug", "name": "Mug", "valid_days": 3}}}]}),
            "rank_rewards[0].reward.prize.valid_days",
        ),
    ];
    for (extra, field) in cases {
        let r = s
            .create_activity(
                &t,
                json!({"plugin": "quiz", "config": config(&s, 3_600_000, extra.clone())}),
            )
            .await;
        assert_eq!(code(&r), (422, "invalid_config"), "{extra}: {r:?}");
        let fields: Vec<&str> = r.body["error"]["details"]
            .as_array()
            .unwrap_or_else(|| panic!("no details: {r:?}"))
            .iter()
            .map(|d| d["field"].as_str().unwrap_or(""))
            .collect();
        // The plugin names the field itself; a reward of the wrong shape
        // is refused first by the config's schema, at the reward.
        assert!(
            fields
                .iter()
                .any(|f| *f == field || field.starts_with(&format!("{f}."))),
            "{extra}: expected {field} in {fields:?}"
        );
    }

    // Errors inside the bank name the question and option.
    let mut q = bank();
    q[1]["answer"] = json!(["z"]);
    q[0]["answer"] = json!(["a", "b"]);
    q[2]["id"] = json!("q1");
    q[3]["options"] = json!([{"id": "a", "text": "only"}]);
    q[4]["options"][1]["id"] = json!("a");
    q[4]["text"] = json!("  ");
    let r = s
        .create_activity(
            &t,
            json!({"plugin": "quiz", "config": config(&s, 3_600_000, json!({"questions": q}))}),
        )
        .await;
    assert_eq!(code(&r), (422, "invalid_config"), "{r:?}");
    let fields: BTreeSet<&str> = r.body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap_or(""))
        .collect();
    for f in [
        "questions[0].answer",
        "questions[1].answer[0]",
        "questions[2].id",
        "questions[3].options",
        "questions[3].answer[0]",
        "questions[4].options[1].id",
        "questions[4].text",
    ] {
        assert!(fields.contains(f), "expected {f} in {fields:?}");
    }

    // Unknown fields are refused.
    let r = s
        .create_activity(
            &t,
            json!({"plugin": "quiz", "config": config(&s, 3_600_000, json!({"bonus": 5}))}),
        )
        .await;
    assert_eq!(code(&r), (422, "invalid_config"), "{r:?}");
    // And nothing was created.
    let list = s.get(&t.operator, "/v1/activities").await;
    assert_eq!(list.status, 200, "{list:?}");
    assert_eq!(list.body["activities"], json!([]), "{list:?}");
}

async fn leaderboard_orders_ties_by_time(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let t0 = s.arcade.now();
    let at = |ms: i64| s.arcade.freeze_clock(Some(t0 + ms));
    at(0);
    let quiz = s
        .activity(
            &t,
            "quiz",
            config(
                &s,
                3_600_000,
                json!({"questions_per_attempt": 5, "attempts_per_user": 2, "leaderboard_size": 4}),
            ),
        )
        .await;

    let mut attempts = HashMap::new();
    let mut play = async |user: &str, start_ms: i64| {
        at(start_ms);
        let st = start(&s, &t, &quiz, user).await;
        attempts.insert(
            user.to_owned(),
            st["attempt_id"].as_str().unwrap().to_owned(),
        );
    };
    play("zed", 0).await;
    play("amy", 0).await;
    play("bob", 15_000).await;
    play("cat", 15_000).await;
    play("dan", 15_000).await;
    play("yan", 0).await;
    let sub = async |user: &str, finish_ms: i64, right: &[&str]| {
        at(finish_ms);
        let r = submit(&s, &t, &quiz, user, &attempts[user], answering(right)).await;
        assert_eq!(r.status, 200, "{user}: {r:?}");
        r.body["result"].clone()
    };
    // All score 10 except yan. zed finishes first; amy, bob, cat and dan
    // finish together, bob/cat/dan having started later (shorter elapsed),
    // and cat/dan tie with bob on everything but the user id.
    assert_eq!(sub("zed", 10_000, &["q1"]).await["rank"], 1);
    assert_eq!(sub("amy", 20_000, &["q3"]).await["rank"], 2);
    assert_eq!(sub("dan", 20_000, &["q2"]).await["rank"], 2);
    assert_eq!(sub("cat", 20_000, &["q1"]).await["rank"], 2);
    assert_eq!(sub("bob", 20_000, &["q1"]).await["rank"], 2);
    // Score first: 30 beats every earlier 10.
    assert_eq!(sub("yan", 30_000, &["q5", "q1"]).await["rank"], 1);

    let expect = ["yan", "zed", "bob", "cat", "dan", "amy"];
    let view = s.view(&t, &quiz, "amy").await;
    let board: Vec<&str> = view["leaderboard"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(board, expect[..4], "{view}");
    for (i, e) in view["leaderboard"].as_array().unwrap().iter().enumerate() {
        assert_eq!(e["rank"], i + 1);
    }
    assert_eq!(view["leaderboard"][1]["elapsed_ms"], 10_000);
    assert_eq!(view["leaderboard"][2]["elapsed_ms"], 5_000);
    assert_eq!(view["leaderboard"][1]["finished_at_ms"], t0 + 10_000);
    // Only max(leaderboard_size, largest to_rank) = 4 are kept: below
    // them there is no rank.
    assert_eq!(view["rank"], Value::Null, "{view}");
    assert_eq!(s.view(&t, &quiz, "dan").await["rank"], Value::Null);
    assert_eq!(s.view(&t, &quiz, "cat").await["rank"], 4);

    // A second attempt scoring the same later does not replace zed's entry;
    // a better one does.
    at(40_000);
    let st = start(&s, &t, &quiz, "zed").await;
    let r = submit(
        &s,
        &t,
        &quiz,
        "zed",
        st["attempt_id"].as_str().unwrap(),
        answering(&["q3"]),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        (
            r.body["result"]["best_score"].clone(),
            r.body["result"]["rank"].clone()
        ),
        (json!(10), json!(2))
    );
    let view = s.view(&t, &quiz, "zed").await;
    assert_eq!(view["best"]["finished_at_ms"], t0 + 10_000, "{view}");
    assert_eq!(view["leaderboard"][1]["finished_at_ms"], t0 + 10_000);
    let st = start(&s, &t, &quiz, "amy").await;
    at(41_000);
    let r = submit(
        &s,
        &t,
        &quiz,
        "amy",
        st["attempt_id"].as_str().unwrap(),
        answering(&["q1", "q2", "q3", "q4", "q5"]),
    )
    .await;
    assert_eq!(r.body["result"]["rank"], 1, "{r:?}");
    let view = s.view(&t, &quiz, "amy").await;
    let board: Vec<&str> = view["leaderboard"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(board, ["amy", "yan", "zed", "bob"], "{view}");
    assert_eq!(s.view(&t, &quiz, "cat").await["rank"], Value::Null);
}

async fn racing_submissions_count_once(db: Db) {
    let s = Arc::new(Server::start(db).await);
    let t = s.tenant("t").await;
    let quiz = s
        .activity(&t, "quiz", config(&s, 3_600_000, json!({})))
        .await;
    let st = start(&s, &t, &quiz, "u1").await;
    let attempt = st["attempt_id"].as_str().unwrap().to_owned();
    let ids = question_ids(&st);
    let answers = answering(&ids.iter().map(String::as_str).collect::<Vec<_>>());

    let racers = (0..10).map(|_| {
        let (s, t, quiz, attempt, answers) = (
            s.clone(),
            t.clone(),
            quiz.clone(),
            attempt.clone(),
            answers.clone(),
        );
        tokio::spawn(async move { submit(&s, &t, &quiz, "u1", &attempt, answers).await })
    });
    let replies: Vec<Reply> = join_all(racers)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let ok = replies.iter().filter(|r| r.status == 200).count();
    let dup = replies
        .iter()
        .filter(|r| code(r) == (409, "attempt_already_submitted"))
        .count();
    assert_eq!(
        (ok, dup),
        (1, 9),
        "{:?}",
        replies
            .iter()
            .find(|r| r.status != 200 && r.code() != "attempt_already_submitted")
    );

    let events = s.all_events(&t).await;
    let submitted = events_of(&events, "quiz.attempt_submitted");
    assert_eq!(submitted.len(), 1, "{submitted:?}");
    assert_eq!(submitted[0]["subject"], attempt.as_str());
    let view = s.view(&t, &quiz, "u1").await;
    let board = view["leaderboard"].as_array().unwrap();
    assert_eq!(board.len(), 1, "{view}");
    assert_eq!(board[0]["user_id"], "u1");
    let outcomes = s.all_outcomes(&t, &quiz).await;
    assert_eq!(
        outcomes.iter().filter(|o| o["action"] == "submit").count(),
        1,
        "{outcomes:?}"
    );

    // Ten users submitting at once all land on the one leaderboard key.
    let mut started = Vec::new();
    for i in 0..10 {
        let user = format!("p{i}");
        let st = start(&s, &t, &quiz, &user).await;
        started.push((user, st["attempt_id"].as_str().unwrap().to_owned()));
    }
    let racers = started.into_iter().map(|(user, attempt)| {
        let (s, t, quiz) = (s.clone(), t.clone(), quiz.clone());
        tokio::spawn(async move { submit(&s, &t, &quiz, &user, &attempt, json!({})).await })
    });
    for r in join_all(racers).await {
        let r = r.unwrap();
        assert_eq!(r.status, 200, "{r:?}");
    }
    let view = s.view(&t, &quiz, "u1").await;
    let users: BTreeSet<&str> = view["leaderboard"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(users.len(), 10, "{view}");
    assert_eq!(view["leaderboard"][0]["user_id"], "u1", "{view}");
    assert_eq!(
        events_of(&s.all_events(&t).await, "quiz.attempt_submitted").len(),
        11
    );
}

async fn close_timer_pays_once_after_downtime(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let closes_at = s.arcade.now() + 5_000;
    let quiz = s
        .activity(
            &t,
            "quiz",
            json!({
                "questions": bank(),
                "questions_per_attempt": 5,
                "time_limit_seconds": 60,
                "closes_at_ms": closes_at,
                "rank_rewards": [
                    {"from_rank": 1, "to_rank": 1, "reward": {"points": 500}},
                    {"from_rank": 2, "to_rank": 3, "reward": {"coupon": {"id": "latte5",
                        "name": "5 yuan off", "value_fen": 500, "valid_days": 14}}},
                    {"from_rank": 1, "to_rank": 2, "reward": {"tickets": {"name": "spins", "amount": 2}}}
                ]
            }),
        )
        .await;
    // ann 55, bob 20, cat 10, dan 0 (ranked, unrewarded).
    let plays: [(&str, &[&str]); 4] = [
        ("cat", &["q1"]),
        ("ann", &["q1", "q2", "q3", "q4", "q5"]),
        ("dan", &[]),
        ("bob", &["q5"]),
    ];
    for (user, right) in plays {
        let st = start(&s, &t, &quiz, user).await;
        let r = submit(
            &s,
            &t,
            &quiz,
            user,
            st["attempt_id"].as_str().unwrap(),
            answering(right),
        )
        .await;
        assert_eq!(r.status, 200, "{r:?}");
    }
    let view = s.view(&t, &quiz, "ann").await;
    assert_eq!(view["closed"], false, "the plays took too long: {view}");
    assert!(events_of(&s.all_events(&t).await, "quiz.finished").is_empty());

    // The server goes down before the close and comes back after it.
    let s = s.restart(60_000).await;
    s.eventually("quiz.finished is recorded", || async {
        !events_of(&s.all_events(&t).await, "quiz.finished").is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;

    let events = s.all_events(&t).await;
    let finished = events_of(&events, "quiz.finished");
    assert_eq!(finished.len(), 1, "{finished:?}");
    let f = finished[0];
    assert_eq!(f["subject"], quiz.as_str());
    let closed_at = f["data"]["closed_at_ms"].as_i64().unwrap();
    assert!(closed_at >= closes_at, "{f}");
    let ranking = f["data"]["ranking"].as_array().unwrap();
    let order: Vec<(&str, u64)> = ranking
        .iter()
        .map(|e| (e["user_id"].as_str().unwrap(), e["score"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        order,
        [("ann", 55), ("bob", 20), ("cat", 10), ("dan", 0)],
        "{f}"
    );
    assert_eq!(
        ranking[0]["rewards"],
        json!([{"kind": "points", "item": "points", "amount": 500},
               {"kind": "tickets", "item": "spins", "amount": 2}]),
        "{f}"
    );
    assert_eq!(
        ranking[1]["rewards"],
        json!([{"kind": "coupon", "item": "latte5", "amount": 500},
               {"kind": "tickets", "item": "spins", "amount": 2}]),
        "{f}"
    );
    assert_eq!(
        ranking[2]["rewards"],
        json!([{"kind": "coupon", "item": "latte5", "amount": 500}])
    );
    assert_eq!(ranking[3]["rewards"], json!([]));

    let outcomes = s.all_outcomes(&t, &quiz).await;
    let timers: Vec<&Value> = outcomes
        .iter()
        .filter(|o| o["action"] == "timer:close")
        .collect();
    assert_eq!(timers.len(), 1, "{outcomes:?}");
    assert_eq!(timers[0]["result"]["rewards_granted"], 5, "{:?}", timers[0]);
    assert_eq!(timers[0]["result"]["ranked"], 4);

    let granted = events_of(&events, "reward.granted");
    assert_eq!(granted.len(), 5, "{granted:?}");

    // The ledger and balances: each reward once, to the right user.
    let ann = balances(&s, &t, "ann").await;
    assert_eq!(ann["points"], 500, "{ann}");
    assert_eq!(ann["balances"]["spins"], 2, "{ann}");
    let bob = balances(&s, &t, "bob").await;
    assert_eq!(bob["points"], 0, "{bob}");
    assert_eq!(bob["balances"]["spins"], 2, "{bob}");
    let cat = balances(&s, &t, "cat").await;
    assert_eq!(
        (cat["points"].clone(), cat["balances"].get("spins").cloned()),
        (json!(0), None),
        "{cat}"
    );
    let kinds = |rs: &[Value]| {
        let mut k: Vec<String> = rs
            .iter()
            .map(|r| {
                format!(
                    "{}:{}:{}",
                    r["kind"].as_str().unwrap(),
                    r["item"].as_str().unwrap(),
                    r["amount"]
                )
            })
            .collect();
        k.sort();
        k
    };
    let ann_r = rewards(&s, &t, "ann").await;
    assert_eq!(
        kinds(&ann_r),
        ["points:points:500", "tickets:spins:2"],
        "{ann_r:?}"
    );
    let bob_r = rewards(&s, &t, "bob").await;
    assert_eq!(
        kinds(&bob_r),
        ["coupon:latte5:500", "tickets:spins:2"],
        "{bob_r:?}"
    );
    let cat_r = rewards(&s, &t, "cat").await;
    assert_eq!(kinds(&cat_r), ["coupon:latte5:500"], "{cat_r:?}");
    for c in [&bob_r, &cat_r]
        .into_iter()
        .flatten()
        .filter(|r| r["kind"] == "coupon")
    {
        assert_eq!(
            c["expires_at"],
            arcade_host::clock::to_rfc3339(closed_at + 14 * DAY_MS),
            "{c}"
        );
        assert_eq!(c["name"], "5 yuan off");
        assert!(c["code"].is_string(), "{c}");
    }
    assert!(rewards(&s, &t, "dan").await.is_empty());
    assert!(ann_r.iter().all(|r| r["activity_id"] == quiz.as_str()));

    // Closed for good.
    let r = s.act(&t, &quiz, "eve", "start").await;
    assert_eq!(code(&r), (409, "quiz_closed"), "{r:?}");
    let view = s.view(&t, &quiz, "ann").await;
    assert_eq!(view["closed"], true);
    assert_eq!(view["rank"], 1);
}
