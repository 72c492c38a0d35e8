//! A bare referral mechanic for the fission statistics' tests, built
//! against contract 0.2: `join` with `{"invite_code": user}` reports that
//! `user` invited the actor with a typed invite, every time, self-invites
//! and repeats included, so the tests see the host count each invitee
//! once and ignore self-invites. A real mechanic would refuse those
//! itself. Its view answers anyone, the anonymous included, with the
//! query it was given.
//!
//! Config `{}`.

use arcade_sdk::{
    ConfigError, Context, Error, JsonSchema, Manifest, Mechanic, Outcome, Setup, View, json,
};
use serde::Deserialize;

/// Activity config: nothing to set.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {}

/// The actions.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    tag = "name",
    content = "payload",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum Action {
    /// Take part, naming who invited you.
    Join(Join),
}

/// The `join` payload.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Join {
    /// The inviter's user id, if the actor came by an invite.
    #[serde(default)]
    invite_code: Option<String>,
}

/// The mechanic.
pub struct Referral;

impl Mechanic for Referral {
    type Config = Config;
    type Action = Action;

    fn manifest() -> Manifest {
        Manifest::new("referral", "0.1.0", "Join, maybe by someone's invite.")
            .view_query("echo", "Returned as is.")
    }

    fn validate(_config: &Config) -> Result<Setup, Vec<ConfigError>> {
        Ok(Setup::default())
    }

    fn handle(ctx: &Context<Config>, action: Action) -> Result<Outcome, Error> {
        match action {
            Action::Join(join) => {
                let mut outcome = Outcome::new(json!({"joined": ctx.user_id}));
                if let Some(inviter) = join.invite_code {
                    outcome = outcome.invite_accepted(&ctx.user_id, &inviter);
                }
                Ok(outcome)
            }
        }
    }

    fn view(view: &View<Config>) -> Result<serde_json::Value, Error> {
        Ok(json!({"viewer": view.viewer, "query": view.query}))
    }
}

arcade_sdk::export!(Referral);
