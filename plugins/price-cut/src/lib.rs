//! Price cut (砍价, "help me cut"): a user starts a bargain on an item and
//! shares it; each friend who helps cuts a random number of fen off the
//! price, and the `helpers_needed`-th help lands exactly on the floor
//! price, completing the bargain and granting the owner the item.
//!
//! A bargain lives in team scope under its id (the `call_id` of the
//! `start` that created it), so concurrent helps of one bargain are
//! serialised by the host's version check. A timer `expire:<id>` closes it
//! at its deadline.
//!
//! Modules: [`config`] (the config and its checks), [`cut`] (the cut
//! algorithm), [`state`] (bargains and user records), [`actions`]
//! (`start`, `help`), [`expiry`] (the expiry timer), [`view`], [`schema`]
//! (the config's JSON Schema).

pub mod actions;
pub mod config;
pub mod cut;
pub mod expiry;
pub mod state;
pub mod view;

use arcade_sdk::{ConfigError, Context, Error, Manifest, Mechanic, Outcome, Setup, Timer, View};

pub use config::{Config, MAX_HELPERS, MAX_PRICE_FEN, MAX_TIME_LIMIT_MINUTES};
pub use cut::{next_cut, owner_cut};
pub use state::Status;

/// The mechanic.
pub struct PriceCut;

impl Mechanic for PriceCut {
    type Config = Config;
    type Action = actions::Action;

    fn manifest() -> Manifest {
        Manifest::new(
            "price-cut",
            env!("CARGO_PKG_VERSION"),
            "Price cut (砍价): a user starts a bargain on an item and friends help cut \
             its price by random amounts; the last of `helpers_needed` helps lands \
             exactly on the floor price and grants the owner the item. Bargains expire \
             after a time limit; helps are limited per helper per business day; optional \
             owner's first cut, new-member bonus, item stock and per-user bargain limit.",
        )
        .view_query(
            "bargain_id",
            "Show this bargain to anyone: its price, cuts and helps still needed \
             (the page an owner shares).",
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

    fn on_timer(ctx: &Context<Config>, timer: &Timer) -> Result<Outcome, Error> {
        expiry::on_timer(ctx, timer)
    }
}

arcade_sdk::export!(PriceCut);

#[cfg(test)]
mod tests;
