//! A mock host for unit-testing mechanics natively with `cargo test`.
//!
//! It keeps state and stock in memory with the real host's semantics
//! (writes and claims of a refused call are discarded), a seeded random
//! stream, and a settable clock in a fixed UTC offset. Integration tests
//! against the real sandbox belong in the host's test suite.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use crate::bindings as b;
use crate::state::Scope;
use crate::stock::StockError;
use crate::wallet::WalletError;
use crate::{Mechanic, glue};

/// The result of a call made through the mock, as the platform would see it.
#[derive(Debug, Clone)]
pub struct MockOutcome {
    /// The mechanic's JSON result.
    pub result: serde_json::Value,
    /// Rewards granted.
    pub rewards: Vec<crate::Reward>,
    /// Events recorded.
    pub events: Vec<crate::Event>,
}

#[derive(Clone, Default)]
struct Durable {
    activity: BTreeMap<String, String>,
    users: HashMap<String, BTreeMap<String, String>>,
    teams: HashMap<String, BTreeMap<String, String>>,
    stock: BTreeMap<String, (u64, u64)>,
    /// Balances by (user, currency).
    balances: BTreeMap<(String, String), i64>,
    /// Pending timers by name: (due, payload).
    timers: BTreeMap<String, (i64, String)>,
    /// First outcome time of each user with the tenant.
    first_seen: HashMap<String, i64>,
}

/// In-memory stand-in for the Arcade host.
pub struct MockHost {
    config: String,
    durable: Durable,
    rng: u64,
    now_ms: i64,
    utc_offset_minutes: i32,
    logs: Vec<(u8, String)>,
    calls: u64,
}

pub(crate) struct Call {
    durable: Durable,
    user: String,
    rng: u64,
    pub(crate) now_ms: i64,
    pub(crate) timezone: String,
    utc_offset_minutes: i32,
    read_only: bool,
    pub(crate) logs: Vec<(u8, String)>,
}

thread_local! {
    static CALL: RefCell<Option<Call>> = const { RefCell::new(None) };
}

pub(crate) fn with_call<R>(f: impl FnOnce(&mut Call) -> R) -> R {
    CALL.with(|c| {
        let mut guard = c.borrow_mut();
        let call = guard
            .as_mut()
            .expect("host functions are only available inside a call made through MockHost");
        f(call)
    })
}

impl Call {
    pub(crate) fn state_get(&mut self, scope: &Scope, key: &str) -> Option<String> {
        match scope {
            Scope::Activity => self.durable.activity.get(key).cloned(),
            Scope::User => {
                assert!(
                    !self.user.is_empty(),
                    "user state is not available in on_timer"
                );
                self.durable.users.get(&self.user)?.get(key).cloned()
            }
            Scope::Team(id) => self.durable.teams.get(id)?.get(key).cloned(),
        }
    }

    pub(crate) fn state_set(&mut self, scope: &Scope, key: &str, value: Option<String>) {
        assert!(!self.read_only, "state writes are not allowed in view");
        let map = match scope {
            Scope::Activity => &mut self.durable.activity,
            Scope::User => {
                assert!(
                    !self.user.is_empty(),
                    "user state is not available in on_timer"
                );
                self.durable.users.entry(self.user.clone()).or_default()
            }
            Scope::Team(id) => self.durable.teams.entry(id.clone()).or_default(),
        };
        match value {
            Some(v) => map.insert(key.to_owned(), v),
            None => map.remove(key),
        };
    }

    pub(crate) fn stock_available(&mut self, pool: &str) -> Option<u64> {
        self.durable.stock.get(pool).map(|(left, _)| *left)
    }

    pub(crate) fn stock_claim(&mut self, pool: &str, count: u64) -> Result<(), StockError> {
        assert!(!self.read_only, "stock changes are not allowed in view");
        let (left, _) = self
            .durable
            .stock
            .get_mut(pool)
            .ok_or(StockError::UnknownPool)?;
        if count == 0 {
            return Err(StockError::InvalidCount);
        }
        if *left < count {
            return Err(StockError::Insufficient);
        }
        *left -= count;
        Ok(())
    }

    pub(crate) fn stock_release(&mut self, pool: &str, count: u64) -> Result<(), StockError> {
        assert!(!self.read_only, "stock changes are not allowed in view");
        let (left, initial) = self
            .durable
            .stock
            .get_mut(pool)
            .ok_or(StockError::UnknownPool)?;
        if count == 0 || *left + count > *initial {
            return Err(StockError::InvalidCount);
        }
        *left += count;
        Ok(())
    }

    pub(crate) fn balance(&mut self, currency: &str) -> i64 {
        let key = (self.user.clone(), currency.to_owned());
        self.durable.balances.get(&key).copied().unwrap_or(0)
    }

    pub(crate) fn debit(&mut self, currency: &str, amount: i64) -> Result<(), WalletError> {
        assert!(!self.read_only, "debits are not allowed in view");
        if amount <= 0 || currency.is_empty() {
            return Err(WalletError::InvalidAmount);
        }
        let key = (self.user.clone(), currency.to_owned());
        let balance = self.durable.balances.entry(key).or_insert(0);
        if *balance < amount {
            return Err(WalletError::Insufficient);
        }
        *balance -= amount;
        Ok(())
    }

    pub(crate) fn first_seen(&mut self) -> Option<i64> {
        self.durable.first_seen.get(&self.user).copied()
    }

    pub(crate) fn schedule(&mut self, name: &str, due_ms: i64, payload: &str) {
        assert!(!self.read_only, "timers are not allowed in view");
        self.durable
            .timers
            .insert(name.to_owned(), (due_ms, payload.to_owned()));
    }

    pub(crate) fn cancel(&mut self, name: &str) {
        assert!(!self.read_only, "timers are not allowed in view");
        self.durable.timers.remove(name);
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        // splitmix64: fine for tests, not for production draws.
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        let zone = u64::MAX - (u64::MAX % bound);
        loop {
            let x = self.next_u64();
            if x < zone {
                return x % bound;
            }
        }
    }

    pub(crate) fn day_of(&self, ms: i64) -> String {
        let local = ms.div_euclid(1000) + i64::from(self.utc_offset_minutes) * 60;
        let (y, m, d) = civil_from_days(local.div_euclid(86_400));
        format!("{y:04}-{m:02}-{d:02}")
    }
}

/// Days since 1970-01-01 to a (year, month, day) in the proleptic
/// Gregorian calendar.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

impl MockHost {
    /// A host for one activity with this JSON config. The clock starts at
    /// 2026-01-01T00:00:00Z in UTC+8 (Asia/Shanghai).
    pub fn new(config: &str) -> Self {
        MockHost {
            config: config.to_owned(),
            durable: Durable::default(),
            rng: 0x5EED,
            now_ms: 1_767_225_600_000,
            utc_offset_minutes: 8 * 60,
            logs: Vec::new(),
            calls: 0,
        }
    }

    /// Seed the random stream.
    pub fn seed(&mut self, seed: u64) -> &mut Self {
        self.rng = seed;
        self
    }

    /// Set the clock, in milliseconds since the Unix epoch.
    pub fn set_now_ms(&mut self, ms: i64) -> &mut Self {
        self.now_ms = ms;
        self
    }

    /// Set the activity's UTC offset in minutes.
    pub fn set_utc_offset_minutes(&mut self, minutes: i32) -> &mut Self {
        self.utc_offset_minutes = minutes;
        self
    }

    /// Validate the config with the mechanic and create its stock pools.
    pub fn setup<M: Mechanic>(&mut self) -> Result<(), Vec<crate::ConfigError>> {
        let setup = glue::validate_config::<M>(&self.config).map_err(|errs| {
            errs.into_iter()
                .map(|e| crate::ConfigError::new(e.field, e.message))
                .collect::<Vec<_>>()
        })?;
        for pool in setup.stock {
            self.durable
                .stock
                .insert(pool.id, (pool.initial, pool.initial));
        }
        Ok(())
    }

    /// Units left in a stock pool.
    pub fn stock(&self, pool: &str) -> Option<u64> {
        self.durable.stock.get(pool).map(|(left, _)| *left)
    }

    /// Set a user's balance of a currency (as if earned elsewhere).
    pub fn set_balance(&mut self, user: &str, currency: &str, amount: i64) -> &mut Self {
        self.durable
            .balances
            .insert((user.to_owned(), currency.to_owned()), amount);
        self
    }

    /// A user's balance of a currency, including rewards credited by
    /// calls made through the mock.
    pub fn balance(&self, user: &str, currency: &str) -> i64 {
        self.durable
            .balances
            .get(&(user.to_owned(), currency.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// Mark a user as seen by the tenant since `ms` (or as new, with
    /// `None`). Like the host, the mock also records a user's first
    /// successful action.
    pub fn set_first_seen(&mut self, user: &str, ms: Option<i64>) -> &mut Self {
        match ms {
            Some(ms) => self.durable.first_seen.insert(user.to_owned(), ms),
            None => self.durable.first_seen.remove(user),
        };
        self
    }

    /// Pending timers: `(name, due_ms)`.
    pub fn pending_timers(&self) -> Vec<(String, i64)> {
        self.durable
            .timers
            .iter()
            .map(|(n, (due, _))| (n.clone(), *due))
            .collect()
    }

    /// Fire every timer due at the mock's clock, in due order, as the host
    /// worker would. Returns each timer's name and result.
    pub fn fire_due_timers<M: Mechanic>(
        &mut self,
    ) -> Vec<(String, Result<MockOutcome, crate::Error>)> {
        let mut fired = Vec::new();
        loop {
            let due = self
                .durable
                .timers
                .iter()
                .filter(|(_, (at, _))| *at <= self.now_ms)
                .min_by_key(|(_, (at, _))| *at)
                .map(|(n, (at, p))| (n.clone(), *at, p.clone()));
            let Some((name, due_ms, payload)) = due else {
                return fired;
            };
            self.durable.timers.remove(&name);
            let ctx = self.ctx("");
            let timer = b::Timer {
                name: name.clone(),
                payload,
                due_ms,
            };
            let out = self
                .run("", false, || glue::on_timer::<M>(ctx, timer))
                .map(|o| self.credit(o, ""));
            fired.push((name, out));
        }
    }

    /// Log lines written so far, as `(level, message)` with level 0 = debug.
    pub fn logs(&self) -> &[(u8, String)] {
        &self.logs
    }

    fn run<R>(
        &mut self,
        user: &str,
        read_only: bool,
        f: impl FnOnce() -> Result<R, b::Error>,
    ) -> Result<R, crate::Error> {
        let call = Call {
            durable: self.durable.clone(),
            user: user.to_owned(),
            rng: self.rng,
            now_ms: self.now_ms,
            timezone: format!("UTC{:+}min", self.utc_offset_minutes),
            utc_offset_minutes: self.utc_offset_minutes,
            read_only,
            logs: Vec::new(),
        };
        CALL.with(|c| *c.borrow_mut() = Some(call));
        let result = f();
        let call = CALL
            .with(|c| c.borrow_mut().take())
            .expect("call still installed");
        self.rng = call.rng;
        self.logs.extend(call.logs);
        match result {
            Ok(r) => {
                self.durable = call.durable;
                Ok(r)
            }
            Err(e) => Err(crate::Error {
                kind: match e.kind {
                    b::ErrorKind::InvalidInput => crate::ErrorKind::InvalidInput,
                    b::ErrorKind::Rejected => crate::ErrorKind::Rejected,
                    b::ErrorKind::NotFound => crate::ErrorKind::NotFound,
                },
                code: e.code,
                message: e.message,
            }),
        }
    }

    fn ctx(&mut self, user: &str) -> b::Context {
        self.calls += 1;
        b::Context {
            activity_id: "activity-under-test".into(),
            user_id: user.into(),
            call_id: format!("call-{:08}", self.calls),
            config: self.config.clone(),
        }
    }

    /// Convert a WIT outcome, crediting points and tickets like the host.
    fn credit(&mut self, out: b::Outcome, acting: &str) -> MockOutcome {
        let rewards: Vec<crate::Reward> = out
            .rewards
            .into_iter()
            .map(|r| crate::Reward {
                user_id: if r.user_id.is_empty() {
                    acting.to_owned()
                } else {
                    r.user_id
                },
                kind: match r.kind {
                    b::RewardKind::Prize => crate::RewardKind::Prize,
                    b::RewardKind::Points => crate::RewardKind::Points,
                    b::RewardKind::Coupon => crate::RewardKind::Coupon,
                    b::RewardKind::Tickets => crate::RewardKind::Tickets,
                },
                item: r.item,
                name: r.name,
                amount: r.amount,
                expires_ms: r.expires_ms,
            })
            .collect();
        for r in &rewards {
            if matches!(
                r.kind,
                crate::RewardKind::Points | crate::RewardKind::Tickets
            ) {
                *self
                    .durable
                    .balances
                    .entry((r.user_id.clone(), r.item.clone()))
                    .or_insert(0) += r.amount;
            }
        }
        MockOutcome {
            result: serde_json::from_str(&out.result).expect("result is JSON"),
            rewards,
            events: out
                .events
                .into_iter()
                .map(|e| crate::Event {
                    kind: e.kind,
                    subject: e.subject,
                    data: serde_json::from_str(&e.data).expect("event data is JSON"),
                })
                .collect(),
        }
    }

    /// Run an action as `user`. On error nothing the call did is kept.
    pub fn handle<M: Mechanic>(
        &mut self,
        user: &str,
        action: &str,
        payload: serde_json::Value,
    ) -> Result<MockOutcome, crate::Error> {
        let ctx = self.ctx(user);
        let action = b::Action {
            name: action.into(),
            payload: payload.to_string(),
        };
        let out = self.run(user, false, || glue::handle::<M>(ctx, action))?;
        let now = self.now_ms;
        self.durable
            .first_seen
            .entry(user.to_owned())
            .or_insert(now);
        Ok(self.credit(out, user))
    }

    /// The view for `user`.
    pub fn view<M: Mechanic>(&mut self, user: &str) -> Result<serde_json::Value, crate::Error> {
        let mut ctx = self.ctx(user);
        ctx.call_id.clear();
        let text: String = self.run(user, true, || glue::view::<M>(ctx))?;
        Ok(serde_json::from_str(&text).expect("view is JSON"))
    }
}
