//! Make-ups (补签): the window, the monthly limit, the points cost.
use super::*;
use arcade_sdk::{ErrorKind, Reward};

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
    // The payload is the action's type: a malformed one is refused as
    // such before any rule runs (the host checks it against the schema
    // even earlier).
    assert_eq!(
        h.handle::<CheckIn>("u", "make_up", json!({"bogus": 1}))
            .unwrap_err()
            .code,
        "invalid_payload"
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
