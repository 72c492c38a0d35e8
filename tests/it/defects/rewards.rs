//! Rewards are addressed by random public ids: a foreign, unknown or
//! sequential-looking id is `404 reward_not_found` on redeem and cancel.

use serde_json::json;

use crate::both_backends;
use crate::harness::{Server, Tenant};
use crate::support::Db;

both_backends!(reward_ids_are_opaque_and_tenant_scoped);

async fn prize_ids(s: &Server, t: &Tenant, user: &str) -> Vec<String> {
    let r = s
        .get(&t.platform, &format!("/v1/users/{user}/rewards"))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body["rewards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().expect("reward ids are strings").to_owned())
        .collect()
}

async fn reward_ids_are_opaque_and_tenant_scoped(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let other = s.tenant("other").await;
    let config = json!({"miss_weight": 0, "prizes": [{"id": "gold", "name": "Gold", "weight": 1}]});
    let id = s.activity(&t, "lucky-draw", config.clone()).await;
    let theirs = s.activity(&other, "lucky-draw", config).await;
    for _ in 0..3 {
        assert_eq!(s.act(&t, &id, "u1", "draw").await.status, 200);
    }
    assert_eq!(s.act(&other, &theirs, "u1", "draw").await.status, 200);

    let ids = prize_ids(&s, &t, "u1").await;
    assert_eq!(ids.len(), 3);
    for id in &ids {
        let uuid = uuid::Uuid::parse_str(id).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(uuid.get_version_num(), 4, "{id} is not random");
        assert!(id.parse::<i64>().is_err());
    }
    let mut distinct = ids.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 3);
    let foreign = prize_ids(&s, &other, "u1").await.remove(0);

    let settle = |token: String, id: String, to: &'static str| {
        let s = &s;
        async move {
            s.post(&token, &format!("/v1/rewards/{id}/{to}"), json!({}))
                .await
        }
    };
    // Another tenant's reward, an unknown id, the old integer form: 404.
    for (id, to) in [
        (foreign.clone(), "redeem"),
        (foreign.clone(), "cancel"),
        (uuid::Uuid::new_v4().to_string(), "redeem"),
        ("1".to_owned(), "redeem"),
        ("2".to_owned(), "cancel"),
    ] {
        let r = settle(t.operator.clone(), id.clone(), to).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (404, "reward_not_found"),
            "{id} {to}: {r:?}"
        );
    }
    // The owner settles its own, once.
    let r = settle(t.operator.clone(), ids[0].clone(), "redeem").await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, json!({"id": ids[0], "state": "redeemed"}));
    let r = settle(t.operator.clone(), ids[0].clone(), "cancel").await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "reward_not_pending"));
    let r = settle(t.operator.clone(), ids[1].clone(), "cancel").await;
    assert_eq!(r.status, 200, "{r:?}");
    // The other tenant's reward was untouched by the attempts on it.
    let r = settle(other.operator.clone(), foreign, "redeem").await;
    assert_eq!(r.status, 200, "{r:?}");
}
