//! What a user sees: streak, total, what the next check-in earns,
//! milestones, make-ups left, and this month's calendar.

use arcade_sdk::{Error, Value, View, json};

use crate::civil;
use crate::config::{Config, Milestone};
use crate::state::UserRecord;

/// The view for `user_id`.
pub fn view(view: &View<Config>) -> Result<Value, Error> {
    if view.viewer.is_none() {
        return Err(Error::invalid_input(
            "viewer_required",
            "this view shows one user's part: pass user_id",
        ));
    }
    let config = &view.config;
    let today = civil::today()?;
    let rec = UserRecord::load();
    let streak = rec.days.streak(today);
    let next_cycle_day = streak % config.cycle_len() + 1;

    let mut milestones: Vec<&Milestone> = config.milestones.iter().collect();
    milestones.sort_by_key(|m| m.days);
    let next_milestone = milestones.iter().find(|m| m.days > rec.total).map(
        |m| json!({"days": m.days, "remaining": m.days - rec.total, "reward": m.reward.describe()}),
    );
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
        "calendar": {"month": civil::format_month(today), "days": calendar(config, &rec, today)},
    }))
}

/// Every day of the month of `today` with its status; a missed day says
/// whether a make-up of it would pass the window, first-check-in and
/// monthly-limit checks (points are not checked).
fn calendar(config: &Config, rec: &UserRecord, today: i64) -> Vec<Value> {
    let can_make_up = |day: i64| {
        config.makeup.as_ref().is_some_and(|m| {
            day >= today - i64::from(m.window_days)
                && rec.first.is_some_and(|f| day >= f)
                && rec.makeups_used(today) < m.per_month
        })
    };
    let (y, m, _) = civil::civil_from_days(today);
    let first_of_month = civil::days_from_civil(y, m, 1);
    (0..i64::from(civil::days_in_month(y, m)))
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
        .collect()
}
