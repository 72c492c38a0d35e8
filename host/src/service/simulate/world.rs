//! The in-memory activity a simulation runs against: state, stock,
//! balances, first-seen times and timers, changed by each call's buffered
//! effects exactly as a commit would change the store, with no database.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use crate::sandbox::{CallIo, GuestOutcome, HostFault, Loader, TimerOp};
use crate::store::{Snapshot, StateEntry, StateKey, StockLevel};

/// One simulated activity.
#[derive(Default)]
pub(super) struct World {
    /// Entries by scope (`""` the activity, a user id, `#team:<id>`), then
    /// key: value (`None` once removed) and version.
    state: HashMap<String, BTreeMap<String, (Option<String>, i64)>>,
    /// Pool: (initial, remaining).
    pub(super) stock: BTreeMap<String, (i64, i64)>,
    /// User: currency: balance.
    balances: HashMap<String, BTreeMap<String, i64>>,
    first_seen: HashMap<String, i64>,
    /// Timer name: (due, payload).
    pub(super) timers: BTreeMap<String, (i64, String)>,
}

impl World {
    pub(super) fn new(pools: &[(String, i64)]) -> Self {
        World {
            stock: pools.iter().map(|(p, n)| (p.clone(), (*n, *n))).collect(),
            ..World::default()
        }
    }

    fn scope<'a>(&'a self, scope: &'a str) -> impl Iterator<Item = StateEntry> + 'a {
        self.state.get(scope).into_iter().flat_map(move |entries| {
            entries
                .iter()
                .map(move |(key, (value, version))| StateEntry {
                    key: StateKey {
                        user_id: scope.to_owned(),
                        key: key.clone(),
                    },
                    value: value.clone(),
                    version: *version,
                })
        })
    }

    /// What the store's snapshot would hold for `user_id` (empty for a
    /// timer): the activity scope, the user's scope, the stock.
    pub(super) fn snapshot(&self, user_id: &str) -> Snapshot {
        let mut state: Vec<StateEntry> = self.scope("").collect();
        if !user_id.is_empty() {
            state.extend(self.scope(user_id));
        }
        let stock = self
            .stock
            .iter()
            .map(|(pool, (initial, remaining))| StockLevel {
                pool: pool.clone(),
                initial: *initial,
                remaining: *remaining,
            })
            .collect();
        Snapshot { state, stock }
    }

    /// Apply what one call did, as its commit would.
    pub(super) fn apply(&mut self, user_id: &str, at: i64, io: &CallIo, outcome: &GuestOutcome) {
        for (key, value) in &io.writes {
            let entry = self
                .state
                .entry(key.user_id.clone())
                .or_default()
                .entry(key.key.clone())
                .or_insert((None, 0));
            entry.0 = value.clone();
            entry.1 += 1;
        }
        for (pool, delta) in &io.stock_delta {
            if let Some(level) = self.stock.get_mut(pool) {
                level.1 += delta;
            }
        }
        for (currency, amount) in &io.debits {
            *self
                .balances
                .entry(user_id.to_owned())
                .or_default()
                .entry(currency.clone())
                .or_default() -= amount;
        }
        for r in &outcome.rewards {
            if r.kind == "points" || r.kind == "tickets" {
                *self
                    .balances
                    .entry(r.user_id.clone())
                    .or_default()
                    .entry(r.item.clone())
                    .or_default() += r.amount;
            }
        }
        if !user_id.is_empty() {
            self.first_seen.entry(user_id.to_owned()).or_insert(at);
        }
        for op in &io.timers {
            match op {
                TimerOp::Schedule {
                    name,
                    due_ms,
                    payload,
                } => {
                    self.timers.insert(name.clone(), (*due_ms, payload.clone()));
                }
                TimerOp::Cancel { name } => {
                    self.timers.remove(name);
                }
            }
        }
    }

    /// The timer due first, if it is due at `now`.
    pub(super) fn next_due(&self, now: i64) -> Option<(String, i64, String)> {
        self.timers
            .iter()
            .filter(|(_, (due, _))| *due <= now)
            .min_by_key(|(name, (due, _))| (*due, (*name).clone()))
            .map(|(name, (due, payload))| (name.clone(), *due, payload.clone()))
    }
}

/// Lazy reads of a simulated call: from the world, never a store.
pub(super) struct WorldLoader {
    pub(super) world: Arc<Mutex<World>>,
    pub(super) user_id: String,
}

impl Loader for WorldLoader {
    fn scope(&mut self, scope_key: &str) -> Result<Vec<StateEntry>, HostFault> {
        Ok(self.world.lock().expect("world").scope(scope_key).collect())
    }

    fn balances(&mut self) -> Result<Vec<(String, i64)>, HostFault> {
        let world = self.world.lock().expect("world");
        Ok(world
            .balances
            .get(&self.user_id)
            .map(|b| b.iter().map(|(c, n)| (c.clone(), *n)).collect())
            .unwrap_or_default())
    }

    fn first_seen(&mut self) -> Result<Option<i64>, HostFault> {
        Ok(self
            .world
            .lock()
            .expect("world")
            .first_seen
            .get(&self.user_id)
            .copied())
    }
}
