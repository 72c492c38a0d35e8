//! `MockHost::interleave`: two actions arriving together, their conflicts
//! and whether their order matters.

use arcade_sdk::testing::MockHost;
use arcade_sdk::{
    ConfigError, Context, Error, JsonSchema, Manifest, Mechanic, Outcome, Setup, View, json, state,
};
use serde::Deserialize;

#[derive(Deserialize, JsonSchema)]
struct Config {
    /// Seats in total.
    seats: u64,
}

#[derive(Deserialize, JsonSchema)]
#[serde(
    tag = "name",
    content = "payload",
    rename_all = "snake_case",
    deny_unknown_fields
)]
enum Action {
    /// Take a seat: reads and writes the shared count.
    Sit {},
    /// Wave: touches only the actor's own state.
    Wave {},
}

struct Seats;

impl Mechanic for Seats {
    type Config = Config;
    type Action = Action;

    fn manifest() -> Manifest {
        Manifest::new("seats", "0.1.0", "Seats.")
    }

    fn validate(_: &Config) -> Result<Setup, Vec<ConfigError>> {
        Ok(Setup::default())
    }

    fn handle(ctx: &Context<Config>, action: Action) -> Result<Outcome, Error> {
        match action {
            Action::Sit {} => {
                let taken: u64 = state::activity().get("taken").unwrap_or(0);
                if taken == ctx.config.seats {
                    return Err(Error::rejected("full", "no seat left"));
                }
                state::activity().set("taken", &(taken + 1));
                Ok(Outcome::new(json!({"seat": taken + 1})))
            }
            Action::Wave {} => {
                state::user().set("waved", &true);
                Ok(Outcome::new(json!({})))
            }
        }
    }

    fn view(_: &View<Config>) -> Result<serde_json::Value, Error> {
        Ok(json!({}))
    }
}

#[test]
fn two_sits_conflict_on_the_shared_count_and_their_order_matters() {
    let mut host = MockHost::new(r#"{"seats": 1}"#);
    let i = host.interleave::<Seats>(("u1", "sit", json!({})), ("u2", "sit", json!({})));
    assert_eq!(i.conflicts, ["activity/taken"]);
    assert!(i.order_matters(), "only one of them gets the seat");
    assert!(i.a_then_b[0].is_ok());
    assert_eq!(i.a_then_b[1].as_ref().unwrap_err().code, "full");
    assert_eq!(i.b_then_a[1].as_ref().unwrap_err().code, "full");
}

#[test]
fn waves_of_different_users_commute() {
    let mut host = MockHost::new(r#"{"seats": 1}"#);
    let i = host.interleave::<Seats>(("u1", "wave", json!({})), ("u2", "wave", json!({})));
    assert!(i.conflicts.is_empty(), "{:?}", i.conflicts);
    assert!(!i.order_matters());
}

#[test]
fn the_manifest_comes_from_the_types() {
    let mut host = MockHost::new(r#"{"seats": 2}"#);
    host.setup::<Seats>().unwrap();
    let e = host.handle::<Seats>("u1", "sit", json!({"x": 1}));
    // A unit action takes `{}`; anything else is not its payload.
    assert_eq!(e.unwrap_err().code, "invalid_payload");
    assert_eq!(
        host.handle::<Seats>("u1", "fly", json!({}))
            .unwrap_err()
            .code,
        "unknown_action"
    );
    let specs = <Action as arcade_sdk::Actions>::specs();
    let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["sit", "wave"]);
    assert_eq!(
        specs[0].summary,
        "Take a seat: reads and writes the shared count."
    );
}
