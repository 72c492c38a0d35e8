//! The activity's config; its checks are in [`checks`].

mod checks;

use arcade_sdk::RewardSpec;
use serde::{Deserialize, Serialize};

/// Most questions one attempt may draw.
pub const MAX_QUESTIONS_PER_ATTEMPT: u32 = 100;
/// Most attempts per user.
pub const MAX_ATTEMPTS_PER_USER: u32 = 100;
/// Longest time limit: one day.
pub const MAX_TIME_LIMIT_SECONDS: u32 = 86_400;
/// Most users the leaderboard keeps (and so the deepest rewarded rank).
pub const MAX_RANKED: u32 = 100;
/// Longest question or option id.
pub const MAX_ID_LEN: usize = 64;

fn default_points() -> u32 {
    10
}
fn default_attempts() -> u32 {
    1
}
fn default_leaderboard_size() -> u32 {
    10
}
fn default_min_correct() -> u32 {
    1
}

/// Activity config.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The question bank.
    pub questions: Vec<Question>,
    /// Questions drawn for each attempt (at most the bank's size).
    pub questions_per_attempt: u32,
    /// Time allowed for one attempt, from `start` to `submit`.
    pub time_limit_seconds: u32,
    /// Attempts each user may start.
    #[serde(default = "default_attempts")]
    pub attempts_per_user: u32,
    /// Extra points for finishing faster.
    #[serde(default)]
    pub speed_bonus: Option<SpeedBonus>,
    /// When the quiz closes and rank rewards are paid (ms since the epoch).
    pub closes_at_ms: i64,
    /// Rewards by final rank.
    #[serde(default)]
    pub rank_rewards: Vec<RankReward>,
    /// Entries shown on the leaderboard.
    #[serde(default = "default_leaderboard_size")]
    pub leaderboard_size: u32,
}

/// One question of the bank.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Identifier, unique within the bank.
    pub id: String,
    /// The question.
    pub text: String,
    /// `single` or `multiple` choice.
    pub kind: QuestionKind,
    /// The options, at least two.
    pub options: Vec<QuestionOption>,
    /// Ids of the correct options: exactly one for `single`, one or more
    /// for `multiple`.
    pub answer: Vec<String>,
    /// Points for answering it exactly right.
    #[serde(default = "default_points")]
    pub points: u32,
}

/// Single or multiple choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum QuestionKind {
    /// Exactly one option is right.
    Single,
    /// One or more options are right; all of them must be chosen.
    Multiple,
}

/// One option of a question.
#[derive(Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionOption {
    /// Identifier, unique within the question.
    pub id: String,
    /// What it says.
    pub text: String,
}

/// Extra points for time left: `max_points * time_left / time_limit`,
/// rounded down, if at least `min_correct` questions are right.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpeedBonus {
    /// The bonus for submitting instantly.
    pub max_points: u32,
    /// Questions that must be right to earn any bonus (so an empty,
    /// instant submission earns nothing).
    #[serde(default = "default_min_correct")]
    pub min_correct: u32,
}

/// A reward for the ranks `from_rank..=to_rank` (1 is the top).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RankReward {
    /// First rank rewarded.
    pub from_rank: u32,
    /// Last rank rewarded.
    pub to_rank: u32,
    /// What each of those ranks gets (the SDK's reward shape).
    pub reward: RewardSpec,
}

impl Config {
    /// The time limit of an attempt, in ms.
    pub fn time_limit_ms(&self) -> i64 {
        i64::from(self.time_limit_seconds) * 1000
    }

    /// How many leaderboard entries must be kept: those shown and those
    /// rewarded.
    pub fn ranked(&self) -> usize {
        self.rank_rewards
            .iter()
            .map(|r| r.to_rank)
            .chain([self.leaderboard_size])
            .max()
            .unwrap_or(0) as usize
    }

    /// The question `id` of the bank.
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    /// When an attempt started at `started_at_ms` runs out of time.
    pub fn deadline_ms(&self, started_at_ms: i64) -> i64 {
        started_at_ms.saturating_add(self.time_limit_ms())
    }
}
