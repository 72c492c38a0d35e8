//! A team's deadline: the timer `deadline:<team_id>`, scheduled by `open`
//! and cancelled by the join that fills the team. When it fires, a team
//! still forming fails, or with `auto_fill_at_deadline` succeeds with
//! virtual members in the empty seats.

use arcade_sdk::{Context, Error, Outcome, Timer, Value, clock, json};

use crate::actions::succeed;
use crate::config::Config;
use crate::state::{Status, Team};

const PREFIX: &str = "deadline:";

/// The name of team `team_id`'s deadline timer.
pub fn timer_name(team_id: &str) -> String {
    format!("{PREFIX}{team_id}")
}

/// Run a timer that has come due.
pub fn on_timer(ctx: &Context<Config>, timer: &Timer) -> Result<Outcome, Error> {
    match timer.name.strip_prefix(PREFIX) {
        Some(team_id) => on_deadline(ctx, team_id),
        None => Err(Error::invalid_input(
            "unknown_timer",
            format!("group-buy schedules no timer {:?}", timer.name),
        )),
    }
}

fn on_deadline(ctx: &Context<Config>, team_id: &str) -> Result<Outcome, Error> {
    let config = &ctx.config;
    let now = clock::now_ms();
    let Some(mut team) = Team::load(team_id) else {
        return Err(Error::not_found(
            "team_not_found",
            format!("deadline of unknown team {team_id:?}"),
        ));
    };
    if team.status != Status::Forming {
        // Closed already (the timer is cancelled on success, so this is
        // only a stray firing): nothing to do.
        return Ok(Outcome::new(team.summary(team_id, now)));
    }
    let mut outcome = if config.auto_fill_at_deadline {
        team.virtual_members = team.size.saturating_sub(team.members.len() as u32);
        succeed(config, team_id, &mut team, now, Outcome::new(Value::Null))
    } else {
        team.status = Status::Failed;
        team.closed_ms = Some(now);
        Outcome::new(Value::Null).event(
            "team.failed",
            team_id,
            json!({
                "leader": team.leader,
                "members": team.members,
                "team_size": team.size,
                "seats_left": team.seats_left(),
                "product_id": config.product.id,
            }),
        )
    };
    team.save(team_id);
    outcome.result = team.summary(team_id, now);
    Ok(outcome)
}
