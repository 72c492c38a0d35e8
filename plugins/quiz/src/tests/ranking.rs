//! Best attempts, the speed bonus, the leaderboard and the close.
use super::*;
use arcade_sdk::RewardKind;

#[test]
fn the_best_attempt_counts_and_ties_go_to_the_earlier_finish() {
    let mut h = host(json!({
        "questions": bank(1),
        "questions_per_attempt": 1,
        "time_limit_seconds": 60,
        "attempts_per_user": 3,
        "closes_at_ms": CLOSES,
    }));
    // u1 answers right, slowly, first; u2 right, faster, but later.
    let (a1, q1) = start(&mut h, "u1");
    h.set_now_ms(T0 + 1_000);
    let (a2, q2) = start(&mut h, "u2");
    h.set_now_ms(T0 + 30_000);
    submit(&mut h, "u1", &a1, answers(&q1, 1)).unwrap();
    h.set_now_ms(T0 + 31_000);
    let out = submit(&mut h, "u2", &a2, answers(&q2, 1)).unwrap();
    assert_eq!(out.result["rank"], 2);
    // u3: same score, same finish time as u2, shorter elapsed: ahead of u2.
    h.set_now_ms(T0 + 21_000);
    let (a3, q3) = start(&mut h, "u3");
    h.set_now_ms(T0 + 31_000);
    submit(&mut h, "u3", &a3, answers(&q3, 1)).unwrap();
    // u2 does worse on a second attempt: the best one stays.
    let (a2b, q2b) = start(&mut h, "u2");
    let out = submit(&mut h, "u2", &a2b, answers(&q2b, 0)).unwrap();
    assert_eq!(out.result["best_score"], 1);
    let board = h.view::<Quiz>("u2").unwrap()["leaderboard"].clone();
    let users: Vec<_> = board
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["user_id"].clone())
        .collect();
    assert_eq!(users, [json!("u1"), json!("u3"), json!("u2")]);
    assert_eq!(h.view::<Quiz>("u2").unwrap()["rank"], 3);
    assert_eq!(h.view::<Quiz>("u2").unwrap()["attempts_left"], 1);
}

#[test]
fn the_speed_bonus_is_linear_in_time_left() {
    let mut c = config();
    c["speed_bonus"] = json!({"max_points": 30});
    let mut h = host(c);
    let (id, qs) = start(&mut h, "u1");
    h.set_now_ms(T0 + 20_000);
    let out = submit(&mut h, "u1", &id, answers(&qs, 3)).unwrap();
    let base: u64 = qs.iter().map(|q| points(q)).sum();
    assert_eq!(out.result["bonus"], 20);
    assert_eq!(out.result["score"], base + 20);
    // Nothing right, no bonus however fast.
    let (id, qs) = start(&mut h, "u2");
    let out = submit(&mut h, "u2", &id, answers(&qs, 0)).unwrap();
    assert_eq!(out.result["bonus"], 0);
    assert_eq!(out.result["score"], 0);
}

#[test]
fn closing_pays_rank_rewards_once_and_refuses_later_actions() {
    let mut h = host(config());
    let mut pending = None;
    for (n, user) in ["u1", "u2", "u3", "u4"].iter().enumerate() {
        let (id, qs) = start(&mut h, user);
        if n == 3 {
            pending = Some(id);
            continue;
        }
        // u1 gets all 3 right, u2 2, u3 1.
        submit(&mut h, user, &id, answers(&qs, 3 - n)).unwrap();
    }
    h.set_now_ms(CLOSES - 1);
    assert!(h.fire_due_timers::<Quiz>().is_empty());
    h.set_now_ms(CLOSES);
    let err = submit(&mut h, "u4", pending.as_deref().unwrap(), json!({})).unwrap_err();
    assert_eq!(err.code, "quiz_closed");
    let fired = h.fire_due_timers::<Quiz>();
    assert_eq!(fired.len(), 1);
    let out = fired[0].1.as_ref().unwrap();
    let got: Vec<_> = out
        .rewards
        .iter()
        .map(|r| (r.user_id.as_str(), r.kind, r.amount))
        .collect();
    assert_eq!(
        got,
        [
            ("u1", RewardKind::Points, 100),
            ("u2", RewardKind::Coupon, 500),
            ("u3", RewardKind::Coupon, 500)
        ]
    );
    assert_eq!(
        out.rewards[1].expires_ms,
        Some(CLOSES + 7 * arcade_sdk::DAY_MS)
    );
    assert_eq!(out.events.len(), 1);
    assert_eq!(out.events[0].kind, "quiz.finished");
    let ranking = out.events[0].data["ranking"].as_array().unwrap();
    assert_eq!(ranking.len(), 3);
    assert_eq!(ranking[0]["user_id"], "u1");
    assert_eq!(h.balance("u1", "points"), 100);

    // Fires once: nothing is left to fire.
    assert!(h.fire_due_timers::<Quiz>().is_empty());
    assert_eq!(h.balance("u1", "points"), 100);
    assert_eq!(
        h.handle::<Quiz>("u5", "start", json!({})).unwrap_err().code,
        "quiz_closed"
    );
    let view = h.view::<Quiz>("u1").unwrap();
    assert_eq!(view["closed"], true);
    assert_eq!(view["rank"], 1);
}

#[test]
fn a_close_with_nobody_ranked_grants_nothing() {
    let mut h = host(config());
    // Started but never submitted: not on the leaderboard.
    start(&mut h, "u1");
    h.set_now_ms(CLOSES + 5_000);
    let fired = h.fire_due_timers::<Quiz>();
    let out = fired[0].1.as_ref().unwrap();
    assert!(out.rewards.is_empty());
    assert_eq!(out.events[0].data["ranking"], json!([]));
    assert!(h.pending_timers().is_empty());
    let view = h.view::<Quiz>("u1").unwrap();
    assert!(view["current_attempt"].is_null());
    assert!(view["rank"].is_null());
}
