//! The actions, one function each, and the one place that dispatches them.

use arcade_sdk::{Context, Error, Event, JsonSchema, Outcome, Value, clock, json, wallet};
use serde::Deserialize;

use crate::civil;
use crate::config::{Config, Makeup};
use crate::state::UserRecord;

/// What users can do: one variant per action, its doc comment the
/// action's summary; the manifest's action list and payload schemas come
/// from this type.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(tag = "name", content = "payload", deny_unknown_fields)]
pub enum Action {
    /// Check in for today.
    #[serde(rename = "check_in")]
    CheckIn(CheckIn),
    /// Make up a missed day within the make-up window.
    #[serde(rename = "make_up")]
    MakeUp(MakeUp),
}

/// Run `action` for `ctx.user_id`.
pub fn handle(ctx: &Context<Config>, action: Action) -> Result<Outcome, Error> {
    match action {
        Action::CheckIn(p) => check_in(ctx, p),
        Action::MakeUp(p) => make_up(ctx, makeup_rules(&ctx.config)?, p),
    }
}

/// The `check_in` payload: an empty object.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckIn {}

/// The `make_up` payload.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MakeUp {
    /// The missed day, `YYYY-MM-DD`.
    pub day: String,
}

/// The make-up rules, or `makeup_disabled` if the config has none.
fn makeup_rules(config: &Config) -> Result<&Makeup, Error> {
    config.makeup.as_ref().ok_or_else(|| {
        Error::rejected(
            "makeup_disabled",
            "this activity does not allow making up missed days",
        )
    })
}

/// Check in for today: the cycle reward of the streak's day, and any
/// milestone the new total reaches.
pub fn check_in(ctx: &Context<Config>, CheckIn {}: CheckIn) -> Result<Outcome, Error> {
    let config = &ctx.config;
    let today = civil::today()?;
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

/// Make up a missed day within the window (补签): no cycle reward, but it
/// counts in the total, milestones and the streak.
pub fn make_up(
    ctx: &Context<Config>,
    makeup: &Makeup,
    MakeUp { day: day_text }: MakeUp,
) -> Result<Outcome, Error> {
    let config = &ctx.config;
    let Some(day) = civil::parse_day(&day_text) else {
        return Err(Error::invalid_input(
            "invalid_day",
            format!("day {day_text:?} is not a date written YYYY-MM-DD"),
        ));
    };
    let today = civil::today()?;
    let now = clock::now_ms();
    let mut rec = UserRecord::load();
    check_makeup_window(makeup, &rec, &day_text, day, today)?;
    if rec.days.contains(day) {
        let how = if rec.is_made_up(day) {
            "made up"
        } else {
            "checked in"
        };
        return Err(Error::rejected(
            "day_not_missed",
            format!("{day_text} is already {how}"),
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

    rec.make_up(day);
    rec.makeup_month = civil::format_month(today);
    rec.makeups_in_month = used + 1;
    let streak = rec.days.streak(today);

    let mut outcome = Outcome::new(Value::Null);
    let (rewards, milestones) = grant_milestones(config, &rec, now, &ctx.user_id, &mut outcome);
    rec.save(today);
    outcome.result = json!({
        "day": day_text,
        "streak": streak,
        "total": rec.total,
        "cost_points": makeup.cost_points,
        "makeups_left_this_month": makeup.per_month - rec.makeups_in_month,
        "rewards": rewards,
        "milestones_reached": milestones,
    });
    Ok(outcome)
}

/// Refuse `day` unless it is before today, within the window, and not
/// before the user's first check-in.
fn check_makeup_window(
    makeup: &Makeup,
    rec: &UserRecord,
    day_text: &str,
    day: i64,
    today: i64,
) -> Result<(), Error> {
    let earliest = today - i64::from(makeup.window_days);
    let outside = |why: String| Err(Error::rejected("outside_makeup_window", why));
    if day >= today {
        return outside(format!(
            "{day_text} is not a past day; only days before today ({}) can be made up",
            civil::format_day(today)
        ));
    }
    if day < earliest {
        return outside(format!(
            "{day_text} is more than {} days ago; the earliest day that can be made up is {}",
            makeup.window_days,
            civil::format_day(earliest)
        ));
    }
    match rec.first {
        Some(first) if day >= first => Ok(()),
        Some(first) => outside(format!(
            "{day_text} is before your first check-in ({})",
            civil::format_day(first)
        )),
        None => outside("check in once before making up missed days".into()),
    }
}

/// Grant the milestones the new total reached; returns their descriptions
/// and their `days`.
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
        outcome.events.push(Event {
            kind: "check_in.milestone_reached".into(),
            subject: user.into(),
            data: json!({"days": m.days}),
        });
    }
    (described, reached)
}
