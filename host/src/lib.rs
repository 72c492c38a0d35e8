//! Arcade host: runs community activity mechanics as sandboxed WebAssembly
//! plugins and records every outcome. See ARCHITECTURE.md for the map.

pub mod bundled;
pub mod cli;
pub mod clock;
pub mod console;
pub mod error;
pub mod http;
pub mod metrics;
pub mod randomness;
pub mod sandbox;
pub mod server;
pub mod service;
pub mod simulate;
pub mod store;
pub mod telemetry;
pub mod text;
pub mod toolkit;
pub mod verify;
