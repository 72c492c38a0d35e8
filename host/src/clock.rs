//! Business days in an activity's IANA time zone.

use chrono::{DateTime, Utc};
pub use chrono_tz::Tz;

/// Parse an IANA time zone name such as `Asia/Shanghai`.
pub fn parse_timezone(name: &str) -> Option<Tz> {
    name.parse().ok()
}

/// The business day (`YYYY-MM-DD`) containing `ms` in `tz`.
pub fn business_day(tz: Tz, ms: i64) -> String {
    let utc = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default();
    utc.with_timezone(&tz).format("%Y-%m-%d").to_string()
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
}
