//! The activity's config and its checks.

use arcade_sdk::{ConfigError, RewardSpec, Setup, wallet};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Cells of a 九宫格 grid (the ninth, centre cell is the button).
pub const GRID_CELLS: u32 = 8;
/// Largest wheel.
pub const MAX_SEGMENTS: u32 = 24;

/// Activity config.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The prizes.
    pub prizes: Vec<Prize>,
    /// Weight of drawing nothing.
    #[serde(default)]
    pub miss_weight: u64,
    /// Draws allowed per user over the whole activity; `null`: no limit.
    #[serde(default)]
    pub per_user_total: Option<u32>,
    /// Free draws per user per business day; `null`: no limit.
    #[serde(default)]
    pub per_user_daily: Option<u32>,
    /// How a front end lays the prizes out, so it can animate the stop.
    #[serde(default)]
    pub presentation: Presentation,
    /// Points each draw costs; `null`: free.
    #[serde(default)]
    pub cost_points: Option<i64>,
    /// Guaranteed prize after a run of misses (保底).
    #[serde(default)]
    pub pity: Option<Pity>,
    /// Draws beyond the daily free ones, paid with tickets.
    #[serde(default)]
    pub extra_draws: Option<ExtraDraws>,
    /// What a miss gives instead of nothing (the SDK's reward shape).
    #[serde(default)]
    pub consolation: Option<RewardSpec>,
}

/// Layout hint for front ends.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Presentation {
    /// `wheel` (default) or `grid` (8 cells around a button).
    #[serde(default)]
    pub style: Style,
    /// Wheel segments; default: one per prize plus one miss segment.
    #[serde(default)]
    pub segments: Option<u32>,
}

/// Layout style.
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Style {
    /// 大转盘.
    #[default]
    Wheel,
    /// 九宫格.
    Grid,
}

/// One prize: a stock pool and its odds, not a reward spec (a win grants
/// one unit of it as a `prize` reward).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Prize {
    /// Identifier, unique within the activity; also its stock pool's id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Relative chance of being drawn.
    pub weight: u64,
    /// Units available; `null` or absent for unlimited.
    #[serde(default)]
    pub stock: Option<u64>,
    /// Cell or segment it occupies; default: the next free one.
    #[serde(default)]
    pub position: Option<u32>,
}

/// 保底: at most `after - 1` misses in a row; the `after`-th draw wins `prize`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pity {
    /// Length of the run that ends in a guaranteed win.
    pub after: u32,
    /// The prize guaranteed (if it is in stock).
    pub prize: String,
}

/// Extra draws paid with tickets from the user's wallet.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtraDraws {
    /// The ticket balance (for example `spins`), credited by other
    /// activities' rewards.
    pub ticket: String,
}

impl Config {
    /// The stock pools to create: one per prize with a `stock`.
    pub fn setup(&self) -> Setup {
        self.prizes
            .iter()
            .filter_map(|p| p.stock.map(|s| (p.id.clone(), s)))
            .fold(Setup::default(), |setup, (id, s)| setup.stock(id, s))
    }

    /// Every problem with the config, each naming its field.
    pub fn problems(&self) -> Vec<ConfigError> {
        let mut errors = Vec::new();
        self.check_prizes(&mut errors);
        for (field, value) in [
            ("per_user_total", self.per_user_total),
            ("per_user_daily", self.per_user_daily),
        ] {
            if value == Some(0) {
                errors.push(ConfigError::new(
                    field,
                    "must be at least 1, or null for no limit",
                ));
            }
        }
        self.check_layout(&mut errors);
        self.check_extras(&mut errors);
        errors
    }

    fn check_prizes(&self, errors: &mut Vec<ConfigError>) {
        if self.prizes.is_empty() {
            errors.push(ConfigError::new("prizes", "at least one prize is required"));
        }
        let mut seen = HashSet::new();
        let mut total_weight = self.miss_weight;
        for (i, prize) in self.prizes.iter().enumerate() {
            let field = |f: &str| format!("prizes[{i}].{f}");
            if prize.id.is_empty() || prize.id.len() > 64 {
                errors.push(ConfigError::new(field("id"), "must be 1 to 64 characters"));
            }
            if !seen.insert(prize.id.as_str()) {
                errors.push(ConfigError::new(
                    field("id"),
                    format!("duplicate prize id {:?}", prize.id),
                ));
            }
            if prize.name.is_empty() {
                errors.push(ConfigError::new(field("name"), "must not be empty"));
            }
            if prize.weight == 0 {
                errors.push(ConfigError::new(
                    field("weight"),
                    "must be a positive integer",
                ));
            }
            total_weight = total_weight.saturating_add(prize.weight);
        }
        if total_weight >= u64::MAX / 2 {
            errors.push(ConfigError::new("prizes", "weights are too large"));
        }
    }

    fn check_layout(&self, errors: &mut Vec<ConfigError>) {
        let cells = self.cells();
        match self.presentation.style {
            Style::Grid if self.presentation.segments.is_some() => errors.push(ConfigError::new(
                "presentation.segments",
                "a grid always has 8 cells; segments are for wheels",
            )),
            Style::Wheel if !self.prizes.is_empty() && !(2..=MAX_SEGMENTS).contains(&cells) => {
                errors.push(ConfigError::new(
                    "presentation.segments",
                    format!("a wheel has 2 to {MAX_SEGMENTS} segments"),
                ))
            }
            _ => {}
        }
        if self.prizes.len() as u32 > cells {
            errors.push(ConfigError::new(
                "prizes",
                format!("{} prizes do not fit in {cells} cells", self.prizes.len()),
            ));
        }
        let mut used = HashSet::new();
        for (i, prize) in self.prizes.iter().enumerate() {
            if let Some(pos) = prize.position
                && (pos >= cells || !used.insert(pos))
            {
                errors.push(ConfigError::new(
                    format!("prizes[{i}].position"),
                    format!("must be a free cell from 0 to {}", cells.saturating_sub(1)),
                ));
            }
        }
        if errors.is_empty() && self.miss_weight > 0 && self.layout().1.is_empty() {
            errors.push(ConfigError::new(
                "miss_weight",
                "a miss needs a cell: leave at least one cell without a prize",
            ));
        }
    }

    fn check_extras(&self, errors: &mut Vec<ConfigError>) {
        if self.cost_points.is_some_and(|c| c <= 0) {
            errors.push(ConfigError::new(
                "cost_points",
                "must be a positive number of points, or null",
            ));
        }
        if let Some(p) = &self.pity {
            if p.after == 0 {
                errors.push(ConfigError::new("pity.after", "must be at least 1"));
            }
            if !self.prizes.iter().any(|x| x.id == p.prize) {
                errors.push(ConfigError::new(
                    "pity.prize",
                    format!("{:?} is not a prize id", p.prize),
                ));
            }
        }
        if let Some(e) = &self.extra_draws {
            if e.ticket.is_empty() || e.ticket.len() > 64 || e.ticket == wallet::POINTS {
                errors.push(ConfigError::new(
                    "extra_draws.ticket",
                    "must be a ticket name of 1 to 64 characters other than \"points\"",
                ));
            }
            if self.per_user_daily.is_none() {
                errors.push(ConfigError::new(
                    "extra_draws",
                    "extra draws need per_user_daily (the free draws they extend)",
                ));
            }
        }
        if let Some(c) = &self.consolation {
            c.validate("consolation", errors);
        }
    }
}
