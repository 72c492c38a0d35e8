//! Rewards as activity configs write them: one shape for every mechanic.
//! `{"points": 10}`, `{"coupon": {"id", "name", "value_fen", "valid_days"}}`,
//! `{"tickets": {"name", "amount"}}` or `{"prize": {"id", "name"}}`.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::{ConfigError, Reward, wallet};

/// Milliseconds in a day, for validity periods counted in days.
pub const DAY_MS: i64 = 86_400_000;

/// A reward, written as `{"points": 10}`, `{"coupon": {...}}`,
/// `{"tickets": {...}}` or `{"prize": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RewardSpec {
    /// Loyalty points.
    Points(i64),
    /// A coupon from a template.
    Coupon(CouponSpec),
    /// Tickets in a named balance (for example extra draws elsewhere).
    Tickets(TicketsSpec),
    /// One unit of a physical prize.
    Prize(PrizeSpec),
}

/// A coupon reward.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CouponSpec {
    /// Coupon template id (1 to 64 bytes).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Value in fen (1/100 yuan).
    pub value_fen: i64,
    /// Validity in days from the grant; absent or `null`: no expiry.
    #[serde(default)]
    pub valid_days: Option<u32>,
}

/// A tickets reward.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketsSpec {
    /// The ticket balance (1 to 64 bytes, not `points`).
    pub name: String,
    /// How many tickets.
    pub amount: i64,
}

/// A prize reward.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrizeSpec {
    /// Prize id (1 to 64 bytes).
    pub id: String,
    /// Display name.
    pub name: String,
}

impl RewardSpec {
    /// The reward to grant at `now_ms`.
    pub fn reward(&self, now_ms: i64) -> Reward {
        match self {
            RewardSpec::Points(n) => Reward::points(*n),
            RewardSpec::Coupon(c) => Reward::coupon(
                &c.id,
                &c.name,
                c.value_fen,
                c.valid_days.map(|d| now_ms + i64::from(d) * DAY_MS),
            ),
            RewardSpec::Tickets(t) => Reward::tickets(&t.name, t.amount),
            RewardSpec::Prize(p) => Reward::prize(&p.id, &p.name),
        }
    }

    /// A description for results and the view.
    pub fn describe(&self) -> Value {
        match self {
            RewardSpec::Points(n) => json!({"kind": "points", "amount": n}),
            RewardSpec::Coupon(c) => json!({
                "kind": "coupon", "id": c.id, "name": c.name,
                "value_fen": c.value_fen, "valid_days": c.valid_days,
            }),
            RewardSpec::Tickets(t) => {
                json!({"kind": "tickets", "name": t.name, "amount": t.amount})
            }
            RewardSpec::Prize(p) => json!({"kind": "prize", "id": p.id, "name": p.name}),
        }
    }

    /// Add a problem for each wrong part, named under `field` (such as
    /// `milestones[0].reward`).
    pub fn validate(&self, field: &str, errors: &mut Vec<ConfigError>) {
        let id_ok = |s: &str| !s.is_empty() && s.len() <= 64;
        let mut err = |sub: &str, msg: &str| {
            errors.push(ConfigError::new(format!("{field}.{sub}"), msg));
        };
        match self {
            RewardSpec::Points(n) if *n <= 0 => {
                err("points", "must be a positive number of points")
            }
            RewardSpec::Points(_) => {}
            RewardSpec::Coupon(c) => {
                if !id_ok(&c.id) {
                    err("coupon.id", "must be 1 to 64 bytes");
                }
                if c.name.is_empty() {
                    err("coupon.name", "must not be empty");
                }
                if c.value_fen <= 0 {
                    err("coupon.value_fen", "must be a positive number of fen");
                }
                if c.valid_days == Some(0) {
                    err(
                        "coupon.valid_days",
                        "must be at least 1, or null for no expiry",
                    );
                }
            }
            RewardSpec::Tickets(t) => {
                if !id_ok(&t.name) || t.name == wallet::POINTS {
                    err(
                        "tickets.name",
                        "must be a ticket name of 1 to 64 bytes other than \"points\"",
                    );
                }
                if t.amount <= 0 {
                    err("tickets.amount", "must be positive");
                }
            }
            RewardSpec::Prize(p) => {
                if !id_ok(&p.id) {
                    err("prize.id", "must be 1 to 64 bytes");
                }
                if p.name.is_empty() {
                    err("prize.name", "must not be empty");
                }
            }
        }
    }
}
