//! The actions, one function each, and the one place that dispatches them.

use arcade_sdk::{
    Context, Error, JsonSchema, Outcome, Reward, Value, clock, json, random, stock, wallet,
};
use serde::Deserialize;

use crate::config::{Config, Prize};
use crate::state::{UserRecord, Win};

/// What users can do: one variant per action, its doc comment the
/// action's summary; the manifest's action list and payload schemas come
/// from this type.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(tag = "name", content = "payload", deny_unknown_fields)]
pub enum Action {
    /// Draw once.
    #[serde(rename = "draw")]
    Draw(Draw),
}

/// Run `action` for `ctx.user_id`.
pub fn handle(ctx: &Context<Config>, action: Action) -> Result<Outcome, Error> {
    match action {
        Action::Draw(p) => draw(ctx, p),
    }
}

/// The `draw` payload: nothing. Whatever a platform sends is ignored, as
/// it always has been, so that no request that draws today is refused.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Draw {}

/// Draw once: pay (a free draw, else a ticket; then points if it costs
/// any), pick a prize by weight (or the pity prize), claim its stock, and
/// console a miss.
pub fn draw(ctx: &Context<Config>, _: Draw) -> Result<Outcome, Error> {
    let config = &ctx.config;
    let today = clock::today().to_string();
    let now = clock::now_ms();
    let mut rec = UserRecord::load(&today);
    if rec.total_left(config) == Some(0) {
        return Err(Error::rejected(
            "total_limit_reached",
            format!(
                "you have used all {} draws of this activity",
                config.per_user_total.unwrap_or(0)
            ),
        ));
    }
    let used_ticket = pay(config, &mut rec, &today)?;

    // 保底: after `after - 1` misses in a row, the pity prize (if in stock).
    let pity_prize = config
        .pity
        .as_ref()
        .filter(|p| rec.misses_in_a_row + 1 >= p.after)
        .and_then(|p| config.prizes.iter().position(|x| x.id == p.prize))
        .filter(|i| in_stock(&config.prizes[*i]));
    let picked = pity_prize.or_else(|| pick_by_weight(config));
    let won = picked
        .map(|i| (i, &config.prizes[i]))
        .filter(|(_, prize)| prize.stock.is_none() || stock::claim(&prize.id, 1).is_ok());

    let (positions, miss_cells) = config.layout();
    let position = match won {
        Some((i, _)) => Some(positions[i]),
        None if miss_cells.is_empty() => None,
        None => Some(miss_cells[random::below(miss_cells.len() as u64) as usize]),
    };

    rec.total += 1;
    rec.today += 1;
    let mut outcome = Outcome::new(Value::Null);
    let mut consolation = Value::Null;
    match won {
        Some((_, prize)) => {
            rec.record_win(Win {
                prize: prize.id.clone(),
                name: prize.name.clone(),
                at_ms: now,
            });
            outcome = outcome.reward(Reward::prize(&prize.id, &prize.name));
        }
        None => {
            rec.misses_in_a_row += 1;
            if let Some(spec) = &config.consolation {
                consolation = spec.describe();
                outcome = outcome.reward(spec.reward(now));
            }
        }
    }
    rec.save();

    outcome.result = json!({
        "prize": won.map(|(_, p)| p.id.as_str()),
        "name": won.map(|(_, p)| p.name.as_str()),
        "position": position,
        "pity": pity_prize.is_some() && won.is_some(),
        "consolation": consolation,
        "used_ticket": used_ticket,
        "cost_points": config.cost_points,
        "draws_left_today": rec.free_left(config),
        "draws_left_total": rec.total_left(config),
    });
    Ok(outcome)
}

/// Pay for a draw: a free one while any are left today, else a ticket if
/// the activity takes them; then the points it costs. Returns whether a
/// ticket was spent.
fn pay(config: &Config, rec: &mut UserRecord, today: &str) -> Result<bool, Error> {
    let mut used_ticket = false;
    if rec.free_left(config) == Some(0) {
        let Some(extra) = &config.extra_draws else {
            return Err(Error::rejected(
                "daily_limit_reached",
                format!(
                    "you have used all {} draws for {today}",
                    config.per_user_daily.unwrap_or(0)
                ),
            ));
        };
        if wallet::debit(&extra.ticket, 1).is_err() {
            return Err(Error::rejected(
                "daily_limit_reached",
                format!(
                    "no free draws left for {today} and no {:?} tickets for an extra draw",
                    extra.ticket
                ),
            ));
        }
        used_ticket = true;
    } else {
        rec.free_today += 1;
    }
    if let Some(cost) = config.cost_points
        && wallet::debit(wallet::POINTS, cost).is_err()
    {
        return Err(Error::rejected(
            "insufficient_points",
            format!(
                "a draw costs {cost} points; you have {}",
                wallet::balance(wallet::POINTS)
            ),
        ));
    }
    Ok(used_ticket)
}

/// The index of the prize drawn by weight, `None` for a miss. Prizes out
/// of stock leave the wheel; their weight goes to the miss.
fn pick_by_weight(config: &Config) -> Option<usize> {
    let mut weights: Vec<u64> = Vec::with_capacity(config.prizes.len() + 1);
    let mut miss = config.miss_weight;
    for prize in &config.prizes {
        if in_stock(prize) {
            weights.push(prize.weight);
        } else {
            weights.push(0);
            miss += prize.weight;
        }
    }
    weights.push(miss);
    random::weighted_index(&weights).filter(|i| *i < config.prizes.len())
}

/// Whether a unit of `prize` is left (always, without a stock).
fn in_stock(prize: &Prize) -> bool {
    prize.stock.is_none() || stock::available(&prize.id).unwrap_or(0) > 0
}
