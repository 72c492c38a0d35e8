//! Civil (proleptic Gregorian) dates as day numbers, without a date crate.
//!
//! The host hands business days over as `YYYY-MM-DD` strings in the
//! activity's time zone. The mechanic turns them into day numbers (days
//! since 1970-01-01) so that "yesterday", "30 days ago" and "consecutive"
//! are plain integer arithmetic, and back into strings for display.
//! Algorithms after Howard Hinnant, "chrono-Compatible Low-Level Date
//! Algorithms".

/// Days since 1970-01-01 of the date `y-m-d` (`m` in 1..=12, `d` in
/// 1..=31; not checked here, see [`parse_day`]).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `(year, month, day)` of a day number.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Whether `y` is a Gregorian leap year.
pub fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

/// Number of days in month `m` of year `y`.
pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parse a strict `YYYY-MM-DD` (four-digit year, two-digit month and day,
/// an existing date) into a day number.
pub fn parse_day(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let (y, m, d) = (i64::from(num(0..4)?), num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// Format a day number as `YYYY-MM-DD`.
pub fn format_day(z: i64) -> String {
    let (y, m, d) = civil_from_days(z);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The month `YYYY-MM` of a day number.
pub fn format_month(z: i64) -> String {
    let (y, m, _) = civil_from_days(z);
    format!("{y:04}-{m:02}")
}

/// Today's business day in the activity's time zone (`clock::today()`),
/// as a day number.
pub fn today() -> Result<i64, arcade_sdk::Error> {
    let today = arcade_sdk::clock::today();
    parse_day(&today).ok_or_else(|| {
        arcade_sdk::Error::invalid_input(
            "invalid_clock",
            format!("the host's business day {today:?} is not YYYY-MM-DD"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        // The mock host's epoch: 2026-01-01T00:00:00Z.
        assert_eq!(days_from_civil(2026, 1, 1), 1_767_225_600 / 86_400);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(format_day(days_from_civil(2024, 2, 29) + 1), "2024-03-01");
        assert_eq!(format_month(days_from_civil(2025, 12, 31)), "2025-12");
    }

    #[test]
    fn month_lengths() {
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2025, 2), 28);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(2026, 4), 30);
        assert_eq!(days_in_month(2026, 12), 31);
    }

    #[test]
    fn parse_is_strict() {
        assert_eq!(parse_day("1970-01-01"), Some(0));
        assert_eq!(parse_day("2024-02-29"), Some(days_from_civil(2024, 2, 29)));
        for bad in [
            "",
            "2026-1-01",
            "2026-01-1",
            "26-01-01",
            "2026/01/01",
            "2026-00-10",
            "2026-13-01",
            "2026-01-00",
            "2026-01-32",
            "2025-02-29",
            "2026-04-31",
            "+026-01-01",
            "2026-01-01 ",
            " 2026-01-01",
            "2026-0a-01",
            "２０２６-01-01",
        ] {
            assert_eq!(parse_day(bad), None, "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn round_trips(z in -800_000i64..3_000_000) {
            let (y, m, d) = civil_from_days(z);
            proptest::prop_assert!((1..=12).contains(&m));
            proptest::prop_assert!(d >= 1 && d <= days_in_month(y, m));
            proptest::prop_assert_eq!(days_from_civil(y, m, d), z);
            if (0..=9999).contains(&y) {
                proptest::prop_assert_eq!(parse_day(&format_day(z)), Some(z));
            }
        }

        #[test]
        fn next_day_is_the_next_date(z in -800_000i64..3_000_000) {
            let (y, m, d) = civil_from_days(z);
            let next = if d < days_in_month(y, m) {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
            proptest::prop_assert_eq!(civil_from_days(z + 1), next);
        }
    }
}
