//! What price-cut keeps: each bargain in its own team scope (so helps of
//! one bargain are serialised by the host's version check), and per user
//! a record of their bargains and today's helps.

use arcade_sdk::{Value, json, state};
use serde::{Deserialize, Serialize};

use crate::config::Config;

/// Longest id the host accepts for a team.
const MAX_TEAM_ID: usize = 64;
/// Bargains (owned, helped) remembered per user for the view.
const RECENT_KEPT: usize = 20;
/// The team-scope key of a [`Bargain`].
const BARGAIN_KEY: &str = "bargain";
/// The user-scope key of a [`UserRecord`].
const USER_KEY: &str = "price_cut";

/// Where a bargain stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Accepting helps until its deadline.
    Open,
    /// Reached the floor price.
    Completed,
    /// Its deadline passed first.
    Expired,
}

impl Status {
    /// The status as results spell it.
    pub fn name(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Completed => "completed",
            Status::Expired => "expired",
        }
    }
}

/// One cut of a bargain.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cut {
    /// Who cut: a helper, or the owner for the first cut.
    pub user: String,
    /// How much, in fen.
    pub amount_fen: u64,
    /// When.
    pub at_ms: i64,
    /// The owner's first cut rather than a help.
    #[serde(default)]
    pub owner: bool,
    /// Made by a helper new to the tenant.
    #[serde(default)]
    pub new_member: bool,
}

/// A bargain, in team scope under its id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bargain {
    /// Its id: the call id of the `start` that created it.
    pub id: String,
    /// Who started it.
    pub owner: String,
    /// The item's id.
    pub item_id: String,
    /// Price before any cut (the config's when it started).
    pub original_price_fen: u64,
    /// Price the last help lands on.
    pub floor_price_fen: u64,
    /// Price now.
    pub price_fen: u64,
    /// Helps it needs (the config when it started).
    pub helps_needed: u32,
    /// When it started.
    pub created_ms: i64,
    /// When it expires if not completed.
    pub deadline_ms: i64,
    /// Its status as stored (see [`status_at`](Self::status_at)).
    pub status: Status,
    /// When it completed or expired.
    #[serde(default)]
    pub closed_ms: Option<i64>,
    /// Every cut, the owner's first.
    pub cuts: Vec<Cut>,
}

impl Bargain {
    /// The bargain `id`, if there is one (ids longer than a team id cannot
    /// name one).
    pub fn load(id: &str) -> Option<Self> {
        if id.is_empty() || id.len() > MAX_TEAM_ID {
            return None;
        }
        state::team(id).get(BARGAIN_KEY)
    }

    /// Store it in its team scope.
    pub fn save(&self) {
        state::team(&self.id).set(BARGAIN_KEY, self);
    }

    /// Helps so far (the owner's first cut is not one).
    pub fn helps_done(&self) -> u32 {
        self.cuts.iter().filter(|c| !c.owner).count() as u32
    }

    /// Helps still needed.
    pub fn helps_left(&self) -> u32 {
        self.helps_needed - self.helps_done()
    }

    /// The status as of `now`: an open bargain past its deadline is
    /// expired even if its timer has not fired yet.
    pub fn status_at(&self, now: i64) -> Status {
        match self.status {
            Status::Open if now >= self.deadline_ms => Status::Expired,
            s => s,
        }
    }

    fn time_left_ms(&self, now: i64) -> i64 {
        match self.status_at(now) {
            Status::Open => self.deadline_ms - now,
            _ => 0,
        }
    }

    /// The bargain as `start` returns it and the view lists it.
    pub fn to_json(&self, now: i64) -> Value {
        json!({
            "bargain_id": self.id,
            "owner": self.owner,
            "item_id": self.item_id,
            "original_price_fen": self.original_price_fen,
            "floor_price_fen": self.floor_price_fen,
            "price_fen": self.price_fen,
            "cut_so_far_fen": self.original_price_fen - self.price_fen,
            "cuts": self.cuts.iter().map(|c| json!({
                "helper": c.user,
                "amount_fen": c.amount_fen,
                "owner_cut": c.owner,
                "new_member": c.new_member,
                "at_ms": c.at_ms,
            })).collect::<Vec<_>>(),
            "helps_needed": self.helps_needed,
            "helps_done": self.helps_done(),
            "helps_left": self.helps_left(),
            "deadline_ms": self.deadline_ms,
            "time_left_ms": self.time_left_ms(now),
            "status": self.status_at(now),
        })
    }
}

/// What the mechanic remembers about one user.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct UserRecord {
    /// Bargains started over the activity.
    pub started: u32,
    /// Ids of the most recent bargains started, oldest first.
    pub owned: Vec<String>,
    /// Ids of the most recent bargains helped, oldest first.
    pub helped: Vec<String>,
    /// The business day `helps_today` counts.
    pub day: String,
    /// Bargains helped on `day`.
    pub helps_today: u32,
}

impl UserRecord {
    /// The acting user's record, with the daily count reset if `today` is
    /// a new business day.
    pub fn load(today: &str) -> Self {
        let mut rec: UserRecord = state::user().get(USER_KEY).unwrap_or_default();
        if rec.day != today {
            rec.day = today.to_owned();
            rec.helps_today = 0;
        }
        rec
    }

    /// Store it for the acting user.
    pub fn save(&self) {
        state::user().set(USER_KEY, self);
    }

    /// Helps left today.
    pub fn helps_left_today(&self, config: &Config) -> u32 {
        config.max_helps_per_day.saturating_sub(self.helps_today)
    }

    /// Remember a bargain started.
    pub fn add_owned(&mut self, id: &str) {
        push_recent(&mut self.owned, id);
    }

    /// Remember a bargain helped.
    pub fn add_helped(&mut self, id: &str) {
        push_recent(&mut self.helped, id);
    }
}

fn push_recent(list: &mut Vec<String>, id: &str) {
    list.push(id.to_owned());
    if list.len() > RECENT_KEPT {
        list.remove(0);
    }
}
