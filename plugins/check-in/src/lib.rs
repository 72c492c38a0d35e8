//! Check-in (签到 / 打卡): each user checks in once per business day of the
//! activity's time zone. Consecutive days form a streak; a missed day
//! breaks it. Each check-in earns the reward of its day in a repeating
//! cycle (day 1..=L of the streak), totals of checked days reach
//! milestones with one-off rewards, and an optional make-up (补签) lets a
//! user fill a recently missed day, possibly for points, which can
//! reconnect a broken streak.
//!
//! Business days come only from `clock::today()`; the user's checked days
//! are kept as runs of consecutive day numbers (see [`history`]), so the
//! streak is always derived from the set of checked days and no day can be
//! counted twice.
//!
//! Modules: [`config`] (the config and its checks), [`state`] (the user
//! record), [`history`] (runs of checked days), [`civil`] (dates as day
//! numbers), [`actions`] (`check_in`, `make_up`), [`view`] (with the
//! month's calendar), .

pub mod actions;
pub mod civil;
pub mod config;
pub mod history;
pub mod state;
pub mod view;

use arcade_sdk::{ConfigError, Context, Error, Manifest, Mechanic, Outcome, Setup, View};

pub use arcade_sdk::{CouponSpec, PrizeSpec, RewardSpec, TicketsSpec};
pub use config::{Config, MAX_CYCLE, MAX_MAKEUP_WINDOW, Makeup, Milestone};
pub use state::HISTORY_DAYS;

/// The mechanic.
pub struct CheckIn;

impl Mechanic for CheckIn {
    type Config = Config;
    type Action = actions::Action;

    fn manifest() -> Manifest {
        Manifest::new(
            "check-in",
            env!("CARGO_PKG_VERSION"),
            "Daily check-in (签到): one check-in per user per business day of the \
             activity's time zone, streaks of consecutive days, a repeating cycle of \
             daily rewards by streak day, one-off rewards at totals of checked days, \
             and optional make-ups of recently missed days, limited per month and \
             optionally paid with points.",
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

    fn view(view: &View<Config>) -> Result<arcade_sdk::Value, Error> {
        view::view(view)
    }
}

arcade_sdk::export!(CheckIn);

#[cfg(test)]
mod tests;
