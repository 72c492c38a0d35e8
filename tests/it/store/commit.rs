//! Committing actions: state compare-and-set, read validation, stock
//! claims, chains and commits that share a transaction.

use std::sync::Arc;

use arcade_host::store::{ActionCommit, IdempotencyRecord, StateRead, Store, StoreError};

use super::{action, activity_with, entry, key, prize, remaining, write};
use crate::support::Db;

both_stores!(
    commit_applies_writes,
    stale_write_applies_nothing,
    stock_never_leaves_bounds,
    read_validation,
    concurrent_claims,
    commit_chain_in_order,
    folded_chain_refused_commits_one_by_one,
    concurrent_commits_fail_alone,
);

async fn commit_applies_writes(s: Arc<dyn Store>, _: Db) {
    let id = activity_with(&*s, &[("gold", 3)]).await;
    let mut c = action(&id, "alice");
    c.writes = vec![write("alice", "n", Some("1"), None)];
    c.stock = vec![("gold".into(), -1)];
    c.rewards = vec![prize("gold")];
    s.commit(&c).await.unwrap();
    assert_eq!(
        entry(&*s, &id, "alice", "n").await,
        Some((Some("1".into()), 1))
    );
    assert_eq!(remaining(&*s, &id, "gold").await, 2);
    assert_eq!(
        s.outcome(&c.outcome.id).await.unwrap(),
        Some(c.outcome.clone())
    );
    assert_eq!(s.rewards(&id).await.unwrap(), [prize("gold")]);

    let mut c = action(&id, "alice");
    c.writes = vec![write("alice", "n", Some("2"), Some(1))];
    c.stock = vec![("gold".into(), 1)];
    s.commit(&c).await.unwrap();
    assert_eq!(
        entry(&*s, &id, "alice", "n").await,
        Some((Some("2".into()), 2))
    );
    assert_eq!(remaining(&*s, &id, "gold").await, 3);

    // Removal leaves a tombstone whose version keeps counting.
    let mut c = action(&id, "alice");
    c.writes = vec![write("alice", "n", None, Some(2))];
    s.commit(&c).await.unwrap();
    assert_eq!(entry(&*s, &id, "alice", "n").await, Some((None, 3)));
    assert_eq!(s.count_outcomes(&id).await.unwrap(), 3);
}

async fn stale_write_applies_nothing(s: Arc<dyn Store>, _: Db) {
    let id = activity_with(&*s, &[("gold", 3)]).await;
    let mut c = action(&id, "alice");
    c.writes = vec![
        write("alice", "a", Some("1"), None),
        write("alice", "z", Some("1"), None),
    ];
    s.commit(&c).await.unwrap();

    // Stock, the first write and the reward would all succeed; the
    // stale version of the last write must undo them.
    let mut c = action(&id, "alice");
    c.stock = vec![("gold".into(), -1)];
    c.writes = vec![
        write("alice", "a", Some("2"), Some(1)),
        write("alice", "z", Some("2"), Some(7)),
    ];
    c.rewards = vec![prize("gold")];
    assert!(matches!(s.commit(&c).await, Err(StoreError::Conflict)));
    assert_eq!(remaining(&*s, &id, "gold").await, 3);
    assert_eq!(
        entry(&*s, &id, "alice", "a").await,
        Some((Some("1".into()), 1))
    );
    assert_eq!(
        entry(&*s, &id, "alice", "z").await,
        Some((Some("1".into()), 1))
    );
    assert!(s.outcome(&c.outcome.id).await.unwrap().is_none());
    assert!(s.rewards(&id).await.unwrap().is_empty());
    assert_eq!(s.count_outcomes(&id).await.unwrap(), 1);

    // Creating an entry that exists is stale too.
    let mut c = action(&id, "alice");
    c.writes = vec![write("alice", "a", Some("3"), None)];
    assert!(matches!(s.commit(&c).await, Err(StoreError::Conflict)));
    assert_eq!(
        entry(&*s, &id, "alice", "a").await,
        Some((Some("1".into()), 1))
    );
    assert_eq!(s.count_outcomes(&id).await.unwrap(), 1);
}

async fn stock_never_leaves_bounds(s: Arc<dyn Store>, _: Db) {
    let id = activity_with(&*s, &[("gold", 2), ("silver", 5)]).await;
    for (pool, delta) in [("gold", -3), ("gold", 1), ("nope", -1)] {
        let mut c = action(&id, "alice");
        c.stock = vec![("silver".into(), -1), (pool.into(), delta)];
        assert!(
            matches!(s.commit(&c).await, Err(StoreError::Conflict)),
            "{pool} {delta}"
        );
    }
    assert_eq!(remaining(&*s, &id, "gold").await, 2);
    assert_eq!(remaining(&*s, &id, "silver").await, 5);

    let mut c = action(&id, "alice");
    c.stock = vec![("gold".into(), -2)];
    s.commit(&c).await.unwrap();
    let mut c = action(&id, "alice");
    c.stock = vec![("gold".into(), -1)];
    assert!(matches!(s.commit(&c).await, Err(StoreError::Conflict)));
    assert_eq!(remaining(&*s, &id, "gold").await, 0);
    assert_eq!(s.count_outcomes(&id).await.unwrap(), 1);
}

async fn read_validation(s: Arc<dyn Store>, _: Db) {
    let id = activity_with(&*s, &[]).await;
    let mut c = action(&id, "alice");
    c.writes = vec![write("", "round", Some("1"), None)];
    s.commit(&c).await.unwrap();

    let read = |version| StateRead {
        key: key("", "round"),
        version,
    };
    let mut ok = action(&id, "alice");
    ok.reads = vec![
        read(Some(1)),
        StateRead {
            key: key("alice", "unset"),
            version: None,
        },
    ];
    ok.writes = vec![write("alice", "seen", Some("1"), None)];
    s.commit(&ok).await.unwrap();

    let mut bump = action(&id, "bob");
    bump.writes = vec![write("", "round", Some("2"), Some(1))];
    s.commit(&bump).await.unwrap();

    for stale in [Some(1), None] {
        let mut c = action(&id, "alice");
        c.reads = vec![read(stale)];
        c.writes = vec![write("alice", "late", Some("1"), None)];
        assert!(matches!(s.commit(&c).await, Err(StoreError::Conflict)));
        assert_eq!(entry(&*s, &id, "alice", "late").await, None);
    }
    // An entry read as absent that appeared since is a conflict too.
    let mut c = action(&id, "alice");
    c.reads = vec![StateRead {
        key: key("alice", "seen"),
        version: None,
    }];
    assert!(matches!(s.commit(&c).await, Err(StoreError::Conflict)));
    assert_eq!(s.count_outcomes(&id).await.unwrap(), 3);
}

async fn concurrent_claims(s: Arc<dyn Store>, _: Db) {
    let id = activity_with(&*s, &[("gold", 50)]).await;
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let s = s.clone();
            let id = id.clone();
            tokio::spawn(async move {
                let user = format!("user-{i}");
                loop {
                    let snap = s.snapshot(&id, &user).await.unwrap();
                    if snap.stock[0].remaining == 0 {
                        return false;
                    }
                    // Every winner also bumps a shared counter, so commits
                    // race on state as well as on stock.
                    let counter = snap.state.iter().find(|e| e.key == key("", "claimed"));
                    let n =
                        counter.map_or(0, |e| e.value.as_deref().unwrap().parse::<i64>().unwrap());
                    let mut c = action(&id, &user);
                    c.stock = vec![("gold".into(), -1)];
                    c.writes = vec![
                        write(
                            "",
                            "claimed",
                            Some(&(n + 1).to_string()),
                            counter.map(|e| e.version),
                        ),
                        write(&user, "won", Some("1"), None),
                    ];
                    c.rewards = vec![prize("gold")];
                    match s.commit(&c).await {
                        Ok(()) => return true,
                        Err(StoreError::Conflict) => continue,
                        Err(e) => panic!("commit failed: {e}"),
                    }
                }
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 50);
    assert_eq!(remaining(&*s, &id, "gold").await, 0);
    assert_eq!(s.count_outcomes(&id).await.unwrap(), 50);
    assert_eq!(s.rewards(&id).await.unwrap().len(), 50);
    assert_eq!(
        entry(&*s, &id, "", "claimed").await,
        Some((Some("50".into()), 50))
    );
}

/// A chain commits in order: each commit sees the earlier ones; a refused
/// one fails alone, and those that built on it fail by their own checks.
async fn commit_chain_in_order(s: Arc<dyn Store>, _: Db) {
    let id = activity_with(&*s, &[("gold", 300)]).await;
    // 250 commits, each bumping one shared counter from the version the
    // one before it left.
    let mut chain: Vec<ActionCommit> = (0..250)
        .map(|i| {
            let mut c = action(&id, &format!("u{i}"));
            c.stock = vec![("gold".into(), -1)];
            let expected = if i == 0 { None } else { Some(i) };
            c.writes = vec![write(
                "",
                "counter",
                Some((i + 1).to_string().as_str()),
                expected,
            )];
            c
        })
        .collect();
    let answers = s.commit_chain(&chain).await;
    assert!(answers.iter().all(Result::is_ok), "{answers:?}");
    assert_eq!(
        entry(&*s, &id, "", "counter").await,
        Some((Some("250".into()), 250))
    );
    assert_eq!(remaining(&*s, &id, "gold").await, 50);

    // Now one in the middle is stale: the ones before it commit; it and
    // every later one, even one that does not touch the counter, are
    // refused and apply nothing.
    chain = (0..6)
        .map(|i| {
            let mut c = action(&id, &format!("v{i}"));
            let expected = if i == 3 { 999 } else { 250 + i };
            c.writes = vec![write("", "counter", Some("x"), Some(expected))];
            c
        })
        .collect();
    let mut independent = action(&id, "w");
    independent.writes = vec![write("w", "own", Some("1"), None)];
    chain.push(independent);
    let answers = s.commit_chain(&chain).await;
    let ok: Vec<bool> = answers.iter().map(Result::is_ok).collect();
    assert_eq!(ok, [true, true, true, false, false, false, false]);
    assert_eq!(
        entry(&*s, &id, "", "counter").await,
        Some((Some("x".into()), 253))
    );
    assert_eq!(entry(&*s, &id, "w", "own").await, None);
    assert_eq!(s.count_outcomes(&id).await.unwrap(), 253);
}

/// Commits that arrive together may share a transaction (group commit);
/// a refused one must still be undone alone and the others applied whole.
/// A chain whose versions follow one another is folded and applied all
/// at once; when the store refuses the fold (a row moved underneath, a key
/// already taken), the chain is committed one by one, and what commits is
/// exactly the prefix before the commit that fails.
async fn folded_chain_refused_commits_one_by_one(s: Arc<dyn Store>, _: Db) {
    let id = activity_with(&*s, &[("gold", 100)]).await;
    let counter = |i: i64, expected: Option<i64>| {
        let mut c = action(&id, &format!("u{i}"));
        c.stock = vec![("gold".into(), -1)];
        c.writes = vec![
            write("", "counter", Some(i.to_string().as_str()), expected),
            write(&format!("u{i}"), "mine", Some("1"), None),
        ];
        c
    };
    // Folded: 20 commits, the counter written 20 times, stock claimed 20
    // times; the end state is the chain's, versions included.
    let chain: Vec<_> = (0..20)
        .map(|i| counter(i + 1, if i == 0 { None } else { Some(i) }))
        .collect();
    assert!(s.commit_chain(&chain).await.iter().all(Result::is_ok));
    assert_eq!(
        entry(&*s, &id, "", "counter").await,
        Some((Some("20".into()), 20))
    );
    assert_eq!(
        entry(&*s, &id, "u7", "mine").await,
        Some((Some("1".into()), 1))
    );
    assert_eq!(remaining(&*s, &id, "gold").await, 80);
    assert_eq!(s.count_outcomes(&id).await.unwrap(), 20);

    // A writer outside the chain moves the counter to 21 first. The chain
    // below starts with a commit that leaves the counter alone, then
    // expects it at 20: the fold is refused, the first commit stands.
    let mut outside = action(&id, "outsider");
    outside.writes = vec![write("", "counter", Some("x"), Some(20))];
    s.commit(&outside).await.unwrap();
    let mut first = action(&id, "v0");
    first.writes = vec![write("v0", "mine", Some("1"), None)];
    let chain = vec![first, counter(21, Some(20)), counter(22, Some(21))];
    let ok: Vec<bool> = s
        .commit_chain(&chain)
        .await
        .iter()
        .map(Result::is_ok)
        .collect();
    assert_eq!(ok, [true, false, false]);
    assert_eq!(
        entry(&*s, &id, "v0", "mine").await,
        Some((Some("1".into()), 1))
    );
    assert_eq!(
        entry(&*s, &id, "", "counter").await,
        Some((Some("x".into()), 21))
    );
    assert_eq!(remaining(&*s, &id, "gold").await, 80);

    // A key already taken in the middle: the commits before it stand, it
    // answers `KeyTaken`, the rest are not tried.
    let keyed = |i: i64, expected: i64, key: &str| {
        let mut c = counter(i, Some(expected));
        c.idempotency = Some(IdempotencyRecord {
            key: key.into(),
            request_hash: "h".into(),
            response: "{}".into(),
        });
        c
    };
    s.commit(&keyed(0, 21, "taken")).await.unwrap();
    let chain = vec![
        keyed(23, 22, "k23"),
        keyed(24, 23, "taken"),
        keyed(25, 24, "k25"),
    ];
    let answers = s.commit_chain(&chain).await;
    assert!(answers[0].is_ok(), "{answers:?}");
    assert!(
        matches!(answers[1], Err(StoreError::KeyTaken)),
        "{answers:?}"
    );
    assert!(answers[2].is_err(), "{answers:?}");
    assert_eq!(
        entry(&*s, &id, "", "counter").await,
        Some((Some("23".into()), 23))
    );
    assert_eq!(remaining(&*s, &id, "gold").await, 78);
    assert_eq!(s.idempotent_response(super::T, "k25").await.unwrap(), None);
}

async fn concurrent_commits_fail_alone(s: Arc<dyn Store>, _: Db) {
    let id = activity_with(&*s, &[("gold", 1000)]).await;
    let tasks: Vec<_> = (0..120)
        .map(|i| {
            let s = s.clone();
            let id = id.clone();
            tokio::spawn(async move {
                let user = format!("u{i}");
                let mut c = action(&id, &user);
                c.stock = vec![("gold".into(), -1)];
                c.writes = vec![write(&user, "k", Some("v"), None)];
                // Every third commit expects a version that was never
                // written: a stale write, refused after its stock claim.
                if i % 3 == 0 {
                    c.writes.push(write(&user, "stale", Some("x"), Some(5)));
                }
                (i, s.commit(&c).await)
            })
        })
        .collect();
    let mut applied = 0;
    for t in tasks {
        let (i, result) = t.await.unwrap();
        let user = format!("u{i}");
        if i % 3 == 0 {
            assert!(
                matches!(result, Err(StoreError::Conflict)),
                "{i}: {result:?}"
            );
            assert_eq!(entry(&*s, &id, &user, "k").await, None, "{i}");
        } else {
            result.unwrap();
            applied += 1;
            assert_eq!(
                entry(&*s, &id, &user, "k").await,
                Some((Some("v".into()), 1)),
                "{i}"
            );
        }
    }
    assert_eq!(applied, 80);
    assert_eq!(remaining(&*s, &id, "gold").await, 1000 - 80);
    assert_eq!(s.count_outcomes(&id).await.unwrap(), 80);
}
