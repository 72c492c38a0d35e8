//! Business days: calendar dates (proleptic Gregorian) in the activity's
//! time zone, as [`clock::today`](crate::clock::today) returns them, with
//! the day arithmetic mechanics need (yesterday, consecutive days, 30 days
//! ago). In JSON a date is written `YYYY-MM-DD`.

use std::fmt;

/// A calendar date. Ordered by time; `Date::parse("2026-12-03")`,
/// `day.next()`, `day.days_since(other)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

impl Date {
    /// The date `year-month-day`, if it exists (month 1 to 12, day within
    /// the month's length).
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month))
            .then_some(Date { year, month, day })
    }

    /// Parse `YYYY-MM-DD` strictly (four-digit year, two-digit month and
    /// day, a date that exists).
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            b[r].iter().try_fold(0u32, |acc, c| {
                c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
            })
        };
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        Date::new(y as i32, u8::try_from(m).ok()?, u8::try_from(d).ok()?)
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, from 1.
    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (negative before it).
    pub fn to_days(self) -> i64 {
        let (y, m, d) = (
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` days after 1970-01-01.
    ///
    /// # Panics
    /// If the year does not fit an `i32` (about 5.8 million years away).
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date {
            year: i32::try_from(year).expect("a date within the i32 years"),
            month,
            day,
        }
    }

    /// The date `n` days later (earlier for negative `n`).
    pub fn add_days(self, n: i64) -> Date {
        Date::from_days(self.to_days() + n)
    }

    /// The next day.
    pub fn next(self) -> Date {
        self.add_days(1)
    }

    /// The day before.
    pub fn prev(self) -> Date {
        self.add_days(-1)
    }

    /// Days from `earlier` to `self`: 1 for consecutive days, negative if
    /// `earlier` is later.
    pub fn days_since(self, earlier: Date) -> i64 {
        self.to_days() - earlier.to_days()
    }

    /// The day of the week, 0 for Monday to 6 for Sunday.
    pub fn weekday(self) -> u8 {
        // 1970-01-01 was a Thursday (3).
        (self.to_days() + 3).rem_euclid(7) as u8
    }

    /// `YYYY-MM`, for monthly tallies.
    pub fn month_key(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

fn days_in_month(year: i32, month: u8) -> u8 {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Date::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not a date (YYYY-MM-DD)")))
    }
}

impl schemars::JsonSchema for Date {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Date".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "date",
            "description": "A calendar date, YYYY-MM-DD."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        let d = |s| Date::parse(s).unwrap();
        assert_eq!(d("1970-01-01").to_days(), 0);
        assert_eq!(d("1969-12-31").to_days(), -1);
        assert_eq!(d("2026-01-01").to_days(), 1_767_225_600 / 86_400);
        assert_eq!(d("2024-02-29").next(), d("2024-03-01"));
        assert_eq!(d("2026-01-01").prev(), d("2025-12-31"));
        assert_eq!(d("2026-12-03").days_since(d("2026-11-03")), 30);
        assert_eq!(d("2026-12-03").weekday(), 3);
        assert_eq!(d("2026-12-03").to_string(), "2026-12-03");
        assert_eq!(d("2025-12-31").month_key(), "2025-12");
    }

    #[test]
    fn parse_is_strict() {
        for bad in [
            "",
            "2026-1-01",
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
            "２０２６-01-01",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Date::new(2024, 2, 29).map(|d| d.day()), Some(29));
        assert_eq!(Date::new(2025, 2, 29), None);
    }

    #[test]
    fn round_trips_through_days_and_json() {
        // Years 1 to 9999, the ones `YYYY-MM-DD` can write.
        for z in (-719_162..2_932_897).step_by(997) {
            let date = Date::from_days(z);
            assert_eq!(date.to_days(), z);
            assert_eq!(Date::parse(&date.to_string()), Some(date));
            let json = serde_json::to_string(&date).unwrap();
            assert_eq!(serde_json::from_str::<Date>(&json).unwrap(), date);
        }
    }
}
