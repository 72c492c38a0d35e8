//! The activity's config and its checks.

use arcade_sdk::{ConfigError, JsonSchema};
use serde::Deserialize;

/// Most packets one red packet splits into.
pub const MAX_COUNT: u64 = 10_000;
/// Largest total, in fen (200,000 yuan).
pub const MAX_TOTAL_FEN: u64 = 20_000_000;
/// The balance credited when the config names none.
pub const DEFAULT_BALANCE: &str = "hongbao_fen";

/// `{"total_fen": 10000, "count": 100, "expires_at_ms": ..., "balance": ...}`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// What the whole red packet holds, in fen; split among `count`
    /// packets of at least 1 fen each.
    #[schemars(range(min = 1, max = MAX_TOTAL_FEN))]
    pub total_fen: u64,
    /// How many packets (how many users can grab one).
    #[schemars(range(min = 1, max = MAX_COUNT))]
    pub count: u64,
    /// When the packets left stop being grabbable and are reported
    /// returned (`packet.expired`), in ms since the epoch; none: never.
    #[serde(default)]
    pub expires_at_ms: Option<i64>,
    /// The balance each amount is credited to (tickets named after it).
    #[serde(default = "default_balance")]
    #[schemars(length(min = 1, max = 64), regex(pattern = r"^[a-z0-9_]+$"))]
    pub balance: String,
}

fn default_balance() -> String {
    DEFAULT_BALANCE.to_owned()
}

impl Config {
    /// Every problem with the config, each naming its field.
    pub fn problems(&self) -> Vec<ConfigError> {
        let mut errors = Vec::new();
        if !(1..=MAX_COUNT).contains(&self.count) {
            errors.push(ConfigError::new(
                "count",
                format!("must be from 1 to {MAX_COUNT}"),
            ));
        }
        if self.total_fen > MAX_TOTAL_FEN {
            errors.push(ConfigError::new(
                "total_fen",
                format!("must be at most {MAX_TOTAL_FEN}"),
            ));
        } else if self.total_fen < self.count {
            errors.push(ConfigError::new(
                "total_fen",
                "must be at least count: every packet holds at least 1 fen",
            ));
        }
        let balance_ok = !self.balance.is_empty()
            && self.balance.len() <= 64
            && self.balance != "points"
            && self
                .balance
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !balance_ok {
            errors.push(ConfigError::new(
                "balance",
                "must be 1 to 64 of a-z, 0-9 and _, and not points",
            ));
        }
        errors
    }
}
