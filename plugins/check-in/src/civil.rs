//! Business days as day numbers (days since 1970-01-01), the form the
//! check history stores and counts with, over the SDK's [`Date`]: the
//! calendar math is the SDK's, shared by every plugin.

use arcade_sdk::Date;

/// The day number of `year-month-day` (which must exist).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    Date::new(year as i32, month as u8, day as u8)
        .expect("a date that exists")
        .to_days()
}

/// `(year, month, day)` of a day number.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let d = Date::from_days(z);
    (
        i64::from(d.year()),
        u32::from(d.month()),
        u32::from(d.day()),
    )
}

/// Days in `month` of `year`.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    let first = days_from_civil(year, month, 1);
    let next = if month == 12 {
        days_from_civil(year + 1, 1, 1)
    } else {
        days_from_civil(year, month + 1, 1)
    };
    (next - first) as u32
}

/// Parse a strict `YYYY-MM-DD` into a day number.
pub fn parse_day(s: &str) -> Option<i64> {
    Date::parse(s).map(Date::to_days)
}

/// A day number as `YYYY-MM-DD`.
pub fn format_day(z: i64) -> String {
    Date::from_days(z).to_string()
}

/// The month `YYYY-MM` of a day number.
pub fn format_month(z: i64) -> String {
    Date::from_days(z).month_key()
}

/// Today's business day in the activity's time zone, as a day number.
pub fn today() -> Result<i64, arcade_sdk::Error> {
    Ok(arcade_sdk::clock::today().to_days())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_match_the_calendar() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(
            days_from_civil(2024, 2, 29) + 1,
            days_from_civil(2024, 3, 1)
        );
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2025, 2), 28);
        assert_eq!(days_in_month(2026, 12), 31);
        assert_eq!(format_month(days_from_civil(2025, 12, 31)), "2025-12");
        assert_eq!(parse_day("2025-02-29"), None);
    }
}
