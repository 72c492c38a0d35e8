//! Per-member join events: the platform reports who joined and left a
//! group, the host keeps the member set and moves the group's count with
//! it; a reported count (PUT) sets it outright in between.

use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::harness::{ADMIN, Reply, Server, Tenant};
use crate::support::Db;

both_backends!(
    join_and_leave_events_move_the_member_count,
    a_reported_count_is_moved_by_later_events,
    concurrent_reports_apply_each_event_once,
    member_event_reports_are_checked
);

fn code(r: &Reply) -> (u16, &str) {
    (r.status.as_u16(), r.code())
}

fn events(list: &[(&str, &str)]) -> Value {
    let list: Vec<Value> = list
        .iter()
        .map(|(user, kind)| json!({"user_id": user, "type": kind}))
        .collect();
    json!({ "events": list })
}

async fn report(s: &Server, token: &str, group: &str, body: Value) -> Reply {
    s.post(token, &format!("/v1/groups/{group}/members/events"), body)
        .await
}

/// Reports `list` as the tenant's platform; the new count and how many
/// events changed the set.
async fn report_ok(s: &Server, t: &Tenant, list: &[(&str, &str)]) -> (Value, Value) {
    let r = report(s, &t.platform, &t.group, events(list)).await;
    assert_eq!(r.status, 200, "{r:?}");
    (r.body["members"].clone(), r.body["changed"].clone())
}

async fn put_count(s: &Server, token: &str, group: &str, count: i64) -> Reply {
    s.send(
        token,
        Method::PUT,
        &format!("/v1/groups/{group}/members"),
        Some(json!({"count": count})),
        &[],
    )
    .await
}

async fn join_and_leave_events_move_the_member_count(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let r = report(
        &s,
        &t.platform,
        &t.group,
        events(&[("u1", "joined"), ("u2", "joined"), ("u3", "joined")]),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    // The group as PUT answers it, and how many events changed the set.
    assert_eq!(r.body["id"], t.group.as_str());
    assert_eq!(r.body["name"], "fans");
    assert_eq!(r.body["tier"], "初级");
    assert_eq!(r.body["members"], 3);
    assert!(
        chrono::DateTime::parse_from_rfc3339(r.body["members_at"].as_str().unwrap()).is_ok(),
        "{r:?}"
    );
    assert_eq!(r.body["changed"], 3);

    // A retry changes nothing; neither does a leave of a non-member.
    let again = [("u1", "joined"), ("u2", "joined"), ("u3", "joined")];
    assert_eq!(report_ok(&s, &t, &again).await, (json!(3), json!(0)));
    let leaves = [("u1", "left"), ("u1", "left"), ("nobody", "left")];
    assert_eq!(report_ok(&s, &t, &leaves).await, (json!(2), json!(1)));
    // Events apply in order: each flip of the set counts.
    let flips = [("u5", "joined"), ("u5", "left"), ("u5", "joined")];
    assert_eq!(report_ok(&s, &t, &flips).await, (json!(3), json!(3)));
    assert_eq!(report_ok(&s, &t, &[]).await, (json!(3), json!(0)));
    let g = s.get(&t.operator, &format!("/v1/groups/{}", t.group)).await;
    assert_eq!(g.body["members"], 3, "{g:?}");
    assert!(g.body.get("changed").is_none(), "{g:?}");

    // The members are the participation denominator, as a PUT count is.
    let r = s
        .get(&t.operator, &format!("/v1/groups/{}/stats", t.group))
        .await;
    assert_eq!(r.body["members"], 3, "{r:?}");

    // Each report is in the audit log, by the platform's key.
    let log = s.get(&t.operator, "/v1/audit").await;
    let reports: Vec<&Value> = log.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "group.member_events")
        .collect();
    assert_eq!(reports.len(), 5, "{log:?}");
    assert!(
        reports
            .iter()
            .all(|e| e["role"] == "platform" && e["target"] == t.group.as_str())
    );
    let detail: Value = serde_json::from_str(reports[0]["detail"].as_str().unwrap()).unwrap();
    assert_eq!(detail, json!({"events": 3, "changed": 3, "members": 3}));
}

async fn a_reported_count_is_moved_by_later_events(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let both = [("a", "joined"), ("b", "joined")];
    assert_eq!(report_ok(&s, &t, &both).await, (json!(2), json!(2)));
    // A PUT sets the count outright; the set is kept.
    let r = put_count(&s, &t.platform, &t.group, 100).await;
    assert_eq!(r.body["members"], 100, "{r:?}");
    assert_eq!(
        report_ok(&s, &t, &[("c", "joined")]).await,
        (json!(101), json!(1))
    );
    assert_eq!(
        report_ok(&s, &t, &[("a", "left"), ("b", "joined")]).await,
        (json!(100), json!(1)),
        "b is still a member after the PUT"
    );
    // A count below the set never goes below zero.
    let r = put_count(&s, &t.operator, &t.group, 0).await;
    assert_eq!(r.body["members"], 0, "{r:?}");
    assert_eq!(
        report_ok(&s, &t, &[("b", "left")]).await,
        (json!(0), json!(1))
    );
    assert_eq!(
        report_ok(&s, &t, &[("b", "joined")]).await,
        (json!(1), json!(1))
    );
}

async fn concurrent_reports_apply_each_event_once(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let names: Vec<String> = (0..50).map(|i| format!("u{i}")).collect();
    let list: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "joined")).collect();
    let body = events(&list);
    // The same report sent twice at once, as a platform's retry might be.
    let (a, b) = tokio::join!(
        report(&s, &t.platform, &t.group, body.clone()),
        report(&s, &t.platform, &t.group, body.clone())
    );
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(b.status, 200, "{b:?}");
    let changed = a.body["changed"].as_i64().unwrap() + b.body["changed"].as_i64().unwrap();
    assert_eq!(changed, 50, "{a:?} {b:?}");
    let g = s.get(&t.operator, &format!("/v1/groups/{}", t.group)).await;
    assert_eq!(g.body["members"], 50, "{g:?}");
}

async fn member_event_reports_are_checked(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let group = format!("/v1/groups/{}", t.group);

    // The batch is capped; a full batch of the longest ids fits the body limit.
    let ids: Vec<String> = (0..1001).map(|i| format!("{i:0>128}")).collect();
    let list: Vec<(&str, &str)> = ids.iter().map(|u| (u.as_str(), "joined")).collect();
    let r = report(&s, &t.platform, &t.group, events(&list)).await;
    assert_eq!(code(&r), (422, "too_many_events"), "{r:?}");
    assert_eq!(
        s.get(&t.operator, &group).await.body["members"],
        Value::Null
    );
    let r = report(&s, &t.platform, &t.group, events(&list[..1000])).await;
    assert_eq!(r.status, 200, "{:?}", code(&r));
    assert_eq!(
        (r.body["members"].clone(), r.body["changed"].clone()),
        (json!(1000), json!(1000))
    );

    // Bad events: a clear code naming the event, nothing applied.
    for (body, want) in [
        (
            events(&[("ok", "joined"), ("", "joined")]),
            "invalid_user_id",
        ),
        (
            events(&[("ok", "joined"), ("#team", "left")]),
            "invalid_user_id",
        ),
        (
            events(&[("ok", "joined"), (&"x".repeat(129), "joined")]),
            "invalid_user_id",
        ),
        (events(&[("ok", "kicked")]), "invalid_body"),
        (json!({"events": [{"user_id": "ok"}]}), "invalid_body"),
        (
            json!({"events": [{"user_id": "ok", "type": "joined", "at": 1}]}),
            "invalid_body",
        ),
        (json!({"count": 3}), "invalid_body"),
    ] {
        let r = report(&s, &t.platform, &t.group, body.clone()).await;
        assert_eq!(code(&r), (422, want), "{body}: {r:?}");
        if want == "invalid_user_id" {
            assert!(
                r.body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("events[1]"),
                "{r:?}"
            );
        }
    }
    assert_eq!(s.get(&t.operator, &group).await.body["members"], 1000);

    // Managers may report too; analysts may not.
    let r = report(&s, &t.operator, &t.group, events(&[("op", "joined")])).await;
    assert_eq!(r.body["members"], 1001, "{r:?}");
    let r = s
        .post(
            ADMIN,
            &format!("/v1/tenants/{}/keys", t.id),
            json!({"role": "analyst"}),
        )
        .await;
    let analyst = r.body["key"].as_str().unwrap().to_owned();
    let r = report(&s, &analyst, &t.group, events(&[("an", "joined")])).await;
    assert_eq!(code(&r), (403, "forbidden"), "{r:?}");

    // Another tenant's group, or none, is not found.
    let other = s.tenant("other").await;
    let r = report(&s, &other.platform, &t.group, events(&[("x", "joined")])).await;
    assert_eq!(code(&r), (404, "group_not_found"), "{r:?}");
    let r = report(&s, &t.platform, "no-such-group", events(&[("x", "joined")])).await;
    assert_eq!(code(&r), (404, "group_not_found"), "{r:?}");
    assert_eq!(s.get(&t.operator, &group).await.body["members"], 1001);
    let theirs = s
        .get(&other.operator, &format!("/v1/groups/{}", other.group))
        .await;
    assert_eq!(theirs.body["members"], Value::Null, "{theirs:?}");
}
