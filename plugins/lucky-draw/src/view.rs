//! What a user sees: their draws and limits, pity progress, wins, and the
//! wheel with each prize's remaining stock.

use arcade_sdk::{Error, Value, View, clock, json, stock, wallet};

use crate::config::Config;
use crate::state::UserRecord;

/// The view for `user_id`.
pub fn view(view: &View<Config>) -> Result<Value, Error> {
    if view.viewer.is_none() {
        return Err(Error::invalid_input(
            "viewer_required",
            "this view shows one user's part: pass user_id",
        ));
    }
    let config = &view.config;
    let rec = UserRecord::load(&clock::today().to_string());
    let (positions, miss_cells) = config.layout();
    let prizes: Vec<_> = config
        .prizes
        .iter()
        .zip(&positions)
        .map(|(p, pos)| {
            json!({
                "id": p.id,
                "name": p.name,
                "position": pos,
                "remaining": p.stock.map(|_| stock::available(&p.id).unwrap_or(0)),
            })
        })
        .collect();
    let pity = config.pity.as_ref().map(|p| {
        json!({
            "prize": p.prize,
            "misses_in_a_row": rec.misses_in_a_row,
            "guaranteed_in": p.after.saturating_sub(rec.misses_in_a_row).max(1),
        })
    });
    Ok(json!({
        "draws_today": rec.today,
        "draws_total": rec.total,
        "draws_left_today": rec.free_left(config),
        "draws_left_total": rec.total_left(config),
        "extra_draw_tickets": config.extra_draws.as_ref().map(|e| wallet::balance(&e.ticket)),
        "points": config.cost_points.map(|_| wallet::balance(wallet::POINTS)),
        "cost_points": config.cost_points,
        "pity": pity,
        "wins": rec.wins,
        "presentation": {
            "style": config.presentation.style,
            "cells": config.cells(),
            "miss_cells": miss_cells,
        },
        "prizes": prizes,
    }))
}
