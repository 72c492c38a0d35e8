//! The leaderboard: one activity-scope key, `leaderboard`, holding the
//! best submitted attempt of the top users (at most
//! [`MAX_RANKED`](crate::config::MAX_RANKED)), ordered by
//! [`Entry::rank_key`].

use arcade_sdk::state;
use serde::{Deserialize, Serialize};

const LEADERBOARD_KEY: &str = "leaderboard";

/// One leaderboard entry: a user's best submitted attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The user.
    #[serde(rename = "u")]
    pub user_id: String,
    /// Best score.
    #[serde(rename = "s")]
    pub score: u64,
    /// When that attempt was submitted.
    #[serde(rename = "f")]
    pub finished_at_ms: i64,
    /// How long it took.
    #[serde(rename = "e")]
    pub elapsed_ms: i64,
}

impl Entry {
    /// Sort key, smaller ranks higher: higher score, then earlier
    /// submission, then shorter elapsed time, then user id (so the order
    /// is total and ranks are never shared).
    pub fn rank_key(&self) -> (std::cmp::Reverse<u64>, i64, i64, &str) {
        (
            std::cmp::Reverse(self.score),
            self.finished_at_ms,
            self.elapsed_ms,
            &self.user_id,
        )
    }
}

/// The kept leaderboard, best first.
pub fn load() -> Vec<Entry> {
    state::activity().get(LEADERBOARD_KEY).unwrap_or_default()
}

/// Store the leaderboard.
pub fn save(board: &[Entry]) {
    state::activity().set(LEADERBOARD_KEY, board);
}

/// `user`'s rank (1 is the top) on `board`, if they are on it.
pub fn rank_of(board: &[Entry], user: &str) -> Option<usize> {
    board.iter().position(|e| e.user_id == user).map(|i| i + 1)
}

/// Put `entry` on the leaderboard if it beats the user's entry there, and
/// keep only the top `keep`. Returns whether the board changed.
pub fn place(board: &mut Vec<Entry>, entry: Entry, keep: usize) -> bool {
    if let Some(pos) = board.iter().position(|e| e.user_id == entry.user_id) {
        if board[pos].rank_key() <= entry.rank_key() {
            return false;
        }
        board.remove(pos);
    }
    let at = board.partition_point(|e| e.rank_key() < entry.rank_key());
    if at >= keep {
        return false;
    }
    board.insert(at, entry);
    board.truncate(keep);
    true
}
