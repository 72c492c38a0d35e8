//! What a user sees: the windows, the leaderboard, their votes today and
//! their entries; moderators also see the review queue, judges their
//! scores. Bounded so it always fits the host's 64 KiB output: at most
//! `leaderboard_size` (≤ 30) entries, [`REVIEW_QUEUE`] pending ones.

use arcade_sdk::{Error, Value, View, clock, json};

use crate::config::Config;
use crate::state::{self, Ballot, Close, Contest, Entry, Standing};

/// Most pending entries a moderator's view lists, oldest first.
pub const REVIEW_QUEUE: usize = 10;

/// One entry, by `?entry_id=`: an approved one for anyone (the page an
/// author shares to gather votes), with its standing and, for a viewer,
/// whether they voted for it today; a pending or rejected one only for
/// its author and the moderators (to anyone else it does not exist).
fn entry_view(view: &View<Config>, entry_id: &str) -> Result<Value, Error> {
    let unknown = || Error::not_found("unknown_entry", format!("no entry {entry_id:?}"));
    let entry = Entry::load(entry_id).ok_or_else(unknown)?;
    let config = &view.config;
    let viewer = view.viewer.as_deref();
    let approved = entry.status == state::Status::Approved;
    let insider = viewer.is_some_and(|v| v == entry.author || config.is_moderator(v));
    if !approved && !insider {
        return Err(unknown());
    }
    let now = clock::now_ms();
    let close = Close::load();
    let closed = close.done() || config.closed(now);
    let standings = state::standings(config, &Contest::load(), &close);
    let standing = standings.iter().find(|s| s.id == entry.id);
    let mut out = ranked_or_not(standing, &entry);
    out["status"] = json!(entry.status);
    out["voting_open"] = json!(!closed && config.voting_open(now));
    out["closed"] = json!(closed);
    if insider {
        out["reason"] = json!(entry.reason);
    }
    if viewer.is_some() {
        let ballot = Ballot::load(&clock::today().to_string());
        out["voted_today"] = json!(ballot.entries.contains(&entry.id));
    }
    Ok(out)
}

/// The view for `user_id`; with `?entry_id=`, that entry (see
/// [`entry_view`]).
pub fn view(view: &View<Config>) -> Result<Value, Error> {
    if let Some(entry_id) = view.param("entry_id") {
        return entry_view(view, entry_id);
    }
    let Some(user_id) = view.viewer.clone() else {
        return Err(Error::invalid_input(
            "viewer_required",
            "this view shows one user's part: pass user_id (or entry_id for one entry)",
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
    ranked_or_not(Some(s), e)
}

/// An entry in full, with its standing if it has one.
fn ranked_or_not(s: Option<&Standing>, e: &Entry) -> Value {
    json!({
        "rank": s.map(|s| s.rank),
        "entry_id": e.id,
        "title": e.title,
        "description": e.description,
        "image_url": e.image_url,
        "author": e.author,
        "votes": s.map(|s| s.votes),
        "judge_points": s.map(|s| s.judge_points),
        "score": s.map(|s| s.score),
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
