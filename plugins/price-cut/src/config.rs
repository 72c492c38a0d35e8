//! The activity's config and its checks.

use arcade_sdk::{ConfigError, RewardSpec, Setup};
use serde::Deserialize;

/// Most helps a bargain may need.
pub const MAX_HELPERS: u32 = 100;
/// Longest time limit: 30 days.
pub const MAX_TIME_LIMIT_MINUTES: u32 = 30 * 24 * 60;
/// Highest price accepted, in fen (10 billion yuan); keeps arithmetic far
/// from overflow.
pub const MAX_PRICE_FEN: u64 = 1_000_000_000_000;

/// Activity config.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// What is being bargained for.
    pub item: Item,
    /// Helps needed to reach the floor price (1 to 100).
    pub helpers_needed: u32,
    /// Minutes from `start` until an unfinished bargain expires.
    pub time_limit_minutes: u32,
    /// Bargains one user may help per business day.
    pub max_helps_per_day: u32,
    /// The owner's own first cut at `start`; `null`: none.
    #[serde(default)]
    pub owner_first_cut: Option<OwnerFirstCut>,
    /// What a helper new to the tenant gets; `null`: nothing.
    #[serde(default)]
    pub new_member_bonus: Option<NewMemberBonus>,
    /// Units of the item for completed bargains; `null`: unlimited.
    #[serde(default)]
    pub stock: Option<u64>,
    /// Bargains one user may start over the activity; `null`: no limit.
    #[serde(default)]
    pub max_bargains_per_user: Option<u32>,
}

/// The item: a priced stock pool, not a reward spec (a completed bargain
/// grants its owner one unit of it as a `prize` reward).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Identifier: the prize id of the reward and the stock pool id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Price before any cut, in fen.
    pub original_price_fen: u64,
    /// Price a completed bargain reaches, in fen; below the original.
    pub floor_price_fen: u64,
}

/// The owner's first cut: a random share of the total reduction, in
/// percent, applied at `start`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnerFirstCut {
    /// Smallest share, 1 to 99.
    pub min_percent: u32,
    /// Largest share, `min_percent` to 99.
    pub max_percent: u32,
}

/// The bonus for a helper who is new to the tenant.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMemberBonus {
    /// What the helper gets (the SDK's reward shape).
    pub reward: RewardSpec,
    /// Whether a new member's cut is doubled (see the README).
    #[serde(default)]
    pub double_cut: bool,
}

impl Config {
    /// The stock pool to create: the item's, if it has a `stock`.
    pub fn setup(&self) -> Setup {
        match self.stock {
            Some(units) => Setup::default().stock(self.item.id.clone(), units),
            None => Setup::default(),
        }
    }

    /// The total reduction a bargain cuts: original minus floor price.
    pub fn reduction_fen(&self) -> u64 {
        self.item.original_price_fen - self.item.floor_price_fen
    }

    /// Every problem with the config, each naming its field.
    pub fn problems(&self) -> Vec<ConfigError> {
        let mut errors = Vec::new();
        let item = &self.item;
        if item.id.is_empty() || item.id.len() > 64 {
            errors.push(ConfigError::new("item.id", "must be 1 to 64 characters"));
        }
        if item.name.is_empty() {
            errors.push(ConfigError::new("item.name", "must not be empty"));
        }
        if item.original_price_fen == 0 || item.original_price_fen > MAX_PRICE_FEN {
            errors.push(ConfigError::new(
                "item.original_price_fen",
                format!("must be 1 to {MAX_PRICE_FEN} fen"),
            ));
        }
        let prices_ok = item.floor_price_fen < item.original_price_fen;
        if !prices_ok {
            errors.push(ConfigError::new(
                "item.floor_price_fen",
                "must be below original_price_fen (and at least 0)",
            ));
        }
        let helpers_ok = (1..=MAX_HELPERS).contains(&self.helpers_needed);
        if !helpers_ok {
            errors.push(ConfigError::new(
                "helpers_needed",
                format!("must be 1 to {MAX_HELPERS}"),
            ));
        }
        self.check_limits(&mut errors);
        if prices_ok && helpers_ok {
            self.check_reduction(&mut errors);
        }
        if let Some(b) = &self.new_member_bonus {
            b.reward.validate("new_member_bonus.reward", &mut errors);
        }
        errors
    }

    fn check_limits(&self, errors: &mut Vec<ConfigError>) {
        if !(1..=MAX_TIME_LIMIT_MINUTES).contains(&self.time_limit_minutes) {
            errors.push(ConfigError::new(
                "time_limit_minutes",
                format!("must be 1 to {MAX_TIME_LIMIT_MINUTES} (30 days)"),
            ));
        }
        if self.max_helps_per_day == 0 {
            errors.push(ConfigError::new("max_helps_per_day", "must be at least 1"));
        }
        if self.max_bargains_per_user == Some(0) {
            errors.push(ConfigError::new(
                "max_bargains_per_user",
                "must be at least 1, or null for no limit",
            ));
        }
        if let Some(first) = &self.owner_first_cut {
            if !(1..=99).contains(&first.min_percent) {
                errors.push(ConfigError::new(
                    "owner_first_cut.min_percent",
                    "must be 1 to 99",
                ));
            }
            if !(first.min_percent..=99).contains(&first.max_percent) {
                errors.push(ConfigError::new(
                    "owner_first_cut.max_percent",
                    "must be min_percent to 99",
                ));
            }
        }
    }

    /// Every cut is at least 1 fen, so the reduction must cover one fen
    /// per help (and one for the owner's first cut).
    fn check_reduction(&self, errors: &mut Vec<ConfigError>) {
        let total = self.reduction_fen();
        let owner = u64::from(self.owner_first_cut.is_some());
        if total < u64::from(self.helpers_needed) + owner {
            errors.push(ConfigError::new(
                "helpers_needed",
                format!(
                    "every cut is at least 1 fen, so {} helps{} need a reduction of at least {} fen; \
                     original minus floor is {total}",
                    self.helpers_needed,
                    if owner == 1 { " and the owner's first cut" } else { "" },
                    u64::from(self.helpers_needed) + owner,
                ),
            ));
        }
    }
}
