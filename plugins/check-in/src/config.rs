//! The activity's config and its checks.

use arcade_sdk::{ConfigError, RewardSpec};
use serde::Deserialize;
use std::collections::HashSet;

/// Largest make-up window; kept below
/// [`HISTORY_DAYS`](crate::state::HISTORY_DAYS) so a day that can still be
/// made up is always within the kept history.
pub const MAX_MAKEUP_WINDOW: u32 = 365;
/// Longest reward cycle.
pub const MAX_CYCLE: usize = 366;

/// Activity config.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Milestone {
    /// Total of checked days (check-ins and make-ups) that triggers it.
    pub days: u32,
    /// What it grants.
    pub reward: RewardSpec,
}

/// Make-up rules.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
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
    /// Days in the reward cycle.
    pub fn cycle_len(&self) -> u32 {
        self.cycle_rewards.len() as u32
    }

    /// Cycle day (1..=L) of the `streak`-th consecutive day.
    pub fn cycle_day(&self, streak: u32) -> u32 {
        (streak.max(1) - 1) % self.cycle_len() + 1
    }

    /// Every problem with the config, each naming its field.
    pub fn problems(&self) -> Vec<ConfigError> {
        let mut errors = Vec::new();
        if self.cycle_rewards.is_empty() {
            errors.push(ConfigError::new(
                "cycle_rewards",
                "at least one entry (the reward of cycle day 1) is required",
            ));
        }
        if self.cycle_rewards.len() > MAX_CYCLE {
            errors.push(ConfigError::new(
                "cycle_rewards",
                format!("at most {MAX_CYCLE} entries"),
            ));
        }
        for (i, r) in self.cycle_rewards.iter().enumerate() {
            r.validate(&format!("cycle_rewards[{i}]"), &mut errors);
        }
        let mut seen = HashSet::new();
        for (i, m) in self.milestones.iter().enumerate() {
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
        if let Some(m) = &self.makeup {
            m.check(&mut errors);
        }
        errors
    }
}

impl Makeup {
    fn check(&self, errors: &mut Vec<ConfigError>) {
        if !(1..=MAX_MAKEUP_WINDOW).contains(&self.window_days) {
            errors.push(ConfigError::new(
                "makeup.window_days",
                format!("must be 1 to {MAX_MAKEUP_WINDOW}"),
            ));
        }
        if self.per_month == 0 {
            errors.push(ConfigError::new(
                "makeup.per_month",
                "must be at least 1 (leave makeup out to disable make-ups)",
            ));
        }
        if self.cost_points.is_some_and(|c| c <= 0) {
            errors.push(ConfigError::new(
                "makeup.cost_points",
                "must be a positive number of points, or null",
            ));
        }
    }
}
