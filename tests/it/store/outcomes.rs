//! Outcome pages, and outcomes and rewards that cannot be changed.

use std::sync::Arc;

use arcade_host::store::Store;
use uuid::Uuid;

use super::{action, activity_with, prize};
use crate::support::Db;

both_stores!(outcome_pages, a_users_outcomes_newest_first, append_only,);

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

async fn a_users_outcomes_newest_first(s: Arc<dyn Store>, _: Db) {
    let id = activity_with(&*s, &[]).await;
    let other = activity_with(&*s, &[]).await;
    let mut alice = Vec::new();
    for i in 0..5 {
        let mut c = action(&id, if i % 2 == 0 { "alice" } else { "bob" });
        c.outcome.created_at = 1_000 + i;
        if i % 2 == 0 {
            alice.push(c.outcome.id.clone());
        }
        s.commit(&c).await.unwrap();
    }
    s.commit(&action(&other, "alice")).await.unwrap();
    let tenant = s.outcome(&alice[0]).await.unwrap().unwrap().tenant_id;

    let found = s.user_outcomes(&tenant, &id, "alice", 10).await.unwrap();
    let ids: Vec<String> = found.iter().map(|o| o.id.clone()).collect();
    alice.reverse();
    assert_eq!(ids, alice, "alice's, in this activity, newest first");
    assert!(
        found
            .iter()
            .all(|o| o.user_id == "alice" && o.activity_id == id)
    );
    let two = s.user_outcomes(&tenant, &id, "alice", 2).await.unwrap();
    assert_eq!(two.len(), 2);
    assert_eq!(two[0].id, alice[0]);
    assert!(
        s.user_outcomes(&tenant, &id, "carol", 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.user_outcomes("no-such-tenant", &id, "alice", 10)
            .await
            .unwrap()
            .is_empty()
    );
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
