//! The WASI a Rust component links against, made inert: no files, sockets,
//! environment or arguments; clocks frozen at the epoch; a fixed-seed
//! random source; stdout discarded and stderr kept (a few KiB) for the
//! trap message. Real time and randomness come only through the host's
//! `clock` and `random` imports.

use std::time::Duration;

use rand::SeedableRng;
use wasmtime_wasi::p2::pipe::{MemoryOutputPipe, SinkOutputStream};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder};

/// Bytes of guest stderr kept per call.
const STDERR_BYTES: usize = 4096;

/// A fresh inert WASI context and the pipe its stderr goes to.
pub(crate) fn inert_ctx() -> (WasiCtx, MemoryOutputPipe) {
    let stderr = MemoryOutputPipe::new(STDERR_BYTES);
    let wasi = WasiCtxBuilder::new()
        .stdout(SinkOutputStream)
        .stderr(stderr.clone())
        .wall_clock(FrozenClock)
        .monotonic_clock(FrozenClock)
        .secure_random(rand::rngs::StdRng::seed_from_u64(0))
        .insecure_random(rand::rngs::StdRng::seed_from_u64(0))
        .insecure_random_seed(0)
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .build();
    (wasi, stderr)
}

/// A clock stuck at the epoch: guests get time only from the host import.
struct FrozenClock;

impl wasmtime_wasi::HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl wasmtime_wasi::HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}
