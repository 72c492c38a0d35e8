//! The activity's config: the contest's windows, who moderates and
//! judges, the limits, and the rank rewards; and its checks.

use std::collections::BTreeSet;

use arcade_sdk::{ConfigError, RewardSpec, json};
use serde::Deserialize;

/// Most entries a contest may take.
pub const MAX_ENTRIES: u32 = 500;
/// Most entries one user may have in the contest.
pub const MAX_ENTRIES_PER_USER: u32 = 5;
/// Most votes a user may cast in a day.
pub const MAX_VOTES_PER_DAY: u32 = 100;
/// Most entries the view lists (it must fit the host's 64 KiB output).
pub const MAX_LEADERBOARD: u32 = 30;
/// Most moderators and judges.
pub const MAX_STAFF: usize = 50;
/// Largest weight of a judge.
pub const MAX_JUDGE_WEIGHT: u32 = 1_000;
/// Most rewards the close may grant: the host takes at most 64 rewards
/// from one outcome.
pub const MAX_RANK_REWARDS: u32 = 64;

/// `{"closes_at_ms", "moderators", "votes_per_day", "judges", "rank_rewards", ...}`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// When the contest closes (ms since the epoch): voting, judging and
    /// moderation end, and the close timer ranks the entries.
    pub closes_at_ms: i64,
    /// When submissions end; default `closes_at_ms`.
    #[serde(default)]
    pub submissions_close_at_ms: Option<i64>,
    /// When voting starts; default at once.
    #[serde(default)]
    pub voting_opens_at_ms: Option<i64>,
    /// The users who approve and reject entries (the operator's accounts).
    pub moderators: Vec<String>,
    /// Votes each user has per business day.
    #[serde(default = "one")]
    pub votes_per_day: u32,
    /// Entries each user may have in the contest (rejected ones do not count).
    #[serde(default = "one")]
    pub entries_per_user: u32,
    /// Entries the contest takes (rejected ones do not count).
    #[serde(default = "default_max_entries")]
    pub max_entries: u32,
    /// Whether users may vote for their own entries.
    #[serde(default)]
    pub allow_self_vote: bool,
    /// Judges, whose scores add to the public votes.
    #[serde(default)]
    pub judges: Vec<Judge>,
    /// Rewards granted to the authors of the best-ranked entries at the close.
    #[serde(default)]
    pub rank_rewards: Vec<RankReward>,
    /// How many of the best entries the view lists.
    #[serde(default = "default_leaderboard")]
    pub leaderboard_size: u32,
}

/// A judge. Each point a judge gives an entry counts as `weight` votes.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Judge {
    /// The judge's user id.
    pub user_id: String,
    /// Votes one point of this judge's score is worth.
    #[serde(default = "one")]
    pub weight: u32,
}

/// A reward for each entry ranked `from_rank..=to_rank`, granted to its author.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RankReward {
    /// The best rank rewarded (1 is the winner).
    pub from_rank: u32,
    /// The worst rank rewarded.
    pub to_rank: u32,
    /// What each of those authors gets (the SDK's reward shape).
    pub reward: RewardSpec,
}

fn one() -> u32 {
    1
}
fn default_max_entries() -> u32 {
    100
}
fn default_leaderboard() -> u32 {
    20
}

impl Config {
    /// When submissions end.
    pub fn submissions_close_at_ms(&self) -> i64 {
        self.submissions_close_at_ms.unwrap_or(self.closes_at_ms)
    }

    /// Whether the contest has closed at `now` (by the clock; the close
    /// timer may run a moment later).
    pub fn closed(&self, now: i64) -> bool {
        now >= self.closes_at_ms
    }

    /// Whether users may vote at `now`.
    pub fn voting_open(&self, now: i64) -> bool {
        self.voting_opens_at_ms.is_none_or(|at| now >= at) && !self.closed(now)
    }

    /// The judge `user`'s weight, if `user` is a judge.
    pub fn judge_weight(&self, user: &str) -> Option<u32> {
        self.judges
            .iter()
            .find(|j| j.user_id == user)
            .map(|j| j.weight)
    }

    /// Whether `user` is a moderator.
    pub fn is_moderator(&self, user: &str) -> bool {
        self.moderators.iter().any(|m| m == user)
    }

    /// The rewards for rank `rank`.
    pub fn rewards_for(&self, rank: u32) -> impl Iterator<Item = &RewardSpec> {
        self.rank_rewards
            .iter()
            .filter(move |r| (r.from_rank..=r.to_rank).contains(&rank))
            .map(|r| &r.reward)
    }

    /// The worst rank that gets a reward (0 without rank rewards).
    pub fn deepest_rewarded_rank(&self) -> u32 {
        self.rank_rewards
            .iter()
            .map(|r| r.to_rank)
            .max()
            .unwrap_or(0)
    }

    /// Every problem with the config, each naming its field.
    pub fn problems(&self) -> Vec<ConfigError> {
        let mut errors = Vec::new();
        if self.closes_at_ms <= 0 {
            errors.push(ConfigError::new(
                "closes_at_ms",
                "must be a time in ms since the epoch",
            ));
        }
        if let Some(at) = self.submissions_close_at_ms
            && !(1..=self.closes_at_ms).contains(&at)
        {
            errors.push(ConfigError::new(
                "submissions_close_at_ms",
                "must be a time in ms since the epoch, no later than closes_at_ms",
            ));
        }
        if let Some(at) = self.voting_opens_at_ms
            && !(1..self.closes_at_ms).contains(&at)
        {
            errors.push(ConfigError::new(
                "voting_opens_at_ms",
                "must be a time in ms since the epoch, before closes_at_ms",
            ));
        }
        let ranges = [
            ("votes_per_day", self.votes_per_day, MAX_VOTES_PER_DAY),
            (
                "entries_per_user",
                self.entries_per_user,
                MAX_ENTRIES_PER_USER,
            ),
            ("max_entries", self.max_entries, MAX_ENTRIES),
            ("leaderboard_size", self.leaderboard_size, MAX_LEADERBOARD),
        ];
        for (field, value, max) in ranges {
            if !(1..=max).contains(&value) {
                errors.push(ConfigError::new(field, format!("must be from 1 to {max}")));
            }
        }
        if self.moderators.is_empty() {
            errors.push(ConfigError::new(
                "moderators",
                "must name at least one user",
            ));
        }
        let moderators = self.moderators.iter().map(String::as_str);
        user_list_problems("moderators", "", moderators, &mut errors);
        let judges = self.judges.iter().map(|j| j.user_id.as_str());
        user_list_problems("judges", ".user_id", judges, &mut errors);
        for (i, judge) in self.judges.iter().enumerate() {
            if !(1..=MAX_JUDGE_WEIGHT).contains(&judge.weight) {
                errors.push(ConfigError::new(
                    format!("judges[{i}].weight"),
                    format!("must be from 1 to {MAX_JUDGE_WEIGHT}"),
                ));
            }
        }
        self.rank_reward_problems(&mut errors);
        errors
    }

    fn rank_reward_problems(&self, errors: &mut Vec<ConfigError>) {
        let mut granted: u32 = 0;
        for (i, tier) in self.rank_rewards.iter().enumerate() {
            let field = |f: &str| format!("rank_rewards[{i}].{f}");
            if tier.from_rank == 0 {
                errors.push(ConfigError::new(field("from_rank"), "ranks start at 1"));
            }
            if tier.to_rank < tier.from_rank.max(1) || tier.to_rank > self.max_entries {
                errors.push(ConfigError::new(
                    field("to_rank"),
                    "must be from from_rank to max_entries",
                ));
            } else {
                granted = granted.saturating_add(tier.to_rank - tier.from_rank.max(1) + 1);
            }
            tier.reward.validate(&field("reward"), errors);
        }
        if granted > MAX_RANK_REWARDS {
            errors.push(ConfigError::new(
                "rank_rewards",
                format!(
                    "grants {granted} rewards at the close; \
                     at most {MAX_RANK_REWARDS} fit in one outcome"
                ),
            ));
        }
    }
}

/// Problems with a list of user ids (`moderators`, `judges`): at most
/// [`MAX_STAFF`], each a valid user id, none twice.
fn user_list_problems<'a>(
    list: &str,
    suffix: &str,
    users: impl ExactSizeIterator<Item = &'a str>,
    errors: &mut Vec<ConfigError>,
) {
    if users.len() > MAX_STAFF {
        errors.push(ConfigError::new(
            list,
            format!("must name at most {MAX_STAFF} users"),
        ));
        return;
    }
    let mut seen = BTreeSet::new();
    for (i, user) in users.enumerate() {
        let field = format!("{list}[{i}]{suffix}");
        if user.is_empty() || user.len() > 128 || user.starts_with('#') {
            errors.push(ConfigError::new(
                field,
                "must be a user id of 1 to 128 bytes, not starting with #",
            ));
        } else if !seen.insert(user) {
            errors.push(ConfigError::new(field, format!("{user:?} is listed twice")));
        }
    }
}

/// The config's JSON Schema, for the manifest.
pub fn schema() -> serde_json::Value {
    let time = json!({"type": ["integer", "null"], "minimum": 1});
    let users = json!({"type": "array", "items": {"type": "string"}, "maxItems": MAX_STAFF});
    json!({
        "type": "object",
        "properties": {
            "closes_at_ms": {"type": "integer", "minimum": 1},
            "submissions_close_at_ms": time,
            "voting_opens_at_ms": time,
            "moderators": users,
            "votes_per_day": {"type": "integer", "minimum": 1, "maximum": MAX_VOTES_PER_DAY},
            "entries_per_user": {"type": "integer", "minimum": 1, "maximum": MAX_ENTRIES_PER_USER},
            "max_entries": {"type": "integer", "minimum": 1, "maximum": MAX_ENTRIES},
            "allow_self_vote": {"type": "boolean"},
            "judges": {"type": "array", "maxItems": MAX_STAFF, "items": {
                "type": "object",
                "properties": {
                    "user_id": {"type": "string"},
                    "weight": {"type": "integer", "minimum": 1, "maximum": MAX_JUDGE_WEIGHT}
                },
                "required": ["user_id"],
                "additionalProperties": false
            }},
            "rank_rewards": {"type": "array", "items": {
                "type": "object",
                "properties": {
                    "from_rank": {"type": "integer", "minimum": 1},
                    "to_rank": {"type": "integer", "minimum": 1},
                    "reward": {"type": "object"}
                },
                "required": ["from_rank", "to_rank", "reward"],
                "additionalProperties": false
            }},
            "leaderboard_size": {"type": "integer", "minimum": 1, "maximum": MAX_LEADERBOARD}
        },
        "required": ["closes_at_ms", "moderators"],
        "additionalProperties": false
    })
}
