//! Invariants over random schedules of check-ins and make-ups.
use super::*;
use std::collections::BTreeSet;

/// One step of a random schedule.
#[derive(Debug, Clone)]
enum Step {
    /// Move the clock forward by this many milliseconds, then check in.
    CheckIn(i64),
    /// Move the clock forward, then make up the day this many days back.
    MakeUp(i64, i64),
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    prop_oneof![
        (0..3 * DAY_MS).prop_map(Step::CheckIn),
        (0..2 * DAY_MS, -1i64..12).prop_map(|(ms, back)| Step::MakeUp(ms, back)),
    ]
}

proptest::proptest! {
    /// For any schedule of check-ins and make-ups at arbitrary times and in
    /// any UTC offset: no day is counted twice, the streak never exceeds
    /// the total, and the streak is the run of checked days ending today
    /// or yesterday.
    #[test]
    fn streak_and_total_match_the_set_of_days(
        steps in proptest::collection::vec(step(), 1..60),
        offset_minutes in -12 * 60i32..=14 * 60,
        start in 0i64..DAY_MS,
    ) {
        let mut h = host(json!({
            "cycle_rewards": week(),
            "makeup": {"window_days": 7, "per_month": 4},
        }));
        h.set_utc_offset_minutes(offset_minutes);
        let offset_ms = i64::from(offset_minutes) * 60_000;
        let mut now = JAN1 * DAY_MS + start;
        let mut days = BTreeSet::new();
        for s in steps {
            let (advance, back) = match s {
                Step::CheckIn(ms) => (ms, None),
                Step::MakeUp(ms, back) => (ms, Some(back)),
            };
            now += advance;
            h.set_now_ms(now);
            let today = (now + offset_ms).div_euclid(DAY_MS);
            match back {
                None => match check_in(&mut h, "u") {
                    Ok(out) => {
                        proptest::prop_assert!(days.insert(today));
                        proptest::prop_assert_eq!(&out.result["day"], &json!(civil::format_day(today)));
                    }
                    Err(e) => {
                        proptest::prop_assert_eq!(e.code.as_str(), "already_checked_in");
                        proptest::prop_assert!(days.contains(&today));
                    }
                },
                Some(back) => {
                    let day = today - back;
                    let res = h.handle::<CheckIn>("u", "make_up", json!({"day": civil::format_day(day)}));
                    match res {
                        Ok(_) => {
                            proptest::prop_assert!((1..=7).contains(&back));
                            proptest::prop_assert!(days.insert(day));
                        }
                        Err(e) if e.code == "day_not_missed" => proptest::prop_assert!(days.contains(&day)),
                        Err(e) => proptest::prop_assert!(
                            ["outside_makeup_window", "makeup_limit_reached"].contains(&e.code.as_str()),
                            "unexpected {:?}", e
                        ),
                    }
                }
            }
            let view = h.view::<CheckIn>("u").unwrap();
            let total = view["total"].as_u64().unwrap();
            let streak = view["streak"].as_u64().unwrap();
            proptest::prop_assert_eq!(total, days.len() as u64);
            proptest::prop_assert!(streak <= total);
            let end = if days.contains(&today) { today } else { today - 1 };
            let mut run = 0;
            while days.contains(&(end - run)) {
                run += 1;
            }
            proptest::prop_assert_eq!(streak, run as u64);
            proptest::prop_assert_eq!(view["checked_in_today"].as_bool(), Some(days.contains(&today)));
        }
    }
}
