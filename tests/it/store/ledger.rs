//! Balances and the reward ledger: credits, debits that may not overdraw,
//! and a prize's redemption state.

use std::sync::Arc;

use arcade_host::store::{RewardRow, Store, StoreError};
use uuid::Uuid;

use super::{
    NOW, T, action, activity_with, balance, credit, entry, event, prize, remaining, schedule, write,
};
use crate::support::Db;

both_stores!(
    balances_credit_and_debit,
    overdraft_applies_nothing,
    prize_redemption_state,
    concurrent_debits,
);

async fn balances_credit_and_debit(s: Arc<dyn Store>, _: Db) {
    let id = activity_with(&*s, &[]).await;
    let mut c = action(&id, "alice");
    c.balances = vec![
        credit("alice", "points", 10),
        credit("bob", "points", 4),
        credit("alice", "ticket", 2),
    ];
    s.commit(&c).await.unwrap();
    assert_eq!(
        s.balances(T, "alice").await.unwrap(),
        [("points".to_string(), 10), ("ticket".to_string(), 2)]
    );
    assert_eq!(balance(&*s, "bob", "points").await, Some(4));
    // Balances are per tenant.
    assert!(s.balances("other", "alice").await.unwrap().is_empty());

    let mut c = action(&id, "alice");
    c.balances = vec![credit("alice", "points", -4), credit("alice", "points", 1)];
    s.commit(&c).await.unwrap();
    assert_eq!(balance(&*s, "alice", "points").await, Some(7));

    // Debiting everything leaves a zero balance, not an error.
    let mut c = action(&id, "alice");
    c.balances = vec![credit("alice", "ticket", -2)];
    s.commit(&c).await.unwrap();
    assert_eq!(balance(&*s, "alice", "ticket").await, Some(0));
    assert_eq!(s.count_outcomes(&id).await.unwrap(), 3);
}

async fn overdraft_applies_nothing(s: Arc<dyn Store>, _: Db) {
    let id = activity_with(&*s, &[("gold", 3)]).await;
    let mut c = action(&id, "alice");
    c.balances = vec![credit("alice", "points", 5)];
    c.writes = vec![write("alice", "n", Some("1"), None)];
    s.commit(&c).await.unwrap();

    // Stock, another balance, state, a reward and an event would all
    // apply; the overdraft must undo them.
    for debit in [
        credit("alice", "points", -6),
        credit("carol", "points", -1),
        credit("alice", "missing", -1),
    ] {
        let mut c = action(&id, "alice");
        c.stock = vec![("gold".into(), -1)];
        c.balances = vec![credit("bob", "points", 3), debit.clone()];
        c.writes = vec![write("alice", "n", Some("2"), Some(1))];
        c.rewards = vec![prize("gold")];
        c.events = vec![event("draw.won", "alice")];
        c.timers = vec![schedule(&Uuid::now_v7().to_string(), "t", NOW)];
        assert!(
            matches!(s.commit(&c).await, Err(StoreError::Conflict)),
            "{debit:?}"
        );
        assert!(s.outcome(&c.outcome.id).await.unwrap().is_none());
    }
    assert_eq!(remaining(&*s, &id, "gold").await, 3);
    assert_eq!(
        entry(&*s, &id, "alice", "n").await,
        Some((Some("1".into()), 1))
    );
    assert_eq!(
        s.balances(T, "alice").await.unwrap(),
        [("points".to_string(), 5)]
    );
    assert!(s.balances(T, "bob").await.unwrap().is_empty());
    assert!(s.balances(T, "carol").await.unwrap().is_empty());
    assert!(s.rewards(&id).await.unwrap().is_empty());
    assert!(s.events(T, None, 10).await.unwrap().is_empty());
    assert!(s.pending_timers(&id).await.unwrap().is_empty());
    assert_eq!(s.count_outcomes(&id).await.unwrap(), 1);
}

async fn prize_redemption_state(s: Arc<dyn Store>, _: Db) {
    let id = activity_with(&*s, &[]).await;
    let coupon = RewardRow {
        user_id: "bob".into(),
        kind: "coupon".into(),
        item: "c10".into(),
        name: "10% off".into(),
        amount: 1,
        expires_at: Some(NOW + 1000),
        code: Some("ABC-123".into()),
    };
    let bob_prize = RewardRow {
        user_id: "bob".into(),
        ..prize("gold")
    };
    // Alice acts; bob is the beneficiary of both rewards.
    let mut c = action(&id, "alice");
    c.rewards = vec![bob_prize.clone(), coupon.clone()];
    s.commit(&c).await.unwrap();
    assert_eq!(
        s.rewards(&id).await.unwrap(),
        [bob_prize.clone(), coupon.clone()]
    );
    assert!(credits(&*s, T, "alice").await.is_empty());
    assert!(credits(&*s, "other", "bob").await.is_empty());

    let ledger = credits(&*s, T, "bob").await;
    assert_eq!(ledger.len(), 2);
    // Newest first, under distinct opaque ids.
    assert_ne!(ledger[0].id, ledger[1].id);
    assert_eq!(ledger[0].reward, coupon);
    assert_eq!(ledger[0].state, None);
    assert_eq!(ledger[1].reward, bob_prize);
    assert_eq!(ledger[1].state.as_deref(), Some("pending"));
    assert_eq!(
        (
            ledger[1].activity_id.as_str(),
            ledger[1].outcome_id.as_str(),
            ledger[1].created_at
        ),
        (id.as_str(), c.outcome.id.as_str(), NOW)
    );
    let prize_id = ledger[1].id.as_str();
    let coupon_id = ledger[0].id.as_str();

    // Not the tenant's or unknown: no such reward. Not a prize, or not
    // in `from`: refused.
    let state = |tenant: &'static str, id: &str, from: &'static str, to: &'static str, at| {
        let (s, id) = (s.clone(), id.to_owned());
        async move { s.set_reward_state(tenant, &id, from, to, at).await.unwrap() }
    };
    assert_eq!(
        state("other", prize_id, "pending", "redeemed", NOW).await,
        None
    );
    assert_eq!(state(T, "1", "pending", "redeemed", NOW).await, None);
    assert_eq!(
        state(T, coupon_id, "pending", "redeemed", NOW).await,
        Some(false)
    );
    assert_eq!(
        state(T, prize_id, "redeemed", "cancelled", NOW).await,
        Some(false)
    );
    assert_eq!(
        state(T, prize_id, "pending", "redeemed", NOW + 1).await,
        Some(true)
    );
    // Once only, and a redeemed prize stays redeemed.
    assert_eq!(
        state(T, prize_id, "pending", "redeemed", NOW + 2).await,
        Some(false)
    );
    assert_eq!(
        state(T, prize_id, "redeemed", "cancelled", NOW + 2).await,
        Some(false)
    );
    assert_eq!(
        state(T, prize_id, "pending", "cancelled", NOW + 2).await,
        Some(false)
    );
    let ledger = credits(&*s, T, "bob").await;
    assert_eq!(ledger[1].state.as_deref(), Some("redeemed"));
}

async fn concurrent_debits(s: Arc<dyn Store>, _: Db) {
    let id = activity_with(&*s, &[]).await;
    let mut c = action(&id, "alice");
    c.balances = vec![credit("alice", "points", 20)];
    s.commit(&c).await.unwrap();

    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let s = s.clone();
            let id = id.clone();
            tokio::spawn(async move {
                loop {
                    if balance(&*s, "alice", "points").await.unwrap_or(0) == 0 {
                        return false;
                    }
                    let mut c = action(&id, "alice");
                    c.balances = vec![credit("alice", "points", -1)];
                    match s.commit(&c).await {
                        Ok(()) => return true,
                        Err(StoreError::Conflict) => continue,
                        Err(e) => panic!("commit failed: {e}"),
                    }
                }
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 20);
    assert_eq!(balance(&*s, "alice", "points").await, Some(0));
    assert_eq!(s.count_outcomes(&id).await.unwrap(), 21);
}

/// A user's whole ledger of credits, newest first.
async fn credits(s: &dyn Store, tenant: &str, user: &str) -> Vec<arcade_host::store::LedgerEntry> {
    let query = arcade_host::store::LedgerQuery {
        debits: false,
        after: None,
        limit: 500,
    };
    s.user_ledger(tenant, user, &query)
        .await
        .unwrap()
        .into_iter()
        .map(|l| match l {
            arcade_host::store::LedgerLine::Credit(e) => e,
            other => panic!("a debit among credits: {other:?}"),
        })
        .collect()
}
