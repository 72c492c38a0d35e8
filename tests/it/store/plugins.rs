//! Registered plugin versions.

use std::sync::Arc;

use arcade_host::store::{Store, StoreError};

use super::{NOW, activity_with, plugin};
use crate::support::Db;

both_stores!(plugins, replace_plugin_moves_its_activities);

async fn plugins(s: Arc<dyn Store>, _: Db) {
    s.put_plugin(&plugin("draw", "1.0.0", NOW), b"one")
        .await
        .unwrap();
    s.put_plugin(&plugin("draw", "1.1.0", NOW + 10), b"two")
        .await
        .unwrap();
    s.put_plugin(&plugin("alpha", "0.1.0", NOW + 20), b"three")
        .await
        .unwrap();
    assert!(matches!(
        s.put_plugin(&plugin("draw", "1.0.0", NOW + 30), b"dup")
            .await,
        Err(StoreError::Duplicate("plugin version"))
    ));

    let latest = s.plugin("draw", None).await.unwrap().unwrap();
    assert_eq!(latest.version, "1.1.0");
    let old = s.plugin("draw", Some("1.0.0")).await.unwrap().unwrap();
    assert_eq!(
        (old.sha256.as_str(), old.created_at),
        ("sha-draw-1.0.0", NOW)
    );
    assert_eq!(old.manifest, r#"{"name":"draw"}"#);
    assert!(s.plugin("draw", Some("9.9.9")).await.unwrap().is_none());
    assert!(s.plugin("nope", None).await.unwrap().is_none());

    let all: Vec<_> = s
        .plugins()
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.name, p.version))
        .collect();
    assert_eq!(
        all,
        [
            ("alpha".into(), "0.1.0".into()),
            ("draw".into(), "1.0.0".into()),
            ("draw".into(), "1.1.0".into())
        ]
    );

    assert_eq!(
        s.plugin_wasm("sha-draw-1.1.0").await.unwrap().as_deref(),
        Some(&b"two"[..])
    );
    assert_eq!(s.plugin_wasm("missing").await.unwrap(), None);

    s.set_plugin_limits("draw", "1.0.0", r#"{"fuel":10}"#)
        .await
        .unwrap();
    assert_eq!(
        s.plugin("draw", Some("1.0.0"))
            .await
            .unwrap()
            .unwrap()
            .limits,
        r#"{"fuel":10}"#
    );
    assert!(matches!(
        s.set_plugin_limits("draw", "2.0.0", "{}").await,
        Err(StoreError::NotFound(_))
    ));
}

/// Dev mode's replacement: the version's bytes, hash and manifest change
/// (its limit overrides stay) and its activities move, in one go.
async fn replace_plugin_moves_its_activities(s: Arc<dyn Store>, _: Db) {
    let first = activity_with(&*s, &[]).await;
    let second = activity_with(&*s, &[]).await;
    s.set_plugin_limits("draw", "1.0.0", r#"{"fuel":10}"#)
        .await
        .unwrap();
    let mut rebuilt = plugin("draw", "1.0.0", NOW + 5);
    rebuilt.sha256 = "sha-draw-rebuilt".into();
    rebuilt.manifest = r#"{"name":"draw","rebuilt":true}"#.into();
    assert_eq!(s.replace_plugin(&rebuilt, b"rebuilt").await.unwrap(), 2);

    let stored = s.plugin("draw", Some("1.0.0")).await.unwrap().unwrap();
    assert_eq!(stored.sha256, "sha-draw-rebuilt");
    assert_eq!(stored.manifest, rebuilt.manifest);
    assert_eq!(stored.limits, r#"{"fuel":10}"#, "overrides stay");
    assert_eq!(
        s.plugin_wasm("sha-draw-rebuilt").await.unwrap().as_deref(),
        Some(&b"rebuilt"[..])
    );
    assert_eq!(s.plugin_wasm("sha-draw-1.0.0").await.unwrap(), None);
    for id in [first, second] {
        let a = s.activity(&id).await.unwrap().unwrap();
        assert_eq!(a.plugin_sha256, "sha-draw-rebuilt");
    }
    assert!(matches!(
        s.replace_plugin(&plugin("draw", "9.9.9", NOW), b"x").await,
        Err(StoreError::NotFound(_))
    ));
}
