//! The store contract, run against both backends.

use std::sync::Arc;

use arcade_host::store::{
    ActionCommit, Activity, ActivityStatus, BalanceChange, EventRow, Group, IdempotencyRecord,
    OutcomeRecord, PluginRecord, RewardRow, Role, StateKey, StateRead, StateWrite, StockLevel,
    Store, StoreError, StoredResponse, TimerChange,
};
use uuid::Uuid;

use crate::support::Db;

/// Instantiate each `async fn name(Arc<dyn Store>, Db)` for both backends.
/// The [`Db`] lets a test reach past the store with raw SQL.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::run(super::Db::sqlite(), super::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::run(super::Db::postgres().await, super::$name).await;
                }
            )*
        }
    };
}

both_backends!(
    migrations_apply,
    tenants_keys_groups,
    plugins,
    activity_creation_is_atomic,
    snapshot_scopes,
    commit_applies_writes,
    stale_write_applies_nothing,
    stock_never_leaves_bounds,
    read_validation,
    concurrent_claims,
    idempotency,
    concurrent_commits_of_one_key,
    commit_chain_in_order,
    outcome_pages,
    append_only,
    init_setting_first_writer_wins,
    balances_credit_and_debit,
    overdraft_applies_nothing,
    prize_redemption_state,
    timers_schedule_replace_cancel,
    timers_lease_and_fire,
    one_pending_timer_per_name,
    event_log,
    concurrent_debits,
    concurrent_commits_fail_alone,
    concurrent_snapshots_each_see_their_own,
);

async fn run<F, Fut>(db: Db, test: F)
where
    F: FnOnce(Arc<dyn Store>, Db) -> Fut,
    Fut: Future<Output = ()>,
{
    let store = db.store().await;
    test(store, db.clone()).await;
    db.destroy().await;
}

const T: &str = "tenant-1";
const G: &str = "group-1";
const NOW: i64 = 1_700_000_000_000;

/// A tenant, group, plugin and an activity with the given stock.
async fn activity_with(s: &dyn Store, stock: &[(&str, i64)]) -> String {
    if !s.tenant_exists(T).await.unwrap() {
        s.create_tenant(T, "Tenant", NOW).await.unwrap();
        s.create_group(T, &group(G, NOW)).await.unwrap();
        s.put_plugin(&plugin("draw", "1.0.0", NOW), b"\0asm")
            .await
            .unwrap();
    }
    let a = activity(&Uuid::now_v7().to_string());
    let stock: Vec<_> = stock.iter().map(|(p, n)| (p.to_string(), *n)).collect();
    s.create_activity(&a, &stock).await.unwrap();
    a.id
}

fn group(id: &str, created_at: i64) -> Group {
    Group {
        id: id.into(),
        name: format!("name of {id}"),
        created_at,
    }
}

fn plugin(name: &str, version: &str, created_at: i64) -> PluginRecord {
    PluginRecord {
        name: name.into(),
        version: version.into(),
        sha256: format!("sha-{name}-{version}"),
        manifest: format!(r#"{{"name":"{name}"}}"#),
        limits: "{}".into(),
        created_at,
    }
}

fn activity(id: &str) -> Activity {
    Activity {
        id: id.into(),
        tenant_id: T.into(),
        group_id: G.into(),
        plugin: "draw".into(),
        plugin_version: "1.0.0".into(),
        plugin_sha256: "sha-draw-1.0.0".into(),
        config: "{}".into(),
        timezone: "Asia/Taipei".into(),
        starts_at: Some(NOW),
        ends_at: None,
        status: ActivityStatus::Active,
        key_commitment: "commit".into(),
        created_at: NOW,
    }
}

/// An empty commit for `user` in `activity`, with a fresh outcome id.
fn action(activity_id: &str, user: &str) -> ActionCommit {
    ActionCommit {
        outcome: OutcomeRecord {
            id: Uuid::now_v7().to_string(),
            tenant_id: T.into(),
            activity_id: activity_id.into(),
            user_id: user.into(),
            action: "draw".into(),
            payload: "{}".into(),
            result: r#"{"ok":true}"#.into(),
            rewards: "[]".into(),
            inputs: "{}".into(),
            effects_hash: "hash".into(),
            plugin_sha256: "sha-draw-1.0.0".into(),
            fuel_used: 42,
            created_at: NOW,
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

fn key(user: &str, key: &str) -> StateKey {
    StateKey {
        user_id: user.into(),
        key: key.into(),
    }
}

fn write(user: &str, k: &str, value: Option<&str>, expected_version: Option<i64>) -> StateWrite {
    StateWrite {
        key: key(user, k),
        value: value.map(Into::into),
        expected_version,
    }
}

fn prize(item: &str) -> RewardRow {
    RewardRow {
        user_id: "alice".into(),
        kind: "prize".into(),
        item: item.into(),
        name: format!("Prize {item}"),
        amount: 1,
        expires_at: None,
        code: None,
    }
}

fn credit(user: &str, currency: &str, delta: i64) -> BalanceChange {
    BalanceChange {
        user_id: user.into(),
        currency: currency.into(),
        delta,
    }
}

fn schedule(id: &str, name: &str, due_at: i64) -> TimerChange {
    TimerChange::Schedule {
        id: id.into(),
        name: name.into(),
        due_at,
        payload: format!(r#"{{"id":"{id}"}}"#),
    }
}

fn event(kind: &str, subject: &str) -> EventRow {
    EventRow {
        kind: kind.into(),
        subject: subject.into(),
        data: "{}".into(),
    }
}

async fn balance(s: &dyn Store, user: &str, currency: &str) -> Option<i64> {
    s.balances(T, user)
        .await
        .unwrap()
        .into_iter()
        .find(|(c, _)| c == currency)
        .map(|(_, b)| b)
}

/// `(value, version)` of a state entry as `user` sees it.
async fn entry(
    s: &dyn Store,
    activity_id: &str,
    user: &str,
    k: &str,
) -> Option<(Option<String>, i64)> {
    let snap = s.snapshot(activity_id, user).await.unwrap();
    snap.state
        .into_iter()
        .find(|e| e.key == key(user, k))
        .map(|e| (e.value, e.version))
}

async fn remaining(s: &dyn Store, activity_id: &str, pool: &str) -> i64 {
    let stock = s.stock(activity_id).await.unwrap();
    stock.iter().find(|l| l.pool == pool).unwrap().remaining
}

async fn migrations_apply(s: Arc<dyn Store>, db: Db) {
    let expected = match db {
        Db::Sqlite(_) => "sqlite",
        Db::Postgres(_) => "postgres",
    };
    assert_eq!(s.backend(), expected);
    assert_eq!(s.setting("secret").await.unwrap(), None);
    assert_eq!(s.count_outcomes("none").await.unwrap(), 0);
    assert!(s.plugins().await.unwrap().is_empty());
    // Opening again finds the migrations applied and changes nothing.
    let again = db.store().await;
    assert!(!again.tenant_exists(T).await.unwrap());
}

async fn tenants_keys_groups(s: Arc<dyn Store>, _: Db) {
    assert!(!s.tenant_exists(T).await.unwrap());
    s.create_tenant(T, "Tenant", NOW).await.unwrap();
    assert!(s.tenant_exists(T).await.unwrap());
    assert!(matches!(
        s.create_tenant(T, "Again", NOW).await,
        Err(StoreError::Duplicate(_))
    ));

    s.create_api_key("hash-op", T, Role::Operator, NOW)
        .await
        .unwrap();
    s.create_api_key("hash-pl", T, Role::Platform, NOW)
        .await
        .unwrap();
    let op = s.api_key("hash-op").await.unwrap().unwrap();
    assert_eq!((op.tenant_id.as_str(), op.role), (T, Role::Operator));
    assert_eq!(
        s.api_key("hash-pl").await.unwrap().unwrap().role,
        Role::Platform
    );
    assert_eq!(s.api_key("nope").await.unwrap(), None);
    assert!(
        s.create_api_key("hash-x", "ghost", Role::Operator, NOW)
            .await
            .is_err()
    );

    s.create_group(T, &group("g-late", NOW + 5)).await.unwrap();
    s.create_group(T, &group("g-early", NOW)).await.unwrap();
    assert!(matches!(
        s.create_group(T, &group("g-early", NOW)).await,
        Err(StoreError::Duplicate(_))
    ));
    assert!(
        s.create_group("ghost", &group("g-orphan", NOW))
            .await
            .is_err()
    );
    let ids: Vec<_> = s
        .groups(T)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.id)
        .collect();
    assert_eq!(ids, ["g-early", "g-late"]);
    assert_eq!(
        s.group(T, "g-late").await.unwrap(),
        Some(group("g-late", NOW + 5))
    );
    assert_eq!(s.group("other", "g-late").await.unwrap(), None);
    assert!(s.groups("other").await.unwrap().is_empty());
}

async fn plugins(s: Arc<dyn Store>, _: Db) {
    s.put_plugin(&plugin("draw", "1.0.0", NOW), b"one")
        .await
        .unwrap();
    s.put_plugin(&plugin("draw", "1.1.0", NOW + 10), b"two")
        .await
        .unwrap();
    s.put_plugin(&plugin("alpha", "0.1.0", NOW + 20), b"three")
        .await
        .unwrap();
    assert!(matches!(
        s.put_plugin(&plugin("draw", "1.0.0", NOW + 30), b"dup")
            .await,
        Err(StoreError::Duplicate("plugin version"))
    ));

    let latest = s.plugin("draw", None).await.unwrap().unwrap();
    assert_eq!(latest.version, "1.1.0");
    let old = s.plugin("draw", Some("1.0.0")).await.unwrap().unwrap();
    assert_eq!(
        (old.sha256.as_str(), old.created_at),
        ("sha-draw-1.0.0", NOW)
    );
    assert_eq!(old.manifest, r#"{"name":"draw"}"#);
    assert!(s.plugin("draw", Some("9.9.9")).await.unwrap().is_none());
    assert!(s.plugin("nope", None).await.unwrap().is_none());

    let all: Vec<_> = s
        .plugins()
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.name, p.version))
        .collect();
    assert_eq!(
        all,
        [
            ("alpha".into(), "0.1.0".into()),
            ("draw".into(), "1.0.0".into()),
            ("draw".into(), "1.1.0".into())
        ]
    );

    assert_eq!(
        s.plugin_wasm("sha-draw-1.1.0").await.unwrap().as_deref(),
        Some(&b"two"[..])
    );
    assert_eq!(s.plugin_wasm("missing").await.unwrap(), None);

    s.set_plugin_limits("draw", "1.0.0", r#"{"fuel":10}"#)
        .await
        .unwrap();
    assert_eq!(
        s.plugin("draw", Some("1.0.0"))
            .await
            .unwrap()
            .unwrap()
            .limits,
        r#"{"fuel":10}"#
    );
    assert!(matches!(
        s.set_plugin_limits("draw", "2.0.0", "{}").await,
        Err(StoreError::NotFound(_))
    ));
}

async fn activity_creation_is_atomic(s: Arc<dyn Store>, _: Db) {
    let id = activity_with(&*s, &[("gold", 1), ("silver", 5)]).await;
    let a = s.activity(&id).await.unwrap().unwrap();
    assert_eq!(
        (a.group_id.as_str(), a.starts_at, a.ends_at),
        (G, Some(NOW), None)
    );
    assert_eq!(a.status, ActivityStatus::Active);
    assert_eq!(
        s.stock(&id).await.unwrap(),
        [
            StockLevel {
                pool: "gold".into(),
                initial: 1,
                remaining: 1
            },
            StockLevel {
                pool: "silver".into(),
                initial: 5,
                remaining: 5
            },
        ]
    );

    // A bad pool (negative size) refuses the whole activity.
    let bad = activity("bad-stock");
    let stock = [("ok".to_string(), 3), ("neg".to_string(), -1)];
    assert!(s.create_activity(&bad, &stock).await.is_err());
    assert!(s.activity("bad-stock").await.unwrap().is_none());
    assert!(s.stock("bad-stock").await.unwrap().is_empty());
    // So does a repeated pool id.
    let dup = [("p".to_string(), 1), ("p".to_string(), 2)];
    assert!(s.create_activity(&bad, &dup).await.is_err());
    assert!(s.activity("bad-stock").await.unwrap().is_none());

    assert!(matches!(
        s.create_activity(&activity(&id), &[]).await,
        Err(StoreError::Duplicate(_))
    ));

    s.set_activity_status(&id, ActivityStatus::Paused)
        .await
        .unwrap();
    assert_eq!(
        s.activity(&id).await.unwrap().unwrap().status,
        ActivityStatus::Paused
    );
    assert!(matches!(
        s.set_activity_status("missing", ActivityStatus::Paused)
            .await,
        Err(StoreError::NotFound(_))
    ));

    s.create_group(T, &group("g2", NOW)).await.unwrap();
    let mut other = activity("in-g2");
    other.group_id = "g2".into();
    other.created_at = NOW + 1;
    s.create_activity(&other, &[]).await.unwrap();
    let all: Vec<_> = s
        .activities(T, None)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(all, [id.clone(), "in-g2".to_string()]);
    let g2: Vec<_> = s
        .activities(T, Some("g2"))
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(g2, ["in-g2"]);
    assert!(s.activities("other", None).await.unwrap().is_empty());
}

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

fn keyed(key: &str, hash: &str, response: &str) -> Option<IdempotencyRecord> {
    Some(IdempotencyRecord {
        key: key.into(),
        request_hash: hash.into(),
        response: response.into(),
    })
}

async fn idempotency(s: Arc<dyn Store>, _: Db) {
    let id = activity_with(&*s, &[("gold", 5)]).await;
    assert_eq!(s.idempotent_response(T, "k1").await.unwrap(), None);

    let mut c = action(&id, "alice");
    c.stock = vec![("gold".into(), -1)];
    c.idempotency = keyed("k1", "h1", r#"{"done":1}"#);
    s.commit(&c).await.unwrap();
    let stored = StoredResponse {
        request_hash: "h1".into(),
        response: r#"{"done":1}"#.into(),
        created_at: NOW,
    };
    assert_eq!(
        s.idempotent_response(T, "k1").await.unwrap(),
        Some(stored.clone())
    );
    // Keys are per tenant.
    assert_eq!(s.idempotent_response("t2", "k1").await.unwrap(), None);

    // A second commit under the key applies nothing, whatever it carries.
    let mut again = action(&id, "bob");
    again.stock = vec![("gold".into(), -1)];
    again.writes = vec![write("bob", "k", Some("v"), None)];
    again.idempotency = keyed("k1", "h2", "{}");
    assert!(matches!(s.commit(&again).await, Err(StoreError::KeyTaken)));
    assert_eq!(remaining(&*s, &id, "gold").await, 4);
    assert_eq!(entry(&*s, &id, "bob", "k").await, None);
    assert_eq!(s.count_outcomes(&id).await.unwrap(), 1);
    assert_eq!(s.idempotent_response(T, "k1").await.unwrap(), Some(stored));

    // A commit refused for another reason leaves its key free.
    let mut stale = action(&id, "carol");
    stale.writes = vec![write("carol", "k", Some("v"), Some(9))];
    stale.idempotency = keyed("k2", "h3", "{}");
    assert!(matches!(s.commit(&stale).await, Err(StoreError::Conflict)));
    assert_eq!(s.idempotent_response(T, "k2").await.unwrap(), None);

    // Sweeping forgets keys committed before the cut-off only.
    let mut later = action(&id, "dave");
    later.outcome.created_at = NOW + 10_000;
    later.idempotency = keyed("k3", "h4", "{}");
    s.commit(&later).await.unwrap();
    assert_eq!(s.sweep_idempotency(NOW + 1).await.unwrap(), 1);
    assert_eq!(s.idempotent_response(T, "k1").await.unwrap(), None);
    assert!(s.idempotent_response(T, "k3").await.unwrap().is_some());
}

/// Many commits racing under one key: exactly one applies, on any
/// connection, and the rest learn the key is taken.
async fn concurrent_commits_of_one_key(s: Arc<dyn Store>, _: Db) {
    let id = activity_with(&*s, &[("gold", 100)]).await;
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let s = s.clone();
            let id = id.clone();
            tokio::spawn(async move {
                let mut c = action(&id, &format!("u{i}"));
                c.stock = vec![("gold".into(), -1)];
                c.idempotency = keyed("same", "h", &format!("{{\"n\":{i}}}"));
                (i, s.commit(&c).await)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for t in tasks {
        let (i, result) = t.await.unwrap();
        match result {
            Ok(()) => winners.push(i),
            Err(StoreError::KeyTaken) => {}
            Err(e) => panic!("{i}: {e:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    let stored = s.idempotent_response(T, "same").await.unwrap().unwrap();
    assert_eq!(stored.response, format!("{{\"n\":{}}}", winners[0]));
    assert_eq!(remaining(&*s, &id, "gold").await, 99);
    assert_eq!(s.count_outcomes(&id).await.unwrap(), 1);
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

async fn outcome_pages(s: Arc<dyn Store>, _: Db) {
    let id = activity_with(&*s, &[]).await;
    let other = activity_with(&*s, &[]).await;
    let mut ids: Vec<String> = (0..7).map(|_| Uuid::now_v7().to_string()).collect();
    ids.sort();
    // Insert out of order: pages follow ids, not insertion.
    for i in [3, 0, 6, 1, 5, 2, 4] {
        let mut c = action(&id, "alice");
        c.outcome.id = ids[i].clone();
        s.commit(&c).await.unwrap();
    }
    s.commit(&action(&other, "alice")).await.unwrap();

    let mut seen = vec![];
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = s.outcomes(&id, cursor.as_deref(), 3).await.unwrap();
        pages += 1;
        assert!(page.outcomes.len() <= 3);
        seen.extend(page.outcomes.iter().map(|o| o.id.clone()));
        match page.next {
            Some(next) => {
                assert_eq!(Some(&next), seen.last());
                cursor = Some(next);
            }
            None => break,
        }
    }
    assert_eq!((seen, pages), (ids.clone(), 3));

    // A page that ends exactly at the last row has no cursor.
    let page = s.outcomes(&id, Some(&ids[3]), 3).await.unwrap();
    assert_eq!(page.outcomes.len(), 3);
    assert_eq!(page.next, None);
    assert!(
        s.outcomes(&id, Some(&ids[6]), 3)
            .await
            .unwrap()
            .outcomes
            .is_empty()
    );
    assert_eq!(s.count_outcomes(&id).await.unwrap(), 7);
    assert_eq!(s.count_outcomes(&other).await.unwrap(), 1);
}

async fn append_only(s: Arc<dyn Store>, db: Db) {
    let id = activity_with(&*s, &[]).await;
    let mut c = action(&id, "alice");
    c.rewards = vec![prize("gold")];
    s.commit(&c).await.unwrap();

    for sql in [
        "UPDATE outcomes SET result = 'forged'",
        "DELETE FROM outcomes",
        "UPDATE rewards SET amount = 100",
        "DELETE FROM rewards",
    ] {
        let err = db.execute(sql).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(
        s.outcome(&c.outcome.id).await.unwrap(),
        Some(c.outcome.clone())
    );
    assert_eq!(s.rewards(&id).await.unwrap(), [prize("gold")]);

    // The triggers are what stops it: without them the same SQL goes through.
    let drop = match db {
        Db::Sqlite(_) => "DROP TRIGGER outcomes_append_only_update",
        Db::Postgres(_) => "DROP TRIGGER outcomes_append_only_update ON outcomes",
    };
    db.execute(drop).await.unwrap();
    assert_eq!(
        db.execute("UPDATE outcomes SET result = 'forged'")
            .await
            .unwrap(),
        1
    );
}

async fn init_setting_first_writer_wins(s: Arc<dyn Store>, _: Db) {
    assert_eq!(s.init_setting("secret", "first").await.unwrap(), "first");
    assert_eq!(s.init_setting("secret", "second").await.unwrap(), "first");
    assert_eq!(s.setting("secret").await.unwrap().as_deref(), Some("first"));

    let racers: Vec<_> = (0..20)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move { s.init_setting("raced", &format!("v{i}")).await.unwrap() })
        })
        .collect();
    let mut values = vec![];
    for r in racers {
        values.push(r.await.unwrap());
    }
    let stored = s.setting("raced").await.unwrap().unwrap();
    assert!(
        values.iter().all(|v| *v == stored),
        "{values:?} vs {stored}"
    );
}

async fn balances_credit_and_debit(s: Arc<dyn Store>, _: Db) {
    let id = activity_with(&*s, &[]).await;
    let mut c = action(&id, "alice");
    c.balances = vec![
        credit("alice", "points", 10),
        credit("bob", "points", 4),
        credit("alice", "ticket", 2),
    ];
    s.commit(&c).await.unwrap();
    assert_eq!(
        s.balances(T, "alice").await.unwrap(),
        [("points".to_string(), 10), ("ticket".to_string(), 2)]
    );
    assert_eq!(balance(&*s, "bob", "points").await, Some(4));
    // Balances are per tenant.
    assert!(s.balances("other", "alice").await.unwrap().is_empty());

    let mut c = action(&id, "alice");
    c.balances = vec![credit("alice", "points", -4), credit("alice", "points", 1)];
    s.commit(&c).await.unwrap();
    assert_eq!(balance(&*s, "alice", "points").await, Some(7));

    // Debiting everything leaves a zero balance, not an error.
    let mut c = action(&id, "alice");
    c.balances = vec![credit("alice", "ticket", -2)];
    s.commit(&c).await.unwrap();
    assert_eq!(balance(&*s, "alice", "ticket").await, Some(0));
    assert_eq!(s.count_outcomes(&id).await.unwrap(), 3);
}

async fn overdraft_applies_nothing(s: Arc<dyn Store>, _: Db) {
    let id = activity_with(&*s, &[("gold", 3)]).await;
    let mut c = action(&id, "alice");
    c.balances = vec![credit("alice", "points", 5)];
    c.writes = vec![write("alice", "n", Some("1"), None)];
    s.commit(&c).await.unwrap();

    // Stock, another balance, state, a reward and an event would all
    // apply; the overdraft must undo them.
    for debit in [
        credit("alice", "points", -6),
        credit("carol", "points", -1),
        credit("alice", "missing", -1),
    ] {
        let mut c = action(&id, "alice");
        c.stock = vec![("gold".into(), -1)];
        c.balances = vec![credit("bob", "points", 3), debit.clone()];
        c.writes = vec![write("alice", "n", Some("2"), Some(1))];
        c.rewards = vec![prize("gold")];
        c.events = vec![event("draw.won", "alice")];
        c.timers = vec![schedule(&Uuid::now_v7().to_string(), "t", NOW)];
        assert!(
            matches!(s.commit(&c).await, Err(StoreError::Conflict)),
            "{debit:?}"
        );
        assert!(s.outcome(&c.outcome.id).await.unwrap().is_none());
    }
    assert_eq!(remaining(&*s, &id, "gold").await, 3);
    assert_eq!(
        entry(&*s, &id, "alice", "n").await,
        Some((Some("1".into()), 1))
    );
    assert_eq!(
        s.balances(T, "alice").await.unwrap(),
        [("points".to_string(), 5)]
    );
    assert!(s.balances(T, "bob").await.unwrap().is_empty());
    assert!(s.balances(T, "carol").await.unwrap().is_empty());
    assert!(s.rewards(&id).await.unwrap().is_empty());
    assert!(s.events(T, None, 10).await.unwrap().is_empty());
    assert!(s.pending_timers(&id).await.unwrap().is_empty());
    assert_eq!(s.count_outcomes(&id).await.unwrap(), 1);
}

async fn prize_redemption_state(s: Arc<dyn Store>, _: Db) {
    let id = activity_with(&*s, &[]).await;
    let coupon = RewardRow {
        user_id: "bob".into(),
        kind: "coupon".into(),
        item: "c10".into(),
        name: "10% off".into(),
        amount: 1,
        expires_at: Some(NOW + 1000),
        code: Some("ABC-123".into()),
    };
    let bob_prize = RewardRow {
        user_id: "bob".into(),
        ..prize("gold")
    };
    // Alice acts; bob is the beneficiary of both rewards.
    let mut c = action(&id, "alice");
    c.rewards = vec![bob_prize.clone(), coupon.clone()];
    s.commit(&c).await.unwrap();
    assert_eq!(
        s.rewards(&id).await.unwrap(),
        [bob_prize.clone(), coupon.clone()]
    );
    assert!(s.user_rewards(T, "alice").await.unwrap().is_empty());
    assert!(s.user_rewards("other", "bob").await.unwrap().is_empty());

    let ledger = s.user_rewards(T, "bob").await.unwrap();
    assert_eq!(ledger.len(), 2);
    // Newest first, under distinct opaque ids.
    assert_ne!(ledger[0].id, ledger[1].id);
    assert_eq!(ledger[0].reward, coupon);
    assert_eq!(ledger[0].state, None);
    assert_eq!(ledger[1].reward, bob_prize);
    assert_eq!(ledger[1].state.as_deref(), Some("pending"));
    assert_eq!(
        (
            ledger[1].activity_id.as_str(),
            ledger[1].outcome_id.as_str(),
            ledger[1].created_at
        ),
        (id.as_str(), c.outcome.id.as_str(), NOW)
    );
    let prize_id = ledger[1].id.as_str();
    let coupon_id = ledger[0].id.as_str();

    // Not the tenant's or unknown: no such reward. Not a prize, or not
    // in `from`: refused.
    let state = |tenant: &'static str, id: &str, from: &'static str, to: &'static str, at| {
        let (s, id) = (s.clone(), id.to_owned());
        async move { s.set_reward_state(tenant, &id, from, to, at).await.unwrap() }
    };
    assert_eq!(
        state("other", prize_id, "pending", "redeemed", NOW).await,
        None
    );
    assert_eq!(state(T, "1", "pending", "redeemed", NOW).await, None);
    assert_eq!(
        state(T, coupon_id, "pending", "redeemed", NOW).await,
        Some(false)
    );
    assert_eq!(
        state(T, prize_id, "redeemed", "cancelled", NOW).await,
        Some(false)
    );
    assert_eq!(
        state(T, prize_id, "pending", "redeemed", NOW + 1).await,
        Some(true)
    );
    // Once only, and a redeemed prize stays redeemed.
    assert_eq!(
        state(T, prize_id, "pending", "redeemed", NOW + 2).await,
        Some(false)
    );
    assert_eq!(
        state(T, prize_id, "redeemed", "cancelled", NOW + 2).await,
        Some(false)
    );
    assert_eq!(
        state(T, prize_id, "pending", "cancelled", NOW + 2).await,
        Some(false)
    );
    let ledger = s.user_rewards(T, "bob").await.unwrap();
    assert_eq!(ledger[1].state.as_deref(), Some("redeemed"));
}

async fn timers_schedule_replace_cancel(s: Arc<dyn Store>, _: Db) {
    let id = activity_with(&*s, &[]).await;
    let other = activity_with(&*s, &[]).await;
    let mut c = action(&id, "alice");
    c.timers = vec![schedule("t1", "close", NOW + 100)];
    s.commit(&c).await.unwrap();
    assert_eq!(
        s.pending_timers(&id).await.unwrap(),
        [("close".to_string(), NOW + 100)]
    );

    // Scheduling a name again replaces its pending timer; names are per
    // activity.
    let mut c = action(&id, "alice");
    c.timers = vec![
        schedule("t2", "close", NOW + 300),
        schedule("t3", "remind", NOW + 50),
    ];
    s.commit(&c).await.unwrap();
    let mut c = action(&other, "alice");
    c.timers = vec![schedule("t4", "close", NOW + 10)];
    s.commit(&c).await.unwrap();
    assert_eq!(
        s.pending_timers(&id).await.unwrap(),
        [
            ("remind".to_string(), NOW + 50),
            ("close".to_string(), NOW + 300)
        ]
    );

    // Cancel; cancelling a name with no pending timer is fine.
    let mut c = action(&id, "alice");
    c.timers = vec![
        TimerChange::Cancel {
            name: "remind".into(),
        },
        TimerChange::Cancel {
            name: "never".into(),
        },
    ];
    s.commit(&c).await.unwrap();
    assert_eq!(
        s.pending_timers(&id).await.unwrap(),
        [("close".to_string(), NOW + 300)]
    );
    assert_eq!(
        s.pending_timers(&other).await.unwrap(),
        [("close".to_string(), NOW + 10)]
    );

    // Schedule then cancel in one commit leaves nothing pending.
    let mut c = action(&id, "alice");
    c.timers = vec![
        schedule("t5", "flash", NOW + 5),
        TimerChange::Cancel {
            name: "flash".into(),
        },
    ];
    s.commit(&c).await.unwrap();
    assert_eq!(s.pending_timers(&id).await.unwrap().len(), 1);
}

async fn timers_lease_and_fire(s: Arc<dyn Store>, _: Db) {
    let id = activity_with(&*s, &[]).await;
    let mut c = action(&id, "alice");
    c.timers = vec![
        schedule("early", "a", NOW + 100),
        schedule("late", "b", NOW + 200),
        schedule("future", "c", NOW + 10_000),
    ];
    s.commit(&c).await.unwrap();

    assert!(s.lease_due_timers(NOW, 1000, 10).await.unwrap().is_empty());
    let due = s.lease_due_timers(NOW + 200, 1000, 10).await.unwrap();
    let ids: Vec<_> = due.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["early", "late"]);
    assert_eq!(
        (
            due[0].tenant_id.as_str(),
            due[0].activity_id.as_str(),
            due[0].name.as_str(),
            due[0].payload.as_str(),
            due[0].due_at
        ),
        (T, id.as_str(), "a", r#"{"id":"early"}"#, NOW + 100)
    );
    // Leased: not handed out again until the lease runs out.
    assert!(
        s.lease_due_timers(NOW + 500, 1000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = s.lease_due_timers(NOW + 1201, 1000, 1).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, "early");
    let again = s.lease_due_timers(NOW + 1201, 1000, 5).await.unwrap();
    let ids: Vec<_> = again.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["late"]);

    // Firing marks the timer fired; an on-timer outcome may re-schedule
    // its own name.
    let mut fire = action(&id, "");
    fire.fired_timer = Some("early".into());
    fire.timers = vec![schedule("early-2", "a", NOW + 5000)];
    s.commit(&fire).await.unwrap();
    assert_eq!(
        s.pending_timers(&id).await.unwrap(),
        [
            ("b".to_string(), NOW + 200),
            ("a".to_string(), NOW + 5000),
            ("c".to_string(), NOW + 10_000)
        ]
    );
    // Firing the same timer twice is a conflict, and applies nothing.
    let mut twice = action(&id, "");
    twice.fired_timer = Some("early".into());
    twice.events = vec![event("timer.fired", "a")];
    assert!(matches!(s.commit(&twice).await, Err(StoreError::Conflict)));
    assert!(s.outcome(&twice.outcome.id).await.unwrap().is_none());
    assert!(s.events(T, None, 10).await.unwrap().is_empty());
    // So is firing an unknown or cancelled timer.
    let mut cancel = action(&id, "alice");
    cancel.timers = vec![TimerChange::Cancel { name: "b".into() }];
    s.commit(&cancel).await.unwrap();
    for gone in ["late", "nope"] {
        let mut c = action(&id, "");
        c.fired_timer = Some(gone.into());
        assert!(matches!(s.commit(&c).await, Err(StoreError::Conflict)));
    }
    // Fired and cancelled timers are never leased.
    let due = s.lease_due_timers(NOW + 100_000, 1000, 10).await.unwrap();
    let ids: Vec<_> = due.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["early-2", "future"]);
    assert_eq!(s.count_outcomes(&id).await.unwrap(), 3);
}

async fn one_pending_timer_per_name(s: Arc<dyn Store>, db: Db) {
    let id = activity_with(&*s, &[]).await;
    let insert = |tid: &str, state: &str| {
        format!(
            "INSERT INTO timers (id, tenant_id, activity_id, name, payload, due_at, state, \
             created_at) VALUES ('{tid}', '{T}', '{id}', 'dup', '{{}}', {NOW}, '{state}', {NOW})"
        )
    };
    db.execute(&insert("x1", "pending")).await.unwrap();
    db.execute(&insert("x2", "fired")).await.unwrap();
    db.execute(&insert("x3", "cancelled")).await.unwrap();
    let err = db
        .execute(&insert("x4", "pending"))
        .await
        .expect_err("second pending timer of one name");
    assert!(
        matches!(&err, sqlx::Error::Database(d) if d.is_unique_violation()),
        "{err}"
    );
    assert!(db.execute(&insert("x5", "sleeping")).await.is_err());
    assert_eq!(
        s.pending_timers(&id).await.unwrap(),
        [("dup".to_string(), NOW)]
    );
}

async fn event_log(s: Arc<dyn Store>, db: Db) {
    let id = activity_with(&*s, &[]).await;
    let other = activity_with(&*s, &[]).await;
    let mut outcomes = vec![];
    for (activity, kinds) in [
        (&id, vec!["a.one", "a.two"]),
        (&other, vec!["b.one"]),
        (&id, vec![]),
        (&id, vec!["a.three", "a.four", "a.five"]),
    ] {
        let mut c = action(activity, "alice");
        c.events = kinds.iter().map(|k| event(k, "alice")).collect();
        s.commit(&c).await.unwrap();
        outcomes.push(c.outcome.id);
    }
    // Another tenant's events.
    let mut c = action(&id, "alice");
    c.outcome.tenant_id = "tenant-2".into();
    c.events = vec![event("x.other", "zed")];
    s.commit(&c).await.unwrap();

    let all = s.events(T, None, 100).await.unwrap();
    let kinds: Vec<_> = all.iter().map(|e| e.event.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["a.one", "a.two", "b.one", "a.three", "a.four", "a.five"]
    );
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(
        (
            all[2].activity_id.as_str(),
            all[2].outcome_id.as_str(),
            all[2].event.subject.as_str(),
            all[2].event.data.as_str(),
            all[2].created_at
        ),
        (other.as_str(), outcomes[1].as_str(), "alice", "{}", NOW)
    );

    // Paging with the last seq as cursor visits each event once.
    let mut seen = vec![];
    let mut after = None;
    loop {
        let page = s.events(T, after, 4).await.unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 4);
        after = page.last().map(|e| e.seq);
        seen.extend(page);
    }
    assert_eq!(seen, all);
    assert!(s.events(T, Some(all[5].seq), 10).await.unwrap().is_empty());

    let theirs = s.events("tenant-2", None, 100).await.unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].event.kind, "x.other");
    assert!(s.events("nobody", None, 100).await.unwrap().is_empty());

    for sql in ["UPDATE events SET kind = 'forged'", "DELETE FROM events"] {
        let err = db.execute(sql).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(s.events(T, None, 100).await.unwrap(), all);
}

async fn concurrent_debits(s: Arc<dyn Store>, _: Db) {
    let id = activity_with(&*s, &[]).await;
    let mut c = action(&id, "alice");
    c.balances = vec![credit("alice", "points", 20)];
    s.commit(&c).await.unwrap();

    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let s = s.clone();
            let id = id.clone();
            tokio::spawn(async move {
                loop {
                    if balance(&*s, "alice", "points").await.unwrap_or(0) == 0 {
                        return false;
                    }
                    let mut c = action(&id, "alice");
                    c.balances = vec![credit("alice", "points", -1)];
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
    assert_eq!(won, 20);
    assert_eq!(balance(&*s, "alice", "points").await, Some(0));
    assert_eq!(s.count_outcomes(&id).await.unwrap(), 21);
}

/// Commits that arrive together may share a transaction (group commit);
/// a refused one must still be undone alone and the others applied whole.
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
