//! What a round's later runs see of its earlier runs: the [`Overlay`] of
//! their writes, and lazy reads through it ([`ChainLoader`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use crate::sandbox::{HostFault, Loader};
use crate::service::loader::StoreLoader;
use crate::store::{ActionCommit, Snapshot, StateEntry, StateKey};

/// The writes of a round's earlier runs, as a later run must see them.
#[derive(Default)]
pub(super) struct Overlay {
    /// Value (`None`: removed) and the version the write will give it.
    state: BTreeMap<StateKey, (Option<String>, i64)>,
    stock: HashMap<String, i64>,
    balances: HashMap<(String, String), i64>,
    first_seen: HashMap<String, i64>,
    /// Scopes (a team, say) as the store had them when a run of the round
    /// first read them: later runs read them from here, through the
    /// overlay, instead of asking the store again. A write from outside
    /// the lane in between fails the version checks of the chain.
    scopes: HashMap<String, Vec<StateEntry>>,
}

impl Overlay {
    /// Record what `c` will change once it commits.
    pub(super) fn absorb(&mut self, c: &ActionCommit) {
        for w in &c.writes {
            let version = w.expected_version.unwrap_or(0) + w.advance;
            self.state.insert(w.key.clone(), (w.value.clone(), version));
        }
        for (pool, delta) in &c.stock {
            *self.stock.entry(pool.clone()).or_default() += delta;
        }
        for b in &c.balances {
            *self
                .balances
                .entry((b.user_id.clone(), b.currency.clone()))
                .or_default() += b.delta;
        }
        let user = &c.outcome.user_id;
        if !user.is_empty() {
            self.first_seen
                .entry(user.clone())
                .or_insert(c.outcome.created_at);
        }
    }

    /// `snapshot` (of the activity scope and `user_id`'s) as it will be
    /// after the earlier runs commit.
    pub(super) fn apply(&self, mut snapshot: Snapshot, user_id: &str) -> Snapshot {
        overlay_scope(&mut snapshot.state, &self.state, "");
        if !user_id.is_empty() {
            overlay_scope(&mut snapshot.state, &self.state, user_id);
        }
        for level in &mut snapshot.stock {
            if let Some(delta) = self.stock.get(&level.pool) {
                level.remaining += delta;
            }
        }
        snapshot
    }
}

/// Replace or add the entries of scope `scope` that `writes` changed.
fn overlay_scope(
    entries: &mut Vec<StateEntry>,
    writes: &BTreeMap<StateKey, (Option<String>, i64)>,
    scope: &str,
) {
    for (key, (value, version)) in writes.iter().filter(|(k, _)| k.user_id == scope) {
        let entry = StateEntry {
            key: key.clone(),
            value: value.clone(),
            version: *version,
        };
        match entries.iter_mut().find(|e| &e.key == key) {
            Some(e) => *e = entry,
            None => entries.push(entry),
        }
    }
}

/// Lazy reads through the overlay: a team's state, balances and the
/// first-seen time as the earlier runs of the round left them.
pub(super) struct ChainLoader {
    pub(super) inner: StoreLoader,
    pub(super) overlay: Arc<Mutex<Overlay>>,
}

impl Loader for ChainLoader {
    fn scope(&mut self, scope_key: &str) -> std::result::Result<Vec<StateEntry>, HostFault> {
        let cached = self
            .overlay
            .lock()
            .expect("overlay poisoned")
            .scopes
            .get(scope_key)
            .cloned();
        let mut entries = match cached {
            Some(entries) => entries,
            None => {
                let read = self.inner.scope(scope_key)?;
                self.overlay
                    .lock()
                    .expect("overlay poisoned")
                    .scopes
                    .insert(scope_key.to_owned(), read.clone());
                read
            }
        };
        let overlay = self.overlay.lock().expect("overlay poisoned");
        overlay_scope(&mut entries, &overlay.state, scope_key);
        Ok(entries)
    }

    fn balances(&mut self) -> std::result::Result<Vec<(String, i64)>, HostFault> {
        let mut balances = self.inner.balances()?;
        let overlay = self.overlay.lock().expect("overlay poisoned");
        let user = &self.inner.user_id;
        for ((u, currency), delta) in &overlay.balances {
            if u != user {
                continue;
            }
            match balances.iter_mut().find(|(c, _)| c == currency) {
                Some((_, balance)) => *balance += delta,
                None => balances.push((currency.clone(), *delta)),
            }
        }
        Ok(balances)
    }

    fn first_seen(&mut self) -> std::result::Result<Option<i64>, HostFault> {
        let stored = self.inner.first_seen()?;
        let overlay = self.overlay.lock().expect("overlay poisoned");
        let chained = overlay.first_seen.get(&self.inner.user_id).copied();
        Ok(match (stored, chained) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{OutcomeRecord, StateWrite, StockLevel};

    fn commit(user: &str, writes: Vec<StateWrite>, stock: Vec<(String, i64)>) -> ActionCommit {
        ActionCommit {
            outcome: OutcomeRecord {
                id: "o".into(),
                tenant_id: "t".into(),
                activity_id: "a".into(),
                user_id: user.into(),
                action: "x".into(),
                payload: "{}".into(),
                result: "{}".into(),
                rewards: "[]".into(),
                inputs: "{}".into(),
                effects_hash: String::new(),
                plugin_sha256: String::new(),
                fuel_used: 0,
                created_at: 5,
                group_id: "g".into(),
                spends: String::new(),
            },
            reads: vec![],
            writes,
            stock,
            rewards: vec![],
            balances: vec![],
            timers: vec![],
            events: vec![],
            fired_timer: None,
            idempotency: None,
        }
    }

    fn key(user: &str, k: &str) -> StateKey {
        StateKey {
            user_id: user.into(),
            key: k.into(),
        }
    }

    #[test]
    fn later_runs_see_earlier_writes_with_the_versions_they_will_have() {
        let mut o = Overlay::default();
        o.absorb(&commit(
            "u1",
            vec![
                StateWrite {
                    key: key("", "left"),
                    value: Some("4".into()),
                    expected_version: Some(7),
                    advance: 1,
                },
                StateWrite {
                    key: key("u1", "mine"),
                    value: Some("1".into()),
                    expected_version: None,
                    advance: 1,
                },
                StateWrite {
                    key: key("#team:x", "n"),
                    value: None,
                    expected_version: Some(2),
                    advance: 1,
                },
            ],
            vec![("prizes".into(), -1)],
        ));
        let snapshot = Snapshot {
            state: vec![StateEntry {
                key: key("", "left"),
                value: Some("5".into()),
                version: 7,
            }],
            stock: vec![StockLevel {
                pool: "prizes".into(),
                initial: 10,
                remaining: 5,
            }],
        };
        // Another user sees the activity scope and stock changed, not u1's.
        let s = o.apply(snapshot.clone(), "u2");
        assert_eq!(s.state.len(), 1);
        assert_eq!(s.state[0].value.as_deref(), Some("4"));
        assert_eq!(s.state[0].version, 8);
        assert_eq!(s.stock[0].remaining, 4);
        // u1 sees its own new key at version 1.
        let s = o.apply(snapshot, "u1");
        let mine = s.state.iter().find(|e| e.key.key == "mine").unwrap();
        assert_eq!((mine.value.as_deref(), mine.version), (Some("1"), 1));
        // The removed team key reads as a tombstone at the next version.
        let mut team = vec![StateEntry {
            key: key("#team:x", "n"),
            value: Some("3".into()),
            version: 2,
        }];
        overlay_scope(&mut team, &o.state, "#team:x");
        assert_eq!((team[0].value.clone(), team[0].version), (None, 3));
        assert_eq!(o.first_seen.get("u1"), Some(&5));
    }
}
