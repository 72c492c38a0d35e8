//! What a user sees: the windows, the leaderboard, their votes today and
//! their entries; moderators also see the review queue, judges their
//! scores. Bounded so it always fits the host's 64 KiB output: at most
//! `leaderboard_size` (≤ 30) entries, [`REVIEW_QUEUE`] pending ones.

use arcade_sdk::{Error, Value, View, clock, json};

use crate::config::Config;
use crate::state::{self, Ballot, Close, Contest, Entry, Standing};

/// Most pending entries a moderator's view lists, oldest first.
pub const REVIEW_QUEUE: usize = 10;

/// The view for `user_id`.
pub fn view(view: &View<Config>) -> Result<Value, Error> {
    let Some(user_id) = view.viewer.clone() else {
        return Err(Error::invalid_input(
            "viewer_required",
            "this view shows one user's part: pass user_id",
        ));
    };
    let config = &view.config;
    let now = clock::now_ms();
    let contest = Contest::load();
    let close = Close::load();
    let closed = close.done() || config.closed(now);
    let standings = state::standings(config, &contest, &close);
    let leaderboard: Vec<Value> = standings
        .iter()
        .take(config.leaderboard_size as usize)
        .filter_map(|s| Some(ranked(s, &Entry::load(&s.id)?)))
        .collect();
    let ballot = Ballot::load(&clock::today().to_string());
    let mine: Vec<Value> = state::my_entries()
        .iter()
        .filter_map(|id| Entry::load(id))
        .map(|e| my_entry(&e, standings.iter().find(|s| s.id == e.id)))
        .collect();

    let mut view = json!({
        "closes_at_ms": config.closes_at_ms,
        "submissions_close_at_ms": config.submissions_close_at_ms(),
        "voting_opens_at_ms": config.voting_opens_at_ms,
        "submissions_open": !closed && now < config.submissions_close_at_ms(),
        "voting_open": !closed && config.voting_open(now),
        "closed": closed,
        "closed_at_ms": close.closed_at_ms,
        "approved_entries": standings.len(),
        "leaderboard": leaderboard,
        "votes_per_day": config.votes_per_day,
        "votes_left_today": ballot.left(config.votes_per_day),
        "voted_today": ballot.entries,
        "my_entries": mine,
    });
    if config.is_moderator(&user_id) {
        let queue: Vec<Value> = contest
            .pending
            .iter()
            .take(REVIEW_QUEUE)
            .filter_map(|id| Entry::load(id))
            .map(|e| pending(&e))
            .collect();
        view["review"] = json!({"pending": contest.pending.len(), "queue": queue});
    }
    if let Some(weight) = config.judge_weight(&user_id) {
        let my_scores: serde_json::Map<String, Value> = contest
            .approved
            .iter()
            .filter_map(|id| {
                let score = *state::judge_scores(id).get(&user_id)?;
                Some((id.clone(), json!(score)))
            })
            .collect();
        view["judging"] = json!({"weight": weight, "my_scores": my_scores});
    }
    Ok(view)
}

/// A leaderboard row.
fn ranked(s: &Standing, e: &Entry) -> Value {
    json!({
        "rank": s.rank,
        "entry_id": e.id,
        "title": e.title,
        "description": e.description,
        "image_url": e.image_url,
        "author": e.author,
        "votes": s.votes,
        "judge_points": s.judge_points,
        "score": s.score,
    })
}

/// One of the viewer's entries, with its standing once approved.
fn my_entry(e: &Entry, standing: Option<&Standing>) -> Value {
    json!({
        "entry_id": e.id,
        "title": e.title,
        "status": e.status,
        "reason": e.reason,
        "rank": standing.map(|s| s.rank),
        "votes": standing.map(|s| s.votes),
        "score": standing.map(|s| s.score),
    })
}

/// An entry waiting for a moderator.
fn pending(e: &Entry) -> Value {
    json!({
        "entry_id": e.id,
        "title": e.title,
        "description": e.description,
        "image_url": e.image_url,
        "author": e.author,
        "submitted_at_ms": e.submitted_at_ms,
    })
}
