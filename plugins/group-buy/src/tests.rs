//! Unit tests against the SDK's mock host.
use super::*;
use arcade_sdk::testing::{MockHost, MockOutcome};
use arcade_sdk::{ErrorKind, RewardKind};

const START_MS: i64 = 1_767_225_600_000;

fn config(extra: serde_json::Value) -> serde_json::Value {
    let mut c = json!({
        "product": {"id": "tea", "name": "Milk tea", "original_price_fen": 2000, "deal_price_fen": 1200},
        "team_size": 3,
        "time_limit_minutes": 60,
        "max_open_teams_per_user": 2
    });
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

fn host(extra: serde_json::Value) -> MockHost {
    let mut host = MockHost::new(&config(extra).to_string());
    host.setup::<GroupBuy>().expect("valid config");
    host
}

fn open(h: &mut MockHost, user: &str) -> String {
    let out = h.handle::<GroupBuy>(user, "open", json!({})).unwrap();
    out.result["team_id"].as_str().unwrap().to_owned()
}

fn join(h: &mut MockHost, user: &str, team: &str) -> Result<MockOutcome, arcade_sdk::Error> {
    h.handle::<GroupBuy>(user, "join", json!({"team_id": team}))
}

fn config_error_fields(config: serde_json::Value) -> Vec<String> {
    let mut h = MockHost::new(&config.to_string());
    h.setup::<GroupBuy>()
        .unwrap_err()
        .into_iter()
        .map(|e| e.field)
        .collect()
}

#[test]
fn config_errors_name_the_field() {
    let mut bad =
        config(json!({"team_size": 1, "time_limit_minutes": 0, "max_open_teams_per_user": 0}));
    bad["product"]["deal_price_fen"] = json!(2000);
    bad["product"]["id"] = json!("");
    assert_eq!(
        config_error_fields(bad),
        [
            "product.id",
            "product.deal_price_fen",
            "team_size",
            "time_limit_minutes",
            "max_open_teams_per_user"
        ]
    );
    assert_eq!(
        config_error_fields(config(json!({"team_size": 101}))),
        ["team_size"]
    );
    assert_eq!(
        config_error_fields(config(
            json!({"product": {"id": "p", "name": "P", "original_price_fen": 0, "deal_price_fen": -1}})
        )),
        ["product.original_price_fen", "product.deal_price_fen"]
    );
    // Shape errors come from the parser, also naming the field.
    assert_eq!(
        config_error_fields(config(json!({"team_size": -3}))),
        ["team_size"]
    );
    assert_eq!(
        config_error_fields(config(json!({"colour": "red"}))),
        ["colour"]
    );
    let mut missing = config(json!({}));
    missing.as_object_mut().unwrap().remove("team_size");
    let mut h = MockHost::new(&missing.to_string());
    assert!(
        h.setup::<GroupBuy>().unwrap_err()[0]
            .message
            .contains("team_size")
    );
}

#[test]
fn reward_config_errors_name_the_field() {
    assert_eq!(
        config_error_fields(config(
            json!({"reward": {"kind": "points", "name": "Points"}})
        )),
        ["reward.amount"]
    );
    assert_eq!(
        config_error_fields(config(
            json!({"reward": {"kind": "coupon", "name": "Off", "valid_days": 0}})
        )),
        ["reward.id", "reward.valid_days"]
    );
    assert_eq!(
        config_error_fields(config(
            json!({"reward": {"kind": "points", "name": "P", "amount": 5, "valid_days": 3}})
        )),
        ["reward.valid_days"]
    );
    assert_eq!(
        config_error_fields(config(json!({"reward": {"kind": "gift", "name": "P"}}))),
        ["reward.kind"]
    );
}

#[test]
fn open_creates_a_team_led_by_the_user_with_a_deadline() {
    let mut h = host(json!({}));
    let out = h.handle::<GroupBuy>("u1", "open", json!({})).unwrap();
    let team = out.result["team_id"].as_str().unwrap().to_owned();
    assert!(!team.is_empty());
    assert_eq!(out.result["status"], "forming");
    assert_eq!(out.result["seats_left"], 2);
    assert_eq!(out.result["members"], 1);
    let deadline = START_MS + 60 * 60_000;
    assert_eq!(out.result["deadline_ms"], deadline);
    assert_eq!(h.pending_timers(), [(format!("deadline:{team}"), deadline)]);
    assert_eq!(out.events[0].kind, "team.opened");

    let view = h.view::<GroupBuy>("u1").unwrap();
    assert_eq!(view["teams"][0]["team_id"], team.as_str());
    assert_eq!(view["teams"][0]["is_leader"], true);
    assert_eq!(view["teams"][0]["time_left_ms"], 3_600_000);
    assert_eq!(view["product"]["discount_fen"], 800);
    assert_eq!(view["open_teams"], 1);
}

#[test]
fn open_payload_must_be_empty() {
    let mut h = host(json!({}));
    let err = h
        .handle::<GroupBuy>("u1", "open", json!({"x": 1}))
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidInput);
    assert_eq!(err.code, "invalid_payload");
    let err = h.handle::<GroupBuy>("u1", "join", json!({})).unwrap_err();
    assert_eq!(err.code, "invalid_payload");
    let err = h.handle::<GroupBuy>("u1", "leave", json!({})).unwrap_err();
    assert_eq!(err.code, "unknown_action");
}

#[test]
fn the_join_that_fills_the_team_succeeds_it_once_and_rewards_everyone() {
    let mut h = host(
        json!({"reward": {"kind": "coupon", "id": "tea-off", "name": "8 yuan off", "valid_days": 7}}),
    );
    let team = open(&mut h, "u1");
    let out = join(&mut h, "u2", &team).unwrap();
    assert_eq!(out.result["status"], "forming");
    assert_eq!(out.result["seats_left"], 1);
    assert!(out.rewards.is_empty());
    assert!(!out.events.iter().any(|e| e.kind == "team.succeeded"));

    h.set_now_ms(START_MS + 1000);
    let out = join(&mut h, "u3", &team).unwrap();
    assert_eq!(out.result["status"], "succeeded");
    assert_eq!(out.result["seats_left"], 0);
    assert_eq!(out.result["team_id"], team.as_str());
    let succeeded: Vec<_> = out
        .events
        .iter()
        .filter(|e| e.kind == "team.succeeded")
        .collect();
    assert_eq!(succeeded.len(), 1);
    assert_eq!(succeeded[0].subject, team);
    assert_eq!(succeeded[0].data["members"], json!(["u1", "u2", "u3"]));
    assert_eq!(succeeded[0].data["auto_filled"], false);
    let mut got: Vec<_> = out.rewards.iter().map(|r| r.user_id.as_str()).collect();
    got.sort();
    assert_eq!(got, ["u1", "u2", "u3"]);
    for r in &out.rewards {
        assert_eq!(r.kind, RewardKind::Coupon);
        assert_eq!(r.item, "tea-off");
        assert_eq!(r.amount, 800, "defaults to the discount");
        assert_eq!(r.expires_ms, Some(START_MS + 1000 + 7 * 86_400_000));
    }
    // The deadline timer is gone, so the team cannot also fail.
    assert!(h.pending_timers().is_empty());
    h.set_now_ms(START_MS + 2 * 3_600_000);
    assert!(h.fire_due_timers::<GroupBuy>().is_empty());

    let err = join(&mut h, "u4", &team).unwrap_err();
    assert_eq!(
        (err.kind, err.code.as_str()),
        (ErrorKind::Rejected, "team_full")
    );
    let view = h.view::<GroupBuy>("u2").unwrap();
    assert_eq!(view["teams"][0]["status"], "succeeded");
    assert_eq!(view["teams"][0]["is_leader"], false);
    assert_eq!(view["teams"][0]["time_left_ms"], 0);
}

#[test]
fn points_reward_is_credited_to_every_member() {
    let mut h =
        host(json!({"team_size": 2, "reward": {"kind": "points", "name": "Bonus", "amount": 50}}));
    let team = open(&mut h, "u1");
    join(&mut h, "u2", &team).unwrap();
    assert_eq!(h.balance("u1", "points"), 50);
    assert_eq!(h.balance("u2", "points"), 50);
}

#[test]
fn join_errors() {
    let mut h = host(json!({}));
    let err = join(&mut h, "u2", "no-such-team").unwrap_err();
    assert_eq!(
        (err.kind, err.code.as_str()),
        (ErrorKind::NotFound, "team_not_found")
    );
    let err = join(&mut h, "u2", &"x".repeat(65)).unwrap_err();
    assert_eq!(err.code, "team_not_found");

    let team = open(&mut h, "u1");
    let err = join(&mut h, "u1", &team).unwrap_err();
    assert_eq!(
        (err.kind, err.code.as_str()),
        (ErrorKind::Rejected, "already_in_team")
    );
    join(&mut h, "u2", &team).unwrap();
    let err = join(&mut h, "u2", &team).unwrap_err();
    assert_eq!(err.code, "already_in_team");
}

#[test]
fn a_team_past_its_deadline_fails_and_is_closed() {
    let mut h = host(json!({}));
    let team = open(&mut h, "u1");
    join(&mut h, "u2", &team).unwrap();
    let deadline = START_MS + 3_600_000;

    // At the deadline, before the worker fires the timer, joins are refused.
    h.set_now_ms(deadline);
    let err = join(&mut h, "u3", &team).unwrap_err();
    assert_eq!(err.code, "team_closed");

    let fired = h.fire_due_timers::<GroupBuy>();
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].0, format!("deadline:{team}"));
    let out = fired[0].1.as_ref().unwrap();
    assert_eq!(out.result["status"], "failed");
    assert_eq!(out.events.len(), 1);
    assert_eq!(out.events[0].kind, "team.failed");
    assert_eq!(out.events[0].subject, team);
    assert_eq!(out.events[0].data["members"], json!(["u1", "u2"]));
    assert!(out.rewards.is_empty());

    let err = join(&mut h, "u3", &team).unwrap_err();
    assert_eq!(
        (err.kind, err.code.as_str()),
        (ErrorKind::Rejected, "team_closed")
    );
    let view = h.view::<GroupBuy>("u1").unwrap();
    assert_eq!(view["teams"][0]["status"], "failed");
    assert_eq!(view["teams"][0]["seats_left"], 1);
    assert_eq!(view["open_teams"], 0);
}

#[test]
fn auto_fill_succeeds_a_short_team_at_the_deadline() {
    let mut h = host(json!({
        "team_size": 5,
        "auto_fill_at_deadline": true,
        "reward": {"kind": "points", "name": "Bonus", "amount": 10}
    }));
    let team = open(&mut h, "u1");
    join(&mut h, "u2", &team).unwrap();
    h.set_now_ms(START_MS + 3_600_000 - 1);
    assert!(h.fire_due_timers::<GroupBuy>().is_empty(), "not due yet");
    h.set_now_ms(START_MS + 3_600_000);
    let fired = h.fire_due_timers::<GroupBuy>();
    let out = fired[0].1.as_ref().unwrap();
    assert_eq!(out.result["status"], "succeeded");
    assert_eq!(out.result["seats_left"], 0);
    assert_eq!(out.events.len(), 1);
    assert_eq!(out.events[0].kind, "team.succeeded");
    assert_eq!(out.events[0].data["auto_filled"], true);
    assert_eq!(out.events[0].data["virtual_members"], 3);
    let mut got: Vec<_> = out.rewards.iter().map(|r| r.user_id.as_str()).collect();
    got.sort();
    assert_eq!(got, ["u1", "u2"], "only real members are rewarded");
    assert_eq!(h.balance("u2", "points"), 10);
    let err = join(&mut h, "u3", &team).unwrap_err();
    assert_eq!(err.code, "team_full");
    let view = h.view::<GroupBuy>("u1").unwrap();
    assert_eq!(view["teams"][0]["members"], 5);
    assert_eq!(view["teams"][0]["virtual_members"], 3);
}

#[test]
fn open_team_limit_counts_led_and_joined_teams_and_frees_up_when_they_close() {
    let mut h = host(json!({"team_size": 2}));
    let a = open(&mut h, "u1");
    let b = open(&mut h, "u2");
    join(&mut h, "u1", &b).unwrap(); // b succeeds at once: it is not open.
    let c = open(&mut h, "u3");
    join(&mut h, "u2", &a).unwrap(); // a succeeds.
    let d = open(&mut h, "u1");
    let e = open(&mut h, "u1");
    let err = h.handle::<GroupBuy>("u1", "open", json!({})).unwrap_err();
    assert_eq!(
        (err.kind, err.code.as_str()),
        (ErrorKind::Rejected, "too_many_open_teams")
    );
    let err = join(&mut h, "u1", &c).unwrap_err();
    assert_eq!(err.code, "too_many_open_teams");
    assert_eq!(h.view::<GroupBuy>("u1").unwrap()["can_open"], false);

    // A team filling frees a slot...
    join(&mut h, "u4", &d).unwrap();
    let f = open(&mut h, "u1");
    let err = join(&mut h, "u1", &c).unwrap_err();
    assert_eq!(err.code, "too_many_open_teams");
    // ...and so do teams failing at their deadline.
    h.set_now_ms(START_MS + 3_600_000);
    let fired: Vec<_> = h
        .fire_due_timers::<GroupBuy>()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(fired.len(), 3);
    for team in [&c, &e, &f] {
        assert!(fired.contains(&format!("deadline:{team}")));
    }
    open(&mut h, "u1");
    open(&mut h, "u1");
    let view = h.view::<GroupBuy>("u1").unwrap();
    assert_eq!(view["open_teams"], 2);
    assert_eq!(view["teams"].as_array().unwrap().len(), 7);
}

#[test]
fn joining_counts_toward_the_joiners_limit() {
    let mut h = host(json!({"max_open_teams_per_user": 1}));
    let a = open(&mut h, "u1");
    let b = open(&mut h, "u2");
    join(&mut h, "u3", &a).unwrap();
    let err = join(&mut h, "u3", &b).unwrap_err();
    assert_eq!(err.code, "too_many_open_teams");
    let err = h.handle::<GroupBuy>("u3", "open", json!({})).unwrap_err();
    assert_eq!(err.code, "too_many_open_teams");
}

#[test]
fn new_members_only_refuses_known_joiners_but_not_the_leader() {
    let mut h = host(json!({"new_members_only": true}));
    h.set_first_seen("leader", Some(START_MS - 86_400_000));
    h.set_first_seen("regular", Some(START_MS - 1000));
    let team = open(&mut h, "leader");
    let err = join(&mut h, "regular", &team).unwrap_err();
    assert_eq!(
        (err.kind, err.code.as_str()),
        (ErrorKind::Rejected, "new_members_only")
    );
    join(&mut h, "newbie", &team).unwrap();
    // Having joined, `newbie` is no longer new to the shop.
    let other = open(&mut h, "leader");
    let err = join(&mut h, "newbie", &other).unwrap_err();
    assert_eq!(err.code, "new_members_only");
}

#[test]
fn without_new_members_only_anyone_joins() {
    let mut h = host(json!({}));
    h.set_first_seen("regular", Some(START_MS - 1000));
    let team = open(&mut h, "u1");
    join(&mut h, "regular", &team).unwrap();
}

#[test]
fn a_refused_join_changes_nothing() {
    let mut h = host(json!({"max_open_teams_per_user": 1}));
    let a = open(&mut h, "u1");
    let b = open(&mut h, "u2");
    join(&mut h, "u3", &a).unwrap();
    join(&mut h, "u3", &b).unwrap_err();
    let view = h.view::<GroupBuy>("u2").unwrap();
    assert_eq!(view["teams"][0]["members"], 1);
    assert_eq!(
        h.view::<GroupBuy>("u3").unwrap()["teams"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn the_user_list_is_bounded() {
    let mut h = host(json!({"team_size": 2, "max_open_teams_per_user": 1}));
    for n in 0..(TEAMS_KEPT + 5) {
        let team = open(&mut h, "u1");
        join(&mut h, &format!("j{n}"), &team).unwrap();
    }
    let view = h.view::<GroupBuy>("u1").unwrap();
    assert_eq!(view["teams"].as_array().unwrap().len(), TEAMS_KEPT);
    assert_eq!(view["open_teams"], 0);
}

#[derive(Debug, Clone)]
enum Op {
    Open(u8),
    Join(u8, usize),
    Advance(u32),
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        3 => (0u8..8).prop_map(Op::Open),
        6 => (0u8..8, 0usize..64).prop_map(|(u, t)| Op::Join(u, t)),
        1 => (1u32..40).prop_map(Op::Advance),
    ]
}

proptest::proptest! {
    /// Whatever users do and whenever deadlines pass, no team has more
    /// members than its size, each team succeeds (or fails) at most once
    /// and never both, members are rewarded exactly once on success, and
    /// no user is ever in more open teams than allowed.
    #[test]
    fn teams_never_overfill_and_close_once(
        size in 2u32..5,
        k in 1u32..4,
        auto_fill in proptest::bool::ANY,
        new_only in proptest::bool::ANY,
        ops in proptest::collection::vec(op(), 1..80),
    ) {
        use std::collections::HashMap;
        let mut h = host(json!({
            "team_size": size,
            "time_limit_minutes": 30,
            "max_open_teams_per_user": k,
            "auto_fill_at_deadline": auto_fill,
            "new_members_only": new_only,
            "reward": {"kind": "points", "name": "Bonus", "amount": 1}
        }));
        let mut now = START_MS;
        let mut teams: Vec<String> = Vec::new();
        let mut closed: HashMap<String, u32> = HashMap::new();
        let mut rewarded: HashMap<String, u32> = HashMap::new();
        let record = |out: &MockOutcome, closed: &mut HashMap<String, u32>, rewarded: &mut HashMap<String, u32>| {
            for e in &out.events {
                if e.kind == "team.succeeded" || e.kind == "team.failed" {
                    *closed.entry(e.subject.clone()).or_default() += 1;
                }
            }
            for r in &out.rewards {
                *rewarded.entry(r.user_id.clone()).or_default() += 1;
            }
        };
        for op in ops {
            match op {
                Op::Open(u) => {
                    if let Ok(out) = h.handle::<GroupBuy>(&format!("u{u}"), "open", json!({})) {
                        teams.push(out.result["team_id"].as_str().unwrap().to_owned());
                        record(&out, &mut closed, &mut rewarded);
                    }
                }
                Op::Join(u, t) if !teams.is_empty() => {
                    let team = &teams[t % teams.len()];
                    if let Ok(out) = join(&mut h, &format!("u{u}"), team) {
                        proptest::prop_assert!(out.result["members"].as_u64().unwrap() <= u64::from(size));
                        record(&out, &mut closed, &mut rewarded);
                    }
                }
                Op::Join(..) => {}
                Op::Advance(minutes) => {
                    now += i64::from(minutes) * 60_000;
                    h.set_now_ms(now);
                    for (_, out) in h.fire_due_timers::<GroupBuy>() {
                        record(&out.unwrap(), &mut closed, &mut rewarded);
                    }
                }
            }
            for (team, n) in &closed {
                proptest::prop_assert!(*n <= 1, "team {} closed {} times", team, n);
            }
        }
        // Every user's view agrees: no team over size, open counts within K,
        // and each user was rewarded once per succeeded team they are in.
        for u in 0..8u8 {
            let user = format!("u{u}");
            let view = h.view::<GroupBuy>(&user).unwrap();
            proptest::prop_assert!(view["open_teams"].as_u64().unwrap() <= u64::from(k));
            let mut succeeded = 0;
            for t in view["teams"].as_array().unwrap() {
                proptest::prop_assert!(t["members"].as_u64().unwrap() <= u64::from(size));
                if t["status"] == "succeeded" {
                    succeeded += 1;
                    proptest::prop_assert_eq!(t["seats_left"].as_u64(), Some(0));
                }
            }
            proptest::prop_assert_eq!(rewarded.get(&user).copied().unwrap_or(0), succeeded);
            proptest::prop_assert_eq!(h.balance(&user, "points"), i64::from(succeeded));
        }
    }
}
