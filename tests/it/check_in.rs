//! The check-in mechanic over HTTP with the service clock frozen at chosen
//! instants: one check-in per business day of the activity's time zone,
//! streaks, cycle rewards, milestones, make-ups (window, monthly limit,
//! cost in points), config errors, the calendar view, and the midnight
//! race between two replicas on one database.

use std::collections::BTreeSet;
use std::sync::Arc;

use arcade_host::clock::parse_rfc3339;
use futures::future::join_all;
use serde_json::{Value, json};

use crate::both_backends;
use crate::harness::{Reply, Server, Tenant};
use crate::support::Db;

both_backends!(
    streaks_cycles_and_milestones,
    make_up_rules,
    config_errors_name_the_field,
    business_day_is_the_activity_time_zone,
    midnight_race_across_two_replicas,
    concurrent_make_ups_across_replicas,
);

/// Milliseconds since the epoch of an RFC 3339 instant.
fn at(s: &str) -> i64 {
    parse_rfc3339(s).unwrap_or_else(|| panic!("bad instant {s}"))
}

/// Freeze the server's clock at `instant` (RFC 3339).
fn freeze(s: &Server, instant: &str) {
    s.arcade.freeze_clock(Some(at(instant)));
}

/// A check-in activity in `tz`.
async fn activity(s: &Server, t: &Tenant, tz: &str, config: Value) -> String {
    let r = s
        .create_activity(
            t,
            json!({"plugin": "check-in", "timezone": tz, "config": config}),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    r.body["id"].as_str().unwrap().to_owned()
}

async fn check_in(s: &Server, t: &Tenant, a: &str, user: &str) -> Reply {
    s.act(t, a, user, "check_in").await
}

async fn make_up(s: &Server, t: &Tenant, a: &str, user: &str, day: &str) -> Reply {
    s.act_with(t, a, user, "make_up", json!({"day": day})).await
}

async fn balances(s: &Server, t: &Tenant, user: &str) -> Value {
    let r = s
        .get(&t.platform, &format!("/v1/users/{user}/points"))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body
}

async fn points(s: &Server, t: &Tenant, user: &str) -> i64 {
    balances(s, t, user).await["points"].as_i64().unwrap()
}

async fn ledger(s: &Server, t: &Tenant, user: &str) -> Vec<Value> {
    let r = s
        .get(&t.platform, &format!("/v1/users/{user}/rewards"))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body["rewards"].as_array().unwrap().clone()
}

/// Assert a 200 reply and return its result.
fn ok(r: &Reply) -> &Value {
    assert_eq!(r.status, 200, "{r:?}");
    &r.body["result"]
}

/// Assert an error reply's status and code.
fn refused(r: &Reply, status: u16, code: &str) {
    assert_eq!((r.status.as_u16(), r.code()), (status, code), "{r:?}");
}

/// The calendar entry of `day` in a view.
fn cal<'v>(view: &'v Value, day: &str) -> &'v Value {
    view["calendar"]["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["day"] == day)
        .unwrap_or_else(|| panic!("no {day} in {view}"))
}

/// Status (and `can_make_up` of a missed day) of `day` in a view.
fn status(view: &Value, day: &str) -> (String, Option<bool>) {
    let e = cal(view, day);
    (
        e["status"].as_str().unwrap().to_owned(),
        e["can_make_up"].as_bool(),
    )
}

fn st(s: &str, can: Option<bool>) -> (String, Option<bool>) {
    (s.to_owned(), can)
}

async fn streaks_cycles_and_milestones(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let a = activity(
        &s,
        &t,
        "Asia/Shanghai",
        json!({
            "cycle_rewards": [{"points": 10}, {"points": 20}, {"points": 30}],
            "milestones": [
                {"days": 5, "reward": {"tickets": {"name": "spins", "amount": 2}}},
                {"days": 3, "reward": {"coupon": {
                    "id": "c5", "name": "5 yuan off", "value_fen": 500, "valid_days": 7}}}
            ]
        }),
    )
    .await;

    // Day 1: cycle day 1.
    freeze(&s, "2026-01-03T09:00:00+08:00");
    let r = check_in(&s, &t, &a, "u1").await;
    let res = ok(&r);
    assert_eq!(res["day"], "2026-01-03");
    assert_eq!(
        (&res["streak"], &res["total"], &res["cycle_day"]),
        (&json!(1), &json!(1), &json!(1))
    );
    assert_eq!(res["cycle_length"], 3);
    assert_eq!(
        res["rewards"],
        json!([{"source": "cycle", "cycle_day": 1, "kind": "points", "amount": 10}])
    );
    assert_eq!(res["milestones_reached"], json!([]));
    assert_eq!(points(&s, &t, "u1").await, 10);

    // Same business day, last millisecond: refused, nothing credited.
    freeze(&s, "2026-01-03T23:59:59.999+08:00");
    refused(&check_in(&s, &t, &a, "u1").await, 409, "already_checked_in");
    assert_eq!(points(&s, &t, "u1").await, 10);
    // Another user is not affected.
    assert_eq!(ok(&check_in(&s, &t, &a, "u2").await)["streak"], 1);

    // Day 2 starts at local midnight: cycle day 2.
    freeze(&s, "2026-01-04T00:00:00+08:00");
    let r = check_in(&s, &t, &a, "u1").await;
    let res = ok(&r);
    assert_eq!(res["day"], "2026-01-04");
    assert_eq!((&res["streak"], &res["cycle_day"]), (&json!(2), &json!(2)));
    assert_eq!(res["rewards"][0]["amount"], 20);
    assert_eq!(points(&s, &t, "u1").await, 30);

    // Day 3: cycle day 3 and the 3-day milestone (a coupon expiring 7
    // days after the service's clock).
    let day3 = "2026-01-05T12:00:00+08:00";
    freeze(&s, day3);
    let r = check_in(&s, &t, &a, "u1").await;
    let res = ok(&r);
    assert_eq!(
        (&res["streak"], &res["total"], &res["cycle_day"]),
        (&json!(3), &json!(3), &json!(3))
    );
    assert_eq!(res["milestones_reached"], json!([3]));
    assert_eq!(res["rewards"].as_array().unwrap().len(), 2, "{res}");
    assert_eq!(res["rewards"][0]["amount"], 30);
    assert_eq!(res["rewards"][1]["source"], "milestone");
    assert_eq!(res["rewards"][1]["milestone_days"], 3);
    assert_eq!(res["rewards"][1]["kind"], "coupon");
    assert_eq!(points(&s, &t, "u1").await, 60);
    let coupons: Vec<Value> = ledger(&s, &t, "u1")
        .await
        .into_iter()
        .filter(|r| r["kind"] == "coupon")
        .collect();
    assert_eq!(coupons.len(), 1, "{coupons:?}");
    assert_eq!(coupons[0]["item"], "c5");
    assert_eq!(coupons[0]["amount"], 500);
    assert_eq!(
        coupons[0]["expires_at"]
            .as_str()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.timestamp_millis()),
        Some(at(day3) + 7 * 86_400_000),
        "{coupons:?}"
    );

    // Day 4: the cycle starts over at day 1.
    freeze(&s, "2026-01-06T08:00:00+08:00");
    let r = check_in(&s, &t, &a, "u1").await;
    let res = ok(&r);
    assert_eq!((&res["streak"], &res["cycle_day"]), (&json!(4), &json!(1)));
    assert_eq!(res["rewards"][0]["amount"], 10);
    assert_eq!(points(&s, &t, "u1").await, 70);

    // The streak survives until the day ends: on the 7th before checking in
    // it is still 4, and the next check-in would be cycle day 2.
    freeze(&s, "2026-01-07T23:00:00+08:00");
    let v = s.view(&t, &a, "u1").await;
    assert_eq!(v["today"], "2026-01-07");
    assert_eq!(v["checked_in_today"], false);
    assert_eq!((&v["streak"], &v["total"]), (&json!(4), &json!(4)));
    assert_eq!(v["next_cycle_day"], 2);
    assert_eq!(
        v["next_cycle_reward"],
        json!({"kind": "points", "amount": 20})
    );

    // The 7th is missed: on the 8th the streak is broken, cycle day 1, and
    // the total reaches the 5-day milestone.
    freeze(&s, "2026-01-08T10:00:00+08:00");
    let v = s.view(&t, &a, "u1").await;
    assert_eq!(v["streak"], 0, "{v}");
    assert_eq!(v["next_cycle_day"], 1);
    let r = check_in(&s, &t, &a, "u1").await;
    let res = ok(&r);
    assert_eq!(res["day"], "2026-01-08");
    assert_eq!(
        (&res["streak"], &res["total"], &res["cycle_day"]),
        (&json!(1), &json!(5), &json!(1))
    );
    assert_eq!(res["milestones_reached"], json!([5]));
    assert_eq!(
        res["rewards"][1],
        json!({"source": "milestone", "milestone_days": 5, "kind": "tickets",
               "name": "spins", "amount": 2})
    );
    let b = balances(&s, &t, "u1").await;
    assert_eq!(b["points"], 80, "{b}");
    assert_eq!(b["balances"]["spins"], 2, "{b}");

    // Later days never grant a milestone again.
    for (i, day) in ["2026-01-09", "2026-01-10", "2026-01-11"]
        .iter()
        .enumerate()
    {
        freeze(&s, &format!("{day}T07:00:00+08:00"));
        let r = check_in(&s, &t, &a, "u1").await;
        let res = ok(&r);
        assert_eq!(res["total"], 6 + i, "{res}");
        assert_eq!(res["milestones_reached"], json!([]));
        assert_eq!(res["rewards"].as_array().unwrap().len(), 1);
    }
    // 80 + 20 + 30 + 10.
    assert_eq!(points(&s, &t, "u1").await, 140);
    let rewards = ledger(&s, &t, "u1").await;
    let kinds = |k: &str| rewards.iter().filter(|r| r["kind"] == k).count();
    assert_eq!(
        (kinds("points"), kinds("coupon"), kinds("tickets")),
        (8, 1, 1),
        "{rewards:?}"
    );
    let credited: i64 = rewards
        .iter()
        .filter(|r| r["kind"] == "points")
        .map(|r| r["amount"].as_i64().unwrap())
        .sum();
    assert_eq!(credited, 140);
    let milestone_events: Vec<Value> = s
        .all_events(&t)
        .await
        .into_iter()
        .filter(|e| e["type"] == "check_in.milestone_reached")
        .collect();
    assert_eq!(milestone_events.len(), 2, "{milestone_events:?}");
    assert!(milestone_events.iter().all(|e| e["subject"] == "u1"));

    // The calendar of January on the 11th.
    let v = s.view(&t, &a, "u1").await;
    assert_eq!(v["calendar"]["month"], "2026-01");
    assert_eq!(v["calendar"]["days"].as_array().unwrap().len(), 31);
    assert_eq!(v["checked_in_today"], true);
    assert_eq!((&v["streak"], &v["total"]), (&json!(4), &json!(8)));
    assert_eq!(v["first_check_in"], "2026-01-03");
    assert_eq!(v["makeup"], Value::Null);
    assert_eq!(v["next_milestone"], Value::Null);
    assert!(
        v["milestones"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["reached"] == true)
    );
    for d in 1..=31 {
        let day = format!("2026-01-{d:02}");
        let expected = match d {
            1 | 2 | 7 => st("missed", Some(false)),
            3..=6 | 8..=11 => st("checked", None),
            _ => st("future", None),
        };
        assert_eq!(status(&v, &day), expected, "{day}");
    }

    // Make-ups are disabled here; other mistakes are named.
    freeze(&s, "2026-01-12T07:00:00+08:00");
    refused(
        &make_up(&s, &t, &a, "u1", "2026-01-07").await,
        409,
        "makeup_disabled",
    );
    refused(&s.act(&t, &a, "u1", "spin").await, 422, "unknown_action");
    refused(
        &s.act_with(&t, &a, "u1", "check_in", json!({"day": "2026-01-12"}))
            .await,
        422,
        "invalid_payload",
    );
    assert_eq!(
        s.view(&t, &a, "u1").await["total"],
        8,
        "refusals write nothing"
    );
}

async fn make_up_rules(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let a = activity(
        &s,
        &t,
        "Asia/Shanghai",
        json!({
            "cycle_rewards": [
                {"points": 10}, {"points": 20}, {"points": 30}, {"points": 40}, {"points": 50}
            ],
            "milestones": [{"days": 4, "reward": {"prize": {"id": "mug", "name": "Mug"}}}],
            "makeup": {"window_days": 3, "per_month": 2, "cost_points": 15}
        }),
    )
    .await;

    // Never checked in: nothing can be made up.
    freeze(&s, "2026-01-10T09:00:00+08:00");
    refused(
        &make_up(&s, &t, &a, "u1", "2026-01-09").await,
        409,
        "outside_makeup_window",
    );
    ok(&check_in(&s, &t, &a, "u1").await);
    freeze(&s, "2026-01-11T09:00:00+08:00");
    ok(&check_in(&s, &t, &a, "u1").await);
    // The 12th is missed; on the 13th the streak restarts.
    freeze(&s, "2026-01-13T09:00:00+08:00");
    let r = check_in(&s, &t, &a, "u1").await;
    assert_eq!(ok(&r)["streak"], 1);
    assert_eq!(points(&s, &t, "u1").await, 40);
    let v = s.view(&t, &a, "u1").await;
    assert_eq!(status(&v, "2026-01-12"), st("missed", Some(true)));
    // Before the first check-in (and here also outside the window).
    assert_eq!(status(&v, "2026-01-09"), st("missed", Some(false)));

    // What cannot be made up, in the README's check order.
    for (payload, status_code, code) in [
        (json!({"day": "2026-02-30"}), 422, "invalid_day"),
        (json!({"day": "2026-13-01"}), 422, "invalid_day"),
        (json!({}), 422, "invalid_payload"),
        (json!({"day": 12}), 422, "invalid_payload"),
        (
            json!({"day": "2026-01-12", "free": true}),
            422,
            "invalid_payload",
        ),
        (json!({"day": "2026-01-13"}), 409, "outside_makeup_window"),
        (json!({"day": "2026-01-14"}), 409, "outside_makeup_window"),
        (json!({"day": "2026-01-09"}), 409, "outside_makeup_window"),
        (json!({"day": "2025-12-31"}), 409, "outside_makeup_window"),
        (json!({"day": "2026-01-11"}), 409, "day_not_missed"),
    ] {
        let r = s.act_with(&t, &a, "u1", "make_up", payload.clone()).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (status_code, code),
            "{payload}: {r:?}"
        );
    }
    assert_eq!(points(&s, &t, "u1").await, 40, "refusals cost nothing");

    // Making up the 12th reconnects the streak (10..=13), costs 15 points,
    // earns no cycle reward, and reaches the 4-day milestone.
    let r = make_up(&s, &t, &a, "u1", "2026-01-12").await;
    let res = ok(&r);
    assert_eq!(res["day"], "2026-01-12");
    assert_eq!(
        (&res["streak"], &res["total"], &res["cost_points"]),
        (&json!(4), &json!(4), &json!(15))
    );
    assert_eq!(res["makeups_left_this_month"], 1);
    assert_eq!(res["milestones_reached"], json!([4]));
    assert_eq!(
        res["rewards"],
        json!([{"source": "milestone", "milestone_days": 4, "kind": "prize",
                "id": "mug", "name": "Mug"}])
    );
    assert_eq!(points(&s, &t, "u1").await, 25);
    refused(
        &make_up(&s, &t, &a, "u1", "2026-01-12").await,
        409,
        "day_not_missed",
    );
    let rewards = ledger(&s, &t, "u1").await;
    assert_eq!(
        rewards.iter().filter(|r| r["kind"] == "points").count(),
        3,
        "a make-up earns no cycle reward: {rewards:?}"
    );
    let prizes: Vec<&Value> = rewards.iter().filter(|r| r["kind"] == "prize").collect();
    assert_eq!(prizes.len(), 1, "{rewards:?}");
    assert_eq!(prizes[0]["item"], "mug");
    assert_eq!(prizes[0]["state"], "pending");

    // The next check-in continues the reconnected streak: streak 5, cycle
    // day 5.
    freeze(&s, "2026-01-14T09:00:00+08:00");
    let r = check_in(&s, &t, &a, "u1").await;
    let res = ok(&r);
    assert_eq!(
        (&res["streak"], &res["cycle_day"], &res["total"]),
        (&json!(5), &json!(5), &json!(5))
    );
    assert_eq!(res["milestones_reached"], json!([]));
    assert_eq!(points(&s, &t, "u1").await, 75);

    // The 15th is missed; on the 16th, before checking in, a make-up of
    // yesterday keeps the streak alive (10..=15).
    freeze(&s, "2026-01-16T09:00:00+08:00");
    let r = make_up(&s, &t, &a, "u1", "2026-01-15").await;
    let res = ok(&r);
    assert_eq!((&res["streak"], &res["total"]), (&json!(6), &json!(6)));
    assert_eq!(res["makeups_left_this_month"], 0);
    assert_eq!(points(&s, &t, "u1").await, 60);
    let r = check_in(&s, &t, &a, "u1").await;
    // Streak 7 in a 5-day cycle: cycle day 2.
    assert_eq!(
        (&ok(&r)["streak"], &ok(&r)["cycle_day"]),
        (&json!(7), &json!(2))
    );
    assert_eq!(points(&s, &t, "u1").await, 80);

    // The 17th is missed, but January's two make-ups are used.
    freeze(&s, "2026-01-18T09:00:00+08:00");
    refused(
        &make_up(&s, &t, &a, "u1", "2026-01-17").await,
        409,
        "makeup_limit_reached",
    );
    assert_eq!(points(&s, &t, "u1").await, 80);
    let v = s.view(&t, &a, "u1").await;
    assert_eq!(v["today"], "2026-01-18");
    assert_eq!(
        v["makeup"],
        json!({"window_days": 3, "per_month": 2, "cost_points": 15,
               "used_this_month": 2, "left_this_month": 0})
    );
    assert_eq!((&v["streak"], &v["total"]), (&json!(0), &json!(7)));
    for d in 1..=31 {
        let day = format!("2026-01-{d:02}");
        let expected = match d {
            1..=9 | 17 => st("missed", Some(false)),
            10 | 11 | 13 | 14 | 16 => st("checked", None),
            12 | 15 => st("made_up", None),
            18 => st("today", None),
            _ => st("future", None),
        };
        assert_eq!(status(&v, &day), expected, "{day}: {v}");
    }

    // On February 1st the count starts again, by the month of the make-up,
    // even for a January day. The window reaches exactly 3 days back.
    freeze(&s, "2026-02-01T00:30:00+08:00");
    let v = s.view(&t, &a, "u1").await;
    assert_eq!(v["calendar"]["month"], "2026-02");
    assert_eq!(v["calendar"]["days"].as_array().unwrap().len(), 28);
    assert_eq!(status(&v, "2026-02-01"), st("today", None));
    assert_eq!(v["makeup"]["left_this_month"], 2);
    refused(
        &make_up(&s, &t, &a, "u1", "2026-01-28").await,
        409,
        "outside_makeup_window",
    );
    let r = make_up(&s, &t, &a, "u1", "2026-01-29").await;
    let res = ok(&r);
    assert_eq!(res["makeups_left_this_month"], 1);
    // Nothing reaches yesterday (the 31st): no streak.
    assert_eq!((&res["streak"], &res["total"]), (&json!(0), &json!(8)));
    assert_eq!(points(&s, &t, "u1").await, 65);

    // Short of points: refused, and nothing changes.
    ok(&check_in(&s, &t, &a, "u2").await);
    assert_eq!(points(&s, &t, "u2").await, 10);
    freeze(&s, "2026-02-03T20:00:00+08:00");
    refused(
        &make_up(&s, &t, &a, "u2", "2026-01-31").await,
        409,
        "outside_makeup_window",
    );
    refused(
        &make_up(&s, &t, &a, "u2", "2026-02-02").await,
        409,
        "insufficient_points",
    );
    assert_eq!(points(&s, &t, "u2").await, 10);
    let v = s.view(&t, &a, "u2").await;
    assert_eq!((&v["streak"], &v["total"]), (&json!(0), &json!(1)));
    assert_eq!(v["makeup"]["used_this_month"], 0);
    assert_eq!(status(&v, "2026-02-01"), st("checked", None));
    // Points are not part of `can_make_up`.
    assert_eq!(status(&v, "2026-02-02"), st("missed", Some(true)));
    assert_eq!(status(&v, "2026-02-03"), st("today", None));
    assert_eq!(status(&v, "2026-02-04"), st("future", None));
    let outcomes = s.all_outcomes(&t, &a).await;
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| o["user_id"] == "u2" && o["action"] == "make_up")
            .count(),
        0
    );
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| o["user_id"] == "u1" && o["action"] == "make_up")
            .count(),
        3
    );
}

async fn config_errors_name_the_field(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let ten = json!([{"points": 10}]);
    let cases = [
        (json!({"cycle_rewards": []}), "cycle_rewards"),
        (
            json!({"cycle_rewards": [{"points": 0}]}),
            "cycle_rewards[0].points",
        ),
        (
            json!({"cycle_rewards": [{"points": 1}, {"points": 2},
                {"coupon": {"id": "c5", "name": "5 off", "value_fen": 0}}]}),
            "cycle_rewards[2].coupon.value_fen",
        ),
        (
            json!({"cycle_rewards": [{"tickets": {"name": "points", "amount": 1}}]}),
            "cycle_rewards[0].tickets.name",
        ),
        (
            json!({"cycle_rewards": ten, "milestones": [
                {"days": 7, "reward": {"points": 1}},
                {"days": 7, "reward": {"points": 2}}]}),
            "milestones[1].days",
        ),
        (
            json!({"cycle_rewards": ten, "milestones": [
                {"days": 7, "reward": {"prize": {"id": "", "name": "Mug"}}}]}),
            "milestones[0].reward.prize.id",
        ),
        (
            json!({"cycle_rewards": ten,
                   "makeup": {"window_days": 0, "per_month": 1}}),
            "makeup.window_days",
        ),
        (
            json!({"cycle_rewards": ten,
                   "makeup": {"window_days": 366, "per_month": 1}}),
            "makeup.window_days",
        ),
        (
            json!({"cycle_rewards": ten,
                   "makeup": {"window_days": 7, "per_month": 0}}),
            "makeup.per_month",
        ),
        (
            json!({"cycle_rewards": ten,
                   "makeup": {"window_days": 7, "per_month": 2, "cost_points": 0}}),
            "makeup.cost_points",
        ),
    ];
    for (config, field) in cases {
        let r = s
            .create_activity(
                &t,
                json!({"plugin": "check-in", "timezone": "Asia/Shanghai", "config": config}),
            )
            .await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (422, "invalid_config"),
            "{config}: {r:?}"
        );
        let fields: Vec<&str> = r.body["error"]["details"]
            .as_array()
            .unwrap_or_else(|| panic!("no details: {r:?}"))
            .iter()
            .filter_map(|d| d["field"].as_str())
            .collect();
        assert!(fields.contains(&field), "{config}: {field} not in {r:?}");
    }
    // Unknown fields and a missing cycle are refused too.
    for config in [
        json!({"cycle_rewards": ten, "bonus": 1}),
        json!({"milestones": []}),
        json!({"cycle_rewards": ten, "makeup": {"window_days": 3, "per_month": 1, "x": 1}}),
    ] {
        let r = s
            .create_activity(&t, json!({"plugin": "check-in", "config": config}))
            .await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (422, "invalid_config"),
            "{config}: {r:?}"
        );
    }
    // The largest window and a plain config are accepted.
    activity(
        &s,
        &t,
        "Asia/Shanghai",
        json!({"cycle_rewards": ten, "makeup": {"window_days": 365, "per_month": 1}}),
    )
    .await;
}

async fn business_day_is_the_activity_time_zone(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let config = json!({"cycle_rewards": [{"points": 1}, {"points": 2}]});
    let sh = activity(&s, &t, "Asia/Shanghai", config.clone()).await;
    let ny = activity(&s, &t, "America/New_York", config).await;

    // 03:00 UTC: 11:00 on March 1st in Shanghai, 22:00 on February 28th in
    // New York.
    freeze(&s, "2026-03-01T03:00:00Z");
    assert_eq!(ok(&check_in(&s, &t, &sh, "u1").await)["day"], "2026-03-01");
    assert_eq!(ok(&check_in(&s, &t, &ny, "u1").await)["day"], "2026-02-28");
    let v = s.view(&t, &ny, "u1").await;
    assert_eq!(v["today"], "2026-02-28");
    assert_eq!(v["calendar"]["month"], "2026-02");
    assert_eq!(status(&v, "2026-02-28"), st("checked", None));
    let v = s.view(&t, &sh, "u1").await;
    assert_eq!(v["today"], "2026-03-01");
    assert_eq!(v["calendar"]["month"], "2026-03");
    assert_eq!(status(&v, "2026-03-01"), st("checked", None));

    // 06:00 UTC: still March 1st in Shanghai, now March 1st in New York.
    freeze(&s, "2026-03-01T06:00:00Z");
    refused(
        &check_in(&s, &t, &sh, "u1").await,
        409,
        "already_checked_in",
    );
    let r = check_in(&s, &t, &ny, "u1").await;
    assert_eq!(
        (&ok(&r)["day"], &ok(&r)["streak"]),
        (&json!("2026-03-01"), &json!(2))
    );

    // Shanghai's day ends at 16:00 UTC; New York's at 05:00 UTC (EST).
    freeze(&s, "2026-03-01T15:59:59.999Z");
    refused(
        &check_in(&s, &t, &sh, "u1").await,
        409,
        "already_checked_in",
    );
    freeze(&s, "2026-03-01T16:00:00Z");
    let r = check_in(&s, &t, &sh, "u1").await;
    assert_eq!(
        (&ok(&r)["day"], &ok(&r)["streak"]),
        (&json!("2026-03-02"), &json!(2))
    );
    refused(
        &check_in(&s, &t, &ny, "u1").await,
        409,
        "already_checked_in",
    );
    freeze(&s, "2026-03-02T04:59:59.999Z");
    refused(
        &check_in(&s, &t, &ny, "u1").await,
        409,
        "already_checked_in",
    );
    freeze(&s, "2026-03-02T05:00:00Z");
    let r = check_in(&s, &t, &ny, "u1").await;
    assert_eq!(
        (&ok(&r)["day"], &ok(&r)["streak"]),
        (&json!("2026-03-02"), &json!(3))
    );

    // After the switch to daylight saving time (March 8th), New York's day
    // starts at 04:00 UTC.
    freeze(&s, "2026-03-09T03:59:59Z");
    assert_eq!(s.view(&t, &ny, "u1").await["today"], "2026-03-08");
    freeze(&s, "2026-03-09T04:00:00Z");
    assert_eq!(s.view(&t, &ny, "u1").await["today"], "2026-03-09");
    assert_eq!(s.view(&t, &sh, "u1").await["today"], "2026-03-09");
}

async fn midnight_race_across_two_replicas(db: Db) {
    let a = Arc::new(Server::start(db.clone()).await);
    let b = Arc::new(Server::start(db).await);
    let t = a.tenant("t").await;
    let act = activity(
        &a,
        &t,
        "Asia/Shanghai",
        json!({"cycle_rewards": [{"points": 10}, {"points": 20}, {"points": 30}]}),
    )
    .await;

    // One replica a tenth of a second before local midnight, the other a
    // tenth of a second after: two business days.
    freeze(&a, "2026-01-01T23:59:59.900+08:00");
    freeze(&b, "2026-01-02T00:00:00.100+08:00");
    let users: Vec<String> = (0..8).map(|i| format!("m{i}")).collect();
    let calls = users.iter().flat_map(|u| {
        [a.clone(), b.clone()].map(|s| {
            let (t, act, u) = (t.clone(), act.clone(), u.clone());
            tokio::spawn(async move {
                let r = check_in(&s, &t, &act, &u).await;
                (u, r)
            })
        })
    });
    let replies: Vec<(String, Reply)> = join_all(calls)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    for u in &users {
        let mine: Vec<&Reply> = replies
            .iter()
            .filter(|(who, _)| who == u)
            .map(|(_, r)| r)
            .collect();
        assert_eq!(mine.len(), 2);
        let days: BTreeSet<String> = mine
            .iter()
            .map(|r| ok(r)["day"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            days,
            BTreeSet::from(["2026-01-01".to_owned(), "2026-01-02".to_owned()]),
            "{u}: {mine:?}"
        );
        let totals: BTreeSet<i64> = mine
            .iter()
            .map(|r| ok(r)["total"].as_i64().unwrap())
            .collect();
        assert_eq!(totals, BTreeSet::from([1, 2]), "{u}: {mine:?}");
        let v = b.view(&t, &act, u).await;
        assert_eq!((&v["streak"], &v["total"]), (&json!(2), &json!(2)), "{v}");
        assert_eq!(v["checked_in_today"], true);
    }

    // Both replicas in the same business day (at different instants): 20
    // concurrent check-ins of one user across both, exactly one wins.
    freeze(&a, "2026-01-03T08:00:00+08:00");
    freeze(&b, "2026-01-03T21:30:00+08:00");
    let before = points(&a, &t, "m0").await;
    let calls = (0..20).map(|i| {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        let (t, act) = (t.clone(), act.clone());
        tokio::spawn(async move { check_in(&s, &t, &act, "m0").await })
    });
    let replies: Vec<Reply> = join_all(calls)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let won: Vec<&Reply> = replies.iter().filter(|r| r.status == 200).collect();
    let refused_n = replies
        .iter()
        .filter(|r| r.status == 409 && r.code() == "already_checked_in")
        .count();
    assert_eq!(
        (won.len(), refused_n),
        (1, 19),
        "{:?}",
        replies
            .iter()
            .find(|r| r.status != 200 && r.code() != "already_checked_in")
    );
    let res = &won[0].body["result"];
    assert_eq!(res["day"], "2026-01-03");
    assert_eq!(
        (&res["streak"], &res["total"], &res["cycle_day"]),
        (&json!(3), &json!(3), &json!(3))
    );
    assert_eq!(points(&b, &t, "m0").await, before + 30);
    let outcomes = a.all_outcomes(&t, &act).await;
    let that_day = outcomes
        .iter()
        .filter(|o| {
            o["user_id"] == "m0" && o["action"] == "check_in" && o["result"]["day"] == "2026-01-03"
        })
        .count();
    assert_eq!(that_day, 1);
    let m0_all = outcomes.iter().filter(|o| o["user_id"] == "m0").count();
    assert_eq!(m0_all, 3);
    assert_eq!(outcomes.len(), 2 * users.len() + 1);
    let v = a.view(&t, &act, "m0").await;
    assert_eq!((&v["streak"], &v["total"]), (&json!(3), &json!(3)));
}

async fn concurrent_make_ups_across_replicas(db: Db) {
    let a = Arc::new(Server::start(db.clone()).await);
    let b = Arc::new(Server::start(db).await);
    let t = a.tenant("t").await;
    let act = activity(
        &a,
        &t,
        "Asia/Shanghai",
        json!({
            "cycle_rewards": [{"points": 10}],
            "makeup": {"window_days": 7, "per_month": 1, "cost_points": 10}
        }),
    )
    .await;
    // Checked on the 1st, 2nd, 4th and 6th: 40 points, the 3rd and 5th
    // missed.
    for day in ["01", "02", "04", "06"] {
        freeze(&a, &format!("2026-01-{day}T12:00:00+08:00"));
        ok(&check_in(&a, &t, &act, "u1").await);
    }
    assert_eq!(points(&a, &t, "u1").await, 40);
    freeze(&a, "2026-01-07T09:00:00+08:00");
    freeze(&b, "2026-01-07T22:00:00+08:00");
    let calls = (0..16).map(|i| {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        let day = if i % 4 < 2 {
            "2026-01-03"
        } else {
            "2026-01-05"
        };
        let (t, act) = (t.clone(), act.clone());
        tokio::spawn(async move { make_up(&s, &t, &act, "u1", day).await })
    });
    let replies: Vec<Reply> = join_all(calls)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let won = replies.iter().filter(|r| r.status == 200).count();
    let others_ok = replies
        .iter()
        .filter(|r| r.status != 200)
        .all(|r| r.status == 409 && ["makeup_limit_reached", "day_not_missed"].contains(&r.code()));
    assert_eq!(won, 1, "{replies:?}");
    assert!(others_ok, "{replies:?}");
    assert_eq!(points(&b, &t, "u1").await, 30);
    let v = b.view(&t, &act, "u1").await;
    assert_eq!(v["total"], 5, "{v}");
    assert_eq!(v["makeup"]["used_this_month"], 1);
    let made_up = ["2026-01-03", "2026-01-05"]
        .iter()
        .filter(|d| cal(&v, d)["status"] == "made_up")
        .count();
    assert_eq!(made_up, 1, "{v}");
    let outcomes = a.all_outcomes(&t, &act).await;
    assert_eq!(
        outcomes.iter().filter(|o| o["action"] == "make_up").count(),
        1
    );
}
