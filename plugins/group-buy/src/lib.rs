//! Group-buy (拼团): a leader opens a team for a product deal, others join
//! it by team id, and the team succeeds the moment it is full. A team that
//! is still forming at its deadline fails, or, with `auto_fill_at_deadline`,
//! succeeds anyway with virtual members (模拟成团). Members of a successful
//! team can be rewarded (for example with a coupon worth the discount).
//!
//! Modules: [`config`] (the config and its checks), [`state`] (teams and
//! each user's list of them), [`actions`] (`open`, `join`), [`deadline`]
//! (the deadline timer), [`view`], .

pub mod actions;
pub mod config;
pub mod deadline;
pub mod state;
pub mod view;

use arcade_sdk::{ConfigError, Context, Error, Manifest, Mechanic, Outcome, Setup, Timer, View};

pub use config::{Config, MAX_OPEN_TEAMS, MAX_TIME_LIMIT_MINUTES, Product, TEAM_SIZE};
pub use state::{Status, TEAMS_KEPT, Team};

/// The mechanic.
pub struct GroupBuy;

impl Mechanic for GroupBuy {
    type Config = Config;
    type Action = actions::Action;

    fn manifest() -> Manifest {
        Manifest::new(
            "group-buy",
            env!("CARGO_PKG_VERSION"),
            "Group-buy (拼团): a leader opens a team for a product deal and shares its id; \
             others join until the team is full, which makes it succeed and rewards every \
             member. A team not full by its deadline fails, or is auto-filled with virtual \
             members. Optional limits: open teams per user, new members only.",
        )
        .view_query(
            "team_id",
            "Show this team to anyone: the deal, its members, seats left and deadline \
             (the page a leader shares).",
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

    fn on_timer(ctx: &Context<Config>, timer: &Timer) -> Result<Outcome, Error> {
        deadline::on_timer(ctx, timer)
    }
}

arcade_sdk::export!(GroupBuy);

#[cfg(test)]
mod tests;
