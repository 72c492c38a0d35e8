//! What the mechanic keeps: each participant (user scope) and each invite
//! code's owner and count (the scope of a team named by the code, so an
//! invitee's join touches only their inviter's code, not a shared key).

use arcade_sdk::state;
use serde::{Deserialize, Serialize};

/// The user-scope key of a participant.
const ME: &str = "me";
/// The team-scope key of an invite code's owner and count.
const CODE: &str = "code";

/// A participant.
#[derive(Debug, Serialize, Deserialize)]
pub struct Me {
    /// Their invite code: their join's call id without punctuation (a
    /// team id).
    pub code: String,
    /// Who invited them, if their invite counted.
    pub inviter: Option<String>,
}

impl Me {
    /// The acting (or viewing) user, if they joined.
    pub fn read() -> Option<Me> {
        state::user().get(ME)
    }

    /// Store the acting user.
    pub fn write(&self) {
        state::user().set(ME, self);
    }
}

/// An invite code's state.
#[derive(Debug, Serialize, Deserialize)]
pub struct Code {
    /// Who owns it.
    pub owner: String,
    /// Invitees counted.
    pub invitees: u32,
    /// Whether the reward was granted.
    pub unlocked: bool,
}

impl Code {
    /// The code's state, if a participant owns it.
    pub fn read(code: &str) -> Option<Code> {
        if !code_ok(code) {
            return None;
        }
        state::team(code).get(CODE)
    }

    /// Store it under `code`.
    pub fn write(&self, code: &str) {
        state::team(code).set(CODE, self);
    }
}

/// Codes are 1 to 64 ASCII letters and digits (a team id).
pub fn code_ok(code: &str) -> bool {
    (1..=64).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphanumeric())
}
