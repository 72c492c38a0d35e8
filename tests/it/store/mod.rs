//! The store contract, run against both backends: the shared harness
//! here, the tests in one module per aggregate.

use std::sync::Arc;

use arcade_host::store::{
    ActionCommit, Activity, ActivityStatus, BalanceChange, EventRow, Group, OutcomeRecord,
    PluginRecord, RewardRow, StateKey, StateWrite, Store, TimerChange,
};
use uuid::Uuid;

use crate::support::Db;

/// Instantiate each `async fn name(Arc<dyn Store>, Db)` of the invoking
/// module for both backends, as `sqlite::name` and `postgres::name` in
/// that module. The [`Db`] lets a test reach past the store with raw SQL.
macro_rules! both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    crate::store::run(crate::support::Db::sqlite(), super::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    crate::store::run(crate::support::Db::postgres().await, super::$name).await;
                }
            )*
        }
    };
}

mod activities;
mod announcements;
mod commit;
mod events;
mod idempotency;
mod ledger;
mod outcomes;
mod plugins;
mod setup;
mod snapshot;
mod tenants;
mod timers;

/// Run `test` on a fresh store of `db`, then remove the database.
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
        tier: "初级".into(),
        tags: Vec::new(),
        members: None,
        members_at: None,
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
        revision: 1,
        revised_by: "key-1".into(),
        targeting: r#"{"tiers":[],"tags":[]}"#.into(),
        staged_group_id: None,
        costs: "{}".into(),
        budget_fen: None,
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
            group_id: G.into(),
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
        advance: 1,
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
