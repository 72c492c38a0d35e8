//! Unit tests against the SDK's mock host (UTC+8 unless set otherwise), by
//! concern; the helpers here set the clock and run the two actions.
use crate::*;
use arcade_sdk::testing::MockHost;
use arcade_sdk::{DAY_MS, Error, Value, json};

mod calendar;
mod checks;
mod days;
mod makeup;
mod properties;
mod rewards;

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

fn h_now(day: i64) -> i64 {
    (JAN1 + day) * DAY_MS - 8 * HOUR + 12 * HOUR
}
