//! A store as it opens: migrations applied once, and server-wide settings.

use std::sync::Arc;

use arcade_host::store::Store;

use super::T;
use crate::support::Db;

both_stores!(migrations_apply, init_setting_first_writer_wins,);

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
