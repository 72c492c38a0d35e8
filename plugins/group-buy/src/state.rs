//! What group-buy keeps: each team in its own team scope, and per user the
//! teams they lead or joined.
//!
//! - team scope, key `team`: the [`Team`] record (members, status,
//!   deadline). Every change to a team is a read-modify-write of this one
//!   key, which the host makes atomic, so a team never takes more members
//!   than its size and succeeds at most once.
//! - user scope, key `teams`: the ids of the teams the user leads or has
//!   joined. Team status lives only in team scope (the deadline timer has
//!   no user scope), so open teams are counted by reading each team.

use arcade_sdk::{Value, json, state};
use serde::{Deserialize, Serialize};

/// Teams remembered per user (for the view and the open-team count).
pub const TEAMS_KEPT: usize = 50;
/// The team-scope key of a [`Team`].
const TEAM_KEY: &str = "team";
/// The user-scope key of [`UserTeams`].
const USER_KEY: &str = "teams";

/// Where a team is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Open for joiners until it is full or its deadline passes.
    Forming,
    /// Full (or auto-filled at the deadline).
    Succeeded,
    /// The deadline passed before it was full.
    Failed,
}

/// A team, stored in its own team scope.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Team {
    /// The user who opened it.
    pub leader: String,
    /// Real members in joining order, leader first.
    pub members: Vec<String>,
    /// Seats it had when opened (the config may change later).
    pub size: u32,
    /// Its status.
    pub status: Status,
    /// When it was opened (ms since the Unix epoch).
    pub opened_ms: i64,
    /// When it fails (or is auto-filled) if not full.
    pub deadline_ms: i64,
    /// When it succeeded or failed.
    #[serde(default)]
    pub closed_ms: Option<i64>,
    /// Virtual members added at the deadline.
    #[serde(default)]
    pub virtual_members: u32,
}

impl Team {
    /// The team `id`, if there is one.
    pub fn load(id: &str) -> Option<Team> {
        state::team(id).get(TEAM_KEY)
    }

    /// Store it as team `id`.
    pub fn save(&self, id: &str) {
        state::team(id).set(TEAM_KEY, self);
    }

    /// Seats taken, by real and virtual members.
    pub fn filled(&self) -> u32 {
        self.members.len() as u32 + self.virtual_members
    }

    /// Seats still free.
    pub fn seats_left(&self) -> u32 {
        self.size.saturating_sub(self.filled())
    }

    /// Still taking members at `now`.
    pub fn is_open(&self, now: i64) -> bool {
        self.status == Status::Forming && now < self.deadline_ms
    }

    /// The team as actions return it and the view lists it.
    pub fn summary(&self, id: &str, now: i64) -> Value {
        json!({
            "team_id": id,
            "status": self.status,
            "leader": self.leader,
            "members": self.filled(),
            "virtual_members": self.virtual_members,
            "team_size": self.size,
            "seats_left": self.seats_left(),
            "deadline_ms": self.deadline_ms,
            "time_left_ms": if self.status == Status::Forming {
                (self.deadline_ms - now).max(0)
            } else {
                0
            },
        })
    }
}

/// The user's teams, newest last.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct UserTeams {
    /// At most [`TEAMS_KEPT`].
    pub teams: Vec<Membership>,
}

/// One of the user's teams.
#[derive(Debug, Serialize, Deserialize)]
pub struct Membership {
    /// The team id.
    pub team: String,
    /// Known to have succeeded or failed, so it need not be read again.
    #[serde(default)]
    pub closed: bool,
}

impl UserTeams {
    /// The acting user's teams.
    pub fn load() -> Self {
        state::user().get(USER_KEY).unwrap_or_default()
    }

    /// Store them for the acting user.
    pub fn save(&self) {
        state::user().set(USER_KEY, self);
    }

    /// Count the user's teams still forming at `now`, reading each team
    /// not yet known to be closed and remembering the ones that are.
    pub fn count_open(&mut self, now: i64) -> u32 {
        let mut open = 0;
        for m in self.teams.iter_mut().filter(|m| !m.closed) {
            match Team::load(&m.team) {
                Some(t) if t.status == Status::Forming => open += u32::from(now < t.deadline_ms),
                _ => m.closed = true,
            }
        }
        open
    }

    /// Remember `team`, forgetting the oldest team that no longer counts
    /// as open if the list is full. Call after [`count_open`](Self::count_open).
    pub fn add(&mut self, team: &str, now: i64) {
        if self.teams.len() >= TEAMS_KEPT {
            let drop = self
                .teams
                .iter()
                .position(|m| m.closed)
                .or_else(|| {
                    self.teams
                        .iter()
                        .position(|m| Team::load(&m.team).is_none_or(|t| !t.is_open(now)))
                })
                .unwrap_or(0);
            self.teams.remove(drop);
        }
        self.teams.push(Membership {
            team: team.to_owned(),
            closed: false,
        });
    }
}
