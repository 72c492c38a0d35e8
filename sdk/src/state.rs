//! Key-value state kept by the host, scoped to the activity, to the acting
//! user, or to a team.
//!
//! Values are stored as JSON. Reads see a snapshot taken when the call
//! started plus this call's own writes; writes are applied only if the
//! outcome commits, and the host re-runs the call if another call changed
//! a key it read, so read-modify-write is atomic.

use serde::{Serialize, de::DeserializeOwned};

/// Which slice of state a key lives in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Shared by every user of the activity.
    Activity,
    /// Private to the acting user.
    User,
    /// Shared by the members of a team, named by the mechanic.
    Team(String),
}

/// State in one scope.
#[derive(Debug, Clone)]
pub struct Scoped(Scope);

/// State shared by every user of the activity.
pub fn activity() -> Scoped {
    Scoped(Scope::Activity)
}

/// State private to the acting user.
pub fn user() -> Scoped {
    Scoped(Scope::User)
}

/// State shared by the members of team `id` (at most 64 bytes), loaded
/// when first touched and committed atomically with the call.
pub fn team(id: &str) -> Scoped {
    Scoped(Scope::Team(id.to_owned()))
}

impl Scoped {
    /// The value under `key`, parsed from JSON; `None` if absent.
    ///
    /// # Panics
    /// If the stored value does not parse as `T`: the mechanic changed its
    /// state format without migrating, and the call traps.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let raw = self.get_raw(key)?;
        match serde_json::from_str(&raw) {
            Ok(v) => Some(v),
            Err(e) => panic!("state key {key:?} holds a value of another shape: {e}"),
        }
    }

    /// Store `value` under `key` as JSON.
    pub fn set<T: Serialize + ?Sized>(&self, key: &str, value: &T) {
        let text = serde_json::to_string(value).expect("state values serialize to JSON");
        self.set_raw(key, &text);
    }

    /// The raw string under `key`.
    pub fn get_raw(&self, key: &str) -> Option<String> {
        imp::get(&self.0, key)
    }

    /// Store a raw string under `key`.
    pub fn set_raw(&self, key: &str, value: &str) {
        imp::set(&self.0, key, value)
    }

    /// Remove `key`.
    pub fn remove(&self, key: &str) {
        imp::remove(&self.0, key)
    }
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::Scope;
    use crate::bindings::arcade::mechanic::{state, types};

    fn wit(scope: &Scope) -> types::Scope {
        match scope {
            Scope::Activity => types::Scope::Activity,
            Scope::User => types::Scope::User,
            Scope::Team(id) => types::Scope::Team(id.clone()),
        }
    }
    pub fn get(scope: &Scope, key: &str) -> Option<String> {
        state::get(&wit(scope), key)
    }
    pub fn set(scope: &Scope, key: &str, value: &str) {
        state::set(&wit(scope), key, value)
    }
    pub fn remove(scope: &Scope, key: &str) {
        state::remove(&wit(scope), key)
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use super::Scope;
    use crate::testing::with_call;

    pub fn get(scope: &Scope, key: &str) -> Option<String> {
        with_call(|c| c.state_get(scope, key))
    }
    pub fn set(scope: &Scope, key: &str, value: &str) {
        with_call(|c| c.state_set(scope, key, Some(value.to_owned())))
    }
    pub fn remove(scope: &Scope, key: &str) {
        with_call(|c| c.state_set(scope, key, None))
    }
}
