//! Timers: scheduling, replacing, cancelling, leasing and firing.

use std::sync::Arc;

use arcade_host::store::{Store, StoreError, TimerChange};

use super::{NOW, T, action, activity_with, event, schedule};
use crate::support::Db;

both_stores!(
    timers_schedule_replace_cancel,
    timers_lease_and_fire,
    one_pending_timer_per_name,
);

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

    // The backlog counts due timers, leased or not.
    assert_eq!(s.timers_due(NOW + 99).await.unwrap(), 0);
    assert_eq!(s.timers_due(NOW + 200).await.unwrap(), 2);
    assert!(s.lease_due_timers(NOW, 1000, 10).await.unwrap().is_empty());
    let due = s.lease_due_timers(NOW + 200, 1000, 10).await.unwrap();
    assert_eq!(s.timers_due(NOW + 200).await.unwrap(), 2);
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
    // A fired timer is no longer due.
    assert_eq!(s.timers_due(NOW + 1201).await.unwrap(), 1);
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
