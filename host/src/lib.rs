//! Arcade host: runs community activity mechanics as sandboxed WebAssembly
//! plugins and records every outcome. See ARCHITECTURE.md for the map.

pub mod store;
