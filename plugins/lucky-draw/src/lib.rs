//! Lucky draw (大转盘 / 九宫格): each `draw` picks a prize by integer
//! weights. A prize whose stock is gone drops off the wheel for that draw
//! and its weight goes to the miss. Draws can be limited per user in total
//! and per business day of the activity's time zone, may cost points, may
//! be extended with tickets earned elsewhere, guarantee a prize after a run
//! of misses (保底), and console a miss with a reward.
//!
//! Modules: [`config`] (the config and its checks), [`layout`] (cells of
//! the wheel or grid), [`state`] (the user record), [`actions`] (`draw`),
//! [`view`], .

pub mod actions;
pub mod config;
pub mod layout;
pub mod state;
pub mod view;

use arcade_sdk::{ConfigError, Context, Error, Manifest, Mechanic, Outcome, Setup, View};

pub use config::{Config, GRID_CELLS, MAX_SEGMENTS};

/// The mechanic.
pub struct LuckyDraw;

impl Mechanic for LuckyDraw {
    type Config = Config;
    type Action = actions::Action;

    fn manifest() -> Manifest {
        Manifest::new(
            "lucky-draw",
            env!("CARGO_PKG_VERSION"),
            "Lucky draw (wheel or 8-cell grid): weighted prizes with limited stock, \
             per-user daily and total limits, optional points cost, extra draws paid \
             with tickets, a guaranteed prize after a run of misses, and a consolation \
             reward for a miss.",
        )
    }

    fn validate(config: &Config) -> Result<Setup, Vec<ConfigError>> {
        let problems = config.problems();
        if problems.is_empty() {
            Ok(config.setup())
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

arcade_sdk::export!(LuckyDraw);

#[cfg(test)]
mod tests;
