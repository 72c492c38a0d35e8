//! Tenants, API keys and groups.

use std::sync::Arc;

use arcade_host::store::{Role, Store, StoreError};

use super::{NOW, T, group};
use crate::support::Db;

both_stores!(
    tenants_keys_groups,
    group_tiers_tags_members,
    every_role_is_stored,
);

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

async fn group_tiers_tags_members(s: Arc<dyn Store>, _: Db) {
    s.create_tenant(T, "Tenant", NOW).await.unwrap();
    assert_eq!(
        s.tiers(T).await.unwrap().unwrap(),
        ["初级", "中级", "高级"],
        "the default tiers"
    );
    assert_eq!(s.tiers("ghost").await.unwrap(), None);
    let tiers: Vec<String> = ["bronze", "gold"].map(String::from).to_vec();
    s.set_tiers(T, &tiers).await.unwrap();
    assert_eq!(s.tiers(T).await.unwrap().unwrap(), tiers);

    let mut g = group("g", NOW);
    g.tier = "gold".into();
    g.tags = vec!["sh".into(), "vip".into()];
    s.create_group(T, &g).await.unwrap();
    assert_eq!(s.group(T, "g").await.unwrap(), Some(g.clone()));

    g.name = "renamed".into();
    g.tier = "bronze".into();
    g.tags = vec!["bj".into()];
    assert!(s.update_group(T, &g).await.unwrap());
    assert_eq!(s.group(T, "g").await.unwrap(), Some(g.clone()));
    assert!(
        !s.update_group("other", &g).await.unwrap(),
        "another tenant's group"
    );

    assert!(s.set_group_members(T, "g", 480, NOW + 1).await.unwrap());
    let seen = s.group(T, "g").await.unwrap().unwrap();
    assert_eq!((seen.members, seen.members_at), (Some(480), Some(NOW + 1)));
    assert!(!s.set_group_members("other", "g", 1, NOW).await.unwrap());
    assert!(!s.set_group_members(T, "nope", 1, NOW).await.unwrap());
    assert!(
        s.set_group_members(T, "g", -1, NOW).await.is_err(),
        "a negative count is refused by the schema"
    );
    // Renaming keeps the count.
    assert!(s.update_group(T, &g).await.unwrap());
    assert_eq!(s.group(T, "g").await.unwrap().unwrap().members, Some(480));
}

async fn every_role_is_stored(s: Arc<dyn Store>, _: Db) {
    s.create_tenant(T, "Tenant", NOW).await.unwrap();
    for (i, role) in [Role::Owner, Role::Operator, Role::Analyst, Role::Platform]
        .into_iter()
        .enumerate()
    {
        let hash = format!("hash-{i}");
        s.create_api_key(&hash, T, role, NOW).await.unwrap();
        assert_eq!(s.api_key(&hash).await.unwrap().unwrap().role, role);
    }
}
