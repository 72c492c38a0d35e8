//! A red packet (抢红包) for contention tests and the benchmark: a fixed
//! number of packets behind one activity-scope counter, the hottest key a
//! mechanic can have. Every `grab` reads and rewrites that one key.
//!
//! Config `{"packets": N}`. `grab` takes the next packet and returns
//! `{"packet": k}` (k counts down from N to 1), or refuses with
//! `sold_out` once none are left. The counter is written on the first
//! grab, from the config; until then it is absent.

use arcade_sdk::{
    ConfigError, Context, Error, JsonSchema, Manifest, Mechanic, Outcome, Setup, View, json, state,
};
use serde::Deserialize;

/// The activity-scope key holding the packets left.
pub const REMAINING: &str = "remaining";
/// Largest number of packets.
pub const MAX_PACKETS: u64 = 1_000_000_000;

/// Activity config.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// How many packets there are.
    #[schemars(range(min = 1))]
    pub packets: u64,
}

/// The actions.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    tag = "name",
    content = "payload",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum Action {
    /// Take the next packet.
    Grab {},
}

/// The mechanic.
pub struct RedPacket;

impl Mechanic for RedPacket {
    type Config = Config;
    type Action = Action;

    fn manifest() -> Manifest {
        Manifest::new(
            "red-packet",
            "0.1.0",
            "Grab one of a fixed number of packets.",
        )
    }

    fn validate(config: &Config) -> Result<Setup, Vec<ConfigError>> {
        if !(1..=MAX_PACKETS).contains(&config.packets) {
            return Err(vec![ConfigError::new(
                "packets",
                format!("must be from 1 to {MAX_PACKETS}"),
            )]);
        }
        Ok(Setup::default())
    }

    fn handle(ctx: &Context<Config>, action: Action) -> Result<Outcome, Error> {
        match action {
            Action::Grab {} => {
                let shared = state::activity();
                let remaining: u64 = shared.get(REMAINING).unwrap_or(ctx.config.packets);
                if remaining == 0 {
                    return Err(Error::rejected("sold_out", "every packet has been taken"));
                }
                shared.set(REMAINING, &(remaining - 1));
                Ok(Outcome::new(json!({"packet": remaining})))
            }
        }
    }

    fn view(ctx: &View<Config>) -> Result<serde_json::Value, Error> {
        let remaining: u64 = state::activity()
            .get(REMAINING)
            .unwrap_or(ctx.config.packets);
        Ok(json!({"packets": ctx.config.packets, "remaining": remaining}))
    }
}

arcade_sdk::export!(RedPacket);
