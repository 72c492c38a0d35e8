//! Voting contest (投票): users submit entries, moderators approve or
//! reject them, users vote for approved entries with a few votes per
//! business day, optional judges score them, and at the close a timer
//! ranks the entries, freezes the ranking and grants rank rewards to the
//! authors.
//!
//! An entry's score is its public votes plus its judges' points, where
//! each judge's 0–100 score counts `weight` votes per point:
//! `score = votes + Σ weight_j × score_j`. Ties go to the entry approved
//! first.
//!
//! - [`config`]: the config and its checks;
//! - [`state`]: what is kept where (chosen for the vote, the hot path),
//!   and the ranking;
//! - [`actions`]: `submit`, `approve`, `reject`, `vote`, `score`;
//! - [`close`]: the close timer;
//! - [`text`]: what titles, descriptions and image URLs may hold;
//! - [`view`]: the leaderboard and the viewer's votes and entries.

pub mod actions;
pub mod close;
pub mod config;
pub mod state;
pub mod text;
pub mod view;

use arcade_sdk::{
    Action, ConfigError, Context, Error, Manifest, Mechanic, Outcome, Setup, Timer, Value, json,
};

pub use config::Config;

/// The timer that closes the contest, scheduled for `closes_at_ms` by the
/// first submission.
pub const CLOSE_TIMER: &str = "close";

/// The mechanic.
pub struct Voting;

impl Mechanic for Voting {
    type Config = Config;

    fn manifest() -> Manifest {
        let entry = json!({"type": "string", "maxLength": 16});
        let object = |properties: Value, required: &[&str]| {
            json!({"type": "object", "properties": properties, "required": required,
                   "additionalProperties": false})
        };
        Manifest::new(
            "voting",
            "0.1.0",
            "Voting contest (投票): moderated entries, daily votes, optional judges, rank rewards at the close.",
        )
        .action(
            "submit",
            "Submit an entry; it waits for a moderator.",
            object(
                json!({"title": {"type": "string", "maxLength": text::MAX_TITLE_CHARS},
                       "description": {"type": ["string", "null"]},
                       "image_url": {"type": ["string", "null"]}}),
                &["title"],
            ),
        )
        .action(
            "approve",
            "Moderators: approve a pending entry.",
            object(json!({"entry_id": entry}), &["entry_id"]),
        )
        .action(
            "reject",
            "Moderators: reject a pending entry, optionally saying why.",
            object(
                json!({"entry_id": entry, "reason": {"type": ["string", "null"]}}),
                &["entry_id"],
            ),
        )
        .action(
            "vote",
            "Vote for an approved entry (one of the day's votes).",
            object(json!({"entry_id": entry}), &["entry_id"]),
        )
        .action(
            "score",
            "Judges: score an approved entry from 0 to 100, replacing an earlier score.",
            object(
                json!({"entry_id": entry,
                       "score": {"type": "integer", "minimum": 0, "maximum": state::MAX_JUDGE_SCORE}}),
                &["entry_id", "score"],
            ),
        )
        .config_schema(config::schema())
    }

    fn validate(config: &Config) -> Result<Setup, Vec<ConfigError>> {
        let problems = config.problems();
        if problems.is_empty() {
            Ok(Setup::default())
        } else {
            Err(problems)
        }
    }

    fn handle(ctx: &Context<Config>, action: &Action) -> Result<Outcome, Error> {
        actions::handle(ctx, action)
    }

    fn view(ctx: &Context<Config>) -> Result<Value, Error> {
        view::view(ctx)
    }

    fn on_timer(ctx: &Context<Config>, timer: &Timer) -> Result<Outcome, Error> {
        match timer.name.as_str() {
            CLOSE_TIMER => close::close(ctx),
            other => Err(Error::rejected(
                "unknown_timer",
                format!("this mechanic schedules no timer {other:?}"),
            )),
        }
    }
}

arcade_sdk::export!(Voting);

#[cfg(test)]
mod tests;
