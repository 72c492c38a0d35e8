//! Time as the activity sees it, fixed for the duration of a call.
//!
//! Business days are [`Date`]s in the activity's time zone; day arithmetic
//! (yesterday, consecutive days) is [`Date`]'s.

use crate::Date;

/// Milliseconds since the Unix epoch (UTC) at the start of the call.
pub fn now_ms() -> i64 {
    imp::now_ms()
}

/// The activity's IANA time zone, such as `Asia/Shanghai`.
pub fn timezone() -> String {
    imp::timezone()
}

/// Today's business day in the activity's time zone. Daily limits and
/// check-ins count by this day, not by UTC.
pub fn today() -> Date {
    imp::day_of(None)
}

/// The business day (activity time zone) containing `ms`.
pub fn day_of(ms: i64) -> Date {
    imp::day_of(Some(ms))
}

/// The first instant of the business day `day` (its local midnight, or
/// the first time after it when a clock change skips midnight), in
/// milliseconds since the epoch: for a timer at the end of today, use
/// `start_of(today().next())`.
///
/// # Panics
/// Built against contract 0.1 (the `contract-0-1` feature), whose host has
/// no such import, the call traps in a component.
pub fn start_of(day: Date) -> i64 {
    imp::start_of(day)
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use crate::Date;
    use crate::bindings::arcade::mechanic::clock as wit;
    pub fn now_ms() -> i64 {
        wit::now_ms()
    }
    pub fn timezone() -> String {
        wit::timezone()
    }
    #[cfg(not(feature = "contract-0-1"))]
    pub fn day_of(ms: Option<i64>) -> Date {
        let d = match ms {
            Some(ms) => wit::day_of(ms),
            None => wit::today(),
        };
        Date::new(d.year, d.month, d.day).expect("the host returns real dates")
    }
    #[cfg(feature = "contract-0-1")]
    pub fn day_of(ms: Option<i64>) -> Date {
        let d = match ms {
            Some(ms) => wit::day_of(ms),
            None => wit::today(),
        };
        Date::parse(&d).expect("the host returns YYYY-MM-DD")
    }
    #[cfg(feature = "contract-0-1")]
    pub fn start_of(_day: Date) -> i64 {
        panic!("clock::start_of needs contract 0.2; this plugin is built against 0.1")
    }
    #[cfg(not(feature = "contract-0-1"))]
    pub fn start_of(day: Date) -> i64 {
        wit::start_of(crate::bindings::Date {
            year: day.year(),
            month: day.month(),
            day: day.day(),
        })
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use crate::Date;
    use crate::testing::with_call;
    pub fn now_ms() -> i64 {
        with_call(|c| c.now_ms)
    }
    pub fn timezone() -> String {
        with_call(|c| c.timezone.clone())
    }
    pub fn day_of(ms: Option<i64>) -> Date {
        with_call(|c| c.day_of(ms.unwrap_or(c.now_ms)))
    }
    pub fn start_of(day: Date) -> i64 {
        with_call(|c| c.start_of(day))
    }
}
