//! The SDK's own types: what a mechanic reads and returns.

use serde_json::Value;

/// Who a call is about.
#[derive(Debug, Clone)]
pub struct Context<C> {
    /// The activity being run.
    pub activity_id: String,
    /// The acting user, as named by the platform. Empty in `on_timer`.
    pub user_id: String,
    /// The host-assigned id of this call's outcome: unique, stable across
    /// replays. Use it to name what the call creates (a team id). Empty in
    /// `view`.
    pub call_id: String,
    /// The activity's parsed config.
    pub config: C,
}

/// Who a view is for, and what it asks to see.
#[derive(Debug, Clone)]
pub struct View<C> {
    /// The activity being viewed.
    pub activity_id: String,
    /// The viewer, as named by the platform; `None` for an anonymous one
    /// (a share page opened by someone not signed in; contract 0.2). User
    /// state, the wallet and member facts need a viewer.
    pub viewer: Option<String>,
    /// The platform's query parameters (other than `user_id`), such as
    /// `team_id` to show one team to anyone with its link. Always empty
    /// under contract 0.1.
    pub query: std::collections::BTreeMap<String, String>,
    /// The activity's parsed config.
    pub config: C,
}

impl<C> View<C> {
    /// The query parameter `name`, if the platform sent it.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }
}

/// A timer that has come due.
#[derive(Debug, Clone)]
pub struct Timer {
    /// The name the mechanic gave it.
    pub name: String,
    /// Its payload.
    pub payload: Value,
    /// When it was due, in milliseconds since the Unix epoch.
    pub due_ms: i64,
}

/// Kinds of reward the host keeps a ledger of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewardKind {
    /// A physical prize; `amount` counts items. Redemption is tracked.
    Prize,
    /// Loyalty points.
    Points,
    /// A coupon worth `amount` fen; the host issues its code.
    Coupon,
    /// Tickets in the balance named by `item`.
    Tickets,
}

/// Something of value granted by an outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reward {
    /// Who gets it; empty for the acting user.
    pub user_id: String,
    /// What sort of reward.
    pub kind: RewardKind,
    /// The item's id within the config (prize id, coupon template, ticket
    /// balance name).
    pub item: String,
    /// A display name.
    pub name: String,
    /// How many items, points, fen or tickets; positive.
    pub amount: i64,
    /// Coupon expiry, ms since the Unix epoch.
    pub expires_ms: Option<i64>,
}

impl Reward {
    fn new(
        kind: RewardKind,
        item: impl Into<String>,
        name: impl Into<String>,
        amount: i64,
    ) -> Self {
        Reward {
            user_id: String::new(),
            kind,
            item: item.into(),
            name: name.into(),
            amount,
            expires_ms: None,
        }
    }

    /// One unit of the prize `item`.
    pub fn prize(item: impl Into<String>, name: impl Into<String>) -> Self {
        Self::new(RewardKind::Prize, item, name, 1)
    }

    /// `amount` loyalty points.
    pub fn points(amount: i64) -> Self {
        Self::new(RewardKind::Points, crate::wallet::POINTS, "points", amount)
    }

    /// A coupon from template `item` worth `value_fen`, optionally expiring.
    pub fn coupon(
        item: impl Into<String>,
        name: impl Into<String>,
        value_fen: i64,
        expires_ms: Option<i64>,
    ) -> Self {
        Reward {
            expires_ms,
            ..Self::new(RewardKind::Coupon, item, name, value_fen)
        }
    }

    /// `amount` tickets in the balance `currency`.
    pub fn tickets(currency: impl Into<String>, amount: i64) -> Self {
        let currency = currency.into();
        Self::new(RewardKind::Tickets, currency.clone(), currency, amount)
    }

    /// Grant it to `user_id` instead of the acting user.
    pub fn to(mut self, user_id: impl Into<String>) -> Self {
        self.user_id = user_id.into();
        self
    }
}

/// A fact platforms care about, recorded with the outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Dotted type, such as `team.succeeded`.
    pub kind: String,
    /// What it is about, such as a team id.
    pub subject: String,
    /// Details.
    pub data: Value,
}

/// The result of a successful action.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Mechanic-specific result, returned to the platform.
    pub result: Value,
    /// Rewards granted.
    pub rewards: Vec<Reward>,
    /// Events recorded.
    pub events: Vec<Event>,
}

impl Outcome {
    /// An outcome with `result` and no rewards or events.
    pub fn new(result: Value) -> Self {
        Outcome {
            result,
            rewards: Vec::new(),
            events: Vec::new(),
        }
    }

    /// Add a reward.
    pub fn reward(mut self, reward: Reward) -> Self {
        self.rewards.push(reward);
        self
    }

    /// Add an event.
    pub fn event(mut self, kind: &str, subject: &str, data: Value) -> Self {
        self.events.push(Event {
            kind: kind.into(),
            subject: subject.into(),
            data,
        });
        self
    }

    /// Report that `inviter` invited `invitee` and the invite counts: the
    /// `invite.accepted` event (subject the invitee, data
    /// `{"inviter": ...}`) from which the host counts fission levels.
    /// The host counts each invitee once per activity and ignores
    /// self-invites; whether an invite counts at all (a new user, a valid
    /// code) is the mechanic's rule.
    pub fn invite_accepted(self, invitee: &str, inviter: &str) -> Self {
        self.event(
            "invite.accepted",
            invitee,
            serde_json::json!({ "inviter": inviter }),
        )
    }
}

/// Classes of refusal; they decide the HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad payload (422).
    InvalidInput,
    /// A rule refuses the action (409).
    Rejected,
    /// Something named does not exist (404).
    NotFound,
}

/// A refusal reported to the user; nothing the call did is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Class of refusal.
    pub kind: ErrorKind,
    /// Stable snake_case code.
    pub code: String,
    /// Human-readable message.
    pub message: String,
}

impl Error {
    /// The payload is malformed (422).
    pub fn invalid_input(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, code, message)
    }

    /// A rule of the mechanic refuses the action (409).
    pub fn rejected(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Rejected, code, message)
    }

    /// The thing the action names does not exist (404).
    pub fn not_found(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, code, message)
    }

    /// The action's name is not one this mechanic knows.
    pub fn unknown_action(name: &str) -> Self {
        Self::invalid_input("unknown_action", format!("unknown action {name:?}"))
    }

    fn new(kind: ErrorKind, code: impl Into<String>, message: impl Into<String>) -> Self {
        Error {
            kind,
            code: code.into(),
            message: message.into(),
        }
    }
}

/// One problem with a config, naming its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Path of the field, such as `prizes[1].weight`; empty for a problem
    /// with the config as a whole. A missing or unknown field is named by
    /// its own path.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl ConfigError {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// What the host prepares for a valid config.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    /// Stock pools to create: `(id, initial units)`.
    pub stock: Vec<(String, u64)>,
}

impl Setup {
    /// Declare a stock pool.
    pub fn stock(mut self, id: impl Into<String>, initial: u64) -> Self {
        self.stock.push((id.into(), initial));
        self
    }
}

/// Self-description of a mechanic.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) summary: String,
    pub(crate) view_query: Vec<(String, String)>,
    pub(crate) fuel: Option<u64>,
    pub(crate) memory_bytes: Option<u64>,
    pub(crate) timeout_ms: Option<u32>,
}

impl Manifest {
    /// A manifest with the host's default budget. Its actions and their
    /// payload schemas come from the mechanic's
    /// [`Action`](crate::Mechanic::Action) type, and its config schema
    /// from its [`Config`](crate::Mechanic::Config) type.
    pub fn new(name: &str, version: &str, summary: &str) -> Self {
        Manifest {
            name: name.into(),
            version: version.into(),
            summary: summary.into(),
            view_query: Vec::new(),
            fuel: None,
            memory_bytes: None,
            timeout_ms: None,
        }
    }

    /// Declare a view query parameter (a string), for platform
    /// developers: `.view_query("team_id", "Show this team.")`.
    pub fn view_query(mut self, name: &str, description: &str) -> Self {
        self.view_query.push((name.into(), description.into()));
        self
    }

    /// Ask for fuel per call (the host caps it).
    pub fn fuel(mut self, fuel: u64) -> Self {
        self.fuel = Some(fuel);
        self
    }

    /// Ask for linear memory in bytes (the host caps it).
    pub fn memory_bytes(mut self, bytes: u64) -> Self {
        self.memory_bytes = Some(bytes);
        self
    }

    /// Ask for wall-clock time per call in milliseconds (the host caps it).
    pub fn timeout_ms(mut self, ms: u32) -> Self {
        self.timeout_ms = Some(ms);
        self
    }

    /// The plugin's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}
