//! Quiz (知识问答): each `start` draws a random set of questions from the
//! bank, without their answers; `submit` scores the attempt (a question
//! counts only if the chosen options equal its answer exactly), adds an
//! optional speed bonus, and keeps every user's best attempt on a
//! leaderboard. When the quiz closes, a timer ranks the leaderboard and
//! grants rank rewards, once.
//!
//! State:
//! - user scope `me`: attempts used, the attempt in progress, the best
//!   attempt and the last submitted one;
//! - user scope `attempt:<id>`: one attempt (question ids, start time,
//!   status, and after submission its corrections);
//! - activity scope `leaderboard`: the best attempt of the top users
//!   (at most [`MAX_RANKED`]), ordered by [`Entry::rank_key`];
//! - activity scope `close_scheduled` and `closed`: the close timer was
//!   scheduled / has fired.

use arcade_sdk::{
    Action, ConfigError, Context, Error, Manifest, Mechanic, Outcome, Reward, RewardKind, Setup,
    Timer, clock, json, random, state, wallet,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// Most questions one attempt may draw.
pub const MAX_QUESTIONS_PER_ATTEMPT: u32 = 100;
/// Most attempts per user.
pub const MAX_ATTEMPTS_PER_USER: u32 = 100;
/// Longest time limit: one day.
pub const MAX_TIME_LIMIT_SECONDS: u32 = 86_400;
/// Most users the leaderboard keeps (and so the deepest rewarded rank).
pub const MAX_RANKED: u32 = 100;
/// Name of the close timer.
pub const CLOSE_TIMER: &str = "close";
const DAY_MS: i64 = 86_400_000;
const MAX_ID_LEN: usize = 64;
/// Attempt ids are call ids (UUIDs); anything longer cannot be one, and
/// would make an over-long state key.
const MAX_ATTEMPT_ID_LEN: usize = 128;

const ME_KEY: &str = "me";
const LEADERBOARD_KEY: &str = "leaderboard";
const CLOSED_KEY: &str = "closed";
const CLOSE_SCHEDULED_KEY: &str = "close_scheduled";

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
fn default_one() -> i64 {
    1
}

/// Activity config.
#[derive(Debug, Deserialize)]
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
#[derive(Debug, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QuestionKind {
    /// Exactly one option is right.
    Single,
    /// One or more options are right; all of them must be chosen.
    Multiple,
}

/// One option of a question.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionOption {
    /// Identifier, unique within the question.
    pub id: String,
    /// What it says.
    pub text: String,
}

/// Extra points for time left: `max_points * time_left / time_limit`,
/// rounded down, if at least `min_correct` questions are right.
#[derive(Debug, Deserialize)]
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RankReward {
    /// First rank rewarded.
    pub from_rank: u32,
    /// Last rank rewarded.
    pub to_rank: u32,
    /// What each of those ranks gets.
    pub reward: RewardSpec,
}

/// What a rank gets.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewardSpec {
    /// `points`, `coupon`, `prize` or `tickets`.
    pub kind: SpecKind,
    /// Coupon template, prize id or ticket balance; unused for points.
    #[serde(default)]
    pub id: String,
    /// Display name; default: the id (or "points").
    #[serde(default)]
    pub name: String,
    /// Points, coupon value in fen, prize items or tickets.
    #[serde(default = "default_one")]
    pub amount: i64,
    /// Coupon validity in days from the close; `null`: no expiry.
    #[serde(default)]
    pub valid_days: Option<u32>,
}

/// Kinds of rank reward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpecKind {
    /// Loyalty points.
    Points,
    /// A coupon.
    Coupon,
    /// A physical prize.
    Prize,
    /// Tickets in a named balance.
    Tickets,
}

impl RewardSpec {
    fn to_reward(&self, closed_at_ms: i64) -> Reward {
        let name = if self.name.is_empty() {
            self.id.clone()
        } else {
            self.name.clone()
        };
        let mut reward = match self.kind {
            SpecKind::Points => Reward::points(self.amount),
            SpecKind::Coupon => Reward::coupon(
                &self.id,
                name,
                self.amount,
                self.valid_days
                    .map(|d| closed_at_ms + i64::from(d) * DAY_MS),
            ),
            SpecKind::Prize => Reward::prize(&self.id, name),
            SpecKind::Tickets => Reward::tickets(&self.id, self.amount),
        };
        if self.kind == SpecKind::Prize {
            reward.amount = self.amount;
        }
        if self.kind == SpecKind::Points && !self.name.is_empty() {
            reward.name = self.name.clone();
        }
        reward
    }
}

impl Config {
    fn time_limit_ms(&self) -> i64 {
        i64::from(self.time_limit_seconds) * 1000
    }

    /// How many leaderboard entries must be kept: those shown and those
    /// rewarded.
    fn ranked(&self) -> usize {
        self.rank_rewards
            .iter()
            .map(|r| r.to_rank)
            .chain([self.leaderboard_size])
            .max()
            .unwrap_or(0) as usize
    }

    fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }
}

/// Where an attempt stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Status {
    InProgress,
    Submitted,
    Expired,
}

/// One attempt, in user scope under `attempt:<id>`.
#[derive(Debug, Serialize, Deserialize)]
struct Attempt {
    id: String,
    questions: Vec<String>,
    started_at_ms: i64,
    status: Status,
    #[serde(default)]
    result: Option<AttemptResult>,
}

/// What a submission scored.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct AttemptResult {
    score: u64,
    base_score: u64,
    bonus: u64,
    correct: u32,
    total: u32,
    elapsed_ms: i64,
    finished_at_ms: i64,
    /// Per drawn question, in order: answered exactly right?
    right: Vec<bool>,
}

/// The user's summary, in user scope under `me`.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Me {
    used: u32,
    current: Option<String>,
    last_submitted: Option<String>,
    best: Option<Best>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Best {
    attempt_id: String,
    score: u64,
    correct: u32,
    elapsed_ms: i64,
    finished_at_ms: i64,
}

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

fn attempt_key(id: &str) -> String {
    format!("attempt:{id}")
}

fn load_leaderboard() -> Vec<Entry> {
    state::activity().get(LEADERBOARD_KEY).unwrap_or_default()
}

fn deadline_ms(config: &Config, started_at_ms: i64) -> i64 {
    started_at_ms.saturating_add(config.time_limit_ms())
}

fn is_closed(config: &Config, now: i64) -> bool {
    now >= config.closes_at_ms || state::activity().get::<bool>(CLOSED_KEY).unwrap_or(false)
}

fn closed_error(config: &Config) -> Error {
    Error::rejected(
        "quiz_closed",
        format!("the quiz closed at {} ms", config.closes_at_ms),
    )
}

/// A question as the player sees it: no answer.
fn public_question(q: &Question) -> serde_json::Value {
    json!({
        "id": q.id,
        "text": q.text,
        "kind": q.kind,
        "options": q.options,
        "points": q.points,
    })
}

fn public_questions(config: &Config, ids: &[String]) -> Vec<serde_json::Value> {
    ids.iter()
        .filter_map(|id| config.question(id))
        .map(public_question)
        .collect()
}

/// Draw `n` distinct indices of `0..len` in random order (a partial
/// Fisher-Yates shuffle).
pub fn draw_indices(len: usize, n: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..len).collect();
    let n = n.min(len);
    for i in 0..n {
        let j = i + random::below((len - i) as u64) as usize;
        idx.swap(i, j);
    }
    idx.truncate(n);
    idx
}

/// The speed bonus for submitting after `elapsed_ms` with `correct` right.
pub fn speed_bonus(config: &Config, elapsed_ms: i64, correct: u32) -> u64 {
    let Some(bonus) = &config.speed_bonus else {
        return 0;
    };
    if correct < bonus.min_correct {
        return 0;
    }
    let limit = config.time_limit_ms();
    let left = (limit - elapsed_ms.max(0)).clamp(0, limit);
    (u128::from(bonus.max_points) * left as u128 / limit as u128) as u64
}

fn start(ctx: &Context<Config>) -> Result<Outcome, Error> {
    let config = &ctx.config;
    let now = clock::now_ms();
    if is_closed(config, now) {
        return Err(closed_error(config));
    }
    let mut me: Me = state::user().get(ME_KEY).unwrap_or_default();
    // An attempt in progress blocks a new one until it is submitted or
    // its time runs out; a timed-out one is recorded as expired here.
    if let Some(id) = me.current.clone() {
        let key = attempt_key(&id);
        if let Some(mut attempt) = state::user().get::<Attempt>(&key) {
            if now <= deadline_ms(config, attempt.started_at_ms) {
                return Err(Error::rejected(
                    "attempt_in_progress",
                    format!(
                        "attempt {id} is still in progress; submit it or wait until {} ms",
                        deadline_ms(config, attempt.started_at_ms)
                    ),
                ));
            }
            attempt.status = Status::Expired;
            state::user().set(&key, &attempt);
        }
        me.current = None;
    }
    if me.used >= config.attempts_per_user {
        return Err(Error::rejected(
            "no_attempts_left",
            format!(
                "you have used all {} attempts of this quiz",
                config.attempts_per_user
            ),
        ));
    }

    let drawn = draw_indices(
        config.questions.len(),
        config.questions_per_attempt as usize,
    );
    let ids: Vec<String> = drawn
        .iter()
        .map(|i| config.questions[*i].id.clone())
        .collect();
    let attempt = Attempt {
        id: ctx.call_id.clone(),
        questions: ids,
        started_at_ms: now,
        status: Status::InProgress,
        result: None,
    };
    state::user().set(&attempt_key(&attempt.id), &attempt);
    me.used += 1;
    me.current = Some(attempt.id.clone());
    state::user().set(ME_KEY, &me);

    if state::activity().get_raw(CLOSE_SCHEDULED_KEY).is_none() {
        arcade_sdk::timers::schedule(CLOSE_TIMER, config.closes_at_ms, &json!({}));
        state::activity().set(CLOSE_SCHEDULED_KEY, &true);
    }

    let deadline = deadline_ms(config, now).min(config.closes_at_ms);
    Ok(Outcome::new(json!({
        "attempt_id": attempt.id,
        "questions": public_questions(config, &attempt.questions),
        "started_at_ms": now,
        "deadline_ms": deadline,
        "time_limit_seconds": config.time_limit_seconds,
        "attempts_left": config.attempts_per_user.saturating_sub(me.used),
    })))
}

/// `submit` payload.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmitPayload {
    attempt_id: String,
    #[serde(default)]
    answers: BTreeMap<String, Vec<String>>,
}

/// Which drawn questions `answers` gets exactly right.
fn mark(
    config: &Config,
    questions: &[String],
    answers: &BTreeMap<String, Vec<String>>,
) -> Result<Vec<bool>, Error> {
    for (qid, chosen) in answers {
        if !questions.contains(qid) {
            return Err(Error::invalid_input(
                "unknown_question",
                format!("question {qid:?} is not part of this attempt"),
            ));
        }
        let q = config
            .question(qid)
            .expect("drawn questions are in the bank");
        if let Some(bad) = chosen
            .iter()
            .find(|o| !q.options.iter().any(|x| &x.id == *o))
        {
            return Err(Error::invalid_input(
                "unknown_option",
                format!("question {qid:?} has no option {bad:?}"),
            ));
        }
    }
    Ok(questions
        .iter()
        .map(|qid| {
            let q = config
                .question(qid)
                .expect("drawn questions are in the bank");
            let chosen: BTreeSet<&str> = answers
                .get(qid)
                .map(|c| c.iter().map(String::as_str).collect())
                .unwrap_or_default();
            let answer: BTreeSet<&str> = q.answer.iter().map(String::as_str).collect();
            chosen == answer
        })
        .collect())
}

/// Put `entry` on the leaderboard if it beats the user's entry there, and
/// keep only the top `keep`. Returns whether the board changed.
fn place(board: &mut Vec<Entry>, entry: Entry, keep: usize) -> bool {
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

fn corrections(config: &Config, questions: &[String], right: &[bool]) -> Vec<serde_json::Value> {
    questions
        .iter()
        .zip(right)
        .filter_map(|(qid, ok)| {
            let q = config.question(qid)?;
            Some(json!({
                "question_id": q.id,
                "correct": ok,
                "answer": q.answer,
                "points": if *ok { q.points } else { 0 },
            }))
        })
        .collect()
}

fn submit(ctx: &Context<Config>, action: &Action) -> Result<Outcome, Error> {
    let config = &ctx.config;
    let payload: SubmitPayload = action.parse()?;
    let now = clock::now_ms();
    if is_closed(config, now) {
        return Err(closed_error(config));
    }
    let not_found = || {
        Error::not_found(
            "attempt_not_found",
            format!("you have no attempt {:?}", payload.attempt_id),
        )
    };
    if payload.attempt_id.is_empty() || payload.attempt_id.len() > MAX_ATTEMPT_ID_LEN {
        return Err(not_found());
    }
    let key = attempt_key(&payload.attempt_id);
    let mut attempt: Attempt = state::user().get(&key).ok_or_else(not_found)?;
    let deadline = deadline_ms(config, attempt.started_at_ms);
    match attempt.status {
        Status::Submitted => {
            return Err(Error::rejected(
                "attempt_already_submitted",
                format!("attempt {} was already submitted", attempt.id),
            ));
        }
        Status::Expired => {
            return Err(time_limit_error(&attempt.id, deadline));
        }
        Status::InProgress if now > deadline => {
            return Err(time_limit_error(&attempt.id, deadline));
        }
        Status::InProgress => {}
    }

    let right = mark(config, &attempt.questions, &payload.answers)?;
    let mut base_score = 0u64;
    let mut correct = 0u32;
    for (qid, ok) in attempt.questions.iter().zip(&right) {
        if *ok {
            correct += 1;
            base_score += u64::from(config.question(qid).map_or(0, |q| q.points));
        }
    }
    let elapsed_ms = now - attempt.started_at_ms;
    let bonus = speed_bonus(config, elapsed_ms, correct);
    let result = AttemptResult {
        score: base_score + bonus,
        base_score,
        bonus,
        correct,
        total: attempt.questions.len() as u32,
        elapsed_ms,
        finished_at_ms: now,
        right: right.clone(),
    };
    attempt.status = Status::Submitted;
    attempt.result = Some(result.clone());
    state::user().set(&key, &attempt);

    let mut me: Me = state::user().get(ME_KEY).unwrap_or_default();
    if me.current.as_deref() == Some(attempt.id.as_str()) {
        me.current = None;
    }
    me.last_submitted = Some(attempt.id.clone());
    let entry = Entry {
        user_id: ctx.user_id.clone(),
        score: result.score,
        finished_at_ms: now,
        elapsed_ms,
    };
    let improves = me.best.as_ref().is_none_or(|b| {
        let old = Entry {
            user_id: ctx.user_id.clone(),
            score: b.score,
            finished_at_ms: b.finished_at_ms,
            elapsed_ms: b.elapsed_ms,
        };
        entry.rank_key() < old.rank_key()
    });
    if improves {
        me.best = Some(Best {
            attempt_id: attempt.id.clone(),
            score: result.score,
            correct,
            elapsed_ms,
            finished_at_ms: now,
        });
    }
    state::user().set(ME_KEY, &me);

    let mut board = load_leaderboard();
    if improves && place(&mut board, entry, config.ranked()) {
        state::activity().set(LEADERBOARD_KEY, &board);
    }
    let rank = board
        .iter()
        .position(|e| e.user_id == ctx.user_id)
        .map(|i| i + 1);
    let best_score = me.best.as_ref().map_or(0, |b| b.score);

    Ok(Outcome::new(json!({
        "attempt_id": attempt.id,
        "score": result.score,
        "base_score": base_score,
        "bonus": bonus,
        "correct": correct,
        "total": result.total,
        "elapsed_ms": elapsed_ms,
        "results": corrections(config, &attempt.questions, &right),
        "best_score": best_score,
        "rank": rank,
        "attempts_left": config.attempts_per_user.saturating_sub(me.used),
    }))
    .event(
        "quiz.attempt_submitted",
        &attempt.id,
        json!({
            "user_id": ctx.user_id,
            "score": result.score,
            "bonus": bonus,
            "correct": correct,
            "total": result.total,
            "elapsed_ms": elapsed_ms,
            "rank": rank,
        }),
    ))
}

fn time_limit_error(id: &str, deadline: i64) -> Error {
    Error::rejected(
        "time_limit_exceeded",
        format!("attempt {id} ran out of time at {deadline} ms"),
    )
}

fn close(ctx: &Context<Config>, timer: &Timer) -> Result<Outcome, Error> {
    let config = &ctx.config;
    if state::activity().get::<bool>(CLOSED_KEY).unwrap_or(false) {
        // Already closed: rewards were paid once, never again.
        return Ok(Outcome::new(json!({"already_closed": true})));
    }
    state::activity().set(CLOSED_KEY, &true);
    let board = load_leaderboard();
    let closed_at = clock::now_ms().max(timer.due_ms);
    let mut outcome = Outcome::new(serde_json::Value::Null);
    let mut granted = 0usize;
    let mut ranking = Vec::with_capacity(board.len());
    for (i, entry) in board.iter().enumerate() {
        let rank = i as u32 + 1;
        let mut rewards = Vec::new();
        for tier in config
            .rank_rewards
            .iter()
            .filter(|t| (t.from_rank..=t.to_rank).contains(&rank))
        {
            let reward = tier.reward.to_reward(closed_at).to(&entry.user_id);
            rewards.push(json!({
                "kind": kind_name(reward.kind),
                "item": reward.item,
                "amount": reward.amount,
            }));
            outcome = outcome.reward(reward);
            granted += 1;
        }
        ranking.push(json!({
            "rank": rank,
            "user_id": entry.user_id,
            "score": entry.score,
            "elapsed_ms": entry.elapsed_ms,
            "finished_at_ms": entry.finished_at_ms,
            "rewards": rewards,
        }));
    }
    outcome.result = json!({"closed": true, "ranked": board.len(), "rewards_granted": granted});
    Ok(outcome.event(
        "quiz.finished",
        &ctx.activity_id,
        json!({"closed_at_ms": closed_at, "ranking": ranking}),
    ))
}

fn kind_name(kind: RewardKind) -> &'static str {
    match kind {
        RewardKind::Prize => "prize",
        RewardKind::Points => "points",
        RewardKind::Coupon => "coupon",
        RewardKind::Tickets => "tickets",
    }
}

fn validate(config: &Config) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    if config.questions.is_empty() {
        errors.push(ConfigError::new(
            "questions",
            "at least one question is required",
        ));
    }
    let mut seen = HashSet::new();
    for (i, q) in config.questions.iter().enumerate() {
        let at = |f: &str| format!("questions[{i}].{f}");
        if q.id.is_empty() || q.id.len() > MAX_ID_LEN {
            errors.push(ConfigError::new(at("id"), "must be 1 to 64 characters"));
        }
        if !seen.insert(q.id.as_str()) {
            errors.push(ConfigError::new(
                at("id"),
                format!("duplicate question id {:?}", q.id),
            ));
        }
        if q.text.trim().is_empty() {
            errors.push(ConfigError::new(at("text"), "must not be empty"));
        }
        if q.options.len() < 2 {
            errors.push(ConfigError::new(
                at("options"),
                "at least two options are required",
            ));
        }
        let mut option_ids = HashSet::new();
        for (j, o) in q.options.iter().enumerate() {
            if o.id.is_empty() || o.id.len() > MAX_ID_LEN {
                errors.push(ConfigError::new(
                    format!("questions[{i}].options[{j}].id"),
                    "must be 1 to 64 characters",
                ));
            }
            if !option_ids.insert(o.id.as_str()) {
                errors.push(ConfigError::new(
                    format!("questions[{i}].options[{j}].id"),
                    format!("duplicate option id {:?}", o.id),
                ));
            }
            if o.text.trim().is_empty() {
                errors.push(ConfigError::new(
                    format!("questions[{i}].options[{j}].text"),
                    "must not be empty",
                ));
            }
        }
        match q.kind {
            QuestionKind::Single if q.answer.len() != 1 => errors.push(ConfigError::new(
                at("answer"),
                "a single-choice question has exactly one answer",
            )),
            QuestionKind::Multiple if q.answer.is_empty() => errors.push(ConfigError::new(
                at("answer"),
                "a multiple-choice question has at least one answer",
            )),
            _ => {}
        }
        let mut answer_ids = HashSet::new();
        for (j, a) in q.answer.iter().enumerate() {
            if !option_ids.contains(a.as_str()) {
                errors.push(ConfigError::new(
                    format!("questions[{i}].answer[{j}]"),
                    format!("{a:?} is not an option id of this question"),
                ));
            } else if !answer_ids.insert(a.as_str()) {
                errors.push(ConfigError::new(
                    format!("questions[{i}].answer[{j}]"),
                    format!("{a:?} is listed twice"),
                ));
            }
        }
    }
    let bank = config.questions.len() as u32;
    let n = config.questions_per_attempt;
    if n == 0 || n > MAX_QUESTIONS_PER_ATTEMPT || (!config.questions.is_empty() && n > bank) {
        errors.push(ConfigError::new(
            "questions_per_attempt",
            format!("must be 1 to the bank size ({bank}), at most {MAX_QUESTIONS_PER_ATTEMPT}"),
        ));
    }
    if !(1..=MAX_TIME_LIMIT_SECONDS).contains(&config.time_limit_seconds) {
        errors.push(ConfigError::new(
            "time_limit_seconds",
            format!("must be 1 to {MAX_TIME_LIMIT_SECONDS}"),
        ));
    }
    if !(1..=MAX_ATTEMPTS_PER_USER).contains(&config.attempts_per_user) {
        errors.push(ConfigError::new(
            "attempts_per_user",
            format!("must be 1 to {MAX_ATTEMPTS_PER_USER}"),
        ));
    }
    if let Some(b) = &config.speed_bonus {
        if b.max_points == 0 {
            errors.push(ConfigError::new(
                "speed_bonus.max_points",
                "must be at least 1",
            ));
        }
        if b.min_correct > n {
            errors.push(ConfigError::new(
                "speed_bonus.min_correct",
                "must not exceed questions_per_attempt",
            ));
        }
    }
    if config.closes_at_ms <= 0 {
        errors.push(ConfigError::new(
            "closes_at_ms",
            "must be a time in milliseconds since the Unix epoch",
        ));
    }
    if !(1..=MAX_RANKED).contains(&config.leaderboard_size) {
        errors.push(ConfigError::new(
            "leaderboard_size",
            format!("must be 1 to {MAX_RANKED}"),
        ));
    }
    for (i, tier) in config.rank_rewards.iter().enumerate() {
        let at = |f: &str| format!("rank_rewards[{i}].{f}");
        if tier.from_rank == 0 {
            errors.push(ConfigError::new(at("from_rank"), "ranks start at 1"));
        }
        if tier.to_rank < tier.from_rank || tier.to_rank > MAX_RANKED {
            errors.push(ConfigError::new(
                at("to_rank"),
                format!("must be from from_rank to {MAX_RANKED}"),
            ));
        }
        let r = &tier.reward;
        if r.amount <= 0 {
            errors.push(ConfigError::new(at("reward.amount"), "must be positive"));
        }
        let needs_id = r.kind != SpecKind::Points;
        if needs_id && (r.id.is_empty() || r.id.len() > MAX_ID_LEN) {
            errors.push(ConfigError::new(
                at("reward.id"),
                "must be 1 to 64 characters",
            ));
        }
        if r.kind == SpecKind::Tickets && r.id == wallet::POINTS {
            errors.push(ConfigError::new(
                at("reward.id"),
                "a ticket balance cannot be \"points\"; use kind points",
            ));
        }
        if r.valid_days.is_some() && r.kind != SpecKind::Coupon {
            errors.push(ConfigError::new(
                at("reward.valid_days"),
                "only coupons expire",
            ));
        }
        if r.valid_days == Some(0) {
            errors.push(ConfigError::new(
                at("reward.valid_days"),
                "must be at least 1",
            ));
        }
    }
    errors
}

/// The JSON Schema of the config.
fn config_schema() -> serde_json::Value {
    json!({
        "type": "object",
        "required": ["questions", "questions_per_attempt", "time_limit_seconds", "closes_at_ms"],
        "additionalProperties": false,
        "properties": {
            "questions": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["id", "text", "kind", "options", "answer"],
                    "additionalProperties": false,
                    "properties": {
                        "id": {"type": "string", "minLength": 1, "maxLength": MAX_ID_LEN},
                        "text": {"type": "string", "minLength": 1},
                        "kind": {"enum": ["single", "multiple"]},
                        "options": {
                            "type": "array",
                            "minItems": 2,
                            "items": {
                                "type": "object",
                                "required": ["id", "text"],
                                "additionalProperties": false,
                                "properties": {
                                    "id": {"type": "string", "minLength": 1, "maxLength": MAX_ID_LEN},
                                    "text": {"type": "string", "minLength": 1}
                                }
                            }
                        },
                        "answer": {"type": "array", "minItems": 1, "uniqueItems": true, "items": {"type": "string"}},
                        "points": {"type": "integer", "minimum": 0, "default": 10}
                    }
                }
            },
            "questions_per_attempt": {"type": "integer", "minimum": 1, "maximum": MAX_QUESTIONS_PER_ATTEMPT},
            "time_limit_seconds": {"type": "integer", "minimum": 1, "maximum": MAX_TIME_LIMIT_SECONDS},
            "attempts_per_user": {"type": "integer", "minimum": 1, "maximum": MAX_ATTEMPTS_PER_USER, "default": 1},
            "speed_bonus": {
                "type": ["object", "null"],
                "required": ["max_points"],
                "additionalProperties": false,
                "properties": {
                    "max_points": {"type": "integer", "minimum": 1},
                    "min_correct": {"type": "integer", "minimum": 0, "default": 1}
                }
            },
            "closes_at_ms": {"type": "integer", "minimum": 1},
            "rank_rewards": {
                "type": "array",
                "default": [],
                "items": {
                    "type": "object",
                    "required": ["from_rank", "to_rank", "reward"],
                    "additionalProperties": false,
                    "properties": {
                        "from_rank": {"type": "integer", "minimum": 1},
                        "to_rank": {"type": "integer", "minimum": 1, "maximum": MAX_RANKED},
                        "reward": {
                            "type": "object",
                            "required": ["kind"],
                            "additionalProperties": false,
                            "properties": {
                                "kind": {"enum": ["points", "coupon", "prize", "tickets"]},
                                "id": {"type": "string", "maxLength": MAX_ID_LEN},
                                "name": {"type": "string"},
                                "amount": {"type": "integer", "minimum": 1, "default": 1},
                                "valid_days": {"type": ["integer", "null"], "minimum": 1}
                            }
                        }
                    }
                }
            },
            "leaderboard_size": {"type": "integer", "minimum": 1, "maximum": MAX_RANKED, "default": 10}
        }
    })
}

/// The mechanic.
pub struct Quiz;

impl Mechanic for Quiz {
    type Config = Config;

    fn manifest() -> Manifest {
        Manifest::new(
            "quiz",
            env!("CARGO_PKG_VERSION"),
            "Quiz (知识问答): each attempt draws random questions from a bank under a time \
             limit; exact answers score their points, plus an optional speed bonus. Each \
             user's best attempt goes on a leaderboard, and when the quiz closes the top \
             ranks receive rewards.",
        )
        .action(
            "start",
            "Start an attempt: draw the questions (without answers) and start the clock.",
            json!({"type": "object", "additionalProperties": false}),
        )
        .action(
            "submit",
            "Submit an attempt's answers and get its score and corrections.",
            json!({
                "type": "object",
                "required": ["attempt_id"],
                "additionalProperties": false,
                "properties": {
                    "attempt_id": {"type": "string", "minLength": 1},
                    "answers": {
                        "type": "object",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}}
                    }
                }
            }),
        )
        .config_schema(config_schema())
    }

    fn validate(config: &Config) -> Result<Setup, Vec<ConfigError>> {
        let errors = validate(config);
        if errors.is_empty() {
            Ok(Setup::default())
        } else {
            Err(errors)
        }
    }

    fn handle(ctx: &Context<Config>, action: &Action) -> Result<Outcome, Error> {
        match action.name.as_str() {
            "start" => start(ctx),
            "submit" => submit(ctx, action),
            other => Err(Error::unknown_action(other)),
        }
    }

    fn on_timer(ctx: &Context<Config>, timer: &Timer) -> Result<Outcome, Error> {
        match timer.name.as_str() {
            CLOSE_TIMER => close(ctx, timer),
            other => Err(Error::rejected(
                "unknown_timer",
                format!("this mechanic schedules no timer {other:?}"),
            )),
        }
    }

    fn view(ctx: &Context<Config>) -> Result<arcade_sdk::Value, Error> {
        let config = &ctx.config;
        let now = clock::now_ms();
        let closed = is_closed(config, now);
        let board = load_leaderboard();
        let shown = config.leaderboard_size as usize;
        let leaderboard: Vec<_> = board
            .iter()
            .take(shown)
            .enumerate()
            .map(|(i, e)| {
                json!({
                    "rank": i + 1,
                    "user_id": e.user_id,
                    "score": e.score,
                    "elapsed_ms": e.elapsed_ms,
                    "finished_at_ms": e.finished_at_ms,
                })
            })
            .collect();
        let mut view = json!({
            "closed": closed,
            "closes_at_ms": config.closes_at_ms,
            "attempts_per_user": config.attempts_per_user,
            "questions_per_attempt": config.questions_per_attempt,
            "time_limit_seconds": config.time_limit_seconds,
            "leaderboard": leaderboard,
        });
        if ctx.user_id.is_empty() {
            return Ok(view);
        }

        let me: Me = state::user().get(ME_KEY).unwrap_or_default();
        // The attempt in progress, unless its time (or the quiz) is over.
        let current = me
            .current
            .as_deref()
            .and_then(|id| state::user().get::<Attempt>(&attempt_key(id)))
            .filter(|a| a.status == Status::InProgress)
            .filter(|a| !closed && now <= deadline_ms(config, a.started_at_ms))
            .map(|a| {
                let deadline = deadline_ms(config, a.started_at_ms).min(config.closes_at_ms);
                json!({
                    "attempt_id": a.id,
                    "questions": public_questions(config, &a.questions),
                    "started_at_ms": a.started_at_ms,
                    "deadline_ms": deadline,
                    "time_left_ms": (deadline - now).max(0),
                })
            });
        let last_result = me
            .last_submitted
            .as_deref()
            .and_then(|id| state::user().get::<Attempt>(&attempt_key(id)))
            .and_then(|a| {
                let r = a.result?;
                Some(json!({
                    "attempt_id": a.id,
                    "score": r.score,
                    "base_score": r.base_score,
                    "bonus": r.bonus,
                    "correct": r.correct,
                    "total": r.total,
                    "elapsed_ms": r.elapsed_ms,
                    "finished_at_ms": r.finished_at_ms,
                    "results": corrections(config, &a.questions, &r.right),
                }))
            });
        let rank = board
            .iter()
            .position(|e| e.user_id == ctx.user_id)
            .map(|i| i + 1);
        let best = me.best.as_ref().map(|b| {
            json!({
                "attempt_id": b.attempt_id,
                "score": b.score,
                "correct": b.correct,
                "elapsed_ms": b.elapsed_ms,
                "finished_at_ms": b.finished_at_ms,
            })
        });
        let extra = json!({
            "attempts_used": me.used,
            "attempts_left": config.attempts_per_user.saturating_sub(me.used),
            "current_attempt": current,
            "best": best,
            "rank": rank,
            "last_result": last_result,
        });
        if let (Some(v), Some(e)) = (view.as_object_mut(), extra.as_object()) {
            v.extend(e.clone());
        }
        Ok(view)
    }
}

arcade_sdk::export!(Quiz);

#[cfg(test)]
mod tests;
