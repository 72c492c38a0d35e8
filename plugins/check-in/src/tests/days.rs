//! Business days and streaks.
use super::*;
use arcade_sdk::{ErrorKind, Reward};

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
