//! A bargain's deadline: the timer `expire:<bargain_id>`, scheduled by
//! `start` and cancelled by the help that completes the bargain. When it
//! fires, a bargain still open expires. It touches only team scope.

use arcade_sdk::{Context, Error, Outcome, Timer, clock, json};

use crate::config::Config;
use crate::state::{Bargain, Status};

const PREFIX: &str = "expire:";

/// The name of bargain `id`'s expiry timer.
pub fn timer_name(id: &str) -> String {
    format!("{PREFIX}{id}")
}

/// Run a timer that has come due.
pub fn on_timer(_ctx: &Context<Config>, timer: &Timer) -> Result<Outcome, Error> {
    if timer.name.starts_with(PREFIX) {
        expire(timer)
    } else {
        Err(Error::invalid_input(
            "unknown_timer",
            format!("price-cut schedules no timer {:?}", timer.name),
        ))
    }
}

fn expire(timer: &Timer) -> Result<Outcome, Error> {
    let id = timer
        .name
        .strip_prefix(PREFIX)
        .or_else(|| timer.payload["bargain_id"].as_str())
        .unwrap_or_default();
    let now = clock::now_ms();
    let Some(mut bargain) = Bargain::load(id) else {
        return Ok(Outcome::new(json!({"bargain_id": id, "expired": false})));
    };
    if bargain.status != Status::Open {
        return Ok(Outcome::new(
            json!({"bargain_id": id, "expired": false, "status": bargain.status}),
        ));
    }
    bargain.status = Status::Expired;
    bargain.closed_ms = Some(now);
    bargain.save();
    Ok(
        Outcome::new(json!({"bargain_id": id, "expired": true, "status": bargain.status})).event(
            "bargain.expired",
            id,
            json!({
                "owner": bargain.owner,
                "item_id": bargain.item_id,
                "price_fen": bargain.price_fen,
                "helps_done": bargain.helps_done(),
                "helps_left": bargain.helps_left(),
                "deadline_ms": bargain.deadline_ms,
            }),
        ),
    )
}
