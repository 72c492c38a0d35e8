//! The order a commit takes its balance, state and timer row locks in.
//! Both commit paths (the statements in `commit.rs` and the input to
//! Postgres's `arcade_commit`) follow it, so two concurrent commits never
//! wait on each other's locks in opposite orders.

use std::collections::BTreeMap;

use crate::store::{ActionCommit, StateKey, StateRead, StateWrite, TimerChange};

/// A commit's balance changes, netted per `(user, currency)` and in that
/// key order, so concurrent commits lock balance rows in one order.
/// Netting is sound because the commit is atomic: only the final balance
/// of each row is visible, and it is checked.
pub(in crate::store) fn balance_steps(c: &ActionCommit) -> BTreeMap<(&str, &str), i64> {
    let mut net = BTreeMap::new();
    for b in &c.balances {
        let d = net
            .entry((b.user_id.as_str(), b.currency.as_str()))
            .or_insert(0i64);
        *d = d.saturating_add(b.delta);
    }
    net
}

/// A commit's timer changes in name order (a stable sort: changes to one
/// name keep their order), so concurrent commits lock timer rows in one
/// order; changes to different names commute.
pub(in crate::store) fn timer_steps(c: &ActionCommit) -> Vec<&TimerChange> {
    let mut steps: Vec<_> = c.timers.iter().collect();
    steps.sort_by_key(|t| match t {
        TimerChange::Schedule { name, .. } | TimerChange::Cancel { name } => name.as_str(),
    });
    steps
}

/// A step of a commit's state phase. Writes and validated reads are taken
/// in one key order so two commits never wait on each other's row locks in
/// opposite orders.
pub(in crate::store) enum StateStep<'a> {
    Write(&'a StateWrite),
    Read(&'a StateRead),
}

impl StateStep<'_> {
    fn key(&self) -> &StateKey {
        match self {
            StateStep::Write(w) => &w.key,
            StateStep::Read(r) => &r.key,
        }
    }
}

impl<'a> StateStep<'a> {
    /// `(key, is_write, value, version)`: for a write the expected version,
    /// for a read the version read.
    pub(in crate::store) fn parts(&self) -> (&'a StateKey, bool, Option<&'a str>, Option<i64>) {
        match self {
            StateStep::Write(w) => (&w.key, true, w.value.as_deref(), w.expected_version),
            StateStep::Read(r) => (&r.key, false, None, r.version),
        }
    }
}

/// A commit's state writes and validated reads as [`StateStep`]s, in key
/// order.
pub(in crate::store) fn state_steps(c: &ActionCommit) -> Vec<StateStep<'_>> {
    let mut steps: Vec<_> = c
        .writes
        .iter()
        .map(StateStep::Write)
        .chain(c.reads.iter().map(StateStep::Read))
        .collect();
    steps.sort_by(|a, b| a.key().cmp(b.key()));
    steps
}
