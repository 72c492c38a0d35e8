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
//! View: the viewer's progress, or `?code=...` for anyone.

pub mod actions;
pub mod config;
pub mod state;
pub mod view;

use arcade_sdk::{ConfigError, Context, Error, Manifest, Mechanic, Outcome, Setup, View};

pub use actions::Action;
pub use config::{Config, MAX_INVITES};

/// The mechanic.
pub struct InviteUnlock;

impl Mechanic for InviteUnlock {
    type Config = Config;
    type Action = Action;

    fn manifest() -> Manifest {
        Manifest::new(
            "invite-unlock",
            "0.2.0",
            "Invite-to-unlock (裂变): a reward once enough new users join with your code.",
        )
        .view_query("code", "Show this invite code's progress, to anyone.")
    }

    fn validate(config: &Config) -> Result<Setup, Vec<ConfigError>> {
        let errors = config.problems();
        if errors.is_empty() {
            Ok(Setup::default())
        } else {
            Err(errors)
        }
    }

    fn handle(ctx: &Context<Config>, action: Action) -> Result<Outcome, Error> {
        match action {
            Action::Join(join) => actions::join(ctx, join),
        }
    }

    fn view(view: &View<Config>) -> Result<arcade_sdk::Value, Error> {
        view::view(view)
    }
}

arcade_sdk::export!(InviteUnlock);

#[cfg(test)]
mod tests;
