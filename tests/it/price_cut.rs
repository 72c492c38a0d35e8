//! The price-cut (砍价) mechanic over HTTP: its rules and every error code,
//! completion exactly at the N-th help under concurrent helps, and the
//! expiry timer firing once after the host was down past the deadline.

use std::sync::Arc;

use futures::future::join_all;
use serde_json::{Value, json};

use crate::both_backends;
use crate::harness::{Reply, Server, Tenant};
use crate::support::Db;

both_backends!(
    config_errors_name_the_field,
    rules_and_error_codes,
    anyone_views_a_bargain_by_its_id,
    stock_runs_out,
    concurrent_helps_complete_exactly_once,
    one_helper_racing_itself_helps_once,
    expiry_timer_fires_once_after_downtime,
);

const ORIGINAL: u64 = 19_900;
const FLOOR: u64 = 990;
const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;
/// Asia/Shanghai is UTC+8 all year.
const SHANGHAI_OFFSET_MS: i64 = 8 * HOUR_MS;

/// A config with the kettle of the README and `extra` merged in.
fn config(helpers: u32, extra: Value) -> Value {
    let mut c = json!({
        "item": {"id": "kettle", "name": "Electric kettle",
                 "original_price_fen": ORIGINAL, "floor_price_fen": FLOOR},
        "helpers_needed": helpers,
        "time_limit_minutes": 1440,
        "max_helps_per_day": 3
    });
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

async fn start(s: &Server, t: &Tenant, activity: &str, owner: &str) -> String {
    let r = s.act(t, activity, owner, "start").await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body["result"]["bargain_id"]
        .as_str()
        .expect("bargain_id")
        .to_owned()
}

async fn help(s: &Server, t: &Tenant, activity: &str, helper: &str, bargain: &str) -> Reply {
    s.act_with(t, activity, helper, "help", json!({"bargain_id": bargain}))
        .await
}

fn status_code(r: &Reply) -> (u16, &str) {
    (r.status.as_u16(), r.code())
}

async fn points(s: &Server, t: &Tenant, user: &str) -> i64 {
    let r = s
        .get(&t.platform, &format!("/v1/users/{user}/points"))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body["points"].as_i64().unwrap()
}

async fn rewards(s: &Server, t: &Tenant, user: &str) -> Vec<Value> {
    let r = s
        .get(&t.platform, &format!("/v1/users/{user}/rewards"))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body["rewards"].as_array().unwrap().clone()
}

/// Events of one type about one subject.
async fn events_of(s: &Server, t: &Tenant, kind: &str, subject: &str) -> Vec<Value> {
    s.all_events(t)
        .await
        .into_iter()
        .filter(|e| e["type"] == kind && e["subject"] == subject)
        .collect()
}

/// The bargain with `id` in its owner's view.
async fn bargain_in_view(s: &Server, t: &Tenant, activity: &str, owner: &str, id: &str) -> Value {
    let view = s.view(t, activity, owner).await;
    view["bargains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["bargain_id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("bargain {id} not in {owner}'s view {view}"))
}

async fn config_errors_name_the_field(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let cases = [
        (
            json!({"item": {"id": "kettle", "name": "Kettle",
                            "original_price_fen": 100, "floor_price_fen": 100}}),
            "item.floor_price_fen",
        ),
        (json!({"helpers_needed": 0}), "helpers_needed"),
        (json!({"helpers_needed": 101}), "helpers_needed"),
        (
            // 10 helps need 10 fen; 9 is available.
            json!({"item": {"id": "kettle", "name": "Kettle",
                            "original_price_fen": 10, "floor_price_fen": 1},
                   "helpers_needed": 10}),
            "helpers_needed",
        ),
        (json!({"time_limit_minutes": 0}), "time_limit_minutes"),
        (json!({"time_limit_minutes": 43_201}), "time_limit_minutes"),
        (json!({"max_helps_per_day": 0}), "max_helps_per_day"),
        (
            json!({"owner_first_cut": {"min_percent": 40, "max_percent": 30}}),
            "owner_first_cut.max_percent",
        ),
        (
            json!({"new_member_bonus": {"reward": {"coupon": {"id": "", "name": "5 off", "value_fen": 500}}}}),
            "new_member_bonus.reward.coupon.id",
        ),
        (json!({"max_bargains_per_user": 0}), "max_bargains_per_user"),
    ];
    for (extra, field) in cases {
        let cfg = config(5, extra.clone());
        let r = s
            .create_activity(&t, json!({"plugin": "price-cut", "config": cfg}))
            .await;
        assert_eq!(status_code(&r), (422, "invalid_config"), "{extra}: {r:?}");
        let details = r.body["error"]["details"].as_array().cloned();
        let named = details
            .iter()
            .flatten()
            .any(|d| d["field"].as_str() == Some(field));
        assert!(named, "{extra}: {field} not named in {r:?}");
    }
    // The reduction rule exactly: owner's first cut needs one more fen.
    let tight = config(
        9,
        json!({"item": {"id": "k", "name": "K", "original_price_fen": 10, "floor_price_fen": 1},
               "owner_first_cut": {"min_percent": 10, "max_percent": 20}}),
    );
    let r = s
        .create_activity(&t, json!({"plugin": "price-cut", "config": tight}))
        .await;
    assert_eq!(status_code(&r), (422, "invalid_config"), "{r:?}");
    let exact = config(
        9,
        json!({"item": {"id": "k", "name": "K", "original_price_fen": 10, "floor_price_fen": 1}}),
    );
    s.activity(&t, "price-cut", exact).await;
    // Unknown fields are refused.
    let r = s
        .create_activity(
            &t,
            json!({"plugin": "price-cut", "config": config(5, json!({"colour": "red"}))}),
        )
        .await;
    assert_eq!(status_code(&r), (422, "invalid_config"), "{r:?}");
    // Nothing was created but the one good activity.
    let list = s.get(&t.operator, "/v1/activities").await;
    assert_eq!(list.status, 200, "{list:?}");
    assert_eq!(
        list.body["activities"].as_array().map(Vec::len),
        Some(1),
        "{list:?}"
    );
}

async fn rules_and_error_codes(db: Db) {
    let s = Server::start(db).await;
    // 23:00 in Shanghai, some day soon.
    let real = arcade_host::clock::now_ms();
    let midnight = ((real + SHANGHAI_OFFSET_MS) / DAY_MS + 1) * DAY_MS - SHANGHAI_OFFSET_MS;
    s.arcade.freeze_clock(Some(midnight - HOUR_MS));

    let t = s.tenant("t").await;
    let other = s.activity(&t, "price-cut", config(3, json!({}))).await;
    let id = s
        .activity(
            &t,
            "price-cut",
            config(
                5,
                json!({
                    "max_helps_per_day": 2,
                    "new_member_bonus": {"reward": {"points": 50}}
                }),
            ),
        )
        .await;

    // A user with an outcome in another activity of the tenant is not new.
    start(&s, &t, &other, "veteran").await;

    let r = s.act(&t, &id, "owner", "start").await;
    assert_eq!(r.status, 200, "{r:?}");
    let res = &r.body["result"];
    let b = res["bargain_id"].as_str().unwrap().to_owned();
    assert_eq!(res["owner"], "owner");
    assert_eq!(res["price_fen"], ORIGINAL);
    assert_eq!(res["owner_cut_fen"], 0);
    assert_eq!(res["helps_left"], 5);
    assert_eq!(res["status"], "open");
    assert_eq!(res["time_left_ms"], 1440 * 60_000);
    let started = events_of(&s, &t, "bargain.started", &b).await;
    assert_eq!(started.len(), 1, "{started:?}");
    assert_eq!(started[0]["data"]["owner"], "owner");

    // One open bargain per user.
    let r = s.act(&t, &id, "owner", "start").await;
    assert_eq!(status_code(&r), (409, "bargain_in_progress"), "{r:?}");

    // Refusals before any help.
    let r = help(&s, &t, &id, "h1", "no-such-bargain").await;
    assert_eq!(status_code(&r), (404, "bargain_not_found"), "{r:?}");
    let r = help(&s, &t, &id, "h1", &"x".repeat(65)).await;
    assert_eq!(r.status.as_u16(), 404, "{r:?}");
    let r = help(&s, &t, &other, "h1", &b).await;
    assert_eq!(
        status_code(&r),
        (404, "bargain_not_found"),
        "a bargain belongs to its activity: {r:?}"
    );
    let r = help(&s, &t, &id, "owner", &b).await;
    assert_eq!(status_code(&r), (409, "cannot_help_own_bargain"), "{r:?}");
    let r = s
        .act_with(&t, &id, "h1", "help", json!({"bargain_id": b, "x": 1}))
        .await;
    assert_eq!(status_code(&r), (422, "invalid_payload"), "{r:?}");
    // Refusals record nothing, so h1 is still new to the tenant below.

    // Five distinct helpers; the fifth lands on the floor.
    let helpers = ["veteran", "h1", "h2", "h3", "h4"];
    let mut cuts = Vec::new();
    let mut price = ORIGINAL;
    for (i, h) in helpers.iter().enumerate() {
        let r = help(&s, &t, &id, h, &b).await;
        assert_eq!(r.status, 200, "{h}: {r:?}");
        let res = &r.body["result"];
        let cut = res["cut_fen"].as_u64().unwrap();
        assert!(cut >= 1, "{h} cut {cut}");
        price -= cut;
        cuts.push(cut);
        assert_eq!(res["price_fen"], price, "{res}");
        assert_eq!(res["helps_left"], 4 - i, "{res}");
        if i < 4 {
            assert_eq!(res["status"], "open", "{res}");
            assert!(price > FLOOR, "floor reached early at help {}", i + 1);
        } else {
            assert_eq!(res["status"], "completed", "{res}");
            assert_eq!(price, FLOOR);
        }
        if *h == "veteran" {
            assert_eq!(res["new_member_bonus"], Value::Null, "{res}");
        } else {
            assert_eq!(res["new_member_bonus"]["kind"], "points", "{h}: {res}");
            assert_eq!(res["new_member_bonus"]["amount"], 50, "{h}: {res}");
        }
        if i == 1 {
            // h1 again, while the bargain is still open.
            let r = help(&s, &t, &id, "h1", &b).await;
            assert_eq!(status_code(&r), (409, "already_helped"), "{r:?}");
        }
    }
    assert_eq!(cuts.iter().sum::<u64>(), ORIGINAL - FLOOR, "{cuts:?}");
    assert_eq!(points(&s, &t, "veteran").await, 0);
    assert_eq!(points(&s, &t, "h1").await, 50);
    assert_eq!(points(&s, &t, "h4").await, 50);

    // Closed: refusals in the documented order.
    let r = help(&s, &t, &id, "h5", &b).await;
    assert_eq!(status_code(&r), (409, "bargain_closed"), "{r:?}");
    let r = help(&s, &t, &id, "h2", &b).await;
    assert_eq!(status_code(&r), (409, "bargain_closed"), "{r:?}");
    let r = help(&s, &t, &id, "owner", &b).await;
    assert_eq!(status_code(&r), (409, "cannot_help_own_bargain"), "{r:?}");

    let done = bargain_in_view(&s, &t, &id, "owner", &b).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["price_fen"], FLOOR);
    assert_eq!(done["helps_done"], 5);
    assert_eq!(done["time_left_ms"], 0);
    let view_cuts: Vec<u64> = done["cuts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["amount_fen"].as_u64().unwrap())
        .collect();
    assert_eq!(view_cuts, cuts);

    let completed = events_of(&s, &t, "bargain.completed", &b).await;
    assert_eq!(completed.len(), 1, "{completed:?}");
    assert_eq!(completed[0]["data"]["helpers"], json!(helpers));
    assert_eq!(completed[0]["data"]["floor_price_fen"], FLOOR);
    let prizes: Vec<_> = rewards(&s, &t, "owner")
        .await
        .into_iter()
        .filter(|r| r["kind"] == "prize")
        .collect();
    assert_eq!(prizes.len(), 1, "{prizes:?}");
    assert_eq!(prizes[0]["item"], "kettle");
    assert_eq!(prizes[0]["amount"], 1);
    assert_eq!(prizes[0]["state"], "pending");
    assert!(
        rewards(&s, &t, "h4")
            .await
            .iter()
            .all(|r| r["kind"] != "prize"),
        "the prize goes to the owner, not the completing helper"
    );
    // The completed bargain no longer blocks a new one.
    start(&s, &t, &id, "owner").await;

    // Daily help limit: 2 per business day in Shanghai.
    let b2 = start(&s, &t, &id, "o2").await;
    let b3 = start(&s, &t, &id, "o3").await;
    let b4 = start(&s, &t, &id, "o4").await;
    assert_eq!(help(&s, &t, &id, "busy", &b2).await.status, 200);
    assert_eq!(help(&s, &t, &id, "busy", &b3).await.status, 200);
    let r = help(&s, &t, &id, "busy", &b4).await;
    assert_eq!(status_code(&r), (409, "daily_help_limit_reached"), "{r:?}");
    // already_helped is checked before the daily limit.
    let r = help(&s, &t, &id, "busy", &b2).await;
    assert_eq!(status_code(&r), (409, "already_helped"), "{r:?}");
    s.arcade.freeze_clock(Some(midnight - 1));
    let r = help(&s, &t, &id, "busy", &b4).await;
    assert_eq!(
        status_code(&r),
        (409, "daily_help_limit_reached"),
        "23:59:59.999 is still the same day: {r:?}"
    );
    assert_eq!(s.view(&t, &id, "busy").await["helps_left_today"], 0);
    s.arcade.freeze_clock(Some(midnight + HOUR_MS));
    assert_eq!(s.view(&t, &id, "busy").await["helps_left_today"], 2);
    let r = help(&s, &t, &id, "busy", &b4).await;
    assert_eq!(r.status, 200, "the limit resets the next day: {r:?}");
    assert_eq!(r.body["result"]["helps_left_today"], 1, "{r:?}");
    let view = s.view(&t, &id, "busy").await;
    assert_eq!(view["helped"].as_array().unwrap().len(), 3, "{view}");
    // The refused help earned nothing and recorded nothing.
    let helps_by_busy = s
        .all_outcomes(&t, &id)
        .await
        .into_iter()
        .filter(|o| o["user_id"] == "busy")
        .count();
    assert_eq!(helps_by_busy, 3);
}

async fn stock_runs_out(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let id = s
        .activity(&t, "price-cut", config(1, json!({"stock": 1})))
        .await;
    let a = start(&s, &t, &id, "a").await;
    let b = start(&s, &t, &id, "b").await;
    let r = help(&s, &t, &id, "x", &a).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["result"]["status"], "completed");
    assert_eq!(r.body["result"]["cut_fen"], ORIGINAL - FLOOR);
    assert_eq!(s.stock(&t, &id, "kettle").await, 0);

    // The help that would complete b finds no stock: nothing is recorded.
    let r = help(&s, &t, &id, "y", &b).await;
    assert_eq!(status_code(&r), (409, "sold_out"), "{r:?}");
    let open = bargain_in_view(&s, &t, &id, "b", &b).await;
    assert_eq!(open["status"], "open", "{open}");
    assert_eq!(open["helps_left"], 1);
    assert_eq!(open["price_fen"], ORIGINAL);
    assert_eq!(s.view(&t, &id, "y").await["helps_today"], 0);
    assert!(events_of(&s, &t, "bargain.completed", &b).await.is_empty());
    assert!(
        rewards(&s, &t, "b")
            .await
            .iter()
            .all(|r| r["kind"] != "prize")
    );

    // No new bargain can start either.
    let r = s.act(&t, &id, "c", "start").await;
    assert_eq!(status_code(&r), (409, "sold_out"), "{r:?}");
    assert_eq!(s.view(&t, &id, "a").await["item"]["remaining"], 0);
    assert_eq!(s.all_outcomes(&t, &id).await.len(), 3);
}

async fn concurrent_helps_complete_exactly_once(db: Db) {
    const N: usize = 5;
    let s = Arc::new(Server::start(db).await);
    let t = s.tenant("t").await;
    let id = s
        .activity(&t, "price-cut", config(N as u32, json!({})))
        .await;
    let b = start(&s, &t, &id, "owner").await;

    let helps = (0..N + 10).map(|i| {
        let (s, t, id, b) = (s.clone(), t.clone(), id.clone(), b.clone());
        tokio::spawn(async move { help(&s, &t, &id, &format!("r{i}"), &b).await })
    });
    let replies: Vec<Reply> = join_all(helps)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let ok: Vec<&Reply> = replies.iter().filter(|r| r.status == 200).collect();
    let closed = replies
        .iter()
        .filter(|r| status_code(r) == (409, "bargain_closed"))
        .count();
    assert_eq!(
        (ok.len(), closed),
        (N, 10),
        "{:?}",
        replies
            .iter()
            .filter(|r| r.status != 200)
            .map(|r| &r.text)
            .collect::<Vec<_>>()
    );
    let cut_sum: u64 = ok
        .iter()
        .map(|r| r.body["result"]["cut_fen"].as_u64().unwrap())
        .sum();
    assert_eq!(cut_sum, ORIGINAL - FLOOR);
    assert!(
        ok.iter()
            .all(|r| r.body["result"]["cut_fen"].as_u64().unwrap() >= 1)
    );
    let completing: Vec<_> = ok
        .iter()
        .filter(|r| r.body["result"]["status"] == "completed")
        .collect();
    assert_eq!(completing.len(), 1, "{ok:?}");
    assert_eq!(completing[0].body["result"]["price_fen"], FLOOR);
    // The helps_left seen by the successful helps are 4, 3, 2, 1, 0.
    let mut left: Vec<u64> = ok
        .iter()
        .map(|r| r.body["result"]["helps_left"].as_u64().unwrap())
        .collect();
    left.sort_unstable();
    assert_eq!(left, (0..N as u64).collect::<Vec<_>>());

    let done = bargain_in_view(&s, &t, &id, "owner", &b).await;
    assert_eq!(done["price_fen"], FLOOR, "{done}");
    assert_eq!(done["status"], "completed");
    assert_eq!(done["helps_done"], N);
    assert_eq!(done["cuts"].as_array().unwrap().len(), N);
    let completed = events_of(&s, &t, "bargain.completed", &b).await;
    assert_eq!(completed.len(), 1, "{completed:?}");
    assert_eq!(completed[0]["data"]["helpers"].as_array().unwrap().len(), N);
    let prizes = rewards(&s, &t, "owner")
        .await
        .into_iter()
        .filter(|r| r["kind"] == "prize")
        .count();
    assert_eq!(prizes, 1);
    assert_eq!(s.all_outcomes(&t, &id).await.len(), 1 + N);
}

async fn one_helper_racing_itself_helps_once(db: Db) {
    let s = Arc::new(Server::start(db).await);
    let t = s.tenant("t").await;
    let id = s.activity(&t, "price-cut", config(5, json!({}))).await;
    let b = start(&s, &t, &id, "owner").await;
    let helps = (0..10).map(|_| {
        let (s, t, id, b) = (s.clone(), t.clone(), id.clone(), b.clone());
        tokio::spawn(async move { help(&s, &t, &id, "dup", &b).await })
    });
    let replies: Vec<Reply> = join_all(helps)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let ok = replies.iter().filter(|r| r.status == 200).count();
    let again = replies
        .iter()
        .filter(|r| status_code(r) == (409, "already_helped"))
        .count();
    assert_eq!(
        (ok, again),
        (1, 9),
        "{:?}",
        replies.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    let open = bargain_in_view(&s, &t, &id, "owner", &b).await;
    assert_eq!(open["helps_done"], 1, "{open}");
    assert_eq!(open["helps_left"], 4);
    let view = s.view(&t, &id, "dup").await;
    assert_eq!(view["helps_today"], 1, "{view}");
    assert_eq!(view["helped"].as_array().unwrap().len(), 1, "{view}");
    assert_eq!(s.all_outcomes(&t, &id).await.len(), 2);
}

async fn expiry_timer_fires_once_after_downtime(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let id = s
        .activity(&t, "price-cut", config(5, json!({"time_limit_minutes": 1})))
        .await;
    let r = s.act(&t, &id, "owner", "start").await;
    assert_eq!(r.status, 200, "{r:?}");
    let b = r.body["result"]["bargain_id"].as_str().unwrap().to_owned();
    let deadline = r.body["result"]["deadline_ms"].as_i64().unwrap();
    assert_eq!(r.body["result"]["time_left_ms"], 60_000);
    let r = help(&s, &t, &id, "h1", &b).await;
    assert_eq!(r.status, 200, "{r:?}");
    let price = r.body["result"]["price_fen"].as_u64().unwrap();
    assert!(events_of(&s, &t, "bargain.expired", &b).await.is_empty());

    // Down over the deadline; back up two minutes later.
    let s = s.restart(2 * 60_000).await;
    assert!(s.arcade.now() > deadline);
    s.eventually("bargain.expired is recorded", || async {
        !events_of(&s, &t, "bargain.expired", &b).await.is_empty()
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1_000)).await;

    let expired = events_of(&s, &t, "bargain.expired", &b).await;
    assert_eq!(expired.len(), 1, "{expired:?}");
    let data = &expired[0]["data"];
    assert_eq!(data["owner"], "owner");
    assert_eq!(data["price_fen"], price);
    assert_eq!(data["helps_done"], 1);
    assert_eq!(data["helps_left"], 4);
    assert_eq!(data["deadline_ms"], deadline);
    let timer_outcomes: Vec<_> = s
        .all_outcomes(&t, &id)
        .await
        .into_iter()
        .filter(|o| {
            o["action"]
                .as_str()
                .is_some_and(|a| a.starts_with("timer:"))
        })
        .collect();
    assert_eq!(timer_outcomes.len(), 1, "{timer_outcomes:?}");
    assert_eq!(
        timer_outcomes[0]["action"],
        format!("timer:expire:{b}"),
        "{timer_outcomes:?}"
    );
    assert_eq!(
        timer_outcomes[0]["result"]["expired"], true,
        "{timer_outcomes:?}"
    );
    assert_eq!(expired[0]["outcome_id"], timer_outcomes[0]["id"]);

    let r = help(&s, &t, &id, "h2", &b).await;
    assert_eq!(status_code(&r), (409, "bargain_closed"), "{r:?}");
    let r = help(&s, &t, &id, "h1", &b).await;
    assert_eq!(status_code(&r), (409, "bargain_closed"), "{r:?}");
    let gone = bargain_in_view(&s, &t, &id, "owner", &b).await;
    assert_eq!(gone["status"], "expired", "{gone}");
    assert_eq!(gone["time_left_ms"], 0);
    assert!(events_of(&s, &t, "bargain.completed", &b).await.is_empty());
    assert!(
        rewards(&s, &t, "owner")
            .await
            .iter()
            .all(|r| r["kind"] != "prize")
    );
    // The expired bargain no longer blocks a new one.
    start(&s, &t, &id, "owner").await;
}

/// The page an owner shares with friends: `GET .../view?bargain_id=` for
/// anyone; a helper's user id adds their own cut.
async fn anyone_views_a_bargain_by_its_id(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let id = s.activity(&t, "price-cut", config(3, json!({}))).await;
    let bargain = start(&s, &t, &id, "owner").await;
    let helped = help(&s, &t, &id, "friend", &bargain).await;
    assert_eq!(helped.status, 200, "{helped:?}");

    let shared = s
        .get(
            &t.platform,
            &format!("/v1/activities/{id}/view?bargain_id={bargain}"),
        )
        .await;
    assert_eq!(shared.status, 200, "{shared:?}");
    assert_eq!(shared.body["bargain_id"], bargain.as_str());
    assert_eq!(shared.body["owner"], "owner");
    assert_eq!(shared.body["helps_left"], 2);
    assert!(shared.body.get("my_cut_fen").is_none(), "{shared:?}");

    let friend = s
        .get(
            &t.platform,
            &format!("/v1/activities/{id}/view?bargain_id={bargain}&user_id=friend"),
        )
        .await;
    assert_eq!(friend.status, 200, "{friend:?}");
    assert_eq!(friend.body["my_cut_fen"], helped.body["result"]["cut_fen"]);

    let missing = s
        .get(
            &t.platform,
            &format!("/v1/activities/{id}/view?bargain_id=nope"),
        )
        .await;
    assert_eq!(
        status_code(&missing),
        (404, "bargain_not_found"),
        "{missing:?}"
    );
}
