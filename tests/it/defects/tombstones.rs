//! Tombstones (removed state keys) are deleted once they have stayed
//! unchanged for the retention period; a key rewritten meanwhile, or
//! concurrently with a sweep, is never lost.

use std::sync::Arc;
use std::time::Duration;

use arcade_host::service::Arcade;
use arcade_host::store::StoreError;
use arcade_host::store::{ActionCommit, OutcomeRecord, StateEntry, StateKey, StateWrite, Store};
use serde_json::json;

use crate::both_backends;
use crate::harness::Server;
use crate::support::Db;

both_backends!(
    tombstones_expire_after_retention,
    rewrites_racing_sweeps_are_kept
);

const HOUR: Duration = Duration::from_secs(3600);

fn key(user: &str, key: &str) -> StateKey {
    StateKey {
        user_id: user.into(),
        key: key.into(),
    }
}

/// A commit of `writes` to `activity`, as an action of `user` would make.
fn commit(activity: &str, user: &str, writes: Vec<StateWrite>) -> ActionCommit {
    ActionCommit {
        outcome: OutcomeRecord {
            id: uuid::Uuid::now_v7().to_string(),
            tenant_id: "t".into(),
            activity_id: activity.into(),
            user_id: user.into(),
            action: "write".into(),
            payload: "{}".into(),
            result: "{}".into(),
            rewards: "[]".into(),
            inputs: "{}".into(),
            effects_hash: "h".into(),
            plugin_sha256: "p".into(),
            fuel_used: 0,
            created_at: 0,
            group_id: "g".into(),
            spends: String::new(),
        },
        reads: vec![],
        writes,
        stock: vec![],
        rewards: vec![],
        balances: vec![],
        timers: vec![],
        events: vec![],
        fired_timer: None,
        idempotency: None,
    }
}

/// Write `value` (or remove) at `k`, from a fresh snapshot, as one action.
async fn set(store: &dyn Store, activity: &str, k: &StateKey, value: Option<&str>) {
    let version = version_of(store, activity, k).await;
    let w = StateWrite {
        key: k.clone(),
        value: value.map(Into::into),
        expected_version: version,
        advance: 1,
    };
    store
        .commit(&commit(activity, &k.user_id, vec![w]))
        .await
        .unwrap();
}

async fn entry(store: &dyn Store, activity: &str, k: &StateKey) -> Option<StateEntry> {
    let snap = store.snapshot(activity, &k.user_id).await.unwrap();
    snap.state.into_iter().find(|e| e.key == *k)
}

async fn version_of(store: &dyn Store, activity: &str, k: &StateKey) -> Option<i64> {
    entry(store, activity, k).await.map(|e| e.version)
}

async fn tombstones(store: &dyn Store, activity: &str, user: &str) -> Vec<String> {
    let rows = store.scope_state(activity, user).await.unwrap();
    rows.into_iter()
        .filter(|e| e.value.is_none())
        .map(|e| e.key.key)
        .collect()
}

async fn lucky_draw(s: &Server) -> String {
    let t = s.tenant("t").await;
    let config = json!({"prizes": [{"id": "gold", "name": "Gold", "weight": 1}]});
    s.activity(&t, "lucky-draw", config).await
}

async fn tombstones_expire_after_retention(db: Db) {
    let s = Server::start(db).await;
    let (arcade, store) = (&s.arcade, s.arcade.store().clone());
    let store = &*store;
    let id = lucky_draw(&s).await;
    let keys: Vec<StateKey> = (0..40)
        .map(|i| key(if i % 2 == 0 { "" } else { "u1" }, &format!("k{i:02}")))
        .collect();
    for k in &keys {
        set(store, &id, k, Some("v")).await;
        set(store, &id, k, None).await;
    }
    arcade.freeze_clock(Some(1_800_000_000_000));

    // First sweep: every tombstone seen, none old enough.
    let r = arcade.sweep_tombstones(HOUR).await.unwrap();
    assert_eq!((r.swept, r.marked), (0, 40));
    arcade.freeze_clock(Some(1_800_000_000_000 + 1_800_000));
    let r = arcade.sweep_tombstones(HOUR).await.unwrap();
    assert_eq!((r.swept, r.marked), (0, 0));

    // Meanwhile k00 is written back and k01 removed again at a new version.
    set(store, &id, &keys[0], Some("back")).await;
    set(store, &id, &keys[1], Some("again")).await;
    set(store, &id, &keys[1], None).await;

    arcade.freeze_clock(Some(1_800_000_000_000 + 3_600_000));
    let r = arcade.sweep_tombstones(HOUR).await.unwrap();
    assert_eq!(
        (r.swept, r.marked),
        (38, 1),
        "k01 is re-marked at its new version"
    );
    let k00 = entry(store, &id, &keys[0]).await.unwrap();
    assert_eq!((k00.value.as_deref(), k00.version), (Some("back"), 3));
    assert_eq!(tombstones(store, &id, "u1").await, ["k01"]);
    assert!(tombstones(store, &id, "").await.is_empty());

    // A commit that read a swept tombstone's version conflicts; the key is
    // re-created from absent.
    let stale = StateWrite {
        key: keys[2].clone(),
        value: Some("late".into()),
        expected_version: Some(2),
        advance: 1,
    };
    let r = store.commit(&commit(&id, "", vec![stale])).await;
    assert!(matches!(r, Err(StoreError::Conflict)), "{r:?}");
    set(store, &id, &keys[2], Some("new")).await;
    let k02 = entry(store, &id, &keys[2]).await.unwrap();
    assert_eq!((k02.value.as_deref(), k02.version), (Some("new"), 1));

    // k01's own hour runs from its re-mark.
    arcade.freeze_clock(Some(1_800_000_000_000 + 2 * 3_600_000));
    let r = arcade.sweep_tombstones(HOUR).await.unwrap();
    assert_eq!((r.swept, r.marked), (1, 0));
    assert!(tombstones(store, &id, "u1").await.is_empty());
    // Nothing but tombstones was ever deleted.
    assert_eq!(store.scope_state(&id, "").await.unwrap().len(), 2);
}

/// Writers keep removing and re-writing keys while sweeps with zero
/// retention run back to back: every key ends as its last commit left it.
async fn rewrites_racing_sweeps_are_kept(db: Db) {
    let s = Server::start(db).await;
    let arcade: Arc<Arcade> = s.arcade.clone();
    let id = lucky_draw(&s).await;
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));

    let sweeper = {
        let (arcade, done) = (arcade.clone(), done.clone());
        tokio::spawn(async move {
            let mut swept = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                swept += arcade.sweep_tombstones(Duration::ZERO).await.unwrap().swept;
                tokio::task::yield_now().await;
            }
            swept
        })
    };
    let writers: Vec<_> = (0..12)
        .map(|w| {
            let (store, id) = (arcade.store().clone(), id.clone());
            tokio::spawn(async move {
                let k = key(if w % 3 == 0 { "" } else { "racer" }, &format!("w{w}"));
                let mut last = None;
                // Half the keys end removed, half written.
                for round in 0..30 + w % 2 {
                    let value = (round % 2 == 1).then(|| format!("{w}:{round}"));
                    // Compare-and-set from a fresh snapshot, again on conflict.
                    loop {
                        let w = StateWrite {
                            key: k.clone(),
                            value: value.clone(),
                            expected_version: version_of(&*store, &id, &k).await,
                            advance: 1,
                        };
                        match store.commit(&commit(&id, &k.user_id, vec![w])).await {
                            Ok(()) => break,
                            Err(StoreError::Conflict) => continue,
                            Err(e) => panic!("{e}"),
                        }
                    }
                    last = value;
                    if last.is_none() {
                        tokio::time::sleep(Duration::from_millis(3)).await;
                    }
                }
                (k, last)
            })
        })
        .collect();
    let mut finals = Vec::new();
    for w in writers {
        finals.push(w.await.unwrap());
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let swept = sweeper.await.unwrap();
    assert!(swept > 0, "the sweeps deleted nothing, so raced nothing");

    for (k, last) in &finals {
        let now = entry(&**arcade.store(), &id, k).await;
        assert_eq!(
            now.and_then(|e| e.value),
            *last,
            "{k:?} lost its last write"
        );
    }
    // Two more sweeps clear every tombstone and nothing else.
    arcade.sweep_tombstones(Duration::ZERO).await.unwrap();
    arcade.sweep_tombstones(Duration::ZERO).await.unwrap();
    let store = arcade.store();
    for user in ["", "racer"] {
        assert!(tombstones(&**store, &id, user).await.is_empty());
    }
}
