//! What a user sees: the rules, the leaderboard, and (with a user) their
//! attempts, the attempt in progress without answers, their best and rank,
//! and the corrections of their last submission.

use arcade_sdk::{Error, Value, View, clock, json};

use crate::config::Config;
use crate::leaderboard;
use crate::scoring::{corrections, public_questions};
use crate::state::{self, Attempt, Me, Status};

/// The view; without a `user_id` only the shared fields.
pub fn view(view: &View<Config>) -> Result<Value, Error> {
    let user_id = view.viewer.clone().unwrap_or_default();
    let config = &view.config;
    let now = clock::now_ms();
    let closed = state::is_closed(config, now);
    let board = leaderboard::load();
    let shown = config.leaderboard_size as usize;
    let leaderboard: Vec<_> = board
        .iter()
        .take(shown)
        .enumerate()
        .map(|(i, e)| {
            json!({
                "rank": i + 1,
                "user_id": e.user_id,
                "score": e.score,
                "elapsed_ms": e.elapsed_ms,
                "finished_at_ms": e.finished_at_ms,
            })
        })
        .collect();
    let mut view = json!({
        "closed": closed,
        "closes_at_ms": config.closes_at_ms,
        "attempts_per_user": config.attempts_per_user,
        "questions_per_attempt": config.questions_per_attempt,
        "time_limit_seconds": config.time_limit_seconds,
        "leaderboard": leaderboard,
    });
    if user_id.is_empty() {
        return Ok(view);
    }

    let me = Me::load();
    // The attempt in progress, unless its time (or the quiz) is over.
    let current = me
        .current
        .as_deref()
        .and_then(Attempt::load)
        .filter(|a| a.status == Status::InProgress)
        .filter(|a| !closed && now <= config.deadline_ms(a.started_at_ms))
        .map(|a| {
            let deadline = config.deadline_ms(a.started_at_ms).min(config.closes_at_ms);
            json!({
                "attempt_id": a.id,
                "questions": public_questions(config, &a.questions),
                "started_at_ms": a.started_at_ms,
                "deadline_ms": deadline,
                "time_left_ms": (deadline - now).max(0),
            })
        });
    let last_result = me
        .last_submitted
        .as_deref()
        .and_then(Attempt::load)
        .and_then(|a| {
            let r = a.result?;
            Some(json!({
                "attempt_id": a.id,
                "score": r.score,
                "base_score": r.base_score,
                "bonus": r.bonus,
                "correct": r.correct,
                "total": r.total,
                "elapsed_ms": r.elapsed_ms,
                "finished_at_ms": r.finished_at_ms,
                "results": corrections(config, &a.questions, &r.right),
            }))
        });
    let best = me.best.as_ref().map(|b| {
        json!({
            "attempt_id": b.attempt_id,
            "score": b.score,
            "correct": b.correct,
            "elapsed_ms": b.elapsed_ms,
            "finished_at_ms": b.finished_at_ms,
        })
    });
    let extra = json!({
        "attempts_used": me.used,
        "attempts_left": config.attempts_per_user.saturating_sub(me.used),
        "current_attempt": current,
        "best": best,
        "rank": leaderboard::rank_of(&board, &user_id),
        "last_result": last_result,
    });
    if let (Some(v), Some(e)) = (view.as_object_mut(), extra.as_object()) {
        v.extend(e.clone());
    }
    Ok(view)
}
