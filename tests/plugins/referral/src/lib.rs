//! A bare referral mechanic for the fission statistics' tests: `join`
//! with `{"invite_code": user}` reports that `user` invited the actor with
//! an `invite.accepted` event, every time, self-invites and repeats
//! included, so the tests see the host count each invitee once and
//! ignore self-invites. A real mechanic would refuse those itself.
//!
//! Config `{}`.

use arcade_sdk::{Action, ConfigError, Context, Error, Manifest, Mechanic, Outcome, Setup, json};
use serde::Deserialize;

/// Activity config: nothing to set.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {}

/// The `join` payload.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Join {
    /// The inviter's user id, if the actor came by an invite.
    #[serde(default)]
    invite_code: Option<String>,
}

/// The mechanic.
pub struct Referral;

impl Mechanic for Referral {
    type Config = Config;

    fn manifest() -> Manifest {
        Manifest::new("referral", "0.1.0", "Join, maybe by someone's invite.")
            .action(
                "join",
                "Take part, naming who invited you.",
                json!({"type": "object", "properties": {"invite_code": {"type": "string"}}}),
            )
            .config_schema(json!({"type": "object"}))
    }

    fn validate(_config: &Config) -> Result<Setup, Vec<ConfigError>> {
        Ok(Setup::default())
    }

    fn handle(ctx: &Context<Config>, action: &Action) -> Result<Outcome, Error> {
        match action.name.as_str() {
            "join" => {
                let join: Join = action.parse()?;
                let mut outcome = Outcome::new(json!({"joined": ctx.user_id}));
                if let Some(inviter) = join.invite_code {
                    outcome = outcome.invite_accepted(&ctx.user_id, &inviter);
                }
                Ok(outcome)
            }
            other => Err(Error::unknown_action(other)),
        }
    }

    fn view(_ctx: &Context<Config>) -> Result<serde_json::Value, Error> {
        Ok(json!({}))
    }
}

arcade_sdk::export!(Referral);
