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
    ConfigError, Context, Error, Manifest, Mechanic, Outcome, Setup, Timer, Value, View,
};

pub use config::Config;

/// The timer that closes the contest, scheduled for `closes_at_ms` by the
/// first submission.
pub const CLOSE_TIMER: &str = "close";

/// The mechanic.
pub struct Voting;

impl Mechanic for Voting {
    type Config = Config;
    type Action = actions::Action;

    fn manifest() -> Manifest {
        Manifest::new(
            "voting",
            "0.1.0",
            "Voting contest (投票): moderated entries, daily votes, optional judges, rank rewards at the close.",
        )
        .view_query(
            "entry_id",
            "Show this entry with its votes and rank: to anyone once approved (the page \
             an author shares), before that to its author and the moderators.",
        )
    }

    fn validate(config: &Config) -> Result<Setup, Vec<ConfigError>> {
        let problems = config.problems();
        if problems.is_empty() {
            Ok(Setup::default())
        } else {
            Err(problems)
        }
    }

    fn handle(ctx: &Context<Config>, action: actions::Action) -> Result<Outcome, Error> {
        actions::handle(ctx, action)
    }

    fn view(view: &View<Config>) -> Result<Value, Error> {
        view::view(view)
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
