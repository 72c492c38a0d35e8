//! The flash crowd over HTTP: bursts on one shared row (a team of 100,
//! a bargain of 100 helps) get every action its real answer, never
//! `503 contention`; Idempotency-Keys hold under retries, pauses and
//! clients that hang up.

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use serde_json::{Value, json};

use crate::both_backends;
use crate::harness::{Reply, Server, Tenant};
use crate::support::Db;

both_backends!(
    team_of_100_with_120_joiners,
    bargain_of_100_with_110_helpers,
    keyed_retry_after_pause_or_end_gets_the_stored_response,
    keyed_retry_the_mechanic_would_refuse_gets_the_stored_response,
    keyed_burst_yields_one_outcome_and_identical_bodies,
    hung_up_keyed_request_completes_or_frees_its_key,
    red_packet_of_500_with_1000_grabbers,
    red_packet_across_two_replicas,
);

fn code(r: &Reply) -> (u16, &str) {
    (r.status.as_u16(), r.code())
}

/// Fire one request per user at once and collect the replies in order.
async fn burst<F, Fut>(n: usize, f: F) -> Vec<Reply>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Reply> + Send + 'static,
{
    let tasks: Vec<_> = (0..n).map(|i| tokio::spawn(f(i))).collect();
    join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

fn tally(replies: &[Reply]) -> std::collections::BTreeMap<(u16, String), usize> {
    let mut t = std::collections::BTreeMap::new();
    for r in replies {
        *t.entry((r.status.as_u16(), r.code().to_owned()))
            .or_default() += 1;
    }
    t
}

async fn team_of_100_with_120_joiners(db: Db) {
    let s = Arc::new(Server::start(db).await);
    let t = s.tenant("t").await;
    let config = json!({
        "product": {"id": "tea", "name": "Tea", "original_price_fen": 6000, "deal_price_fen": 3990},
        "team_size": 100,
        "time_limit_minutes": 60,
        "max_open_teams_per_user": 2
    });
    let id = s.activity(&t, "group-buy", config).await;
    let r = s.act(&t, &id, "leader", "open").await;
    assert_eq!(r.status, 200, "{r:?}");
    let team = r.body["result"]["team_id"].as_str().unwrap().to_owned();

    let replies = burst(120, |i| {
        let (s, t, id, team) = (s.clone(), t.clone(), id.clone(), team.clone());
        async move {
            s.act_with(&t, &id, &format!("j{i}"), "join", json!({"team_id": team}))
                .await
        }
    })
    .await;
    let tally = tally(&replies);
    let joined = replies.iter().filter(|r| r.status == 200).count();
    let full = replies
        .iter()
        .filter(|r| code(r) == (409, "team_full"))
        .count();
    assert_eq!((joined, full), (99, 21), "{tally:?}");

    let view = s.view(&t, &id, "leader").await;
    let summary = view["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["team_id"] == team.as_str())
        .cloned()
        .unwrap_or_default();
    assert_eq!(summary["status"], "succeeded", "{view}");
    assert_eq!(summary["members"], 100, "{view}");
    // One outcome per success: the open and 99 joins.
    assert_eq!(s.all_outcomes(&t, &id).await.len(), 100);
}

async fn bargain_of_100_with_110_helpers(db: Db) {
    let s = Arc::new(Server::start(db).await);
    let t = s.tenant("t").await;
    let config = json!({
        "item": {"id": "kettle", "name": "Kettle",
                 "original_price_fen": 100_000, "floor_price_fen": 1_000},
        "helpers_needed": 100,
        "time_limit_minutes": 1440,
        "max_helps_per_day": 3
    });
    let id = s.activity(&t, "price-cut", config).await;
    let r = s.act(&t, &id, "owner", "start").await;
    assert_eq!(r.status, 200, "{r:?}");
    let bargain = r.body["result"]["bargain_id"].as_str().unwrap().to_owned();

    let replies = burst(110, |i| {
        let (s, t, id, b) = (s.clone(), t.clone(), id.clone(), bargain.clone());
        async move {
            s.act_with(&t, &id, &format!("h{i}"), "help", json!({"bargain_id": b}))
                .await
        }
    })
    .await;
    let tally = tally(&replies);
    let helped: Vec<&Reply> = replies.iter().filter(|r| r.status == 200).collect();
    let closed = replies
        .iter()
        .filter(|r| code(r) == (409, "bargain_closed"))
        .count();
    assert_eq!((helped.len(), closed), (100, 10), "{tally:?}");
    let cut: u64 = helped
        .iter()
        .map(|r| r.body["result"]["cut_fen"].as_u64().unwrap())
        .sum();
    assert_eq!(cut, 99_000, "the cuts add up to original minus floor");
}

async fn draw_activity(s: &Server, t: &Tenant, stock: i64, extra: Value) -> String {
    let mut body = json!({
        "plugin": "lucky-draw",
        "config": {
            "prizes": [{"id": "mug", "name": "Mug", "weight": 1, "stock": stock}],
            "miss_weight": 0
        }
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = s.create_activity(t, body).await;
    assert_eq!(r.status, 201, "{r:?}");
    r.body["id"].as_str().unwrap().to_owned()
}

async fn keyed_draw(s: &Server, t: &Tenant, id: &str, user: &str, key: &str) -> Reply {
    s.send(
        &t.platform,
        reqwest::Method::POST,
        &format!("/v1/activities/{id}/actions"),
        Some(json!({"user_id": user, "action": "draw"})),
        &[("idempotency-key", key)],
    )
    .await
}

async fn keyed_retry_after_pause_or_end_gets_the_stored_response(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let id = draw_activity(&s, &t, 10, json!({})).await;
    let first = keyed_draw(&s, &t, &id, "alice", "k-pause").await;
    assert_eq!(first.status, 200, "{first:?}");

    let r = s
        .post(
            &t.operator,
            &format!("/v1/activities/{id}/pause"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let retry = keyed_draw(&s, &t, &id, "alice", "k-pause").await;
    assert_eq!(retry.status, 200, "{retry:?}");
    assert_eq!(retry.text, first.text);
    // A new request is refused while paused, and so is a reused key.
    let fresh = keyed_draw(&s, &t, &id, "alice", "k-new").await;
    assert_eq!(code(&fresh), (409, "activity_paused"), "{fresh:?}");
    let reused = keyed_draw(&s, &t, &id, "bob", "k-pause").await;
    assert_eq!(code(&reused), (422, "idempotency_key_reused"), "{reused:?}");

    // After the end of its schedule, too.
    let ends = chrono::Utc::now() + chrono::Duration::hours(1);
    let id = draw_activity(&s, &t, 10, json!({"ends_at": ends.to_rfc3339()})).await;
    let first = keyed_draw(&s, &t, &id, "carol", "k-end").await;
    assert_eq!(first.status, 200, "{first:?}");
    s.arcade.advance_clock(2 * 3_600_000);
    let retry = keyed_draw(&s, &t, &id, "carol", "k-end").await;
    assert_eq!(retry.status, 200, "{retry:?}");
    assert_eq!(retry.text, first.text);
    let fresh = keyed_draw(&s, &t, &id, "carol", "k-end-2").await;
    assert_eq!(code(&fresh), (409, "activity_ended"), "{fresh:?}");
}

/// Nothing is looked up before a keyed action runs: a retry runs again
/// and its commit finds the key taken. If the run is refused instead (the
/// user's one draw is spent), the stored answer must still win.
async fn keyed_retry_the_mechanic_would_refuse_gets_the_stored_response(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let body = json!({
        "plugin": "lucky-draw",
        "config": {
            "prizes": [{"id": "mug", "name": "Mug", "weight": 1, "stock": 10}],
            "miss_weight": 0,
            "per_user_total": 1
        }
    });
    let r = s.create_activity(&t, body).await;
    assert_eq!(r.status, 201, "{r:?}");
    let id = r.body["id"].as_str().unwrap().to_owned();
    let first = keyed_draw(&s, &t, &id, "dave", "k-once").await;
    assert_eq!(first.status, 200, "{first:?}");
    let fresh = keyed_draw(&s, &t, &id, "dave", "k-twice").await;
    assert_eq!(code(&fresh), (409, "total_limit_reached"), "{fresh:?}");
    for _ in 0..3 {
        let retry = keyed_draw(&s, &t, &id, "dave", "k-once").await;
        assert_eq!(retry.status, 200, "{retry:?}");
        assert_eq!(retry.text, first.text);
    }
    // The same key for another user is still a reuse, refused.
    let reused = keyed_draw(&s, &t, &id, "erin", "k-once").await;
    assert_eq!(code(&reused), (422, "idempotency_key_reused"), "{reused:?}");
    assert_eq!(s.all_outcomes(&t, &id).await.len(), 1);
}

async fn keyed_burst_yields_one_outcome_and_identical_bodies(db: Db) {
    let s = Arc::new(Server::start(db).await);
    let t = s.tenant("t").await;
    let id = draw_activity(&s, &t, 1000, json!({})).await;
    // 50 keys, each sent 8 times at once: 400 requests, 50 outcomes.
    let replies = burst(400, |i| {
        let (s, t, id) = (s.clone(), t.clone(), id.clone());
        async move {
            let n = i % 50;
            keyed_draw(&s, &t, &id, &format!("u{n}"), &format!("key-{n}")).await
        }
    })
    .await;
    for n in 0..50 {
        let bodies: Vec<&Reply> = replies.iter().skip(n).step_by(50).collect();
        for r in &bodies {
            assert_eq!(r.status, 200, "{r:?}");
            assert_eq!(r.text, bodies[0].text, "key-{n}");
        }
    }
    assert_eq!(s.all_outcomes(&t, &id).await.len(), 50);
    assert_eq!(s.stock(&t, &id, "mug").await, 1000 - 50);
}

async fn hung_up_keyed_request_completes_or_frees_its_key(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let id = draw_activity(&s, &t, 100, json!({})).await;
    let impatient = reqwest::Client::builder().build().unwrap();
    for i in 0..20 {
        let key = format!("hang-{i}");
        let user = format!("u{i}");
        // Hang up after a moment, at a different point of the action
        // each time.
        let cut = Duration::from_micros(200 + 300 * i);
        let sent = impatient
            .post(s.url(&format!("/v1/activities/{id}/actions")))
            .bearer_auth(&t.platform)
            .header("idempotency-key", &key)
            .json(&json!({"user_id": user, "action": "draw"}))
            .timeout(cut)
            .send()
            .await;
        if let Ok(resp) = sent {
            let _ = resp.text().await;
        }
        // The retry gets an answer at once, never a stuck key, and a
        // second retry the same body.
        let retry = keyed_draw(&s, &t, &id, &user, &key).await;
        assert_eq!(retry.status, 200, "{i}: {retry:?}");
        let again = keyed_draw(&s, &t, &id, &user, &key).await;
        assert_eq!(again.text, retry.text, "{i}");
    }
    // One outcome per key, hung up or not.
    assert_eq!(s.all_outcomes(&t, &id).await.len(), 20);
}

async fn red_packet_of_500_with_1000_grabbers(db: Db) {
    // A thousand client connections and their server ends in one process.
    let limit = rlimit::increase_nofile_limit(8192).expect("raise open-file limit");
    assert!(
        limit >= 2500,
        "need 2,500 open files for 1,000 connections; have {limit}"
    );
    let s = Arc::new(Server::start(db).await);
    crate::red_packet::upload_red_packet(&s).await;
    let t = s.tenant("t").await;
    let id = s.activity(&t, "red-packet", json!({"packets": 500})).await;
    // Every grab carries its own key, as platforms send them.
    let replies = burst(1000, |i| {
        let (s, t, id) = (s.clone(), t.clone(), id.clone());
        async move { keyed_draw_action(&s, &t, &id, &format!("g{i}"), "grab").await }
    })
    .await;
    let tally = tally(&replies);
    let mut packets: Vec<u64> = replies
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| r.body["result"]["packet"].as_u64().unwrap())
        .collect();
    let sold_out = replies
        .iter()
        .filter(|r| code(r) == (409, "sold_out"))
        .count();
    assert_eq!((packets.len(), sold_out), (500, 500), "{tally:?}");
    packets.sort_unstable();
    packets.dedup();
    assert_eq!(packets.len(), 500, "every packet handed out once");
    assert_eq!(s.all_outcomes(&t, &id).await.len(), 500);
}

/// Two replicas on one store, each with its own lane for the activity:
/// their folded chains meet in the database, which decides; a refused
/// fold commits one by one and the rest runs again. Every grab still gets
/// its real answer.
async fn red_packet_across_two_replicas(db: Db) {
    let limit = rlimit::increase_nofile_limit(8192).expect("raise open-file limit");
    assert!(limit >= 2000, "need 2,000 open files; have {limit}");
    let a = Arc::new(Server::start(db.clone()).await);
    let b = Arc::new(Server::start(db).await);
    crate::red_packet::upload_red_packet(&a).await;
    let t = a.tenant("t").await;
    let id = a.activity(&t, "red-packet", json!({"packets": 300})).await;
    let replies = burst(600, |i| {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        let (t, id) = (t.clone(), id.clone());
        async move { keyed_draw_action(&s, &t, &id, &format!("g{i}"), "grab").await }
    })
    .await;
    let tally = tally(&replies);
    let mut packets: Vec<u64> = replies
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| r.body["result"]["packet"].as_u64().unwrap())
        .collect();
    let sold_out = replies
        .iter()
        .filter(|r| code(r) == (409, "sold_out"))
        .count();
    assert_eq!((packets.len(), sold_out), (300, 300), "{tally:?}");
    packets.sort_unstable();
    packets.dedup();
    assert_eq!(packets.len(), 300, "every packet handed out once");
    assert_eq!(a.all_outcomes(&t, &id).await.len(), 300);
}

async fn keyed_draw_action(s: &Server, t: &Tenant, id: &str, user: &str, action: &str) -> Reply {
    s.send(
        &t.platform,
        reqwest::Method::POST,
        &format!("/v1/activities/{id}/actions"),
        Some(json!({"user_id": user, "action": action})),
        &[("idempotency-key", &format!("{action}-{user}"))],
    )
    .await
}
