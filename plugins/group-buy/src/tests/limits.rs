//! Open-team limits, new members only, and bounded user state.
use super::*;
use arcade_sdk::ErrorKind;

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
    h.set_first_seen("leader", Some(START_MS - arcade_sdk::DAY_MS));
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
