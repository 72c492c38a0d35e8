//! Folding a chain of commits into one change to the shared rows.
//!
//! A hot activity's lane commits its round as a chain (see
//! `service/lane/`): hundreds of actions, each over the writes of the
//! ones before it, most of them moving the same row (a red packet's
//! counter, a team). Applied one after another, that row is updated once
//! per action in one transaction. [`squash`] folds the chain instead:
//! the first commit carries the net change to state, stock and balances,
//! checked against what the chain started from, and every other commit
//! keeps only what is its own (its outcome, idempotency key, rewards and
//! events). The folded chain is applied all or nothing; if it fails, the
//! chain is committed one by one as before, which finds the commit that
//! failed.
//!
//! Folding gives the same end state as the chain, versions included (a
//! folded write advances its entry by as many versions as the writes it
//! stands for). A chain is left as it is (`None`) when folding could
//! change an answer: a timer change (order matters), a stock pool
//! or balance moving both ways (a net check would not see a dip below
//! zero in between), or versions that do not follow one another.

use std::collections::BTreeMap;

use super::{ActionCommit, StateKey, StateRead, StateWrite};

/// What the chain did to one state entry so far.
struct Entry {
    /// The version the chain found (`None`: absent) and checks at commit.
    first: Option<i64>,
    /// The version after the chain's writes so far.
    now: Option<i64>,
    /// The last value written, if any write.
    written: Option<Option<String>>,
    /// Versions the chain's writes moved it on.
    advance: i64,
}

/// The folded chain: the same length as `chain`, to be applied all or
/// nothing; `None` if it should be committed one by one.
pub fn squash(chain: &[ActionCommit]) -> Option<Vec<ActionCommit>> {
    if chain.len() < 2 {
        return None;
    }
    let activity = &chain[0].outcome.activity_id;
    let mut state: BTreeMap<&StateKey, Entry> = BTreeMap::new();
    let mut stock: BTreeMap<&str, (i64, bool, bool)> = BTreeMap::new();
    let mut balances: BTreeMap<(&str, &str), (i64, bool, bool)> = BTreeMap::new();
    for c in chain {
        if !c.timers.is_empty() || c.fired_timer.is_some() || &c.outcome.activity_id != activity {
            return None;
        }
        for r in &c.reads {
            let e = state.entry(&r.key).or_insert(Entry {
                first: r.version,
                now: r.version,
                written: None,
                advance: 0,
            });
            if e.now != r.version {
                return None;
            }
        }
        for w in &c.writes {
            let e = state.entry(&w.key).or_insert(Entry {
                first: w.expected_version,
                now: w.expected_version,
                written: None,
                advance: 0,
            });
            if e.now != w.expected_version {
                return None;
            }
            e.now = Some(w.expected_version.unwrap_or(0) + w.advance);
            e.advance += w.advance;
            e.written = Some(w.value.clone());
        }
        for (pool, delta) in &c.stock {
            let s = stock.entry(pool).or_default();
            s.0 += delta;
            s.1 |= *delta < 0;
            s.2 |= *delta > 0;
        }
        let mut net: BTreeMap<(&str, &str), i64> = BTreeMap::new();
        for b in &c.balances {
            *net.entry((&b.user_id, &b.currency)).or_default() += b.delta;
        }
        for (key, delta) in net {
            let s = balances.entry(key).or_default();
            s.0 += delta;
            s.1 |= delta < 0;
            s.2 |= delta > 0;
        }
    }
    if stock.values().chain(balances.values()).any(|s| s.1 && s.2) {
        return None;
    }

    let mut head = chain[0].clone();
    head.reads.clear();
    head.writes.clear();
    for (key, e) in state {
        match e.written {
            Some(value) => head.writes.push(StateWrite {
                key: key.clone(),
                value,
                expected_version: e.first,
                advance: e.advance,
            }),
            None => head.reads.push(StateRead {
                key: key.clone(),
                version: e.first,
            }),
        }
    }
    head.stock = stock
        .into_iter()
        .filter(|(_, s)| s.0 != 0)
        .map(|(pool, s)| (pool.to_owned(), s.0))
        .collect();
    head.balances = balances
        .into_iter()
        .filter(|(_, s)| s.0 != 0)
        .map(|((user, currency), s)| super::BalanceChange {
            user_id: user.to_owned(),
            currency: currency.to_owned(),
            delta: s.0,
        })
        .collect();

    let mut folded = Vec::with_capacity(chain.len());
    folded.push(head);
    folded.extend(chain[1..].iter().map(|c| ActionCommit {
        reads: Vec::new(),
        writes: Vec::new(),
        stock: Vec::new(),
        balances: Vec::new(),
        ..c.clone()
    }));
    Some(folded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{BalanceChange, OutcomeRecord, TimerChange};

    fn commit(user: &str) -> ActionCommit {
        ActionCommit {
            outcome: OutcomeRecord {
                id: format!("o-{user}"),
                tenant_id: "t".into(),
                activity_id: "a".into(),
                user_id: user.into(),
                action: "grab".into(),
                payload: "{}".into(),
                result: "{}".into(),
                rewards: "[]".into(),
                inputs: "{}".into(),
                effects_hash: String::new(),
                plugin_sha256: String::new(),
                fuel_used: 0,
                created_at: 1,
                group_id: "g".into(),
                spends: String::new(),
            },
            reads: vec![],
            writes: vec![],
            stock: vec![],
            rewards: vec![],
            balances: vec![],
            timers: vec![],
            events: vec![],
            fired_timer: None,
            idempotency: None,
        }
    }

    fn key(scope: &str, k: &str) -> StateKey {
        StateKey {
            user_id: scope.into(),
            key: k.into(),
        }
    }

    /// A grab: the shared counter from `v` to `v + 1`, the user's own
    /// key created, one unit of stock and a point.
    fn grab(user: &str, v: Option<i64>, left: i64) -> ActionCommit {
        let mut c = commit(user);
        c.writes = vec![
            StateWrite {
                key: key("", "left"),
                value: Some(left.to_string()),
                expected_version: v,
                advance: 1,
            },
            StateWrite {
                key: key(user, "got"),
                value: Some("1".into()),
                expected_version: None,
                advance: 1,
            },
        ];
        c.reads = vec![StateRead {
            key: key("", "config"),
            version: Some(3),
        }];
        c.stock = vec![("packets".into(), -1)];
        c.balances = vec![BalanceChange {
            user_id: user.into(),
            currency: "points".into(),
            delta: 5,
        }];
        c
    }

    #[test]
    fn a_chain_of_grabs_folds_into_one_change_of_the_shared_rows() {
        let chain: Vec<_> = (0..100)
            .map(|i| {
                grab(
                    &format!("u{i}"),
                    if i == 0 { None } else { Some(i) },
                    99 - i,
                )
            })
            .collect();
        let folded = squash(&chain).expect("folds");
        assert_eq!(folded.len(), 100);
        let head = &folded[0];
        assert_eq!(head.outcome.id, "o-u0");
        // The counter: checked at the version the chain found (absent),
        // written once with the last value.
        let left = head
            .writes
            .iter()
            .find(|w| w.key == key("", "left"))
            .unwrap();
        assert_eq!(
            (left.expected_version, left.value.as_deref()),
            (None, Some("0"))
        );
        // Every user's own key moves to the head; the read stays a check.
        assert_eq!(head.writes.len(), 101);
        assert_eq!(
            head.reads,
            vec![StateRead {
                key: key("", "config"),
                version: Some(3)
            }]
        );
        assert_eq!(head.stock, vec![("packets".to_owned(), -100)]);
        assert_eq!(head.balances.len(), 100);
        // The others keep only their own rows.
        for (c, f) in chain.iter().zip(&folded).skip(1) {
            assert_eq!(f.outcome, c.outcome);
            assert!(f.writes.is_empty() && f.reads.is_empty());
            assert!(f.stock.is_empty() && f.balances.is_empty());
        }
    }

    #[test]
    fn chains_that_could_answer_differently_are_left_alone() {
        // Versions that do not follow one another.
        let broken = vec![grab("a", Some(1), 5), grab("b", Some(3), 4)];
        assert!(squash(&broken).is_none());
        // A read that disagrees with an earlier write.
        let mut late = grab("b", Some(2), 4);
        late.reads = vec![StateRead {
            key: key("", "left"),
            version: Some(1),
        }];
        late.writes.retain(|w| w.key != key("", "left"));
        assert!(squash(&[grab("a", Some(1), 5), late]).is_none());
        // Stock moving both ways.
        let mut back = grab("b", Some(2), 4);
        back.stock = vec![("packets".into(), 1)];
        assert!(squash(&[grab("a", Some(1), 5), back]).is_none());
        // A timer change.
        let mut timed = grab("b", Some(2), 4);
        timed.timers = vec![TimerChange::Cancel { name: "x".into() }];
        assert!(squash(&[grab("a", Some(1), 5), timed]).is_none());
        // A lone commit has nothing to fold.
        assert!(squash(&[grab("a", Some(1), 5)]).is_none());
    }
}
