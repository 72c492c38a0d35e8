//! `arcade:mechanic@0.2.0` imports, adapted to [`CallState`]'s own.

use super::{CallState, StockRefusal, WalletRefusal};
use crate::sandbox::bindings::v02::arcade::mechanic::{
    clock, log, member, random, state, stock, timers, types, wallet,
};
use crate::sandbox::call::{LogLevel, Scope};

fn scope(s: types::Scope) -> Scope {
    match s {
        types::Scope::Activity => Scope::Activity,
        types::Scope::User => Scope::User,
        types::Scope::Team(id) => Scope::Team(id),
    }
}

impl types::Host for CallState {}

impl state::Host for CallState {
    fn get(&mut self, s: types::Scope, key: String) -> wasmtime::Result<Option<String>> {
        self.state_get(scope(s), key)
    }

    fn set(&mut self, s: types::Scope, key: String, value: String) -> wasmtime::Result<()> {
        self.state_write(scope(s), key, Some(value))
    }

    fn remove(&mut self, s: types::Scope, key: String) -> wasmtime::Result<()> {
        self.state_write(scope(s), key, None)
    }
}

fn stock_error(r: Result<(), StockRefusal>) -> Result<(), stock::StockError> {
    r.map_err(|e| match e {
        StockRefusal::UnknownPool => stock::StockError::UnknownPool,
        StockRefusal::Insufficient => stock::StockError::Insufficient,
        StockRefusal::InvalidCount => stock::StockError::InvalidCount,
    })
}

impl stock::Host for CallState {
    fn available(&mut self, pool: String) -> wasmtime::Result<Option<u64>> {
        self.stock_available(pool)
    }

    fn claim(
        &mut self,
        pool: String,
        count: u64,
    ) -> wasmtime::Result<Result<(), stock::StockError>> {
        self.stock_change(pool, count, -1).map(stock_error)
    }

    fn release(
        &mut self,
        pool: String,
        count: u64,
    ) -> wasmtime::Result<Result<(), stock::StockError>> {
        self.stock_change(pool, count, 1).map(stock_error)
    }
}

impl wallet::Host for CallState {
    fn balance(&mut self, currency: String) -> wasmtime::Result<i64> {
        self.wallet_balance(currency)
    }

    fn debit(
        &mut self,
        currency: String,
        amount: i64,
    ) -> wasmtime::Result<Result<(), wallet::WalletError>> {
        Ok(self.wallet_debit(currency, amount)?.map_err(|e| match e {
            WalletRefusal::Insufficient => wallet::WalletError::Insufficient,
            WalletRefusal::InvalidAmount => wallet::WalletError::InvalidAmount,
        }))
    }
}

impl member::Host for CallState {
    fn first_seen_ms(&mut self) -> wasmtime::Result<Option<i64>> {
        self.member_first_seen()
    }
}

impl timers::Host for CallState {
    fn schedule(&mut self, name: String, due_ms: i64, payload: String) -> wasmtime::Result<()> {
        self.timer_schedule(name, due_ms, payload)
    }

    fn cancel(&mut self, name: String) -> wasmtime::Result<()> {
        self.timer_cancel(name)
    }
}

impl random::Host for CallState {
    fn next_u64(&mut self) -> wasmtime::Result<u64> {
        self.random_next()
    }

    fn below(&mut self, bound: u64) -> wasmtime::Result<u64> {
        self.random_below(bound)
    }
}

impl clock::Host for CallState {
    fn now_ms(&mut self) -> wasmtime::Result<i64> {
        self.clock_now()
    }

    fn timezone(&mut self) -> wasmtime::Result<String> {
        self.clock_timezone()
    }

    fn today(&mut self) -> wasmtime::Result<types::Date> {
        Ok(to_date(self.clock_day(None)?))
    }

    fn day_of(&mut self, ms: i64) -> wasmtime::Result<types::Date> {
        Ok(to_date(self.clock_day(Some(ms))?))
    }

    fn start_of(&mut self, day: types::Date) -> wasmtime::Result<i64> {
        let date =
            chrono::NaiveDate::from_ymd_opt(day.year, u32::from(day.month), u32::from(day.day));
        self.clock_start_of(date)
    }
}

fn to_date(d: chrono::NaiveDate) -> types::Date {
    use chrono::Datelike;
    types::Date {
        year: d.year(),
        month: d.month() as u8,
        day: d.day() as u8,
    }
}

impl log::Host for CallState {
    fn write(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        let level = match level {
            log::Level::Debug => LogLevel::Debug,
            log::Level::Info => LogLevel::Info,
            log::Level::Warn => LogLevel::Warn,
            log::Level::Error => LogLevel::Error,
        };
        self.log_write(level, message)
    }
}
