//! What a user sees: the item, their own bargains, and the bargains they
//! helped; or with `?bargain_id=...` one bargain, to anyone (the page an
//! owner shares with friends who may help).

use arcade_sdk::{Error, Value, View, clock, json, stock};

use crate::config::Config;
use crate::state::{Bargain, UserRecord};

/// One bargain for anyone: its price, cuts and helps left; for a viewer
/// also their own cut, if they helped.
fn bargain_view(view: &View<Config>, bargain_id: &str) -> Result<Value, Error> {
    let bargain = Bargain::load(bargain_id).ok_or_else(|| {
        Error::not_found(
            "bargain_not_found",
            format!("no bargain {bargain_id:?} in this activity"),
        )
    })?;
    let mut out = bargain.to_json(clock::now_ms());
    out["item_name"] = json!(view.config.item.name);
    if let Some(viewer) = &view.viewer {
        let mine = bargain.cuts.iter().find(|c| !c.owner && c.user == *viewer);
        out["is_owner"] = json!(bargain.owner == *viewer);
        out["my_cut_fen"] = json!(mine.map(|c| c.amount_fen));
    }
    Ok(out)
}

/// The view for `user_id`, newest bargains first; with `?bargain_id=`,
/// that bargain (see [`bargain_view`]).
pub fn view(view: &View<Config>) -> Result<Value, Error> {
    if let Some(bargain_id) = view.param("bargain_id") {
        return bargain_view(view, bargain_id);
    }
    let Some(user_id) = view.viewer.clone() else {
        return Err(Error::invalid_input(
            "viewer_required",
            "this view shows one user's part: pass user_id (or bargain_id for one bargain)",
        ));
    };
    let config = &view.config;
    let now = clock::now_ms();
    let rec = UserRecord::load(&clock::today().to_string());
    let bargains: Vec<_> = rec
        .owned
        .iter()
        .rev()
        .filter_map(|id| Bargain::load(id))
        .map(|b| b.to_json(now))
        .collect();
    let helped: Vec<_> = rec
        .helped
        .iter()
        .rev()
        .filter_map(|id| Bargain::load(id))
        .map(|b| {
            let my_cut = b
                .cuts
                .iter()
                .find(|c| !c.owner && c.user == user_id)
                .map(|c| c.amount_fen);
            json!({
                "bargain_id": b.id,
                "owner": b.owner,
                "my_cut_fen": my_cut,
                "price_fen": b.price_fen,
                "helps_left": b.helps_left(),
                "status": b.status_at(now),
            })
        })
        .collect();
    Ok(json!({
        "item": {
            "id": config.item.id,
            "name": config.item.name,
            "original_price_fen": config.item.original_price_fen,
            "floor_price_fen": config.item.floor_price_fen,
            "remaining": config.stock.map(|_| stock::available(&config.item.id).unwrap_or(0)),
        },
        "helpers_needed": config.helpers_needed,
        "bargains": bargains,
        "bargains_started": rec.started,
        "bargains_left": config.max_bargains_per_user.map(|m| m.saturating_sub(rec.started)),
        "helped": helped,
        "helps_today": rec.helps_today,
        "helps_left_today": rec.helps_left_today(config),
    }))
}
