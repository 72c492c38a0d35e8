//! The sandbox: compiles plugin components once, and runs each call in a
//! fresh store with fuel, an epoch deadline, a memory limit and an output
//! cap. The guest reaches nothing outside except the `arcade:mechanic`
//! imports; the WASI imports a Rust component links against are present
//! but inert (see `wasi.rs`), so a plugin cannot observe the real world
//! except through the host.
//!
//! Modules by concern: `engine` (wasmtime configuration, pooling
//! allocator, epoch ticker), `cache` (compile once by sha256), `limits`
//! (fuel, memory, deadline), `output` (checks on what the guest returns),
//! `wasi` (the inert WASI context), `call` (the per-call I/O),
//! `imports` (the host side of each import) and `version` (which contract
//! a component implements, and the conversions from each version's
//! types).

pub mod admission;
mod bindings;
mod cache;
pub mod call;
mod engine;
mod failure;
mod imports;
mod limits;
mod output;
pub mod reserved;
mod schemas;
mod version;
mod wasi;

use std::sync::Arc;

use wasmtime::component::{Component, ResourceTable};
use wasmtime::{Engine, Store, Trap};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

pub use admission::{AdmissionConfig, Overloaded, Permit};
pub use cache::{CacheStats, sha256_hex};
use cache::{DiskCache, PluginCache};
pub use call::{CallIo, Inputs, Loader, Mode, TEAM_PREFIX, TimerOp};
use failure::{BadOutput, MemoryExceeded};
pub use failure::{HostFault, PluginFailure};
use imports::CallState;
pub use limits::{INLINE_BUDGET, LimitOverrides, Limits, SandboxConfig};
pub use output::{
    ActionSpec, ConfigProblem, GuestError, GuestErrorKind, GuestOutcome, Manifest, StockPools,
};
use output::{
    check_guest_error, check_json, check_manifest, check_outcome_result, check_problems,
    check_setup, truncate,
};
pub use schemas::Schemas;
use version::{Instance, Pre, from01, from02};

/// A compiled, validated plugin version, ready to instantiate.
pub struct Plugin {
    /// Hex sha256 of the component bytes.
    pub sha256: String,
    /// Its manifest.
    pub manifest: Manifest,
    /// Its config and payload schemas, compiled.
    pub schemas: Schemas,
    pre: Pre,
}

impl Plugin {
    /// The contract version the component implements: `0.1.0` or `0.2.0`.
    pub fn contract(&self) -> &'static str {
        self.pre.contract()
    }
}

/// What came back from one call, with the call's recorded I/O.
pub struct CallReport<T> {
    /// The plugin's answer, or why there is none.
    pub result: Result<T, PluginFailure>,
    /// Reads, buffered writes, logs.
    pub io: CallIo,
    /// Fuel consumed.
    pub fuel_used: u64,
}

/// Who a call is about.
pub struct CallContext<'a> {
    /// Activity id.
    pub activity_id: &'a str,
    /// Acting user.
    pub user_id: &'a str,
    /// Config JSON.
    pub config: &'a str,
    /// The outcome id of this call (empty for `view`).
    pub call_id: &'a str,
}

/// A timer that came due.
pub struct DueTimer<'a> {
    /// Name the plugin gave it.
    pub name: &'a str,
    /// Its payload JSON.
    pub payload: &'a str,
    /// When it was due, ms since the epoch.
    pub due_ms: i64,
}

/// The plugin runtime: one engine, one linker, compiled plugins by sha256.
pub struct Sandbox {
    engine: Engine,
    linker: wasmtime::component::Linker<CallState>,
    config: SandboxConfig,
    compiled: PluginCache,
    disk: Option<DiskCache>,
    admission: Arc<admission::Admission>,
    _ticker: engine::EpochTicker,
}

impl Sandbox {
    /// Build the engine and start its epoch ticker.
    pub fn new(config: SandboxConfig) -> anyhow::Result<Self> {
        let engine = engine::engine(&config)?;
        let linker = engine::linker(&engine)?;
        let ticker = engine::EpochTicker::start(&engine)?;
        let disk = config.cache_dir.as_deref().and_then(|dir| {
            DiskCache::open(dir, &engine)
                .map_err(|e| {
                    tracing::warn!(dir = %dir.display(), error = %e, "plugin cache directory unusable; compiling every start");
                })
                .ok()
        });
        Ok(Sandbox {
            engine,
            linker,
            compiled: PluginCache::default(),
            disk,
            admission: admission::Admission::new(
                config.admission,
                config.max_concurrent_calls.max(4) as usize,
            ),
            config,
            _ticker: ticker,
        })
    }

    /// The sandbox settings.
    pub fn config(&self) -> &SandboxConfig {
        &self.config
    }

    /// Wait for a slot to run a call of `tenant` in (see `admission/`);
    /// give the permit to the call with [`CallIo::hold`].
    pub async fn admit(&self, tenant: &str) -> Result<Permit, Overloaded> {
        self.admission.admit(tenant).await
    }

    /// Calls running and calls waiting for a slot, now.
    pub fn load_now(&self) -> (usize, usize) {
        self.admission.load()
    }

    /// How components were obtained since start-up, if the disk cache is
    /// on.
    pub fn cache_stats(&self) -> Option<CacheStats> {
        self.disk.as_ref().map(DiskCache::stats)
    }

    /// A compiled plugin already in the cache.
    pub fn cached(&self, sha256: &str) -> Option<Arc<Plugin>> {
        self.compiled.get(sha256)
    }

    /// Compile and validate a component (or return the cached one): it
    /// must compile, implement the `mechanic` world, and answer `describe`
    /// with a sound manifest.
    pub fn load(&self, wasm: &[u8]) -> Result<Arc<Plugin>, PluginFailure> {
        let sha256 = sha256_hex(wasm);
        if let Some(plugin) = self.cached(&sha256) {
            return Ok(plugin);
        }
        let component = match &self.disk {
            Some(disk) => disk.component(&self.engine, &sha256, wasm),
            None => Component::new(&self.engine, wasm),
        }
        .map_err(|e| PluginFailure::Incompatible(format!("not a valid component: {e}")))?;
        let instance_pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| PluginFailure::Incompatible(format!("{e}")))?;
        let pre = Pre::new(&self.engine, &component, instance_pre)?;
        let report = self.run(
            &pre,
            &self.config.defaults,
            CallIo::pure(),
            |m, store| match m {
                Instance::V01(m) => m.call_describe(store).map(from01::manifest),
                Instance::V02(m) => m
                    .arcade_mechanic_plugin()
                    .call_describe(store)
                    .map(from02::manifest),
            },
        );
        let manifest = check_manifest(report.result?)?;
        let plugin = Arc::new(Plugin {
            sha256: sha256.clone(),
            schemas: Schemas::compile(&manifest)?,
            manifest,
            pre,
        });
        self.compiled.insert(plugin.clone());
        Ok(plugin)
    }

    /// The limits a call of `plugin` gets: the plugin's own request,
    /// replaced by operator overrides, never above the caps.
    pub fn limits_for(&self, budget: &LimitOverrides, overrides: &LimitOverrides) -> Limits {
        limits::effective(&self.config, budget, overrides)
    }

    /// Run `validate-config`. The outer error is the plugin's failure, the
    /// inner one the problems it found with the config; on success, the
    /// stock pools to create.
    pub fn validate_config(
        &self,
        plugin: &Plugin,
        limits: &Limits,
        config: &str,
    ) -> Result<Result<StockPools, Vec<ConfigProblem>>, PluginFailure> {
        let report = self.run(&plugin.pre, limits, CallIo::pure(), |m, store| {
            Ok(match m {
                Instance::V01(m) => m
                    .call_validate_config(store, &config.to_owned())?
                    .map(from01::setup)
                    .map_err(from01::problems),
                Instance::V02(m) => m
                    .arcade_mechanic_plugin()
                    .call_validate_config(store, &config.to_owned())?
                    .map(from02::setup)
                    .map_err(from02::problems),
            })
        });
        match report.result? {
            Ok(setup) => check_setup(setup).map(Ok),
            Err(problems) => check_problems(problems).map(Err),
        }
    }

    /// Run `handle` for one action.
    pub fn handle(
        &self,
        plugin: &Plugin,
        limits: &Limits,
        io: CallIo,
        ctx: &CallContext<'_>,
        action: &str,
        payload: &str,
    ) -> CallReport<Result<GuestOutcome, GuestError>> {
        let report = self.run(&plugin.pre, limits, io, |m, store| {
            Ok(match m {
                Instance::V01(m) => {
                    let action = bindings::v01::types::Action {
                        name: action.to_owned(),
                        payload: payload.to_owned(),
                    };
                    m.call_handle(store, &from01::context(ctx), &action)?
                        .map(|o| Ok(from01::outcome(o)))
                        .map_err(from01::error)
                }
                Instance::V02(m) => {
                    let action = bindings::v02::types::Action {
                        name: action.to_owned(),
                        payload: payload.to_owned(),
                    };
                    m.arcade_mechanic_plugin()
                        .call_handle(store, &from02::context(ctx), &action)?
                        .map(from02::outcome)
                        .map_err(from02::error)
                }
            })
        });
        let acting = ctx.user_id.to_owned();
        map_report(report, |r| {
            check_outcome_result(flatten(r)?, limits, &acting)
        })
    }

    /// Run `on-timer`.
    pub fn on_timer(
        &self,
        plugin: &Plugin,
        limits: &Limits,
        io: CallIo,
        ctx: &CallContext<'_>,
        timer: &DueTimer<'_>,
    ) -> CallReport<Result<GuestOutcome, GuestError>> {
        let report = self.run(&plugin.pre, limits, io, |m, store| {
            Ok(match m {
                Instance::V01(m) => m
                    .call_on_timer(store, &from01::context(ctx), &from01::timer(timer))?
                    .map(|o| Ok(from01::outcome(o)))
                    .map_err(from01::error),
                Instance::V02(m) => m
                    .arcade_mechanic_plugin()
                    .call_on_timer(store, &from02::context(ctx), &from02::timer(timer))?
                    .map(from02::outcome)
                    .map_err(from02::error),
            })
        });
        map_report(report, |r| check_outcome_result(flatten(r)?, limits, ""))
    }

    /// Run `view`. `query` is a JSON object for a 0.2 plugin (`{}` when
    /// the platform sent none); a 0.1 plugin's view takes none, and the
    /// caller refuses a query for it before calling (see
    /// [`Plugin::contract`]).
    pub fn view(
        &self,
        plugin: &Plugin,
        limits: &Limits,
        io: CallIo,
        ctx: &CallContext<'_>,
        query: &str,
    ) -> CallReport<Result<String, GuestError>> {
        let report = self.run(&plugin.pre, limits, io, |m, store| {
            Ok(match m {
                Instance::V01(m) => m
                    .call_view(store, &from01::context(ctx))?
                    .map_err(from01::error),
                Instance::V02(m) => m
                    .arcade_mechanic_plugin()
                    .call_view(store, &from02::context(ctx), &query.to_owned())?
                    .map_err(from02::error),
            })
        });
        map_report(report, |r| match r {
            Ok(text) => {
                check_json(&text, limits, "view")?;
                Ok(Ok(text))
            }
            Err(e) => Ok(Err(check_guest_error(e)?)),
        })
    }

    /// Instantiate `plugin` in a fresh store with `limits`, run `f`, and
    /// classify any failure.
    fn run<R>(
        &self,
        pre: &Pre,
        limits: &Limits,
        io: CallIo,
        f: impl FnOnce(&Instance, &mut Store<CallState>) -> wasmtime::Result<R>,
    ) -> CallReport<R> {
        let (wasi, stderr) = wasi::inert_ctx();
        let state = CallState {
            io,
            limiter: limits::MemoryLimiter {
                max_bytes: limits.memory_bytes as usize,
            },
            wasi,
            table: ResourceTable::new(),
            stderr,
        };
        let mut store = Store::new(&self.engine, state);
        let fuel_set = limits::arm(&mut store, limits);
        let outcome = pre
            .instantiate(&mut store)
            .and_then(|mechanic| f(&mechanic, &mut store));
        let fuel_used = match (fuel_set, store.get_fuel()) {
            (true, Ok(left)) => limits.fuel.saturating_sub(left),
            _ => 0,
        };
        let result = outcome.map_err(|e| classify(e, limits, &store.data().stderr));
        let CallState { mut io, .. } = store.into_data();
        // The instance is back in the pool: free the slot before the
        // commit, which needs no sandbox.
        io.permit = None;
        CallReport {
            result,
            io,
            fuel_used,
        }
    }
}

fn map_report<T, U>(
    report: CallReport<T>,
    check: impl FnOnce(T) -> Result<U, PluginFailure>,
) -> CallReport<U> {
    CallReport {
        result: report.result.and_then(check),
        io: report.io,
        fuel_used: report.fuel_used,
    }
}

fn classify(e: wasmtime::Error, limits: &Limits, stderr: &MemoryOutputPipe) -> PluginFailure {
    if let Some(trap) = e.downcast_ref::<Trap>() {
        match trap {
            Trap::OutOfFuel => return PluginFailure::FuelExhausted(limits.fuel),
            Trap::Interrupt => return PluginFailure::Timeout(limits.timeout_ms),
            _ => {}
        }
    }
    if let Some(fault) = e.downcast_ref::<HostFault>() {
        return PluginFailure::Host(fault.clone());
    }
    if let Some(full) = e.downcast_ref::<wasmtime::PoolConcurrencyLimitError>() {
        tracing::warn!(error = %full, "sandbox instance pool exhausted");
        return PluginFailure::Host(HostFault::Overloaded(Overloaded {
            reason: "every sandbox instance slot is in use",
            retry_after: std::time::Duration::from_secs(1),
        }));
    }
    if e.downcast_ref::<MemoryExceeded>().is_some() {
        return PluginFailure::MemoryExceeded(limits.memory_bytes as usize);
    }
    if let Some(bad) = e.downcast_ref::<BadOutput>() {
        return PluginFailure::BadOutput(bad.0.clone());
    }
    let printed = String::from_utf8_lossy(&stderr.contents())
        .trim()
        .to_owned();
    let mut message = format!("{e}");
    if !printed.is_empty() {
        message.push_str(": ");
        message.push_str(&truncate(printed, 512));
    }
    PluginFailure::Trap(message)
}

/// An outcome whose conversion may itself have found bad output.
fn flatten(
    r: Result<Result<output::RawOutcome, PluginFailure>, output::RawError>,
) -> Result<Result<output::RawOutcome, output::RawError>, PluginFailure> {
    match r {
        Ok(Ok(o)) => Ok(Ok(o)),
        Ok(Err(failure)) => Err(failure),
        Err(e) => Ok(Err(e)),
    }
}
