//! Timers: ask the host to call [`Mechanic::on_timer`](crate::Mechanic::on_timer)
//! at a given time. Scheduled and cancelled atomically with the outcome;
//! each due timer fires once.

/// Schedule the activity's timer `name` for `due_ms` (ms since the Unix
/// epoch) with a JSON `payload`, replacing a pending timer of that name.
pub fn schedule(name: &str, due_ms: i64, payload: &serde_json::Value) {
    imp::schedule(name, due_ms, &payload.to_string())
}

/// Cancel the pending timer `name`, if any.
pub fn cancel(name: &str) {
    imp::cancel(name)
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use crate::bindings::arcade::mechanic::timers as wit;
    pub fn schedule(name: &str, due_ms: i64, payload: &str) {
        wit::schedule(name, due_ms, payload)
    }
    pub fn cancel(name: &str) {
        wit::cancel(name)
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use crate::testing::with_call;
    pub fn schedule(name: &str, due_ms: i64, payload: &str) {
        with_call(|c| c.schedule(name, due_ms, payload))
    }
    pub fn cancel(name: &str) {
        with_call(|c| c.cancel(name))
    }
}
