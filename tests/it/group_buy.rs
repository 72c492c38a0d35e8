//! Group-buy (拼团) over HTTP: the rules and every error code, the last
//! seat under concurrent joins, and deadline timers that come due while no
//! server is running.

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use serde_json::{Value, json};

use crate::both_backends;
use crate::harness::{Reply, Server, Tenant};
use crate::support::Db;

both_backends!(
    config_errors_name_the_field,
    rules_and_error_codes,
    anyone_views_a_team_by_its_id,
    new_members_only_admits_only_new_users,
    last_seat_goes_to_exactly_one_of_many_concurrent_joins,
    deadline_fails_team_after_restart,
    deadline_auto_fills_team_after_restart,
);

const MINUTE_MS: i64 = 60_000;

/// A valid config with `overrides` merged in at the top level.
fn config(overrides: Value) -> Value {
    let mut c = json!({
        "product": {"id": "latte-2", "name": "Two lattes", "original_price_fen": 6000, "deal_price_fen": 3990},
        "team_size": 3,
        "time_limit_minutes": 60,
        "max_open_teams_per_user": 2
    });
    for (k, v) in overrides.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

async fn open(s: &Server, t: &Tenant, activity: &str, user: &str) -> Reply {
    s.act_with(t, activity, user, "open", json!({})).await
}

/// Open a team and return its id; panics unless 200.
async fn open_team(s: &Server, t: &Tenant, activity: &str, user: &str) -> String {
    let r = open(s, t, activity, user).await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body["result"]["team_id"].as_str().unwrap().to_owned()
}

async fn join(s: &Server, t: &Tenant, activity: &str, user: &str, team: &str) -> Reply {
    s.act_with(t, activity, user, "join", json!({"team_id": team}))
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

/// The tenant's events of type `kind` about `subject`.
async fn events_of(s: &Server, t: &Tenant, kind: &str, subject: &str) -> Vec<Value> {
    s.all_events(t)
        .await
        .into_iter()
        .filter(|e| e["type"] == kind && e["subject"] == subject)
        .collect()
}

/// Wait up to 20 s for an event of type `kind` about `subject`; on timeout
/// fail with the activity's outcomes and the tenant's events.
async fn wait_for_event(s: &Server, t: &Tenant, activity: &str, kind: &str, subject: &str) {
    for _ in 0..400 {
        if !events_of(s, t, kind, subject).await.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "no {kind} event for {subject} after 20 s\noutcomes: {:#?}\nevents: {:#?}",
        s.all_outcomes(t, activity).await,
        s.all_events(t).await
    );
}

/// The outcomes of the deadline timer of `team`.
async fn deadline_outcomes(s: &Server, t: &Tenant, activity: &str, team: &str) -> Vec<Value> {
    let action = format!("timer:deadline:{team}");
    s.all_outcomes(t, activity)
        .await
        .into_iter()
        .filter(|o| o["action"] == action.as_str())
        .collect()
}

/// The summary of `team` in `user`'s view.
async fn team_in_view(s: &Server, t: &Tenant, activity: &str, user: &str, team: &str) -> Value {
    let view = s.view(t, activity, user).await;
    view["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["team_id"] == team)
        .cloned()
        .unwrap_or_else(|| panic!("team {team} not in {user}'s view: {view}"))
}

async fn config_errors_name_the_field(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let product = |original: i64, deal: i64| json!({"id": "p", "name": "P", "original_price_fen": original, "deal_price_fen": deal});
    let cases = [
        (
            json!({"product": product(100, 100)}),
            "product.deal_price_fen",
        ),
        (
            json!({"product": product(100, 200)}),
            "product.deal_price_fen",
        ),
        (
            json!({"product": product(100, -1)}),
            "product.deal_price_fen",
        ),
        (
            json!({"product": product(0, 0)}),
            "product.original_price_fen",
        ),
        (
            json!({"product": {"id": "", "name": "P", "original_price_fen": 2, "deal_price_fen": 1}}),
            "product.id",
        ),
        (
            json!({"product": {"id": "x".repeat(65), "name": "P", "original_price_fen": 2, "deal_price_fen": 1}}),
            "product.id",
        ),
        (
            json!({"product": {"id": "p", "name": "", "original_price_fen": 2, "deal_price_fen": 1}}),
            "product.name",
        ),
        (json!({"team_size": 1}), "team_size"),
        (json!({"team_size": 101}), "team_size"),
        (json!({"time_limit_minutes": 0}), "time_limit_minutes"),
        (json!({"time_limit_minutes": 43_201}), "time_limit_minutes"),
        (
            json!({"max_open_teams_per_user": 0}),
            "max_open_teams_per_user",
        ),
        (
            json!({"max_open_teams_per_user": 21}),
            "max_open_teams_per_user",
        ),
        (json!({"reward": {"points": 0}}), "reward.points"),
        (
            json!({"reward": {"coupon": {"id": "", "name": "Coupon", "value_fen": 100}}}),
            "reward.coupon.id",
        ),
        (
            json!({"reward": {"coupon": {"id": "c", "name": "Coupon", "value_fen": 0}}}),
            "reward.coupon.value_fen",
        ),
        (
            json!({"reward": {"coupon": {"id": "c", "name": "Coupon", "value_fen": 100, "valid_days": 0}}}),
            "reward.coupon.valid_days",
        ),
        (
            json!({"reward": {"coupon": {"id": "c", "name": "", "value_fen": 100}}}),
            "reward.coupon.name",
        ),
        (json!({"reward": {"points": 5, "valid_days": 3}}), "reward"),
    ];
    for (overrides, field) in cases {
        let body = json!({"plugin": "group-buy", "config": config(overrides.clone())});
        let r = s.create_activity(&t, body).await;
        assert_eq!(
            status_code(&r),
            (422, "invalid_config"),
            "{overrides}: {r:?}"
        );
        let details = r.body["error"]["details"].as_array().unwrap();
        assert!(
            details.iter().any(|d| d["field"] == field),
            "{overrides}: expected an error on {field}, got {r:?}"
        );
        assert!(
            r.body["error"]["message"].as_str().unwrap().contains(field),
            "{overrides}: message should name {field}: {r:?}"
        );
    }

    // Unknown fields are refused, at the top level and inside objects.
    let mut unknown = config(json!({}));
    unknown["bogus"] = json!(1);
    let r = s
        .create_activity(&t, json!({"plugin": "group-buy", "config": unknown}))
        .await;
    assert_eq!(status_code(&r), (422, "invalid_config"), "{r:?}");
    assert!(r.text.contains("bogus"), "{r:?}");
    let mut unknown = config(json!({}));
    unknown["product"]["colour"] = json!("red");
    let r = s
        .create_activity(&t, json!({"plugin": "group-buy", "config": unknown}))
        .await;
    assert_eq!(status_code(&r), (422, "invalid_config"), "{r:?}");
    assert!(r.text.contains("colour"), "{r:?}");
    // A required field missing.
    let mut missing = config(json!({}));
    missing.as_object_mut().unwrap().remove("team_size");
    let r = s
        .create_activity(&t, json!({"plugin": "group-buy", "config": missing}))
        .await;
    assert_eq!(status_code(&r), (422, "invalid_config"), "{r:?}");
    assert!(r.text.contains("team_size"), "{r:?}");

    // The limits themselves are accepted.
    for ok in [
        json!({"team_size": 2, "time_limit_minutes": 1, "max_open_teams_per_user": 1}),
        json!({"team_size": 100, "time_limit_minutes": 43_200, "max_open_teams_per_user": 20}),
        json!({"product": product(1, 0), "reward": {"points": 1}}),
    ] {
        let r = s
            .create_activity(
                &t,
                json!({"plugin": "group-buy", "config": config(ok.clone())}),
            )
            .await;
        assert_eq!(r.status, 201, "{ok}: {r:?}");
    }
}

async fn rules_and_error_codes(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let id = s
        .activity(&t, "group-buy", config(json!({"reward": {"points": 50}})))
        .await;

    // Open: the leader is the only member, with the whole time limit left.
    let before = s.arcade.now();
    let r = open(&s, &t, &id, "u1").await;
    let after = s.arcade.now();
    assert_eq!(r.status, 200, "{r:?}");
    let res = &r.body["result"];
    let team = res["team_id"].as_str().unwrap().to_owned();
    assert_eq!(team, r.body["outcome_id"].as_str().unwrap(), "{r:?}");
    assert_eq!(res["status"], "forming");
    assert_eq!(res["leader"], "u1");
    assert_eq!(res["members"], 1);
    assert_eq!(res["virtual_members"], 0);
    assert_eq!(res["team_size"], 3);
    assert_eq!(res["seats_left"], 2);
    let deadline = res["deadline_ms"].as_i64().unwrap();
    assert!(
        (before + 60 * MINUTE_MS..=after + 60 * MINUTE_MS).contains(&deadline),
        "{r:?}"
    );
    assert_eq!(res["time_left_ms"].as_i64().unwrap(), 60 * MINUTE_MS);
    assert_eq!(r.body["rewards"], json!([]));

    // Payload and action errors.
    let r = s
        .act_with(&t, &id, "u2", "join", json!({"team": team}))
        .await;
    assert_eq!(status_code(&r), (422, "invalid_payload"), "{r:?}");
    let r = s.act_with(&t, &id, "u2", "join", json!({})).await;
    assert_eq!(status_code(&r), (422, "invalid_payload"), "{r:?}");
    let r = s
        .act_with(&t, &id, "u2", "join", json!({"team_id": 7}))
        .await;
    assert_eq!(status_code(&r), (422, "invalid_payload"), "{r:?}");
    let r = s.act_with(&t, &id, "u2", "open", json!({"size": 9})).await;
    assert_eq!(status_code(&r), (422, "invalid_payload"), "{r:?}");
    let r = s.act_with(&t, &id, "u2", "leave", json!({})).await;
    assert_eq!(status_code(&r), (422, "unknown_action"), "{r:?}");

    // team_not_found: unknown ids, and a real team of another activity.
    for bad in ["no-such-team", "", &"x".repeat(65)] {
        let r = join(&s, &t, &id, "u2", bad).await;
        assert_eq!(status_code(&r), (404, "team_not_found"), "{bad:?}: {r:?}");
    }
    let other = s.activity(&t, "group-buy", config(json!({}))).await;
    let r = join(&s, &t, &other, "u2", &team).await;
    assert_eq!(status_code(&r), (404, "team_not_found"), "{r:?}");

    // already_in_team: the leader, then a member.
    let r = join(&s, &t, &id, "u1", &team).await;
    assert_eq!(status_code(&r), (409, "already_in_team"), "{r:?}");
    let r = join(&s, &t, &id, "u2", &team).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["result"]["status"], "forming");
    assert_eq!(r.body["result"]["members"], 2);
    assert_eq!(r.body["result"]["seats_left"], 1);
    assert_eq!(r.body["rewards"], json!([]));
    let r = join(&s, &t, &id, "u2", &team).await;
    assert_eq!(status_code(&r), (409, "already_in_team"), "{r:?}");

    // The view shows seats and time left, to the leader and to members.
    let v = s.view(&t, &id, "u1").await;
    assert_eq!(v["product"]["discount_fen"], 2010, "{v}");
    assert_eq!(v["team_size"], 3);
    assert_eq!(v["reward"]["amount"], 50);
    assert_eq!(v["open_teams"], 1);
    assert_eq!(v["can_open"], true);
    let mine = &v["teams"][0];
    assert_eq!(mine["team_id"], team.as_str(), "{v}");
    assert_eq!(mine["is_leader"], true);
    assert_eq!(mine["seats_left"], 1);
    assert_eq!(mine["members"], 2);
    let left = mine["time_left_ms"].as_i64().unwrap();
    assert!(left > 59 * MINUTE_MS && left <= 60 * MINUTE_MS, "{v}");
    let theirs = team_in_view(&s, &t, &id, "u2", &team).await;
    assert_eq!(theirs["is_leader"], false);
    assert_eq!(theirs["seats_left"], 1);
    let nobody = s.view(&t, &id, "u9").await;
    assert_eq!(nobody["teams"], json!([]));
    assert_eq!(nobody["open_teams"], 0);

    // too_many_open_teams (K = 2), for open and for join.
    let second = open_team(&s, &t, &id, "u1").await;
    let r = open(&s, &t, &id, "u1").await;
    assert_eq!(status_code(&r), (409, "too_many_open_teams"), "{r:?}");
    assert_eq!(s.view(&t, &id, "u1").await["can_open"], false);
    let u2_own = open_team(&s, &t, &id, "u2").await;
    let r = join(&s, &t, &id, "u2", &second).await;
    assert_eq!(status_code(&r), (409, "too_many_open_teams"), "{r:?}");

    // The last seat: the team succeeds at once and every member is paid.
    let r = join(&s, &t, &id, "u3", &team).await;
    assert_eq!(r.status, 200, "{r:?}");
    let res = &r.body["result"];
    assert_eq!(res["status"], "succeeded", "{r:?}");
    assert_eq!(res["members"], 3);
    assert_eq!(res["seats_left"], 0);
    assert_eq!(res["time_left_ms"], 0);
    let paid: Vec<_> = r.body["rewards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["user_id"].as_str().unwrap(),
                w["kind"].as_str().unwrap(),
                w["amount"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        paid,
        [
            ("u1", "points", 50),
            ("u2", "points", 50),
            ("u3", "points", 50)
        ]
    );
    for u in ["u1", "u2", "u3"] {
        assert_eq!(points(&s, &t, u).await, 50, "{u}");
        let ledger = rewards(&s, &t, u).await;
        assert_eq!(ledger.len(), 1, "{u}: {ledger:?}");
        assert_eq!(ledger[0]["kind"], "points");
        assert_eq!(ledger[0]["amount"], 50);
        assert_eq!(ledger[0]["activity_id"], id.as_str());
    }
    assert_eq!(points(&s, &t, "u4").await, 0);
    assert!(rewards(&s, &t, "u4").await.is_empty());

    // team_full, but already_in_team first for a member.
    let r = join(&s, &t, &id, "u4", &team).await;
    assert_eq!(status_code(&r), (409, "team_full"), "{r:?}");
    let r = join(&s, &t, &id, "u3", &team).await;
    assert_eq!(status_code(&r), (409, "already_in_team"), "{r:?}");

    // The succeeded team no longer counts against its members' limit.
    assert_eq!(s.view(&t, &id, "u1").await["open_teams"], 1);
    let r = join(&s, &t, &id, "u2", &second).await;
    assert_eq!(r.status, 200, "{r:?}");
    let closed = team_in_view(&s, &t, &id, "u3", &team).await;
    assert_eq!(closed["status"], "succeeded");
    assert_eq!(closed["seats_left"], 0);
    assert_eq!(closed["time_left_ms"], 0);

    // Events: opened once, joined twice, succeeded exactly once.
    assert_eq!(events_of(&s, &t, "team.opened", &team).await.len(), 1);
    let joined = events_of(&s, &t, "team.joined", &team).await;
    let joiners: Vec<_> = joined
        .iter()
        .map(|e| e["data"]["user_id"].clone())
        .collect();
    assert_eq!(joiners, [json!("u2"), json!("u3")]);
    let succeeded = events_of(&s, &t, "team.succeeded", &team).await;
    assert_eq!(succeeded.len(), 1, "{succeeded:?}");
    let data = &succeeded[0]["data"];
    assert_eq!(data["leader"], "u1");
    assert_eq!(data["members"], json!(["u1", "u2", "u3"]));
    assert_eq!(data["team_size"], 3);
    assert_eq!(data["virtual_members"], 0);
    assert_eq!(data["auto_filled"], false);
    assert_eq!(data["product_id"], "latte-2");
    assert_eq!(data["deal_price_fen"], 3990);
    assert_eq!(succeeded[0]["activity_id"], id.as_str());
    let granted: Vec<_> = s
        .all_events(&t)
        .await
        .into_iter()
        .filter(|e| e["type"] == "reward.granted")
        .map(|e| e["subject"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(granted, ["u1", "u2", "u3"]);
    // The success cancelled the deadline: an hour later nothing fires.
    s.arcade.advance_clock(61 * MINUTE_MS);
    s.eventually("the other teams fail", || async {
        events_of(&s, &t, "team.failed", &u2_own).await.len() == 1
    })
    .await;
    assert!(deadline_outcomes(&s, &t, &id, &team).await.is_empty());
    assert_eq!(events_of(&s, &t, "team.succeeded", &team).await.len(), 1);

    // team_closed: past the deadline.
    let r = join(&s, &t, &id, "u5", &second).await;
    assert_eq!(status_code(&r), (409, "team_closed"), "{r:?}");
    let r = join(&s, &t, &id, "u5", &u2_own).await;
    assert_eq!(status_code(&r), (409, "team_closed"), "{r:?}");
    // Nothing rejected reached the outcome log: 3 opens and 3 joins.
    let actions: Vec<_> = s
        .all_outcomes(&t, &id)
        .await
        .into_iter()
        .filter(|o| !o["action"].as_str().unwrap().starts_with("timer:"))
        .collect();
    assert_eq!(actions.len(), 6, "{actions:?}");
}

async fn new_members_only_admits_only_new_users(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    // u-old has an outcome in another activity of the tenant.
    let elsewhere = s.activity(&t, "group-buy", config(json!({}))).await;
    open_team(&s, &t, &elsewhere, "old").await;
    let id = s
        .activity(
            &t,
            "group-buy",
            config(json!({
                "team_size": 2,
                "new_members_only": true,
                "reward": {"coupon": {"id": "latte-off", "name": "Deal coupon", "value_fen": 2010, "valid_days": 7}}
            })),
        )
        .await;
    // The leader need not be new.
    let team = open_team(&s, &t, &id, "old").await;
    let r = join(&s, &t, &id, "leader2", &team).await;
    assert_eq!(r.status, 200, "leader2 is new: {r:?}");
    // leader2 is no longer new: a rejected call would not change that,
    // but this success does.
    let team2 = open_team(&s, &t, &id, "leader3").await;
    let r = join(&s, &t, &id, "leader2", &team2).await;
    assert_eq!(status_code(&r), (409, "new_members_only"), "{r:?}");
    let r = join(&s, &t, &id, "old", &team2).await;
    assert_eq!(status_code(&r), (409, "new_members_only"), "{r:?}");
    // A user whose only calls were refused is still new.
    let r = join(&s, &t, &id, "fresh", "no-such-team").await;
    assert_eq!(status_code(&r), (404, "team_not_found"));
    let before = s.arcade.now();
    let r = join(&s, &t, &id, "fresh", &team2).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["result"]["status"], "succeeded");

    // Coupons worth the discount, expiring in 7 days.
    for u in ["leader3", "fresh"] {
        let ledger = rewards(&s, &t, u).await;
        assert_eq!(ledger.len(), 1, "{u}: {ledger:?}");
        let c = &ledger[0];
        assert_eq!(c["kind"], "coupon");
        assert_eq!(c["item"], "latte-off");
        assert_eq!(c["amount"], 2010);
        assert!(c["code"].as_str().is_some_and(|x| !x.is_empty()), "{c}");
        let expires = chrono::DateTime::parse_from_rfc3339(c["expires_at"].as_str().unwrap())
            .unwrap()
            .timestamp_millis();
        assert!(
            (before + 7 * 86_400_000..=s.arcade.now() + 7 * 86_400_000).contains(&expires),
            "{c}"
        );
        assert_eq!(points(&s, &t, u).await, 0);
    }
    assert_eq!(events_of(&s, &t, "team.succeeded", &team2).await.len(), 1);
}

async fn last_seat_goes_to_exactly_one_of_many_concurrent_joins(db: Db) {
    let s = Arc::new(Server::start(db).await);
    let t = s.tenant("t").await;
    let id = s
        .activity(
            &t,
            "group-buy",
            config(json!({
                "max_open_teams_per_user": 20,
                "reward": {"points": 7}
            })),
        )
        .await;
    for round in 0..3 {
        let leader = format!("lead{round}");
        let team = open_team(&s, &t, &id, &leader).await;
        let r = join(&s, &t, &id, &format!("second{round}"), &team).await;
        assert_eq!(r.body["result"]["seats_left"], 1, "{r:?}");

        let racers: Vec<String> = (0..20).map(|i| format!("r{round}-{i}")).collect();
        let joins = racers.iter().map(|u| {
            let (s, t, id, team, u) = (s.clone(), t.clone(), id.clone(), team.clone(), u.clone());
            tokio::spawn(async move {
                // A call cut off by the sandbox's wall-clock limit commits
                // nothing; a client retries it (this box may be loaded).
                let mut timeouts = 0;
                loop {
                    let r = join(&s, &t, &id, &u, &team).await;
                    if r.code() != "plugin_timeout" || timeouts == 5 {
                        return r;
                    }
                    timeouts += 1;
                }
            })
        });
        let replies: Vec<Reply> = join_all(joins)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let winners: Vec<_> = racers
            .iter()
            .zip(&replies)
            .filter(|(_, r)| r.status == 200)
            .map(|(u, _)| u.clone())
            .collect();
        assert_eq!(winners.len(), 1, "{replies:?}");
        // A team that is full answers team_full (checked before closed).
        for r in replies.iter().filter(|r| r.status != 200) {
            assert_eq!(status_code(r), (409, "team_full"), "{r:?}");
        }
        let winner = &winners[0];

        let summary = team_in_view(&s, &t, &id, &leader, &team).await;
        assert_eq!(summary["status"], "succeeded", "{summary}");
        assert_eq!(summary["members"], 3);
        assert_eq!(summary["seats_left"], 0);
        let succeeded = events_of(&s, &t, "team.succeeded", &team).await;
        assert_eq!(succeeded.len(), 1, "{succeeded:?}");
        assert_eq!(
            succeeded[0]["data"]["members"],
            json!([leader, format!("second{round}"), winner])
        );
        assert_eq!(events_of(&s, &t, "team.joined", &team).await.len(), 2);
        for u in [&leader, &format!("second{round}"), winner] {
            assert_eq!(points(&s, &t, u).await, 7, "{u}");
        }
        for u in racers.iter().filter(|u| *u != winner) {
            assert_eq!(points(&s, &t, u).await, 0, "{u}");
            assert!(s.view(&t, &id, u).await["teams"] == json!([]), "{u}");
        }
        assert_eq!(s.all_outcomes(&t, &id).await.len(), 3 * (round + 1));
    }
}

async fn deadline_fails_team_after_restart(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let id = s
        .activity(
            &t,
            "group-buy",
            config(json!({
                "time_limit_minutes": 1,
                "reward": {"points": 5}
            })),
        )
        .await;
    let failing = open_team(&s, &t, &id, "u1").await;
    assert_eq!(join(&s, &t, &id, "u2", &failing).await.status, 200);
    // A team that fills up before the deadline: its timer is cancelled.
    let full = open_team(&s, &t, &id, "v1").await;
    assert_eq!(join(&s, &t, &id, "v2", &full).await.status, 200);
    assert_eq!(join(&s, &t, &id, "v3", &full).await.status, 200);

    // The server goes down and comes back after the deadline.
    let s = s.restart(2 * MINUTE_MS).await;
    wait_for_event(&s, &t, &id, "team.failed", &failing).await;
    tokio::time::sleep(Duration::from_secs(1)).await;

    let failed = events_of(&s, &t, "team.failed", &failing).await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    let data = &failed[0]["data"];
    assert_eq!(data["leader"], "u1");
    assert_eq!(data["members"], json!(["u1", "u2"]));
    assert_eq!(data["team_size"], 3);
    assert_eq!(data["seats_left"], 1);
    assert_eq!(data["product_id"], "latte-2");
    let fired = deadline_outcomes(&s, &t, &id, &failing).await;
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert_eq!(fired[0]["result"]["status"], "failed", "{fired:?}");
    assert_eq!(fired[0]["user_id"], "");
    assert!(
        events_of(&s, &t, "team.succeeded", &failing)
            .await
            .is_empty()
    );
    assert_eq!(points(&s, &t, "u1").await, 0);
    assert_eq!(points(&s, &t, "u2").await, 0);

    // The filled team's timer never fires, and it succeeded once.
    assert!(deadline_outcomes(&s, &t, &id, &full).await.is_empty());
    assert!(events_of(&s, &t, "team.failed", &full).await.is_empty());
    assert_eq!(events_of(&s, &t, "team.succeeded", &full).await.len(), 1);
    assert_eq!(points(&s, &t, "v3").await, 5);

    let r = join(&s, &t, &id, "u3", &failing).await;
    assert_eq!(status_code(&r), (409, "team_closed"), "{r:?}");
    let summary = team_in_view(&s, &t, &id, "u1", &failing).await;
    assert_eq!(summary["status"], "failed", "{summary}");
    assert_eq!(summary["time_left_ms"], 0);
    assert_eq!(summary["seats_left"], 1);
    let v = s.view(&t, &id, "u1").await;
    assert_eq!(v["open_teams"], 0, "{v}");
    assert_eq!(v["can_open"], true);
    // Still exactly one firing after another restart.
    let s = s.restart(3 * MINUTE_MS).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(deadline_outcomes(&s, &t, &id, &failing).await.len(), 1);
    assert_eq!(events_of(&s, &t, "team.failed", &failing).await.len(), 1);
}

async fn deadline_auto_fills_team_after_restart(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let id = s
        .activity(
            &t,
            "group-buy",
            config(json!({
                "team_size": 4,
                "time_limit_minutes": 1,
                "auto_fill_at_deadline": true,
                "reward": {"points": 10}
            })),
        )
        .await;
    let team = open_team(&s, &t, &id, "u1").await;
    assert_eq!(join(&s, &t, &id, "u2", &team).await.status, 200);
    let alone = open_team(&s, &t, &id, "solo").await;

    let s = s.restart(2 * MINUTE_MS).await;
    wait_for_event(&s, &t, &id, "team.succeeded", &team).await;
    wait_for_event(&s, &t, &id, "team.succeeded", &alone).await;
    tokio::time::sleep(Duration::from_secs(1)).await;

    let succeeded = events_of(&s, &t, "team.succeeded", &team).await;
    assert_eq!(succeeded.len(), 1, "{succeeded:?}");
    let data = &succeeded[0]["data"];
    assert_eq!(data["auto_filled"], true);
    assert_eq!(data["virtual_members"], 2);
    assert_eq!(data["members"], json!(["u1", "u2"]));
    assert_eq!(data["team_size"], 4);
    let solo = events_of(&s, &t, "team.succeeded", &alone).await;
    assert_eq!(solo.len(), 1, "{solo:?}");
    assert_eq!(solo[0]["data"]["virtual_members"], 3);
    assert_eq!(solo[0]["data"]["members"], json!(["solo"]));
    assert!(events_of(&s, &t, "team.failed", &team).await.is_empty());
    assert_eq!(deadline_outcomes(&s, &t, &id, &team).await.len(), 1);
    assert_eq!(deadline_outcomes(&s, &t, &id, &alone).await.len(), 1);

    // Only real members are rewarded, once each.
    for u in ["u1", "u2", "solo"] {
        assert_eq!(points(&s, &t, u).await, 10, "{u}");
        assert_eq!(rewards(&s, &t, u).await.len(), 1, "{u}");
    }
    let granted = s
        .all_events(&t)
        .await
        .into_iter()
        .filter(|e| e["type"] == "reward.granted")
        .count();
    assert_eq!(granted, 3);

    // Virtual members take the seats.
    let r = join(&s, &t, &id, "u3", &team).await;
    assert_eq!(status_code(&r), (409, "team_full"), "{r:?}");
    let summary = team_in_view(&s, &t, &id, "u2", &team).await;
    assert_eq!(summary["status"], "succeeded", "{summary}");
    assert_eq!(summary["members"], 4);
    assert_eq!(summary["virtual_members"], 2);
    assert_eq!(summary["seats_left"], 0);
    assert_eq!(summary["time_left_ms"], 0);
}

/// The page a leader shares: `GET .../view?team_id=` for anyone, no
/// user id needed; a user id adds the viewer's part.
async fn anyone_views_a_team_by_its_id(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let id = s.activity(&t, "group-buy", config(json!({}))).await;
    let team = open_team(&s, &t, &id, "leader").await;
    assert_eq!(join(&s, &t, &id, "friend", &team).await.status, 200);

    let shared = s
        .get(
            &t.platform,
            &format!("/v1/activities/{id}/view?team_id={team}"),
        )
        .await;
    assert_eq!(shared.status, 200, "{shared:?}");
    assert_eq!(shared.body["team_id"], team.as_str());
    assert_eq!(shared.body["member_ids"], json!(["leader", "friend"]));
    assert_eq!(shared.body["seats_left"], 1);
    assert_eq!(shared.body["product"]["deal_price_fen"], 3990);
    assert!(shared.body.get("is_member").is_none(), "{shared:?}");

    let stranger = s
        .get(
            &t.platform,
            &format!("/v1/activities/{id}/view?team_id={team}&user_id=stranger"),
        )
        .await;
    assert_eq!(stranger.status, 200, "{stranger:?}");
    assert_eq!(stranger.body["can_join"], true);

    let missing = s
        .get(
            &t.platform,
            &format!("/v1/activities/{id}/view?team_id=nope"),
        )
        .await;
    assert_eq!(
        status_code(&missing),
        (404, "team_not_found"),
        "{missing:?}"
    );
    let nobody = s
        .get(&t.platform, &format!("/v1/activities/{id}/view"))
        .await;
    assert_eq!(status_code(&nobody), (422, "viewer_required"), "{nobody:?}");
}
