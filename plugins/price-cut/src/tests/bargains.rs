//! Starting, helping, completing and expiring bargains, and their limits.
use super::*;
use arcade_sdk::{ErrorKind, RewardKind};

#[test]
fn start_creates_an_open_bargain_with_a_timer() {
    let mut h = host(base());
    let out = h.handle::<PriceCut>("owner", "start", json!({})).unwrap();
    let id = out.result["bargain_id"].as_str().unwrap();
    assert_eq!(out.result["price_fen"], 10_000);
    assert_eq!(out.result["helps_left"], 3);
    assert_eq!(out.result["status"], "open");
    assert_eq!(out.result["time_left_ms"], 3_600_000);
    assert_eq!(out.events[0].kind, "bargain.started");
    assert_eq!(
        h.pending_timers(),
        [(format!("expire:{id}"), START_MS + 3_600_000)]
    );
    let err = h
        .handle::<PriceCut>("owner", "start", json!({"x": 1}))
        .unwrap_err();
    assert_eq!(err.code, "invalid_payload");
}

#[test]
fn completes_exactly_at_help_n_on_the_floor_price() {
    let mut h = host(base());
    let id = start(&mut h, "owner");
    let mut total = 0;
    for (n, helper) in ["a", "b", "c"].into_iter().enumerate() {
        let out = help(&mut h, helper, &id).unwrap();
        let cut = out.result["cut_fen"].as_u64().unwrap();
        assert!(cut >= 1);
        total += cut;
        assert_eq!(out.result["price_fen"], 10_000 - total);
        assert_eq!(out.result["helps_left"], 2 - n);
        if n < 2 {
            assert_eq!(out.result["status"], "open");
            assert!(out.rewards.is_empty() && out.events.is_empty());
        } else {
            assert_eq!(out.result["status"], "completed");
            assert_eq!(out.result["price_fen"], 100);
            assert_eq!(out.rewards.len(), 1);
            let r = &out.rewards[0];
            assert_eq!(
                (r.kind, r.item.as_str(), r.user_id.as_str()),
                (RewardKind::Prize, "kettle", "owner")
            );
            assert_eq!(out.events.len(), 1);
            assert_eq!(out.events[0].kind, "bargain.completed");
            assert_eq!(out.events[0].subject, id);
            assert_eq!(out.events[0].data["helpers"], json!(["a", "b", "c"]));
        }
    }
    assert_eq!(total, 9_900);
    assert!(
        h.pending_timers().is_empty(),
        "completion cancels the timer"
    );
    let err = help(&mut h, "d", &id).unwrap_err();
    assert_eq!(
        (err.kind, err.code.as_str()),
        (ErrorKind::Rejected, "bargain_closed")
    );
    let view = h.view::<PriceCut>("owner").unwrap();
    assert_eq!(view["bargains"][0]["status"], "completed");
    assert_eq!(view["bargains"][0]["price_fen"], 100);
    assert_eq!(view["bargains"][0]["cuts"].as_array().unwrap().len(), 3);
}

#[test]
fn help_errors() {
    let mut h = host(base());
    let id = start(&mut h, "owner");
    let err = help(&mut h, "a", "nope").unwrap_err();
    assert_eq!(
        (err.kind, err.code.as_str()),
        (ErrorKind::NotFound, "bargain_not_found")
    );
    let err = help(&mut h, "a", &"x".repeat(200)).unwrap_err();
    assert_eq!(err.code, "bargain_not_found");
    let err = h.handle::<PriceCut>("a", "help", json!({})).unwrap_err();
    assert_eq!(
        (err.kind, err.code.as_str()),
        (ErrorKind::InvalidInput, "invalid_payload")
    );
    let err = help(&mut h, "owner", &id).unwrap_err();
    assert_eq!(err.code, "cannot_help_own_bargain");
    help(&mut h, "a", &id).unwrap();
    let err = help(&mut h, "a", &id).unwrap_err();
    assert_eq!(err.code, "already_helped");
    let err = h.handle::<PriceCut>("a", "haggle", json!({})).unwrap_err();
    assert_eq!(err.code, "unknown_action");
}

#[test]
fn daily_help_limit_resets_on_the_next_business_day() {
    let mut h = host(with(base(), "time_limit_minutes", json!(3 * 24 * 60)));
    let ids: Vec<String> = (0..4).map(|i| start(&mut h, &format!("o{i}"))).collect();
    // 2026-01-01 15:59:59 UTC is 23:59:59 in UTC+8.
    h.set_now_ms(1_767_283_199_000);
    let out = help(&mut h, "a", &ids[0]).unwrap();
    assert_eq!(out.result["helps_left_today"], 1);
    help(&mut h, "a", &ids[1]).unwrap();
    let err = help(&mut h, "a", &ids[2]).unwrap_err();
    assert_eq!(err.code, "daily_help_limit_reached");
    assert_eq!(h.view::<PriceCut>("a").unwrap()["helps_left_today"], 0);
    h.set_now_ms(1_767_283_200_000);
    assert_eq!(h.view::<PriceCut>("a").unwrap()["helps_left_today"], 2);
    help(&mut h, "a", &ids[2]).unwrap();
    let view = h.view::<PriceCut>("a").unwrap();
    assert_eq!(view["helped"].as_array().unwrap().len(), 3);
    assert_eq!(view["helped"][0]["bargain_id"], ids[2].as_str());
}

#[test]
fn the_timer_expires_an_open_bargain() {
    let mut h = host(base());
    let id = start(&mut h, "owner");
    help(&mut h, "a", &id).unwrap();
    h.set_now_ms(START_MS + 3_600_000 - 1);
    assert!(h.fire_due_timers::<PriceCut>().is_empty());
    let view = h.view::<PriceCut>("owner").unwrap();
    assert_eq!(view["bargains"][0]["time_left_ms"], 1);
    h.set_now_ms(START_MS + 3_600_000);
    // Past the deadline a help is refused even before the timer fires.
    let err = help(&mut h, "b", &id).unwrap_err();
    assert_eq!(err.code, "bargain_closed");
    let fired = h.fire_due_timers::<PriceCut>();
    assert_eq!(fired.len(), 1);
    let out = fired[0].1.as_ref().unwrap();
    assert_eq!(out.result["expired"], true);
    assert_eq!(out.events[0].kind, "bargain.expired");
    assert_eq!(out.events[0].subject, id);
    assert_eq!(out.events[0].data["helps_left"], 2);
    assert!(out.rewards.is_empty());
    let view = h.view::<PriceCut>("owner").unwrap();
    assert_eq!(view["bargains"][0]["status"], "expired");
    assert_eq!(view["bargains"][0]["time_left_ms"], 0);
    // The owner may start again once the old bargain is closed.
    start(&mut h, "owner");
}

#[test]
fn one_open_bargain_at_a_time_and_per_user_limit() {
    let mut h = host(with(base(), "max_bargains_per_user", json!(2)));
    let id = start(&mut h, "owner");
    let err = h
        .handle::<PriceCut>("owner", "start", json!({}))
        .unwrap_err();
    assert_eq!(err.code, "bargain_in_progress");
    for helper in ["a", "b", "c"] {
        help(&mut h, helper, &id).unwrap();
    }
    start(&mut h, "owner");
    h.set_now_ms(START_MS + 3_600_000);
    h.fire_due_timers::<PriceCut>();
    let err = h
        .handle::<PriceCut>("owner", "start", json!({}))
        .unwrap_err();
    assert_eq!(err.code, "bargain_limit_reached");
    assert_eq!(h.view::<PriceCut>("owner").unwrap()["bargains_left"], 0);
}

#[test]
fn anyone_views_a_bargain_by_id_and_a_helper_sees_their_cut() {
    let mut h = host(base());
    let id = start(&mut h, "owner");
    let cut = help(&mut h, "friend", &id).unwrap().result["cut_fen"].clone();
    let shared = h
        .view_with::<PriceCut>(None, &[("bargain_id", &id)])
        .unwrap();
    assert_eq!(shared["bargain_id"], id.as_str());
    assert_eq!(shared["owner"], "owner");
    assert_eq!(shared["helps_left"], 2);
    assert_eq!(shared["cuts"].as_array().unwrap().len(), 1);
    assert!(shared.get("my_cut_fen").is_none(), "{shared}");
    let friend = h
        .view_with::<PriceCut>(Some("friend"), &[("bargain_id", &id)])
        .unwrap();
    assert_eq!(friend["my_cut_fen"], cut);
    assert_eq!(friend["is_owner"], false);
    let missing = h
        .view_with::<PriceCut>(Some("owner"), &[("bargain_id", "nope")])
        .unwrap_err();
    assert_eq!(missing.code, "bargain_not_found");
    assert_eq!(missing.kind, ErrorKind::NotFound);
}
