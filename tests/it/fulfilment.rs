//! The fulfilment queue: every prize is pending from its grant; bulk
//! ship and write-off move all or nothing, only from pending, with an
//! event and an audit entry each; analysts read the queue but move
//! nothing; another tenant sees none of it.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::both_backends;
use crate::exports::key;
use crate::harness::{Reply, Server, Tenant};
use crate::support::Db;

both_backends!(ship_and_write_off_in_bulk);

fn code(r: &Reply) -> (u16, &str) {
    (r.status.as_u16(), r.code())
}

/// A page of the queue; panics unless 200.
async fn queue(s: &Server, token: &str, query: &str) -> Value {
    let r = s.get(token, &format!("/v1/fulfilment?{query}")).await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reward_id"].as_str().unwrap().to_owned())
        .collect()
}

async fn prizes(s: &Server, t: &Tenant, users: usize) -> String {
    let id = s
        .activity(
            t,
            "lucky-draw",
            json!({"prizes": [{"id": "mug", "name": "Mug", "weight": 1, "stock": 50}]}),
        )
        .await;
    for i in 0..users {
        let r = s.act(t, &id, &format!("u{i}"), "draw").await;
        assert_eq!(r.body["result"]["prize"], "mug", "{r:?}");
    }
    id
}

async fn ship_and_write_off_in_bulk(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let other = s.tenant("other").await;
    let analyst = key(&s, &t, "analyst").await;
    let activity = prizes(&s, &t, 6).await;

    // Every prize is pending from its grant; pages follow the cursor.
    let first = queue(&s, &analyst, &format!("activity_id={activity}&limit=4")).await;
    assert_eq!(ids(&first).len(), 4);
    assert_eq!(first["items"][0]["status"], "pending");
    assert_eq!(first["items"][0]["name"], "Mug");
    let cursor = first["next"].as_str().unwrap();
    let rest = queue(&s, &analyst, &format!("limit=4&cursor={cursor}")).await;
    assert_eq!(rest["next"], Value::Null);
    let all: Vec<String> = ids(&first).into_iter().chain(ids(&rest)).collect();
    assert_eq!(all.len(), 6);
    let (a, b, c, d, e) = (&all[0], &all[1], &all[2], &all[3], &all[4]);

    // The analyst reads but moves nothing.
    let ship =
        json!({"items": [{"reward_id": a, "carrier": "SF Express", "tracking_no": "SF100"}]});
    let r = s.post(&analyst, "/v1/fulfilment/ship", ship.clone()).await;
    assert_eq!(code(&r), (403, "forbidden"), "{r:?}");
    let r = s
        .post(
            &analyst,
            "/v1/fulfilment/write-off",
            json!({"reward_ids": [c], "reason": "x"}),
        )
        .await;
    assert_eq!(code(&r), (403, "forbidden"), "{r:?}");

    // Ship two, write two off.
    let r = s
        .post(
            &t.operator,
            "/v1/fulfilment/ship",
            json!({"items": [
                {"reward_id": a, "carrier": "SF Express", "tracking_no": "SF100"},
                {"reward_id": b, "carrier": "EMS", "tracking_no": "E200"}
            ]}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["items"].as_array().unwrap().len(), 2);
    assert!(
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["status"] == "shipped")
    );
    let r = s
        .post(
            &t.operator,
            "/v1/fulfilment/write-off",
            json!({"reward_ids": [c, d], "reason": "address unreachable"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");

    // All or nothing: one prize no longer pending refuses the request,
    // and the pending one in it stays pending.
    let again = json!({"items": [
        {"reward_id": e, "carrier": "EMS", "tracking_no": "E300"},
        {"reward_id": a, "carrier": "EMS", "tracking_no": "E301"}
    ]});
    let r = s.post(&t.operator, "/v1/fulfilment/ship", again).await;
    assert_eq!(code(&r), (409, "reward_not_pending"), "{r:?}");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(a.as_str())
    );
    let r = s
        .post(
            &t.operator,
            "/v1/fulfilment/write-off",
            json!({"reward_ids": [e, "nope"], "reason": "x"}),
        )
        .await;
    assert_eq!(code(&r), (404, "reward_not_found"), "{r:?}");
    let pending = queue(&s, &t.operator, "").await;
    assert_eq!(ids(&pending), [e.clone(), all[5].clone()]);
    // A shipped prize is redeemed: the counter cannot redeem it again.
    let r = s
        .post(&t.operator, &format!("/v1/rewards/{a}/redeem"), json!({}))
        .await;
    assert_eq!(code(&r), (409, "reward_not_pending"), "{r:?}");
    // Nor can a write-off undo a shipment.
    let r = s
        .post(
            &t.operator,
            "/v1/fulfilment/write-off",
            json!({"reward_ids": [a], "reason": "x"}),
        )
        .await;
    assert_eq!(code(&r), (409, "reward_not_pending"), "{r:?}");

    // Invalid requests.
    for (path, body) in [
        ("/v1/fulfilment/ship", json!({"items": []})),
        (
            "/v1/fulfilment/ship",
            json!({"items": [{"reward_id": e, "carrier": " ", "tracking_no": "1"}]}),
        ),
        (
            "/v1/fulfilment/ship",
            json!({"items": [
                {"reward_id": e, "carrier": "EMS", "tracking_no": "1"},
                {"reward_id": e, "carrier": "EMS", "tracking_no": "2"}
            ]}),
        ),
        (
            "/v1/fulfilment/write-off",
            json!({"reward_ids": [e], "reason": ""}),
        ),
    ] {
        let r = s.post(&t.operator, path, body.clone()).await;
        assert_eq!(code(&r), (422, "invalid_fulfilment"), "{body}: {r:?}");
    }
    let r = s.get(&t.operator, "/v1/fulfilment?status=lost").await;
    assert_eq!(code(&r), (422, "invalid_status"), "{r:?}");

    // The finished lists.
    let shipped = queue(&s, &analyst, "status=shipped").await;
    assert_eq!(ids(&shipped), [a.clone(), b.clone()]);
    assert_eq!(shipped["items"][0]["carrier"], "SF Express");
    assert_eq!(shipped["items"][0]["tracking_no"], "SF100");
    assert!(shipped["items"][0]["updated_at"].is_string());
    let written = queue(&s, &analyst, "status=written_off").await;
    assert_eq!(ids(&written), [c.clone(), d.clone()]);
    assert_eq!(written["items"][0]["note"], "address unreachable");

    // One event each, with the winner as subject.
    let events = s.all_events(&t).await;
    let mut moved = BTreeMap::new();
    for ev in &events {
        let kind = ev["type"].as_str().unwrap();
        if kind == "reward.shipped" || kind == "reward.written_off" {
            assert_eq!(ev["activity_id"], activity);
            assert!(ev["subject"].as_str().unwrap().starts_with('u'));
            moved.insert(
                ev["data"]["reward_id"].as_str().unwrap().to_owned(),
                kind.to_owned(),
            );
        }
    }
    let expected: BTreeMap<String, String> = [
        (a, "reward.shipped"),
        (b, "reward.shipped"),
        (c, "reward.written_off"),
        (d, "reward.written_off"),
    ]
    .into_iter()
    .map(|(k, v)| (k.clone(), v.to_owned()))
    .collect();
    assert_eq!(moved, expected);
    assert_eq!(
        events
            .iter()
            .filter(|e| e["type"] == "reward.shipped")
            .count(),
        2
    );

    // And an audit entry each.
    let r = s.get(&t.operator, "/v1/audit?limit=500").await;
    let audit = r.body["entries"].as_array().unwrap();
    let ships: Vec<&Value> = audit
        .iter()
        .filter(|e| e["action"] == "reward.ship")
        .collect();
    assert_eq!(ships.len(), 2, "{audit:?}");
    assert_eq!(
        audit
            .iter()
            .filter(|e| e["action"] == "reward.write_off")
            .count(),
        2
    );

    // Another tenant sees none of it and moves none of it.
    assert_eq!(
        ids(&queue(&s, &other.operator, "").await),
        Vec::<String>::new()
    );
    let r = s
        .post(
            &other.operator,
            "/v1/fulfilment/ship",
            json!({"items": [{"reward_id": e, "carrier": "EMS", "tracking_no": "1"}]}),
        )
        .await;
    assert_eq!(code(&r), (404, "reward_not_found"), "{r:?}");
    let r = s
        .get(&other.operator, &format!("/v1/fulfilment?cursor={e}"))
        .await;
    assert_eq!(code(&r), (422, "invalid_cursor"), "{r:?}");

    // The rewards export carries the fulfilment.
    let r = s
        .post(
            &analyst,
            "/v1/exports",
            json!({"kind": "rewards", "activity_id": activity}),
        )
        .await;
    assert_eq!(r.status, 202, "{r:?}");
    let job = r.body["id"].as_str().unwrap().to_owned();
    s.eventually("the rewards export is done", || async {
        s.get(&analyst, &format!("/v1/exports/{job}")).await.body["status"] == "done"
    })
    .await;
    let csv = s
        .get(&analyst, &format!("/v1/exports/{job}/download"))
        .await
        .text;
    let line = csv
        .lines()
        .find(|l| l.starts_with(a.as_str()))
        .unwrap_or_else(|| panic!("{a} not in {csv}"));
    assert!(
        line.contains(",redeemed,shipped,SF Express,SF100,"),
        "{line}"
    );
}
