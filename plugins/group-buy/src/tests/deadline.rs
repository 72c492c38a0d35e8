//! The deadline timer: a short team fails, or is auto-filled.
use super::*;
use arcade_sdk::ErrorKind;

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
        "reward": {"points": 10}
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
