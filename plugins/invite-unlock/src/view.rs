//! What a viewer sees: their own progress, or with `?code=...` the
//! progress of that invite code (a share page anyone can open).

use arcade_sdk::{Error, Value, View, json};

use crate::Config;
use crate::state::{Code, Me};

/// The view.
pub fn view(view: &View<Config>) -> Result<Value, Error> {
    let config = &view.config;
    if let Some(code) = view.param("code") {
        let owner = Code::read(code).ok_or_else(|| {
            Error::not_found("unknown_invite_code", "no participant has this invite code")
        })?;
        return Ok(json!({
            "invite_code": code,
            "invitees": owner.invitees,
            "unlocked": owner.unlocked,
            "invites_needed": config.invites_needed,
            "reward": config.reward.describe(),
        }));
    }
    let me = view.viewer.as_ref().and_then(|_| Me::read());
    let Some(me) = me else {
        return Ok(
            json!({"joined": false, "invites_needed": config.invites_needed,
                         "reward": config.reward.describe()}),
        );
    };
    let code = Code::read(&me.code);
    Ok(json!({
        "joined": true,
        "invite_code": me.code,
        "invited_by": me.inviter,
        "invitees": code.as_ref().map_or(0, |c| c.invitees),
        "unlocked": code.as_ref().is_some_and(|c| c.unlocked),
        "invites_needed": config.invites_needed,
        "reward": config.reward.describe(),
    }))
}
