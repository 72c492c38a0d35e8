//! The tenant's event log.

use std::sync::Arc;

use arcade_host::store::Store;

use super::{NOW, T, action, activity_with, event};
use crate::support::Db;

both_stores!(event_log,);

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
