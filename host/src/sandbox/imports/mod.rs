//! The host side of every `arcade:mechanic` import, over the store data of
//! one call ([`CallState`]). Each import reads the call's snapshot and
//! buffers writes in [`CallIo`]; nothing here touches the database except
//! through the call's [`super::Loader`].
//!
//! One implementation serves every contract version: the methods below
//! take and return the host's own types, and `v01.rs` and `v02.rs` adapt
//! each version's generated `Host` traits to them.

mod v01;
mod v02;

use chrono::NaiveDate;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::call::{
    CallIo, LogLevel, MAX_DRAWS, MAX_KEY_BYTES, MAX_LOG_LINE_BYTES, MAX_LOG_LINES, MAX_VALUE_BYTES,
    MAX_WRITES, Mode, Scope, Source, TimerOp, bad,
};
use super::failure::BadOutput;
use super::limits::MemoryLimiter;
use crate::randomness::Stream;

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

/// Why a stock claim or release was refused.
pub(crate) enum StockRefusal {
    UnknownPool,
    Insufficient,
    InvalidCount,
}

/// Why a debit was refused.
pub(crate) enum WalletRefusal {
    Insufficient,
    InvalidAmount,
}

impl CallState {
    fn state_get(&mut self, scope: Scope, key: String) -> wasmtime::Result<Option<String>> {
        let io = &mut self.io;
        io.require(Mode::ReadOnly, "state.get")?;
        if key == super::call::SEQUENCE_KEY {
            // The host's own entry; no plugin key is empty.
            return Ok(None);
        }
        let key = io.key(scope, key)?;
        if let Some(written) = io.writes.get(&key) {
            return Ok(written.clone());
        }
        Ok(io.seen(&key)?.value)
    }

    fn state_write(
        &mut self,
        scope: Scope,
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

    fn stock_available(&mut self, pool: String) -> wasmtime::Result<Option<u64>> {
        let io = &mut self.io;
        io.require(Mode::ReadOnly, "stock.available")?;
        let pool = io.inputs.pool_key(&pool);
        let Some(seen) = io.seen_stock(&pool) else {
            return Ok(None);
        };
        let delta = io.stock_delta.get(&pool).copied().unwrap_or(0);
        Ok(Some((seen.remaining + delta).max(0) as u64))
    }

    /// Claim (`sign` -1) or release (`sign` 1) `count` units of `pool`.
    fn stock_change(
        &mut self,
        pool: String,
        count: u64,
        sign: i64,
    ) -> wasmtime::Result<Result<(), StockRefusal>> {
        let io = &mut self.io;
        io.require(Mode::ReadWrite, "stock.claim/release")?;
        let pool = io.inputs.pool_key(&pool);
        let Some(seen) = io.seen_stock(&pool) else {
            return Ok(Err(StockRefusal::UnknownPool));
        };
        let Ok(count) = i64::try_from(count) else {
            return Ok(Err(StockRefusal::InvalidCount));
        };
        if count == 0 {
            return Ok(Err(StockRefusal::InvalidCount));
        }
        let delta = io.stock_delta.get(&pool).copied().unwrap_or(0);
        let after = seen.remaining + delta + sign * count;
        if after < 0 {
            return Ok(Err(StockRefusal::Insufficient));
        }
        if after > seen.initial {
            return Ok(Err(StockRefusal::InvalidCount));
        }
        io.stock_delta.insert(pool, delta + sign * count);
        Ok(Ok(()))
    }

    fn wallet_balance(&mut self, currency: String) -> wasmtime::Result<i64> {
        let io = &mut self.io;
        io.require(Mode::ReadOnly, "wallet.balance")?;
        let seen = io.seen_balance(&currency)?;
        Ok(seen - io.debits.get(&currency).copied().unwrap_or(0))
    }

    fn wallet_debit(
        &mut self,
        currency: String,
        amount: i64,
    ) -> wasmtime::Result<Result<(), WalletRefusal>> {
        let io = &mut self.io;
        io.require(Mode::ReadWrite, "wallet.debit")?;
        if amount <= 0 || currency.is_empty() || currency.len() > 64 {
            return Ok(Err(WalletRefusal::InvalidAmount));
        }
        let seen = io.seen_balance(&currency)?;
        let spent = io.debits.get(&currency).copied().unwrap_or(0);
        if seen - spent < amount {
            return Ok(Err(WalletRefusal::Insufficient));
        }
        io.debits.insert(currency, spent + amount);
        Ok(Ok(()))
    }

    fn member_first_seen(&mut self) -> wasmtime::Result<Option<i64>> {
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
                seen.map_err(wasmtime::Error::new)?
            }
            Source::Recorded => {
                io.diverged = true;
                None
            }
        };
        io.inputs.first_seen_ms = Some(seen);
        Ok(seen)
    }

    fn timer_schedule(
        &mut self,
        name: String,
        due_ms: i64,
        payload: String,
    ) -> wasmtime::Result<()> {
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

    fn timer_cancel(&mut self, name: String) -> wasmtime::Result<()> {
        let io = &mut self.io;
        io.require(Mode::ReadWrite, "timers.cancel")?;
        if io.timers.len() >= MAX_WRITES {
            return Err(bad("too many timer changes in one call"));
        }
        io.timers.push(TimerOp::Cancel { name });
        Ok(())
    }

    fn random_next(&mut self) -> wasmtime::Result<u64> {
        let value = self.stream()?.next_u64();
        self.record_draw(0, value)
    }

    /// Record a draw with the call's inputs, for replay and verification.
    fn record_draw(&mut self, bound: u64, value: u64) -> wasmtime::Result<u64> {
        let draws = &mut self.io.inputs.draws;
        if draws.len() >= MAX_DRAWS {
            return Err(bad("a call may draw at most 4096 random numbers"));
        }
        draws.push((bound, value));
        Ok(value)
    }

    fn random_below(&mut self, bound: u64) -> wasmtime::Result<u64> {
        if bound == 0 {
            return Err(wasmtime::Error::new(BadOutput(
                "random.below called with a zero bound".into(),
            )));
        }
        let value = self.stream()?.below(bound);
        self.record_draw(bound, value)
    }

    fn stream(&mut self) -> wasmtime::Result<&mut Stream> {
        self.io.require(Mode::ReadOnly, "random")?;
        self.io.rng.as_mut().ok_or_else(|| {
            wasmtime::Error::new(BadOutput("randomness is not available in view".into()))
        })
    }

    fn clock_now(&mut self) -> wasmtime::Result<i64> {
        self.io.require(Mode::ReadOnly, "clock")?;
        Ok(self.io.inputs.now_ms)
    }

    fn clock_timezone(&mut self) -> wasmtime::Result<String> {
        self.io.require(Mode::ReadOnly, "clock")?;
        Ok(self.io.timezone.name().to_owned())
    }

    /// The business day containing `ms` (the call's own time if none).
    fn clock_day(&mut self, ms: Option<i64>) -> wasmtime::Result<NaiveDate> {
        self.io.require(Mode::ReadOnly, "clock")?;
        let ms = ms.unwrap_or(self.io.inputs.now_ms);
        Ok(crate::clock::business_date(self.io.timezone, ms))
    }

    fn clock_start_of(&mut self, day: Option<NaiveDate>) -> wasmtime::Result<i64> {
        self.io.require(Mode::ReadOnly, "clock")?;
        let day =
            day.ok_or_else(|| bad("clock.start-of called with a date that does not exist"))?;
        Ok(crate::clock::start_of_day(self.io.timezone, day))
    }

    fn log_write(&mut self, level: LogLevel, mut message: String) -> wasmtime::Result<()> {
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
