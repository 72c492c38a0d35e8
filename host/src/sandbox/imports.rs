//! The host side of every `arcade:mechanic` import, over the store data of
//! one call ([`CallState`]). Each import reads the call's snapshot and
//! buffers writes in [`CallIo`]; nothing here touches the database except
//! through the call's [`super::Loader`].

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::arcade::mechanic::{
    clock, log, member, random, state, stock, timers, types, wallet,
};
use super::call::{
    CallIo, MAX_KEY_BYTES, MAX_LOG_LINE_BYTES, MAX_LOG_LINES, MAX_VALUE_BYTES, MAX_WRITES, Mode,
    Source, TimerOp, bad,
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
        let pool = io.inputs.pool_key(&pool);
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
        let pool = io.inputs.pool_key(&pool);
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
