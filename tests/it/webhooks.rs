//! Webhooks: endpoints and their checks, Standard Webhooks signatures
//! verified with the `standardwebhooks` library (before and after a
//! rotation), filters, retries on the service clock until the dead
//! letter, redelivery, replay, and order per subject.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::harness::{ADMIN, Server, Tenant};
use crate::support::Db;

both_backends!(
    endpoints_are_managed_by_owners_and_checked,
    deliveries_are_signed_filtered_and_survive_rotation,
    failures_back_off_until_dead_then_redeliver,
    replay_sends_events_again,
    a_subjects_events_wait_for_the_earlier_one,
);

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Received {
    headers: HeaderMap,
    body: String,
}

impl Received {
    fn id(&self) -> &str {
        self.headers["webhook-id"].to_str().unwrap()
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// A webhook receiver on 127.0.0.1: records every request and answers
/// `status`, or 500 for the webhook ids in `fail_once` the first time.
#[derive(Clone)]
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
    fail_once: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    async fn start() -> Receiver {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let status = Arc::new(AtomicU16::new(200));
        let fail_once: Arc<Mutex<Vec<String>>> = Arc::default();
        let (g, st, f) = (got.clone(), status.clone(), fail_once.clone());
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let (g, st, f) = (g.clone(), st.clone(), f.clone());
                async move {
                    let id = headers["webhook-id"].to_str().unwrap().to_owned();
                    g.lock().unwrap().push(Received { headers, body });
                    let mut f = f.lock().unwrap();
                    if let Some(at) = f.iter().position(|x| *x == id) {
                        f.remove(at);
                        return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    axum::http::StatusCode::from_u16(st.load(Ordering::SeqCst)).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver {
            url,
            got,
            status,
            fail_once,
        }
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

/// An owner key of the tenant.
async fn owner(s: &Server, t: &Tenant) -> String {
    let r = s
        .post(
            ADMIN,
            &format!("/v1/tenants/{}/keys", t.id),
            json!({"role": "owner"}),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    r.body["key"].as_str().unwrap().to_owned()
}

/// An activity whose every draw grants points: one `reward.granted`
/// event per draw, the user as subject.
async fn points_activity(s: &Server, t: &Tenant) -> String {
    s.activity(
        t,
        "lucky-draw",
        json!({
            "prizes": [{"id": "gone", "name": "Gone", "weight": 1, "stock": 0}],
            "consolation": {"points": 1}
        }),
    )
    .await
}

async fn draw(s: &Server, t: &Tenant, activity: &str, user: &str) {
    let r = s.act(t, activity, user, "draw").await;
    assert_eq!(r.status, 200, "{r:?}");
}

async fn endpoint(s: &Server, key: &str, body: Value) -> (String, String) {
    let r = s.post(key, "/v1/webhooks", body).await;
    assert_eq!(r.status, 201, "{r:?}");
    (
        r.body["id"].as_str().unwrap().to_owned(),
        r.body["secret"].as_str().unwrap().to_owned(),
    )
}

/// Run worker rounds until `done` holds (at most 100 rounds).
async fn deliver_until(s: &Server, what: &str, done: impl Fn() -> bool) {
    for _ in 0..100 {
        if done() {
            return;
        }
        s.arcade
            .deliver_webhooks_once()
            .await
            .expect("webhook round");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(done(), "timed out waiting until {what}");
}

/// Move the frozen service clock forward.
fn step(s: &Server, ms: i64) {
    s.arcade.freeze_clock(Some(s.arcade.now() + ms));
}

fn verifies(secret: &str, r: &Received) -> bool {
    standardwebhooks::Webhook::new(secret)
        .unwrap()
        .verify(r.body.as_bytes(), &r.headers)
        .is_ok()
}

async fn endpoints_are_managed_by_owners_and_checked(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let other = s.tenant("other").await;
    let key = owner(&s, &t).await;

    // Only an owner creates; operators read; platforms do neither.
    let body = json!({"url": "https://example.com/hook", "event_types": ["reward.*"],
                      "description": "rewards to the shop"});
    let by_operator = s.post(&t.operator, "/v1/webhooks", body.clone()).await;
    assert_eq!(by_operator.status, 403, "{by_operator:?}");
    let created = s.post(&key, "/v1/webhooks", body).await;
    assert_eq!(created.status, 201, "{created:?}");
    let id = created.body["id"].as_str().unwrap().to_owned();
    let secret = created.body["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert_eq!(created.body["enabled"], true);
    assert_eq!(created.body["event_types"], json!(["reward.*"]));
    assert_eq!(s.get(&t.platform, "/v1/webhooks").await.status, 403);

    // The secret is shown once.
    let list = s.get(&t.operator, "/v1/webhooks").await;
    assert_eq!(list.status, 200, "{list:?}");
    assert_eq!(list.body["endpoints"].as_array().unwrap().len(), 1);
    assert!(!list.text.contains("whsec_"), "{}", list.text);
    let one = s.get(&t.operator, &format!("/v1/webhooks/{id}")).await;
    assert_eq!(one.body["url"], "https://example.com/hook");
    assert!(one.body.get("secret").is_none());

    // Checks, each with its own code.
    for (bad, code) in [
        (json!({"url": "ftp://example.com/x"}), "invalid_url"),
        (json!({"url": "example.com/hook"}), "invalid_url"),
        (json!({"url": ""}), "invalid_url"),
        (json!({"url": "https://example.com/#frag"}), "invalid_url"),
        (
            json!({"url": "https://example.com", "event_types": ["Reward"]}),
            "invalid_event_types",
        ),
        (
            json!({"url": "https://example.com", "event_types": ["re*"]}),
            "invalid_event_types",
        ),
        (
            json!({"url": "https://example.com", "description": "x".repeat(501)}),
            "invalid_description",
        ),
        (
            json!({"url": "https://example.com", "colour": "red"}),
            "invalid_body",
        ),
    ] {
        let r = s.post(&key, "/v1/webhooks", bad.clone()).await;
        assert_eq!((r.status.as_u16(), r.code()), (422, code), "{bad} {r:?}");
    }

    // Update: switch off, new URL, all types.
    let patch = json!({"enabled": false, "url": "http://127.0.0.1:9/h", "event_types": []});
    let r = s
        .send(
            &key,
            Method::PATCH,
            &format!("/v1/webhooks/{id}"),
            Some(patch),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["enabled"], false);
    assert_eq!(r.body["url"], "http://127.0.0.1:9/h");
    assert_eq!(r.body["event_types"], json!([]));
    let bad = s
        .send(
            &key,
            Method::PATCH,
            &format!("/v1/webhooks/{id}"),
            Some(json!({"url": "mailto:x@example.com"})),
            &[],
        )
        .await;
    assert_eq!(bad.code(), "invalid_url", "{bad:?}");

    // Another tenant's endpoint does not exist for it.
    let other_owner = owner(&s, &other).await;
    let r = s.get(&other.operator, &format!("/v1/webhooks/{id}")).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (404, "webhook_endpoint_not_found")
    );
    let r = s
        .send(
            &other_owner,
            Method::DELETE,
            &format!("/v1/webhooks/{id}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 404, "{r:?}");

    // Rotation shows a new secret once; the old one keeps signing a day.
    let r = s
        .post(&key, &format!("/v1/webhooks/{id}/rotate-secret"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let rotated = r.body["secret"].as_str().unwrap();
    assert!(rotated.starts_with("whsec_") && rotated != secret);
    assert!(r.body["previous_secret_expires_at"].is_string(), "{r:?}");
    let r = s
        .post(
            &key,
            &format!("/v1/webhooks/{id}/rotate-secret"),
            json!({"overlap_secs": 10_000_000}),
        )
        .await;
    assert_eq!(r.code(), "invalid_overlap", "{r:?}");

    // Delete, then it is gone.
    let r = s
        .send(
            &key,
            Method::DELETE,
            &format!("/v1/webhooks/{id}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 204, "{r:?}");
    let r = s.get(&t.operator, &format!("/v1/webhooks/{id}")).await;
    assert_eq!(r.code(), "webhook_endpoint_not_found");

    // Every change is in the audit log, without the secret.
    let log = s.get(&t.operator, "/v1/audit?limit=500").await;
    let actions: Vec<&str> = log.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target"] == id.as_str())
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "webhook.create",
            "webhook.update",
            "webhook.rotate_secret",
            "webhook.delete"
        ]
    );
    assert!(!log.text.contains("whsec_"));

    // At most 20 endpoints per tenant.
    for i in 0..20 {
        endpoint(&s, &key, json!({"url": format!("https://example.com/{i}")})).await;
    }
    let r = s
        .post(
            &key,
            "/v1/webhooks",
            json!({"url": "https://example.com/x"}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "webhook_endpoint_limit")
    );
}

async fn deliveries_are_signed_filtered_and_survive_rotation(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let key = owner(&s, &t).await;
    let rx = Receiver::start().await;
    let draws = points_activity(&s, &t).await;
    let teams = s
        .activity(&t, "group-buy", json!({
            "product": {"id": "p", "name": "P", "original_price_fen": 200, "deal_price_fen": 100},
            "team_size": 2, "time_limit_minutes": 60, "max_open_teams_per_user": 1
        }))
        .await;
    // Events before an endpoint exists are not sent to it.
    draw(&s, &t, &draws, "early").await;

    let (all, all_secret) = endpoint(&s, &key, json!({"url": format!("{}?e=all", rx.url)})).await;
    let (rewards, rewards_secret) = endpoint(
        &s,
        &key,
        json!({"url": format!("{}?e=rewards", rx.url), "event_types": ["reward.*"]}),
    )
    .await;
    for u in ["u1", "u2", "u3"] {
        draw(&s, &t, &draws, u).await;
    }
    assert_eq!(s.act(&t, &teams, "u1", "open").await.status, 200);
    let events = s.all_events(&t).await;
    let new: Vec<&Value> = events.iter().skip(1).collect();
    let n_rewards = new.iter().filter(|e| e["type"] == "reward.granted").count();
    assert_eq!(n_rewards, 3);
    assert!(new.len() > n_rewards, "the group-buy open records an event");

    deliver_until(&s, "every event reached the receiver", || {
        rx.received().len() == new.len() + n_rewards
    })
    .await;
    let got = rx.received();
    let signed_by = |secret: &str| -> Vec<Received> {
        got.iter()
            .filter(|r| verifies(secret, r))
            .cloned()
            .collect()
    };
    let to_all = signed_by(&all_secret);
    let to_rewards = signed_by(&rewards_secret);
    // Each request verifies under exactly its endpoint's secret.
    assert_eq!(to_all.len(), new.len(), "{got:?}");
    assert_eq!(to_rewards.len(), n_rewards);
    assert!(
        to_rewards
            .iter()
            .all(|r| r.json()["type"] == "reward.granted")
    );
    // The payload: type, timestamp, and the event with its seq as the id.
    for r in &to_all {
        let p = r.json();
        let seq = p["data"]["seq"].as_i64().unwrap();
        assert_eq!(r.id(), format!("evt_{seq}"));
        let e = events
            .iter()
            .find(|e| e["seq"] == seq)
            .expect("a recorded event");
        assert_eq!(p["type"], e["type"]);
        assert_eq!(p["data"]["subject"], e["subject"]);
        assert_eq!(p["data"]["activity_id"], e["activity_id"]);
        assert_eq!(p["data"]["outcome_id"], e["outcome_id"]);
        assert_eq!(p["data"]["data"], e["data"]);
        assert!(p["timestamp"].as_str().unwrap().ends_with('Z'), "{p}");
    }
    // The delivery log says delivered, 200, once each.
    let log = s
        .get(&t.operator, &format!("/v1/webhooks/{all}/deliveries"))
        .await;
    let list = log.body["deliveries"].as_array().unwrap();
    assert_eq!(list.len(), new.len(), "{log:?}");
    assert!(
        list.iter()
            .all(|d| d["state"] == "delivered" && d["last_status"] == 200 && d["attempts"] == 1)
    );

    // Rotation: during the overlap both secrets verify; after it only the
    // new one does.
    let r = s
        .post(
            &key,
            &format!("/v1/webhooks/{rewards}/rotate-secret"),
            json!({"overlap_secs": 3600}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let new_secret = r.body["secret"].as_str().unwrap().to_owned();
    let before = rx.received().len();
    draw(&s, &t, &draws, "u4").await;
    deliver_until(&s, "u4's event arrived twice", || {
        rx.received().len() == before + 2
    })
    .await;
    let latest: Vec<Received> = rx.received()[before..]
        .iter()
        .filter(|r| !verifies(&all_secret, r))
        .cloned()
        .collect();
    assert_eq!(latest.len(), 1);
    assert!(verifies(&new_secret, &latest[0]), "the new secret verifies");
    assert!(
        verifies(&rewards_secret, &latest[0]),
        "the old one too, during the overlap"
    );

    step(&s, 2 * 3600 * 1000);
    let before = rx.received().len();
    draw(&s, &t, &draws, "u5").await;
    deliver_until(&s, "u5's event arrived twice", || {
        rx.received().len() == before + 2
    })
    .await;
    let latest: Vec<Received> = rx.received()[before..]
        .iter()
        .filter(|r| !verifies(&all_secret, r))
        .cloned()
        .collect();
    assert_eq!(latest.len(), 1);
    assert!(verifies(&new_secret, &latest[0]));
    assert!(
        !verifies(&rewards_secret, &latest[0]),
        "the old secret is over"
    );
}

async fn failures_back_off_until_dead_then_redeliver(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let key = owner(&s, &t).await;
    let rx = Receiver::start().await;
    rx.status.store(500, Ordering::SeqCst);
    let draws = points_activity(&s, &t).await;
    let (id, _) = endpoint(&s, &key, json!({"url": rx.url})).await;
    s.arcade.freeze_clock(Some(s.arcade.now()));
    draw(&s, &t, &draws, "u1").await;

    assert_eq!(s.arcade.deliver_webhooks_once().await.unwrap(), 1);
    let log = s
        .get(&t.operator, &format!("/v1/webhooks/{id}/deliveries"))
        .await;
    let d = &log.body["deliveries"][0];
    assert_eq!(
        (d["state"].as_str(), d["attempts"].as_i64()),
        (Some("pending"), Some(1)),
        "{log:?}"
    );
    assert_eq!(d["last_status"], 500);
    assert!(
        d["last_error"].as_str().unwrap().starts_with("HTTP 500"),
        "{d}"
    );
    let delivery = d["id"].as_i64().unwrap();
    // Not due yet: nothing is sent before the backoff has passed.
    assert_eq!(s.arcade.deliver_webhooks_once().await.unwrap(), 0);
    step(&s, 4_000);
    assert_eq!(s.arcade.deliver_webhooks_once().await.unwrap(), 0);
    step(&s, 2_000);
    assert_eq!(s.arcade.deliver_webhooks_once().await.unwrap(), 1);

    // The rest of the schedule, each wait a little over its entry.
    let schedule = arcade_host::service::webhooks::RETRY_SCHEDULE_SECS;
    for wait in &schedule[1..] {
        step(&s, wait * 1000 * 9 / 10 - 1_000);
        assert_eq!(
            s.arcade.deliver_webhooks_once().await.unwrap(),
            0,
            "not due before its backoff"
        );
        step(&s, wait * 1000 * 2 / 10 + 2_000);
        assert_eq!(s.arcade.deliver_webhooks_once().await.unwrap(), 1);
    }
    let path = format!("/v1/webhooks/{id}/deliveries/{delivery}");
    let dead = s.get(&t.operator, &path).await;
    let metrics = s
        .client
        .get(s.url("/metrics"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for (series, want) in [("retry", 11), ("dead", 1)] {
        let line = format!("arcade_webhook_attempts_total{{result=\"{series}\"}} {want}");
        assert!(
            metrics.lines().any(|l| l == line),
            "no {line} in\n{metrics}"
        );
    }
    assert_eq!(dead.body["state"], "dead", "{dead:?}");
    assert_eq!(dead.body["attempts"], 12);
    assert!(dead.body["next_attempt_at"].is_null());
    assert_eq!(dead.body["history"].as_array().unwrap().len(), 12);
    assert_eq!(rx.received().len(), 12);
    let listed = s
        .get(
            &t.operator,
            &format!("/v1/webhooks/{id}/deliveries?state=dead"),
        )
        .await;
    assert_eq!(listed.body["deliveries"].as_array().unwrap().len(), 1);
    step(&s, 30 * 24 * 3600 * 1000);
    assert_eq!(
        s.arcade.deliver_webhooks_once().await.unwrap(),
        0,
        "the dead stay dead"
    );

    // Redeliver the dead one once the receiver is back.
    rx.status.store(200, Ordering::SeqCst);
    let r = s
        .post(&t.operator, &format!("{path}/redeliver"), json!({}))
        .await;
    assert_eq!(r.status, 202, "{r:?}");
    assert_eq!(r.body["state"], "pending");
    assert_eq!(s.arcade.deliver_webhooks_once().await.unwrap(), 1);
    let done = s.get(&t.operator, &path).await;
    assert_eq!(done.body["state"], "delivered", "{done:?}");
    let history = done.body["history"].as_array().unwrap();
    assert_eq!(history.len(), 13);
    assert_eq!(history[12]["status"], 200);
    let ids: Vec<String> = rx.received().iter().map(|r| r.id().to_owned()).collect();
    assert!(
        ids.iter().all(|i| *i == ids[0]),
        "every attempt has the same webhook-id"
    );
    let r = s
        .post(
            &t.operator,
            &format!("/v1/webhooks/{id}/deliveries/999999/redeliver"),
            json!({}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (404, "webhook_delivery_not_found")
    );

    // Pages of the log, newest first, by cursor.
    for u in ["u2", "u3", "u4"] {
        draw(&s, &t, &draws, u).await;
    }
    deliver_until(&s, "three more delivered", || rx.received().len() == 16).await;
    let mut seen = Vec::new();
    let mut next: Option<i64> = None;
    loop {
        let q = next.map(|n| format!("&before={n}")).unwrap_or_default();
        let page = s
            .get(
                &t.operator,
                &format!("/v1/webhooks/{id}/deliveries?limit=3{q}"),
            )
            .await;
        assert_eq!(page.status, 200, "{page:?}");
        seen.extend(
            page.body["deliveries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].as_i64().unwrap()),
        );
        match page.body["next"].as_i64() {
            Some(n) => next = Some(n),
            None => break,
        }
    }
    assert_eq!(seen.len(), 4);
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "{seen:?}");
    let r = s
        .get(
            &t.operator,
            &format!("/v1/webhooks/{id}/deliveries?state=lost"),
        )
        .await;
    assert_eq!(r.code(), "invalid_state");

    // 410 Gone switches the endpoint off; switching it on resumes.
    rx.status.store(410, Ordering::SeqCst);
    draw(&s, &t, &draws, "u5").await;
    assert_eq!(s.arcade.deliver_webhooks_once().await.unwrap(), 1);
    let ep = s.get(&t.operator, &format!("/v1/webhooks/{id}")).await;
    assert_eq!(ep.body["enabled"], false, "{ep:?}");
    assert!(ep.body["disabled_reason"].as_str().unwrap().contains("410"));
    rx.status.store(200, Ordering::SeqCst);
    step(&s, 3_600_000);
    assert_eq!(
        s.arcade.deliver_webhooks_once().await.unwrap(),
        0,
        "nothing goes to a switched-off endpoint"
    );
    let r = s
        .send(
            &key,
            Method::PATCH,
            &format!("/v1/webhooks/{id}"),
            Some(json!({"enabled": true})),
            &[],
        )
        .await;
    assert!(r.body["disabled_reason"].is_null(), "{r:?}");
    assert_eq!(s.arcade.deliver_webhooks_once().await.unwrap(), 1);
    assert_eq!(
        rx.received().last().unwrap().json()["data"]["subject"],
        "u5"
    );

    // Delivered deliveries leave the log after 30 days, not before.
    assert_eq!(s.arcade.prune_webhook_deliveries().await.unwrap(), 0);
    step(&s, 31 * 24 * 3600 * 1000);
    assert_eq!(s.arcade.prune_webhook_deliveries().await.unwrap(), 5);
    let log = s
        .get(&t.operator, &format!("/v1/webhooks/{id}/deliveries"))
        .await;
    assert_eq!(log.body["deliveries"], json!([]), "{log:?}");
    let gone = s.get(&t.operator, &path).await;
    assert_eq!(gone.code(), "webhook_delivery_not_found");
}

async fn replay_sends_events_again(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let key = owner(&s, &t).await;
    let rx = Receiver::start().await;
    let draws = points_activity(&s, &t).await;
    let (id, secret) = endpoint(&s, &key, json!({"url": rx.url})).await;
    for i in 0..5 {
        draw(&s, &t, &draws, &format!("u{i}")).await;
    }
    deliver_until(&s, "five delivered", || rx.received().len() == 5).await;
    let mut seqs: Vec<i64> = rx
        .received()
        .iter()
        .map(|r| r.json()["data"]["seq"].as_i64().unwrap())
        .collect();
    seqs.sort();

    let path = format!("/v1/webhooks/{id}/replay");
    let r = s
        .post(&t.operator, &path, json!({"since_seq": seqs[1]}))
        .await;
    assert_eq!(r.status, 202, "{r:?}");
    assert_eq!(r.body["queued"], 3, "{r:?}");
    assert_eq!(r.body["from_seq"], seqs[2]);
    assert_eq!(r.body["to_seq"], seqs[4]);
    deliver_until(&s, "three sent again", || rx.received().len() == 8).await;
    let again: Vec<Received> = rx.received()[5..].to_vec();
    let mut ids: Vec<String> = again.iter().map(|r| r.id().to_owned()).collect();
    ids.sort();
    let mut want: Vec<String> = seqs[2..].iter().map(|s| format!("evt_{s}")).collect();
    want.sort();
    assert_eq!(ids, want, "same webhook ids as the first time");
    assert!(again.iter().all(|r| verifies(&secret, r)));

    // By time: everything since before the first event.
    let r = s
        .post(&t.operator, &path, json!({"since": "2000-01-01T00:00:00Z"}))
        .await;
    assert_eq!(r.body["queued"], 5, "{r:?}");
    deliver_until(&s, "five sent again", || rx.received().len() == 13).await;

    // A filter applies to replays too.
    let r = s
        .send(
            &key,
            Method::PATCH,
            &format!("/v1/webhooks/{id}"),
            Some(json!({"event_types": ["team.*"]})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = s.post(&t.operator, &path, json!({"since_seq": 0})).await;
    assert_eq!(r.body["queued"], 0, "{r:?}");

    for bad in [
        json!({}),
        json!({"since_seq": 1, "since": "2000-01-01T00:00:00Z"}),
        json!({"since": "yesterday"}),
        json!({"since_seq": -1}),
    ] {
        let r = s.post(&t.operator, &path, bad.clone()).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (422, "invalid_replay"),
            "{bad}"
        );
    }
    assert_eq!(
        s.post(&t.platform, &path, json!({"since_seq": 0}))
            .await
            .status,
        403
    );
    let audit = s.get(&t.operator, "/v1/audit?limit=500").await;
    assert!(audit.text.contains("webhook.replay"));
}

async fn a_subjects_events_wait_for_the_earlier_one(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let key = owner(&s, &t).await;
    let rx = Receiver::start().await;
    let draws = points_activity(&s, &t).await;
    endpoint(&s, &key, json!({"url": rx.url})).await;
    s.arcade.freeze_clock(Some(s.arcade.now()));
    draw(&s, &t, &draws, "u1").await;
    draw(&s, &t, &draws, "u1").await;
    draw(&s, &t, &draws, "u2").await;
    let seqs: Vec<i64> = s
        .all_events(&t)
        .await
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    rx.fail_once
        .lock()
        .unwrap()
        .push(format!("evt_{}", seqs[0]));

    // u1's first fails; u2's goes; u1's second waits behind the first.
    s.arcade.deliver_webhooks_once().await.unwrap();
    s.arcade.deliver_webhooks_once().await.unwrap();
    let ids = |rx: &Receiver| {
        rx.received()
            .iter()
            .map(|r| r.id().to_owned())
            .collect::<Vec<_>>()
    };
    let mut first = ids(&rx);
    first.sort();
    let mut want = vec![format!("evt_{}", seqs[0]), format!("evt_{}", seqs[2])];
    want.sort();
    assert_eq!(first, want);

    step(&s, 10_000);
    deliver_until(&s, "u1's events delivered", || rx.received().len() == 4).await;
    let got = ids(&rx);
    let u1: Vec<&String> = got
        .iter()
        .filter(|i| **i != format!("evt_{}", seqs[2]))
        .collect();
    assert_eq!(
        u1,
        [
            &format!("evt_{}", seqs[0]),
            &format!("evt_{}", seqs[0]),
            &format!("evt_{}", seqs[1])
        ],
        "u1's second event only after its first was delivered"
    );
}
