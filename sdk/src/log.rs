//! Structured logs, attached to the host's trace of the call. The host caps
//! the volume per call.

/// Log at debug level.
pub fn debug(message: &str) {
    imp::write(0, message)
}
/// Log at info level.
pub fn info(message: &str) {
    imp::write(1, message)
}
/// Log at warn level.
pub fn warn(message: &str) {
    imp::write(2, message)
}
/// Log at error level.
pub fn error(message: &str) {
    imp::write(3, message)
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use crate::bindings::arcade::mechanic::log::{Level, write as wit_write};
    pub fn write(level: u8, message: &str) {
        let level = match level {
            0 => Level::Debug,
            1 => Level::Info,
            2 => Level::Warn,
            _ => Level::Error,
        };
        wit_write(level, message)
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    pub fn write(level: u8, message: &str) {
        crate::testing::with_call(|c| c.logs.push((level, message.to_owned())))
    }
}
