//! What check-in keeps: one user-scope key per user, the [`UserRecord`].
//! The checked days are kept as runs (see [`crate::history`]), so the
//! streak is always derived from the set of checked days and no day can be
//! counted twice.

use arcade_sdk::state;
use serde::{Deserialize, Serialize};

use crate::civil;
use crate::config::{Config, Milestone};
use crate::history::Runs;

/// Days of history kept: runs of checked days that ended more than this
/// many days ago, and make-up markers older than this, are forgotten. The
/// total and the current streak stay exact.
pub const HISTORY_DAYS: i64 = 400;
/// The user-scope key of a [`UserRecord`].
const USER_KEY: &str = "check_in";

/// What the mechanic remembers about one user.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct UserRecord {
    /// Checked days (check-ins and make-ups) as runs of day numbers.
    pub days: Runs,
    /// Days that were made up rather than checked in, sorted.
    pub made_up: Vec<i64>,
    /// Distinct days ever checked; never decreases, never pruned.
    pub total: u32,
    /// The user's first check-in day (not a make-up).
    pub first: Option<i64>,
    /// Month (`YYYY-MM`) that `makeups_in_month` counts.
    pub makeup_month: String,
    /// Make-ups done in `makeup_month`.
    pub makeups_in_month: u32,
}

impl UserRecord {
    /// The acting user's record.
    pub fn load() -> Self {
        state::user().get(USER_KEY).unwrap_or_default()
    }

    /// Store it for the acting user, forgetting history older than
    /// [`HISTORY_DAYS`] before `today`.
    pub fn save(&mut self, today: i64) {
        let oldest = today - (HISTORY_DAYS - 1);
        self.days.prune_before(oldest);
        self.made_up.retain(|d| *d >= oldest);
        state::user().set(USER_KEY, self);
    }

    /// Whether `day` was made up rather than checked in.
    pub fn is_made_up(&self, day: i64) -> bool {
        self.made_up.binary_search(&day).is_ok()
    }

    /// Mark `day` made up (it must be missed).
    pub fn make_up(&mut self, day: i64) {
        let inserted = self.days.insert(day);
        debug_assert!(inserted, "only a missed day is made up");
        let at = self.made_up.partition_point(|d| *d < day);
        self.made_up.insert(at, day);
        self.total += 1;
    }

    /// Make-ups done in the calendar month of `today`.
    pub fn makeups_used(&self, today: i64) -> u32 {
        if self.makeup_month == civil::format_month(today) {
            self.makeups_in_month
        } else {
            0
        }
    }

    /// Milestones reached by the day that brought the total to `self.total`.
    pub fn milestones_now<'c>(&self, config: &'c Config) -> impl Iterator<Item = &'c Milestone> {
        let total = self.total;
        config.milestones.iter().filter(move |m| m.days == total)
    }
}
