//! Invite-to-unlock (裂变): every participant gets an invite code; a user
//! who joins with someone's code counts as that inviter's invitee, once
//! (a user joins once); the invitee that brings the inviter to
//! `invites_needed` unlocks the inviter's reward, once. Each counted
//! invite is reported with the `invite.accepted` event, so the host's
//! statistics show fission levels (an invitee's invitees are level 2, and
//! so on).
//!
//! Config: `{"invites_needed": 3, "reward": {"points": 100},
//! "new_users_only": true}`. Action `join` with an optional
//! `{"invite_code"}`. Refusals: `already_joined`, `unknown_invite_code`.

use arcade_sdk::{
    Action, ConfigError, Context, Error, Manifest, Mechanic, Outcome, RewardSpec, Setup, clock,
    json, member, state,
};
use serde::{Deserialize, Serialize};

/// Most invitees a reward can ask for.
pub const MAX_INVITES: u32 = 1_000;
/// The user-scope key of a participant.
const ME: &str = "me";
/// The team-scope key of an invite code's owner and count.
const CODE: &str = "code";

/// The activity's config.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Counted invitees that unlock the inviter's reward (1 to 1,000).
    pub invites_needed: u32,
    /// What unlocking grants the inviter (the SDK's reward shape).
    pub reward: RewardSpec,
    /// Count only invitees new to the tenant (no earlier outcome in any of
    /// its activities); default true, against self-made accounts of old
    /// members.
    #[serde(default = "yes")]
    pub new_users_only: bool,
}

fn yes() -> bool {
    true
}

/// A participant.
#[derive(Debug, Serialize, Deserialize)]
struct Me {
    /// Their invite code: their join's call id without punctuation (a
    /// team id).
    code: String,
    /// Who invited them, if their invite counted.
    inviter: Option<String>,
}

/// An invite code's state.
#[derive(Debug, Serialize, Deserialize)]
struct Code {
    owner: String,
    /// Invitees counted.
    invitees: u32,
    /// Whether the reward was granted.
    unlocked: bool,
}

/// The mechanic.
pub struct InviteUnlock;

fn code_ok(code: &str) -> bool {
    (1..=64).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphanumeric())
}

impl Mechanic for InviteUnlock {
    type Config = Config;

    fn manifest() -> Manifest {
        Manifest::new(
            "invite-unlock",
            "0.1.0",
            "Invite-to-unlock (裂变): a reward once enough new users join with your code.",
        )
        .action(
            "join",
            "Take part, optionally with the invite code of who invited you.",
            json!({"type": "object", "properties": {"invite_code": {"type": "string"}},
                   "additionalProperties": false}),
        )
        .config_schema(json!({
            "type": "object",
            "properties": {
                "invites_needed": {"type": "integer", "minimum": 1, "maximum": MAX_INVITES},
                "reward": {"type": "object"},
                "new_users_only": {"type": "boolean"}
            },
            "required": ["invites_needed", "reward"],
            "additionalProperties": false
        }))
    }

    fn validate(config: &Config) -> Result<Setup, Vec<ConfigError>> {
        let mut errors = Vec::new();
        if !(1..=MAX_INVITES).contains(&config.invites_needed) {
            errors.push(ConfigError::new(
                "invites_needed",
                format!("must be from 1 to {MAX_INVITES}"),
            ));
        }
        config.reward.validate("reward", &mut errors);
        if errors.is_empty() {
            Ok(Setup::default())
        } else {
            Err(errors)
        }
    }

    fn handle(ctx: &Context<Config>, action: &Action) -> Result<Outcome, Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Join {
            #[serde(default)]
            invite_code: Option<String>,
        }
        if action.name != "join" {
            return Err(Error::unknown_action(&action.name));
        }
        let join: Join = action.parse()?;
        if let Some(me) = state::user().get::<Me>(ME) {
            return Err(Error::rejected(
                "already_joined",
                format!("already taking part; your invite code is {}", me.code),
            ));
        }
        let new_user = member::is_new();
        let mut me = Me {
            code: ctx
                .call_id
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect(),
            inviter: None,
        };
        let mut outcome_events = Vec::new();
        let mut counted = false;
        let mut unlocked_for = None;
        if let Some(code) = &join.invite_code {
            let unknown =
                || Error::rejected("unknown_invite_code", "no participant has this invite code");
            if !code_ok(code) {
                return Err(unknown());
            }
            let scope = state::team(code);
            let mut owner: Code = scope.get(CODE).ok_or_else(unknown)?;
            if new_user || !ctx.config.new_users_only {
                owner.invitees += 1;
                counted = true;
                me.inviter = Some(owner.owner.clone());
                outcome_events.push(owner.owner.clone());
                if owner.invitees >= ctx.config.invites_needed && !owner.unlocked {
                    owner.unlocked = true;
                    unlocked_for = Some(owner.owner.clone());
                }
                scope.set(CODE, &owner);
            }
        }
        state::team(&me.code).set(
            CODE,
            &Code {
                owner: ctx.user_id.clone(),
                invitees: 0,
                unlocked: false,
            },
        );
        state::user().set(ME, &me);
        let mut outcome = Outcome::new(json!({
            "invite_code": me.code,
            "invited_by": me.inviter,
            "counted": counted,
        }));
        for inviter in outcome_events {
            outcome = outcome.invite_accepted(&ctx.user_id, &inviter);
        }
        if let Some(owner) = unlocked_for {
            outcome = outcome
                .reward(ctx.config.reward.reward(clock::now_ms()).to(owner.as_str()))
                .event(
                    "invite.unlocked",
                    &owner,
                    json!({"invites": ctx.config.invites_needed}),
                );
        }
        Ok(outcome)
    }

    fn view(ctx: &Context<Config>) -> Result<serde_json::Value, Error> {
        let Some(me) = state::user().get::<Me>(ME) else {
            return Ok(
                json!({"joined": false, "invites_needed": ctx.config.invites_needed,
                             "reward": ctx.config.reward.describe()}),
            );
        };
        let code: Option<Code> = state::team(&me.code).get(CODE);
        Ok(json!({
            "joined": true,
            "invite_code": me.code,
            "invited_by": me.inviter,
            "invitees": code.as_ref().map_or(0, |c| c.invitees),
            "unlocked": code.as_ref().is_some_and(|c| c.unlocked),
            "invites_needed": ctx.config.invites_needed,
            "reward": ctx.config.reward.describe(),
        }))
    }
}

arcade_sdk::export!(InviteUnlock);

#[cfg(test)]
mod tests;
