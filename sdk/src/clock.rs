//! Time as the activity sees it, fixed for the duration of a call.

/// Milliseconds since the Unix epoch (UTC) at the start of the call.
pub fn now_ms() -> i64 {
    imp::now_ms()
}

/// The activity's IANA time zone, such as `Asia/Shanghai`.
pub fn timezone() -> String {
    imp::timezone()
}

/// Today's business day in the activity's time zone, as `YYYY-MM-DD`.
pub fn today() -> String {
    imp::today()
}

/// The business day (`YYYY-MM-DD`, activity time zone) containing `ms`.
pub fn day_of(ms: i64) -> String {
    imp::day_of(ms)
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use crate::bindings::arcade::mechanic::clock as wit;
    pub fn now_ms() -> i64 {
        wit::now_ms()
    }
    pub fn timezone() -> String {
        wit::timezone()
    }
    pub fn today() -> String {
        wit::today()
    }
    pub fn day_of(ms: i64) -> String {
        wit::day_of(ms)
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use crate::testing::with_call;
    pub fn now_ms() -> i64 {
        with_call(|c| c.now_ms)
    }
    pub fn timezone() -> String {
        with_call(|c| c.timezone.clone())
    }
    pub fn today() -> String {
        with_call(|c| c.day_of(c.now_ms))
    }
    pub fn day_of(ms: i64) -> String {
        with_call(|c| c.day_of(ms))
    }
}
