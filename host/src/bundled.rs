//! First-party plugins compiled into the binary by the build script and
//! registered at start-up.

/// `(name, component bytes)` of each bundled plugin.
pub const PLUGINS: &[(&str, &[u8])] = &[(
    "lucky-draw",
    include_bytes!(concat!(env!("OUT_DIR"), "/lucky_draw.wasm")),
)];
