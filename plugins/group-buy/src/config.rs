//! The activity's config and its checks.

use arcade_sdk::{ConfigError, RewardSpec};
use serde::Deserialize;

/// Smallest and largest team.
pub const TEAM_SIZE: std::ops::RangeInclusive<u32> = 2..=100;
/// Longest time limit: 30 days.
pub const MAX_TIME_LIMIT_MINUTES: u32 = 30 * 24 * 60;
/// Largest `max_open_teams_per_user`.
pub const MAX_OPEN_TEAMS: u32 = 20;

/// Activity config.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The product on offer.
    pub product: Product,
    /// Members a team needs, leader included (2 to 100).
    pub team_size: u32,
    /// Minutes a team has to fill up after it is opened.
    pub time_limit_minutes: u32,
    /// Teams still forming that one user may lead or belong to at once.
    pub max_open_teams_per_user: u32,
    /// Joiners other than the leader must be new to the tenant.
    #[serde(default)]
    pub new_members_only: bool,
    /// At the deadline, a team that is not full succeeds anyway, filled
    /// with virtual members (模拟成团).
    #[serde(default)]
    pub auto_fill_at_deadline: bool,
    /// What each member of a successful team receives (the SDK's reward
    /// shape); `null`: nothing.
    #[serde(default)]
    pub reward: Option<RewardSpec>,
}

/// The product a team buys together.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Product {
    /// Identifier on the platform (1 to 64 characters).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Normal price in fen.
    pub original_price_fen: i64,
    /// Group price in fen, below the original price.
    pub deal_price_fen: i64,
}

impl Config {
    /// Every problem with the config, each naming its field.
    pub fn problems(&self) -> Vec<ConfigError> {
        let mut errors = Vec::new();
        self.product.check(&mut errors);
        if !TEAM_SIZE.contains(&self.team_size) {
            errors.push(ConfigError::new(
                "team_size",
                format!("must be from {} to {}", TEAM_SIZE.start(), TEAM_SIZE.end()),
            ));
        }
        if !(1..=MAX_TIME_LIMIT_MINUTES).contains(&self.time_limit_minutes) {
            errors.push(ConfigError::new(
                "time_limit_minutes",
                format!("must be from 1 to {MAX_TIME_LIMIT_MINUTES} (30 days)"),
            ));
        }
        if !(1..=MAX_OPEN_TEAMS).contains(&self.max_open_teams_per_user) {
            errors.push(ConfigError::new(
                "max_open_teams_per_user",
                format!("must be from 1 to {MAX_OPEN_TEAMS}"),
            ));
        }
        if let Some(reward) = &self.reward {
            reward.validate("reward", &mut errors);
        }
        errors
    }
}

impl Product {
    /// The discount a team buys at, in fen.
    pub fn discount_fen(&self) -> i64 {
        self.original_price_fen - self.deal_price_fen
    }

    fn check(&self, errors: &mut Vec<ConfigError>) {
        if self.id.is_empty() || self.id.len() > 64 {
            errors.push(ConfigError::new("product.id", "must be 1 to 64 characters"));
        }
        if self.name.is_empty() {
            errors.push(ConfigError::new("product.name", "must not be empty"));
        }
        if self.original_price_fen <= 0 {
            errors.push(ConfigError::new(
                "product.original_price_fen",
                "must be a positive number of fen",
            ));
        }
        if self.deal_price_fen < 0 {
            errors.push(ConfigError::new(
                "product.deal_price_fen",
                "must not be negative",
            ));
        } else if self.deal_price_fen >= self.original_price_fen {
            errors.push(ConfigError::new(
                "product.deal_price_fen",
                "must be below original_price_fen",
            ));
        }
    }
}
