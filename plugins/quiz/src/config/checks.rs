//! The config's checks: every problem, each naming its field.

use arcade_sdk::ConfigError;
use std::collections::HashSet;

use super::{
    Config, MAX_ATTEMPTS_PER_USER, MAX_ID_LEN, MAX_QUESTIONS_PER_ATTEMPT, MAX_RANKED,
    MAX_TIME_LIMIT_SECONDS, QuestionKind,
};

impl Config {
    /// Every problem with the config, each naming its field.
    pub fn problems(&self) -> Vec<ConfigError> {
        let mut errors = Vec::new();
        if self.questions.is_empty() {
            errors.push(ConfigError::new(
                "questions",
                "at least one question is required",
            ));
        }
        self.check_questions(&mut errors);
        self.check_limits(&mut errors);
        self.check_rank_rewards(&mut errors);
        errors
    }

    fn check_questions(&self, errors: &mut Vec<ConfigError>) {
        let mut seen = HashSet::new();
        for (i, q) in self.questions.iter().enumerate() {
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
    }

    fn check_limits(&self, errors: &mut Vec<ConfigError>) {
        let bank = self.questions.len() as u32;
        let n = self.questions_per_attempt;
        if n == 0 || n > MAX_QUESTIONS_PER_ATTEMPT || (!self.questions.is_empty() && n > bank) {
            errors.push(ConfigError::new(
                "questions_per_attempt",
                format!("must be 1 to the bank size ({bank}), at most {MAX_QUESTIONS_PER_ATTEMPT}"),
            ));
        }
        if !(1..=MAX_TIME_LIMIT_SECONDS).contains(&self.time_limit_seconds) {
            errors.push(ConfigError::new(
                "time_limit_seconds",
                format!("must be 1 to {MAX_TIME_LIMIT_SECONDS}"),
            ));
        }
        if !(1..=MAX_ATTEMPTS_PER_USER).contains(&self.attempts_per_user) {
            errors.push(ConfigError::new(
                "attempts_per_user",
                format!("must be 1 to {MAX_ATTEMPTS_PER_USER}"),
            ));
        }
        if let Some(b) = &self.speed_bonus {
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
        if self.closes_at_ms <= 0 {
            errors.push(ConfigError::new(
                "closes_at_ms",
                "must be a time in milliseconds since the Unix epoch",
            ));
        }
        if !(1..=MAX_RANKED).contains(&self.leaderboard_size) {
            errors.push(ConfigError::new(
                "leaderboard_size",
                format!("must be 1 to {MAX_RANKED}"),
            ));
        }
    }

    fn check_rank_rewards(&self, errors: &mut Vec<ConfigError>) {
        for (i, tier) in self.rank_rewards.iter().enumerate() {
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
            tier.reward.validate(&at("reward"), errors);
        }
    }
}
