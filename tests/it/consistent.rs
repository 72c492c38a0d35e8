//! One API: every timestamp any endpoint returns is RFC 3339, and a
//! user's ledger lists spends beside credits, pages by cursor, and sums
//! to the balances.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::both_backends;
use crate::harness::{ADMIN, Server, Tenant};
use crate::support::Db;

both_backends!(every_timestamp_is_rfc3339);
both_backends!(the_ledger_reconciles_with_the_balances_page_by_page);

/// Every `*_at` field anywhere in `v` is null or an RFC 3339 string.
fn check_times(path: &str, v: &Value, bad: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                if k.ends_with("_at") {
                    let ok = match x {
                        Value::Null => true,
                        Value::String(s) => chrono::DateTime::parse_from_rfc3339(s).is_ok(),
                        _ => false,
                    };
                    if !ok {
                        bad.push(format!("{path}: {k} = {x}"));
                    }
                }
                check_times(path, x, bad);
            }
        }
        Value::Array(items) => items.iter().for_each(|x| check_times(path, x, bad)),
        _ => {}
    }
}

async fn draws(s: &Server, t: &Tenant, config: Value) -> String {
    let ends = chrono::DateTime::from_timestamp_millis(s.arcade.now() + 86_400_000)
        .unwrap()
        .to_rfc3339();
    let r = s
        .create_activity(
            t,
            json!({"plugin": "lucky-draw", "ends_at": ends, "config": config}),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    r.body["id"].as_str().unwrap().to_owned()
}

async fn every_timestamp_is_rfc3339(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let id = draws(
        &s,
        &t,
        json!({
            "prizes": [{"id": "mug", "name": "Mug", "weight": 1, "stock": 5}],
            "miss_weight": 1,
            "consolation": {"points": 5}
        }),
    )
    .await;
    let mut bad = Vec::new();
    // A webhook endpoint nobody answers, so its log fills with attempts.
    let owner = s
        .post(
            ADMIN,
            &format!("/v1/tenants/{}/keys", t.id),
            json!({"role": "owner"}),
        )
        .await;
    let owner = owner.body["key"].as_str().unwrap().to_owned();
    let hook = s
        .post(
            &owner,
            "/v1/webhooks",
            json!({"url": "http://127.0.0.1:9/hook"}),
        )
        .await;
    assert_eq!(hook.status, 201, "{hook:?}");
    check_times("POST /v1/webhooks", &hook.body, &mut bad);
    let hook = hook.body["id"].as_str().unwrap().to_owned();
    let mut outcome = String::new();
    for i in 0..12 {
        let r = s.act(&t, &id, &format!("u{}", i % 3), "draw").await;
        assert_eq!(r.status, 200, "{r:?}");
        check_times("POST actions", &r.body, &mut bad);
        outcome = r.body["outcome_id"].as_str().unwrap().to_owned();
    }
    let r = s
        .post(
            &t.operator,
            "/v1/exports",
            json!({"kind": "outcomes", "activity_id": id}),
        )
        .await;
    assert_eq!(r.status, 202, "{r:?}");
    check_times("POST /v1/exports", &r.body, &mut bad);
    let job = r.body["id"].as_str().unwrap().to_owned();
    let (g, tid) = (&t.group, &t.id);
    let reads = [
        "/v1/plugins".to_owned(),
        "/v1/groups".into(),
        format!("/v1/groups/{g}"),
        "/v1/tiers".into(),
        "/v1/activities".into(),
        format!("/v1/activities/{id}"),
        format!("/v1/activities/{id}/revisions"),
        format!("/v1/activities/{id}/outcomes"),
        format!("/v1/activities/{id}/fairness"),
        format!("/v1/activities/{id}/groups"),
        format!("/v1/groups/{g}/activities"),
        format!("/v1/activities/{id}/stats"),
        format!("/v1/groups/{g}/stats"),
        format!("/v1/activities/{id}/view?user_id=u0"),
        "/v1/users/u0/rewards".into(),
        "/v1/users/u0/ledger".into(),
        "/v1/users/u0/points".into(),
        "/v1/events".into(),
        "/v1/audit".into(),
        format!("/v1/outcomes/{outcome}"),
        "/v1/exports".into(),
        format!("/v1/exports/{job}"),
        "/v1/fulfilment".into(),
        format!("/v1/tenants/{tid}/keys"),
        format!("/v1/tenants/{tid}/rate-limit"),
        "/v1/webhooks".into(),
        format!("/v1/webhooks/{hook}"),
        format!("/v1/webhooks/{hook}/deliveries"),
    ];
    for path in &reads {
        let token = if path.starts_with("/v1/tenants") {
            ADMIN
        } else {
            &t.operator
        };
        let r = s.get(token, path).await;
        assert_eq!(r.status, 200, "{path}: {r:?}");
        check_times(path, &r.body, &mut bad);
    }
    // A delivery's own record, attempts included.
    let log = s
        .get(&t.operator, &format!("/v1/webhooks/{hook}/deliveries"))
        .await;
    if let Some(d) = log.body["deliveries"][0]["id"].as_str() {
        let one = s
            .get(&t.operator, &format!("/v1/webhooks/{hook}/deliveries/{d}"))
            .await;
        assert_eq!(one.status, 200, "{one:?}");
        check_times("GET a delivery", &one.body, &mut bad);
    }
    assert!(
        bad.is_empty(),
        "timestamps not in RFC 3339:\n{}",
        bad.join("\n")
    );
}

async fn the_ledger_reconciles_with_the_balances_page_by_page(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    // One activity pays points on a miss; another charges for each draw.
    let earn = draws(
        &s,
        &t,
        json!({
            "prizes": [{"id": "pen", "name": "Pen", "weight": 1, "stock": 3}],
            "miss_weight": 4,
            "consolation": {"points": 10}
        }),
    )
    .await;
    let spend = draws(
        &s,
        &t,
        json!({
            "prizes": [{"id": "cup", "name": "Cup", "weight": 1}],
            "miss_weight": 1,
            "cost_points": 7
        }),
    )
    .await;
    for _ in 0..40 {
        let r = s.act(&t, &earn, "ann", "draw").await;
        assert_eq!(r.status, 200, "{r:?}");
    }
    let mut spent = 0;
    loop {
        let r = s.act(&t, &spend, "ann", "draw").await;
        if r.status != 200 {
            // Until the points run out.
            assert_eq!(r.status.as_u16(), 409, "{r:?}");
            break;
        }
        spent += 1;
    }
    assert!(spent >= 10, "{spent} paid draws");
    // Someone else's activity does not show up in ann's ledger.
    assert_eq!(s.act(&t, &earn, "bo", "draw").await.status, 200);

    // Walk the ledger seven lines at a time.
    let (mut lines, mut after, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let path = match &after {
            Some(c) => format!("/v1/users/ann/ledger?limit=7&after={c}"),
            None => "/v1/users/ann/ledger?limit=7".into(),
        };
        let r = s.get(&t.platform, &path).await;
        assert_eq!(r.status, 200, "{r:?}");
        let page = r.body["entries"].as_array().unwrap().clone();
        assert!(page.len() <= 7);
        lines.extend(page);
        pages += 1;
        match r.body["next"].as_str() {
            Some(c) => after = Some(c.to_owned()),
            None => break,
        }
    }
    assert!(pages >= 8, "{pages} pages");
    let debits: Vec<&Value> = lines.iter().filter(|l| l["entry"] == "debit").collect();
    let credits: Vec<&Value> = lines.iter().filter(|l| l["entry"] == "credit").collect();
    assert_eq!(debits.len(), spent);
    assert!(
        debits
            .iter()
            .all(|d| d["currency"] == "points" && d["amount"] == 7)
    );
    assert!(debits.iter().all(|d| d["activity_id"] == spend.as_str()));
    // No line twice, none missing: the credits are exactly the rewards list.
    let ids: BTreeSet<&str> = credits.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), credits.len());
    let outcomes: BTreeSet<&str> = debits
        .iter()
        .map(|d| d["outcome_id"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes.len(), debits.len());
    // Newest first.
    let times: Vec<&str> = lines
        .iter()
        .map(|l| l["created_at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");

    // It sums to the balances.
    let mut sum: BTreeMap<String, i64> = BTreeMap::new();
    for c in &credits {
        if c["kind"] == "points" || c["kind"] == "tickets" {
            *sum.entry(c["item"].as_str().unwrap().into()).or_default() +=
                c["amount"].as_i64().unwrap();
        }
    }
    for d in &debits {
        *sum.entry(d["currency"].as_str().unwrap().into())
            .or_default() -= d["amount"].as_i64().unwrap();
    }
    let balances = s.get(&t.platform, "/v1/users/ann/points").await;
    let reported: BTreeMap<String, i64> =
        serde_json::from_value(balances.body["balances"].clone()).unwrap();
    sum.retain(|_, v| *v != 0 || reported.contains_key("points"));
    assert_eq!(sum, reported, "ledger {sum:?} vs balances {reported:?}");
    assert!(reported["points"] < 7, "spent until short: {reported:?}");

    // The rewards list is the credits alone, paged the same way.
    let (mut rewards, mut after) = (Vec::new(), None::<String>);
    loop {
        let path = match &after {
            Some(c) => format!("/v1/users/ann/rewards?limit=9&after={c}"),
            None => "/v1/users/ann/rewards?limit=9".into(),
        };
        let r = s.get(&t.platform, &path).await;
        assert_eq!(r.status, 200, "{r:?}");
        rewards.extend(r.body["rewards"].as_array().unwrap().clone());
        match r.body["next"].as_str() {
            Some(c) => after = Some(c.to_owned()),
            None => break,
        }
    }
    let reward_ids: BTreeSet<&str> = rewards.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(reward_ids, ids);

    // Bad paging is refused with a code.
    for (path, code) in [
        ("/v1/users/ann/ledger?after=nonsense", "invalid_cursor"),
        ("/v1/users/ann/ledger?after=12~refund~x", "invalid_cursor"),
        ("/v1/users/ann/ledger?limit=0", "invalid_limit"),
        ("/v1/users/ann/rewards?limit=501", "invalid_limit"),
    ] {
        let r = s.get(&t.platform, path).await;
        assert_eq!((r.status.as_u16(), r.code()), (422, code), "{path}: {r:?}");
    }
}
