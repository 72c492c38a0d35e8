//! The records the store holds and hands back: tenants' keys, groups,
//! plugins, activities and their stock, outcomes, the reward ledger,
//! timers and events.

use serde::{Deserialize, Serialize};

/// A key's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything an operator may do; the tenant's account holder.
    Owner,
    /// Manages a tenant's groups and activities.
    Operator,
    /// Reads a tenant's groups, activities, outcomes, events and
    /// statistics; writes nothing.
    Analyst,
    /// Runs actions and reads views on behalf of users.
    Platform,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Operator => "operator",
            Role::Analyst => "analyst",
            Role::Platform => "platform",
        }
    }

    /// Parse a stored name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "owner" => Some(Role::Owner),
            "operator" => Some(Role::Operator),
            "analyst" => Some(Role::Analyst),
            "platform" => Some(Role::Platform),
            _ => None,
        }
    }

    /// Roles that manage a tenant's groups and activities.
    pub const MANAGE: &'static [Role] = &[Role::Owner, Role::Operator];
    /// Roles that read what a tenant's operators see.
    pub const READ: &'static [Role] = &[Role::Owner, Role::Operator, Role::Analyst];
    /// Every role: reads a platform shares with the operators' side.
    pub const ALL: &'static [Role] = &[Role::Owner, Role::Operator, Role::Analyst, Role::Platform];
}

/// One entry of a tenant's audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Position in the log (assigned by the store; ignored on append).
    pub seq: i64,
    /// Who: the key id, or `admin`.
    pub actor: String,
    /// The actor's role (`admin` for the admin token).
    pub role: String,
    /// What, e.g. `group.update`.
    pub action: String,
    /// The id of what it changed.
    pub target: String,
    /// The request's body or the change, as JSON text.
    pub detail: String,
    /// When, ms since epoch (RFC 3339 in the API).
    #[serde(serialize_with = "crate::clock::as_rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
}

/// A tenant-scoped API key, as looked up by its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// Its public id.
    pub id: String,
    /// The tenant it belongs to.
    pub tenant_id: String,
    /// What it may do.
    pub role: Role,
}

/// A group (社群) of a tenant.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(example = json!({"id": "01939a7e-0c2b-7d41-8e1f-5c6d7e8f9a0b", "name": "Beijing regulars", "tier": "gold", "tags": ["bj", "coffee"], "members": 480, "members_at": "2025-12-05T00:00:00Z", "created_at": "2025-12-04T00:00:00Z"}))]
pub struct Group {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Its tier, one of the tenant's tiers.
    pub tier: String,
    /// Free tags, sorted, no duplicates.
    pub tags: Vec<String>,
    /// Members, as last reported by the platform or moved by its join and
    /// leave events (`None`: never).
    pub members: Option<i64>,
    /// When `members` was last reported or moved, ms since epoch (RFC
    /// 3339 in the API).
    #[serde(serialize_with = "crate::clock::as_rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub members_at: Option<i64>,
    /// Creation time, ms since epoch (RFC 3339 in the API).
    #[serde(serialize_with = "crate::clock::as_rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
}

/// A platform's report that a user joined or left a group.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberEvent {
    /// The platform's user id.
    pub user_id: String,
    /// Joined or left.
    #[serde(rename = "type")]
    pub kind: MemberEventKind,
}

/// What a [`MemberEvent`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MemberEventKind {
    /// The user is in the group from now on.
    Joined,
    /// The user is no longer in the group.
    Left,
}

/// A registered plugin version.
#[derive(Debug, Clone)]
pub struct PluginRecord {
    /// Name from the manifest.
    pub name: String,
    /// Version from the manifest.
    pub version: String,
    /// Hex sha256 of the component bytes.
    pub sha256: String,
    /// The `describe` manifest as JSON.
    pub manifest: String,
    /// Per-plugin limit overrides as JSON (`{}` for none).
    pub limits: String,
    /// Upload time, ms since epoch.
    pub created_at: i64,
}

/// Whether an activity accepts actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ActivityStatus {
    /// Accepting actions (within its schedule).
    Active,
    /// Paused by an operator.
    Paused,
}

impl ActivityStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityStatus::Active => "active",
            ActivityStatus::Paused => "paused",
        }
    }

    /// Parse a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(ActivityStatus::Active),
            "paused" => Some(ActivityStatus::Paused),
            _ => None,
        }
    }
}

/// An activity: one configured run of a plugin in a group.
#[derive(Debug, Clone)]
pub struct Activity {
    /// Id.
    pub id: String,
    /// Owning tenant.
    pub tenant_id: String,
    /// Group it runs in.
    pub group_id: String,
    /// Plugin name.
    pub plugin: String,
    /// Plugin version.
    pub plugin_version: String,
    /// sha256 of the plugin component it is bound to.
    pub plugin_sha256: String,
    /// Config JSON, as accepted by the plugin. Immutable.
    pub config: String,
    /// IANA time zone.
    pub timezone: String,
    /// Schedule start, ms since epoch.
    pub starts_at: Option<i64>,
    /// Schedule end, ms since epoch.
    pub ends_at: Option<i64>,
    /// Active or paused.
    pub status: ActivityStatus,
    /// Hex blake3 hash of the activity's randomness key.
    pub key_commitment: String,
    /// The current config revision (1 at creation).
    pub revision: i64,
    /// Who made the current revision: a key id, or empty if unknown.
    pub revised_by: String,
    /// Creation time, ms since epoch.
    pub created_at: i64,
    /// Targeting rules, JSON `{"tiers": [...], "tags": [...]}`: the
    /// activity is enabled in every group they match.
    pub targeting: String,
    /// In staged mode, the only group whose members may act.
    pub staged_group_id: Option<String>,
    /// Unit cost in fen of reward items, JSON map item id -> fen.
    pub costs: String,
    /// The reward budget in fen, if any: configs are simulated against
    /// it (in `costs`) on creation and on every config change.
    pub budget_fen: Option<i64>,
}

/// A stock pool's level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StockLevel {
    /// Pool id.
    pub pool: String,
    /// Size at creation.
    pub initial: i64,
    /// Units left.
    pub remaining: i64,
}

/// A ledger row for a granted reward.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RewardRow {
    /// Who receives it (already resolved: never empty).
    pub user_id: String,
    /// `prize`, `points`, `coupon` or `tickets`.
    pub kind: String,
    /// Item id within the activity.
    pub item: String,
    /// Display name.
    pub name: String,
    /// Positive amount.
    pub amount: i64,
    /// Coupon expiry, ms since epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// Coupon code issued by the host (coupons only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// A reward as stored in the ledger, with its id and, for prizes, its
/// redemption state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LedgerEntry {
    /// Public id: random, so ids cannot be guessed or enumerated.
    pub id: String,
    /// Its place in the ledger's order (internal; not shown).
    #[serde(skip)]
    pub seq: i64,
    /// Activity that granted it.
    pub activity_id: String,
    /// Outcome that granted it.
    pub outcome_id: String,
    /// The reward.
    #[serde(flatten)]
    pub reward: RewardRow,
    /// `pending`, `redeemed` or `cancelled` for prizes; `None` otherwise.
    pub state: Option<String>,
    /// Grant time, ms since epoch.
    pub created_at: i64,
}

/// Which part of a user's ledger to read.
#[derive(Debug, Clone)]
pub struct LedgerQuery {
    /// Include what the user spent (`false`: credits only).
    pub debits: bool,
    /// Start after this line (the last of the previous page).
    pub after: Option<LedgerCursor>,
    /// Largest page.
    pub limit: u32,
}

/// A position in a user's ledger, which runs newest first: by time, then
/// debits before credits, then by key (the reward's public id or the
/// outcome id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerCursor {
    /// Time, ms since epoch.
    pub created_at: i64,
    /// `credit` or `debit`.
    pub entry: String,
    /// A credit's place among the rewards (their internal order); 0 for
    /// a debit.
    pub n: i64,
    /// The reward's public id, or the spending outcome's id.
    pub key: String,
}

/// One line of a user's ledger.
#[derive(Debug, Clone)]
pub enum LedgerLine {
    /// A reward granted to the user.
    Credit(LedgerEntry),
    /// What one outcome of the user spent from their balances.
    Debit {
        /// The outcome that spent.
        outcome_id: String,
        /// Its activity.
        activity_id: String,
        /// `[[currency, amount], ...]`, amounts positive.
        spends: Vec<(String, i64)>,
        /// Commit time, ms since epoch.
        created_at: i64,
    },
}

impl LedgerLine {
    /// Where this line is, for the next page's cursor.
    pub fn cursor(&self) -> LedgerCursor {
        match self {
            LedgerLine::Credit(e) => LedgerCursor {
                created_at: e.created_at,
                entry: "credit".into(),
                n: e.seq,
                key: e.id.clone(),
            },
            LedgerLine::Debit {
                outcome_id,
                created_at,
                ..
            } => LedgerCursor {
                created_at: *created_at,
                entry: "debit".into(),
                n: 0,
                key: outcome_id.clone(),
            },
        }
    }
}

/// A timer that is due, leased to one worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueTimer {
    /// Timer id.
    pub id: String,
    /// Tenant of the activity.
    pub tenant_id: String,
    /// Activity.
    pub activity_id: String,
    /// Name.
    pub name: String,
    /// Payload JSON.
    pub payload: String,
    /// Due time, ms since epoch.
    pub due_at: i64,
}

/// An event to record with an outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventRow {
    /// Dotted type such as `team.succeeded`.
    pub kind: String,
    /// What it is about.
    pub subject: String,
    /// JSON object text.
    pub data: String,
}

/// A recorded event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EventRecord {
    /// Position in the tenant's event log; the cursor.
    pub seq: i64,
    /// Activity.
    pub activity_id: String,
    /// Outcome that recorded it.
    pub outcome_id: String,
    /// The event.
    #[serde(flatten)]
    pub event: EventRow,
    /// Time, ms since epoch.
    pub created_at: i64,
}

/// An outcome row. Append-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeRecord {
    /// Server-assigned id (UUIDv7); also the randomness nonce.
    pub id: String,
    /// Tenant.
    pub tenant_id: String,
    /// Activity.
    pub activity_id: String,
    /// Acting user (empty for timers).
    pub user_id: String,
    /// Action name.
    pub action: String,
    /// Payload JSON.
    pub payload: String,
    /// Result JSON returned by the plugin.
    pub result: String,
    /// Rewards granted, as a JSON array of [`RewardRow`].
    pub rewards: String,
    /// What the plugin read (state, stock, clock), as JSON, for replay.
    pub inputs: String,
    /// Hex sha256 over the result, rewards, state writes and stock changes.
    pub effects_hash: String,
    /// sha256 of the plugin that produced it.
    pub plugin_sha256: String,
    /// Fuel the call consumed.
    pub fuel_used: i64,
    /// Commit time, ms since epoch.
    pub created_at: i64,
    /// The group the user acted from (the activity's home group for
    /// timers and for outcomes from before groups were recorded).
    pub group_id: String,
    /// What the action spent from the user's balances, as a JSON array
    /// of `[currency, amount]`, or empty when it spent nothing.
    pub spends: String,
}

/// A page of outcomes.
#[derive(Debug, Clone)]
pub struct OutcomePage {
    /// Outcomes in id (time) order.
    pub outcomes: Vec<OutcomeRecord>,
    /// Cursor for the next page, if there may be more.
    pub next: Option<String>,
}

/// One revision of an activity's config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Revision {
    /// The activity.
    pub activity_id: String,
    /// 1 at creation, then one more per change.
    pub revision: i64,
    /// The config, JSON text.
    pub config: String,
    /// Who made it: a key id, or empty if unknown.
    pub author: String,
    /// Why, as given.
    pub reason: String,
    /// The field changes against the revision before, JSON text.
    pub diff: String,
    /// When, ms since epoch.
    pub created_at: i64,
}

/// A committed outcome not yet counted by the statistics.
#[derive(Debug, Clone)]
pub struct StatPending {
    /// The outcome.
    pub outcome_id: String,
    /// Its activity.
    pub activity_id: String,
    /// The activity's group.
    pub group_id: String,
    /// The activity's time zone (for the business day).
    pub timezone: String,
    /// Who acted.
    pub user_id: String,
    /// The rewards, JSON text.
    pub rewards: String,
    /// When, ms since epoch.
    pub created_at: i64,
    /// The activity's unit costs, JSON text.
    pub costs: String,
    /// The kinds of the events the outcome appended, comma-separated.
    pub events: String,
    /// Its invites, a JSON array of `[invitee, inviter]` (or `""`).
    pub invites: String,
}

/// What one outcome adds to the statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatFact {
    /// The outcome.
    pub outcome_id: String,
    /// Its activity.
    pub activity_id: String,
    /// The activity's group.
    pub group_id: String,
    /// Business day in the activity's time zone, `YYYY-MM-DD`.
    pub day: String,
    /// Who acted.
    pub user_id: String,
    /// Prizes granted.
    pub prizes: i64,
    /// Coupons granted.
    pub coupons: i64,
    /// Points granted (their sum).
    pub points: i64,
    /// Tickets granted (their sum).
    pub tickets: i64,
    /// What the rewards cost, in fen.
    pub cost_fen: i64,
    /// 1 if the outcome granted a prize.
    pub winner: i64,
    /// The kinds of the events it appended.
    pub events: Vec<String>,
    /// The invites it reported: (invitee, inviter).
    pub invites: Vec<(String, String)>,
}

/// One activity's counts for one business day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StatDay {
    /// `YYYY-MM-DD` in the activity's time zone.
    pub day: String,
    /// Actions (PV).
    pub actions: i64,
    /// Distinct users that day (UV).
    pub users: i64,
    /// Users whose first action in the activity was that day.
    pub new_users: i64,
    /// Prizes granted.
    pub prizes: i64,
    /// Coupons granted.
    pub coupons: i64,
    /// Points granted.
    pub points: i64,
    /// Tickets granted.
    pub tickets: i64,
    /// Reward cost in fen.
    pub cost_fen: i64,
    /// Actions that granted a prize.
    pub winners: i64,
}

/// An activity's event and fission counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatCounts {
    /// How many events of each kind its counted outcomes appended, by kind.
    pub events: Vec<(String, i64)>,
    /// Invites counted per level (1, 2, and 3 for 3 and deeper), in level
    /// order.
    pub fission: Vec<(i64, i64)>,
}

/// Running totals of an activity or a group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StatTotals {
    /// Actions (PV).
    pub actions: i64,
    /// Distinct users (UV).
    pub users: i64,
    /// Prizes granted.
    pub prizes: i64,
    /// Coupons granted.
    pub coupons: i64,
    /// Points granted.
    pub points: i64,
    /// Tickets granted.
    pub tickets: i64,
    /// Reward cost in fen.
    pub cost_fen: i64,
    /// Actions that granted a prize.
    pub winners: i64,
    /// Conversions reported (activity totals only).
    pub conversions: i64,
    /// Their value in fen.
    pub conversion_fen: i64,
}

/// A goal event a platform reported for an activity's user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversion {
    /// Tenant.
    pub tenant_id: String,
    /// The platform's id for it (a retried report carries the same).
    pub id: String,
    /// The activity credited.
    pub activity_id: String,
    /// The user.
    pub user_id: String,
    /// Its value in fen.
    pub value_fen: i64,
    /// When reported, ms since epoch.
    pub created_at: i64,
}
