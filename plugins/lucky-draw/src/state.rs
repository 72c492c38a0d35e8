//! What the draw keeps: one user-scope key per user. Stock lives in the
//! host's pools, not in state.

use arcade_sdk::state;
use serde::{Deserialize, Serialize};

use crate::config::Config;

/// The user-scope key of a [`UserRecord`].
pub const USER_KEY: &str = "draws";
/// Wins kept for the view; older ones stay in the outcome log.
pub const WINS_KEPT: usize = 50;

/// What the draw remembers about one user.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct UserRecord {
    /// Draws over the activity.
    pub total: u32,
    /// The business day `today` and `free_today` count.
    pub day: String,
    /// Draws on `day`, free or paid with a ticket.
    pub today: u32,
    /// Free draws on `day`.
    #[serde(default)]
    pub free_today: u32,
    /// Misses since the last win, for 保底.
    #[serde(default)]
    pub misses_in_a_row: u32,
    /// The latest wins, oldest first (at most [`WINS_KEPT`]).
    pub wins: Vec<Win>,
}

/// One win, as the view lists it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Win {
    /// Prize id.
    pub prize: String,
    /// Prize name.
    pub name: String,
    /// When it was won.
    pub at_ms: i64,
}

impl UserRecord {
    /// The acting user's record, with the daily counts reset if `today` is
    /// a new business day.
    pub fn load(today: &str) -> Self {
        let mut rec: UserRecord = state::user().get(USER_KEY).unwrap_or_default();
        if rec.day != today {
            rec.day = today.to_owned();
            rec.today = 0;
            rec.free_today = 0;
        }
        rec
    }

    /// Store it for the acting user.
    pub fn save(&self) {
        state::user().set(USER_KEY, self);
    }

    /// Free draws left today; `None` without a daily limit.
    pub fn free_left(&self, config: &Config) -> Option<u32> {
        config
            .per_user_daily
            .map(|limit| limit.saturating_sub(self.free_today))
    }

    /// Draws left over the activity; `None` without a total limit.
    pub fn total_left(&self, config: &Config) -> Option<u32> {
        config
            .per_user_total
            .map(|limit| limit.saturating_sub(self.total))
    }

    /// Remember a win, forgetting the oldest beyond [`WINS_KEPT`].
    pub fn record_win(&mut self, win: Win) {
        self.misses_in_a_row = 0;
        self.wins.push(win);
        if self.wins.len() > WINS_KEPT {
            self.wins.remove(0);
        }
    }
}
