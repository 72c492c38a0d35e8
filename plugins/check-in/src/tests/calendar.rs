//! The view's calendar, and history pruning.
use super::*;

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
