//! The store data of one sandboxed call: everything a single call may
//! touch, and the host side of every import. Nothing here is shared
//! between calls; a fresh `CallState` is built for each.

use std::collections::BTreeMap;

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use wasmtime::{ResourceLimiter, component::ResourceTable};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::arcade::mechanic::{
    clock, log, member, random, state, stock, timers, types, wallet,
};

use super::failure::{BadOutput, MemoryExceeded};
use crate::randomness::Stream;
use crate::store::{StateKey, StockLevel};
/// Severity of a plugin log line.
pub use log::Level as LogLevel;

/// Largest state key a plugin may use.
pub const MAX_KEY_BYTES: usize = 256;
/// Largest state value a plugin may store.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;
/// Most distinct state keys one call may write.
pub const MAX_WRITES: usize = 1024;
/// Log lines kept per call; the rest are dropped.
pub const MAX_LOG_LINES: usize = 64;
/// Bytes of one log line kept.
pub const MAX_LOG_LINE_BYTES: usize = 1024;

/// What a call may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `describe` / `validate-config`: no state, stock or randomness.
    Pure,
    /// `view`: reads only.
    ReadOnly,
    /// `handle` / `on-timer`: reads and buffered writes.
    ReadWrite,
}

/// A state entry as the call first saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenEntry {
    /// Value (None: absent or removed).
    pub value: Option<String>,
    /// Version (None: no row).
    pub version: Option<i64>,
}

/// A stock pool as the call first saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenStock {
    /// Size at creation.
    pub initial: i64,
    /// Units left when the snapshot was taken.
    pub remaining: i64,
}

/// Everything a call read from outside the sandbox. Stored with each
/// outcome so the call can be replayed exactly.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inputs {
    /// The call's clock.
    pub now_ms: i64,
    /// The activity's time zone.
    pub timezone: String,
    /// State entries touched, as first seen.
    #[serde(with = "as_pairs")]
    pub state: BTreeMap<StateKey, SeenEntry>,
    /// Stock pools touched, as first seen.
    pub stock: BTreeMap<String, SeenStock>,
    /// Balances of the acting user touched, as first seen.
    #[serde(default)]
    pub balances: BTreeMap<String, i64>,
    /// When the acting user was first seen by the tenant (outer `None`:
    /// not asked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen_ms: Option<Option<i64>>,
    /// For a timer call: when the timer was due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_ms: Option<i64>,
}

/// Fetches what a live call touches lazily (a team's state, the acting
/// user's balances). Called from the blocking thread running the guest.
pub trait Loader: Send {
    /// All state rows of one scope key (`#team:<id>`).
    fn scope(&mut self, scope_key: &str) -> Result<Vec<crate::store::StateEntry>, String>;
    /// The acting user's balances.
    fn balances(&mut self) -> Result<Vec<(String, i64)>, String>;
    /// When the acting user's first outcome with the tenant committed.
    fn first_seen(&mut self) -> Result<Option<i64>, String>;
}

/// A timer change buffered by a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum TimerOp {
    /// Schedule `name` at `due_ms` with `payload`.
    Schedule {
        /// Name.
        name: String,
        /// Due time.
        due_ms: i64,
        /// Payload JSON.
        payload: String,
    },
    /// Cancel `name`.
    Cancel {
        /// Name.
        name: String,
    },
}

/// The state-key prefix of team scopes. User ids may not start with `#`.
pub const TEAM_PREFIX: &str = "#team:";

/// JSON maps need string keys; state keys are structs, so store pairs.
mod as_pairs {
    use super::{BTreeMap, SeenEntry, StateKey};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        map: &BTreeMap<StateKey, SeenEntry>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<StateKey, SeenEntry>, D::Error> {
        let pairs = Vec::<(StateKey, SeenEntry)>::deserialize(d)?;
        Ok(pairs.into_iter().collect())
    }
}

/// Where reads come from.
pub enum Source {
    /// A live snapshot: anything may be read; teams and balances are
    /// fetched through the loader when first touched.
    Snapshot {
        /// State by key.
        state: BTreeMap<StateKey, SeenEntry>,
        /// Stock by pool.
        stock: BTreeMap<String, SeenStock>,
        /// Scope keys whose rows are in `state`.
        loaded: std::collections::BTreeSet<String>,
        /// Balances, once loaded.
        balances: Option<BTreeMap<String, i64>>,
        /// Where lazy reads come from.
        loader: Option<Box<dyn Loader>>,
    },
    /// A replay: only what the original call read is available, and
    /// reading anything else marks the replay as diverged.
    Recorded,
}

/// The guest-facing side of a call.
pub struct CallIo {
    pub(crate) mode: Mode,
    pub(crate) user_id: String,
    pub(crate) timezone: Tz,
    pub(crate) source: Source,
    pub(crate) inputs: Inputs,
    /// Buffered writes by key.
    pub(crate) writes: BTreeMap<StateKey, Option<String>>,
    /// Net stock change by pool.
    pub(crate) stock_delta: BTreeMap<String, i64>,
    /// Debits by currency (positive amounts).
    pub(crate) debits: BTreeMap<String, i64>,
    /// Timer changes, in order.
    pub(crate) timers: Vec<TimerOp>,
    pub(crate) rng: Option<Stream>,
    pub(crate) logs: Vec<(log::Level, String)>,
    pub(crate) dropped_logs: usize,
    /// Set when a replay read something the original call did not.
    pub(crate) diverged: bool,
    /// Time spent waiting on the store for lazy reads; it does not count
    /// against the plugin's deadline.
    pub(crate) host_wait: std::time::Duration,
}

impl CallIo {
    /// A call over a live snapshot (of the activity scope, the acting
    /// user's scope and the stock), with `loader` for the rest.
    pub fn live(
        mode: Mode,
        user_id: &str,
        timezone: Tz,
        now_ms: i64,
        snapshot: crate::store::Snapshot,
        rng: Option<Stream>,
        loader: Option<Box<dyn Loader>>,
    ) -> Self {
        let state = snapshot
            .state
            .into_iter()
            .map(|e| {
                (
                    e.key,
                    SeenEntry {
                        value: e.value,
                        version: Some(e.version),
                    },
                )
            })
            .collect();
        let stock = snapshot
            .stock
            .into_iter()
            .map(
                |StockLevel {
                     pool,
                     initial,
                     remaining,
                 }| (pool, SeenStock { initial, remaining }),
            )
            .collect();
        let loaded = [String::new(), user_id.to_owned()].into_iter().collect();
        let source = Source::Snapshot {
            state,
            stock,
            loaded,
            balances: None,
            loader,
        };
        Self::new(mode, user_id, timezone, now_ms, source, rng)
    }

    /// A call that replays recorded inputs.
    pub fn replay(mode: Mode, user_id: &str, timezone: Tz, inputs: Inputs, rng: Stream) -> Self {
        let mut io = Self::new(
            mode,
            user_id,
            timezone,
            inputs.now_ms,
            Source::Recorded,
            Some(rng),
        );
        io.inputs = inputs;
        io
    }

    /// A call with no state at all (describe, validate-config).
    pub fn pure() -> Self {
        Self::new(Mode::Pure, "", chrono_tz::UTC, 0, Source::Recorded, None)
    }

    fn new(
        mode: Mode,
        user_id: &str,
        timezone: Tz,
        now_ms: i64,
        source: Source,
        rng: Option<Stream>,
    ) -> Self {
        CallIo {
            mode,
            user_id: user_id.to_owned(),
            timezone,
            source,
            inputs: Inputs {
                now_ms,
                timezone: timezone.name().to_owned(),
                ..Inputs::default()
            },
            writes: BTreeMap::new(),
            stock_delta: BTreeMap::new(),
            debits: BTreeMap::new(),
            timers: Vec::new(),
            rng,
            logs: Vec::new(),
            dropped_logs: 0,
            diverged: false,
            host_wait: std::time::Duration::ZERO,
        }
    }

    fn key(&self, scope: types::Scope, key: String) -> wasmtime::Result<StateKey> {
        let user_id = match scope {
            types::Scope::Activity => String::new(),
            types::Scope::User if self.user_id.is_empty() => {
                return Err(bad("user state is not available without an acting user"));
            }
            types::Scope::User => self.user_id.clone(),
            types::Scope::Team(id) => {
                if id.is_empty() || id.len() > 64 {
                    return Err(bad("a team id must be 1 to 64 bytes"));
                }
                format!("{TEAM_PREFIX}{id}")
            }
        };
        Ok(StateKey { user_id, key })
    }

    /// The entry as first seen by this call, recording it as an input.
    fn seen(&mut self, key: &StateKey) -> wasmtime::Result<SeenEntry> {
        if let Some(seen) = self.inputs.state.get(key) {
            return Ok(seen.clone());
        }
        if let Source::Snapshot {
            state,
            loaded,
            loader,
            ..
        } = &mut self.source
            && !loaded.contains(&key.user_id)
        {
            let loader = loader
                .as_mut()
                .ok_or_else(|| bad("this call cannot load team state"))?;
            let waiting = std::time::Instant::now();
            let rows = loader.scope(&key.user_id);
            self.host_wait += waiting.elapsed();
            let rows = rows.map_err(|e| wasmtime::Error::msg(format!("loading state: {e}")))?;
            for e in rows {
                state.insert(
                    e.key,
                    SeenEntry {
                        value: e.value,
                        version: Some(e.version),
                    },
                );
            }
            loaded.insert(key.user_id.clone());
        }
        let seen = match &self.source {
            Source::Snapshot { state, .. } => state.get(key).cloned().unwrap_or(SeenEntry {
                value: None,
                version: None,
            }),
            Source::Recorded => {
                self.diverged = true;
                SeenEntry {
                    value: None,
                    version: None,
                }
            }
        };
        self.inputs.state.insert(key.clone(), seen.clone());
        Ok(seen)
    }

    /// The acting user's balance as first seen, recording it as an input.
    fn seen_balance(&mut self, currency: &str) -> wasmtime::Result<i64> {
        if self.user_id.is_empty() {
            return Err(bad("the wallet is not available without an acting user"));
        }
        if let Some(b) = self.inputs.balances.get(currency) {
            return Ok(*b);
        }
        let seen = match &mut self.source {
            Source::Snapshot {
                balances, loader, ..
            } => {
                if balances.is_none() {
                    let loader = loader
                        .as_mut()
                        .ok_or_else(|| bad("this call cannot load balances"))?;
                    let waiting = std::time::Instant::now();
                    let rows = loader.balances();
                    self.host_wait += waiting.elapsed();
                    let rows =
                        rows.map_err(|e| wasmtime::Error::msg(format!("loading balances: {e}")))?;
                    *balances = Some(rows.into_iter().collect());
                }
                balances
                    .as_ref()
                    .and_then(|b| b.get(currency).copied())
                    .unwrap_or(0)
            }
            Source::Recorded => {
                self.diverged = true;
                0
            }
        };
        self.inputs.balances.insert(currency.to_owned(), seen);
        Ok(seen)
    }

    fn seen_stock(&mut self, pool: &str) -> Option<SeenStock> {
        if let Some(seen) = self.inputs.stock.get(pool) {
            return Some(*seen);
        }
        match &self.source {
            Source::Snapshot { stock, .. } => {
                let seen = *stock.get(pool)?;
                self.inputs.stock.insert(pool.to_owned(), seen);
                Some(seen)
            }
            Source::Recorded => {
                self.diverged = true;
                None
            }
        }
    }

    fn require(&self, needed: Mode, what: &str) -> wasmtime::Result<()> {
        let allowed = match needed {
            Mode::Pure => true,
            Mode::ReadOnly => self.mode != Mode::Pure,
            Mode::ReadWrite => self.mode == Mode::ReadWrite,
        };
        if allowed {
            Ok(())
        } else {
            Err(wasmtime::Error::new(BadOutput(format!(
                "{what} is not allowed in this export"
            ))))
        }
    }
}

fn bad(message: &str) -> wasmtime::Error {
    wasmtime::Error::new(BadOutput(message.to_owned()))
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

/// The store data.
pub struct CallState {
    pub(crate) io: CallIo,
    pub(crate) limiter: MemoryLimiter,
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) stderr: wasmtime_wasi::p2::pipe::MemoryOutputPipe,
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl types::Host for CallState {}

impl state::Host for CallState {
    fn get(&mut self, scope: types::Scope, key: String) -> wasmtime::Result<Option<String>> {
        let io = &mut self.io;
        io.require(Mode::ReadOnly, "state.get")?;
        let key = io.key(scope, key)?;
        if let Some(written) = io.writes.get(&key) {
            return Ok(written.clone());
        }
        Ok(io.seen(&key)?.value)
    }

    fn set(&mut self, scope: types::Scope, key: String, value: String) -> wasmtime::Result<()> {
        self.write(scope, key, Some(value))
    }

    fn remove(&mut self, scope: types::Scope, key: String) -> wasmtime::Result<()> {
        self.write(scope, key, None)
    }
}

impl CallState {
    fn write(
        &mut self,
        scope: types::Scope,
        key: String,
        value: Option<String>,
    ) -> wasmtime::Result<()> {
        let io = &mut self.io;
        io.require(Mode::ReadWrite, "state.set")?;
        if key.is_empty() || key.len() > MAX_KEY_BYTES {
            return Err(wasmtime::Error::new(BadOutput(format!(
                "state key must be 1 to {MAX_KEY_BYTES} bytes"
            ))));
        }
        if value.as_ref().is_some_and(|v| v.len() > MAX_VALUE_BYTES) {
            return Err(wasmtime::Error::new(BadOutput(format!(
                "state value for {key:?} exceeds {MAX_VALUE_BYTES} bytes"
            ))));
        }
        let key = io.key(scope, key)?;
        if !io.writes.contains_key(&key) && io.writes.len() >= MAX_WRITES {
            return Err(wasmtime::Error::new(BadOutput(format!(
                "a call may write at most {MAX_WRITES} keys"
            ))));
        }
        // The commit compares against the version first seen.
        io.seen(&key)?;
        io.writes.insert(key, value);
        Ok(())
    }
}

impl stock::Host for CallState {
    fn available(&mut self, pool: String) -> wasmtime::Result<Option<u64>> {
        let io = &mut self.io;
        io.require(Mode::ReadOnly, "stock.available")?;
        let Some(seen) = io.seen_stock(&pool) else {
            return Ok(None);
        };
        let delta = io.stock_delta.get(&pool).copied().unwrap_or(0);
        Ok(Some((seen.remaining + delta).max(0) as u64))
    }

    fn claim(
        &mut self,
        pool: String,
        count: u64,
    ) -> wasmtime::Result<Result<(), stock::StockError>> {
        self.change_stock(pool, count, -1)
    }

    fn release(
        &mut self,
        pool: String,
        count: u64,
    ) -> wasmtime::Result<Result<(), stock::StockError>> {
        self.change_stock(pool, count, 1)
    }
}

impl CallState {
    fn change_stock(
        &mut self,
        pool: String,
        count: u64,
        sign: i64,
    ) -> wasmtime::Result<Result<(), stock::StockError>> {
        let io = &mut self.io;
        io.require(Mode::ReadWrite, "stock.claim/release")?;
        let Some(seen) = io.seen_stock(&pool) else {
            return Ok(Err(stock::StockError::UnknownPool));
        };
        let Ok(count) = i64::try_from(count) else {
            return Ok(Err(stock::StockError::InvalidCount));
        };
        if count == 0 {
            return Ok(Err(stock::StockError::InvalidCount));
        }
        let delta = io.stock_delta.get(&pool).copied().unwrap_or(0);
        let after = seen.remaining + delta + sign * count;
        if after < 0 {
            return Ok(Err(stock::StockError::Insufficient));
        }
        if after > seen.initial {
            return Ok(Err(stock::StockError::InvalidCount));
        }
        io.stock_delta.insert(pool, delta + sign * count);
        Ok(Ok(()))
    }
}

impl wallet::Host for CallState {
    fn balance(&mut self, currency: String) -> wasmtime::Result<i64> {
        let io = &mut self.io;
        io.require(Mode::ReadOnly, "wallet.balance")?;
        let seen = io.seen_balance(&currency)?;
        Ok(seen - io.debits.get(&currency).copied().unwrap_or(0))
    }

    fn debit(
        &mut self,
        currency: String,
        amount: i64,
    ) -> wasmtime::Result<Result<(), wallet::WalletError>> {
        let io = &mut self.io;
        io.require(Mode::ReadWrite, "wallet.debit")?;
        if amount <= 0 || currency.is_empty() || currency.len() > 64 {
            return Ok(Err(wallet::WalletError::InvalidAmount));
        }
        let seen = io.seen_balance(&currency)?;
        let spent = io.debits.get(&currency).copied().unwrap_or(0);
        if seen - spent < amount {
            return Ok(Err(wallet::WalletError::Insufficient));
        }
        io.debits.insert(currency, spent + amount);
        Ok(Ok(()))
    }
}

impl member::Host for CallState {
    fn first_seen_ms(&mut self) -> wasmtime::Result<Option<i64>> {
        let io = &mut self.io;
        io.require(Mode::ReadOnly, "member.first-seen-ms")?;
        if io.user_id.is_empty() {
            return Err(bad("member facts need an acting user"));
        }
        if let Some(seen) = io.inputs.first_seen_ms {
            return Ok(seen);
        }
        let seen = match &mut io.source {
            Source::Snapshot { loader, .. } => {
                let loader = loader
                    .as_mut()
                    .ok_or_else(|| bad("this call cannot load member facts"))?;
                let waiting = std::time::Instant::now();
                let seen = loader.first_seen();
                io.host_wait += waiting.elapsed();
                seen.map_err(|e| wasmtime::Error::msg(format!("loading member facts: {e}")))?
            }
            Source::Recorded => {
                io.diverged = true;
                None
            }
        };
        io.inputs.first_seen_ms = Some(seen);
        Ok(seen)
    }
}

impl timers::Host for CallState {
    fn schedule(&mut self, name: String, due_ms: i64, payload: String) -> wasmtime::Result<()> {
        let io = &mut self.io;
        io.require(Mode::ReadWrite, "timers.schedule")?;
        if name.is_empty() || name.len() > 128 {
            return Err(bad("a timer name must be 1 to 128 bytes"));
        }
        if payload.len() > MAX_VALUE_BYTES
            || serde_json::from_str::<serde::de::IgnoredAny>(&payload).is_err()
        {
            return Err(bad("a timer payload must be JSON of at most 64 KiB"));
        }
        if io.timers.len() >= MAX_WRITES {
            return Err(bad("too many timer changes in one call"));
        }
        io.timers.push(TimerOp::Schedule {
            name,
            due_ms,
            payload,
        });
        Ok(())
    }

    fn cancel(&mut self, name: String) -> wasmtime::Result<()> {
        let io = &mut self.io;
        io.require(Mode::ReadWrite, "timers.cancel")?;
        if io.timers.len() >= MAX_WRITES {
            return Err(bad("too many timer changes in one call"));
        }
        io.timers.push(TimerOp::Cancel { name });
        Ok(())
    }
}

impl random::Host for CallState {
    fn next_u64(&mut self) -> wasmtime::Result<u64> {
        Ok(self.stream()?.next_u64())
    }

    fn below(&mut self, bound: u64) -> wasmtime::Result<u64> {
        if bound == 0 {
            return Err(wasmtime::Error::new(BadOutput(
                "random.below called with a zero bound".into(),
            )));
        }
        Ok(self.stream()?.below(bound))
    }
}

impl CallState {
    fn stream(&mut self) -> wasmtime::Result<&mut Stream> {
        self.io.require(Mode::ReadOnly, "random")?;
        self.io.rng.as_mut().ok_or_else(|| {
            wasmtime::Error::new(BadOutput("randomness is not available in view".into()))
        })
    }
}

impl clock::Host for CallState {
    fn now_ms(&mut self) -> wasmtime::Result<i64> {
        self.io.require(Mode::ReadOnly, "clock")?;
        Ok(self.io.inputs.now_ms)
    }

    fn timezone(&mut self) -> wasmtime::Result<String> {
        self.io.require(Mode::ReadOnly, "clock")?;
        Ok(self.io.timezone.name().to_owned())
    }

    fn today(&mut self) -> wasmtime::Result<String> {
        self.io.require(Mode::ReadOnly, "clock")?;
        Ok(crate::clock::business_day(
            self.io.timezone,
            self.io.inputs.now_ms,
        ))
    }

    fn day_of(&mut self, ms: i64) -> wasmtime::Result<String> {
        self.io.require(Mode::ReadOnly, "clock")?;
        Ok(crate::clock::business_day(self.io.timezone, ms))
    }
}

impl log::Host for CallState {
    fn write(&mut self, level: log::Level, mut message: String) -> wasmtime::Result<()> {
        let io = &mut self.io;
        if io.logs.len() >= MAX_LOG_LINES {
            io.dropped_logs += 1;
            return Ok(());
        }
        if message.len() > MAX_LOG_LINE_BYTES {
            let mut cut = MAX_LOG_LINE_BYTES;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
        }
        io.logs.push((level, message));
        Ok(())
    }
}
