//! The actions, one function each, and the one place that dispatches them.

use arcade_sdk::{Context, Error, JsonSchema, Outcome, clock, json, timers};
use serde::Deserialize;
use std::collections::BTreeMap;

use crate::CLOSE_TIMER;
use crate::config::Config;
use crate::leaderboard::{self, Entry};
use crate::scoring::{corrections, draw_indices, mark, public_questions, speed_bonus};
use crate::state::{self, Attempt, AttemptResult, Best, MAX_ATTEMPT_ID_LEN, Me, Status};

/// What users can do: one variant per action, its doc comment the
/// action's summary; the manifest's action list and payload schemas come
/// from this type.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(tag = "name", content = "payload", deny_unknown_fields)]
pub enum Action {
    /// Start an attempt: draw the questions (without answers) and start the clock.
    #[serde(rename = "start")]
    Start(Start),
    /// Submit an attempt's answers and get its score and corrections.
    #[serde(rename = "submit")]
    Submit(Submit),
}

/// Run `action` for `ctx.user_id`.
pub fn handle(ctx: &Context<Config>, action: Action) -> Result<Outcome, Error> {
    match action {
        Action::Start(p) => start(ctx, p),
        Action::Submit(p) => submit(ctx, p),
    }
}

/// The `start` payload: nothing. Whatever a platform sends is ignored, as
/// it always has been, so that no request that starts today is refused.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Start {}

/// The `submit` payload.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Submit {
    /// The attempt, as `start` returned it.
    pub attempt_id: String,
    /// Chosen option ids by question id; questions left out score nothing.
    #[serde(default)]
    pub answers: BTreeMap<String, Vec<String>>,
}

/// Draw the questions of a new attempt and start its clock. The first
/// start schedules the close timer.
pub fn start(ctx: &Context<Config>, _: Start) -> Result<Outcome, Error> {
    let config = &ctx.config;
    let now = clock::now_ms();
    if state::is_closed(config, now) {
        return Err(closed_error(config));
    }
    let mut me = Me::load();
    // An attempt in progress blocks a new one until it is submitted or
    // its time runs out; a timed-out one is recorded as expired here.
    if let Some(id) = me.current.clone() {
        if let Some(mut attempt) = Attempt::load(&id) {
            let deadline = config.deadline_ms(attempt.started_at_ms);
            if now <= deadline {
                return Err(Error::rejected(
                    "attempt_in_progress",
                    format!(
                        "attempt {id} is still in progress; submit it or wait until {deadline} ms"
                    ),
                ));
            }
            attempt.status = Status::Expired;
            attempt.save();
        }
        me.current = None;
    }
    if me.used >= config.attempts_per_user {
        return Err(Error::rejected(
            "no_attempts_left",
            format!(
                "you have used all {} attempts of this quiz",
                config.attempts_per_user
            ),
        ));
    }

    let drawn = draw_indices(
        config.questions.len(),
        config.questions_per_attempt as usize,
    );
    let attempt = Attempt {
        id: ctx.call_id.clone(),
        questions: drawn
            .iter()
            .map(|i| config.questions[*i].id.clone())
            .collect(),
        started_at_ms: now,
        status: Status::InProgress,
        result: None,
    };
    attempt.save();
    me.used += 1;
    me.current = Some(attempt.id.clone());
    me.save();

    if !state::close_scheduled() {
        timers::schedule(CLOSE_TIMER, config.closes_at_ms, &json!({}));
        state::mark_close_scheduled();
    }

    let deadline = config.deadline_ms(now).min(config.closes_at_ms);
    Ok(Outcome::new(json!({
        "attempt_id": attempt.id,
        "questions": public_questions(config, &attempt.questions),
        "started_at_ms": now,
        "deadline_ms": deadline,
        "time_limit_seconds": config.time_limit_seconds,
        "attempts_left": config.attempts_per_user.saturating_sub(me.used),
    })))
}

/// Score an attempt in time, show its corrections, and put it on the
/// leaderboard if it is the user's best.
pub fn submit(ctx: &Context<Config>, payload: Submit) -> Result<Outcome, Error> {
    let config = &ctx.config;
    let now = clock::now_ms();
    if state::is_closed(config, now) {
        return Err(closed_error(config));
    }
    let mut attempt = submittable(config, &payload.attempt_id, now)?;

    let right = mark(config, &attempt.questions, &payload.answers)?;
    let mut base_score = 0u64;
    let mut correct = 0u32;
    for (qid, ok) in attempt.questions.iter().zip(&right) {
        if *ok {
            correct += 1;
            base_score += u64::from(config.question(qid).map_or(0, |q| q.points));
        }
    }
    let elapsed_ms = now - attempt.started_at_ms;
    let bonus = speed_bonus(config, elapsed_ms, correct);
    let result = AttemptResult {
        score: base_score + bonus,
        base_score,
        bonus,
        correct,
        total: attempt.questions.len() as u32,
        elapsed_ms,
        finished_at_ms: now,
        right: right.clone(),
    };
    attempt.status = Status::Submitted;
    attempt.result = Some(result.clone());
    attempt.save();

    let mut me = Me::load();
    if me.current.as_deref() == Some(attempt.id.as_str()) {
        me.current = None;
    }
    me.last_submitted = Some(attempt.id.clone());
    let entry = Entry {
        user_id: ctx.user_id.clone(),
        score: result.score,
        finished_at_ms: now,
        elapsed_ms,
    };
    let improves = me.best.as_ref().is_none_or(|b| {
        let old = Entry {
            user_id: ctx.user_id.clone(),
            score: b.score,
            finished_at_ms: b.finished_at_ms,
            elapsed_ms: b.elapsed_ms,
        };
        entry.rank_key() < old.rank_key()
    });
    if improves {
        me.best = Some(Best {
            attempt_id: attempt.id.clone(),
            score: result.score,
            correct,
            elapsed_ms,
            finished_at_ms: now,
        });
    }
    me.save();

    let mut board = leaderboard::load();
    if improves && leaderboard::place(&mut board, entry, config.ranked()) {
        leaderboard::save(&board);
    }
    let rank = leaderboard::rank_of(&board, &ctx.user_id);
    let best_score = me.best.as_ref().map_or(0, |b| b.score);

    Ok(Outcome::new(json!({
        "attempt_id": attempt.id,
        "score": result.score,
        "base_score": base_score,
        "bonus": bonus,
        "correct": correct,
        "total": result.total,
        "elapsed_ms": elapsed_ms,
        "results": corrections(config, &attempt.questions, &right),
        "best_score": best_score,
        "rank": rank,
        "attempts_left": config.attempts_per_user.saturating_sub(me.used),
    }))
    .event(
        "quiz.attempt_submitted",
        &attempt.id,
        json!({
            "user_id": ctx.user_id,
            "score": result.score,
            "bonus": bonus,
            "correct": correct,
            "total": result.total,
            "elapsed_ms": elapsed_ms,
            "rank": rank,
        }),
    ))
}

/// The acting user's attempt `id`, if it can still be submitted at `now`.
fn submittable(config: &Config, id: &str, now: i64) -> Result<Attempt, Error> {
    let not_found = || Error::not_found("attempt_not_found", format!("you have no attempt {id:?}"));
    if id.is_empty() || id.len() > MAX_ATTEMPT_ID_LEN {
        return Err(not_found());
    }
    let attempt = Attempt::load(id).ok_or_else(not_found)?;
    let deadline = config.deadline_ms(attempt.started_at_ms);
    match attempt.status {
        Status::Submitted => Err(Error::rejected(
            "attempt_already_submitted",
            format!("attempt {} was already submitted", attempt.id),
        )),
        Status::Expired => Err(time_limit_error(&attempt.id, deadline)),
        Status::InProgress if now > deadline => Err(time_limit_error(&attempt.id, deadline)),
        Status::InProgress => Ok(attempt),
    }
}

fn closed_error(config: &Config) -> Error {
    Error::rejected(
        "quiz_closed",
        format!("the quiz closed at {} ms", config.closes_at_ms),
    )
}

fn time_limit_error(id: &str, deadline: i64) -> Error {
    Error::rejected(
        "time_limit_exceeded",
        format!("attempt {id} ran out of time at {deadline} ms"),
    )
}
