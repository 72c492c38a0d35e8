//! What a user sees: the deal, the rules, and their teams.

use arcade_sdk::{Error, Value, View, clock, json};

use crate::config::Config;
use crate::state::{Team, UserTeams};

/// The view for `user_id`: their teams newest first, each a team
/// summary plus `is_leader`.
pub fn view(view: &View<Config>) -> Result<Value, Error> {
    let Some(user_id) = view.viewer.clone() else {
        return Err(Error::invalid_input(
            "viewer_required",
            "this view shows one user's part: pass user_id",
        ));
    };
    let config = &view.config;
    let now = clock::now_ms();
    let mine = UserTeams::load();
    let mut open = 0u32;
    let teams: Vec<_> = mine
        .teams
        .iter()
        .rev()
        .filter_map(|m| {
            let team = Team::load(&m.team)?;
            open += u32::from(team.is_open(now));
            let mut summary = team.summary(&m.team, now);
            summary["is_leader"] = json!(team.leader == user_id);
            Some(summary)
        })
        .collect();
    let p = &config.product;
    Ok(json!({
        "product": {
            "id": p.id,
            "name": p.name,
            "original_price_fen": p.original_price_fen,
            "deal_price_fen": p.deal_price_fen,
            "discount_fen": p.discount_fen(),
        },
        "team_size": config.team_size,
        "time_limit_minutes": config.time_limit_minutes,
        "new_members_only": config.new_members_only,
        "auto_fill_at_deadline": config.auto_fill_at_deadline,
        "reward": config.reward.as_ref().map(|r| r.describe()),
        "max_open_teams_per_user": config.max_open_teams_per_user,
        "open_teams": open,
        "can_open": open < config.max_open_teams_per_user,
        "teams": teams,
    }))
}
