//! The activity's config and its checks.

use arcade_sdk::{ConfigError, JsonSchema, RewardSpec};
use serde::Deserialize;

/// Most invitees a reward can ask for.
pub const MAX_INVITES: u32 = 1_000;

/// `{"invites_needed": 3, "reward": {"points": 100}, "new_users_only": true}`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Counted invitees that unlock the inviter's reward (1 to 1,000).
    #[schemars(range(min = 1, max = MAX_INVITES))]
    pub invites_needed: u32,
    /// What unlocking grants the inviter (the SDK's reward shape).
    pub reward: RewardSpec,
    /// Count only invitees new to the tenant (no earlier outcome in any of
    /// its activities); default true, against self-made accounts of old
    /// members.
    #[serde(default = "yes")]
    pub new_users_only: bool,
}

fn yes() -> bool {
    true
}

impl Config {
    /// Every problem with the config, each naming its field.
    pub fn problems(&self) -> Vec<ConfigError> {
        let mut errors = Vec::new();
        if !(1..=MAX_INVITES).contains(&self.invites_needed) {
            errors.push(ConfigError::new(
                "invites_needed",
                format!("must be from 1 to {MAX_INVITES}"),
            ));
        }
        self.reward.validate("reward", &mut errors);
        errors
    }
}
