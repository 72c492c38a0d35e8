//! A mock host for unit-testing mechanics natively with `cargo test`.
//!
//! It keeps state and stock in memory with the real host's semantics
//! (writes and claims of a refused call are discarded), a seeded random
//! stream, and a settable clock in a fixed UTC offset. The compiled
//! component runs in the real host, under its real limits, with `arcade
//! plugin test`: scripted sessions with golden outputs and fuel per step,
//! and `together` steps that are [`MockHost::interleave`] against the
//! component.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

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
    last_touched: Touched,
}

/// Two actions run as if they arrived at the same moment: what each read
/// and wrote, whether the host would see them conflict, and what each
/// serial order gives. See [`MockHost::interleave`].
#[derive(Debug)]
pub struct Interleaving {
    /// State, stock or balances one wrote and the other read or wrote,
    /// by name (`activity/<key>`, `user/<user>/<key>`, `team/<id>/<key>`,
    /// `stock/<pool>`, `balance/<user>/<currency>`). Empty: the two
    /// commute and the host runs them side by side.
    pub conflicts: Vec<String>,
    /// A, then B on A's result (what the host does when A commits first
    /// and B runs again).
    pub a_then_b: [Result<MockOutcome, crate::Error>; 2],
    /// B, then A on B's result.
    pub b_then_a: [Result<MockOutcome, crate::Error>; 2],
}

impl Interleaving {
    /// Whether the order changed anything a user sees: an action
    /// accepted in one order and refused in the other, or a different
    /// result or reward.
    pub fn order_matters(&self) -> bool {
        fn same(
            x: &Result<MockOutcome, crate::Error>,
            y: &Result<MockOutcome, crate::Error>,
        ) -> bool {
            match (x, y) {
                (Ok(x), Ok(y)) => x.result == y.result && x.rewards == y.rewards,
                (Err(x), Err(y)) => x.code == y.code,
                _ => false,
            }
        }
        !(same(&self.a_then_b[0], &self.b_then_a[1]) && same(&self.a_then_b[1], &self.b_then_a[0]))
    }
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
    /// What the call read and wrote, by the names [`Interleaving`] reports:
    /// `activity/<key>`, `user/<user>/<key>`, `team/<id>/<key>`,
    /// `stock/<pool>`, `balance/<user>/<currency>`.
    touched: Touched,
}

#[derive(Debug, Clone, Default)]
struct Touched {
    reads: std::collections::BTreeSet<String>,
    writes: std::collections::BTreeSet<String>,
}

impl Call {
    fn name(&self, scope: &Scope, key: &str) -> String {
        match scope {
            Scope::Activity => format!("activity/{key}"),
            Scope::User => format!("user/{}/{key}", self.user),
            Scope::Team(id) => format!("team/{id}/{key}"),
        }
    }
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
        let name = self.name(scope, key);
        self.touched.reads.insert(name);
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
        let name = self.name(scope, key);
        self.touched.writes.insert(name);
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
        self.touched.reads.insert(format!("stock/{pool}"));
        self.durable.stock.get(pool).map(|(left, _)| *left)
    }

    pub(crate) fn stock_claim(&mut self, pool: &str, count: u64) -> Result<(), StockError> {
        assert!(!self.read_only, "stock changes are not allowed in view");
        self.touched.writes.insert(format!("stock/{pool}"));
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
        self.touched.writes.insert(format!("stock/{pool}"));
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
        self.touched
            .reads
            .insert(format!("balance/{}/{currency}", self.user));
        let key = (self.user.clone(), currency.to_owned());
        self.durable.balances.get(&key).copied().unwrap_or(0)
    }

    pub(crate) fn debit(&mut self, currency: &str, amount: i64) -> Result<(), WalletError> {
        assert!(!self.read_only, "debits are not allowed in view");
        self.touched
            .writes
            .insert(format!("balance/{}/{currency}", self.user));
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

    pub(crate) fn day_of(&self, ms: i64) -> crate::Date {
        let local = ms.div_euclid(1000) + i64::from(self.utc_offset_minutes) * 60;
        crate::Date::from_days(local.div_euclid(86_400))
    }

    pub(crate) fn start_of(&self, day: crate::Date) -> i64 {
        (day.to_days() * 86_400 - i64::from(self.utc_offset_minutes) * 60) * 1000
    }
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
            last_touched: Touched::default(),
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
        let setup = glue::run_validate::<M>(&self.config)?;
        for (id, initial) in setup.stock {
            self.durable.stock.insert(id, (initial, initial));
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
            let ctx = self.ctx(None);
            let out = self
                .run("", false, || {
                    glue::run_on_timer::<M>(ctx, (name.clone(), &payload, due_ms))
                })
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
        f: impl FnOnce() -> Result<R, crate::Error>,
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
            touched: Touched::default(),
        };
        CALL.with(|c| *c.borrow_mut() = Some(call));
        let result = f();
        let call = CALL
            .with(|c| c.borrow_mut().take())
            .expect("call still installed");
        self.rng = call.rng;
        self.logs.extend(call.logs);
        self.last_touched = call.touched;
        match result {
            Ok(r) => {
                self.durable = call.durable;
                Ok(r)
            }
            Err(e) => Err(e),
        }
    }

    fn ctx(&mut self, user: Option<&str>) -> glue::Call {
        self.calls += 1;
        glue::Call {
            activity_id: "activity-under-test".into(),
            user_id: user.map(str::to_owned),
            call_id: Some(format!("call-{:08}", self.calls)),
            config: self.config.clone(),
        }
    }

    /// Resolve beneficiaries and credit points and tickets like the host.
    fn credit(&mut self, out: crate::Outcome, acting: &str) -> MockOutcome {
        let rewards: Vec<crate::Reward> = out
            .rewards
            .into_iter()
            .map(|mut r| {
                if r.user_id.is_empty() {
                    r.user_id = acting.to_owned();
                }
                if r.kind == crate::RewardKind::Points {
                    r.item = crate::wallet::POINTS.into();
                }
                r
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
        // Through JSON text, as the host would see them.
        let reparse = |v: &serde_json::Value| {
            serde_json::from_str(&glue::to_json(v)).expect("JSON values round-trip")
        };
        MockOutcome {
            result: reparse(&out.result),
            rewards,
            events: out
                .events
                .into_iter()
                .map(|e| crate::Event {
                    data: reparse(&e.data),
                    ..e
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
        let ctx = self.ctx(Some(user));
        let payload = payload.to_string();
        let out = self.run(user, false, || glue::run_handle::<M>(ctx, action, &payload))?;
        let now = self.now_ms;
        self.durable
            .first_seen
            .entry(user.to_owned())
            .or_insert(now);
        Ok(self.credit(out, user))
    }

    /// The view for `user`.
    pub fn view<M: Mechanic>(&mut self, user: &str) -> Result<serde_json::Value, crate::Error> {
        self.view_with::<M>(Some(user), &[])
    }

    /// The view for `viewer` (none: anonymous) with query parameters.
    pub fn view_with<M: Mechanic>(
        &mut self,
        viewer: Option<&str>,
        query: &[(&str, &str)],
    ) -> Result<serde_json::Value, crate::Error> {
        let mut ctx = self.ctx(viewer);
        ctx.call_id = None;
        let query: serde_json::Map<String, serde_json::Value> = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
            .collect();
        let query = serde_json::Value::Object(query).to_string();
        let value = self.run(viewer.unwrap_or(""), true, || {
            glue::run_view::<M>(ctx, &query)
        })?;
        Ok(serde_json::from_str(&glue::to_json(&value)).expect("view is JSON"))
    }

    /// Run two actions as if they arrived together, to surface conflicts
    /// before upload: each runs on the same state, and the keys one wrote
    /// and the other touched are reported (the host would run the second
    /// again after the first commits). Then both serial orders run from
    /// that state. The host is left as after A then B. Each action is
    /// `(user, action, payload)`.
    pub fn interleave<M: Mechanic>(
        &mut self,
        a: (&str, &str, serde_json::Value),
        b: (&str, &str, serde_json::Value),
    ) -> Interleaving {
        let start = (self.durable.clone(), self.rng);
        let mut touched = Vec::new();
        for (user, action, payload) in [&a, &b] {
            (self.durable, self.rng) = start.clone();
            let _ = self.handle::<M>(user, action, payload.clone());
            touched.push(std::mem::take(&mut self.last_touched));
        }
        let (ta, tb) = (&touched[0], &touched[1]);
        let mut conflicts: Vec<String> = ta
            .writes
            .iter()
            .filter(|k| tb.reads.contains(*k) || tb.writes.contains(*k))
            .chain(tb.writes.iter().filter(|k| ta.reads.contains(*k)))
            .cloned()
            .collect();
        conflicts.sort();
        conflicts.dedup();
        let mut run = |first: &(&str, &str, serde_json::Value),
                       second: &(&str, &str, serde_json::Value)| {
            (self.durable, self.rng) = start.clone();
            let x = self.handle::<M>(first.0, first.1, first.2.clone());
            let y = self.handle::<M>(second.0, second.1, second.2.clone());
            [x, y]
        };
        let b_then_a = run(&b, &a);
        let a_then_b = run(&a, &b);
        Interleaving {
            conflicts,
            a_then_b,
            b_then_a,
        }
    }
}
