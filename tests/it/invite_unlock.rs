//! Invite-to-unlock (`invite-unlock`) over HTTP: the reward unlocks once
//! at the needed invitee, old members take part without counting, a crowd
//! joining with one code counts every invitee and unlocks once, and the
//! chains show as fission levels in the statistics.

use std::sync::Arc;

use futures::future::join_all;
use serde_json::{Value, json};

use crate::both_backends;
use crate::harness::{Reply, Server, Tenant};
use crate::support::Db;

both_backends!(
    unlocks_once_and_reports_fission_levels,
    a_crowd_on_one_code_counts_every_invitee_and_unlocks_once
);

fn code(r: &Reply) -> (u16, &str) {
    (r.status.as_u16(), r.code())
}

async fn join(s: &Server, t: &Tenant, id: &str, user: &str, invite: Option<&str>) -> Reply {
    let payload = invite.map_or(json!({}), |c| json!({"invite_code": c}));
    s.act_with(t, id, user, "join", payload).await
}

/// Join and return the user's own invite code.
async fn joined(s: &Server, t: &Tenant, id: &str, user: &str, invite: Option<&str>) -> String {
    let r = join(s, t, id, user, invite).await;
    assert_eq!(r.status, 200, "{user}: {r:?}");
    r.body["result"]["invite_code"].as_str().unwrap().to_owned()
}

async fn granted_to(s: &Server, t: &Tenant, user: &str) -> Vec<Value> {
    s.all_events(t)
        .await
        .into_iter()
        .filter(|e| e["type"] == "reward.granted" && e["subject"] == user)
        .collect()
}

async fn unlocks_once_and_reports_fission_levels(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let id = s
        .activity(
            &t,
            "invite-unlock",
            json!({"invites_needed": 2, "reward": {"points": 100}}),
        )
        .await;
    let a = joined(&s, &t, &id, "a", None).await;
    let b = joined(&s, &t, &id, "b", Some(&a)).await;
    assert!(granted_to(&s, &t, "a").await.is_empty());
    let c = s
        .act_with(&t, &id, "c", "join", json!({"invite_code": a}))
        .await;
    assert_eq!(c.status, 200, "{c:?}");
    assert_eq!(c.body["rewards"][0]["user_id"], "a", "{c:?}");
    assert_eq!(granted_to(&s, &t, "a").await.len(), 1);
    // b's invitee is level 2, its invitee level 3.
    let d = joined(&s, &t, &id, "d", Some(&b)).await;
    joined(&s, &t, &id, "e", Some(&d)).await;
    // A fourth invitee of a counts but unlocks nothing more.
    joined(&s, &t, &id, "f", Some(&a)).await;
    assert_eq!(granted_to(&s, &t, "a").await.len(), 1, "unlocked once");

    // Refusals.
    let again = join(&s, &t, &id, "b", Some(&a)).await;
    assert_eq!(code(&again), (409, "already_joined"), "{again:?}");
    let unknown = join(&s, &t, &id, "g", Some("nosuchcode")).await;
    assert_eq!(code(&unknown), (409, "unknown_invite_code"), "{unknown:?}");
    // Someone with an earlier outcome with the tenant takes part without
    // counting.
    let draw = s
        .activity(
            &t,
            "lucky-draw",
            json!({"prizes": [{"id": "p", "name": "P", "weight": 1, "stock": 1}], "miss_weight": 1}),
        )
        .await;
    assert_eq!(s.act(&t, &draw, "old", "draw").await.status, 200);
    let old = join(&s, &t, &id, "old", Some(&a)).await;
    assert_eq!(old.body["result"]["counted"], false, "{old:?}");
    let view = s.view(&t, &id, "a").await;
    assert_eq!(
        (view["invitees"].as_i64(), view["unlocked"].as_bool()),
        (Some(3), Some(true)),
        "{view}"
    );

    s.arcade.roll_up_stats().await.unwrap();
    let stats = s
        .get(&t.operator, &format!("/v1/activities/{id}/stats"))
        .await;
    let f = &stats.body["fission"];
    assert_eq!(
        (
            f["invites"].as_i64(),
            f["level_1"].as_i64(),
            f["level_2"].as_i64(),
            f["level_3"].as_i64()
        ),
        (Some(5), Some(3), Some(1), Some(1)),
        "b, c, f at level 1; d at 2; e at 3: {f}"
    );
}

async fn a_crowd_on_one_code_counts_every_invitee_and_unlocks_once(db: Db) {
    let s = Arc::new(Server::start(db).await);
    let t = s.tenant("t").await;
    let id = s
        .activity(
            &t,
            "invite-unlock",
            json!({"invites_needed": 10, "reward": {"coupon": {"id": "c10", "name": "10 off", "value_fen": 1000}}}),
        )
        .await;
    let a = joined(&s, &t, &id, "a", None).await;
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let (s, t, id, a) = (s.clone(), t.clone(), id.clone(), a.clone());
            tokio::spawn(async move { join(&s, &t, &id, &format!("n{i}"), Some(&a)).await })
        })
        .collect();
    for r in join_all(tasks).await {
        let r = r.unwrap();
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.body["result"]["counted"], true, "{r:?}");
    }
    let view = s.view(&t, &id, "a").await;
    assert_eq!(view["invitees"], 40, "{view}");
    let granted = granted_to(&s, &t, "a").await;
    assert_eq!(granted.len(), 1, "{granted:?}");
}
