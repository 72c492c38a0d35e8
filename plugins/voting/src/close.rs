//! The close timer: rank the approved entries, freeze the ranking, and
//! grant the rank rewards, once.

use arcade_sdk::{Context, Error, Outcome, Value, clock, json, timers};

use crate::CLOSE_TIMER;
use crate::config::Config;
use crate::state::{self, Close, Contest, Entry};

/// Close the contest (the `close` timer).
pub fn close(ctx: &Context<Config>) -> Result<Outcome, Error> {
    let config = &ctx.config;
    let mut close = Close::load();
    if close.done() {
        // Rewards were granted once; never again.
        return Ok(Outcome::new(json!({"already_closed": true})));
    }
    let now = clock::now_ms();
    if !config.closed(now) {
        // A config revision moved the close later: the timer follows it.
        keep_close_timer(config, &mut close);
        return Ok(Outcome::new(
            json!({"closed": false, "closes_at_ms": config.closes_at_ms}),
        ));
    }

    let standings = state::standings(config, &Contest::load(), &close);
    state::freeze(&standings);
    // Every action reads `close`: one still in flight fails its commit on
    // this write and runs again, to find the contest closed.
    close.closed_at_ms = Some(now);
    close.save();

    // The event lists the top of the leaderboard and every rewarded entry.
    let listed = config.leaderboard_size.max(config.deepest_rewarded_rank());
    let mut outcome = Outcome::new(Value::Null);
    let mut ranking = Vec::new();
    for standing in standings.iter().take(listed as usize) {
        let Some(entry) = Entry::load(&standing.id) else {
            continue;
        };
        let mut rewards = Vec::new();
        for spec in config.rewards_for(standing.rank) {
            outcome = outcome.reward(spec.reward(now).to(entry.author.as_str()));
            rewards.push(spec.describe());
        }
        ranking.push(json!({
            "rank": standing.rank,
            "entry_id": entry.id,
            "author": entry.author,
            "title": entry.title,
            "votes": standing.votes,
            "judge_points": standing.judge_points,
            "score": standing.score,
            "rewards": rewards,
        }));
    }
    outcome.result = json!({
        "closed": true,
        "ranked": standings.len(),
        "rewards_granted": outcome.rewards.len(),
    });
    Ok(outcome.event(
        "contest.closed",
        &ctx.activity_id,
        json!({"closed_at_ms": now, "entries": standings.len(), "ranking": ranking}),
    ))
}

/// Set the close timer for `closes_at_ms` unless it already is: the first
/// submission sets it, and the next submission or moderation after a
/// revision moved the close follows it.
pub fn keep_close_timer(config: &Config, close: &mut Close) {
    if close.timer_at_ms != Some(config.closes_at_ms) {
        timers::schedule(CLOSE_TIMER, config.closes_at_ms, &json!({}));
        close.timer_at_ms = Some(config.closes_at_ms);
        close.save();
    }
}
