//! The actions and the expiry timer.

use arcade_sdk::{Context, Error, JsonSchema, Outcome, Reward, Timer, clock, json, random, timers};
use serde::Deserialize;

use crate::state::{self, Pool};
use crate::{Config, split};

/// The timer that ends the grabbing.
pub const EXPIRE: &str = "expire";

/// What users can do.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    tag = "name",
    content = "payload",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum Action {
    /// Grab one packet.
    Grab {},
}

/// `grab`: one random packet, once per user.
pub fn grab(ctx: &Context<Config>) -> Result<Outcome, Error> {
    let config = &ctx.config;
    if let Some(fen) = state::grabbed() {
        return Err(Error::rejected(
            "already_grabbed",
            format!("you already grabbed {fen} fen from this red packet"),
        ));
    }
    let (mut pool, first) = Pool::read(config);
    let past_expiry = config.expires_at_ms.is_some_and(|at| clock::now_ms() >= at);
    if pool.expired || past_expiry {
        return Err(Error::rejected("expired", "this red packet has expired"));
    }
    if pool.left == 0 {
        return Err(Error::rejected("sold_out", "every packet has been grabbed"));
    }
    if let (true, Some(at)) = (first, config.expires_at_ms) {
        timers::schedule(EXPIRE, at, &json!({}));
    }
    let amount = split::next_amount(pool.left, pool.fen_left, random::below);
    pool.left -= 1;
    pool.fen_left -= amount;
    pool.write();
    state::set_grabbed(amount);
    let mut outcome = Outcome::new(json!({
        "amount_fen": amount,
        "nth": config.count - pool.left,
        "left": pool.left,
    }))
    .reward(Reward::tickets(config.balance.as_str(), amount as i64))
    .event(
        "packet.grabbed",
        &ctx.user_id,
        json!({"amount_fen": amount}),
    );
    if pool.left == 0 {
        outcome = outcome.event("packet.emptied", "", json!({"count": config.count}));
    }
    Ok(outcome)
}

/// The `expire` timer: stop the grabbing, report what is left.
pub fn expire(ctx: &Context<Config>, timer: &Timer) -> Result<Outcome, Error> {
    if timer.name != EXPIRE {
        return Err(Error::rejected("unknown_timer", timer.name.clone()));
    }
    let (mut pool, _) = Pool::read(&ctx.config);
    pool.expired = true;
    pool.write();
    Ok(
        Outcome::new(json!({"left": pool.left, "fen_left": pool.fen_left})).event(
            "packet.expired",
            "",
            json!({"left": pool.left, "fen_left": pool.fen_left}),
        ),
    )
}
