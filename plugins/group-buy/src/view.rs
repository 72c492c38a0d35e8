//! What a user sees: the deal, the rules, and their teams; or with
//! `?team_id=...` one team, to anyone (the page a leader shares).

use arcade_sdk::{Error, Value, View, clock, json};

use crate::config::Config;
use crate::state::{Team, UserTeams};

/// One team for anyone: the deal, the team's summary and who is in it;
/// for a viewer also whether they are in it and may join.
fn team_view(view: &View<Config>, team_id: &str) -> Result<Value, Error> {
    let team = Team::load(team_id).ok_or_else(|| {
        Error::not_found(
            "team_not_found",
            format!("no team {team_id:?} in this activity"),
        )
    })?;
    let now = clock::now_ms();
    let mut out = team.summary(team_id, now);
    out["member_ids"] = json!(team.members);
    out["product"] = product(&view.config);
    if let Some(viewer) = &view.viewer {
        let is_member = team.members.contains(viewer);
        out["is_member"] = json!(is_member);
        out["is_leader"] = json!(team.leader == *viewer);
        out["can_join"] = json!(!is_member && team.is_open(now));
    }
    Ok(out)
}

fn product(config: &Config) -> Value {
    let p = &config.product;
    json!({
        "id": p.id,
        "name": p.name,
        "original_price_fen": p.original_price_fen,
        "deal_price_fen": p.deal_price_fen,
        "discount_fen": p.discount_fen(),
    })
}

/// The view for `user_id`: their teams newest first, each a team
/// summary plus `is_leader`; with `?team_id=`, that team (see
/// [`team_view`]).
pub fn view(view: &View<Config>) -> Result<Value, Error> {
    if let Some(team_id) = view.param("team_id") {
        return team_view(view, team_id);
    }
    let Some(user_id) = view.viewer.clone() else {
        return Err(Error::invalid_input(
            "viewer_required",
            "this view shows one user's part: pass user_id (or team_id for one team)",
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
    Ok(json!({
        "product": product(config),
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
