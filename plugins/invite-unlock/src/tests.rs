use arcade_sdk::testing::MockHost;
use serde_json::json;

use super::InviteUnlock;

fn host(needed: u32) -> MockHost {
    let config = json!({"invites_needed": needed, "reward": {"points": 100}});
    let mut host = MockHost::new(&config.to_string());
    host.setup::<InviteUnlock>().expect("valid config");
    host
}

fn join(host: &mut MockHost, user: &str, code: Option<&str>) -> serde_json::Value {
    let payload = code.map_or(json!({}), |c| json!({"invite_code": c}));
    host.handle::<InviteUnlock>(user, "join", payload)
        .unwrap()
        .result
}

#[test]
fn the_needed_invitee_unlocks_the_reward_once() {
    let mut host = host(2);
    let code = join(&mut host, "a", None)["invite_code"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!code.is_empty() && code.chars().all(|c| c.is_ascii_alphanumeric()));
    join(&mut host, "b", Some(&code));
    assert_eq!(host.balance("a", "points"), 0);
    let third = host
        .handle::<InviteUnlock>("c", "join", json!({"invite_code": code}))
        .unwrap();
    assert_eq!(third.rewards.len(), 1);
    assert_eq!(third.rewards[0].user_id, "a");
    assert_eq!(host.balance("a", "points"), 100);
    join(&mut host, "d", Some(&code));
    assert_eq!(host.balance("a", "points"), 100, "unlocked once");
    let view = host.view::<InviteUnlock>("a").unwrap();
    assert_eq!(
        (view["invitees"].as_u64(), view["unlocked"].as_bool()),
        (Some(3), Some(true))
    );
}

#[test]
fn a_user_joins_once_and_codes_must_exist() {
    let mut host = host(2);
    join(&mut host, "a", None);
    let again = host
        .handle::<InviteUnlock>("a", "join", json!({}))
        .unwrap_err();
    assert_eq!(again.code, "already_joined");
    for bad in ["no-such-code", "0123456789abcdef0123456789abcdef"] {
        let e = host
            .handle::<InviteUnlock>("b", "join", json!({"invite_code": bad}))
            .unwrap_err();
        assert_eq!(e.code, "unknown_invite_code", "{bad}");
    }
}

#[test]
fn old_members_join_but_do_not_count() {
    let mut host = host(1);
    let code = join(&mut host, "a", None)["invite_code"]
        .as_str()
        .unwrap()
        .to_owned();
    host.set_first_seen("old", Some(1));
    let r = join(&mut host, "old", Some(&code));
    assert_eq!(r["counted"], false);
    assert_eq!(host.balance("a", "points"), 0);
}

#[test]
fn config_problems_name_their_fields() {
    let mut host = MockHost::new(r#"{"invites_needed": 0, "reward": {"points": -1}}"#);
    let errors = host.setup::<InviteUnlock>().unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["invites_needed", "reward.points"]);
}
