//! What the quiz keeps, besides the [leaderboard](crate::leaderboard):
//!
//! - user scope `me`: attempts used, the attempt in progress, the best
//!   attempt and the last submitted one ([`Me`]);
//! - user scope `attempt:<id>`: one attempt (question ids, start time,
//!   status, and after submission its corrections) ([`Attempt`]);
//! - activity scope `close_scheduled` and `closed`: the close timer was
//!   scheduled / has fired.

use arcade_sdk::state;
use serde::{Deserialize, Serialize};

use crate::config::Config;

const ME_KEY: &str = "me";
const CLOSED_KEY: &str = "closed";
const CLOSE_SCHEDULED_KEY: &str = "close_scheduled";
/// Attempt ids are call ids (UUIDs); anything longer cannot be one, and
/// would make an over-long state key.
pub const MAX_ATTEMPT_ID_LEN: usize = 128;

/// Where an attempt stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Started, not submitted (its time may have run out since).
    InProgress,
    /// Submitted and scored.
    Submitted,
    /// Its time ran out; recorded by the next `start`.
    Expired,
}

/// One attempt, in user scope under `attempt:<id>`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Attempt {
    /// Its id: the call id of the `start` that drew it.
    pub id: String,
    /// The drawn question ids, in order.
    pub questions: Vec<String>,
    /// When it started.
    pub started_at_ms: i64,
    /// Where it stands.
    pub status: Status,
    /// What it scored, once submitted.
    #[serde(default)]
    pub result: Option<AttemptResult>,
}

/// What a submission scored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttemptResult {
    /// `base_score + bonus`.
    pub score: u64,
    /// Points of the questions answered exactly right.
    pub base_score: u64,
    /// The speed bonus.
    pub bonus: u64,
    /// Questions answered exactly right.
    pub correct: u32,
    /// Questions drawn.
    pub total: u32,
    /// From start to submission.
    pub elapsed_ms: i64,
    /// When it was submitted.
    pub finished_at_ms: i64,
    /// Per drawn question, in order: answered exactly right?
    pub right: Vec<bool>,
}

/// The user's summary, in user scope under `me`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Me {
    /// Attempts started, expired ones included.
    pub used: u32,
    /// The attempt in progress, if any.
    pub current: Option<String>,
    /// The last attempt submitted.
    pub last_submitted: Option<String>,
    /// The best attempt submitted.
    pub best: Option<Best>,
}

/// The user's best attempt.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Best {
    /// Which attempt.
    pub attempt_id: String,
    /// Its score.
    pub score: u64,
    /// Questions it got right.
    pub correct: u32,
    /// How long it took.
    pub elapsed_ms: i64,
    /// When it was submitted.
    pub finished_at_ms: i64,
}

impl Me {
    /// The acting user's summary.
    pub fn load() -> Self {
        state::user().get(ME_KEY).unwrap_or_default()
    }

    /// Store it for the acting user.
    pub fn save(&self) {
        state::user().set(ME_KEY, self);
    }
}

fn attempt_key(id: &str) -> String {
    format!("attempt:{id}")
}

impl Attempt {
    /// The acting user's attempt `id`, if they have one.
    pub fn load(id: &str) -> Option<Self> {
        state::user().get(&attempt_key(id))
    }

    /// Store it for the acting user.
    pub fn save(&self) {
        state::user().set(&attempt_key(&self.id), self);
    }
}

/// Whether the quiz is closed at `now`: past `closes_at_ms`, or the close
/// timer has run.
pub fn is_closed(config: &Config, now: i64) -> bool {
    now >= config.closes_at_ms || state::activity().get::<bool>(CLOSED_KEY).unwrap_or(false)
}

/// Whether the close timer has run.
pub fn close_ran() -> bool {
    state::activity().get::<bool>(CLOSED_KEY).unwrap_or(false)
}

/// Record that the close timer has run.
pub fn mark_closed() {
    state::activity().set(CLOSED_KEY, &true);
}

/// Whether the close timer is scheduled already.
pub fn close_scheduled() -> bool {
    state::activity().get_raw(CLOSE_SCHEDULED_KEY).is_some()
}

/// Record that the close timer is scheduled.
pub fn mark_close_scheduled() {
    state::activity().set(CLOSE_SCHEDULED_KEY, &true);
}
