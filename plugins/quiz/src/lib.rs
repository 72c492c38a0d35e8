//! Quiz (知识问答): each `start` draws a random set of questions from the
//! bank, without their answers; `submit` scores the attempt (a question
//! counts only if the chosen options equal its answer exactly), adds an
//! optional speed bonus, and keeps every user's best attempt on a
//! leaderboard. When the quiz closes, a timer ranks the leaderboard and
//! grants rank rewards, once.
//!
//! Modules: [`config`] (the config and its checks), [`state`] (attempts
//! and the user's summary), [`leaderboard`], [`scoring`] (drawing, marking,
//! the speed bonus), [`actions`] (`start`, `submit`), [`close`] (the close
//! timer and rank rewards), [`view`], [`schema`] (the config's JSON
//! Schema).

pub mod actions;
pub mod close;
pub mod config;
pub mod leaderboard;
pub mod scoring;
pub mod state;
pub mod view;

use arcade_sdk::{ConfigError, Context, Error, Manifest, Mechanic, Outcome, Setup, Timer, View};

pub use config::{
    Config, MAX_ATTEMPTS_PER_USER, MAX_QUESTIONS_PER_ATTEMPT, MAX_RANKED, MAX_TIME_LIMIT_SECONDS,
};
pub use leaderboard::Entry;
pub use scoring::{draw_indices, speed_bonus};

/// Name of the close timer.
pub const CLOSE_TIMER: &str = "close";

/// The mechanic.
pub struct Quiz;

impl Mechanic for Quiz {
    type Config = Config;
    type Action = actions::Action;

    fn manifest() -> Manifest {
        Manifest::new(
            "quiz",
            env!("CARGO_PKG_VERSION"),
            "Quiz (知识问答): each attempt draws random questions from a bank under a time \
             limit; exact answers score their points, plus an optional speed bonus. Each \
             user's best attempt goes on a leaderboard, and when the quiz closes the top \
             ranks receive rewards.",
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

    fn on_timer(ctx: &Context<Config>, timer: &Timer) -> Result<Outcome, Error> {
        close::on_timer(ctx, timer)
    }

    fn view(view: &View<Config>) -> Result<arcade_sdk::Value, Error> {
        view::view(view)
    }
}

arcade_sdk::export!(Quiz);

#[cfg(test)]
mod tests;
