//! Opening and joining teams, success and its rewards.
use super::*;
use arcade_sdk::{ErrorKind, RewardKind};

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
        json!({"reward": {"coupon": {"id": "tea-off", "name": "8 yuan off", "value_fen": 800, "valid_days": 7}}}),
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
        assert_eq!(r.amount, 800);
        assert_eq!(r.expires_ms, Some(START_MS + 1000 + 7 * arcade_sdk::DAY_MS));
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
    let mut h = host(json!({"team_size": 2, "reward": {"points": 50}}));
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
fn anyone_views_a_team_by_id_and_a_viewer_sees_their_part() {
    let mut h = host(json!({}));
    let team = open(&mut h, "leader");
    join(&mut h, "friend", &team).unwrap();
    let shared = h
        .view_with::<GroupBuy>(None, &[("team_id", &team)])
        .unwrap();
    assert_eq!(shared["team_id"], team.as_str());
    assert_eq!(shared["member_ids"], json!(["leader", "friend"]));
    assert_eq!(shared["seats_left"], 1);
    assert_eq!(shared["product"]["deal_price_fen"], 1200);
    assert!(shared.get("is_member").is_none(), "{shared}");
    let stranger = h
        .view_with::<GroupBuy>(Some("stranger"), &[("team_id", &team)])
        .unwrap();
    assert_eq!(stranger["is_member"], false);
    assert_eq!(stranger["can_join"], true);
    let leader = h
        .view_with::<GroupBuy>(Some("leader"), &[("team_id", &team)])
        .unwrap();
    assert_eq!(leader["is_leader"], true);
    assert_eq!(leader["can_join"], false);
    let missing = h
        .view_with::<GroupBuy>(None, &[("team_id", "nope")])
        .unwrap_err();
    assert_eq!(missing.code, "team_not_found");
    assert_eq!(missing.kind, ErrorKind::NotFound);
    let anonymous = h.view_with::<GroupBuy>(None, &[]).unwrap_err();
    assert_eq!(anonymous.code, "viewer_required");
}
