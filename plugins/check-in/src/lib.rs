//! Check-in (签到 / 打卡): each user checks in once per business day of the
//! activity's time zone. Consecutive days form a streak; a missed day
//! breaks it. Each check-in earns the reward of its day in a repeating
//! cycle (day 1..=L of the streak), totals of checked days reach
//! milestones with one-off rewards, and an optional make-up (补签) lets a
//! user fill a recently missed day, possibly for points, which can
//! reconnect a broken streak.
//!
//! Business days come only from `clock::today()`; the user's checked days
//! are kept as runs of consecutive day numbers (see [`history`]), so the
//! streak is always derived from the set of checked days and no day can be
//! counted twice.

use arcade_sdk::{
    Action, ConfigError, Context, Error, Manifest, Mechanic, Outcome, Setup, Value, clock, json,
    state, wallet,
};
pub use arcade_sdk::{CouponSpec, PrizeSpec, RewardSpec, TicketsSpec};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

pub mod civil;
pub mod history;

use history::Runs;

/// Days of history kept: runs of checked days that ended more than this
/// many days ago, and make-up markers older than this, are forgotten. The
/// total and the current streak stay exact.
pub const HISTORY_DAYS: i64 = 400;
/// Largest make-up window; kept below [`HISTORY_DAYS`] so a day that can
/// still be made up is always within the kept history.
pub const MAX_MAKEUP_WINDOW: u32 = 365;
/// Longest reward cycle.
pub const MAX_CYCLE: usize = 366;
const USER_KEY: &str = "check_in";

/// Activity config.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Reward of each day of the cycle: entry `i` (0-based) is the reward
    /// of cycle day `i + 1`. The cycle day of a check-in is
    /// `((streak - 1) mod L) + 1`, where `L` is the number of entries.
    pub cycle_rewards: Vec<RewardSpec>,
    /// One-off rewards when a user's total of checked days reaches `days`.
    #[serde(default)]
    pub milestones: Vec<Milestone>,
    /// Make-up of missed days (补签); absent or `null`: disabled.
    #[serde(default)]
    pub makeup: Option<Makeup>,
}

/// A milestone: a reward granted once, when the total reaches `days`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Milestone {
    /// Total of checked days (check-ins and make-ups) that triggers it.
    pub days: u32,
    /// What it grants.
    pub reward: RewardSpec,
}

/// Make-up rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Makeup {
    /// How many days back a missed day may be made up: with 7, the seven
    /// days before today. 1 to [`MAX_MAKEUP_WINDOW`].
    pub window_days: u32,
    /// Make-ups allowed per calendar month, counted by the month of the
    /// business day on which the make-up is done.
    pub per_month: u32,
    /// Points each make-up costs; absent or `null`: free.
    #[serde(default)]
    pub cost_points: Option<i64>,
}

impl Config {
    fn cycle_len(&self) -> u32 {
        self.cycle_rewards.len() as u32
    }

    /// Cycle day (1..=L) of the `streak`-th consecutive day.
    fn cycle_day(&self, streak: u32) -> u32 {
        (streak.max(1) - 1) % self.cycle_len() + 1
    }
}

fn validate(config: &Config) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    if config.cycle_rewards.is_empty() {
        errors.push(ConfigError::new(
            "cycle_rewards",
            "at least one entry (the reward of cycle day 1) is required",
        ));
    }
    if config.cycle_rewards.len() > MAX_CYCLE {
        errors.push(ConfigError::new(
            "cycle_rewards",
            format!("at most {MAX_CYCLE} entries"),
        ));
    }
    for (i, r) in config.cycle_rewards.iter().enumerate() {
        r.validate(&format!("cycle_rewards[{i}]"), &mut errors);
    }
    let mut seen = HashSet::new();
    for (i, m) in config.milestones.iter().enumerate() {
        if m.days == 0 {
            errors.push(ConfigError::new(
                format!("milestones[{i}].days"),
                "must be at least 1",
            ));
        } else if !seen.insert(m.days) {
            errors.push(ConfigError::new(
                format!("milestones[{i}].days"),
                format!("duplicate milestone of {} days", m.days),
            ));
        }
        m.reward
            .validate(&format!("milestones[{i}].reward"), &mut errors);
    }
    if let Some(m) = &config.makeup {
        if !(1..=MAX_MAKEUP_WINDOW).contains(&m.window_days) {
            errors.push(ConfigError::new(
                "makeup.window_days",
                format!("must be 1 to {MAX_MAKEUP_WINDOW}"),
            ));
        }
        if m.per_month == 0 {
            errors.push(ConfigError::new(
                "makeup.per_month",
                "must be at least 1 (leave makeup out to disable make-ups)",
            ));
        }
        if m.cost_points.is_some_and(|c| c <= 0) {
            errors.push(ConfigError::new(
                "makeup.cost_points",
                "must be a positive number of points, or null",
            ));
        }
    }
    errors
}

/// What the mechanic remembers about one user.
#[derive(Debug, Default, Serialize, Deserialize)]
struct UserRecord {
    /// Checked days (check-ins and make-ups) as runs of day numbers.
    days: Runs,
    /// Days that were made up rather than checked in, sorted.
    made_up: Vec<i64>,
    /// Distinct days ever checked; never decreases, never pruned.
    total: u32,
    /// The user's first check-in day (not a make-up).
    first: Option<i64>,
    /// Month (`YYYY-MM`) that `makeups_in_month` counts.
    makeup_month: String,
    /// Make-ups done in `makeup_month`.
    makeups_in_month: u32,
}

impl UserRecord {
    fn load() -> Self {
        state::user().get(USER_KEY).unwrap_or_default()
    }

    fn save(&mut self, today: i64) {
        let oldest = today - (HISTORY_DAYS - 1);
        self.days.prune_before(oldest);
        self.made_up.retain(|d| *d >= oldest);
        state::user().set(USER_KEY, self);
    }

    fn is_made_up(&self, day: i64) -> bool {
        self.made_up.binary_search(&day).is_ok()
    }

    fn makeups_used(&self, today: i64) -> u32 {
        if self.makeup_month == civil::format_month(today) {
            self.makeups_in_month
        } else {
            0
        }
    }

    /// Milestones reached by the day that brought the total to `self.total`.
    fn milestones_now<'c>(&self, config: &'c Config) -> impl Iterator<Item = &'c Milestone> {
        let total = self.total;
        config.milestones.iter().filter(move |m| m.days == total)
    }
}

/// Today's business day in the activity's time zone, as a day number.
fn today() -> Result<i64, Error> {
    let today = clock::today();
    civil::parse_day(&today).ok_or_else(|| {
        Error::invalid_input(
            "invalid_clock",
            format!("the host's business day {today:?} is not YYYY-MM-DD"),
        )
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckInPayload {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MakeUpPayload {
    day: String,
}

/// Grant the milestones the new total reached; returns their descriptions.
fn grant_milestones(
    config: &Config,
    rec: &UserRecord,
    now: i64,
    user: &str,
    outcome: &mut Outcome,
) -> (Vec<Value>, Vec<u32>) {
    let mut described = Vec::new();
    let mut reached = Vec::new();
    for m in rec.milestones_now(config) {
        outcome.rewards.push(m.reward.reward(now));
        let mut d = m.reward.describe();
        d["source"] = json!("milestone");
        d["milestone_days"] = json!(m.days);
        described.push(d);
        reached.push(m.days);
        outcome.events.push(arcade_sdk::Event {
            kind: "check_in.milestone_reached".into(),
            subject: user.into(),
            data: json!({"days": m.days}),
        });
    }
    (described, reached)
}

fn check_in(ctx: &Context<Config>, action: &Action) -> Result<Outcome, Error> {
    action.parse::<CheckInPayload>()?;
    let config = &ctx.config;
    let today = today()?;
    let now = clock::now_ms();
    let mut rec = UserRecord::load();
    if !rec.days.insert(today) {
        return Err(Error::rejected(
            "already_checked_in",
            format!("already checked in on {}", civil::format_day(today)),
        ));
    }
    rec.total += 1;
    rec.first.get_or_insert(today);
    let streak = rec.days.streak(today);
    let cycle_day = config.cycle_day(streak);
    let spec = &config.cycle_rewards[cycle_day as usize - 1];

    let mut outcome = Outcome::new(Value::Null).reward(spec.reward(now));
    let mut rewards = spec.describe();
    rewards["source"] = json!("cycle");
    rewards["cycle_day"] = json!(cycle_day);
    let (milestone_rewards, milestones) =
        grant_milestones(config, &rec, now, &ctx.user_id, &mut outcome);
    let mut all = vec![rewards];
    all.extend(milestone_rewards);
    rec.save(today);

    outcome.result = json!({
        "day": civil::format_day(today),
        "streak": streak,
        "total": rec.total,
        "cycle_day": cycle_day,
        "cycle_length": config.cycle_len(),
        "rewards": all,
        "milestones_reached": milestones,
    });
    Ok(outcome)
}

fn make_up(ctx: &Context<Config>, action: &Action) -> Result<Outcome, Error> {
    let config = &ctx.config;
    let Some(makeup) = &config.makeup else {
        return Err(Error::rejected(
            "makeup_disabled",
            "this activity does not allow making up missed days",
        ));
    };
    let payload: MakeUpPayload = action.parse()?;
    let Some(day) = civil::parse_day(&payload.day) else {
        return Err(Error::invalid_input(
            "invalid_day",
            format!("day {:?} is not a date written YYYY-MM-DD", payload.day),
        ));
    };
    let today = today()?;
    let now = clock::now_ms();
    let mut rec = UserRecord::load();

    let earliest = today - i64::from(makeup.window_days);
    let outside = |why: String| Err(Error::rejected("outside_makeup_window", why));
    if day >= today {
        return outside(format!(
            "{} is not a past day; only days before today ({}) can be made up",
            payload.day,
            civil::format_day(today)
        ));
    }
    if day < earliest {
        return outside(format!(
            "{} is more than {} days ago; the earliest day that can be made up is {}",
            payload.day,
            makeup.window_days,
            civil::format_day(earliest)
        ));
    }
    match rec.first {
        Some(first) if day >= first => {}
        Some(first) => {
            return outside(format!(
                "{} is before your first check-in ({})",
                payload.day,
                civil::format_day(first)
            ));
        }
        None => return outside("check in once before making up missed days".into()),
    }
    if rec.days.contains(day) {
        let how = if rec.is_made_up(day) {
            "made up"
        } else {
            "checked in"
        };
        return Err(Error::rejected(
            "day_not_missed",
            format!("{} is already {how}", payload.day),
        ));
    }
    let used = rec.makeups_used(today);
    if used >= makeup.per_month {
        return Err(Error::rejected(
            "makeup_limit_reached",
            format!(
                "all {} make-ups of {} are used",
                makeup.per_month,
                civil::format_month(today)
            ),
        ));
    }
    if let Some(cost) = makeup.cost_points
        && wallet::debit(wallet::POINTS, cost).is_err()
    {
        return Err(Error::rejected(
            "insufficient_points",
            format!(
                "a make-up costs {cost} points; you have {}",
                wallet::balance(wallet::POINTS)
            ),
        ));
    }

    let inserted = rec.days.insert(day);
    debug_assert!(inserted, "checked above that the day is missed");
    let at = rec.made_up.partition_point(|d| *d < day);
    rec.made_up.insert(at, day);
    rec.total += 1;
    rec.makeup_month = civil::format_month(today);
    rec.makeups_in_month = used + 1;
    let streak = rec.days.streak(today);

    let mut outcome = Outcome::new(Value::Null);
    let (rewards, milestones) = grant_milestones(config, &rec, now, &ctx.user_id, &mut outcome);
    rec.save(today);
    outcome.result = json!({
        "day": payload.day,
        "streak": streak,
        "total": rec.total,
        "cost_points": makeup.cost_points,
        "makeups_left_this_month": makeup.per_month - rec.makeups_in_month,
        "rewards": rewards,
        "milestones_reached": milestones,
    });
    Ok(outcome)
}

fn reward_schema() -> Value {
    let id = json!({"type": "string", "minLength": 1, "maxLength": 64});
    json!({
        "oneOf": [
            {"type": "object", "additionalProperties": false, "required": ["points"],
             "properties": {"points": {"type": "integer", "minimum": 1}}},
            {"type": "object", "additionalProperties": false, "required": ["coupon"],
             "properties": {"coupon": {
                "type": "object", "additionalProperties": false,
                "required": ["id", "name", "value_fen"],
                "properties": {
                    "id": id, "name": {"type": "string", "minLength": 1},
                    "value_fen": {"type": "integer", "minimum": 1},
                    "valid_days": {"type": ["integer", "null"], "minimum": 1}
                }}}},
            {"type": "object", "additionalProperties": false, "required": ["tickets"],
             "properties": {"tickets": {
                "type": "object", "additionalProperties": false,
                "required": ["name", "amount"],
                "properties": {"name": id, "amount": {"type": "integer", "minimum": 1}}}}},
            {"type": "object", "additionalProperties": false, "required": ["prize"],
             "properties": {"prize": {
                "type": "object", "additionalProperties": false,
                "required": ["id", "name"],
                "properties": {"id": id, "name": {"type": "string", "minLength": 1}}}}}
        ]
    })
}

/// The mechanic.
pub struct CheckIn;

impl Mechanic for CheckIn {
    type Config = Config;

    fn manifest() -> Manifest {
        Manifest::new(
            "check-in",
            env!("CARGO_PKG_VERSION"),
            "Daily check-in (签到): one check-in per user per business day of the \
             activity's time zone, streaks of consecutive days, a repeating cycle of \
             daily rewards by streak day, one-off rewards at totals of checked days, \
             and optional make-ups of recently missed days, limited per month and \
             optionally paid with points.",
        )
        .action(
            "check_in",
            "Check in for today.",
            json!({"type": "object", "additionalProperties": false}),
        )
        .action(
            "make_up",
            "Make up a missed day within the make-up window.",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["day"],
                "properties": {"day": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}}
            }),
        )
        .config_schema(json!({
            "type": "object",
            "required": ["cycle_rewards"],
            "additionalProperties": false,
            "$defs": {"reward": reward_schema()},
            "properties": {
                "cycle_rewards": {
                    "type": "array", "minItems": 1, "maxItems": MAX_CYCLE,
                    "items": {"$ref": "#/$defs/reward"}
                },
                "milestones": {
                    "type": "array", "default": [],
                    "items": {
                        "type": "object", "additionalProperties": false,
                        "required": ["days", "reward"],
                        "properties": {
                            "days": {"type": "integer", "minimum": 1},
                            "reward": {"$ref": "#/$defs/reward"}
                        }
                    }
                },
                "makeup": {
                    "type": ["object", "null"], "additionalProperties": false,
                    "required": ["window_days", "per_month"],
                    "properties": {
                        "window_days": {"type": "integer", "minimum": 1, "maximum": MAX_MAKEUP_WINDOW},
                        "per_month": {"type": "integer", "minimum": 1},
                        "cost_points": {"type": ["integer", "null"], "minimum": 1}
                    }
                }
            }
        }))
    }

    fn validate(config: &Config) -> Result<Setup, Vec<ConfigError>> {
        let errors = validate(config);
        if errors.is_empty() {
            Ok(Setup::default())
        } else {
            Err(errors)
        }
    }

    fn handle(ctx: &Context<Config>, action: &Action) -> Result<Outcome, Error> {
        match action.name.as_str() {
            "check_in" => check_in(ctx, action),
            "make_up" => make_up(ctx, action),
            other => Err(Error::unknown_action(other)),
        }
    }

    fn view(ctx: &Context<Config>) -> Result<Value, Error> {
        let config = &ctx.config;
        let today = today()?;
        let rec = UserRecord::load();
        let streak = rec.days.streak(today);
        let next_cycle_day = streak % config.cycle_len() + 1;

        let mut milestones: Vec<&Milestone> = config.milestones.iter().collect();
        milestones.sort_by_key(|m| m.days);
        let next_milestone = milestones.iter().find(|m| m.days > rec.total).map(|m| {
            json!({"days": m.days, "remaining": m.days - rec.total, "reward": m.reward.describe()})
        });
        let milestones: Vec<Value> = milestones
            .iter()
            .map(|m| json!({"days": m.days, "reached": m.days <= rec.total, "reward": m.reward.describe()}))
            .collect();

        let makeup = config.makeup.as_ref().map(|m| {
            let used = rec.makeups_used(today);
            json!({
                "window_days": m.window_days,
                "per_month": m.per_month,
                "cost_points": m.cost_points,
                "used_this_month": used,
                "left_this_month": m.per_month.saturating_sub(used),
            })
        });
        let can_make_up = |day: i64| {
            config.makeup.as_ref().is_some_and(|m| {
                day >= today - i64::from(m.window_days)
                    && rec.first.is_some_and(|f| day >= f)
                    && rec.makeups_used(today) < m.per_month
            })
        };

        let (y, m, _) = civil::civil_from_days(today);
        let first_of_month = civil::days_from_civil(y, m, 1);
        let calendar: Vec<Value> = (0..i64::from(civil::days_in_month(y, m)))
            .map(|i| {
                let day = first_of_month + i;
                let status = if rec.is_made_up(day) {
                    "made_up"
                } else if rec.days.contains(day) {
                    "checked"
                } else if day == today {
                    "today"
                } else if day > today {
                    "future"
                } else {
                    "missed"
                };
                let mut entry = json!({"day": civil::format_day(day), "status": status});
                if status == "missed" {
                    entry["can_make_up"] = json!(can_make_up(day));
                }
                entry
            })
            .collect();

        Ok(json!({
            "today": civil::format_day(today),
            "checked_in_today": rec.days.contains(today),
            "streak": streak,
            "total": rec.total,
            "first_check_in": rec.first.map(civil::format_day),
            "cycle_length": config.cycle_len(),
            "next_cycle_day": next_cycle_day,
            "next_cycle_reward": config.cycle_rewards[next_cycle_day as usize - 1].describe(),
            "milestones": milestones,
            "next_milestone": next_milestone,
            "makeup": makeup,
            "calendar": {"month": civil::format_month(today), "days": calendar},
        }))
    }
}

arcade_sdk::export!(CheckIn);

#[cfg(test)]
mod tests;
