//! Lucky draw (大转盘 / 九宫格): each `draw` picks a prize by integer
//! weights. A prize whose stock is gone drops off the wheel for that draw
//! and its weight goes to the miss. Draws can be limited per user in total
//! and per business day of the activity's time zone, may cost points, may
//! be extended with tickets earned elsewhere, guarantee a prize after a run
//! of misses (保底), and console a miss with a coupon or points.

use arcade_sdk::{
    Action, ConfigError, Context, Error, Manifest, Mechanic, Outcome, Reward, Setup, clock, json,
    random, state, stock, wallet,
};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Cells of a 九宫格 grid (the ninth, centre cell is the button).
pub const GRID_CELLS: u32 = 8;
/// Largest wheel.
pub const MAX_SEGMENTS: u32 = 24;
const DAY_MS: i64 = 86_400_000;

/// Activity config.
#[derive(Debug, Deserialize)]
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
    /// What a miss gives instead of nothing.
    #[serde(default)]
    pub consolation: Option<Consolation>,
}

/// Layout hint for front ends.
#[derive(Debug, Default, Deserialize)]
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
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Style {
    /// 大转盘.
    #[default]
    Wheel,
    /// 九宫格.
    Grid,
}

/// One prize.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prize {
    /// Identifier, unique within the activity.
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pity {
    /// Length of the run that ends in a guaranteed win.
    pub after: u32,
    /// The prize guaranteed (if it is in stock).
    pub prize: String,
}

/// Extra draws paid with tickets from the user's wallet.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraDraws {
    /// The ticket balance (for example `spins`), credited by other
    /// activities' rewards.
    pub ticket: String,
}

/// A consolation reward for a miss.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consolation {
    /// `coupon` or `points`.
    pub kind: ConsolationKind,
    /// Coupon template id (ignored for points).
    #[serde(default)]
    pub id: String,
    /// Display name.
    pub name: String,
    /// Coupon value in fen, or points.
    pub amount: i64,
    /// Coupon validity in days from the draw; `null`: no expiry.
    #[serde(default)]
    pub valid_days: Option<u32>,
}

/// Kinds of consolation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConsolationKind {
    /// A coupon.
    Coupon,
    /// Points.
    Points,
}

/// What the draw remembers about one user.
#[derive(Debug, Default, Serialize, Deserialize)]
struct UserRecord {
    total: u32,
    day: String,
    today: u32,
    #[serde(default)]
    free_today: u32,
    #[serde(default)]
    misses_in_a_row: u32,
    wins: Vec<Win>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Win {
    prize: String,
    name: String,
    at_ms: i64,
}

/// Wins kept for the view; older ones stay in the outcome log.
const WINS_KEPT: usize = 50;
const USER_KEY: &str = "draws";

/// The mechanic.
pub struct LuckyDraw;

impl UserRecord {
    fn load(today: &str) -> Self {
        let mut rec: UserRecord = state::user().get(USER_KEY).unwrap_or_default();
        if rec.day != today {
            rec.day = today.to_owned();
            rec.today = 0;
            rec.free_today = 0;
        }
        rec
    }

    fn free_left(&self, config: &Config) -> Option<u32> {
        config
            .per_user_daily
            .map(|limit| limit.saturating_sub(self.free_today))
    }

    fn total_left(&self, config: &Config) -> Option<u32> {
        config
            .per_user_total
            .map(|limit| limit.saturating_sub(self.total))
    }
}

impl Config {
    fn cells(&self) -> u32 {
        match self.presentation.style {
            Style::Grid => GRID_CELLS,
            Style::Wheel => self
                .presentation
                .segments
                .unwrap_or(self.prizes.len() as u32 + 1),
        }
    }

    /// Each prize's position, then the positions left for misses.
    fn layout(&self) -> (Vec<u32>, Vec<u32>) {
        let mut taken: Vec<bool> = vec![false; self.cells() as usize];
        for p in &self.prizes {
            if let Some(pos) = p.position.filter(|pos| *pos < self.cells()) {
                taken[pos as usize] = true;
            }
        }
        let mut next_free = 0usize;
        let positions = self
            .prizes
            .iter()
            .map(|p| match p.position {
                Some(pos) => pos,
                None => {
                    while next_free < taken.len() && taken[next_free] {
                        next_free += 1;
                    }
                    let pos = next_free as u32;
                    if next_free < taken.len() {
                        taken[next_free] = true;
                    }
                    pos
                }
            })
            .collect();
        let misses = (0..self.cells()).filter(|c| !taken[*c as usize]).collect();
        (positions, misses)
    }
}

fn in_stock(prize: &Prize) -> bool {
    prize.stock.is_none() || stock::available(&prize.id).unwrap_or(0) > 0
}

fn draw(ctx: &Context<Config>) -> Result<Outcome, Error> {
    let config = &ctx.config;
    let today = clock::today();
    let now = clock::now_ms();
    let mut rec = UserRecord::load(&today);
    if rec.total_left(config) == Some(0) {
        return Err(Error::rejected(
            "total_limit_reached",
            format!(
                "you have used all {} draws of this activity",
                config.per_user_total.unwrap_or(0)
            ),
        ));
    }

    // Free draws first; then a ticket, if the activity takes them.
    let mut used_ticket = false;
    if rec.free_left(config) == Some(0) {
        let Some(extra) = &config.extra_draws else {
            return Err(Error::rejected(
                "daily_limit_reached",
                format!(
                    "you have used all {} draws for {today}",
                    config.per_user_daily.unwrap_or(0)
                ),
            ));
        };
        if wallet::debit(&extra.ticket, 1).is_err() {
            return Err(Error::rejected(
                "daily_limit_reached",
                format!(
                    "no free draws left for {today} and no {:?} tickets for an extra draw",
                    extra.ticket
                ),
            ));
        }
        used_ticket = true;
    } else {
        rec.free_today += 1;
    }
    if let Some(cost) = config.cost_points
        && wallet::debit(wallet::POINTS, cost).is_err()
    {
        return Err(Error::rejected(
            "insufficient_points",
            format!(
                "a draw costs {cost} points; you have {}",
                wallet::balance(wallet::POINTS)
            ),
        ));
    }

    // 保底: after `after - 1` misses in a row, the pity prize (if in stock).
    let pity_prize = config
        .pity
        .as_ref()
        .filter(|p| rec.misses_in_a_row + 1 >= p.after)
        .and_then(|p| config.prizes.iter().position(|x| x.id == p.prize))
        .filter(|i| in_stock(&config.prizes[*i]));
    let picked = match pity_prize {
        Some(i) => Some(i),
        None => {
            // Out-of-stock prizes leave the wheel; their weight goes to the miss.
            let mut weights: Vec<u64> = Vec::with_capacity(config.prizes.len() + 1);
            let mut miss = config.miss_weight;
            for prize in &config.prizes {
                if in_stock(prize) {
                    weights.push(prize.weight);
                } else {
                    weights.push(0);
                    miss += prize.weight;
                }
            }
            weights.push(miss);
            random::weighted_index(&weights).filter(|i| *i < config.prizes.len())
        }
    };
    let won = picked
        .map(|i| (i, &config.prizes[i]))
        .filter(|(_, prize)| prize.stock.is_none() || stock::claim(&prize.id, 1).is_ok());

    let (positions, miss_cells) = config.layout();
    let position = match won {
        Some((i, _)) => Some(positions[i]),
        None if miss_cells.is_empty() => None,
        None => Some(miss_cells[random::below(miss_cells.len() as u64) as usize]),
    };

    rec.total += 1;
    rec.today += 1;
    let mut outcome;
    let mut consolation = serde_json::Value::Null;
    match won {
        Some((_, prize)) => {
            rec.misses_in_a_row = 0;
            rec.wins.push(Win {
                prize: prize.id.clone(),
                name: prize.name.clone(),
                at_ms: now,
            });
            if rec.wins.len() > WINS_KEPT {
                rec.wins.remove(0);
            }
            outcome =
                Outcome::new(serde_json::Value::Null).reward(Reward::prize(&prize.id, &prize.name));
        }
        None => {
            rec.misses_in_a_row += 1;
            outcome = Outcome::new(serde_json::Value::Null);
            if let Some(c) = &config.consolation {
                let reward = match c.kind {
                    ConsolationKind::Points => Reward::points(c.amount),
                    ConsolationKind::Coupon => Reward::coupon(
                        &c.id,
                        &c.name,
                        c.amount,
                        c.valid_days.map(|d| now + i64::from(d) * DAY_MS),
                    ),
                };
                consolation = json!({"kind": c.kind_name(), "name": c.name, "amount": c.amount});
                outcome = outcome.reward(reward);
            }
        }
    }
    state::user().set(USER_KEY, &rec);

    outcome.result = json!({
        "prize": won.map(|(_, p)| p.id.as_str()),
        "name": won.map(|(_, p)| p.name.as_str()),
        "position": position,
        "pity": pity_prize.is_some() && won.is_some(),
        "consolation": consolation,
        "used_ticket": used_ticket,
        "cost_points": config.cost_points,
        "draws_left_today": rec.free_left(config),
        "draws_left_total": rec.total_left(config),
    });
    Ok(outcome)
}

impl Consolation {
    fn kind_name(&self) -> &'static str {
        match self.kind {
            ConsolationKind::Coupon => "coupon",
            ConsolationKind::Points => "points",
        }
    }
}

fn validate(config: &Config) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    if config.prizes.is_empty() {
        errors.push(ConfigError::new("prizes", "at least one prize is required"));
    }
    let mut seen = HashSet::new();
    let mut total_weight = config.miss_weight;
    for (i, prize) in config.prizes.iter().enumerate() {
        if prize.id.is_empty() || prize.id.len() > 64 {
            errors.push(ConfigError::new(
                format!("prizes[{i}].id"),
                "must be 1 to 64 characters",
            ));
        }
        if !seen.insert(prize.id.as_str()) {
            errors.push(ConfigError::new(
                format!("prizes[{i}].id"),
                format!("duplicate prize id {:?}", prize.id),
            ));
        }
        if prize.name.is_empty() {
            errors.push(ConfigError::new(
                format!("prizes[{i}].name"),
                "must not be empty",
            ));
        }
        if prize.weight == 0 {
            errors.push(ConfigError::new(
                format!("prizes[{i}].weight"),
                "must be a positive integer",
            ));
        }
        total_weight = total_weight.saturating_add(prize.weight);
    }
    if total_weight >= u64::MAX / 2 {
        errors.push(ConfigError::new("prizes", "weights are too large"));
    }
    for (field, value) in [
        ("per_user_total", config.per_user_total),
        ("per_user_daily", config.per_user_daily),
    ] {
        if value == Some(0) {
            errors.push(ConfigError::new(
                field,
                "must be at least 1, or null for no limit",
            ));
        }
    }

    let cells = config.cells();
    match config.presentation.style {
        Style::Grid if config.presentation.segments.is_some() => errors.push(ConfigError::new(
            "presentation.segments",
            "a grid always has 8 cells; segments are for wheels",
        )),
        Style::Wheel if !config.prizes.is_empty() && !(2..=MAX_SEGMENTS).contains(&cells) => errors
            .push(ConfigError::new(
                "presentation.segments",
                format!("a wheel has 2 to {MAX_SEGMENTS} segments"),
            )),
        _ => {}
    }
    if config.prizes.len() as u32 > cells {
        errors.push(ConfigError::new(
            "prizes",
            format!("{} prizes do not fit in {cells} cells", config.prizes.len()),
        ));
    }
    let mut used = HashSet::new();
    for (i, prize) in config.prizes.iter().enumerate() {
        if let Some(pos) = prize.position
            && (pos >= cells || !used.insert(pos))
        {
            errors.push(ConfigError::new(
                format!("prizes[{i}].position"),
                format!("must be a free cell from 0 to {}", cells.saturating_sub(1)),
            ));
        }
    }
    if errors.is_empty() && config.miss_weight > 0 && config.layout().1.is_empty() {
        errors.push(ConfigError::new(
            "miss_weight",
            "a miss needs a cell: leave at least one cell without a prize",
        ));
    }

    if config.cost_points.is_some_and(|c| c <= 0) {
        errors.push(ConfigError::new(
            "cost_points",
            "must be a positive number of points, or null",
        ));
    }
    if let Some(p) = &config.pity {
        if p.after == 0 {
            errors.push(ConfigError::new("pity.after", "must be at least 1"));
        }
        if !config.prizes.iter().any(|x| x.id == p.prize) {
            errors.push(ConfigError::new(
                "pity.prize",
                format!("{:?} is not a prize id", p.prize),
            ));
        }
    }
    if let Some(e) = &config.extra_draws {
        if e.ticket.is_empty() || e.ticket.len() > 64 || e.ticket == wallet::POINTS {
            errors.push(ConfigError::new(
                "extra_draws.ticket",
                "must be a ticket name of 1 to 64 characters other than \"points\"",
            ));
        }
        if config.per_user_daily.is_none() {
            errors.push(ConfigError::new(
                "extra_draws",
                "extra draws need per_user_daily (the free draws they extend)",
            ));
        }
    }
    if let Some(c) = &config.consolation {
        if c.amount <= 0 {
            errors.push(ConfigError::new("consolation.amount", "must be positive"));
        }
        if c.kind == ConsolationKind::Coupon && (c.id.is_empty() || c.id.len() > 64) {
            errors.push(ConfigError::new(
                "consolation.id",
                "a coupon needs a template id of 1 to 64 characters",
            ));
        }
    }
    errors
}

impl Mechanic for LuckyDraw {
    type Config = Config;

    fn manifest() -> Manifest {
        Manifest::new(
            "lucky-draw",
            env!("CARGO_PKG_VERSION"),
            "Lucky draw (wheel or 8-cell grid): weighted prizes with limited stock, \
             per-user daily and total limits, optional points cost, extra draws paid \
             with tickets, a guaranteed prize after a run of misses, and a consolation \
             reward for a miss.",
        )
        .action(
            "draw",
            "Draw once.",
            json!({"type": "object", "additionalProperties": false}),
        )
        .config_schema(json!({
            "type": "object",
            "required": ["prizes"],
            "additionalProperties": false,
            "properties": {
                "prizes": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["id", "name", "weight"],
                        "additionalProperties": false,
                        "properties": {
                            "id": {"type": "string", "minLength": 1, "maxLength": 64},
                            "name": {"type": "string", "minLength": 1},
                            "weight": {"type": "integer", "minimum": 1},
                            "stock": {"type": ["integer", "null"], "minimum": 0},
                            "position": {"type": ["integer", "null"], "minimum": 0}
                        }
                    }
                },
                "miss_weight": {"type": "integer", "minimum": 0, "default": 0},
                "per_user_total": {"type": ["integer", "null"], "minimum": 1},
                "per_user_daily": {"type": ["integer", "null"], "minimum": 1},
                "presentation": {
                    "type": "object",
                    "properties": {
                        "style": {"enum": ["wheel", "grid"], "default": "wheel"},
                        "segments": {"type": ["integer", "null"], "minimum": 2, "maximum": MAX_SEGMENTS}
                    }
                },
                "cost_points": {"type": ["integer", "null"], "minimum": 1},
                "pity": {
                    "type": ["object", "null"],
                    "required": ["after", "prize"],
                    "properties": {"after": {"type": "integer", "minimum": 1}, "prize": {"type": "string"}}
                },
                "extra_draws": {
                    "type": ["object", "null"],
                    "required": ["ticket"],
                    "properties": {"ticket": {"type": "string", "minLength": 1, "maxLength": 64}}
                },
                "consolation": {
                    "type": ["object", "null"],
                    "required": ["kind", "name", "amount"],
                    "properties": {
                        "kind": {"enum": ["coupon", "points"]},
                        "id": {"type": "string"},
                        "name": {"type": "string"},
                        "amount": {"type": "integer", "minimum": 1},
                        "valid_days": {"type": ["integer", "null"], "minimum": 1}
                    }
                }
            }
        }))
    }

    fn validate(config: &Config) -> Result<Setup, Vec<ConfigError>> {
        let errors = validate(config);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(config
            .prizes
            .iter()
            .filter_map(|p| p.stock.map(|s| (p.id.clone(), s)))
            .fold(Setup::default(), |setup, (id, s)| setup.stock(id, s)))
    }

    fn handle(ctx: &Context<Config>, action: &Action) -> Result<Outcome, Error> {
        match action.name.as_str() {
            "draw" => draw(ctx),
            other => Err(Error::unknown_action(other)),
        }
    }

    fn view(ctx: &Context<Config>) -> Result<arcade_sdk::Value, Error> {
        let config = &ctx.config;
        let rec = UserRecord::load(&clock::today());
        let (positions, miss_cells) = config.layout();
        let prizes: Vec<_> = config
            .prizes
            .iter()
            .zip(&positions)
            .map(|(p, pos)| {
                json!({
                    "id": p.id,
                    "name": p.name,
                    "position": pos,
                    "remaining": p.stock.map(|_| stock::available(&p.id).unwrap_or(0)),
                })
            })
            .collect();
        let pity = config.pity.as_ref().map(|p| {
            json!({
                "prize": p.prize,
                "misses_in_a_row": rec.misses_in_a_row,
                "guaranteed_in": p.after.saturating_sub(rec.misses_in_a_row).max(1),
            })
        });
        Ok(json!({
            "draws_today": rec.today,
            "draws_total": rec.total,
            "draws_left_today": rec.free_left(config),
            "draws_left_total": rec.total_left(config),
            "extra_draw_tickets": config.extra_draws.as_ref().map(|e| wallet::balance(&e.ticket)),
            "points": config.cost_points.map(|_| wallet::balance(wallet::POINTS)),
            "cost_points": config.cost_points,
            "pity": pity,
            "wins": rec.wins,
            "presentation": {
                "style": config.presentation.style,
                "cells": config.cells(),
                "miss_cells": miss_cells,
            },
            "prizes": prizes,
        }))
    }
}

arcade_sdk::export!(LuckyDraw);

#[cfg(test)]
mod tests;
