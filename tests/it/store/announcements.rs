//! Schedule announcements of groups' overrides: what the migration counts
//! as announced, and a boundary moved while a worker announces it.

use std::collections::BTreeMap;
use std::sync::Arc;

use arcade_host::store::{Announcement, Enablement, Store};

use super::{G, NOW, T, activity_with, group};
use crate::support::Db;

both_stores!(
    override_boundaries_passed_before_the_migration_count_as_announced,
    a_boundary_moved_since_it_was_found_is_not_announced,
);

const HOUR_MS: i64 = 3_600_000;

fn wall_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn overriding(activity: &str, group: &str, starts_at: Option<i64>, ends_at: i64) -> Enablement {
    Enablement {
        activity_id: activity.into(),
        group_id: group.into(),
        source: "explicit".into(),
        enabled: true,
        starts_at,
        ends_at: Some(ends_at),
        stock_share: BTreeMap::new(),
        updated_at: NOW,
    }
}

/// The groups' announcements due at `now`, as (group, kind, at).
async fn due_for_groups(s: &dyn Store, now: i64) -> Vec<(String, &'static str, i64)> {
    let mut due: Vec<_> = s
        .due_announcements(now, 100)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|a| Some((a.group_id?, a.kind, a.at)))
        .collect();
    due.sort();
    due
}

async fn override_boundaries_passed_before_the_migration_count_as_announced(
    s: Arc<dyn Store>,
    db: Db,
) {
    let id = activity_with(&*s, &[]).await;
    s.create_group(T, &group("g2", NOW)).await.unwrap();
    let now = wall_clock();
    // G started an hour ago and ends in an hour; g2 ended an hour ago.
    s.put_enablement(&overriding(&id, G, Some(now - HOUR_MS), now + HOUR_MS))
        .await
        .unwrap();
    s.put_enablement(&overriding(&id, "g2", None, now - HOUR_MS))
        .await
        .unwrap();
    drop(s);

    // The database as it was before the migration, which then runs again.
    let version = match db {
        Db::Sqlite(_) => 16,
        Db::Postgres(_) => 19,
    };
    for sql in [
        "DROP INDEX activity_groups_overrides".to_owned(),
        "ALTER TABLE activity_groups DROP COLUMN announced_start".to_owned(),
        "ALTER TABLE activity_groups DROP COLUMN announced_end".to_owned(),
        "DROP TABLE group_members".to_owned(),
        format!("DELETE FROM _sqlx_migrations WHERE version = {version}"),
    ] {
        db.execute(&sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let s = db.store().await;

    assert_eq!(due_for_groups(&*s, now).await, [], "passed boundaries");
    assert_eq!(
        due_for_groups(&*s, now + 2 * HOUR_MS).await,
        [(G.to_owned(), "ended", now + HOUR_MS)],
        "only the boundary still ahead at the migration"
    );
}

async fn a_boundary_moved_since_it_was_found_is_not_announced(s: Arc<dyn Store>, _: Db) {
    let id = activity_with(&*s, &[]).await;
    s.put_enablement(&overriding(&id, G, None, NOW + HOUR_MS))
        .await
        .unwrap();
    let later = NOW + 2 * HOUR_MS;
    let found = due_for_groups(&*s, later).await;
    assert_eq!(found, [(G.to_owned(), "ended", NOW + HOUR_MS)]);
    let a = Announcement {
        tenant_id: T.into(),
        activity_id: id.clone(),
        group_id: Some(G.into()),
        kind: "ended",
        at: NOW + HOUR_MS,
    };
    // The end moves before the worker announces what it found.
    s.put_enablement(&overriding(&id, G, None, NOW + 3 * HOUR_MS))
        .await
        .unwrap();
    assert!(!s.announce(&a, "{}", later).await.unwrap());
    assert_eq!(due_for_groups(&*s, later).await, []);
    let events = s.events(T, None, 100).await.unwrap();
    assert!(events.is_empty(), "{events:?}");

    // The new end is announced once when it passes.
    let end = NOW + 3 * HOUR_MS;
    let moved = Announcement { at: end, ..a };
    assert_eq!(
        due_for_groups(&*s, end).await,
        [(G.to_owned(), "ended", end)]
    );
    assert!(s.announce(&moved, "{}", end).await.unwrap());
    assert!(!s.announce(&moved, "{}", end).await.unwrap());
    assert_eq!(due_for_groups(&*s, end).await, []);
    let events = s.events(T, None, 100).await.unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
}
