//! Invariants over random draws and answers.
use super::*;
use std::collections::HashSet;

proptest::proptest! {
    /// Whatever the seed, an attempt draws N distinct questions of the bank.
    #[test]
    fn draws_are_distinct_questions_of_the_bank(
        bank_size in 1usize..30,
        pick in 0usize..30,
        seed in proptest::prelude::any::<u64>(),
    ) {
        let n = 1 + pick % bank_size;
        let mut h = host(json!({
            "questions": bank(bank_size),
            "questions_per_attempt": n,
            "time_limit_seconds": 60,
            "closes_at_ms": CLOSES,
        }));
        h.seed(seed);
        let (_, qs) = start(&mut h, "u");
        proptest::prop_assert_eq!(qs.len(), n);
        let distinct: HashSet<_> = qs.iter().collect();
        proptest::prop_assert_eq!(distinct.len(), n);
        for q in &qs {
            proptest::prop_assert!(q[1..].parse::<usize>().unwrap() < bank_size);
        }
    }

    /// The score is the points of the exactly right questions, plus a
    /// bonus within `0..=max_points`.
    #[test]
    fn the_score_is_the_points_of_exact_answers_plus_a_bounded_bonus(
        seed in proptest::prelude::any::<u64>(),
        choices in proptest::collection::vec(proptest::collection::btree_set(0usize..4, 0..4), 5),
        elapsed in 0i64..=60_000,
        bonus in proptest::option::of(1u32..50),
    ) {
        let mut c = json!({
            "questions": bank(8),
            "questions_per_attempt": 5,
            "time_limit_seconds": 60,
            "closes_at_ms": CLOSES,
        });
        if let Some(b) = bonus {
            c["speed_bonus"] = json!({"max_points": b});
        }
        let mut h = host(c);
        h.seed(seed);
        let (id, qs) = start(&mut h, "u");
        let ids = ["a", "b", "c", "d"];
        let mut expected = 0u64;
        let mut answers = serde_json::Map::new();
        for (q, chosen) in qs.iter().zip(&choices) {
            let chosen: Vec<&str> = chosen.iter().map(|i| ids[*i]).collect();
            let mut right = correct_answer(q);
            right.sort();
            if chosen == right {
                expected += points(q);
            }
            answers.insert(q.clone(), json!(chosen));
        }
        h.set_now_ms(T0 + elapsed);
        let out = submit(&mut h, "u", &id, serde_json::Value::Object(answers)).unwrap();
        let score = out.result["score"].as_u64().unwrap();
        let got_bonus = out.result["bonus"].as_u64().unwrap();
        proptest::prop_assert_eq!(out.result["base_score"].as_u64().unwrap(), expected);
        proptest::prop_assert_eq!(score, expected + got_bonus);
        proptest::prop_assert!(got_bonus <= u64::from(bonus.unwrap_or(0)));
        if expected == 0 {
            proptest::prop_assert_eq!(got_bonus, 0);
        }
    }
}
