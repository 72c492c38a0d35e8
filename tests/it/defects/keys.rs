//! API keys can be listed, revoked and rotated by the admin; a revoked key
//! stops working at once on the replica that revoked it and within the key
//! cache's lifetime on every other replica over the same database.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::harness::{ADMIN, Reply, Server};
use crate::support::Db;

both_backends!(keys_list_revoke_rotate, revocation_reaches_other_replicas);

async fn list(s: &Server, tenant: &str) -> Vec<Value> {
    let r = s.get(ADMIN, &format!("/v1/tenants/{tenant}/keys")).await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body["keys"].as_array().unwrap().clone()
}

async fn revoke(s: &Server, tenant: &str, key_id: &str) -> Reply {
    let path = format!("/v1/tenants/{tenant}/keys/{key_id}");
    s.send(ADMIN, Method::DELETE, &path, None, &[]).await
}

async fn works(s: &Server, key: &str) -> bool {
    let r = s.get(key, "/v1/events").await;
    match r.status.as_u16() {
        200 => true,
        401 => false,
        _ => panic!("unexpected {r:?}"),
    }
}

async fn keys_list_revoke_rotate(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let other = s.tenant("other").await;

    let r = s
        .post(
            ADMIN,
            &format!("/v1/tenants/{}/keys", t.id),
            json!({"role": "operator", "label": "ci deploys"}),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let secret = r.body["key"].as_str().unwrap().to_owned();
    let key_id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["prefix"], secret[..11]);
    assert_eq!(r.body["label"], "ci deploys");
    assert!(works(&s, &secret).await);

    // The list shows every key, never a secret or a hash.
    let keys = list(&s, &t.id).await;
    assert_eq!(keys.len(), 3, "{keys:?}");
    for k in &keys {
        assert_eq!(k["revoked"], false);
        assert!(k["prefix"].as_str().unwrap().starts_with("ak_"));
        let text = k.to_string();
        assert!(
            !text.contains(&secret) && !text.contains(&t.operator),
            "{text}"
        );
    }
    let listed = keys.iter().find(|k| k["id"] == key_id.as_str()).unwrap();
    assert_eq!(
        (&listed["role"], &listed["label"]),
        (&json!("operator"), &json!("ci deploys"))
    );

    // Admin only.
    for (method, path) in [
        (Method::GET, format!("/v1/tenants/{}/keys", t.id)),
        (
            Method::DELETE,
            format!("/v1/tenants/{}/keys/{key_id}", t.id),
        ),
        (
            Method::POST,
            format!("/v1/tenants/{}/keys/{key_id}/rotate", t.id),
        ),
    ] {
        let body = (method == Method::POST).then(|| json!({}));
        let r = s.send(&t.operator, method, &path, body, &[]).await;
        assert_eq!((r.status.as_u16(), r.code()), (403, "forbidden"), "{r:?}");
    }

    // Revoke: effective at once here; repeating it keeps the first time.
    let r = revoke(&s, &t.id, &key_id).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["revoked"], true);
    let revoked_at = r.body["revoked_at"].clone();
    assert!(revoked_at.is_string());
    let r = s.get(&secret, "/v1/groups").await;
    assert_eq!((r.status.as_u16(), r.code()), (401, "unauthorized"));
    let r = revoke(&s, &t.id, &key_id).await;
    assert_eq!(
        (r.status.as_u16(), &r.body["revoked_at"]),
        (200, &revoked_at)
    );
    // Unknown ids and other tenants' keys are not found.
    let theirs = list(&s, &other.id).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (tenant, id) in [(&t.id, "nope"), (&t.id, theirs.as_str())] {
        let r = revoke(&s, tenant, id).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (404, "key_not_found"),
            "{r:?}"
        );
    }
    assert!(works(&s, &other.operator).await);
    let r = s.get(ADMIN, "/v1/tenants/nope/keys").await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "tenant_not_found"));

    // Rotate: a new secret with the same role, the old one revoked.
    let old = list(&s, &t.id).await;
    let op = old
        .iter()
        .find(|k| k["prefix"] == t.operator[..11])
        .unwrap();
    let op_id = op["id"].as_str().unwrap();
    let path = format!("/v1/tenants/{}/keys/{op_id}/rotate", t.id);
    let r = s.post(ADMIN, &path, json!({})).await;
    assert_eq!(r.status, 201, "{r:?}");
    let fresh = r.body["key"].as_str().unwrap().to_owned();
    assert_eq!(
        (&r.body["replaces"], &r.body["role"]),
        (&json!(op_id), &json!("operator"))
    );
    assert!(!works(&s, &t.operator).await);
    assert!(works(&s, &fresh).await);
    let after = list(&s, &t.id).await;
    assert_eq!(after.len(), 4);
    let was = after.iter().find(|k| k["id"] == op_id).unwrap();
    assert_eq!(was["revoked"], true);
    // A revoked key cannot be rotated back to life.
    let r = s.post(ADMIN, &path, json!({})).await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "key_revoked"), "{r:?}");
    assert!(works(&s, &t.platform).await);
}

async fn revocation_reaches_other_replicas(db: Db) {
    let a = Server::start(db.clone()).await;
    let b = Server::start(db).await;
    let ttl = Duration::from_millis(1000);
    b.arcade.set_key_cache_ttl(ttl);
    assert_eq!(
        a.arcade.key_cache_ttl(),
        arcade_host::service::KEY_CACHE_TTL
    );
    let t = a.tenant("t").await;
    let keys = list(&a, &t.id).await;
    let platform = keys.iter().find(|k| k["role"] == "platform").unwrap();

    // Replica b has the key cached when a revokes it.
    for _ in 0..3 {
        assert!(works(&b, &t.platform).await);
    }
    let revoked = Instant::now();
    let r = revoke(&a, &t.id, platform["id"].as_str().unwrap()).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert!(!works(&a, &t.platform).await);
    while works(&b, &t.platform).await {
        assert!(
            revoked.elapsed() < ttl + Duration::from_millis(500),
            "replica b still accepts a key revoked {:?} ago",
            revoked.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // And it stays refused; the tenant's other key is unaffected on both.
    tokio::time::sleep(ttl).await;
    assert!(!works(&b, &t.platform).await);
    assert!(works(&a, &t.operator).await && works(&b, &t.operator).await);
}
