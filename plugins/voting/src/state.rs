//! What the contest keeps, and where. A vote is the hot path, so every
//! key is chosen for what a vote touches: it reads its entry's record and
//! the close's state, writes its entry's tally and the voter's own
//! ballot, and nothing else. Votes for different entries never share a
//! key they write; a crowd on one entry shares exactly one (its tally),
//! which the host serves in rounds.
//!
//! Activity scope (small, read from the snapshot every call takes):
//! - `contest`: the index ([`Contest`]): entries submitted, the pending
//!   queue, the approved entries in approval order. Written by
//!   submissions and moderation, never by a vote.
//! - `close`: the close timer's state ([`Close`]). Read by every action;
//!   written by the first submission (which sets the timer) and by the
//!   close, so an action still in flight when the contest closes fails
//!   its commit on it and runs again, to find the contest closed.
//! - `entry:<id>`: one entry ([`Entry`]), written by its submission and
//!   its moderation, read by votes and scores.
//! - `votes:<id>`: the entry's public votes, a number. The only shared
//!   key a vote writes.
//! - `judged:<id>`: the judges' scores of the entry, by judge.
//! - `results`: the ranking frozen by the close.
//!
//! User scope: `mine` (the user's entry ids) and `ballot` ([`Ballot`]:
//! the entries voted for on the current business day).

use std::collections::BTreeMap;

use arcade_sdk::state;
use serde::{Deserialize, Serialize};

use crate::config::Config;

/// Highest score a judge may give.
pub const MAX_JUDGE_SCORE: u32 = 100;

const CONTEST: &str = "contest";
const CLOSE: &str = "close";
const RESULTS: &str = "results";
const MINE: &str = "mine";
const BALLOT: &str = "ballot";

/// The contest's index; absent until the first submission.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Contest {
    /// Entries ever submitted, rejected ones included: entry `e<n>` is the
    /// n-th.
    pub submitted: u32,
    /// Pending entries, oldest first: the moderators' queue.
    pub pending: Vec<String>,
    /// Approved entries in approval order (earlier ranks first on a tie).
    pub approved: Vec<String>,
}

impl Contest {
    /// The index, or an empty one.
    pub fn load() -> Contest {
        state::activity().get(CONTEST).unwrap_or_default()
    }

    /// Store the index.
    pub fn save(&self) {
        state::activity().set(CONTEST, self);
    }

    /// Entries that hold a place: pending and approved.
    pub fn live(&self) -> usize {
        self.pending.len() + self.approved.len()
    }
}

/// The close timer's state; absent until the first submission.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Close {
    /// When the close timer is set for; it follows `closes_at_ms` when a
    /// config revision moves it.
    pub timer_at_ms: Option<i64>,
    /// When the contest was closed and ranked; `None` while open.
    pub closed_at_ms: Option<i64>,
}

impl Close {
    /// The close's state, or none yet.
    pub fn load() -> Close {
        state::activity().get(CLOSE).unwrap_or_default()
    }

    /// Store it.
    pub fn save(&self) {
        state::activity().set(CLOSE, self);
    }

    /// Whether the close timer has run.
    pub fn done(&self) -> bool {
        self.closed_at_ms.is_some()
    }
}

/// Where an entry is in moderation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for a moderator.
    Pending,
    /// Can be voted for and judged.
    Approved,
    /// Turned down; does not count against any limit.
    Rejected,
}

/// One entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    /// `e1`, `e2`, ... in submission order.
    pub id: String,
    /// Who submitted it.
    pub author: String,
    /// Its title.
    pub title: String,
    /// An optional description.
    pub description: Option<String>,
    /// An optional image URL.
    pub image_url: Option<String>,
    /// Moderation status.
    pub status: Status,
    /// When it was submitted.
    pub submitted_at_ms: i64,
    /// Which moderator decided on it.
    pub decided_by: Option<String>,
    /// When a moderator decided on it.
    pub decided_at_ms: Option<i64>,
    /// Why it was rejected, if the moderator said.
    pub reason: Option<String>,
}

impl Entry {
    /// The entry `id`, if there is one. Ids are short (`e<n>`); anything
    /// longer is no entry, and never becomes a state key.
    pub fn load(id: &str) -> Option<Entry> {
        if id.len() > 16 {
            return None;
        }
        state::activity().get(&format!("entry:{id}"))
    }

    /// Store the entry.
    pub fn save(&self) {
        state::activity().set(&format!("entry:{}", self.id), self);
    }
}

/// The public votes of entry `id`.
pub fn votes(id: &str) -> u64 {
    state::activity().get(&format!("votes:{id}")).unwrap_or(0)
}

/// Count one more vote for entry `id`; returns its votes now.
pub fn add_vote(id: &str) -> u64 {
    let votes = votes(id) + 1;
    state::activity().set(&format!("votes:{id}"), &votes);
    votes
}

/// The judges' scores of entry `id`, by judge.
pub fn judge_scores(id: &str) -> BTreeMap<String, u32> {
    state::activity()
        .get(&format!("judged:{id}"))
        .unwrap_or_default()
}

/// Store the judges' scores of entry `id`.
pub fn save_judge_scores(id: &str, scores: &BTreeMap<String, u32>) {
    state::activity().set(&format!("judged:{id}"), scores);
}

/// The acting user's entry ids.
pub fn my_entries() -> Vec<String> {
    state::user().get(MINE).unwrap_or_default()
}

/// Store the acting user's entry ids.
pub fn save_my_entries(ids: &[String]) {
    state::user().set(MINE, ids);
}

/// The acting user's votes of one business day.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Ballot {
    /// The business day (`YYYY-MM-DD`, activity time zone).
    pub day: String,
    /// The entries voted for that day, in order.
    pub entries: Vec<String>,
}

impl Ballot {
    /// The acting user's ballot for `today`: empty on a new day.
    pub fn load(today: &str) -> Ballot {
        match state::user().get::<Ballot>(BALLOT) {
            Some(b) if b.day == today => b,
            _ => Ballot {
                day: today.to_owned(),
                entries: Vec::new(),
            },
        }
    }

    /// Store the ballot.
    pub fn save(&self) {
        state::user().set(BALLOT, self);
    }

    /// Votes left of `per_day`.
    pub fn left(&self, per_day: u32) -> u32 {
        per_day.saturating_sub(self.entries.len() as u32)
    }
}

/// An approved entry's standing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Standing {
    /// The entry id.
    pub id: String,
    /// 1 for the best; ties go to the entry approved first.
    pub rank: u32,
    /// Public votes.
    pub votes: u64,
    /// Judges' points: each judge's score times the judge's weight, summed.
    pub judge_points: u64,
    /// `votes + judge_points`.
    pub score: u64,
}

/// The approved entries ranked: by score, best first, ties to the entry
/// approved first. Once closed, the ranking the close froze.
pub fn standings(config: &Config, contest: &Contest, close: &Close) -> Vec<Standing> {
    if close.done() {
        return state::activity().get(RESULTS).unwrap_or_default();
    }
    let mut all: Vec<Standing> = contest
        .approved
        .iter()
        .map(|id| {
            let votes = votes(id);
            let judge_points = judge_points(config, &judge_scores(id));
            Standing {
                id: id.clone(),
                rank: 0,
                votes,
                judge_points,
                score: votes + judge_points,
            }
        })
        .collect();
    // A stable sort: equal scores keep approval order.
    all.sort_by_key(|s| std::cmp::Reverse(s.score));
    for (i, s) in all.iter_mut().enumerate() {
        s.rank = i as u32 + 1;
    }
    all
}

/// Freeze the ranking (the close).
pub fn freeze(standings: &[Standing]) {
    state::activity().set(RESULTS, standings);
}

/// Each judge's score times the judge's weight, summed; scores by users
/// no longer among the judges do not count.
pub fn judge_points(config: &Config, scores: &BTreeMap<String, u32>) -> u64 {
    scores
        .iter()
        .filter_map(|(judge, score)| {
            let weight = config.judge_weight(judge)?;
            Some(u64::from(weight) * u64::from(*score))
        })
        .sum()
}
