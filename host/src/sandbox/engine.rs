//! The wasmtime engine: its configuration (fuel, epochs, deterministic
//! floats, the pooling allocator), the linker with every import, and the
//! epoch ticker thread that drives deadlines.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::bindings::{v01, v02};
use super::imports::CallState;
use super::limits::SandboxConfig;

/// Linear memory kept mapped per pool slot between calls.
const KEEP_RESIDENT_BYTES: usize = 8 << 20;

/// How often the epoch ticks; deadlines are rounded up to it.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(2);

/// The engine for `config`.
pub(crate) fn engine(config: &SandboxConfig) -> anyhow::Result<Engine> {
    let slots = config.max_concurrent_calls.max(4);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(slots)
        .total_core_instances(slots * 4)
        .total_memories(slots * 2)
        .total_tables(slots * 4)
        .max_core_instances_per_component(16)
        .max_memories_per_component(4)
        .max_tables_per_component(8)
        .max_memory_size(config.caps.memory_bytes as usize)
        // Reset a returned instance's memory by zeroing just the pages
        // it touched (found with PAGEMAP_SCAN where the kernel has it)
        // instead of unmapping them: no TLB shootdowns across cores and
        // no page faults for the next call that reuses the slot.
        .pagemap_scan(Enabled::Auto)
        .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
        .table_keep_resident(64 << 10);
    let mut wasm = Config::new();
    wasm.wasm_component_model(true)
        .consume_fuel(true)
        .epoch_interruption(true)
        .cranelift_nan_canonicalization(true)
        .relaxed_simd_deterministic(true)
        .max_wasm_stack(1 << 20)
        .memory_reservation(config.caps.memory_bytes)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&wasm).map_err(|e| anyhow::anyhow!("{e}"))
}

/// The linker: inert WASI plus the `arcade:mechanic` imports of every
/// contract version.
pub(crate) fn linker(engine: &Engine) -> anyhow::Result<Linker<CallState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(|e| anyhow::anyhow!("{e}"))?;
    v01::Mechanic::add_to_linker::<CallState, HasSelf<CallState>>(&mut linker, |s| s)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    v02::Mechanic::add_to_linker::<CallState, HasSelf<CallState>>(&mut linker, |s| s)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(linker)
}

/// Increments the engine's epoch every [`EPOCH_TICK`] until dropped.
pub(crate) struct EpochTicker {
    running: Arc<AtomicBool>,
}

impl EpochTicker {
    /// Start the ticker thread.
    pub(crate) fn start(engine: &Engine) -> anyhow::Result<Self> {
        let running = Arc::new(AtomicBool::new(true));
        let (engine, flag) = (engine.clone(), running.clone());
        std::thread::Builder::new()
            .name("arcade-epoch".into())
            .spawn(move || {
                while flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })?;
        Ok(EpochTicker { running })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.running.store(false, Ordering::Relaxed);
    }
}
