//! What an action reads: its snapshot of state and stock, alone and when
//! many are read together.

use std::sync::Arc;

use arcade_host::store::{StockLevel, Store};

use super::{action, activity_with, key, write};
use crate::support::Db;

both_stores!(
    snapshot_scopes,
    concurrent_snapshots_each_see_their_own,
    a_rounds_snapshots_match_one_by_one,
);

async fn snapshot_scopes(s: Arc<dyn Store>, _: Db) {
    let id = activity_with(&*s, &[("gold", 3)]).await;
    let other = activity_with(&*s, &[("gold", 9)]).await;
    let mut c = action(&id, "alice");
    c.writes = vec![
        write("", "round", Some("1"), None),
        write("alice", "draws", Some("2"), None),
        write("bob", "draws", Some("5"), None),
    ];
    s.commit(&c).await.unwrap();
    let mut c = action(&other, "alice");
    c.writes = vec![write("alice", "elsewhere", Some("x"), None)];
    s.commit(&c).await.unwrap();

    let snap = s.snapshot(&id, "alice").await.unwrap();
    let keys: Vec<_> = snap
        .state
        .iter()
        .map(|e| (e.key.user_id.as_str(), e.key.key.as_str()))
        .collect();
    assert_eq!(keys, [("", "round"), ("alice", "draws")]);
    assert_eq!(snap.state[1].value.as_deref(), Some("2"));
    assert_eq!(snap.state[1].version, 1);
    assert_eq!(
        snap.stock,
        [StockLevel {
            pool: "gold".into(),
            initial: 3,
            remaining: 3
        }]
    );

    let carol = s.snapshot(&id, "carol").await.unwrap();
    assert_eq!(carol.state.len(), 1);
    assert_eq!(carol.state[0].key, key("", "round"));
    assert!(
        s.snapshot("missing", "alice")
            .await
            .unwrap()
            .state
            .is_empty()
    );
}

/// Snapshots that arrive together may be read in one statement; each must
/// still get exactly its own activity's and user's rows.
async fn concurrent_snapshots_each_see_their_own(s: Arc<dyn Store>, _: Db) {
    let a = activity_with(&*s, &[("gold", 3)]).await;
    let b = activity_with(&*s, &[("gold", 9), ("silver", 4)]).await;
    for (id, round) in [(&a, "a"), (&b, "b")] {
        let mut c = action(id, "u0");
        c.writes = vec![write("", "round", Some(round), None)];
        c.writes.extend((0..20).map(|u| {
            let user = format!("u{u}");
            write(&user, "k", Some(&format!("{round}{u}")), None)
        }));
        s.commit(&c).await.unwrap();
    }
    let reads: Vec<_> = (0..120)
        .map(|i| {
            let s = s.clone();
            let (id, round) = if i % 2 == 0 {
                (a.clone(), "a")
            } else {
                (b.clone(), "b")
            };
            tokio::spawn(async move {
                // Users 20 and up have no state of their own; "" is a timer.
                let user = match i % 30 {
                    29 => String::new(),
                    n => format!("u{n}"),
                };
                let snap = s.snapshot(&id, &user).await.unwrap();
                (round, user, snap)
            })
        })
        .collect();
    for read in reads {
        let (round, user, snap) = read.await.unwrap();
        let mut expected = vec![(String::new(), "round".to_owned(), round.to_owned())];
        let n: Option<u32> = user.strip_prefix('u').and_then(|n| n.parse().ok());
        if let Some(n) = n.filter(|n| *n < 20) {
            expected.push((user.clone(), "k".into(), format!("{round}{n}")));
        }
        let got: Vec<_> = snap
            .state
            .iter()
            .map(|e| {
                (
                    e.key.user_id.clone(),
                    e.key.key.clone(),
                    e.value.clone().unwrap(),
                )
            })
            .collect();
        assert_eq!(got, expected, "{round} {user:?}");
        let pools: Vec<_> = snap.stock.iter().map(|p| p.pool.as_str()).collect();
        let want: &[&str] = if round == "a" {
            &["gold"]
        } else {
            &["gold", "silver"]
        };
        assert_eq!(pools, want, "{round} {user:?}");
    }
}

/// A hot activity's round reads its actions' snapshots together: 300
/// users (some twice, one with no state, one the empty timer user), each
/// getting exactly what [`Store::snapshot`] would give them alone.
async fn a_rounds_snapshots_match_one_by_one(s: Arc<dyn Store>, _: Db) {
    let id = activity_with(&*s, &[("gold", 7), ("silver", 2)]).await;
    let other = activity_with(&*s, &[("gold", 1)]).await;
    let mut c = action(&id, "u0");
    c.writes = vec![write("", "left", Some("9"), None)];
    c.writes.extend((0..300).map(|i| {
        let v = i.to_string();
        write(&format!("u{i}"), "mine", Some(v.as_str()), None)
    }));
    s.commit(&c).await.unwrap();
    let mut c = action(&other, "u1");
    c.writes = vec![write("u1", "elsewhere", Some("x"), None)];
    s.commit(&c).await.unwrap();

    let mut users: Vec<String> = (0..300).map(|i| format!("u{i}")).collect();
    users.extend(["u5".into(), "nobody".into(), String::new()]);
    let users: Vec<&str> = users.iter().map(String::as_str).collect();
    let together = s.snapshots(&id, &users).await.unwrap();
    assert_eq!(together.len(), users.len());
    for (user, snap) in users.iter().zip(&together) {
        let alone = s.snapshot(&id, user).await.unwrap();
        assert_eq!(snap.state, alone.state, "{user}");
        assert_eq!(snap.stock, alone.stock, "{user}");
    }
    assert_eq!(together[7].state.len(), 2);
    assert_eq!(together[7].state[1].value.as_deref(), Some("7"));
    assert_eq!(
        together[301].state.len(),
        1,
        "nobody sees the activity scope only"
    );
    assert_eq!(together[302].stock.len(), 2);
}
