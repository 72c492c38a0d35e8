//! Facts about the acting user across the tenant's activities.

/// When the acting user's first outcome with this tenant was committed
/// (ms since the Unix epoch); `None` for a user new to the tenant. The
/// current call does not count.
pub fn first_seen_ms() -> Option<i64> {
    imp::first_seen_ms()
}

/// Whether the acting user has no earlier outcome with this tenant.
pub fn is_new() -> bool {
    first_seen_ms().is_none()
}

#[cfg(target_arch = "wasm32")]
mod imp {
    pub fn first_seen_ms() -> Option<i64> {
        crate::bindings::arcade::mechanic::member::first_seen_ms()
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    pub fn first_seen_ms() -> Option<i64> {
        crate::testing::with_call(|c| c.first_seen())
    }
}
