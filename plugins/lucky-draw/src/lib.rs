//! Lucky draw (大转盘): each `draw` spins a wheel of prizes with integer
//! weights. A prize whose stock is gone drops off the wheel for that draw
//! and its weight goes to the miss. Draws can be limited per user in total
//! and per business day of the activity's time zone.

use arcade_sdk::{
    Action, ConfigError, Context, Error, Manifest, Mechanic, Outcome, Reward, Setup, json, random,
    state, stock,
};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Activity config.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The prizes on the wheel.
    pub prizes: Vec<Prize>,
    /// Weight of drawing nothing.
    #[serde(default)]
    pub miss_weight: u64,
    /// Draws allowed per user over the whole activity; `null` for no limit.
    #[serde(default)]
    pub per_user_total: Option<u32>,
    /// Draws allowed per user per business day; `null` for no limit.
    #[serde(default)]
    pub per_user_daily: Option<u32>,
}

/// One prize on the wheel.
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
}

/// What the draw remembers about one user.
#[derive(Debug, Default, Serialize, Deserialize)]
struct UserRecord {
    total: u32,
    day: String,
    today: u32,
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
        }
        rec
    }

    fn left(&self, config: &Config) -> (Option<u32>, Option<u32>) {
        let daily = config
            .per_user_daily
            .map(|limit| limit.saturating_sub(self.today));
        let total = config
            .per_user_total
            .map(|limit| limit.saturating_sub(self.total));
        (daily, total)
    }
}

fn prize_available(prize: &Prize) -> bool {
    match prize.stock {
        None => true,
        Some(_) => stock::available(&prize.id).unwrap_or(0) > 0,
    }
}

fn draw(ctx: &Context<Config>) -> Result<Outcome, Error> {
    let config = &ctx.config;
    let today = arcade_sdk::clock::today();
    let mut rec = UserRecord::load(&today);
    let (daily_left, total_left) = rec.left(config);
    if total_left == Some(0) {
        return Err(Error::rejected(
            "total_limit_reached",
            format!(
                "you have used all {} draws of this activity",
                config.per_user_total.unwrap_or(0)
            ),
        ));
    }
    if daily_left == Some(0) {
        return Err(Error::rejected(
            "daily_limit_reached",
            format!(
                "you have used all {} draws for {today}",
                config.per_user_daily.unwrap_or(0)
            ),
        ));
    }

    // Out-of-stock prizes leave the wheel; their weight goes to the miss.
    let mut weights: Vec<u64> = Vec::with_capacity(config.prizes.len() + 1);
    let mut miss = config.miss_weight;
    for prize in &config.prizes {
        if prize_available(prize) {
            weights.push(prize.weight);
        } else {
            weights.push(0);
            miss += prize.weight;
        }
    }
    weights.push(miss);

    let mut won = random::weighted_index(&weights)
        .and_then(|i| config.prizes.get(i))
        .filter(|prize| prize.stock.is_none() || stock::claim(&prize.id, 1).is_ok());

    rec.total += 1;
    rec.today += 1;
    let now = arcade_sdk::clock::now_ms();
    if let Some(prize) = won.as_mut() {
        rec.wins.push(Win {
            prize: prize.id.clone(),
            name: prize.name.clone(),
            at_ms: now,
        });
        if rec.wins.len() > WINS_KEPT {
            rec.wins.remove(0);
        }
    }
    let (daily_left, total_left) = rec.left(config);
    state::user().set(USER_KEY, &rec);

    let result = json!({
        "prize": won.map(|p| p.id.as_str()),
        "name": won.map(|p| p.name.as_str()),
        "draws_left_today": daily_left,
        "draws_left_total": total_left,
    });
    let mut outcome = Outcome::new(result);
    if let Some(prize) = won {
        outcome = outcome.reward(Reward::prize(&prize.id, &prize.name));
    }
    Ok(outcome)
}

impl Mechanic for LuckyDraw {
    type Config = Config;

    fn manifest() -> Manifest {
        Manifest::new(
            "lucky-draw",
            env!("CARGO_PKG_VERSION"),
            "Lucky draw: users spin a wheel of weighted prizes with limited stock, \
             within per-user daily and total limits.",
        )
        .action(
            "draw",
            "Spin the wheel once.",
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
                            "stock": {"type": ["integer", "null"], "minimum": 0}
                        }
                    }
                },
                "miss_weight": {"type": "integer", "minimum": 0, "default": 0},
                "per_user_total": {"type": ["integer", "null"], "minimum": 1},
                "per_user_daily": {"type": ["integer", "null"], "minimum": 1}
            }
        }))
    }

    fn validate(config: &Config) -> Result<Setup, Vec<ConfigError>> {
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
        if config.per_user_total == Some(0) {
            errors.push(ConfigError::new(
                "per_user_total",
                "must be at least 1, or null for no limit",
            ));
        }
        if config.per_user_daily == Some(0) {
            errors.push(ConfigError::new(
                "per_user_daily",
                "must be at least 1, or null for no limit",
            ));
        }
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
        let rec = UserRecord::load(&arcade_sdk::clock::today());
        let (daily_left, total_left) = rec.left(config);
        let prizes: Vec<_> = config
            .prizes
            .iter()
            .map(|p| {
                json!({
                    "id": p.id,
                    "name": p.name,
                    "remaining": p.stock.map(|_| stock::available(&p.id).unwrap_or(0)),
                })
            })
            .collect();
        Ok(json!({
            "draws_today": rec.today,
            "draws_total": rec.total,
            "draws_left_today": daily_left,
            "draws_left_total": total_left,
            "wins": rec.wins,
            "prizes": prizes,
        }))
    }
}

arcade_sdk::export!(LuckyDraw);

#[cfg(test)]
mod tests {
    use super::*;
    use arcade_sdk::testing::MockHost;

    fn host(config: serde_json::Value) -> MockHost {
        let mut host = MockHost::new(&config.to_string());
        host.setup::<LuckyDraw>().expect("valid config");
        host
    }

    #[test]
    fn config_errors_name_the_field() {
        let mut h = MockHost::new(r#"{"prizes":[{"id":"a","name":"A","weight":0}]}"#);
        let errs = h.setup::<LuckyDraw>().unwrap_err();
        assert_eq!(errs[0].field, "prizes[0].weight");
        let mut h = MockHost::new(r#"{"prizes":[{"id":"a","name":"A","weight":-1}]}"#);
        let errs = h.setup::<LuckyDraw>().unwrap_err();
        assert_eq!(errs[0].field, "prizes[0].weight");
        let mut h = MockHost::new(r#"{"prizes":[],"per_user_daily":0}"#);
        let fields: Vec<_> = h
            .setup::<LuckyDraw>()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["prizes", "per_user_daily"]);
    }

    #[test]
    fn stock_runs_out_and_weight_goes_to_miss() {
        let mut h = host(json!({"prizes":[{"id":"p","name":"P","weight":1,"stock":3}]}));
        let mut wins = 0;
        for _ in 0..10 {
            let out = h.handle::<LuckyDraw>("u", "draw", json!({})).unwrap();
            if out.result["prize"] == "p" {
                wins += 1;
                assert_eq!(out.rewards.len(), 1);
            } else {
                assert!(out.rewards.is_empty());
            }
        }
        assert_eq!(wins, 3);
        assert_eq!(h.stock("p"), Some(0));
    }

    #[test]
    fn daily_limit_resets_on_the_next_business_day() {
        let mut h = host(json!({"prizes":[{"id":"p","name":"P","weight":1}],"per_user_daily":2}));
        // 2026-01-01 15:59:59 UTC is 23:59:59 in UTC+8.
        h.set_now_ms(1_767_283_199_000);
        h.handle::<LuckyDraw>("u", "draw", json!({})).unwrap();
        h.handle::<LuckyDraw>("u", "draw", json!({})).unwrap();
        let err = h.handle::<LuckyDraw>("u", "draw", json!({})).unwrap_err();
        assert_eq!(err.code, "daily_limit_reached");
        h.set_now_ms(1_767_283_200_000);
        let out = h.handle::<LuckyDraw>("u", "draw", json!({})).unwrap();
        assert_eq!(out.result["draws_left_today"], 1);
        assert_eq!(h.view::<LuckyDraw>("u").unwrap()["draws_total"], 3);
    }

    proptest::proptest! {
        /// Whatever the wheel and however many draws, no prize is won more
        /// often than its stock, stock never goes below zero, and wins and
        /// stock agree.
        #[test]
        fn stock_is_never_oversold(
            prizes in proptest::collection::vec((1u64..20, proptest::option::of(0u64..6)), 1..5),
            miss in 0u64..30,
            draws in 1usize..60,
            seed in proptest::prelude::any::<u64>(),
        ) {
            let config = json!({
                "prizes": prizes.iter().enumerate().map(|(i, (w, s))| json!({
                    "id": format!("p{i}"), "name": "P", "weight": w, "stock": s
                })).collect::<Vec<_>>(),
                "miss_weight": miss,
            });
            let mut h = host(config);
            h.seed(seed);
            let mut wins = vec![0u64; prizes.len()];
            for n in 0..draws {
                let out = h.handle::<LuckyDraw>(&format!("u{n}"), "draw", json!({})).unwrap();
                if let Some(id) = out.result["prize"].as_str() {
                    wins[id[1..].parse::<usize>().unwrap()] += 1;
                }
            }
            for (i, (_, stock)) in prizes.iter().enumerate() {
                if let Some(stock) = stock {
                    proptest::prop_assert!(wins[i] <= *stock);
                    proptest::prop_assert_eq!(h.stock(&format!("p{i}")), Some(stock - wins[i]));
                }
            }
        }
    }
}
