//! Price cut (砍价, "help me cut"): a user starts a bargain on an item and
//! shares it; each friend who helps cuts a random number of fen off the
//! price, and the `helpers_needed`-th help lands exactly on the floor
//! price, completing the bargain and granting the owner the item.
//!
//! A bargain lives in team scope under its id (the `call_id` of the
//! `start` that created it), so concurrent helps of one bargain are
//! serialised by the host's version check. A timer `expire:<id>` closes it
//! at its deadline.

use arcade_sdk::{
    Action, ConfigError, Context, Error, Manifest, Mechanic, Outcome, Reward, Setup, Timer, clock,
    json, member, random, state, stock, timers,
};
use serde::{Deserialize, Serialize};

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;
/// Most helps a bargain may need.
pub const MAX_HELPERS: u32 = 100;
/// Longest time limit: 30 days.
pub const MAX_TIME_LIMIT_MINUTES: u32 = 30 * 24 * 60;
/// Highest price accepted, in fen (10 billion yuan); keeps arithmetic far
/// from overflow.
pub const MAX_PRICE_FEN: u64 = 1_000_000_000_000;
/// Longest id the host accepts for a team.
const MAX_TEAM_ID: usize = 64;
/// Bargains (owned, helped) remembered per user for the view.
const RECENT_KEPT: usize = 20;
const BARGAIN_KEY: &str = "bargain";
const USER_KEY: &str = "price_cut";
const TIMER_PREFIX: &str = "expire:";

/// Activity config.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// What is being bargained for.
    pub item: Item,
    /// Helps needed to reach the floor price (1 to 100).
    pub helpers_needed: u32,
    /// Minutes from `start` until an unfinished bargain expires.
    pub time_limit_minutes: u32,
    /// Bargains one user may help per business day.
    pub max_helps_per_day: u32,
    /// The owner's own first cut at `start`; `null`: none.
    #[serde(default)]
    pub owner_first_cut: Option<OwnerFirstCut>,
    /// What a helper new to the tenant gets; `null`: nothing.
    #[serde(default)]
    pub new_member_bonus: Option<NewMemberBonus>,
    /// Units of the item for completed bargains; `null`: unlimited.
    #[serde(default)]
    pub stock: Option<u64>,
    /// Bargains one user may start over the activity; `null`: no limit.
    #[serde(default)]
    pub max_bargains_per_user: Option<u32>,
}

/// The item.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Identifier: the prize id of the reward and the stock pool id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Price before any cut, in fen.
    pub original_price_fen: u64,
    /// Price a completed bargain reaches, in fen; below the original.
    pub floor_price_fen: u64,
}

/// The owner's first cut: a random share of the total reduction, in
/// percent, applied at `start`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnerFirstCut {
    /// Smallest share, 1 to 99.
    pub min_percent: u32,
    /// Largest share, `min_percent` to 99.
    pub max_percent: u32,
}

/// The bonus for a helper who is new to the tenant.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMemberBonus {
    /// `points` or `coupon`.
    pub kind: BonusKind,
    /// Coupon template id (ignored for points).
    #[serde(default)]
    pub id: String,
    /// Display name.
    pub name: String,
    /// Points, or the coupon's value in fen.
    pub amount: i64,
    /// Coupon validity in days from the help; `null`: no expiry.
    #[serde(default)]
    pub valid_days: Option<u32>,
    /// Whether a new member's cut is doubled (see the README).
    #[serde(default)]
    pub double_cut: bool,
}

/// Kinds of new-member bonus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BonusKind {
    /// Loyalty points.
    Points,
    /// A coupon.
    Coupon,
}

/// Where a bargain stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Accepting helps until its deadline.
    Open,
    /// Reached the floor price.
    Completed,
    /// Its deadline passed first.
    Expired,
}

/// One cut of a bargain.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Cut {
    /// Who cut: a helper, or the owner for the first cut.
    user: String,
    amount_fen: u64,
    at_ms: i64,
    /// The owner's first cut rather than a help.
    #[serde(default)]
    owner: bool,
    /// Made by a helper new to the tenant.
    #[serde(default)]
    new_member: bool,
}

/// A bargain, in team scope under its id.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Bargain {
    id: String,
    owner: String,
    item_id: String,
    original_price_fen: u64,
    floor_price_fen: u64,
    price_fen: u64,
    helps_needed: u32,
    created_ms: i64,
    deadline_ms: i64,
    status: Status,
    #[serde(default)]
    closed_ms: Option<i64>,
    cuts: Vec<Cut>,
}

impl Bargain {
    fn load(id: &str) -> Option<Self> {
        if id.is_empty() || id.len() > MAX_TEAM_ID {
            return None;
        }
        state::team(id).get(BARGAIN_KEY)
    }

    fn save(&self) {
        state::team(&self.id).set(BARGAIN_KEY, self);
    }

    fn helps_done(&self) -> u32 {
        self.cuts.iter().filter(|c| !c.owner).count() as u32
    }

    fn helps_left(&self) -> u32 {
        self.helps_needed - self.helps_done()
    }

    /// The status as of `now`: an open bargain past its deadline is
    /// expired even if its timer has not fired yet.
    fn status_at(&self, now: i64) -> Status {
        match self.status {
            Status::Open if now >= self.deadline_ms => Status::Expired,
            s => s,
        }
    }

    fn time_left_ms(&self, now: i64) -> i64 {
        match self.status_at(now) {
            Status::Open => self.deadline_ms - now,
            _ => 0,
        }
    }

    fn to_json(&self, now: i64) -> serde_json::Value {
        json!({
            "bargain_id": self.id,
            "owner": self.owner,
            "item_id": self.item_id,
            "original_price_fen": self.original_price_fen,
            "floor_price_fen": self.floor_price_fen,
            "price_fen": self.price_fen,
            "cut_so_far_fen": self.original_price_fen - self.price_fen,
            "cuts": self.cuts.iter().map(|c| json!({
                "helper": c.user,
                "amount_fen": c.amount_fen,
                "owner_cut": c.owner,
                "new_member": c.new_member,
                "at_ms": c.at_ms,
            })).collect::<Vec<_>>(),
            "helps_needed": self.helps_needed,
            "helps_done": self.helps_done(),
            "helps_left": self.helps_left(),
            "deadline_ms": self.deadline_ms,
            "time_left_ms": self.time_left_ms(now),
            "status": self.status_at(now),
        })
    }
}

/// What the mechanic remembers about one user.
#[derive(Debug, Default, Serialize, Deserialize)]
struct UserRecord {
    /// Bargains started over the activity.
    started: u32,
    /// Ids of the most recent bargains started, oldest first.
    owned: Vec<String>,
    /// Ids of the most recent bargains helped, oldest first.
    helped: Vec<String>,
    /// The business day `helps_today` counts.
    day: String,
    helps_today: u32,
}

impl UserRecord {
    fn load(today: &str) -> Self {
        let mut rec: UserRecord = state::user().get(USER_KEY).unwrap_or_default();
        if rec.day != today {
            rec.day = today.to_owned();
            rec.helps_today = 0;
        }
        rec
    }

    fn save(&self) {
        state::user().set(USER_KEY, self);
    }

    fn helps_left_today(&self, config: &Config) -> u32 {
        config.max_helps_per_day.saturating_sub(self.helps_today)
    }
}

fn push_recent(list: &mut Vec<String>, id: &str) {
    list.push(id.to_owned());
    if list.len() > RECENT_KEPT {
        list.remove(0);
    }
}

fn timer_name(id: &str) -> String {
    format!("{TIMER_PREFIX}{id}")
}

/// The next help's cut of `remaining` fen with `helps_left` helps to go
/// (this one included), given a source `below(n)` of uniform integers in
/// `[0, n)`.
///
/// The last help takes the exact remainder. Any other help takes a uniform
/// amount in `[1, 2 * remaining / helps_left]` (twice the fair share, so
/// the mean is the fair share), capped so that each help still to come can
/// take at least 1 fen. `double` doubles the drawn amount under the same
/// cap. Needs `helps_left >= 1` and `remaining >= helps_left`.
pub fn next_cut(
    remaining: u64,
    helps_left: u32,
    double: bool,
    below: &mut impl FnMut(u64) -> u64,
) -> u64 {
    let helps_left = u64::from(helps_left);
    assert!(helps_left >= 1 && remaining >= helps_left);
    if helps_left == 1 {
        return remaining;
    }
    let cap = remaining - (helps_left - 1);
    let hi = (remaining.saturating_mul(2) / helps_left).clamp(1, cap);
    let drawn = 1 + below(hi);
    let cut = if double {
        drawn.saturating_mul(2)
    } else {
        drawn
    };
    cut.min(cap)
}

/// The owner's first cut of a total reduction of `total` fen, leaving at
/// least `helps` fen for the helps: a uniform share between `min_percent`
/// and `max_percent` (in steps of 0.01%), at least 1 fen.
pub fn owner_cut(
    total: u64,
    helps: u32,
    min_percent: u32,
    max_percent: u32,
    below: &mut impl FnMut(u64) -> u64,
) -> u64 {
    let lo = u64::from(min_percent) * 100;
    let hi = u64::from(max_percent.max(min_percent)) * 100;
    let basis_points = lo + below(hi - lo + 1);
    let cut = (u128::from(total) * u128::from(basis_points) / 10_000) as u64;
    cut.clamp(1, total.saturating_sub(u64::from(helps)).max(1))
}

fn host_below(n: u64) -> u64 {
    random::below(n)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StartPayload {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HelpPayload {
    bargain_id: String,
}

fn start(ctx: &Context<Config>, action: &Action) -> Result<Outcome, Error> {
    let StartPayload {} = action.parse()?;
    let config = &ctx.config;
    let now = clock::now_ms();
    let mut rec = UserRecord::load(&clock::today());

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
    let total = item.original_price_fen - item.floor_price_fen;
    let mut cuts = Vec::new();
    if let Some(first) = &config.owner_first_cut {
        let amount = owner_cut(
            total,
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
        &timer_name(&bargain.id),
        bargain.deadline_ms,
        &json!({"bargain_id": bargain.id}),
    );
    rec.started += 1;
    push_recent(&mut rec.owned, &bargain.id);
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

fn help(ctx: &Context<Config>, action: &Action) -> Result<Outcome, Error> {
    let HelpPayload { bargain_id } = action.parse()?;
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
            format!("this bargain is {}", status_name(status)),
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
    let today = clock::today();
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

    let new_member = config.new_member_bonus.is_some() && member::is_new();
    let double = new_member
        && config
            .new_member_bonus
            .as_ref()
            .is_some_and(|b| b.double_cut);
    let remaining = bargain.price_fen - bargain.floor_price_fen;
    let amount = next_cut(remaining, bargain.helps_left(), double, &mut host_below);
    bargain.price_fen -= amount;
    bargain.cuts.push(Cut {
        user: ctx.user_id.clone(),
        amount_fen: amount,
        at_ms: now,
        owner: false,
        new_member,
    });
    let completed = bargain.helps_left() == 0;
    debug_assert_eq!(completed, bargain.price_fen == bargain.floor_price_fen);

    let mut outcome = Outcome::new(serde_json::Value::Null);
    if completed {
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
        timers::cancel(&timer_name(&bargain.id));
        outcome = outcome
            .reward(Reward::prize(&config.item.id, &config.item.name).to(&bargain.owner))
            .event(
                "bargain.completed",
                &bargain.id,
                json!({
                    "owner": bargain.owner,
                    "item_id": bargain.item_id,
                    "original_price_fen": bargain.original_price_fen,
                    "floor_price_fen": bargain.floor_price_fen,
                    "helpers": bargain.cuts.iter().filter(|c| !c.owner).map(|c| &c.user).collect::<Vec<_>>(),
                    "completed_ms": now,
                }),
            );
    }
    let mut bonus = serde_json::Value::Null;
    if let Some(b) = config.new_member_bonus.as_ref().filter(|_| new_member) {
        let reward = match b.kind {
            BonusKind::Points => Reward::points(b.amount),
            BonusKind::Coupon => Reward::coupon(
                &b.id,
                &b.name,
                b.amount,
                b.valid_days.map(|d| now + i64::from(d) * DAY_MS),
            ),
        };
        outcome = outcome.reward(reward);
        bonus = json!({"kind": b.kind, "name": b.name, "amount": b.amount, "double_cut": double});
    }
    bargain.save();
    rec.helps_today += 1;
    push_recent(&mut rec.helped, &bargain.id);
    rec.save();

    outcome.result = json!({
        "bargain_id": bargain.id,
        "cut_fen": amount,
        "price_fen": bargain.price_fen,
        "floor_price_fen": bargain.floor_price_fen,
        "helps_left": bargain.helps_left(),
        "status": bargain.status,
        "new_member_bonus": bonus,
        "helps_left_today": rec.helps_left_today(config),
    });
    Ok(outcome)
}

fn status_name(status: Status) -> &'static str {
    match status {
        Status::Open => "open",
        Status::Completed => "completed",
        Status::Expired => "expired",
    }
}

fn expire(timer: &Timer) -> Result<Outcome, Error> {
    let id = timer
        .name
        .strip_prefix(TIMER_PREFIX)
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

fn validate(config: &Config) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    let item = &config.item;
    if item.id.is_empty() || item.id.len() > 64 {
        errors.push(ConfigError::new("item.id", "must be 1 to 64 characters"));
    }
    if item.name.is_empty() {
        errors.push(ConfigError::new("item.name", "must not be empty"));
    }
    if item.original_price_fen == 0 || item.original_price_fen > MAX_PRICE_FEN {
        errors.push(ConfigError::new(
            "item.original_price_fen",
            format!("must be 1 to {MAX_PRICE_FEN} fen"),
        ));
    }
    let prices_ok = item.floor_price_fen < item.original_price_fen;
    if !prices_ok {
        errors.push(ConfigError::new(
            "item.floor_price_fen",
            "must be below original_price_fen (and at least 0)",
        ));
    }
    let helpers_ok = (1..=MAX_HELPERS).contains(&config.helpers_needed);
    if !helpers_ok {
        errors.push(ConfigError::new(
            "helpers_needed",
            format!("must be 1 to {MAX_HELPERS}"),
        ));
    }
    if !(1..=MAX_TIME_LIMIT_MINUTES).contains(&config.time_limit_minutes) {
        errors.push(ConfigError::new(
            "time_limit_minutes",
            format!("must be 1 to {MAX_TIME_LIMIT_MINUTES} (30 days)"),
        ));
    }
    if config.max_helps_per_day == 0 {
        errors.push(ConfigError::new("max_helps_per_day", "must be at least 1"));
    }
    if config.max_bargains_per_user == Some(0) {
        errors.push(ConfigError::new(
            "max_bargains_per_user",
            "must be at least 1, or null for no limit",
        ));
    }
    if let Some(first) = &config.owner_first_cut {
        if !(1..=99).contains(&first.min_percent) {
            errors.push(ConfigError::new(
                "owner_first_cut.min_percent",
                "must be 1 to 99",
            ));
        }
        if !(first.min_percent..=99).contains(&first.max_percent) {
            errors.push(ConfigError::new(
                "owner_first_cut.max_percent",
                "must be min_percent to 99",
            ));
        }
    }
    if prices_ok && helpers_ok {
        let total = item.original_price_fen - item.floor_price_fen;
        let owner = u64::from(config.owner_first_cut.is_some());
        if total < u64::from(config.helpers_needed) + owner {
            errors.push(ConfigError::new(
                "helpers_needed",
                format!(
                    "every cut is at least 1 fen, so {} helps{} need a reduction of at least {} fen; \
                     original minus floor is {total}",
                    config.helpers_needed,
                    if owner == 1 { " and the owner's first cut" } else { "" },
                    u64::from(config.helpers_needed) + owner,
                ),
            ));
        }
    }
    if let Some(b) = &config.new_member_bonus {
        if b.amount <= 0 {
            errors.push(ConfigError::new(
                "new_member_bonus.amount",
                "must be positive",
            ));
        }
        if b.name.is_empty() {
            errors.push(ConfigError::new(
                "new_member_bonus.name",
                "must not be empty",
            ));
        }
        if b.kind == BonusKind::Coupon && (b.id.is_empty() || b.id.len() > 64) {
            errors.push(ConfigError::new(
                "new_member_bonus.id",
                "a coupon needs a template id of 1 to 64 characters",
            ));
        }
        if b.valid_days == Some(0) {
            errors.push(ConfigError::new(
                "new_member_bonus.valid_days",
                "must be at least 1, or null for no expiry",
            ));
        }
    }
    errors
}

/// The mechanic.
pub struct PriceCut;

impl Mechanic for PriceCut {
    type Config = Config;

    fn manifest() -> Manifest {
        Manifest::new(
            "price-cut",
            env!("CARGO_PKG_VERSION"),
            "Price cut (砍价): a user starts a bargain on an item and friends help cut \
             its price by random amounts; the last of `helpers_needed` helps lands \
             exactly on the floor price and grants the owner the item. Bargains expire \
             after a time limit; helps are limited per helper per business day; optional \
             owner's first cut, new-member bonus, item stock and per-user bargain limit.",
        )
        .action(
            "start",
            "Start a bargain on the item; its id is returned as `bargain_id`.",
            json!({"type": "object", "additionalProperties": false}),
        )
        .action(
            "help",
            "Help cut the price of a friend's bargain.",
            json!({
                "type": "object",
                "required": ["bargain_id"],
                "additionalProperties": false,
                "properties": {"bargain_id": {"type": "string", "minLength": 1, "maxLength": 64}}
            }),
        )
        .config_schema(json!({
            "type": "object",
            "required": ["item", "helpers_needed", "time_limit_minutes", "max_helps_per_day"],
            "additionalProperties": false,
            "properties": {
                "item": {
                    "type": "object",
                    "required": ["id", "name", "original_price_fen", "floor_price_fen"],
                    "additionalProperties": false,
                    "properties": {
                        "id": {"type": "string", "minLength": 1, "maxLength": 64},
                        "name": {"type": "string", "minLength": 1},
                        "original_price_fen": {"type": "integer", "minimum": 1, "maximum": MAX_PRICE_FEN},
                        "floor_price_fen": {"type": "integer", "minimum": 0}
                    }
                },
                "helpers_needed": {"type": "integer", "minimum": 1, "maximum": MAX_HELPERS},
                "time_limit_minutes": {"type": "integer", "minimum": 1, "maximum": MAX_TIME_LIMIT_MINUTES},
                "max_helps_per_day": {"type": "integer", "minimum": 1},
                "owner_first_cut": {
                    "type": ["object", "null"],
                    "required": ["min_percent", "max_percent"],
                    "additionalProperties": false,
                    "properties": {
                        "min_percent": {"type": "integer", "minimum": 1, "maximum": 99},
                        "max_percent": {"type": "integer", "minimum": 1, "maximum": 99}
                    }
                },
                "new_member_bonus": {
                    "type": ["object", "null"],
                    "required": ["kind", "name", "amount"],
                    "additionalProperties": false,
                    "properties": {
                        "kind": {"enum": ["points", "coupon"]},
                        "id": {"type": "string", "maxLength": 64},
                        "name": {"type": "string", "minLength": 1},
                        "amount": {"type": "integer", "minimum": 1},
                        "valid_days": {"type": ["integer", "null"], "minimum": 1},
                        "double_cut": {"type": "boolean", "default": false}
                    }
                },
                "stock": {"type": ["integer", "null"], "minimum": 0},
                "max_bargains_per_user": {"type": ["integer", "null"], "minimum": 1}
            }
        }))
    }

    fn validate(config: &Config) -> Result<Setup, Vec<ConfigError>> {
        let errors = validate(config);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(match config.stock {
            Some(units) => Setup::default().stock(config.item.id.clone(), units),
            None => Setup::default(),
        })
    }

    fn handle(ctx: &Context<Config>, action: &Action) -> Result<Outcome, Error> {
        match action.name.as_str() {
            "start" => start(ctx, action),
            "help" => help(ctx, action),
            other => Err(Error::unknown_action(other)),
        }
    }

    fn view(ctx: &Context<Config>) -> Result<arcade_sdk::Value, Error> {
        let config = &ctx.config;
        let now = clock::now_ms();
        let rec = UserRecord::load(&clock::today());
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
                json!({
                    "bargain_id": b.id,
                    "owner": b.owner,
                    "my_cut_fen": b.cuts.iter().find(|c| !c.owner && c.user == ctx.user_id).map(|c| c.amount_fen),
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

    fn on_timer(_ctx: &Context<Config>, timer: &Timer) -> Result<Outcome, Error> {
        if timer.name.starts_with(TIMER_PREFIX) {
            expire(timer)
        } else {
            Err(Error::invalid_input(
                "unknown_timer",
                format!("price-cut schedules no timer {:?}", timer.name),
            ))
        }
    }
}

arcade_sdk::export!(PriceCut);

#[cfg(test)]
mod tests;
