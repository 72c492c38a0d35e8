//! The operators' model: groups by tier and tag with reported member
//! counts, the tenant's tiers, and what each key role may do.

use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::harness::{ADMIN, Reply, Server, Tenant};
use crate::support::Db;

both_backends!(
    groups_by_tier_and_tag,
    tiers_are_the_tenants_own,
    member_counts_come_from_the_platform,
    roles_limit_what_a_key_may_do,
    the_kill_switch_pauses_every_activity_of_the_tenant,
    every_change_is_in_the_audit_log,
    owners_manage_their_tenants_keys
);

fn code(r: &Reply) -> (u16, &str) {
    (r.status.as_u16(), r.code())
}

async fn key(s: &Server, t: &Tenant, role: &str) -> String {
    let r = s
        .post(
            ADMIN,
            &format!("/v1/tenants/{}/keys", t.id),
            json!({"role": role}),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["role"], role);
    r.body["key"].as_str().unwrap().to_owned()
}

async fn group(s: &Server, t: &Tenant, body: Value) -> Value {
    let r = s.post(&t.operator, "/v1/groups", body).await;
    assert_eq!(r.status, 201, "{r:?}");
    r.body
}

fn names(r: &Reply) -> Vec<&str> {
    r.body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect()
}

async fn groups_by_tier_and_tag(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    // The harness's group got the lowest tier and no tags.
    let fans = s.get(&t.operator, &format!("/v1/groups/{}", t.group)).await;
    assert_eq!(fans.status, 200, "{fans:?}");
    assert_eq!(fans.body["tier"], "初级");
    assert_eq!(fans.body["tags"], json!([]));
    assert_eq!(fans.body["members"], Value::Null);

    let a = group(
        &s,
        &t,
        json!({"name": "Shanghai VIP", "tier": "高级", "tags": [" vip ", "sh", "vip"]}),
    )
    .await;
    assert_eq!(
        a["tags"],
        json!(["sh", "vip"]),
        "trimmed, sorted, deduplicated"
    );
    group(
        &s,
        &t,
        json!({"name": "Beijing", "tier": "中级", "tags": ["bj"]}),
    )
    .await;
    group(
        &s,
        &t,
        json!({"name": "Shanghai new", "tier": "初级", "tags": ["sh"]}),
    )
    .await;

    let all = s.get(&t.operator, "/v1/groups").await;
    assert_eq!(
        names(&all),
        ["fans", "Shanghai VIP", "Beijing", "Shanghai new"]
    );
    let sh = s.get(&t.operator, "/v1/groups?tag=sh").await;
    assert_eq!(names(&sh), ["Shanghai VIP", "Shanghai new"]);
    let low = s
        .get(&t.operator, "/v1/groups?tier=%E5%88%9D%E7%BA%A7")
        .await;
    assert_eq!(names(&low), ["fans", "Shanghai new"]);
    let both = s
        .get(&t.operator, "/v1/groups?tier=%E5%88%9D%E7%BA%A7&tag=sh")
        .await;
    assert_eq!(names(&both), ["Shanghai new"]);
    let none = s.get(&t.operator, "/v1/groups?tag=nope").await;
    assert!(names(&none).is_empty());
    let bad = s.get(&t.operator, "/v1/groups?colour=red").await;
    assert_eq!(
        code(&bad),
        (422, "invalid_query"),
        "unknown filters are refused: {bad:?}"
    );

    // Changing a group: only what is given changes.
    let id = a["id"].as_str().unwrap();
    let path = format!("/v1/groups/{id}");
    let r = s
        .send(
            &t.operator,
            Method::PATCH,
            &path,
            Some(json!({"tier": "中级"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        (r.body["tier"].as_str(), r.body["name"].as_str()),
        (Some("中级"), Some("Shanghai VIP"))
    );
    assert_eq!(r.body["tags"], json!(["sh", "vip"]));
    let r = s
        .send(
            &t.operator,
            Method::PATCH,
            &path,
            Some(json!({"tags": []})),
            &[],
        )
        .await;
    assert_eq!(r.body["tags"], json!([]), "{r:?}");
    assert_eq!(s.get(&t.operator, &path).await.body["tier"], "中级");

    // Bad input: a clear code, nothing changed.
    for (body, want) in [
        (json!({"name": "x", "tier": "钻石"}), "invalid_tier"),
        (json!({"name": "x", "tags": [""]}), "invalid_tags"),
        (
            json!({"name": "x", "tags": ["a".repeat(33)]}),
            "invalid_tags",
        ),
        (
            json!({"name": "x", "tags": (0..21).map(|i| i.to_string()).collect::<Vec<_>>()}),
            "invalid_tags",
        ),
        (json!({"name": " "}), "invalid_name"),
    ] {
        let r = s.post(&t.operator, "/v1/groups", body.clone()).await;
        assert_eq!(code(&r), (422, want), "{body}: {r:?}");
    }
    let r = s
        .send(
            &t.operator,
            Method::PATCH,
            &path,
            Some(json!({"tier": "钻石"})),
            &[],
        )
        .await;
    assert_eq!(code(&r), (422, "invalid_tier"), "{r:?}");
    assert_eq!(s.get(&t.operator, &path).await.body["tier"], "中级");
    assert_eq!(names(&s.get(&t.operator, "/v1/groups").await).len(), 4);

    // Another tenant sees none of it.
    let other = s.tenant("other").await;
    let r = s.get(&other.operator, &path).await;
    assert_eq!(code(&r), (404, "group_not_found"), "{r:?}");
    let r = s
        .send(
            &other.operator,
            Method::PATCH,
            &path,
            Some(json!({"name": "mine"})),
            &[],
        )
        .await;
    assert_eq!(code(&r), (404, "group_not_found"), "{r:?}");
    assert_eq!(names(&s.get(&other.operator, "/v1/groups").await), ["fans"]);
}

async fn tiers_are_the_tenants_own(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let r = s.get(&t.operator, "/v1/tiers").await;
    assert_eq!(r.body, json!({"tiers": ["初级", "中级", "高级"]}), "{r:?}");

    // The harness's group is in 初级: that tier cannot go.
    let r = s
        .send(
            &t.operator,
            Method::PUT,
            "/v1/tiers",
            Some(json!({"tiers": ["bronze", "silver", "gold"]})),
            &[],
        )
        .await;
    assert_eq!(code(&r), (409, "tier_in_use"), "{r:?}");
    let r = s
        .send(
            &t.operator,
            Method::PUT,
            "/v1/tiers",
            Some(json!({"tiers": ["初级", " gold "]})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["tiers"], json!(["初级", "gold"]));
    let g = group(&s, &t, json!({"name": "g", "tier": "gold"})).await;
    assert_eq!(g["tier"], "gold");
    let r = s
        .post(
            &t.operator,
            "/v1/groups",
            json!({"name": "h", "tier": "高级"}),
        )
        .await;
    assert_eq!(
        code(&r),
        (422, "invalid_tier"),
        "a dropped tier is gone: {r:?}"
    );

    for bad in [
        json!([]),
        json!(["a", "a"]),
        json!([""]),
        json!((0..11).map(|i| i.to_string()).collect::<Vec<_>>()),
    ] {
        let r = s
            .send(
                &t.operator,
                Method::PUT,
                "/v1/tiers",
                Some(json!({"tiers": bad.clone()})),
                &[],
            )
            .await;
        assert_eq!(code(&r), (422, "invalid_tiers"), "{bad}: {r:?}");
    }
    assert_eq!(
        s.get(&t.operator, "/v1/tiers").await.body["tiers"],
        json!(["初级", "gold"])
    );
    // Tiers are per tenant.
    let other = s.tenant("other").await;
    assert_eq!(
        s.get(&other.operator, "/v1/tiers").await.body["tiers"],
        json!(["初级", "中级", "高级"])
    );
}

async fn member_counts_come_from_the_platform(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let path = format!("/v1/groups/{}/members", t.group);
    let r = s
        .send(
            &t.platform,
            Method::PUT,
            &path,
            Some(json!({"count": 480})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["members"], 480);
    assert!(chrono::DateTime::parse_from_rfc3339(r.body["members_at"].as_str().unwrap()).is_ok());
    let r = s
        .send(
            &t.operator,
            Method::PUT,
            &path,
            Some(json!({"count": 500})),
            &[],
        )
        .await;
    assert_eq!(r.body["members"], 500, "{r:?}");
    for bad in [json!({"count": -1}), json!({"count": 100_000_001})] {
        let r = s
            .send(&t.platform, Method::PUT, &path, Some(bad.clone()), &[])
            .await;
        assert_eq!(code(&r), (422, "invalid_members"), "{bad}: {r:?}");
    }
    let r = s
        .send(
            &t.platform,
            Method::PUT,
            &path,
            Some(json!({"count": "many"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 422, "{r:?}");
    let g = s.get(&t.operator, &format!("/v1/groups/{}", t.group)).await;
    assert_eq!(g.body["members"], 500, "bad reports change nothing");
    let missing = "/v1/groups/no-such-group/members";
    let r = s
        .send(
            &t.platform,
            Method::PUT,
            missing,
            Some(json!({"count": 1})),
            &[],
        )
        .await;
    assert_eq!(code(&r), (404, "group_not_found"), "{r:?}");
    let other = s.tenant("other").await;
    let r = s
        .send(
            &other.platform,
            Method::PUT,
            &path,
            Some(json!({"count": 1})),
            &[],
        )
        .await;
    assert_eq!(code(&r), (404, "group_not_found"), "{r:?}");
}

async fn roles_limit_what_a_key_may_do(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let owner = key(&s, &t, "owner").await;
    let analyst = key(&s, &t, "analyst").await;
    let config = json!({"prizes": [{"id": "p", "name": "P", "weight": 1, "stock": 3}]});

    // The owner manages like an operator.
    let r = s
        .post(
            &owner,
            "/v1/activities",
            json!({"plugin": "lucky-draw", "config": config, "group_id": t.group}),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        s.post(&owner, "/v1/groups", json!({"name": "o"}))
            .await
            .status,
        201
    );
    let drew = s.act(&t, &id, "u1", "draw").await;
    assert_eq!(drew.status, 200, "{drew:?}");

    // The analyst reads everything an operator reads...
    for path in [
        "/v1/groups".to_owned(),
        format!("/v1/groups/{}", t.group),
        "/v1/tiers".to_owned(),
        "/v1/activities".to_owned(),
        format!("/v1/activities/{id}"),
        format!("/v1/activities/{id}/outcomes"),
        format!("/v1/activities/{id}/view?user_id=u1"),
        "/v1/events".to_owned(),
    ] {
        let r = s.get(&analyst, &path).await;
        assert_eq!(r.status, 200, "analyst GET {path}: {r:?}");
    }
    // ... and writes nothing.
    let writes: Vec<(Method, String, Value)> = vec![
        (Method::POST, "/v1/groups".into(), json!({"name": "a"})),
        (
            Method::PATCH,
            format!("/v1/groups/{}", t.group),
            json!({"name": "a"}),
        ),
        (Method::PUT, "/v1/tiers".into(), json!({"tiers": ["初级"]})),
        (
            Method::POST,
            "/v1/activities".into(),
            json!({"plugin": "lucky-draw", "config": config, "group_id": t.group}),
        ),
        (
            Method::POST,
            format!("/v1/activities/{id}/pause"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/v1/activities/{id}/actions"),
            json!({"user_id": "u2", "action": "draw"}),
        ),
        (
            Method::PUT,
            format!("/v1/groups/{}/members", t.group),
            json!({"count": 3}),
        ),
        (
            Method::POST,
            format!("/v1/groups/{}/members/events", t.group),
            json!({"events": [{"user_id": "u3", "type": "joined"}]}),
        ),
    ];
    for (method, path, body) in &writes {
        let r = s
            .send(&analyst, method.clone(), path, Some(body.clone()), &[])
            .await;
        assert_eq!(
            code(&r),
            (403, "forbidden"),
            "analyst {method} {path}: {r:?}"
        );
    }
    assert_eq!(
        s.all_outcomes(&t, &id).await.len(),
        1,
        "the analyst's draw was refused"
    );
    assert_eq!(names(&s.get(&analyst, "/v1/groups").await), ["fans", "o"]);

    // A platform key acts but does not manage or read the operators' lists.
    for path in ["/v1/groups", "/v1/activities"] {
        let r = s.get(&t.platform, path).await;
        assert_eq!(code(&r), (403, "forbidden"), "platform GET {path}: {r:?}");
    }
    // An analyst of another tenant finds nothing of this one.
    let other = s.tenant("other").await;
    let foreign = key(&s, &other, "analyst").await;
    let r = s.get(&foreign, &format!("/v1/activities/{id}")).await;
    assert_eq!(code(&r), (404, "activity_not_found"), "{r:?}");
    // Unknown roles are refused when a key is issued.
    let r = s
        .post(
            ADMIN,
            &format!("/v1/tenants/{}/keys", t.id),
            json!({"role": "god"}),
        )
        .await;
    assert_eq!(r.status, 422, "{r:?}");
}

async fn the_kill_switch_pauses_every_activity_of_the_tenant(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let other = s.tenant("other").await;
    let config = json!({"prizes": [{"id": "p", "name": "P", "weight": 1}]});
    let ids: Vec<String> = activities(&s, &t, &config, 3).await;
    let theirs = s.activity(&other, "lucky-draw", config.clone()).await;
    // One is already paused: it is left out of the answer.
    let r = s
        .post(
            &t.operator,
            &format!("/v1/activities/{}/pause", ids[2]),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");

    let analyst = key(&s, &t, "analyst").await;
    let r = s
        .post(&analyst, "/v1/activities/pause-all", json!({}))
        .await;
    assert_eq!(code(&r), (403, "forbidden"), "{r:?}");
    assert_eq!(s.act(&t, &ids[0], "u1", "draw").await.status, 200);

    let r = s
        .post(&t.operator, "/v1/activities/pause-all", json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["paused"], json!([ids[0], ids[1]]));
    for id in &ids {
        let r = s.act(&t, id, "u2", "draw").await;
        assert_eq!(code(&r), (409, "activity_paused"), "{id}: {r:?}");
        let view = s.get(&t.operator, &format!("/v1/activities/{id}")).await;
        assert_eq!(view.body["status"], "paused", "{view:?}");
    }
    // Another tenant's activity keeps serving.
    assert_eq!(s.act(&other, &theirs, "u1", "draw").await.status, 200);
    // Again: nothing left to pause.
    let r = s
        .post(&t.operator, "/v1/activities/pause-all", json!({}))
        .await;
    assert_eq!(r.body["paused"], json!([]), "{r:?}");
    // Each resumes on its own.
    let r = s
        .post(
            &t.operator,
            &format!("/v1/activities/{}/resume", ids[1]),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(s.act(&t, &ids[1], "u3", "draw").await.status, 200);
    assert_eq!(
        code(&s.act(&t, &ids[0], "u3", "draw").await),
        (409, "activity_paused")
    );
}

async fn activities(s: &Server, t: &Tenant, config: &Value, n: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        ids.push(s.activity(t, "lucky-draw", config.clone()).await);
    }
    ids
}

async fn every_change_is_in_the_audit_log(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let analyst = key(&s, &t, "analyst").await;
    let g = group(&s, &t, json!({"name": "vip", "tier": "高级"})).await;
    let gid = g["id"].as_str().unwrap();
    let r = s
        .send(
            &t.operator,
            Method::PATCH,
            &format!("/v1/groups/{gid}"),
            Some(json!({"tags": ["sh"]})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let id = s
        .activity(
            &t,
            "lucky-draw",
            json!({"prizes": [{"id": "p", "name": "P", "weight": 1}]}),
        )
        .await;
    assert_eq!(
        s.post(
            &t.operator,
            &format!("/v1/activities/{id}/pause"),
            json!({})
        )
        .await
        .status,
        200
    );
    // A refused change is not logged.
    let r = s
        .post(
            &t.operator,
            "/v1/groups",
            json!({"name": "x", "tier": "钻石"}),
        )
        .await;
    assert_eq!(r.status, 422);
    // Reads and actions are not changes either.
    s.get(&t.operator, "/v1/groups").await;

    let log = s.get(&analyst, "/v1/audit").await;
    assert_eq!(log.status, 200, "{log:?}");
    let entries = log.body["entries"].as_array().unwrap();
    let seen: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["role"].as_str().unwrap(),
                e["target"].as_str().unwrap(),
            )
        })
        .collect();
    // The harness made the tenant's operator and platform keys and its
    // group; then this test's analyst key and changes.
    let actions: Vec<&str> = seen.iter().map(|(a, _, _)| *a).collect();
    assert_eq!(
        actions,
        [
            "key.issue",
            "key.issue",
            "group.create",
            "key.issue",
            "group.create",
            "group.update",
            "activity.create",
            "activity.pause"
        ],
        "{seen:?}"
    );
    assert_eq!(seen[3].1, "admin");
    assert_eq!(seen[4], ("group.create", "operator", gid));
    assert_eq!(seen[7], ("activity.pause", "operator", id.as_str()));
    for secret in [&t.operator, &t.platform, &analyst] {
        assert!(
            entries
                .iter()
                .all(|e| !e["detail"].as_str().unwrap().contains(secret.as_str())),
            "no key secret is logged"
        );
    }
    // The operator's entries name its key's id, the same on each.
    let actor = entries[4]["actor"].as_str().unwrap();
    assert_ne!(actor, "admin");
    assert!(entries[4..].iter().all(|e| e["actor"] == actor));
    let seqs: Vec<i64> = entries.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");

    // Pages.
    let first = s.get(&analyst, "/v1/audit?limit=3").await;
    assert_eq!(first.body["entries"].as_array().unwrap().len(), 3);
    let next = first.body["next"].as_i64().unwrap();
    let rest = s.get(&analyst, &format!("/v1/audit?after={next}")).await;
    assert_eq!(
        rest.body["entries"].as_array().unwrap().len(),
        entries.len() - 3
    );
    assert_eq!(
        code(&s.get(&analyst, "/v1/audit?limit=0").await),
        (422, "invalid_limit")
    );
    // Platforms do not read it; other tenants see only their own.
    assert_eq!(
        code(&s.get(&t.platform, "/v1/audit").await),
        (403, "forbidden")
    );
    let other = s.tenant("other").await;
    let theirs = s.get(&other.operator, "/v1/audit").await;
    let theirs = theirs.body["entries"].as_array().unwrap();
    assert_eq!(
        theirs.len(),
        3,
        "their two keys and their group: {theirs:?}"
    );
}

async fn owners_manage_their_tenants_keys(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let owner = key(&s, &t, "owner").await;
    let keys = format!("/v1/tenants/{}/keys", t.id);

    // The owner issues an analyst key, sees it listed, rotates and revokes.
    let r = s
        .post(&owner, &keys, json!({"role": "analyst", "label": "BI"}))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let analyst = r.body["key"].as_str().unwrap().to_owned();
    let analyst_id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(s.get(&analyst, "/v1/groups").await.status, 200);
    let r = s.get(&owner, &keys).await;
    assert_eq!(r.status, 200, "{r:?}");
    let listed: Vec<&str> = r.body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_str().unwrap())
        .collect();
    assert!(listed.contains(&analyst_id.as_str()), "{listed:?}");
    assert!(!r.text.contains(&analyst), "never a secret in the list");
    let r = s
        .post(&owner, &format!("{keys}/{analyst_id}/rotate"), json!({}))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let rotated = r.body["key"].as_str().unwrap().to_owned();
    let rotated_id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(s.get(&analyst, "/v1/groups").await.status, 401);
    assert_eq!(s.get(&rotated, "/v1/groups").await.status, 200);
    let r = s
        .send(
            &owner,
            Method::DELETE,
            &format!("{keys}/{rotated_id}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(s.get(&rotated, "/v1/groups").await.status, 401);

    // Operators do not manage keys; another tenant's owner finds nothing.
    let r = s.get(&t.operator, &keys).await;
    assert_eq!(r.status, 403, "{r:?}");
    let r = s.post(&t.operator, &keys, json!({"role": "owner"})).await;
    assert_eq!(r.status, 403, "{r:?}");
    let other = s.tenant("other").await;
    let other_owner = key(&s, &other, "owner").await;
    assert_eq!(s.get(&other_owner, &keys).await.status, 404);
    let r = s
        .send(
            &other_owner,
            Method::DELETE,
            &format!("{keys}/{analyst_id}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 404, "{r:?}");
    // The audit log names the owner's key as the actor.
    let r = s.get(&owner, "/v1/audit").await;
    let actions: Vec<&str> = r.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["role"] == "owner")
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["key.issue", "key.rotate", "key.revoke"], "{r:?}");
}
