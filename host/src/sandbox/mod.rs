//! The sandbox: compiles plugin components once, and runs each call in a
//! fresh store with fuel, an epoch deadline, a memory limit and an output
//! cap. The guest reaches nothing outside except the `arcade:mechanic`
//! imports; the WASI imports a Rust component links against are present
//! but inert (no files, sockets, environment or arguments; a frozen clock;
//! a fixed-seed random source), so a plugin cannot observe the real world
//! except through the host.

mod bindings;
pub mod call;
mod failure;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Trap,
    UpdateDeadline,
};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::p2::pipe::{MemoryOutputPipe, SinkOutputStream};

use bindings::{Mechanic, MechanicPre, types as wit};
pub use call::{CallIo, Inputs, Loader, Mode, TEAM_PREFIX, TimerOp};
use call::{CallState, MemoryLimiter};
pub use failure::PluginFailure;
use failure::{BadOutput, MemoryExceeded};

/// Linear memory kept mapped per pool slot between calls.
const KEEP_RESIDENT_BYTES: usize = 8 << 20;

/// How often the epoch ticks; deadlines are rounded up to it.
const EPOCH_TICK: Duration = Duration::from_millis(2);

/// Resources one call may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy)]
pub struct SandboxConfig {
    /// Limits for a plugin that asks for nothing.
    pub defaults: Limits,
    /// Nothing is granted beyond these.
    pub caps: Limits,
    /// Calls that may run at once (pooling allocator slots).
    pub max_concurrent_calls: u32,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            defaults: Limits::DEFAULT,
            caps: Limits::DEFAULT_CAPS,
            max_concurrent_calls: 256,
        }
    }
}

/// One action the plugin accepts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ActionSpec {
    /// Name.
    pub name: String,
    /// One sentence.
    pub summary: String,
    /// JSON Schema of the payload.
    pub payload_schema: serde_json::Value,
}

/// A plugin's `describe` answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// kebab-case name.
    pub name: String,
    /// Version.
    pub version: String,
    /// For operators.
    pub summary: String,
    /// Actions accepted by `handle`.
    pub actions: Vec<ActionSpec>,
    /// JSON Schema of the config.
    pub config_schema: serde_json::Value,
    /// Resources it asks for.
    pub budget: LimitOverrides,
}

/// A compiled, validated plugin version, ready to instantiate.
pub struct Plugin {
    /// Hex sha256 of the component bytes.
    pub sha256: String,
    /// Its manifest.
    pub manifest: Manifest,
    pre: MechanicPre<CallState>,
}

/// A refusal by the mechanic (a rule said no); nothing is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestError {
    /// `invalid_input`, `rejected` or `not_found`.
    pub kind: GuestErrorKind,
    /// snake_case code.
    pub code: String,
    /// Message.
    pub message: String,
}

/// HTTP-level class of a guest refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuestErrorKind {
    /// 422.
    InvalidInput,
    /// 409.
    Rejected,
    /// 404.
    NotFound,
}

/// A problem with a config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigProblem {
    /// Field path.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// Stock pools to create: `(id, initial units)`.
pub type StockPools = Vec<(String, i64)>;

/// A successful `handle` or `on-timer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestOutcome {
    /// Result JSON text.
    pub result: String,
    /// Rewards granted, beneficiaries resolved.
    pub rewards: Vec<crate::store::RewardRow>,
    /// Events to record.
    pub events: Vec<crate::store::EventRow>,
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
    linker: Linker<CallState>,
    config: SandboxConfig,
    compiled: Mutex<HashMap<String, Arc<Plugin>>>,
    ticking: Arc<AtomicBool>,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.ticking.store(false, Ordering::Relaxed);
    }
}

/// Hex sha256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Sandbox {
    /// Build the engine and start its epoch ticker.
    pub fn new(config: SandboxConfig) -> anyhow::Result<Self> {
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
        let engine = Engine::new(&wasm).map_err(|e| anyhow::anyhow!("{e}"))?;

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(|e| anyhow::anyhow!("{e}"))?;
        Mechanic::add_to_linker::<CallState, HasSelf<CallState>>(&mut linker, |s| s)
            .map_err(|e| anyhow::anyhow!("{e}"))?;

        let ticking = Arc::new(AtomicBool::new(true));
        let (ticker_engine, running) = (engine.clone(), ticking.clone());
        std::thread::Builder::new()
            .name("arcade-epoch".into())
            .spawn(move || {
                while running.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    ticker_engine.increment_epoch();
                }
            })?;

        Ok(Sandbox {
            engine,
            linker,
            config,
            compiled: Mutex::new(HashMap::new()),
            ticking,
        })
    }

    /// The sandbox settings.
    pub fn config(&self) -> &SandboxConfig {
        &self.config
    }

    /// A compiled plugin already in the cache.
    pub fn cached(&self, sha256: &str) -> Option<Arc<Plugin>> {
        self.compiled
            .lock()
            .expect("cache lock")
            .get(sha256)
            .cloned()
    }

    /// Compile and validate a component (or return the cached one): it
    /// must compile, implement the `mechanic` world, and answer `describe`
    /// with a sound manifest.
    pub fn load(&self, wasm: &[u8]) -> Result<Arc<Plugin>, PluginFailure> {
        let sha256 = sha256_hex(wasm);
        if let Some(plugin) = self.cached(&sha256) {
            return Ok(plugin);
        }
        let component = Component::new(&self.engine, wasm)
            .map_err(|e| PluginFailure::Incompatible(format!("not a valid component: {e}")))?;
        let instance_pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| PluginFailure::Incompatible(format!("{e}")))?;
        let pre = MechanicPre::new(instance_pre)
            .map_err(|e| PluginFailure::Incompatible(format!("{e}")))?;
        let mut plugin = Plugin {
            sha256: sha256.clone(),
            manifest: Manifest {
                name: String::new(),
                version: String::new(),
                summary: String::new(),
                actions: Vec::new(),
                config_schema: serde_json::Value::Null,
                budget: LimitOverrides::default(),
            },
            pre,
        };
        let report = self.run(
            &plugin,
            &self.config.defaults,
            CallIo::pure(),
            |m, store| m.call_describe(store),
        );
        let described = report.result?;
        plugin.manifest = check_manifest(described)?;
        let plugin = Arc::new(plugin);
        self.compiled
            .lock()
            .expect("cache lock")
            .insert(sha256, plugin.clone());
        Ok(plugin)
    }

    /// The limits a call of `plugin` gets: the plugin's own request,
    /// replaced by operator overrides, never above the caps.
    pub fn limits_for(&self, budget: &LimitOverrides, overrides: &LimitOverrides) -> Limits {
        let d = &self.config.defaults;
        let c = &self.config.caps;
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

    /// Run `validate-config`. The outer error is the plugin's failure, the
    /// inner one the problems it found with the config; on success, the
    /// stock pools to create.
    pub fn validate_config(
        &self,
        plugin: &Plugin,
        limits: &Limits,
        config: &str,
    ) -> Result<Result<StockPools, Vec<ConfigProblem>>, PluginFailure> {
        let report = self.run(plugin, limits, CallIo::pure(), |m, store| {
            m.call_validate_config(store, &config.to_owned())
        });
        match report.result? {
            Ok(setup) => check_setup(setup).map(Ok),
            Err(problems) => {
                if problems.is_empty() || problems.len() > 100 {
                    return Err(PluginFailure::BadOutput(
                        "validate-config must report 1 to 100 problems".into(),
                    ));
                }
                Ok(Err(problems
                    .into_iter()
                    .map(|p| ConfigProblem {
                        field: truncate(p.field, 256),
                        message: truncate(p.message, 1024),
                    })
                    .collect()))
            }
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
        let wit_ctx = wit_context(ctx);
        let wit_action = wit::Action {
            name: action.to_owned(),
            payload: payload.to_owned(),
        };
        let report = self.run(plugin, limits, io, |m, store| {
            m.call_handle(store, &wit_ctx, &wit_action)
        });
        let acting = ctx.user_id.to_owned();
        map_report(report, |r| check_outcome_result(r, limits, &acting))
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
        let wit_ctx = wit_context(ctx);
        let timer = wit::Timer {
            name: timer.name.to_owned(),
            payload: timer.payload.to_owned(),
            due_ms: timer.due_ms,
        };
        let report = self.run(plugin, limits, io, |m, store| {
            m.call_on_timer(store, &wit_ctx, &timer)
        });
        map_report(report, |r| check_outcome_result(r, limits, ""))
    }

    /// Run `view`.
    pub fn view(
        &self,
        plugin: &Plugin,
        limits: &Limits,
        io: CallIo,
        ctx: &CallContext<'_>,
    ) -> CallReport<Result<String, GuestError>> {
        let wit_ctx = wit_context(ctx);
        let report = self.run(plugin, limits, io, |m, store| m.call_view(store, &wit_ctx));
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
        plugin: &Plugin,
        limits: &Limits,
        io: CallIo,
        f: impl FnOnce(&Mechanic, &mut Store<CallState>) -> wasmtime::Result<R>,
    ) -> CallReport<R> {
        let stderr = MemoryOutputPipe::new(4096);
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
        let state = CallState {
            io,
            limiter: MemoryLimiter {
                max_bytes: limits.memory_bytes as usize,
            },
            wasi,
            table: ResourceTable::new(),
            stderr,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        let fuel_set = store.set_fuel(limits.fuel).is_ok();
        // The deadline counts guest time only: waits on the store for lazy
        // reads (see `CallIo::host_wait`) extend it.
        let timeout = Duration::from_millis(u64::from(limits.timeout_ms));
        let ticks =
            |d: Duration| (d.as_millis() as u64).div_ceil(EPOCH_TICK.as_millis() as u64) + 1;
        let started = std::time::Instant::now();
        store.set_epoch_deadline(ticks(timeout));
        store.epoch_deadline_callback(move |ctx| {
            let guest = started.elapsed().saturating_sub(ctx.data().io.host_wait);
            Ok(match timeout.checked_sub(guest) {
                Some(left) if !left.is_zero() => UpdateDeadline::Continue(ticks(left)),
                _ => UpdateDeadline::Interrupt,
            })
        });

        let outcome = plugin
            .pre
            .instantiate(&mut store)
            .and_then(|mechanic| f(&mechanic, &mut store));
        let fuel_used = match (fuel_set, store.get_fuel()) {
            (true, Ok(left)) => limits.fuel.saturating_sub(left),
            _ => 0,
        };
        let result = outcome.map_err(|e| classify(e, limits, &store.data().stderr));
        let CallState { io, .. } = store.into_data();
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

fn wit_context(ctx: &CallContext<'_>) -> wit::Context {
    wit::Context {
        activity_id: ctx.activity_id.to_owned(),
        user_id: ctx.user_id.to_owned(),
        call_id: ctx.call_id.to_owned(),
        config: ctx.config.to_owned(),
    }
}

fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

fn check_json(text: &str, limits: &Limits, what: &str) -> Result<(), PluginFailure> {
    if text.len() > limits.output_bytes as usize {
        return Err(PluginFailure::BadOutput(format!(
            "{what} is {} bytes, more than the {} byte cap",
            text.len(),
            limits.output_bytes
        )));
    }
    serde_json::from_str::<serde::de::IgnoredAny>(text)
        .map_err(|e| PluginFailure::BadOutput(format!("{what} is not valid JSON: {e}")))?;
    Ok(())
}

fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn check_guest_error(e: wit::Error) -> Result<GuestError, PluginFailure> {
    if !is_code(&e.code) {
        return Err(PluginFailure::BadOutput(format!(
            "error code {:?} is not snake_case of at most 64 characters",
            truncate(e.code, 80)
        )));
    }
    Ok(GuestError {
        kind: match e.kind {
            wit::ErrorKind::InvalidInput => GuestErrorKind::InvalidInput,
            wit::ErrorKind::Rejected => GuestErrorKind::Rejected,
            wit::ErrorKind::NotFound => GuestErrorKind::NotFound,
        },
        code: e.code,
        message: truncate(e.message, 1024),
    })
}

fn check_outcome_result(
    r: Result<wit::Outcome, wit::Error>,
    limits: &Limits,
    acting_user: &str,
) -> Result<Result<GuestOutcome, GuestError>, PluginFailure> {
    let outcome = match r {
        Ok(o) => o,
        Err(e) => return Ok(Err(check_guest_error(e)?)),
    };
    check_json(&outcome.result, limits, "result")?;
    if outcome.rewards.len() > 64 {
        return Err(PluginFailure::BadOutput(
            "an outcome may grant at most 64 rewards".into(),
        ));
    }
    if outcome.events.len() > 64 {
        return Err(PluginFailure::BadOutput(
            "an outcome may record at most 64 events".into(),
        ));
    }
    let mut rewards = Vec::with_capacity(outcome.rewards.len());
    for r in outcome.rewards {
        if r.amount <= 0 || r.item.is_empty() || r.item.len() > 64 || r.name.len() > 256 {
            return Err(PluginFailure::BadOutput(format!(
                "reward {:?} needs a positive amount, a 1-64 byte item and a name of at most 256 bytes",
                truncate(r.item, 64)
            )));
        }
        let user_id = if r.user_id.is_empty() {
            acting_user.to_owned()
        } else {
            r.user_id
        };
        if user_id.is_empty() || user_id.len() > 128 || user_id.starts_with('#') {
            return Err(PluginFailure::BadOutput(
                "a reward needs a beneficiary: name the user (there is no acting user here)".into(),
            ));
        }
        let kind = match r.kind {
            wit::RewardKind::Prize => "prize",
            wit::RewardKind::Points => "points",
            wit::RewardKind::Coupon => "coupon",
            wit::RewardKind::Tickets => "tickets",
        };
        let item = if kind == "points" {
            "points".to_owned()
        } else {
            r.item
        };
        rewards.push(crate::store::RewardRow {
            user_id,
            kind: kind.into(),
            item,
            name: r.name,
            amount: r.amount,
            expires_at: r.expires_ms.filter(|_| kind == "coupon"),
            code: None,
        });
    }
    let mut events = Vec::with_capacity(outcome.events.len());
    for e in outcome.events {
        let dotted = |s: &str| {
            !s.is_empty()
                && s.len() <= 64
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_')
        };
        if !dotted(&e.kind) || e.subject.len() > 128 {
            return Err(PluginFailure::BadOutput(format!(
                "event kind {:?} must be dotted lower-case and the subject at most 128 bytes",
                truncate(e.kind, 64)
            )));
        }
        let data = if e.data.is_empty() {
            "{}".to_owned()
        } else {
            e.data
        };
        check_json(&data, limits, "event data")?;
        events.push(crate::store::EventRow {
            kind: e.kind,
            subject: e.subject,
            data,
        });
    }
    Ok(Ok(GuestOutcome {
        result: outcome.result,
        rewards,
        events,
    }))
}

fn check_setup(setup: wit::Setup) -> Result<Vec<(String, i64)>, PluginFailure> {
    if setup.stock.len() > 1000 {
        return Err(PluginFailure::BadOutput(
            "an activity may have at most 1000 stock pools".into(),
        ));
    }
    let mut pools: Vec<(String, i64)> = Vec::with_capacity(setup.stock.len());
    for p in setup.stock {
        let initial = i64::try_from(p.initial)
            .map_err(|_| PluginFailure::BadOutput(format!("stock pool {:?} is too large", p.id)))?;
        if p.id.is_empty() || p.id.len() > 64 || pools.iter().any(|(id, _)| *id == p.id) {
            return Err(PluginFailure::BadOutput(format!(
                "stock pool id {:?} must be unique and 1 to 64 bytes",
                truncate(p.id, 64)
            )));
        }
        pools.push((p.id, initial));
    }
    Ok(pools)
}

fn check_manifest(m: wit::Manifest) -> Result<Manifest, PluginFailure> {
    let bad = |msg: String| PluginFailure::BadOutput(format!("describe: {msg}"));
    let kebab = |s: &str| {
        !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if !kebab(&m.name) {
        return Err(bad(format!("name {:?} is not kebab-case", m.name)));
    }
    if m.version.is_empty()
        || m.version.len() > 32
        || !m
            .version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-+".contains(&b))
    {
        return Err(bad(format!("version {:?} is not a version", m.version)));
    }
    let parse = |text: &str, what: &str| {
        serde_json::from_str::<serde_json::Value>(text)
            .map_err(|e| bad(format!("{what} is not JSON: {e}")))
    };
    let mut actions = Vec::with_capacity(m.actions.len());
    for a in m.actions {
        if !is_code(&a.name.replace('-', "_")) {
            return Err(bad(format!(
                "action name {:?} is not a simple name",
                a.name
            )));
        }
        actions.push(ActionSpec {
            payload_schema: parse(&a.payload_schema, "payload schema")?,
            name: a.name,
            summary: a.summary,
        });
    }
    Ok(Manifest {
        config_schema: parse(&m.config_schema, "config schema")?,
        name: m.name,
        version: m.version,
        summary: m.summary,
        actions,
        budget: LimitOverrides {
            fuel: m.budget.fuel,
            memory_bytes: m.budget.memory_bytes,
            timeout_ms: m.budget.timeout_ms,
        },
    })
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
