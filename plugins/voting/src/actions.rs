//! The actions, each a function over its typed payload. [`handle`] is the
//! one place that matches on an action's name.

use arcade_sdk::{Context, Error, JsonSchema, Outcome, clock, json};
use serde::Deserialize;

use crate::close::keep_close_timer;
use crate::config::Config;
use crate::state::{self, Ballot, Close, Contest, Entry, MAX_JUDGE_SCORE, Status};
use crate::text::{
    MAX_DESCRIPTION_CHARS, MAX_REASON_CHARS, MAX_TITLE_CHARS, image_url, invalid, text,
};

/// `submit`: enter an entry; it waits for a moderator.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Submit {
    /// 1 to 40 characters.
    pub title: String,
    /// Up to 140 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// An `http(s)://` URL of up to 256 bytes.
    #[serde(default)]
    pub image_url: Option<String>,
}

/// `approve` (moderators): the entry can be voted for.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Approve {
    /// The pending entry.
    pub entry_id: String,
}

/// `reject` (moderators): the entry is turned down.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reject {
    /// The pending entry.
    pub entry_id: String,
    /// Why, up to 140 characters, shown to the author.
    #[serde(default)]
    pub reason: Option<String>,
}

/// `vote`: one of the day's votes for an approved entry.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Vote {
    /// The approved entry.
    pub entry_id: String,
}

/// `score` (judges): score an approved entry, replacing the judge's
/// earlier score of it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Score {
    /// The approved entry.
    pub entry_id: String,
    /// 0 to 100.
    pub score: u32,
}

/// Run one action.
/// What users can do: one variant per action, its doc comment the
/// action's summary; the manifest's action list and payload schemas come
/// from this type.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(tag = "name", content = "payload", deny_unknown_fields)]
pub enum Action {
    /// Submit an entry; it waits for a moderator.
    #[serde(rename = "submit")]
    Submit(Submit),
    /// Moderators: approve a pending entry.
    #[serde(rename = "approve")]
    Approve(Approve),
    /// Moderators: reject a pending entry, optionally saying why.
    #[serde(rename = "reject")]
    Reject(Reject),
    /// Vote for an approved entry (one of the day's votes).
    #[serde(rename = "vote")]
    Vote(Vote),
    /// Judges: score an approved entry from 0 to 100, replacing an earlier score.
    #[serde(rename = "score")]
    Score(Score),
}

pub fn handle(ctx: &Context<Config>, action: Action) -> Result<Outcome, Error> {
    match action {
        Action::Submit(p) => submit(ctx, p),
        Action::Approve(p) => approve(ctx, p),
        Action::Reject(p) => reject(ctx, p),
        Action::Vote(p) => vote(ctx, p),
        Action::Score(p) => score(ctx, p),
    }
}

fn submit(ctx: &Context<Config>, p: Submit) -> Result<Outcome, Error> {
    let config = &ctx.config;
    let (now, mut close) = open(config)?;
    let submissions_close = config.submissions_close_at_ms();
    if now >= submissions_close {
        return Err(Error::rejected(
            "submissions_closed",
            format!("submissions closed at {submissions_close} ms"),
        ));
    }
    let title = text("title", Some(p.title), MAX_TITLE_CHARS, false)?
        .ok_or_else(|| invalid("title: must not be empty"))?;
    let description = text("description", p.description, MAX_DESCRIPTION_CHARS, true)?;
    let image_url = p.image_url.map(image_url).transpose()?;
    let mut contest = Contest::load();
    let mut mine = state::my_entries();
    let held = mine
        .iter()
        .filter(|id| Entry::load(id).is_some_and(|e| e.status != Status::Rejected))
        .count();
    if held >= config.entries_per_user as usize {
        return Err(Error::rejected(
            "entry_limit_reached",
            format!("you already have {held} entries in this contest, the most allowed"),
        ));
    }
    if contest.live() >= config.max_entries as usize {
        return Err(Error::rejected(
            "contest_full",
            format!("the contest has taken its {} entries", config.max_entries),
        ));
    }
    contest.submitted += 1;
    let entry = Entry {
        id: format!("e{}", contest.submitted),
        author: ctx.user_id.clone(),
        title,
        description,
        image_url,
        status: Status::Pending,
        submitted_at_ms: now,
        decided_by: None,
        decided_at_ms: None,
        reason: None,
    };
    entry.save();
    contest.pending.push(entry.id.clone());
    contest.save();
    keep_close_timer(config, &mut close);
    mine.push(entry.id.clone());
    state::save_my_entries(&mine);
    Ok(
        Outcome::new(json!({"entry_id": entry.id, "status": entry.status})).event(
            "entry.submitted",
            &entry.id,
            json!({"author": entry.author, "title": entry.title}),
        ),
    )
}

fn approve(ctx: &Context<Config>, p: Approve) -> Result<Outcome, Error> {
    moderate(ctx, &p.entry_id, Status::Approved, None)
}

fn reject(ctx: &Context<Config>, p: Reject) -> Result<Outcome, Error> {
    let reason = text("reason", p.reason, MAX_REASON_CHARS, false)?;
    moderate(ctx, &p.entry_id, Status::Rejected, reason)
}

/// Decide on a pending entry: approve or reject it.
fn moderate(
    ctx: &Context<Config>,
    entry_id: &str,
    verdict: Status,
    reason: Option<String>,
) -> Result<Outcome, Error> {
    let config = &ctx.config;
    let (now, mut close) = open(config)?;
    if !config.is_moderator(&ctx.user_id) {
        return Err(Error::rejected(
            "not_a_moderator",
            "only the contest's moderators approve and reject entries",
        ));
    }
    let mut contest = Contest::load();
    let mut entry = Entry::load(entry_id).ok_or_else(|| unknown_entry(entry_id))?;
    if entry.status != Status::Pending {
        return Err(Error::rejected(
            "entry_not_pending",
            format!("entry {entry_id} has been decided on already"),
        ));
    }
    contest.pending.retain(|id| *id != entry.id);
    if verdict == Status::Approved {
        contest.approved.push(entry.id.clone());
    }
    contest.save();
    keep_close_timer(config, &mut close);
    entry.status = verdict;
    entry.decided_by = Some(ctx.user_id.clone());
    entry.decided_at_ms = Some(now);
    entry.reason = reason;
    entry.save();
    let event = match verdict {
        Status::Approved => (
            "entry.approved",
            json!({"author": entry.author, "title": entry.title,
                   "description": entry.description, "image_url": entry.image_url}),
        ),
        _ => (
            "entry.rejected",
            json!({"author": entry.author, "reason": entry.reason}),
        ),
    };
    Ok(
        Outcome::new(json!({"entry_id": entry.id, "status": entry.status}))
            .event(event.0, &entry.id, event.1),
    )
}

fn vote(ctx: &Context<Config>, p: Vote) -> Result<Outcome, Error> {
    let config = &ctx.config;
    let (now, _) = open(config)?;
    if !config.voting_open(now) {
        let at = config.voting_opens_at_ms.unwrap_or_default();
        return Err(Error::rejected(
            "voting_not_open",
            format!("voting opens at {at} ms"),
        ));
    }
    let entry = approved_entry(&p.entry_id)?;
    if entry.author == ctx.user_id && !config.allow_self_vote {
        return Err(Error::rejected(
            "own_entry",
            "you cannot vote for your own entry",
        ));
    }
    let mut ballot = Ballot::load(&clock::today().to_string());
    if ballot.entries.contains(&entry.id) {
        return Err(Error::rejected(
            "already_voted_today",
            format!("you already voted for entry {} today", entry.id),
        ));
    }
    if ballot.left(config.votes_per_day) == 0 {
        return Err(Error::rejected(
            "no_votes_left",
            format!("you have cast all {} votes of today", config.votes_per_day),
        ));
    }
    let votes = state::add_vote(&entry.id);
    ballot.entries.push(entry.id.clone());
    ballot.save();
    Ok(Outcome::new(json!({
        "entry_id": entry.id,
        "votes": votes,
        "votes_left_today": ballot.left(config.votes_per_day),
        "voted_today": ballot.entries,
    })))
}

fn score(ctx: &Context<Config>, p: Score) -> Result<Outcome, Error> {
    let config = &ctx.config;
    open(config)?;
    let Some(weight) = config.judge_weight(&ctx.user_id) else {
        return Err(Error::rejected(
            "not_a_judge",
            "only the contest's judges score entries",
        ));
    };
    if p.score > MAX_JUDGE_SCORE {
        return Err(invalid(&format!(
            "score: must be from 0 to {MAX_JUDGE_SCORE}"
        )));
    }
    let entry = approved_entry(&p.entry_id)?;
    let mut scores = state::judge_scores(&entry.id);
    let previous = scores.insert(ctx.user_id.clone(), p.score);
    state::save_judge_scores(&entry.id, &scores);
    Ok(Outcome::new(json!({
        "entry_id": entry.id,
        "score": p.score,
        "previous": previous,
        "weight": weight,
        "judge_points": state::judge_points(config, &scores),
    })))
}

/// The clock and the close's state, unless the contest has closed: by
/// the clock, or by the close timer (a revision may have moved
/// `closes_at_ms` later since). Every action starts here, so every action
/// reads the `close` key the close writes.
fn open(config: &Config) -> Result<(i64, Close), Error> {
    let now = clock::now_ms();
    let close = Close::load();
    if let Some(at) = close.closed_at_ms {
        return Err(closed(at));
    }
    if config.closed(now) {
        return Err(closed(config.closes_at_ms));
    }
    Ok((now, close))
}

/// An entry that can be voted for and judged.
fn approved_entry(id: &str) -> Result<Entry, Error> {
    let entry = Entry::load(id).ok_or_else(|| unknown_entry(id))?;
    if entry.status != Status::Approved {
        return Err(Error::rejected(
            "entry_not_approved",
            format!("entry {id} has not been approved"),
        ));
    }
    Ok(entry)
}

fn closed(at_ms: i64) -> Error {
    Error::rejected(
        "contest_closed",
        format!("the contest closed at {at_ms} ms"),
    )
}

fn unknown_entry(id: &str) -> Error {
    Error::not_found("unknown_entry", format!("no entry {id:?} in this contest"))
}
