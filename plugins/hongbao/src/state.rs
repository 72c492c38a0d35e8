//! What the mechanic keeps: the pool of packets left (activity scope, one
//! key every grab rewrites, so a crowd is served through the activity's
//! lane) and what each user grabbed (user scope).

use arcade_sdk::state;
use serde::{Deserialize, Serialize};

use crate::Config;

/// The activity-scope key of the packets left.
const POOL: &str = "pool";
/// The user-scope key of what the user grabbed, in fen.
const GRABBED: &str = "grabbed_fen";

/// What is left of the red packet; absent until the first grab.
#[derive(Debug, Serialize, Deserialize)]
pub struct Pool {
    /// Packets left.
    pub left: u64,
    /// Fen they hold between them.
    pub fen_left: u64,
    /// Whether the expiry has passed.
    pub expired: bool,
}

impl Pool {
    /// The pool, and whether this is its first read (nothing stored yet).
    pub fn read(config: &Config) -> (Self, bool) {
        match state::activity().get::<Pool>(POOL) {
            Some(p) => (p, false),
            None => (
                Pool {
                    left: config.count,
                    fen_left: config.total_fen,
                    expired: false,
                },
                true,
            ),
        }
    }

    /// Store it.
    pub fn write(&self) {
        state::activity().set(POOL, self);
    }
}

/// What the acting user grabbed, in fen, if anything.
pub fn grabbed() -> Option<u64> {
    state::user().get(GRABBED)
}

/// Record what the acting user grabbed.
pub fn set_grabbed(fen: u64) {
    state::user().set(GRABBED, &fen);
}
