//! Creating an activity with its stock pools.

use std::sync::Arc;

use arcade_host::store::{ActivityStatus, StockLevel, Store, StoreError};

use super::{G, NOW, T, activity, activity_with, group};
use crate::support::Db;

both_stores!(
    activity_creation_is_atomic,
    plugin_pins_name_every_activity,
    viewers_are_kept_once_per_user_and_day,
);

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

async fn plugin_pins_name_every_activity(s: Arc<dyn Store>, _: Db) {
    assert!(s.plugin_pins().await.unwrap().is_empty());
    let a = super::activity_with(&*s, &[]).await;
    let b = super::activity_with(&*s, &[]).await;
    let pins = s.plugin_pins().await.unwrap();
    let sha = s.activity(&a).await.unwrap().unwrap().plugin_sha256;
    assert_eq!(
        pins,
        [
            (sha.clone(), super::T.to_owned(), a),
            (sha, super::T.to_owned(), b)
        ]
    );
}

async fn viewers_are_kept_once_per_user_and_day(s: Arc<dyn Store>, _: Db) {
    let row = |a: &str, d: &str, u: &str| (a.to_owned(), d.to_owned(), u.to_owned());
    s.record_viewers(&[row("a1", "2026-01-01", "u1"), row("a1", "2026-01-01", "u2")])
        .await
        .unwrap();
    // Repeats, in one batch and across batches, are kept once.
    s.record_viewers(&[
        row("a1", "2026-01-01", "u1"),
        row("a1", "2026-01-02", "u1"),
        row("a1", "2026-01-02", "u1"),
        row("a2", "2026-01-01", "u9"),
    ])
    .await
    .unwrap();
    let (total, days) = s.viewers("a1").await.unwrap();
    assert_eq!(total, 2);
    assert_eq!(
        days,
        [("2026-01-01".to_owned(), 2), ("2026-01-02".to_owned(), 1)]
    );
    assert_eq!(s.viewers("a3").await.unwrap(), (0, vec![]));
}
