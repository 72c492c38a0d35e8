//! Tenants, API keys and groups.

use std::sync::Arc;

use arcade_host::store::{Role, Store, StoreError};

use super::{NOW, T, group};
use crate::support::Db;

both_stores!(tenants_keys_groups,);

async fn tenants_keys_groups(s: Arc<dyn Store>, _: Db) {
    assert!(!s.tenant_exists(T).await.unwrap());
    s.create_tenant(T, "Tenant", NOW).await.unwrap();
    assert!(s.tenant_exists(T).await.unwrap());
    assert!(matches!(
        s.create_tenant(T, "Again", NOW).await,
        Err(StoreError::Duplicate(_))
    ));

    s.create_api_key("hash-op", T, Role::Operator, NOW)
        .await
        .unwrap();
    s.create_api_key("hash-pl", T, Role::Platform, NOW)
        .await
        .unwrap();
    let op = s.api_key("hash-op").await.unwrap().unwrap();
    assert_eq!((op.tenant_id.as_str(), op.role), (T, Role::Operator));
    assert_eq!(
        s.api_key("hash-pl").await.unwrap().unwrap().role,
        Role::Platform
    );
    assert_eq!(s.api_key("nope").await.unwrap(), None);
    assert!(
        s.create_api_key("hash-x", "ghost", Role::Operator, NOW)
            .await
            .is_err()
    );

    s.create_group(T, &group("g-late", NOW + 5)).await.unwrap();
    s.create_group(T, &group("g-early", NOW)).await.unwrap();
    assert!(matches!(
        s.create_group(T, &group("g-early", NOW)).await,
        Err(StoreError::Duplicate(_))
    ));
    assert!(
        s.create_group("ghost", &group("g-orphan", NOW))
            .await
            .is_err()
    );
    let ids: Vec<_> = s
        .groups(T)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.id)
        .collect();
    assert_eq!(ids, ["g-early", "g-late"]);
    assert_eq!(
        s.group(T, "g-late").await.unwrap(),
        Some(group("g-late", NOW + 5))
    );
    assert_eq!(s.group("other", "g-late").await.unwrap(), None);
    assert!(s.groups("other").await.unwrap().is_empty());
}
