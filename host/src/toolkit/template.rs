//! The files `arcade plugin new` writes: a small but complete mechanic (a
//! stamp card: each `stamp` adds one to the user's card, and the card's
//! goal grants points once), its native tests, a scripted session with
//! its golden file for `arcade plugin test`, the config `arcade plugin run`
//! starts with, and a README.

/// `Cargo.toml`; `{name}` and `{sdk}` are filled in.
pub const CARGO_TOML: &str = r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

# A plugin is a workspace of its own, so creating it inside another
# project's tree does not make it a member of that project's workspace.
[workspace]

[lib]
# cdylib: the WebAssembly component; rlib: native unit tests.
crate-type = ["cdylib", "rlib"]

[dependencies]
arcade-sdk = {sdk}
schemars = "1"
serde = { version = "1", features = ["derive"] }
serde_json = "1"

# `arcade plugin build` builds with this profile: small, fast components.
[profile.release]
opt-level = 3
lto = true
codegen-units = 1
panic = "abort"
strip = true
"#;

/// `src/lib.rs`; `{name}` is filled in.
pub const LIB_RS: &str = r##"//! {name}: a stamp card. Each `stamp` adds one stamp to the acting
//! user's card; the stamp that reaches the config's `goal` grants
//! `reward_points` points, once per user. The view shows the user's card.
//!
//! Config: `{"goal": 5, "reward_points": 100}`.

use arcade_sdk::{
    ConfigError, Context, Error, JsonSchema, Manifest, Mechanic, Outcome, Reward, Setup, View,
    json, state,
};
use serde::Deserialize;

/// The activity's config. Its JSON Schema, derived here, is the one the
/// host checks every config against.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Stamps that complete a card (1 to 100).
    #[schemars(range(min = 1, max = 100))]
    pub goal: u32,
    /// Points granted when a card is completed.
    #[schemars(range(min = 1))]
    pub reward_points: i64,
}

/// What users can do: one variant per action, its doc comment the
/// action's summary. The manifest's actions and payload schemas come from
/// this type.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(tag = "name", content = "payload", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Add one stamp to your card.
    Stamp {},
}

/// The mechanic.
pub struct StampCard;

/// The user-scope key holding the user's stamps.
const STAMPS: &str = "stamps";

impl Mechanic for StampCard {
    type Config = Config;
    type Action = Action;

    fn manifest() -> Manifest {
        Manifest::new("{name}", "0.1.0", "A stamp card: collect stamps, complete the card.")
    }

    fn validate(config: &Config) -> Result<Setup, Vec<ConfigError>> {
        let mut errors = Vec::new();
        if !(1..=100).contains(&config.goal) {
            errors.push(ConfigError::new("goal", "must be from 1 to 100"));
        }
        if config.reward_points < 1 {
            errors.push(ConfigError::new("reward_points", "must be at least 1"));
        }
        if errors.is_empty() { Ok(Setup::default()) } else { Err(errors) }
    }

    fn handle(ctx: &Context<Config>, action: Action) -> Result<Outcome, Error> {
        match action {
            Action::Stamp {} => {
                let card = state::user();
                let stamps: u32 = card.get(STAMPS).unwrap_or(0);
                if stamps >= ctx.config.goal {
                    return Err(Error::rejected("card_complete", "this card is already complete"));
                }
                let stamps = stamps + 1;
                card.set(STAMPS, &stamps);
                let mut outcome = Outcome::new(json!({"stamps": stamps, "goal": ctx.config.goal}));
                if stamps == ctx.config.goal {
                    outcome = outcome
                        .reward(Reward::points(ctx.config.reward_points))
                        .event("card.completed", &ctx.user_id, json!({"stamps": stamps}));
                }
                Ok(outcome)
            }
        }
    }

    fn view(view: &View<Config>) -> Result<serde_json::Value, Error> {
        // An anonymous viewer (no user_id) sees an empty card.
        let stamps: u32 = match view.viewer {
            Some(_) => state::user().get(STAMPS).unwrap_or(0),
            None => 0,
        };
        Ok(json!({"stamps": stamps, "goal": view.config.goal}))
    }
}

arcade_sdk::export!(StampCard);

#[cfg(test)]
mod tests {
    use arcade_sdk::testing::MockHost;
    use serde_json::json;

    use super::StampCard;

    fn host() -> MockHost {
        let mut host = MockHost::new(r#"{"goal": 3, "reward_points": 100}"#);
        host.setup::<StampCard>().expect("the config is valid");
        host
    }

    #[test]
    fn the_stamp_that_completes_the_card_grants_the_points_once() {
        let mut host = host();
        for n in 1..=2 {
            let out = host.handle::<StampCard>("u1", "stamp", json!({})).unwrap();
            assert_eq!(out.result["stamps"], n);
            assert!(out.rewards.is_empty());
        }
        let last = host.handle::<StampCard>("u1", "stamp", json!({})).unwrap();
        assert_eq!(last.rewards.len(), 1);
        assert_eq!(host.balance("u1", "points"), 100);
        let again = host.handle::<StampCard>("u1", "stamp", json!({})).unwrap_err();
        assert_eq!(again.code, "card_complete");
        assert_eq!(host.balance("u1", "points"), 100, "granted once");
    }

    #[test]
    fn cards_are_per_user() {
        let mut host = host();
        host.handle::<StampCard>("u1", "stamp", json!({})).unwrap();
        assert_eq!(host.view::<StampCard>("u1").unwrap()["stamps"], 1);
        assert_eq!(host.view::<StampCard>("u2").unwrap()["stamps"], 0);
    }

    #[test]
    fn a_goal_out_of_range_is_refused_naming_the_field() {
        let mut host = MockHost::new(r#"{"goal": 0, "reward_points": 100}"#);
        let errors = host.setup::<StampCard>().unwrap_err();
        assert_eq!(errors[0].field, "goal");
    }
}
"##;

/// `config.json`: the config `arcade plugin run` and `dev` start the
/// activity with.
pub const CONFIG_JSON: &str = r#"{"goal": 5, "reward_points": 100}
"#;

/// `sessions/basic.yaml`: a scripted session for `arcade plugin test`.
pub const SESSION: &str = include_str!("template/basic.yaml");

/// `sessions/basic.golden.json`: what `SESSION` gives, step by step
/// (`arcade plugin test --bless` wrote it; a test runs the scaffold
/// against it).
pub const GOLDEN: &str = include_str!("template/basic.golden.json");

/// `README.md`; `{name}` is filled in.
pub const README: &str = r#"# {name}

An Arcade mechanic: a stamp card. Each `stamp` adds one stamp to the
acting user's card; the stamp that reaches `goal` grants `reward_points`
points, once per user.

Config:

```json
{"goal": 5, "reward_points": 100}
```

## Build, test, run, upload

```sh
cargo test                  # the mechanic's rules, natively, against the SDK's MockHost
arcade plugin build         # the component, for wasm32-wasip2; prints its path
arcade plugin test          # sessions/*.yaml against the component in the real host, checked
                            # against their golden files (--bless rewrites them)
arcade plugin dev           # a local service with an activity (config.json) on 127.0.0.1:8080;
                            # rebuilds and reloads on every change (`run`: without reloading)
arcade plugin upload --url "$ARCADE" --key "$ADMIN" "$(arcade plugin build)"
```

`arcade plugin build` needs the wasm target once: `rustup target add
wasm32-wasip2`. The crate is a workspace of its own (`[workspace]` in
`Cargo.toml`), so it builds the same inside or outside another project.
"#;
