//! What one call may use: the limit types, how a plugin's effective limits
//! are derived, the memory limiter and the guest-time deadline.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use wasmtime::{ResourceLimiter, Store, UpdateDeadline};

use super::admission::{AdmissionConfig, SLICE};
use super::engine::EPOCH_TICK;
use super::failure::{HostFault, MemoryExceeded};
use super::imports::CallState;

/// Resources one call may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Limits {
    /// Fuel units (roughly, WebAssembly instructions).
    pub fuel: u64,
    /// Linear memory in bytes.
    pub memory_bytes: u64,
    /// Wall-clock deadline in milliseconds.
    pub timeout_ms: u32,
    /// Largest result or view, in bytes.
    pub output_bytes: u32,
}

impl Limits {
    /// The defaults a plugin gets when it asks for nothing.
    pub const DEFAULT: Limits = Limits {
        fuel: 20_000_000,
        memory_bytes: 32 << 20,
        timeout_ms: 1_000,
        output_bytes: 64 << 10,
    };

    /// The operator caps used when none are configured.
    pub const DEFAULT_CAPS: Limits = Limits {
        fuel: 100_000_000_000,
        memory_bytes: 256 << 20,
        timeout_ms: 5_000,
        output_bytes: 1 << 20,
    };
}

/// Per-plugin requests or overrides; empty fields keep the value below.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitOverrides {
    /// Fuel per call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
    /// Memory in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_bytes: Option<u64>,
    /// Deadline in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u32>,
}

/// Sandbox settings, from the command line.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Limits for a plugin that asks for nothing.
    pub defaults: Limits,
    /// Nothing is granted beyond these.
    pub caps: Limits,
    /// Instances that may exist at once (pooling allocator slots): calls
    /// running, calls that gave their admission slot up mid-run, and
    /// calls outside admission (describe, validate-config, replay).
    pub max_concurrent_calls: u32,
    /// Admission control and fair share.
    pub admission: AdmissionConfig,
    /// Where compiled plugins are kept between runs; `None` disables the
    /// disk cache.
    pub cache_dir: Option<std::path::PathBuf>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            defaults: Limits::DEFAULT,
            caps: Limits::DEFAULT_CAPS,
            max_concurrent_calls: 256,
            admission: AdmissionConfig::for_this_machine(),
            cache_dir: None,
        }
    }
}

/// The limits a call gets: the plugin's own request (`budget`), replaced
/// by operator `overrides`, never above the caps.
pub(crate) fn effective(
    config: &SandboxConfig,
    budget: &LimitOverrides,
    overrides: &LimitOverrides,
) -> Limits {
    let d = &config.defaults;
    let c = &config.caps;
    let b = budget;
    Limits {
        fuel: overrides.fuel.or(b.fuel).unwrap_or(d.fuel).min(c.fuel),
        memory_bytes: overrides
            .memory_bytes
            .or(b.memory_bytes)
            .unwrap_or(d.memory_bytes)
            .min(c.memory_bytes),
        timeout_ms: overrides
            .timeout_ms
            .or(b.timeout_ms)
            .unwrap_or(d.timeout_ms)
            .min(c.timeout_ms),
        output_bytes: d.output_bytes.min(c.output_bytes),
    }
}

/// Guest time an inline attempt may use on an async worker before it is
/// moved to the blocking pool (see `CallIo::inline`). Checked at each
/// epoch tick, so an attempt holds its worker for at most this plus one
/// tick.
pub const INLINE_BUDGET: Duration = Duration::from_millis(1);

/// Arm `store` with its fuel and deadline. Returns whether fuel could be
/// set (so the fuel used can be reported). The deadline counts guest time
/// only: waits on the store for lazy reads and for the admission slot
/// (see `CallIo::host_wait`) extend it. A call holding an admission slot
/// is interrupted every [`SLICE`] to check in with it.
pub(crate) fn arm(store: &mut Store<CallState>, limits: &Limits) -> bool {
    store.limiter(|s| &mut s.limiter);
    let fuel_set = store.set_fuel(limits.fuel).is_ok();
    let timeout = Duration::from_millis(u64::from(limits.timeout_ms));
    let ticks = |d: Duration| (d.as_millis() as u64).div_ceil(EPOCH_TICK.as_millis() as u64) + 1;
    let started = Instant::now();
    let sliced = store.data().io.permit.is_some();
    let inline = store.data().io.inline;
    let slice = move |left: Duration| {
        let t = ticks(left);
        if inline {
            // The next tick: an inline call is checked at every one.
            1
        } else if sliced {
            t.min(ticks(SLICE))
        } else {
            t
        }
    };
    store.set_epoch_deadline(slice(timeout));
    store.epoch_deadline_callback(move |mut ctx| {
        if inline {
            // On an async worker: never wait for the slot here, and give
            // the worker back once the budget is spent.
            if started.elapsed() >= INLINE_BUDGET {
                return Err(wasmtime::Error::new(HostFault::Offload));
            }
            return Ok(UpdateDeadline::Continue(1));
        }
        ctx.data_mut().io.check_in();
        let guest = started.elapsed().saturating_sub(ctx.data().io.host_wait);
        Ok(match timeout.checked_sub(guest) {
            Some(left) if !left.is_zero() => UpdateDeadline::Continue(slice(left)),
            _ => UpdateDeadline::Interrupt,
        })
    });
    fuel_set
}

/// The memory limiter of one call. It records when it refuses, so the
/// resulting trap can be reported as `plugin_memory_exceeded`.
pub struct MemoryLimiter {
    pub(crate) max_bytes: usize,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max_bytes {
            return Err(wasmtime::Error::new(MemoryExceeded {
                limit: self.max_bytes,
            }));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}
