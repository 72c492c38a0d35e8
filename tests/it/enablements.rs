//! One activity on many groups: explicit and rule enablements, per-group
//! overrides (on/off, schedule, stock share), bulk changes, staged mode,
//! schedule events (the activity's and each group override's), and
//! statistics per group and tier.

use serde_json::{Value, json};

use crate::both_backends;
use crate::harness::{ADMIN, Reply, Server, Tenant};
use crate::support::Db;

both_backends!(
    an_activity_runs_in_the_groups_it_is_enabled_in,
    targeting_rules_follow_group_changes,
    a_group_share_of_stock_is_its_own,
    staged_mode_admits_only_the_test_group,
    schedule_boundaries_are_announced_once,
    group_schedule_overrides_are_announced_once_each,
    statistics_per_group_and_tier
);

const HOUR_MS: i64 = 3_600_000;

fn code(r: &Reply) -> (u16, &str) {
    (r.status.as_u16(), r.code())
}

async fn group(s: &Server, t: &Tenant, name: &str, tier: &str, tags: &[&str]) -> String {
    let r = s
        .post(
            &t.operator,
            "/v1/groups",
            json!({"name": name, "tier": tier, "tags": tags}),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    r.body["id"].as_str().unwrap().to_owned()
}

async fn act_from(s: &Server, t: &Tenant, activity: &str, user: &str, group: &str) -> Reply {
    s.post(
        &t.platform,
        &format!("/v1/activities/{activity}/actions"),
        json!({"user_id": user, "action": "draw", "group_id": group}),
    )
    .await
}

async fn put(s: &Server, token: &str, path: &str, body: Value) -> Reply {
    s.send(token, reqwest::Method::PUT, path, Some(body), &[])
        .await
}

fn draw(stock: i64) -> Value {
    json!({"prizes": [{"id": "mug", "name": "Mug", "weight": 1, "stock": stock}], "miss_weight": 0})
}

fn group_ids(r: &Reply, field: &str) -> Vec<String> {
    r.body[field]
        .as_array()
        .unwrap_or_else(|| panic!("{field} in {r:?}"))
        .iter()
        .map(|g| g["group_id"].as_str().unwrap().to_owned())
        .collect()
}

async fn an_activity_runs_in_the_groups_it_is_enabled_in(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let mid = group(&s, &t, "mid", "中级", &["vip"]).await;
    let low = group(&s, &t, "low", "初级", &[]).await;
    let id = s.activity(&t, "lucky-draw", draw(1000)).await;
    let groups = format!("/v1/activities/{id}/groups");

    // Only the home group at first; the request's group defaults to it.
    let r = s.get(&t.operator, &groups).await;
    assert_eq!(group_ids(&r, "groups"), [t.group.as_str()]);
    assert_eq!(r.body["groups"][0]["source"], "home");
    assert_eq!(s.act(&t, &id, "u0", "draw").await.status, 200);
    let r = act_from(&s, &t, &id, "u1", &mid).await;
    assert_eq!(code(&r), (409, "group_not_enabled"), "{r:?}");

    // Enabled explicitly: the outcome records the group.
    let r = put(&s, &t.operator, &format!("{groups}/{mid}"), json!({})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["source"], "explicit");
    assert_eq!(r.body["enabled"], true);
    let r = act_from(&s, &t, &id, "u1", &mid).await;
    assert_eq!(r.status, 200, "{r:?}");
    let outcomes = s.all_outcomes(&t, &id).await;
    let from: Vec<&str> = outcomes
        .iter()
        .map(|o| o["group_id"].as_str().unwrap())
        .collect();
    assert_eq!(from, [t.group.as_str(), mid.as_str()]);

    // Switched off, then a schedule of its own.
    let r = put(
        &s,
        &t.operator,
        &format!("{groups}/{mid}"),
        json!({"enabled": false}),
    )
    .await;
    assert_eq!(r.body["enabled"], false, "{r:?}");
    let r = act_from(&s, &t, &id, "u2", &mid).await;
    assert_eq!(code(&r), (409, "group_disabled"), "{r:?}");
    let later = chrono::DateTime::from_timestamp_millis(s.arcade.now() + 2 * HOUR_MS)
        .unwrap()
        .to_rfc3339();
    let r = put(
        &s,
        &t.operator,
        &format!("{groups}/{mid}"),
        json!({"starts_at": later}),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = act_from(&s, &t, &id, "u2", &mid).await;
    assert_eq!(code(&r), (409, "activity_not_started"), "{r:?}");
    assert_eq!(
        s.act(&t, &id, "u2", "draw").await.status,
        200,
        "home group unaffected"
    );
    s.arcade.advance_clock(3 * HOUR_MS);
    assert_eq!(act_from(&s, &t, &id, "u3", &mid).await.status, 200);

    // The home group can be switched off too, and back.
    let home = format!("{groups}/{}", t.group);
    let r = put(&s, &t.operator, &home, json!({"enabled": false})).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = s.act(&t, &id, "u4", "draw").await;
    assert_eq!(code(&r), (409, "group_disabled"), "{r:?}");
    let r = s
        .send(&t.operator, reqwest::Method::DELETE, &home, None, &[])
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(s.act(&t, &id, "u4", "draw").await.status, 200);

    // Bulk: every group of a tier, then by id.
    let r = s
        .post(
            &t.operator,
            &format!("{groups}/bulk"),
            json!({"tier": "初级", "enabled": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let mut changed = group_ids(&r, "changed");
    changed.sort();
    let mut want = vec![t.group.clone(), low.clone()];
    want.sort();
    assert_eq!(changed, want);
    assert_eq!(act_from(&s, &t, &id, "u5", &low).await.status, 200);
    let r = s
        .post(
            &t.operator,
            &format!("{groups}/bulk"),
            json!({"group_ids": [low], "enabled": false}),
        )
        .await;
    assert_eq!(group_ids(&r, "changed"), [low.as_str()]);
    assert_eq!(
        code(&act_from(&s, &t, &id, "u6", &low).await),
        (409, "group_disabled")
    );
    let r = s
        .post(
            &t.operator,
            &format!("{groups}/bulk"),
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(code(&r), (422, "invalid_selection"), "{r:?}");

    // The group's own view lists the activity.
    let r = s
        .get(&t.operator, &format!("/v1/groups/{mid}/activities"))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["activities"][0]["activity_id"], id.as_str());

    // Removing the enablement: refused again.
    let r = s
        .send(
            &t.operator,
            reqwest::Method::DELETE,
            &format!("{groups}/{mid}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        code(&act_from(&s, &t, &id, "u7", &mid).await),
        (409, "group_not_enabled")
    );

    // Roles and tenants: analysts read, do not write; others see nothing.
    let analyst = s
        .post(
            ADMIN,
            &format!("/v1/tenants/{}/keys", t.id),
            json!({"role": "analyst"}),
        )
        .await;
    let analyst = analyst.body["key"].as_str().unwrap().to_owned();
    assert_eq!(s.get(&analyst, &groups).await.status, 200);
    let r = put(&s, &analyst, &format!("{groups}/{mid}"), json!({})).await;
    assert_eq!(r.status, 403, "{r:?}");
    let other = s.tenant("other").await;
    assert_eq!(s.get(&other.operator, &groups).await.status, 404);
    let r = put(
        &s,
        &other.operator,
        &format!("{groups}/{}", other.group),
        json!({}),
    )
    .await;
    assert_eq!(r.status, 404, "{r:?}");
    // A group of another tenant cannot be enabled.
    let r = put(
        &s,
        &t.operator,
        &format!("{groups}/{}", other.group),
        json!({}),
    )
    .await;
    assert_eq!(r.status, 404, "{r:?}");
}

async fn targeting_rules_follow_group_changes(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let vip = group(&s, &t, "vip", "初级", &["vip"]).await;
    let high = group(&s, &t, "high", "高级", &[]).await;
    let plain = group(&s, &t, "plain", "初级", &[]).await;
    let id = s.activity(&t, "lucky-draw", draw(1000)).await;
    let path = format!("/v1/activities/{id}/targeting");

    let r = put(
        &s,
        &t.operator,
        &path,
        json!({"tiers": ["高级"], "tags": ["vip"]}),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = s
        .get(&t.operator, &format!("/v1/activities/{id}/groups"))
        .await;
    let mut got = group_ids(&r, "groups");
    got.sort();
    let mut want = vec![t.group.clone(), vip.clone(), high.clone()];
    want.sort();
    assert_eq!(got, want, "{r:?}");
    assert_eq!(act_from(&s, &t, &id, "u1", &vip).await.status, 200);
    assert_eq!(
        code(&act_from(&s, &t, &id, "u1", &plain).await),
        (409, "group_not_enabled")
    );

    // A new group that matches joins; a group that stops matching leaves.
    let later = group(&s, &t, "later", "初级", &["vip"]).await;
    assert_eq!(act_from(&s, &t, &id, "u2", &later).await.status, 200);
    let r = s
        .send(
            &t.operator,
            reqwest::Method::PATCH,
            &format!("/v1/groups/{vip}"),
            Some(json!({"tags": []})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        code(&act_from(&s, &t, &id, "u3", &vip).await),
        (409, "group_not_enabled")
    );
    let r = s
        .send(
            &t.operator,
            reqwest::Method::PATCH,
            &format!("/v1/groups/{plain}"),
            Some(json!({"tier": "高级"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(act_from(&s, &t, &id, "u3", &plain).await.status, 200);

    // An operator's explicit switch outlasts the rules.
    let r = put(
        &s,
        &t.operator,
        &format!("/v1/activities/{id}/groups/{high}"),
        json!({"enabled": false}),
    )
    .await;
    assert_eq!(r.body["source"], "explicit", "{r:?}");
    let r = put(&s, &t.operator, &path, json!({"tiers": [], "tags": []})).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = s
        .get(&t.operator, &format!("/v1/activities/{id}/groups"))
        .await;
    let mut got = group_ids(&r, "groups");
    got.sort();
    let mut want = vec![t.group.clone(), high.clone()];
    want.sort();
    assert_eq!(got, want, "rule rows gone, the explicit one kept: {r:?}");

    let r = put(&s, &t.operator, &path, json!({"tiers": ["钻石"]})).await;
    assert_eq!(code(&r), (422, "invalid_tier"), "{r:?}");
    let r = s.get(&t.operator, &path).await;
    assert_eq!(r.body, json!({"tiers": [], "tags": []}));
}

async fn a_group_share_of_stock_is_its_own(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let vip = group(&s, &t, "vip", "高级", &[]).await;
    let id = s.activity(&t, "lucky-draw", draw(10)).await;
    let path = format!("/v1/activities/{id}/groups/{vip}");

    let r = put(&s, &t.operator, &path, json!({"stock_share": {"mug": 11}})).await;
    assert_eq!(code(&r), (409, "stock_short"), "{r:?}");
    let r = put(&s, &t.operator, &path, json!({"stock_share": {"cup": 1}})).await;
    assert_eq!(code(&r), (422, "invalid_stock_share"), "{r:?}");
    let r = put(&s, &t.operator, &path, json!({"stock_share": {"mug": 4}})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body["stock"],
        json!([{"pool": "mug", "initial": 4, "remaining": 4}])
    );
    assert_eq!(s.stock(&t, &id, "mug").await, 6, "the shared pool gave 4");

    // The home group drains the shared pool; the share stays for vip.
    let mut home_wins = 0;
    for i in 0..8 {
        let r = s.act(&t, &id, &format!("h{i}"), "draw").await;
        assert_eq!(r.status, 200, "{r:?}");
        home_wins += r.body["rewards"].as_array().unwrap().len();
    }
    assert_eq!(home_wins, 6);
    let mut vip_wins = 0;
    for i in 0..6 {
        let r = act_from(&s, &t, &id, &format!("v{i}"), &vip).await;
        assert_eq!(r.status, 200, "{r:?}");
        vip_wins += r.body["rewards"].as_array().unwrap().len();
    }
    assert_eq!(vip_wins, 4);

    // Shrinking below what was claimed is refused; 0 gives back the rest.
    let activity = s.get(&t.operator, &format!("/v1/activities/{id}")).await;
    assert_eq!(
        activity.body["group_shares"],
        json!([{"pool": "mug", "group_id": vip, "initial": 4, "remaining": 0}])
    );
    let r = put(&s, &t.operator, &path, json!({"stock_share": {"mug": 3}})).await;
    assert_eq!(code(&r), (409, "stock_below_claimed"), "{r:?}");
    // A revision that grows the pool grows the shared part only.
    let r = put(
        &s,
        &t.operator,
        &format!("/v1/activities/{id}/config"),
        json!({"config": draw(14), "reason": "restock"}),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        s.stock(&t, &id, "mug").await,
        4,
        "14 in all, 4 of them vip's"
    );
    let r = put(&s, &t.operator, &path, json!({"stock_share": {"mug": 6}})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(s.stock(&t, &id, "mug").await, 2);
    let r = act_from(&s, &t, &id, "v9", &vip).await;
    assert_eq!(r.body["rewards"].as_array().unwrap().len(), 1, "{r:?}");
    let r = put(&s, &t.operator, &path, json!({"stock_share": {"mug": 0}})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        s.stock(&t, &id, "mug").await,
        3,
        "the unclaimed one came back"
    );
    // Without a share the group draws from the shared pool again.
    let r = act_from(&s, &t, &id, "v10", &vip).await;
    assert_eq!(r.body["rewards"].as_array().unwrap().len(), 1, "{r:?}");
    assert_eq!(s.stock(&t, &id, "mug").await, 2);

    // Every outcome replays, shares included.
    for o in s.all_outcomes(&t, &id).await {
        let r = s
            .post(
                &t.operator,
                &format!("/v1/outcomes/{}/replay", o["id"].as_str().unwrap()),
                json!({}),
            )
            .await;
        assert_eq!(r.body["matches"], true, "{r:?}");
    }
}

async fn staged_mode_admits_only_the_test_group(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let test = group(&s, &t, "test", "初级", &["staff"]).await;
    let id = s.activity(&t, "lucky-draw", draw(100)).await;
    let r = s
        .post(
            &t.operator,
            &format!("/v1/activities/{id}/stage"),
            json!({"group_id": test}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["staged_group_id"], test.as_str());
    let r = s.act(&t, &id, "u1", "draw").await;
    assert_eq!(code(&r), (409, "activity_staged"), "{r:?}");
    assert_eq!(act_from(&s, &t, &id, "staff1", &test).await.status, 200);
    let r = s
        .post(
            &t.operator,
            &format!("/v1/activities/{id}/go-live"),
            json!({}),
        )
        .await;
    assert_eq!(r.body["staged_group_id"], Value::Null, "{r:?}");
    assert_eq!(s.act(&t, &id, "u1", "draw").await.status, 200);
    assert_eq!(
        code(&act_from(&s, &t, &id, "staff2", &test).await),
        (409, "group_not_enabled"),
        "live, the test group is an ordinary group"
    );
    let r = s
        .post(
            &t.operator,
            &format!("/v1/activities/{id}/stage"),
            json!({"group_id": "nope"}),
        )
        .await;
    assert_eq!(r.status, 404, "{r:?}");
}

async fn schedule_boundaries_are_announced_once(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let at = |h: i64| {
        chrono::DateTime::from_timestamp_millis(s.arcade.now() + h * HOUR_MS)
            .unwrap()
            .to_rfc3339()
    };
    let r = s
        .create_activity(
            &t,
            json!({"plugin": "lucky-draw", "config": draw(5), "starts_at": at(1), "ends_at": at(3)}),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let id = r.body["id"].as_str().unwrap().to_owned();
    let kinds = |events: &[Value]| -> Vec<String> {
        events
            .iter()
            .filter(|e| e["activity_id"] == id.as_str())
            .map(|e| e["type"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(s.arcade.announce_schedules().await.unwrap(), 0);
    s.arcade.advance_clock(HOUR_MS);
    // Two workers at once announce it once.
    let (a, b) = tokio::join!(s.arcade.announce_schedules(), s.arcade.announce_schedules());
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(kinds(&s.all_events(&t).await), ["activity.started"]);
    assert_eq!(s.act(&t, &id, "u1", "draw").await.status, 200);
    s.arcade.advance_clock(2 * HOUR_MS);
    assert_eq!(s.arcade.announce_schedules().await.unwrap(), 1);
    assert_eq!(s.arcade.announce_schedules().await.unwrap(), 0);
    let events = s.all_events(&t).await;
    let kinds = kinds(&events);
    assert_eq!(kinds.first().unwrap(), "activity.started");
    assert_eq!(kinds.last().unwrap(), "activity.ended");
    assert_eq!(
        kinds.iter().filter(|k| k.starts_with("activity.")).count(),
        2
    );
    let r = s.act(&t, &id, "u2", "draw").await;
    assert_eq!(code(&r), (409, "activity_ended"), "{r:?}");
}

async fn group_schedule_overrides_are_announced_once_each(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let base = s.arcade.now();
    let at = |h: i64| {
        chrono::DateTime::from_timestamp_millis(base + h * HOUR_MS)
            .unwrap()
            .to_rfc3339()
    };
    let vip = group(&s, &t, "vip", "高级", &[]).await;
    let plain = group(&s, &t, "plain", "初级", &[]).await;
    // The activity has no schedule of its own: every event here is a
    // group's.
    let id = s.activity(&t, "lucky-draw", draw(100)).await;
    let enable = |group: String, body: Value| {
        let path = format!("/v1/activities/{id}/groups/{group}");
        let (s, t) = (&s, &t);
        async move {
            let r = put(s, &t.operator, &path, body).await;
            assert_eq!(r.status, 200, "{r:?}");
        }
    };
    enable(vip.clone(), json!({"starts_at": at(1), "ends_at": at(3)})).await;
    enable(plain.clone(), json!({})).await;
    // (type, group, boundary in hours from base) of the activity's events.
    let announced = || async {
        s.all_events(&t)
            .await
            .iter()
            .filter(|e| {
                e["activity_id"] == id.as_str()
                    && e["type"].as_str().unwrap().starts_with("activity.")
            })
            .map(|e| {
                assert_eq!(
                    e["subject"],
                    id.as_str(),
                    "the subject is the activity: {e}"
                );
                assert_eq!(e["outcome_id"], "", "{e}");
                assert_eq!(e["data"]["activity_id"], id.as_str(), "{e}");
                let when = chrono::DateTime::parse_from_rfc3339(e["data"]["at"].as_str().unwrap())
                    .unwrap()
                    .timestamp_millis();
                (
                    e["type"].as_str().unwrap().to_owned(),
                    e["data"]["group_id"].as_str().unwrap_or("").to_owned(),
                    (when - base) / HOUR_MS,
                )
            })
            .collect::<Vec<_>>()
    };
    let started = |h: i64| ("activity.started".to_owned(), vip.clone(), h);
    let ended = |h: i64| ("activity.ended".to_owned(), vip.clone(), h);

    assert_eq!(s.arcade.announce_schedules().await.unwrap(), 0);
    let r = act_from(&s, &t, &id, "u1", &vip).await;
    assert_eq!(code(&r), (409, "activity_not_started"), "{r:?}");
    s.arcade.advance_clock(HOUR_MS);
    // Two workers at once announce the group's start once.
    let (a, b) = tokio::join!(s.arcade.announce_schedules(), s.arcade.announce_schedules());
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(s.arcade.announce_schedules().await.unwrap(), 0);
    assert_eq!(announced().await, [started(1)]);
    assert_eq!(act_from(&s, &t, &id, "u1", &vip).await.status, 200);
    s.arcade.advance_clock(2 * HOUR_MS);
    let (a, b) = tokio::join!(s.arcade.announce_schedules(), s.arcade.announce_schedules());
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(announced().await, [started(1), ended(3)]);
    let r = act_from(&s, &t, &id, "u2", &vip).await;
    assert_eq!(code(&r), (409, "activity_ended"), "{r:?}");

    // Putting the same schedule again announces nothing new.
    enable(vip.clone(), json!({"starts_at": at(1), "ends_at": at(3)})).await;
    assert_eq!(s.arcade.announce_schedules().await.unwrap(), 0);
    // Moving the end into the future reopens the group; the new end is
    // announced when it passes, and only then.
    enable(vip.clone(), json!({"starts_at": at(1), "ends_at": at(5)})).await;
    assert_eq!(s.arcade.announce_schedules().await.unwrap(), 0);
    assert_eq!(act_from(&s, &t, &id, "u2", &vip).await.status, 200);
    s.arcade.advance_clock(2 * HOUR_MS);
    assert_eq!(s.arcade.announce_schedules().await.unwrap(), 1);
    assert_eq!(s.arcade.announce_schedules().await.unwrap(), 0);
    // So is a start moved later.
    enable(vip.clone(), json!({"starts_at": at(6), "ends_at": at(8)})).await;
    assert_eq!(s.arcade.announce_schedules().await.unwrap(), 0);
    s.arcade.advance_clock(HOUR_MS);
    assert_eq!(s.arcade.announce_schedules().await.unwrap(), 1);
    assert_eq!(
        announced().await,
        [started(1), ended(3), ended(5), started(6)],
        "the group without an override has no events of its own"
    );
}

async fn statistics_per_group_and_tier(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let mid = group(&s, &t, "mid", "中级", &[]).await;
    let mid2 = group(&s, &t, "mid2", "中级", &[]).await;
    for (g, n) in [(&t.group, 10), (&mid, 20), (&mid2, 40)] {
        let r = put(
            &s,
            &t.platform,
            &format!("/v1/groups/{g}/members"),
            json!({"count": n}),
        )
        .await;
        assert_eq!(r.status, 200, "{r:?}");
    }
    let id = s.activity(&t, "lucky-draw", draw(1000)).await;
    let r = s
        .post(
            &t.operator,
            &format!("/v1/activities/{id}/groups/bulk"),
            json!({"tier": "中级", "enabled": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    // home: 3 users, 4 draws; mid: 2 users, 2 draws; mid2: 1 user (also
    // in home), 3 draws.
    for (user, g) in [
        ("a", &t.group),
        ("b", &t.group),
        ("c", &t.group),
        ("a", &t.group),
        ("d", &mid),
        ("e", &mid),
        ("a", &mid2),
        ("a", &mid2),
        ("a", &mid2),
    ] {
        let r = act_from(&s, &t, &id, user, g).await;
        assert_eq!(r.status, 200, "{r:?}");
    }
    s.arcade.roll_up_stats().await.unwrap();
    let r = s
        .get(&t.operator, &format!("/v1/activities/{id}/stats"))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["totals"]["actions"], 9);
    assert_eq!(r.body["totals"]["users"], 5);
    assert_eq!(r.body["members"], 70);
    let groups = r.body["groups"].as_array().unwrap();
    let row = |g: &str| groups.iter().find(|x| x["group_id"] == g).unwrap().clone();
    assert_eq!(groups[0]["group_id"], t.group.as_str(), "home first");
    assert_eq!(row(&t.group)["totals"]["actions"], 4);
    assert_eq!(row(&t.group)["totals"]["users"], 3);
    assert_eq!(row(&t.group)["participation_rate"], 0.3);
    assert_eq!(row(&mid)["totals"]["users"], 2);
    assert_eq!(row(&mid2)["totals"]["actions"], 3);
    assert_eq!(row(&mid2)["totals"]["users"], 1);
    let tiers = r.body["tiers"].as_array().unwrap();
    assert_eq!(tiers.len(), 2, "{tiers:?}");
    assert_eq!(tiers[0]["tier"], "初级");
    assert_eq!(tiers[1]["tier"], "中级");
    assert_eq!(tiers[1]["groups"], 2);
    assert_eq!(tiers[1]["members"], 60);
    assert_eq!(tiers[1]["totals"]["actions"], 5);
    assert_eq!(tiers[1]["totals"]["users"], 3);
    assert_eq!(tiers[1]["participation_rate"], 0.05);
    // The group's own dashboard counts the activity's actions from it.
    let r = s
        .get(&t.operator, &format!("/v1/groups/{mid2}/stats"))
        .await;
    assert_eq!(r.body["totals"]["actions"], 3, "{r:?}");
}
