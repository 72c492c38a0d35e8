//! Unit tests against the SDK's mock host (UTC+8 unless set otherwise).
use super::*;
use arcade_sdk::testing::MockHost;
use arcade_sdk::{DAY_MS, ErrorKind, Reward, RewardKind};
use std::collections::BTreeSet;

/// Day number of 2026-01-01, the mock's first day.
const JAN1: i64 = 20_454;
const HOUR: i64 = 3_600_000;

fn host(config: Value) -> MockHost {
    let mut host = MockHost::new(&config.to_string());
    host.setup::<CheckIn>().expect("valid config");
    host
}

/// Set the clock to `ms_of_day` local time (UTC+8) on day `JAN1 + day`.
fn at(h: &mut MockHost, day: i64, ms_of_day: i64) {
    h.set_now_ms((JAN1 + day) * DAY_MS - 8 * HOUR + ms_of_day);
}

/// Noon local time on day `JAN1 + day`.
fn noon(h: &mut MockHost, day: i64) {
    at(h, day, 12 * HOUR);
}

fn check_in(h: &mut MockHost, user: &str) -> Result<arcade_sdk::testing::MockOutcome, Error> {
    h.handle::<CheckIn>(user, "check_in", json!({}))
}

fn make_up(
    h: &mut MockHost,
    user: &str,
    day: i64,
) -> Result<arcade_sdk::testing::MockOutcome, Error> {
    h.handle::<CheckIn>(
        user,
        "make_up",
        json!({"day": civil::format_day(JAN1 + day)}),
    )
}

fn week() -> Value {
    json!(
        (1..=7)
            .map(|i| json!({"points": i * 10}))
            .collect::<Vec<_>>()
    )
}

fn basic() -> MockHost {
    host(json!({"cycle_rewards": week()}))
}

fn with_makeup(makeup: Value) -> MockHost {
    host(json!({"cycle_rewards": week(), "makeup": makeup}))
}

#[test]
fn config_errors_name_the_field() {
    let fields = |config: Value| -> Vec<String> {
        let mut h = MockHost::new(&config.to_string());
        h.setup::<CheckIn>()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect()
    };
    assert_eq!(fields(json!({"cycle_rewards": []})), ["cycle_rewards"]);
    assert_eq!(fields(json!({})), [""]);
    assert_eq!(
        fields(json!({"cycle_rewards": [{"points": 1}], "bogus": 1})),
        ["bogus"]
    );
    assert_eq!(
        fields(
            json!({"cycle_rewards": [{"points": 0}, {"coupon": {"id": "", "name": "C", "value_fen": 0, "valid_days": 0}}]})
        ),
        [
            "cycle_rewards[0].points",
            "cycle_rewards[1].coupon.id",
            "cycle_rewards[1].coupon.value_fen",
            "cycle_rewards[1].coupon.valid_days"
        ]
    );
    assert_eq!(
        fields(json!({"cycle_rewards": [{"tickets": {"name": "points", "amount": 0}}]})),
        [
            "cycle_rewards[0].tickets.name",
            "cycle_rewards[0].tickets.amount"
        ]
    );
    assert_eq!(
        fields(json!({"cycle_rewards": [{"points": 1}], "milestones": [
            {"days": 7, "reward": {"points": 5}},
            {"days": 7, "reward": {"prize": {"id": "mug", "name": ""}}},
            {"days": 0, "reward": {"points": 5}}
        ]})),
        [
            "milestones[1].days",
            "milestones[1].reward.prize.name",
            "milestones[2].days"
        ]
    );
    assert_eq!(
        fields(json!({"cycle_rewards": [{"points": 1}],
                      "makeup": {"window_days": 0, "per_month": 0, "cost_points": 0}})),
        [
            "makeup.window_days",
            "makeup.per_month",
            "makeup.cost_points"
        ]
    );
    assert_eq!(
        fields(
            json!({"cycle_rewards": [{"points": 1}], "makeup": {"window_days": 366, "per_month": 1}})
        ),
        ["makeup.window_days"]
    );
    // serde's own errors name the path too.
    assert_eq!(
        fields(json!({"cycle_rewards": [{"points": 1}, {"cash": 3}]})),
        ["cycle_rewards[1]"]
    );
    assert_eq!(
        fields(json!({"cycle_rewards": [{"points": 1}], "makeup": {"window_days": 3}})),
        ["makeup"]
    );
}

#[test]
fn business_day_follows_the_activity_zone() {
    let mut h = basic();
    // 23:59:59.9 local on Jan 1, then 00:00:00.1 local on Jan 2 (UTC+8):
    // both are 2026-01-01 in UTC, but two business days.
    at(&mut h, 0, DAY_MS - 100);
    let first = check_in(&mut h, "u").unwrap();
    assert_eq!(first.result["day"], "2026-01-01");
    at(&mut h, 1, 100);
    let second = check_in(&mut h, "u").unwrap();
    assert_eq!(second.result["day"], "2026-01-02");
    assert_eq!(second.result["streak"], 2);
    // Later the same local day (still Jan 2 UTC+8, already Jan 2 UTC too).
    at(&mut h, 1, DAY_MS - 1);
    let err = check_in(&mut h, "u").unwrap_err();
    assert_eq!(err.code, "already_checked_in");
    assert_eq!(err.kind, ErrorKind::Rejected);
    // Early morning local is still the previous UTC day: the same business day.
    at(&mut h, 2, HOUR);
    check_in(&mut h, "u").unwrap();
    at(&mut h, 2, 7 * HOUR);
    assert_eq!(
        check_in(&mut h, "u").unwrap_err().code,
        "already_checked_in"
    );
    let view = h.view::<CheckIn>("u").unwrap();
    assert_eq!(view["total"], 3);
    assert_eq!(view["streak"], 3);
    assert_eq!(view["checked_in_today"], true);
}

#[test]
fn another_zone_moves_the_day_boundary() {
    let mut h = basic();
    h.set_utc_offset_minutes(-5 * 60);
    // 2026-01-01T03:00Z is 22:00 on Dec 31 in UTC-5.
    h.set_now_ms(JAN1 * DAY_MS + 3 * HOUR);
    assert_eq!(check_in(&mut h, "u").unwrap().result["day"], "2025-12-31");
    h.set_now_ms(JAN1 * DAY_MS + 6 * HOUR);
    assert_eq!(check_in(&mut h, "u").unwrap().result["day"], "2026-01-01");
}

#[test]
fn users_are_independent() {
    let mut h = basic();
    check_in(&mut h, "a").unwrap();
    check_in(&mut h, "b").unwrap();
    assert_eq!(
        check_in(&mut h, "a").unwrap_err().code,
        "already_checked_in"
    );
}

#[test]
fn a_missed_day_breaks_the_streak() {
    let mut h = basic();
    for day in [0, 1, 2] {
        noon(&mut h, day);
        check_in(&mut h, "u").unwrap();
    }
    // Day 3 missed: on day 3 the streak is still alive (ends yesterday)...
    noon(&mut h, 3);
    assert_eq!(h.view::<CheckIn>("u").unwrap()["streak"], 3);
    // ...on day 4 it is gone.
    noon(&mut h, 4);
    let view = h.view::<CheckIn>("u").unwrap();
    assert_eq!(view["streak"], 0);
    assert_eq!(view["next_cycle_day"], 1);
    let out = check_in(&mut h, "u").unwrap();
    assert_eq!(out.result["streak"], 1);
    assert_eq!(out.result["cycle_day"], 1);
    assert_eq!(out.result["total"], 4);
    assert_eq!(out.rewards, vec![Reward::points(10).to("u")]);
}

#[test]
fn cycle_rewards_repeat_with_the_cycle_length() {
    let mut h = host(json!({"cycle_rewards": [
        {"points": 5},
        {"tickets": {"name": "spins", "amount": 1}},
        {"coupon": {"id": "c10", "name": "10 yuan off", "value_fen": 1000, "valid_days": 3}}
    ]}));
    let mut kinds = Vec::new();
    for day in 0..8 {
        noon(&mut h, day);
        let out = check_in(&mut h, "u").unwrap();
        assert_eq!(out.result["streak"], day + 1);
        assert_eq!(out.result["cycle_day"], day % 3 + 1);
        assert_eq!(out.result["cycle_length"], 3);
        assert_eq!(out.rewards.len(), 1);
        kinds.push(out.rewards[0].kind);
        if out.rewards[0].kind == RewardKind::Coupon {
            assert_eq!(out.rewards[0].amount, 1000);
            assert_eq!(out.rewards[0].expires_ms, Some(h_now(day) + 3 * DAY_MS));
        }
    }
    use RewardKind::*;
    assert_eq!(
        kinds,
        [
            Points, Tickets, Coupon, Points, Tickets, Coupon, Points, Tickets
        ]
    );
    assert_eq!(h.balance("u", "points"), 15);
    assert_eq!(h.balance("u", "spins"), 3);
    let view = h.view::<CheckIn>("u").unwrap();
    assert_eq!(view["next_cycle_day"], 3);
    assert_eq!(view["next_cycle_reward"]["kind"], "coupon");
}

fn h_now(day: i64) -> i64 {
    (JAN1 + day) * DAY_MS - 8 * HOUR + 12 * HOUR
}

#[test]
fn milestones_are_granted_once() {
    let mut h = host(json!({
        "cycle_rewards": [{"points": 1}],
        "milestones": [
            {"days": 3, "reward": {"prize": {"id": "mug", "name": "Mug"}}},
            {"days": 2, "reward": {"points": 100}}
        ]
    }));
    let mut granted = Vec::new();
    // Gaps do not matter: milestones count the total, not the streak.
    for day in [0, 2, 3, 5, 6, 9] {
        noon(&mut h, day);
        let out = check_in(&mut h, "u").unwrap();
        for r in &out.rewards[1..] {
            granted.push((out.result["total"].as_u64().unwrap(), r.kind));
        }
        assert_eq!(out.events.len(), out.rewards.len() - 1);
    }
    assert_eq!(granted, [(2, RewardKind::Points), (3, RewardKind::Prize)]);
    assert_eq!(h.balance("u", "points"), 6 + 100);
    let view = h.view::<CheckIn>("u").unwrap();
    assert_eq!(view["milestones"][0]["days"], 2);
    assert_eq!(view["milestones"][1]["reached"], true);
    assert!(view["next_milestone"].is_null());
}

#[test]
fn a_make_up_reconnects_the_streak() {
    let mut h = with_makeup(json!({"window_days": 7, "per_month": 3}));
    for day in [0, 1, 3] {
        noon(&mut h, day);
        check_in(&mut h, "u").unwrap();
    }
    assert_eq!(h.view::<CheckIn>("u").unwrap()["streak"], 1);
    let out = make_up(&mut h, "u", 2).unwrap();
    assert!(out.rewards.is_empty(), "a make-up earns no cycle reward");
    assert_eq!(out.result["streak"], 4);
    assert_eq!(out.result["total"], 4);
    assert_eq!(out.result["makeups_left_this_month"], 2);
    noon(&mut h, 4);
    let out = check_in(&mut h, "u").unwrap();
    assert_eq!(out.result["streak"], 5);
    assert_eq!(out.result["cycle_day"], 5);
    assert_eq!(out.rewards, vec![Reward::points(50).to("u")]);

    // A make-up of yesterday keeps a streak alive past today's check-in.
    noon(&mut h, 6);
    assert_eq!(h.view::<CheckIn>("u").unwrap()["streak"], 0);
    assert_eq!(make_up(&mut h, "u", 5).unwrap().result["streak"], 6);
    assert_eq!(check_in(&mut h, "u").unwrap().result["streak"], 7);
}

#[test]
fn make_up_refusals() {
    let mut h = basic();
    assert_eq!(
        make_up(&mut h, "u", -1).unwrap_err().code,
        "makeup_disabled"
    );

    let mut h = with_makeup(json!({"window_days": 3, "per_month": 5}));
    noon(&mut h, 1);
    // No check-in yet: nothing can be made up.
    let err = make_up(&mut h, "u", 0).unwrap_err();
    assert_eq!(err.code, "outside_makeup_window");
    check_in(&mut h, "u").unwrap();
    noon(&mut h, 8);
    for bad in ["2026-1-05", "2026-02-30", "yesterday", ""] {
        let err = h
            .handle::<CheckIn>("u", "make_up", json!({"day": bad}))
            .unwrap_err();
        assert_eq!(
            (err.kind, err.code.as_str()),
            (ErrorKind::InvalidInput, "invalid_day")
        );
    }
    let err = h.handle::<CheckIn>("u", "make_up", json!({})).unwrap_err();
    assert_eq!(err.code, "invalid_payload");
    let err = h
        .handle::<CheckIn>("u", "check_in", json!({"x": 1}))
        .unwrap_err();
    assert_eq!(err.code, "invalid_payload");
    // Today, the future, and older than the window (day 8 - 3 = day 5).
    for day in [8, 9, 4, 0] {
        let err = make_up(&mut h, "u", day).unwrap_err();
        assert_eq!(err.code, "outside_makeup_window", "day {day}");
    }
    check_in(&mut h, "u").unwrap();
    make_up(&mut h, "u", 7).unwrap();
    // Before the first check-in (day 1) is outside the window even if recent.
    let mut h2 = with_makeup(json!({"window_days": 3, "per_month": 5}));
    noon(&mut h2, 5);
    check_in(&mut h2, "u").unwrap();
    noon(&mut h2, 6);
    assert_eq!(
        make_up(&mut h2, "u", 4).unwrap_err().code,
        "outside_makeup_window"
    );

    // A checked day and a made-up day are not missed.
    noon(&mut h, 9);
    let err = make_up(&mut h, "u", 8).unwrap_err();
    assert_eq!(err.code, "day_not_missed");
    assert!(err.message.contains("checked in"));
    let err = make_up(&mut h, "u", 7).unwrap_err();
    assert_eq!(err.code, "day_not_missed");
    assert!(err.message.contains("made up"));
    assert_eq!(
        h.handle::<CheckIn>("u", "dance", json!({}))
            .unwrap_err()
            .code,
        "unknown_action"
    );
}

#[test]
fn make_ups_are_limited_per_calendar_month() {
    let mut h = with_makeup(json!({"window_days": 10, "per_month": 2}));
    // Check in on Jan 20, then make up days in late January.
    noon(&mut h, 19);
    check_in(&mut h, "u").unwrap();
    noon(&mut h, 29); // Jan 30
    make_up(&mut h, "u", 21).unwrap();
    make_up(&mut h, "u", 23).unwrap();
    let err = make_up(&mut h, "u", 25).unwrap_err();
    assert_eq!(err.code, "makeup_limit_reached");
    assert_eq!(
        h.view::<CheckIn>("u").unwrap()["makeup"]["left_this_month"],
        0
    );
    // On Feb 1 the count starts again, even for a January day.
    noon(&mut h, 31);
    assert_eq!(
        h.view::<CheckIn>("u").unwrap()["makeup"]["left_this_month"],
        2
    );
    make_up(&mut h, "u", 25).unwrap();
    assert_eq!(h.view::<CheckIn>("u").unwrap()["total"], 4);
}

#[test]
fn make_ups_cost_points_and_refusals_write_nothing() {
    let mut h = with_makeup(json!({"window_days": 7, "per_month": 5, "cost_points": 30}));
    h.set_balance("u", "points", 45);
    noon(&mut h, 0);
    check_in(&mut h, "u").unwrap(); // +10 points: 55
    noon(&mut h, 4);
    let out = make_up(&mut h, "u", 1).unwrap();
    assert_eq!(out.result["cost_points"], 30);
    assert_eq!(h.balance("u", "points"), 25);
    let err = make_up(&mut h, "u", 2).unwrap_err();
    assert_eq!(err.code, "insufficient_points");
    assert_eq!(h.balance("u", "points"), 25);
    let view = h.view::<CheckIn>("u").unwrap();
    assert_eq!(view["total"], 2);
    assert_eq!(view["makeup"]["used_this_month"], 1);
    // Day-2 stays missed and can still be made up once the points are there.
    h.set_balance("u", "points", 30);
    assert_eq!(make_up(&mut h, "u", 2).unwrap().result["streak"], 0);
    assert_eq!(h.balance("u", "points"), 0);
}

#[test]
fn milestones_count_make_ups() {
    let mut h = host(json!({
        "cycle_rewards": [{"points": 1}],
        "milestones": [{"days": 2, "reward": {"points": 100}}],
        "makeup": {"window_days": 5, "per_month": 5}
    }));
    check_in(&mut h, "u").unwrap();
    noon(&mut h, 3);
    let out = make_up(&mut h, "u", 1).unwrap();
    assert_eq!(out.result["milestones_reached"], json!([2]));
    assert_eq!(out.rewards, vec![Reward::points(100).to("u")]);
    assert_eq!(out.events[0].kind, "check_in.milestone_reached");
    assert!(check_in(&mut h, "u").unwrap().rewards.len() == 1);
}

#[test]
fn the_calendar_shows_the_current_month() {
    let mut h = with_makeup(json!({"window_days": 3, "per_month": 5}));
    noon(&mut h, 2); // Jan 3
    check_in(&mut h, "u").unwrap();
    noon(&mut h, 6); // Jan 7
    make_up(&mut h, "u", 4).unwrap(); // Jan 5
    let view = h.view::<CheckIn>("u").unwrap();
    assert_eq!(view["calendar"]["month"], "2026-01");
    let days = view["calendar"]["days"].as_array().unwrap();
    assert_eq!(days.len(), 31);
    let status: Vec<&str> = days.iter().map(|d| d["status"].as_str().unwrap()).collect();
    assert_eq!(
        &status[..9],
        [
            "missed", "missed", "checked", "missed", "made_up", "missed", "today", "future",
            "future"
        ]
    );
    assert_eq!(days[0]["can_make_up"], false); // before the first check-in
    assert_eq!(days[3]["can_make_up"], true);
    assert_eq!(days[5]["can_make_up"], true);
    assert_eq!(view["checked_in_today"], false);
    check_in(&mut h, "u").unwrap();
    let view = h.view::<CheckIn>("u").unwrap();
    assert_eq!(view["calendar"]["days"][6]["status"], "checked");
    assert_eq!(view["first_check_in"], "2026-01-03");
    // February 2028 has 29 days.
    noon(&mut h, civil::days_from_civil(2028, 2, 10) - JAN1);
    let view = h.view::<CheckIn>("u").unwrap();
    assert_eq!(view["calendar"]["month"], "2028-02");
    assert_eq!(view["calendar"]["days"].as_array().unwrap().len(), 29);
}

#[test]
fn long_streaks_survive_history_pruning() {
    let mut h = host(json!({"cycle_rewards": week()}));
    for day in 0..(HISTORY_DAYS + 50) {
        noon(&mut h, day);
        check_in(&mut h, "u").unwrap();
    }
    let view = h.view::<CheckIn>("u").unwrap();
    assert_eq!(view["streak"], HISTORY_DAYS + 50);
    assert_eq!(view["total"], HISTORY_DAYS + 50);
    // A gap, and a year later the old run is forgotten but the total stays.
    noon(&mut h, 2 * HISTORY_DAYS + 100);
    let out = check_in(&mut h, "u").unwrap();
    assert_eq!(out.result["streak"], 1);
    assert_eq!(out.result["total"], HISTORY_DAYS + 51);
}

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
