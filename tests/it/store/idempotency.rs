//! Idempotency keys committed with their outcome.

use std::sync::Arc;

use arcade_host::store::{IdempotencyRecord, Store, StoreError, StoredResponse};

use super::{NOW, T, action, activity_with, entry, remaining, write};
use crate::support::Db;

both_stores!(idempotency, concurrent_commits_of_one_key,);

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
