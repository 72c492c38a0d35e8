//! Drawing questions, hiding their answers, marking and scoring.

use arcade_sdk::{Error, Value, json, random};
use std::collections::{BTreeMap, BTreeSet};

use crate::config::{Config, Question};

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

/// A question as the player sees it: no answer.
fn public_question(q: &Question) -> Value {
    json!({
        "id": q.id,
        "text": q.text,
        "kind": q.kind,
        "options": q.options,
        "points": q.points,
    })
}

/// The questions `ids` as the player sees them: no answers.
pub fn public_questions(config: &Config, ids: &[String]) -> Vec<Value> {
    ids.iter()
        .filter_map(|id| config.question(id))
        .map(public_question)
        .collect()
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

/// Which drawn questions `answers` gets exactly right; refuses a question
/// not drawn and an option the question does not have.
pub fn mark(
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

/// The corrections of a submitted attempt: each question's answer and the
/// points it scored.
pub fn corrections(config: &Config, questions: &[String], right: &[bool]) -> Vec<Value> {
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
