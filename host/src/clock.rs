//! Business days in an activity's IANA time zone.

use chrono::{DateTime, Utc};
pub use chrono_tz::Tz;

/// Parse an IANA time zone name such as `Asia/Shanghai`.
pub fn parse_timezone(name: &str) -> Option<Tz> {
    name.parse().ok()
}

/// The business day (`YYYY-MM-DD`) containing `ms` in `tz`.
pub fn business_day(tz: Tz, ms: i64) -> String {
    format_day(business_date(tz, ms))
}

/// A date as `YYYY-MM-DD`.
pub fn format_day(day: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    // Plugins call this on every action: format by hand rather than
    // through a parsed format string. Years before 1 or after 9999 are
    // out of any activity's range; they keep chrono's own rendering.
    if (1..=9999).contains(&day.year()) {
        format!("{:04}-{:02}-{:02}", day.year(), day.month(), day.day())
    } else {
        day.format("%Y-%m-%d").to_string()
    }
}

/// The business day containing `ms` in `tz`, as a date.
pub fn business_date(tz: Tz, ms: i64) -> chrono::NaiveDate {
    let utc = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default();
    utc.with_timezone(&tz).date_naive()
}

/// The first instant of the local date `day` in `tz`, in milliseconds
/// since the epoch: its midnight, or when a clock change skips midnight,
/// the first local time after it that exists.
pub fn start_of_day(tz: Tz, day: chrono::NaiveDate) -> i64 {
    use chrono::{LocalResult, TimeZone};
    let midnight = day.and_time(chrono::NaiveTime::MIN);
    // Gaps are at most a few hours; step through them by the minute.
    for minutes in 0..=(24 * 60) {
        let local = midnight + chrono::Duration::minutes(minutes);
        match tz.from_local_datetime(&local) {
            LocalResult::Single(t) => return t.timestamp_millis(),
            LocalResult::Ambiguous(first, _) => return first.timestamp_millis(),
            LocalResult::None => continue,
        }
    }
    // Unreachable for real zones: no day is wholly skipped but by a
    // date-line change, whose day then starts at the next one.
    tz.from_utc_datetime(&midnight).timestamp_millis()
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// Parse an RFC 3339 timestamp into milliseconds since the epoch.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// Format milliseconds since the epoch as RFC 3339 (UTC).
pub fn to_rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Serialize a time kept in ms since the epoch as RFC 3339, the one
/// format the API speaks: `#[serde(serialize_with = "crate::clock::as_rfc3339")]`.
pub fn as_rfc3339<S: serde::Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&to_rfc3339(*ms))
}

/// [`as_rfc3339`] for an optional time (`None` stays `null`).
pub fn as_rfc3339_opt<S: serde::Serializer>(ms: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match ms {
        Some(ms) => s.serialize_str(&to_rfc3339(*ms)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_boundary_follows_the_zone_not_utc() {
        let tz = parse_timezone("Asia/Shanghai").unwrap();
        // 2026-03-01T15:59:59.900Z is 23:59:59.9 in Shanghai.
        let before = parse_rfc3339("2026-03-01T15:59:59.900Z").unwrap();
        let after = parse_rfc3339("2026-03-01T16:00:00.100Z").unwrap();
        assert_eq!(business_day(tz, before), "2026-03-01");
        assert_eq!(business_day(tz, after), "2026-03-02");
        assert_eq!(business_day(chrono_tz::UTC, after), "2026-03-01");
        assert!(parse_timezone("Mars/Olympus").is_none());
    }

    #[test]
    fn hand_formatting_matches_chrono() {
        for zone in ["Asia/Shanghai", "America/Los_Angeles", "Pacific/Kiritimati"] {
            let tz = parse_timezone(zone).unwrap();
            // Every 37 hours from 1950 to 2100, and the edges of the range.
            let mut ms = -631_152_000_000i64;
            while ms < 4_102_444_800_000 {
                let expected = DateTime::<Utc>::from_timestamp_millis(ms)
                    .unwrap()
                    .with_timezone(&tz)
                    .format("%Y-%m-%d")
                    .to_string();
                assert_eq!(business_day(tz, ms), expected, "{zone} at {ms}");
                ms += 37 * 3_600_000;
            }
        }
        assert_eq!(
            business_day(chrono_tz::UTC, -62_135_596_800_000),
            "0001-01-01"
        );
        assert_eq!(
            business_day(chrono_tz::UTC, -62_135_596_800_001),
            "0000-12-31"
        );
    }
}
