//! The actions, one function each, and the one place that dispatches them.

use arcade_sdk::{Context, Error, JsonSchema, Outcome, Value, clock, json, member, timers};
use serde::Deserialize;

use crate::config::Config;
use crate::deadline;
use crate::state::{Status, Team, UserTeams};

const MINUTE_MS: i64 = 60_000;

/// What users can do: one variant per action, its doc comment the
/// action's summary; the manifest's action list and payload schemas come
/// from this type.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(tag = "name", content = "payload", deny_unknown_fields)]
pub enum Action {
    /// Open a new team, with the acting user as leader.
    #[serde(rename = "open")]
    Open(Open),
    /// Join a forming team by its id.
    #[serde(rename = "join")]
    Join(Join),
}

/// Run `action` for `ctx.user_id`.
pub fn handle(ctx: &Context<Config>, action: Action) -> Result<Outcome, Error> {
    match action {
        Action::Open(p) => open(ctx, p),
        Action::Join(p) => join(ctx, p),
    }
}

/// The `open` payload: an empty object.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Open {}

/// The `join` payload.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Join {
    /// The team to join.
    pub team_id: String,
}

/// Open a team led by the acting user, named by the call id, with its
/// deadline timer.
pub fn open(ctx: &Context<Config>, Open {}: Open) -> Result<Outcome, Error> {
    let config = &ctx.config;
    let now = clock::now_ms();
    let mut mine = UserTeams::load();
    check_open_limit(config, &mut mine, now)?;

    let team_id = ctx.call_id.clone();
    let team = Team {
        leader: ctx.user_id.clone(),
        members: vec![ctx.user_id.clone()],
        size: config.team_size,
        status: Status::Forming,
        opened_ms: now,
        deadline_ms: now + i64::from(config.time_limit_minutes) * MINUTE_MS,
        closed_ms: None,
        virtual_members: 0,
    };
    team.save(&team_id);
    mine.add(&team_id, now);
    mine.save();
    timers::schedule(
        &deadline::timer_name(&team_id),
        team.deadline_ms,
        &json!({"team_id": team_id}),
    );
    Ok(Outcome::new(team.summary(&team_id, now)).event(
        "team.opened",
        &team_id,
        json!({
            "leader": team.leader,
            "team_size": team.size,
            "deadline_ms": team.deadline_ms,
            "product_id": config.product.id,
        }),
    ))
}

/// Join a forming team; the join that takes the last seat succeeds it.
pub fn join(ctx: &Context<Config>, Join { team_id }: Join) -> Result<Outcome, Error> {
    let config = &ctx.config;
    let now = clock::now_ms();
    // Team ids are at most 64 bytes; a longer one cannot name a team.
    let found = if team_id.is_empty() || team_id.len() > 64 {
        None
    } else {
        Team::load(&team_id)
    };
    let Some(mut team) = found else {
        return Err(Error::not_found(
            "team_not_found",
            format!("no team {team_id:?} in this activity"),
        ));
    };
    if team.members.contains(&ctx.user_id) {
        return Err(Error::rejected(
            "already_in_team",
            format!("you are already a member of team {team_id:?}"),
        ));
    }
    if team.seats_left() == 0 {
        return Err(Error::rejected(
            "team_full",
            format!("team {team_id:?} already has all {} members", team.size),
        ));
    }
    if !team.is_open(now) {
        return Err(Error::rejected(
            "team_closed",
            format!("team {team_id:?} is no longer taking members"),
        ));
    }
    if config.new_members_only && !member::is_new() {
        return Err(Error::rejected(
            "new_members_only",
            "only users new to the shop can join this deal's teams",
        ));
    }
    let mut mine = UserTeams::load();
    check_open_limit(config, &mut mine, now)?;

    team.members.push(ctx.user_id.clone());
    mine.add(&team_id, now);
    mine.save();

    let mut outcome = Outcome::new(Value::Null).event(
        "team.joined",
        &team_id,
        json!({"user_id": ctx.user_id, "members": team.filled(), "team_size": team.size}),
    );
    if team.seats_left() == 0 {
        timers::cancel(&deadline::timer_name(&team_id));
        outcome = succeed(config, &team_id, &mut team, now, outcome);
    }
    team.save(&team_id);
    outcome.result = team.summary(&team_id, now);
    Ok(outcome)
}

/// Refuse if the acting user already has as many forming teams as allowed.
fn check_open_limit(config: &Config, mine: &mut UserTeams, now: i64) -> Result<(), Error> {
    let open = mine.count_open(now);
    if open >= config.max_open_teams_per_user {
        return Err(Error::rejected(
            "too_many_open_teams",
            format!(
                "you already have {open} teams forming; the limit is {}",
                config.max_open_teams_per_user
            ),
        ));
    }
    Ok(())
}

/// Mark a forming team succeeded, reward every real member and record
/// `team.succeeded`. The caller saves the team.
pub fn succeed(
    config: &Config,
    team_id: &str,
    team: &mut Team,
    now: i64,
    outcome: Outcome,
) -> Outcome {
    debug_assert_eq!(team.status, Status::Forming);
    team.status = Status::Succeeded;
    team.closed_ms = Some(now);
    let mut outcome = outcome.event(
        "team.succeeded",
        team_id,
        json!({
            "leader": team.leader,
            "members": team.members,
            "team_size": team.size,
            "virtual_members": team.virtual_members,
            "auto_filled": team.virtual_members > 0,
            "product_id": config.product.id,
            "deal_price_fen": config.product.deal_price_fen,
        }),
    );
    if let Some(spec) = &config.reward {
        for m in &team.members {
            outcome = outcome.reward(spec.reward(now).to(m.clone()));
        }
    }
    outcome
}
