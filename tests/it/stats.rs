//! Statistics: the rollups equal a recount from the outcomes, whatever
//! the run, and whichever workers count them.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset};
use serde_json::{Value, json};

use crate::both_backends;
use crate::harness::{Reply, Server, Tenant};
use crate::support::Db;

both_backends!(
    rollups_equal_a_recount_from_outcomes,
    stats_read_rules,
    costs_win_rates_and_roi,
    completion_of_a_group_buy,
    fission_counts_each_invitee_once_by_level,
    viewers_count_each_user_once_a_day,
);

const HOUR_MS: i64 = 3_600_000;

/// xorshift64*: a small seeded generator, so a failing seed replays.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

fn code(r: &Reply) -> (u16, &str) {
    (r.status.as_u16(), r.code())
}

fn draw_config() -> Value {
    json!({
        "prizes": [{"id": "p", "name": "Mug", "weight": 1, "stock": 40}],
        "miss_weight": 2,
        "consolation": {"points": 5}
    })
}

/// Per-day and total numbers recounted from an activity's outcomes.
#[derive(Default, Debug, PartialEq)]
struct Recount {
    days: BTreeMap<String, (i64, BTreeSet<String>)>,
    users: BTreeSet<String>,
    actions: i64,
    prizes: i64,
    points: i64,
}

fn recount(outcomes: &[Value], offset_hours: i32) -> Recount {
    let tz = FixedOffset::east_opt(offset_hours * 3600).unwrap();
    let mut r = Recount::default();
    for o in outcomes {
        let at = DateTime::parse_from_rfc3339(o["created_at"].as_str().unwrap()).unwrap();
        let day = at.with_timezone(&tz).format("%Y-%m-%d").to_string();
        let user = o["user_id"].as_str().unwrap().to_owned();
        let d = r.days.entry(day).or_default();
        d.0 += 1;
        d.1.insert(user.clone());
        r.users.insert(user);
        r.actions += 1;
        for reward in o["rewards"].as_array().unwrap() {
            let amount = reward["amount"].as_i64().unwrap();
            match reward["kind"].as_str().unwrap() {
                "prize" => r.prizes += amount,
                "points" => r.points += amount,
                _ => {}
            }
        }
    }
    r
}

async fn stats(s: &Server, t: &Tenant, id: &str, query: &str) -> Value {
    let r = s
        .get(&t.operator, &format!("/v1/activities/{id}/stats{query}"))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body
}

async fn rollups_equal_a_recount_from_outcomes(db: Db) {
    for seed in [7u64, 1_234_567, 0x9e37_79b9] {
        let s = Server::start(db.fresh().await).await;
        let t = s.tenant("t").await;
        let g2 = s
            .post(&t.operator, "/v1/groups", json!({"name": "g2"}))
            .await;
        let g2 = g2.body["id"].as_str().unwrap().to_owned();
        let mut activities = Vec::new();
        for (group, tz, offset) in [
            (t.group.clone(), "Asia/Shanghai", 8),
            (t.group.clone(), "UTC", 0),
            (g2.clone(), "Asia/Shanghai", 8),
        ] {
            let r = s
                .post(
                    &t.operator,
                    "/v1/activities",
                    json!({"plugin": "lucky-draw", "config": draw_config(), "group_id": group, "timezone": tz}),
                )
                .await;
            assert_eq!(r.status, 201, "{r:?}");
            activities.push((r.body["id"].as_str().unwrap().to_owned(), group, offset));
        }
        let mut rng = Rng(seed);
        for _ in 0..90 {
            let (id, _, _) = &activities[rng.below(3) as usize];
            let user = format!("u{}", rng.below(15));
            let r = s.act(&t, id, &user, "draw").await;
            assert!(matches!(r.status.as_u16(), 200 | 409), "{r:?}");
            if rng.below(10) == 0 {
                s.arcade.advance_clock(7 * HOUR_MS);
            }
        }
        // Two workers at once: each outcome is still counted once.
        let (a, b) = tokio::join!(s.arcade.roll_up_stats(), s.arcade.roll_up_stats());
        let counted = a.unwrap() + b.unwrap();
        assert_eq!(s.arcade.roll_up_stats().await.unwrap(), 0, "nothing left");

        let mut total = 0;
        let mut by_group: BTreeMap<String, (i64, BTreeSet<String>)> = BTreeMap::new();
        for (id, group, offset) in &activities {
            let outcomes = s.all_outcomes(&t, id).await;
            let want = recount(&outcomes, *offset);
            total += want.actions;
            let g = by_group.entry(group.clone()).or_default();
            g.0 += want.actions;
            g.1.extend(want.users.iter().cloned());

            let got = stats(&s, &t, id, "").await;
            assert_eq!(got["pending"], 0, "seed {seed}");
            let totals = &got["totals"];
            assert_eq!(totals["actions"], want.actions, "seed {seed} {id}");
            assert_eq!(totals["users"], want.users.len() as i64, "seed {seed} {id}");
            assert_eq!(totals["prizes"], want.prizes, "seed {seed} {id}");
            assert_eq!(totals["points"], want.points, "seed {seed} {id}");
            let days = got["days"].as_array().unwrap();
            assert_eq!(days.len(), want.days.len(), "seed {seed} {id}: {days:?}");
            let mut seen = BTreeSet::new();
            let mut new_users = 0;
            for (d, (day, (actions, users))) in days.iter().zip(&want.days) {
                assert_eq!(d["day"], day.as_str(), "seed {seed}");
                assert_eq!(d["actions"], *actions, "seed {seed} {day}");
                assert_eq!(d["users"], users.len() as i64, "seed {seed} {day}");
                let fresh = users.difference(&seen).count() as i64;
                assert_eq!(d["new_users"], fresh, "seed {seed} {day}");
                new_users += fresh;
                seen.extend(users.iter().cloned());
            }
            assert_eq!(new_users, want.users.len() as i64);
            // A range: the days in it, and its distinct users.
            if let (Some((first, _)), Some((last, _))) =
                (want.days.iter().nth(1), want.days.iter().last())
            {
                let got = stats(&s, &t, id, &format!("?from={first}&to={last}")).await;
                let in_range: BTreeSet<&String> = want
                    .days
                    .range(first.clone()..)
                    .flat_map(|(_, (_, u))| u.iter())
                    .collect();
                let actions: i64 = want.days.range(first.clone()..).map(|(_, (a, _))| *a).sum();
                assert_eq!(got["totals"]["users"], in_range.len() as i64, "seed {seed}");
                assert_eq!(got["totals"]["actions"], actions, "seed {seed}");
            }
            // Stock burn-down agrees with the prizes.
            let pool = &got["stock"][0];
            assert_eq!(pool["claimed"], want.prizes, "seed {seed}");
        }
        assert_eq!(
            counted as i64, total,
            "seed {seed}: each outcome counted once"
        );
        for (group, (actions, users)) in by_group {
            let r = s
                .get(&t.operator, &format!("/v1/groups/{group}/stats"))
                .await;
            assert_eq!(r.status, 200, "{r:?}");
            assert_eq!(r.body["totals"]["actions"], actions, "seed {seed}");
            assert_eq!(r.body["totals"]["users"], users.len() as i64, "seed {seed}");
        }
    }
}

async fn stats_read_rules(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let id = s.activity(&t, "lucky-draw", draw_config()).await;
    s.act(&t, &id, "u1", "draw").await;
    // Before the rollup the numbers lag, and say by how much.
    let before = stats(&s, &t, &id, "").await;
    assert_eq!(before["pending"], 1, "{before}");
    assert_eq!(before["totals"]["actions"], 0);
    s.arcade.roll_up_stats().await.unwrap();
    let after = stats(&s, &t, &id, "").await;
    assert_eq!(
        (
            after["pending"].as_i64(),
            after["totals"]["actions"].as_i64()
        ),
        (Some(0), Some(1))
    );
    assert_eq!(
        after["participation_rate"],
        Value::Null,
        "no member count yet"
    );
    let members = format!("/v1/groups/{}/members", t.group);
    s.send(
        &t.platform,
        reqwest::Method::PUT,
        &members,
        Some(json!({"count": 4})),
        &[],
    )
    .await;
    let after = stats(&s, &t, &id, "").await;
    assert_eq!(after["participation_rate"], 0.25);
    let group = s
        .get(&t.operator, &format!("/v1/groups/{}/stats", t.group))
        .await;
    assert_eq!(group.body["participation_rate"], 0.25, "{group:?}");

    let bad = s
        .get(
            &t.operator,
            &format!("/v1/activities/{id}/stats?from=yesterday"),
        )
        .await;
    assert_eq!(code(&bad), (422, "invalid_range"), "{bad:?}");
    assert_eq!(
        code(
            &s.get(&t.platform, &format!("/v1/activities/{id}/stats"))
                .await
        ),
        (403, "forbidden")
    );
    let other = s.tenant("other").await;
    let r = s
        .get(&other.operator, &format!("/v1/activities/{id}/stats"))
        .await;
    assert_eq!(code(&r), (404, "activity_not_found"));
    let r = s
        .get(&other.operator, &format!("/v1/groups/{}/stats", t.group))
        .await;
    assert_eq!(code(&r), (404, "group_not_found"));
    let dict = s.get(&t.operator, "/v1/metrics/dictionary").await;
    let names: Vec<&str> = dict.body["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    for field in [
        "actions",
        "users",
        "new_users",
        "participation_rate",
        "prizes",
        "points",
        "runs_out_at",
    ] {
        assert!(names.contains(&field), "{field} is defined");
    }
}

async fn costs_win_rates_and_roi(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let config = json!({
        "prizes": [{"id": "mug", "name": "Mug", "weight": 1, "stock": 6}],
        "miss_weight": 3,
        "consolation": {"coupon": {"id": "c10", "name": "10% off", "value_fen": 200}}
    });
    let r = s
        .create_activity(
            &t,
            json!({"plugin": "lucky-draw", "config": config, "costs": {"mug": 1500}}),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["costs"], json!({"mug": 1500}));
    let id = r.body["id"].as_str().unwrap().to_owned();
    let mut rng = Rng(42);
    for i in 0..60 {
        let r = s.act(&t, &id, &format!("u{}", rng.below(25)), "draw").await;
        assert_eq!(r.status, 200, "draw {i}: {r:?}");
    }
    s.arcade.roll_up_stats().await.unwrap();

    // Recount from the outcomes.
    let outcomes = s.all_outcomes(&t, &id).await;
    let (mut cost, mut winners) = (0, 0);
    for o in &outcomes {
        let rewards = o["rewards"].as_array().unwrap();
        if rewards.iter().any(|r| r["kind"] == "prize") {
            winners += 1;
        }
        for r in rewards {
            cost += match r["kind"].as_str().unwrap() {
                "prize" => 1500 * r["amount"].as_i64().unwrap(),
                "coupon" => r["amount"].as_i64().unwrap(),
                other => panic!("unexpected reward {other}"),
            };
        }
    }
    assert_eq!(winners, 6, "the stock of 6 mugs is gone after 60 draws");
    let got = stats(&s, &t, &id, "").await;
    let totals = &got["totals"];
    assert_eq!(totals["cost_fen"], cost);
    assert_eq!(totals["winners"], winners);
    let users = totals["users"].as_i64().unwrap();
    assert_eq!(got["cost_per_participant_fen"], cost as f64 / users as f64);
    assert_eq!(got["observed_win_rate"], winners as f64 / 60.0);
    assert_eq!(got["configured_win_rate"], 0.25);
    assert_eq!(got["roi"], Value::Null, "no conversions yet");
    let day_cost: i64 = got["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["cost_fen"].as_i64().unwrap())
        .sum();
    assert_eq!(day_cost, cost);

    // Conversions: a retried report counts once.
    let conv = |cid: &str, fen: i64| json!({"id": cid, "activity_id": id, "user_id": "u1", "value_fen": fen});
    let r = s
        .post(&t.platform, "/v1/conversions", conv("order-1", 30_000))
        .await;
    assert_eq!(
        (r.status.as_u16(), &r.body["recorded"]),
        (201, &json!(true)),
        "{r:?}"
    );
    let r = s
        .post(&t.platform, "/v1/conversions", conv("order-1", 30_000))
        .await;
    assert_eq!(
        (r.status.as_u16(), &r.body["recorded"]),
        (200, &json!(false)),
        "{r:?}"
    );
    let r = s
        .post(&t.platform, "/v1/conversions", conv("order-2", 20_000))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let got = stats(&s, &t, &id, "").await;
    assert_eq!(got["totals"]["conversions"], 2);
    assert_eq!(got["totals"]["conversion_fen"], 50_000);
    assert_eq!(got["roi"], (50_000 - cost) as f64 / cost as f64);

    // Bad input and other tenants.
    let r = s
        .post(&t.platform, "/v1/conversions", conv("order-3", -1))
        .await;
    assert_eq!(code(&r), (422, "invalid_conversion"), "{r:?}");
    let r = s.post(&t.platform, "/v1/conversions", conv("", 1)).await;
    assert_eq!(code(&r), (422, "invalid_conversion"), "{r:?}");
    let other = s.tenant("other").await;
    let r = s
        .post(&other.platform, "/v1/conversions", conv("order-9", 1))
        .await;
    assert_eq!(r.status, 404, "{r:?}");
    let r = s
        .send(
            &t.operator,
            reqwest::Method::PUT,
            &format!("/v1/activities/{id}/costs"),
            Some(json!({"mug": -5})),
            &[],
        )
        .await;
    assert_eq!(code(&r), (422, "invalid_costs"), "{r:?}");
    let r = s
        .send(
            &t.operator,
            reqwest::Method::PUT,
            &format!("/v1/activities/{id}/costs"),
            Some(json!({"mug": 1800, "c10": 50})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["costs"], json!({"c10": 50, "mug": 1800}));
}

async fn completion_of_a_group_buy(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let config = json!({
        "product": {"id": "latte-2", "name": "Two lattes", "original_price_fen": 6000, "deal_price_fen": 3990},
        "team_size": 2,
        "time_limit_minutes": 60,
        "max_open_teams_per_user": 2
    });
    let id = s.activity(&t, "group-buy", config).await;
    // Three teams opened, two filled.
    for (owner, joiner) in [("a", Some("b")), ("c", Some("d")), ("e", None)] {
        let r = s.act_with(&t, &id, owner, "open", json!({})).await;
        assert_eq!(r.status, 200, "{r:?}");
        let team = r.body["result"]["team_id"].as_str().unwrap().to_owned();
        if let Some(j) = joiner {
            let r = s
                .act_with(&t, &id, j, "join", json!({"team_id": team}))
                .await;
            assert_eq!(r.status, 200, "{r:?}");
        }
    }
    s.arcade.roll_up_stats().await.unwrap();
    let got = stats(&s, &t, &id, "").await;
    assert_eq!(got["events"]["team.opened"], 3, "{got}");
    assert_eq!(got["events"]["team.succeeded"], 2, "{got}");
    assert_eq!(
        got["completion"],
        json!({"metric": "teams_succeeded_per_opened", "numerator": 2, "denominator": 3, "rate": 2.0 / 3.0})
    );
    // A lucky draw has no completion measure.
    let draw = s.activity(&t, "lucky-draw", draw_config()).await;
    assert_eq!(stats(&s, &t, &draw, "").await["completion"], Value::Null);
}

/// Fission from `invite.accepted` events: each invitee counts once, at
/// the level below its inviter, self-invites never, and levels carry
/// across rollup batches.
async fn fission_counts_each_invitee_once_by_level(db: Db) {
    let s = Server::start(db).await;
    let wasm = std::fs::read(env!("REFERRAL_WASM")).expect("referral plugin was built");
    s.arcade.upload_plugin(wasm).await.expect("upload referral");
    let t = s.tenant("t").await;
    let id = s.activity(&t, "referral", json!({})).await;
    let join = |user: &'static str, code: Option<&'static str>| {
        let payload = code.map_or(json!({}), |c| json!({"invite_code": c}));
        let (s, t, id) = (&s, &t, &id);
        async move {
            let r = s.act_with(t, id, user, "join", payload).await;
            assert_eq!(r.status, 200, "{user}: {r:?}");
        }
    };
    // s1 (never invited) invites a1 and a2; a1 invites b1.
    join("a1", Some("s1")).await;
    join("a2", Some("s1")).await;
    join("b1", Some("a1")).await;
    s.arcade.roll_up_stats().await.unwrap();
    let first = stats(&s, &t, &id, "").await;
    assert_eq!(
        first["fission"],
        json!({"invites": 3, "level_1": 2, "level_2": 1, "level_3": 0,
               "invites_per_participant": 1.0}),
        "{first}"
    );
    // Counted in a later batch: b1's invitee is level 3, and deeper
    // levels count as 3. A self-invite and a second invite of b1 do not
    // count; a join without a code is a participant, not an invite.
    join("c1", Some("b1")).await;
    join("d1", Some("c1")).await;
    join("a2", Some("a2")).await;
    join("b1", Some("a2")).await;
    join("x", None).await;
    s.arcade.roll_up_stats().await.unwrap();
    let got = stats(&s, &t, &id, "").await;
    assert_eq!(got["totals"]["users"], 6, "{got}");
    assert_eq!(
        got["events"]["invite.accepted"], 7,
        "every event is kept: {got}"
    );
    assert_eq!(
        got["fission"],
        json!({"invites": 5, "level_1": 2, "level_2": 1, "level_3": 2,
               "invites_per_participant": 5.0 / 6.0}),
        "{got}"
    );
}

/// The funnel's first step: users who viewed, each once a day however
/// often they refresh; anonymous views are not users.
async fn viewers_count_each_user_once_a_day(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let config = json!({"prizes": [{"id": "mug", "name": "Mug", "weight": 1}], "miss_weight": 1});
    let id = s.activity(&t, "lucky-draw", config).await;
    for _ in 0..3 {
        for u in ["v1", "v2", "v3"] {
            s.view(&t, &id, u).await;
        }
    }
    let before = stats(&s, &t, &id, "").await;
    assert_eq!(before["viewers"], 3, "{before}");
    assert_eq!(
        before["viewers_by_day"].as_array().unwrap().len(),
        1,
        "{before}"
    );
    assert_eq!(before["viewers_by_day"][0]["viewers"], 3, "{before}");
    // A day later v1 comes back and v4 arrives: four in all, two that day.
    s.arcade.advance_clock(24 * HOUR_MS);
    s.view(&t, &id, "v1").await;
    s.view(&t, &id, "v4").await;
    s.arcade.roll_up_stats().await.unwrap();
    let after = stats(&s, &t, &id, "").await;
    assert_eq!(after["viewers"], 4, "{after}");
    let days: Vec<i64> = after["viewers_by_day"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["viewers"].as_i64().unwrap())
        .collect();
    assert_eq!(days, [3, 2], "{after}");
}
