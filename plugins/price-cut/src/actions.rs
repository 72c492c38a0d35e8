//! The actions, one function each, and the one place that dispatches them.

use arcade_sdk::{
    Context, Error, JsonSchema, Outcome, Reward, Value, clock, json, member, random, stock, timers,
};
use serde::Deserialize;

use crate::config::Config;
use crate::cut::{next_cut, owner_cut};
use crate::expiry;
use crate::state::{Bargain, Cut, Status, UserRecord};

const MINUTE_MS: i64 = 60_000;

/// What users can do: one variant per action, its doc comment the
/// action's summary; the manifest's action list and payload schemas come
/// from this type.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(tag = "name", content = "payload", deny_unknown_fields)]
pub enum Action {
    /// Start a bargain on the item; its id is returned as `bargain_id`.
    #[serde(rename = "start")]
    Start(Start),
    /// Help cut the price of a friend's bargain.
    #[serde(rename = "help")]
    Help(Help),
}

/// Run `action` for `ctx.user_id`.
pub fn handle(ctx: &Context<Config>, action: Action) -> Result<Outcome, Error> {
    match action {
        Action::Start(p) => start(ctx, p),
        Action::Help(p) => help(ctx, p),
    }
}

/// The `start` payload: an empty object.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Start {}

/// The `help` payload.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Help {
    /// The bargain to help.
    pub bargain_id: String,
}

fn host_below(n: u64) -> u64 {
    random::below(n)
}

/// Start a bargain owned by the acting user, named by the call id, with
/// the owner's first cut if configured and its expiry timer.
pub fn start(ctx: &Context<Config>, Start {}: Start) -> Result<Outcome, Error> {
    let config = &ctx.config;
    let now = clock::now_ms();
    let mut rec = UserRecord::load(&clock::today().to_string());

    if let Some(limit) = config.max_bargains_per_user
        && rec.started >= limit
    {
        return Err(Error::rejected(
            "bargain_limit_reached",
            format!("you have started all {limit} bargains this activity allows"),
        ));
    }
    if let Some(open) = rec
        .owned
        .iter()
        .filter_map(|id| Bargain::load(id))
        .find(|b| b.status_at(now) == Status::Open)
    {
        return Err(Error::rejected(
            "bargain_in_progress",
            format!("your bargain {} is still open", open.id),
        ));
    }
    if config.stock.is_some() && stock::available(&config.item.id).unwrap_or(0) == 0 {
        return Err(Error::rejected(
            "sold_out",
            format!("{} is sold out", config.item.name),
        ));
    }

    let item = &config.item;
    let mut cuts = Vec::new();
    if let Some(first) = &config.owner_first_cut {
        let amount = owner_cut(
            config.reduction_fen(),
            config.helpers_needed,
            first.min_percent,
            first.max_percent,
            &mut host_below,
        );
        cuts.push(Cut {
            user: ctx.user_id.clone(),
            amount_fen: amount,
            at_ms: now,
            owner: true,
            new_member: false,
        });
    }
    let owner_cut_fen = cuts.first().map_or(0, |c| c.amount_fen);
    let bargain = Bargain {
        id: ctx.call_id.clone(),
        owner: ctx.user_id.clone(),
        item_id: item.id.clone(),
        original_price_fen: item.original_price_fen,
        floor_price_fen: item.floor_price_fen,
        price_fen: item.original_price_fen - owner_cut_fen,
        helps_needed: config.helpers_needed,
        created_ms: now,
        deadline_ms: now + i64::from(config.time_limit_minutes) * MINUTE_MS,
        status: Status::Open,
        closed_ms: None,
        cuts,
    };
    bargain.save();
    timers::schedule(
        &expiry::timer_name(&bargain.id),
        bargain.deadline_ms,
        &json!({"bargain_id": bargain.id}),
    );
    rec.started += 1;
    rec.add_owned(&bargain.id);
    rec.save();

    let mut result = bargain.to_json(now);
    result["owner_cut_fen"] = json!(owner_cut_fen);
    Ok(Outcome::new(result).event(
        "bargain.started",
        &bargain.id,
        json!({
            "owner": bargain.owner,
            "item_id": bargain.item_id,
            "original_price_fen": bargain.original_price_fen,
            "price_fen": bargain.price_fen,
            "deadline_ms": bargain.deadline_ms,
        }),
    ))
}

/// Cut the price of another user's bargain; the last help needed lands on
/// the floor price and grants the owner the item.
pub fn help(ctx: &Context<Config>, Help { bargain_id }: Help) -> Result<Outcome, Error> {
    let config = &ctx.config;
    let now = clock::now_ms();
    let Some(mut bargain) = Bargain::load(&bargain_id) else {
        return Err(Error::not_found(
            "bargain_not_found",
            format!("no bargain {bargain_id:?} in this activity"),
        ));
    };
    if bargain.owner == ctx.user_id {
        return Err(Error::rejected(
            "cannot_help_own_bargain",
            "share the bargain with friends: the owner cannot help it",
        ));
    }
    let status = bargain.status_at(now);
    if status != Status::Open {
        return Err(Error::rejected(
            "bargain_closed",
            format!("this bargain is {}", status.name()),
        ));
    }
    if bargain
        .cuts
        .iter()
        .any(|c| !c.owner && c.user == ctx.user_id)
    {
        return Err(Error::rejected(
            "already_helped",
            "you have already helped this bargain",
        ));
    }
    let today = clock::today().to_string();
    let mut rec = UserRecord::load(&today);
    if rec.helps_left_today(config) == 0 {
        return Err(Error::rejected(
            "daily_help_limit_reached",
            format!(
                "you have helped {} bargains on {today}, the daily limit",
                config.max_helps_per_day
            ),
        ));
    }

    let bonus = config
        .new_member_bonus
        .as_ref()
        .filter(|_| member::is_new());
    let double = bonus.is_some_and(|b| b.double_cut);
    let remaining = bargain.price_fen - bargain.floor_price_fen;
    let amount = next_cut(remaining, bargain.helps_left(), double, &mut host_below);
    bargain.price_fen -= amount;
    bargain.cuts.push(Cut {
        user: ctx.user_id.clone(),
        amount_fen: amount,
        at_ms: now,
        owner: false,
        new_member: bonus.is_some(),
    });

    let completed = bargain.helps_left() == 0;
    debug_assert_eq!(completed, bargain.price_fen == bargain.floor_price_fen);

    let mut outcome = Outcome::new(Value::Null);
    if completed {
        outcome = complete(config, &mut bargain, now, outcome)?;
    }
    let mut bonus_result = Value::Null;
    if let Some(b) = bonus {
        outcome = outcome.reward(b.reward.reward(now));
        bonus_result = b.reward.describe();
        bonus_result["double_cut"] = json!(double);
    }
    bargain.save();
    rec.helps_today += 1;
    rec.add_helped(&bargain.id);
    rec.save();

    outcome.result = json!({
        "bargain_id": bargain.id,
        "cut_fen": amount,
        "price_fen": bargain.price_fen,
        "floor_price_fen": bargain.floor_price_fen,
        "helps_left": bargain.helps_left(),
        "status": bargain.status,
        "new_member_bonus": bonus_result,
        "helps_left_today": rec.helps_left_today(config),
    });
    Ok(outcome)
}

/// Complete a bargain on the floor price: claim a unit of stock (refusing
/// the help if none is left), stop the expiry timer, grant the owner the
/// item and record `bargain.completed`.
fn complete(
    config: &Config,
    bargain: &mut Bargain,
    now: i64,
    outcome: Outcome,
) -> Result<Outcome, Error> {
    if config.stock.is_some() && stock::claim(&config.item.id, 1).is_err() {
        return Err(Error::rejected(
            "sold_out",
            format!(
                "{} is sold out: this help would complete the bargain",
                config.item.name
            ),
        ));
    }
    bargain.status = Status::Completed;
    bargain.closed_ms = Some(now);
    timers::cancel(&expiry::timer_name(&bargain.id));
    let helpers: Vec<&String> = bargain
        .cuts
        .iter()
        .filter(|c| !c.owner)
        .map(|c| &c.user)
        .collect();
    Ok(outcome
        .reward(Reward::prize(&config.item.id, &config.item.name).to(&bargain.owner))
        .event(
            "bargain.completed",
            &bargain.id,
            json!({
                "owner": bargain.owner,
                "item_id": bargain.item_id,
                "original_price_fen": bargain.original_price_fen,
                "floor_price_fen": bargain.floor_price_fen,
                "helpers": helpers,
                "completed_ms": now,
            }),
        ))
}
