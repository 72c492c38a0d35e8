//! Invariants over random sequences of opens, joins and deadlines.
use super::*;

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
            "reward": {"points": 1}
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
