//! Group-buy (拼团): a leader opens a team for a product deal, others join
//! it by team id, and the team succeeds the moment it is full. A team that
//! is still forming at its deadline fails, or, with `auto_fill_at_deadline`,
//! succeeds anyway with virtual members (模拟成团). Members of a successful
//! team can be rewarded (for example with a coupon worth the discount).
//!
//! State:
//! - team scope, key `team`: the [`Team`] record (members, status,
//!   deadline). Every change to a team is a read-modify-write of this one
//!   key, which the host makes atomic, so a team never takes more members
//!   than its size and succeeds at most once.
//! - user scope, key `teams`: the ids of the teams the user leads or has
//!   joined. Team status lives only in team scope (the deadline timer has
//!   no user scope), so open teams are counted by reading each team.

use arcade_sdk::{
    Action, ConfigError, Context, Error, Manifest, Mechanic, Outcome, Reward, Setup, Timer, clock,
    json, member, state, timers,
};
use serde::{Deserialize, Serialize};

/// Smallest and largest team.
pub const TEAM_SIZE: std::ops::RangeInclusive<u32> = 2..=100;
/// Longest time limit: 30 days.
pub const MAX_TIME_LIMIT_MINUTES: u32 = 30 * 24 * 60;
/// Largest `max_open_teams_per_user`.
pub const MAX_OPEN_TEAMS: u32 = 20;
/// Teams remembered per user (for the view and the open-team count).
pub const TEAMS_KEPT: usize = 50;
const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;
const TEAM_KEY: &str = "team";
const USER_KEY: &str = "teams";
const DEADLINE_PREFIX: &str = "deadline:";

/// Activity config.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The product on offer.
    pub product: Product,
    /// Members a team needs, leader included (2 to 100).
    pub team_size: u32,
    /// Minutes a team has to fill up after it is opened.
    pub time_limit_minutes: u32,
    /// Teams still forming that one user may lead or belong to at once.
    pub max_open_teams_per_user: u32,
    /// Joiners other than the leader must be new to the tenant.
    #[serde(default)]
    pub new_members_only: bool,
    /// At the deadline, a team that is not full succeeds anyway, filled
    /// with virtual members (模拟成团).
    #[serde(default)]
    pub auto_fill_at_deadline: bool,
    /// What each member of a successful team receives; `null`: nothing.
    #[serde(default)]
    pub reward: Option<RewardConfig>,
}

/// The product a team buys together.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    /// Identifier on the platform (1 to 64 characters).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Normal price in fen.
    pub original_price_fen: i64,
    /// Group price in fen, below the original price.
    pub deal_price_fen: i64,
}

/// A reward for each member of a successful team.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewardConfig {
    /// `coupon` or `points`.
    pub kind: RewardKindConfig,
    /// Coupon template id (required for coupons, ignored for points).
    #[serde(default)]
    pub id: String,
    /// Display name.
    pub name: String,
    /// Coupon value in fen (default: the discount, original minus deal
    /// price) or points (required).
    #[serde(default)]
    pub amount: Option<i64>,
    /// Coupon validity in days from the team's success; `null`: no expiry.
    #[serde(default)]
    pub valid_days: Option<u32>,
}

/// Kinds of member reward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RewardKindConfig {
    /// A coupon.
    Coupon,
    /// Loyalty points.
    Points,
}

/// Where a team is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Open for joiners until it is full or its deadline passes.
    Forming,
    /// Full (or auto-filled at the deadline).
    Succeeded,
    /// The deadline passed before it was full.
    Failed,
}

/// A team, stored in its own team scope.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Team {
    /// The user who opened it.
    pub leader: String,
    /// Real members in joining order, leader first.
    pub members: Vec<String>,
    /// Seats it had when opened (the config may change later).
    pub size: u32,
    /// Its status.
    pub status: Status,
    /// When it was opened (ms since the Unix epoch).
    pub opened_ms: i64,
    /// When it fails (or is auto-filled) if not full.
    pub deadline_ms: i64,
    /// When it succeeded or failed.
    #[serde(default)]
    pub closed_ms: Option<i64>,
    /// Virtual members added at the deadline.
    #[serde(default)]
    pub virtual_members: u32,
}

impl Team {
    fn load(id: &str) -> Option<Team> {
        state::team(id).get(TEAM_KEY)
    }

    fn save(&self, id: &str) {
        state::team(id).set(TEAM_KEY, self);
    }

    fn filled(&self) -> u32 {
        self.members.len() as u32 + self.virtual_members
    }

    fn seats_left(&self) -> u32 {
        self.size.saturating_sub(self.filled())
    }

    /// Still taking members at `now`.
    fn is_open(&self, now: i64) -> bool {
        self.status == Status::Forming && now < self.deadline_ms
    }

    fn summary(&self, id: &str, now: i64) -> serde_json::Value {
        json!({
            "team_id": id,
            "status": self.status,
            "leader": self.leader,
            "members": self.filled(),
            "virtual_members": self.virtual_members,
            "team_size": self.size,
            "seats_left": self.seats_left(),
            "deadline_ms": self.deadline_ms,
            "time_left_ms": if self.status == Status::Forming {
                (self.deadline_ms - now).max(0)
            } else {
                0
            },
        })
    }
}

/// The user's teams, newest last.
#[derive(Debug, Default, Serialize, Deserialize)]
struct UserTeams {
    teams: Vec<Membership>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Membership {
    team: String,
    /// Known to have succeeded or failed, so it need not be read again.
    #[serde(default)]
    closed: bool,
}

impl UserTeams {
    fn load() -> Self {
        state::user().get(USER_KEY).unwrap_or_default()
    }

    /// Count the user's teams still forming at `now`, reading each team
    /// not yet known to be closed and remembering the ones that are.
    fn count_open(&mut self, now: i64) -> u32 {
        let mut open = 0;
        for m in self.teams.iter_mut().filter(|m| !m.closed) {
            match Team::load(&m.team) {
                Some(t) if t.status == Status::Forming => open += u32::from(now < t.deadline_ms),
                _ => m.closed = true,
            }
        }
        open
    }

    /// Remember `team`, forgetting the oldest team that no longer counts
    /// as open if the list is full. Call after [`count_open`](Self::count_open).
    fn add(&mut self, team: &str, now: i64) {
        if self.teams.len() >= TEAMS_KEPT {
            let drop = self
                .teams
                .iter()
                .position(|m| m.closed)
                .or_else(|| {
                    self.teams
                        .iter()
                        .position(|m| Team::load(&m.team).is_none_or(|t| !t.is_open(now)))
                })
                .unwrap_or(0);
            self.teams.remove(drop);
        }
        self.teams.push(Membership {
            team: team.to_owned(),
            closed: false,
        });
    }

    fn save(&self) {
        state::user().set(USER_KEY, self);
    }
}

/// The mechanic.
pub struct GroupBuy;

fn deadline_timer(team_id: &str) -> String {
    format!("{DEADLINE_PREFIX}{team_id}")
}

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

fn action_result(team_id: &str, team: &Team, now: i64) -> serde_json::Value {
    team.summary(team_id, now)
}

fn open(ctx: &Context<Config>) -> Result<Outcome, Error> {
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
        &deadline_timer(&team_id),
        team.deadline_ms,
        &json!({"team_id": team_id}),
    );
    Ok(Outcome::new(action_result(&team_id, &team, now)).event(
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JoinPayload {
    team_id: String,
}

fn join(ctx: &Context<Config>, action: &Action) -> Result<Outcome, Error> {
    let config = &ctx.config;
    let JoinPayload { team_id } = action.parse()?;
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

    let mut outcome = Outcome::new(serde_json::Value::Null).event(
        "team.joined",
        &team_id,
        json!({"user_id": ctx.user_id, "members": team.filled(), "team_size": team.size}),
    );
    if team.seats_left() == 0 {
        timers::cancel(&deadline_timer(&team_id));
        outcome = succeed(config, &team_id, &mut team, now, outcome);
    }
    team.save(&team_id);
    outcome.result = action_result(&team_id, &team, now);
    Ok(outcome)
}

/// Mark a forming team succeeded, reward every real member and record
/// `team.succeeded`. The caller saves the team.
fn succeed(config: &Config, team_id: &str, team: &mut Team, now: i64, outcome: Outcome) -> Outcome {
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
    if let Some(r) = &config.reward {
        for m in &team.members {
            outcome = outcome.reward(r.reward(config, now).to(m.clone()));
        }
    }
    outcome
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
        return Ok(Outcome::new(action_result(team_id, &team, now)));
    }
    let outcome = if config.auto_fill_at_deadline {
        team.virtual_members = team.size.saturating_sub(team.members.len() as u32);
        succeed(
            config,
            team_id,
            &mut team,
            now,
            Outcome::new(serde_json::Value::Null),
        )
    } else {
        team.status = Status::Failed;
        team.closed_ms = Some(now);
        Outcome::new(serde_json::Value::Null).event(
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
    let mut outcome = outcome;
    outcome.result = action_result(team_id, &team, now);
    Ok(outcome)
}

impl RewardConfig {
    fn kind_name(&self) -> &'static str {
        match self.kind {
            RewardKindConfig::Coupon => "coupon",
            RewardKindConfig::Points => "points",
        }
    }

    fn amount(&self, config: &Config) -> i64 {
        self.amount
            .unwrap_or(config.product.original_price_fen - config.product.deal_price_fen)
    }

    fn reward(&self, config: &Config, now: i64) -> Reward {
        match self.kind {
            RewardKindConfig::Points => Reward::points(self.amount(config)),
            RewardKindConfig::Coupon => Reward::coupon(
                &self.id,
                &self.name,
                self.amount(config),
                self.valid_days.map(|d| now + i64::from(d) * DAY_MS),
            ),
        }
    }
}

fn validate(config: &Config) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    let p = &config.product;
    if p.id.is_empty() || p.id.len() > 64 {
        errors.push(ConfigError::new("product.id", "must be 1 to 64 characters"));
    }
    if p.name.is_empty() {
        errors.push(ConfigError::new("product.name", "must not be empty"));
    }
    if p.original_price_fen <= 0 {
        errors.push(ConfigError::new(
            "product.original_price_fen",
            "must be a positive number of fen",
        ));
    }
    if p.deal_price_fen < 0 {
        errors.push(ConfigError::new(
            "product.deal_price_fen",
            "must not be negative",
        ));
    } else if p.deal_price_fen >= p.original_price_fen {
        errors.push(ConfigError::new(
            "product.deal_price_fen",
            "must be below original_price_fen",
        ));
    }
    if !TEAM_SIZE.contains(&config.team_size) {
        errors.push(ConfigError::new(
            "team_size",
            format!("must be from {} to {}", TEAM_SIZE.start(), TEAM_SIZE.end()),
        ));
    }
    if !(1..=MAX_TIME_LIMIT_MINUTES).contains(&config.time_limit_minutes) {
        errors.push(ConfigError::new(
            "time_limit_minutes",
            format!("must be from 1 to {MAX_TIME_LIMIT_MINUTES} (30 days)"),
        ));
    }
    if !(1..=MAX_OPEN_TEAMS).contains(&config.max_open_teams_per_user) {
        errors.push(ConfigError::new(
            "max_open_teams_per_user",
            format!("must be from 1 to {MAX_OPEN_TEAMS}"),
        ));
    }
    if let Some(r) = &config.reward {
        if r.name.is_empty() {
            errors.push(ConfigError::new("reward.name", "must not be empty"));
        }
        match (r.kind, r.amount) {
            (_, Some(a)) if a <= 0 => {
                errors.push(ConfigError::new("reward.amount", "must be positive"));
            }
            (RewardKindConfig::Points, None) => errors.push(ConfigError::new(
                "reward.amount",
                "points rewards need an amount",
            )),
            _ => {}
        }
        if r.kind == RewardKindConfig::Coupon {
            if r.id.is_empty() || r.id.len() > 64 {
                errors.push(ConfigError::new(
                    "reward.id",
                    "a coupon needs a template id of 1 to 64 characters",
                ));
            }
        } else if r.valid_days.is_some() {
            errors.push(ConfigError::new(
                "reward.valid_days",
                "only coupons expire; leave it out for points",
            ));
        }
        if r.valid_days == Some(0) {
            errors.push(ConfigError::new(
                "reward.valid_days",
                "must be at least 1, or null for no expiry",
            ));
        }
    }
    errors
}

impl Mechanic for GroupBuy {
    type Config = Config;

    fn manifest() -> Manifest {
        Manifest::new(
            "group-buy",
            env!("CARGO_PKG_VERSION"),
            "Group-buy (拼团): a leader opens a team for a product deal and shares its id; \
             others join until the team is full, which makes it succeed and rewards every \
             member. A team not full by its deadline fails, or is auto-filled with virtual \
             members. Optional limits: open teams per user, new members only.",
        )
        .action(
            "open",
            "Open a new team, with the acting user as leader.",
            json!({"type": "object", "additionalProperties": false}),
        )
        .action(
            "join",
            "Join a forming team by its id.",
            json!({
                "type": "object",
                "required": ["team_id"],
                "additionalProperties": false,
                "properties": {"team_id": {"type": "string", "minLength": 1, "maxLength": 64}}
            }),
        )
        .config_schema(json!({
            "type": "object",
            "required": ["product", "team_size", "time_limit_minutes", "max_open_teams_per_user"],
            "additionalProperties": false,
            "properties": {
                "product": {
                    "type": "object",
                    "required": ["id", "name", "original_price_fen", "deal_price_fen"],
                    "additionalProperties": false,
                    "properties": {
                        "id": {"type": "string", "minLength": 1, "maxLength": 64},
                        "name": {"type": "string", "minLength": 1},
                        "original_price_fen": {"type": "integer", "minimum": 1},
                        "deal_price_fen": {"type": "integer", "minimum": 0,
                            "description": "must be below original_price_fen"}
                    }
                },
                "team_size": {"type": "integer", "minimum": TEAM_SIZE.start(), "maximum": TEAM_SIZE.end()},
                "time_limit_minutes": {"type": "integer", "minimum": 1, "maximum": MAX_TIME_LIMIT_MINUTES},
                "max_open_teams_per_user": {"type": "integer", "minimum": 1, "maximum": MAX_OPEN_TEAMS},
                "new_members_only": {"type": "boolean", "default": false},
                "auto_fill_at_deadline": {"type": "boolean", "default": false},
                "reward": {
                    "type": ["object", "null"],
                    "required": ["kind", "name"],
                    "additionalProperties": false,
                    "properties": {
                        "kind": {"enum": ["coupon", "points"]},
                        "id": {"type": "string", "maxLength": 64},
                        "name": {"type": "string", "minLength": 1},
                        "amount": {"type": ["integer", "null"], "minimum": 1},
                        "valid_days": {"type": ["integer", "null"], "minimum": 1}
                    }
                }
            }
        }))
    }

    fn validate(config: &Config) -> Result<Setup, Vec<ConfigError>> {
        let errors = validate(config);
        if errors.is_empty() {
            Ok(Setup::default())
        } else {
            Err(errors)
        }
    }

    fn handle(ctx: &Context<Config>, action: &Action) -> Result<Outcome, Error> {
        match action.name.as_str() {
            "open" => {
                action.parse::<EmptyPayload>()?;
                open(ctx)
            }
            "join" => join(ctx, action),
            other => Err(Error::unknown_action(other)),
        }
    }

    fn view(ctx: &Context<Config>) -> Result<arcade_sdk::Value, Error> {
        let config = &ctx.config;
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
                summary["is_leader"] = json!(team.leader == ctx.user_id);
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
                "discount_fen": p.original_price_fen - p.deal_price_fen,
            },
            "team_size": config.team_size,
            "time_limit_minutes": config.time_limit_minutes,
            "new_members_only": config.new_members_only,
            "auto_fill_at_deadline": config.auto_fill_at_deadline,
            "reward": config.reward.as_ref().map(|r| json!({
                "kind": r.kind_name(),
                "name": r.name,
                "amount": r.amount(config),
            })),
            "max_open_teams_per_user": config.max_open_teams_per_user,
            "open_teams": open,
            "can_open": open < config.max_open_teams_per_user,
            "teams": teams,
        }))
    }

    fn on_timer(ctx: &Context<Config>, timer: &Timer) -> Result<Outcome, Error> {
        match timer.name.strip_prefix(DEADLINE_PREFIX) {
            Some(team_id) => on_deadline(ctx, team_id),
            None => Err(Error::invalid_input(
                "unknown_timer",
                format!("group-buy schedules no timer {:?}", timer.name),
            )),
        }
    }
}

/// The `open` payload: an empty object.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmptyPayload {}

arcade_sdk::export!(GroupBuy);

#[cfg(test)]
mod tests;
