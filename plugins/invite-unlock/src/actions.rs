//! The one action, `join`.

use arcade_sdk::{Context, Error, JsonSchema, Outcome, clock, json, member};
use serde::Deserialize;

use crate::Config;
use crate::state::{Code, Me};

/// What users can do.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    tag = "name",
    content = "payload",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum Action {
    /// Take part, optionally with the invite code of who invited you.
    Join(Join),
}

/// The `join` payload.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Join {
    /// The invite code of who invited you, as they shared it.
    #[serde(default)]
    pub invite_code: Option<String>,
}

/// `join`: take part once; count toward the inviter's unlock if the
/// invite counts.
pub fn join(ctx: &Context<Config>, join: Join) -> Result<Outcome, Error> {
    if let Some(me) = Me::read() {
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
    let mut unlocked_for = None;
    if let Some(code) = &join.invite_code {
        let mut owner = Code::read(code).ok_or_else(|| {
            Error::rejected("unknown_invite_code", "no participant has this invite code")
        })?;
        if new_user || !ctx.config.new_users_only {
            owner.invitees += 1;
            me.inviter = Some(owner.owner.clone());
            if owner.invitees >= ctx.config.invites_needed && !owner.unlocked {
                owner.unlocked = true;
                unlocked_for = Some(owner.owner.clone());
            }
            owner.write(code);
        }
    }
    Code {
        owner: ctx.user_id.clone(),
        invitees: 0,
        unlocked: false,
    }
    .write(&me.code);
    me.write();
    let mut outcome = Outcome::new(json!({
        "invite_code": me.code,
        "invited_by": me.inviter,
        "counted": me.inviter.is_some(),
    }));
    if let Some(inviter) = &me.inviter {
        outcome = outcome.invite_accepted(&ctx.user_id, inviter);
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
