//! The close timer (`close`, due at `closes_at_ms`, scheduled by the first
//! `start`): it ranks the kept leaderboard and grants each tier's reward
//! to the users at those ranks, once.

use arcade_sdk::{Context, Error, Outcome, RewardKind, Timer, Value, clock, json};

use crate::CLOSE_TIMER;
use crate::config::Config;
use crate::{leaderboard, state};

/// Run a timer that has come due.
pub fn on_timer(ctx: &Context<Config>, timer: &Timer) -> Result<Outcome, Error> {
    match timer.name.as_str() {
        CLOSE_TIMER => close(ctx, timer),
        other => Err(Error::rejected(
            "unknown_timer",
            format!("this mechanic schedules no timer {other:?}"),
        )),
    }
}

fn close(ctx: &Context<Config>, timer: &Timer) -> Result<Outcome, Error> {
    let config = &ctx.config;
    if state::close_ran() {
        // Already closed: rewards were paid once, never again.
        return Ok(Outcome::new(json!({"already_closed": true})));
    }
    state::mark_closed();
    let board = leaderboard::load();
    let closed_at = clock::now_ms().max(timer.due_ms);
    let mut outcome = Outcome::new(Value::Null);
    let mut granted = 0usize;
    let mut ranking = Vec::with_capacity(board.len());
    for (i, entry) in board.iter().enumerate() {
        let rank = i as u32 + 1;
        let mut rewards = Vec::new();
        for tier in config
            .rank_rewards
            .iter()
            .filter(|t| (t.from_rank..=t.to_rank).contains(&rank))
        {
            let reward = tier.reward.reward(closed_at).to(&entry.user_id);
            rewards.push(json!({
                "kind": kind_name(reward.kind),
                "item": reward.item,
                "amount": reward.amount,
            }));
            outcome = outcome.reward(reward);
            granted += 1;
        }
        ranking.push(json!({
            "rank": rank,
            "user_id": entry.user_id,
            "score": entry.score,
            "elapsed_ms": entry.elapsed_ms,
            "finished_at_ms": entry.finished_at_ms,
            "rewards": rewards,
        }));
    }
    outcome.result = json!({"closed": true, "ranked": board.len(), "rewards_granted": granted});
    Ok(outcome.event(
        "quiz.finished",
        &ctx.activity_id,
        json!({"closed_at_ms": closed_at, "ranking": ranking}),
    ))
}

fn kind_name(kind: RewardKind) -> &'static str {
    match kind {
        RewardKind::Prize => "prize",
        RewardKind::Points => "points",
        RewardKind::Coupon => "coupon",
        RewardKind::Tickets => "tickets",
    }
}
