//! Write Arcade activity mechanics in Rust.
//!
//! A mechanic is a type that implements [`Mechanic`], exported with
//! [`export!`] and compiled for `wasm32-wasip2`. The host runs it in a
//! sandbox, once per action, and applies everything the action did
//! (state writes, stock claims, rewards) atomically with the outcome.
//!
//! Host capabilities are plain functions in [`state`], [`stock`],
//! [`wallet`], [`member`], [`timers`], [`random`], [`clock`] and [`log`]. Off wasm (in `cargo test`) they talk
//! to a [`testing::MockHost`] instead, so mechanics can be unit-tested
//! natively.
//!
//! ```
//! use arcade_sdk::{Action, Context, Error, Manifest, Mechanic, Outcome, Setup, ConfigError};
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! struct Config { greeting: String }
//!
//! struct Hello;
//!
//! impl Mechanic for Hello {
//!     type Config = Config;
//!
//!     fn manifest() -> Manifest {
//!         Manifest::new("hello", "0.1.0", "Greets users and counts visits.")
//!             .action("greet", "Say hello.", serde_json::json!({"type": "object"}))
//!     }
//!
//!     fn validate(config: &Config) -> Result<Setup, Vec<ConfigError>> {
//!         if config.greeting.is_empty() {
//!             return Err(vec![ConfigError::new("greeting", "must not be empty")]);
//!         }
//!         Ok(Setup::default())
//!     }
//!
//!     fn handle(ctx: &Context<Config>, action: &Action) -> Result<Outcome, Error> {
//!         match action.name.as_str() {
//!             "greet" => {
//!                 let visits: u64 = arcade_sdk::state::user().get("visits").unwrap_or(0) + 1;
//!                 arcade_sdk::state::user().set("visits", &visits);
//!                 Ok(Outcome::new(serde_json::json!({
//!                     "message": format!("{}, {}", ctx.config.greeting, ctx.user_id),
//!                     "visits": visits,
//!                 })))
//!             }
//!             other => Err(Error::unknown_action(other)),
//!         }
//!     }
//!
//!     fn view(_ctx: &Context<Config>) -> Result<serde_json::Value, Error> {
//!         let visits: u64 = arcade_sdk::state::user().get("visits").unwrap_or(0);
//!         Ok(serde_json::json!({ "visits": visits }))
//!     }
//! }
//!
//! arcade_sdk::export!(Hello);
//!
//! // Natively, the same code runs against a mock host:
//! let mut host = arcade_sdk::testing::MockHost::new(r#"{"greeting":"Hi"}"#);
//! let out = host.handle::<Hello>("u1", "greet", serde_json::json!({})).unwrap();
//! assert_eq!(out.result["visits"], 1);
//! ```
#![deny(missing_docs)]

extern crate self as arcade_sdk;

#[doc(hidden)]
pub use wit_bindgen::rt as __rt;

#[doc(hidden)]
pub mod bindings;
pub mod clock;
#[doc(hidden)]
pub mod glue;
pub mod log;
pub mod member;
pub mod random;
mod reward_spec;
pub mod state;
pub mod stock;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;
pub mod timers;
mod types;
pub mod wallet;

pub use reward_spec::{CouponSpec, DAY_MS, PrizeSpec, RewardSpec, TicketsSpec};
pub use serde_json::{Value, json};
pub use types::{
    Action, ConfigError, Context, Error, ErrorKind, Event, Manifest, Outcome, Reward, RewardKind,
    Setup, Timer,
};

/// An activity mechanic.
///
/// Every method is a pure function of its arguments and of what it reads
/// through the host modules ([`state`], [`stock`], [`random`], [`clock`]).
/// The host may run a call more than once (on a write conflict, and when an
/// outcome is replayed for audit) and keeps only one result, so a mechanic
/// must not rely on anything else.
pub trait Mechanic {
    /// The activity config, parsed from JSON. Use `#[serde(deny_unknown_fields)]`
    /// to reject typos.
    type Config: serde::de::DeserializeOwned;

    /// Describe the mechanic: its name, version, actions and budget.
    fn manifest() -> Manifest;

    /// Check a parsed config beyond what its type enforces, and say which
    /// stock pools the host must create for it.
    fn validate(config: &Self::Config) -> Result<Setup, Vec<ConfigError>>;

    /// Run one action by `ctx.user_id`.
    fn handle(ctx: &Context<Self::Config>, action: &Action) -> Result<Outcome, Error>;

    /// Read-only state for display to `ctx.user_id`.
    fn view(ctx: &Context<Self::Config>) -> Result<Value, Error>;

    /// A timer has come due. The default refuses, for mechanics without timers.
    fn on_timer(ctx: &Context<Self::Config>, timer: &Timer) -> Result<Outcome, Error> {
        let _ = ctx;
        Err(Error::rejected(
            "timers_unsupported",
            format!("this mechanic schedules no timers, got {:?}", timer.name),
        ))
    }
}

/// Export a [`Mechanic`] as the component's implementation of the
/// `arcade:mechanic` world. Use it once per plugin crate.
#[macro_export]
macro_rules! export {
    ($mechanic:ty) => {
        const _: () = {
            struct ArcadeExport;

            impl $crate::bindings::Guest for ArcadeExport {
                fn describe() -> $crate::bindings::Manifest {
                    $crate::glue::describe::<$mechanic>()
                }
                fn validate_config(
                    config: ::std::string::String,
                ) -> ::std::result::Result<
                    $crate::bindings::Setup,
                    ::std::vec::Vec<$crate::bindings::ConfigError>,
                > {
                    $crate::glue::validate_config::<$mechanic>(&config)
                }
                fn handle(
                    ctx: $crate::bindings::Context,
                    action: $crate::bindings::Action,
                ) -> ::std::result::Result<$crate::bindings::Outcome, $crate::bindings::Error>
                {
                    $crate::glue::handle::<$mechanic>(ctx, action)
                }
                fn view(
                    ctx: $crate::bindings::Context,
                ) -> ::std::result::Result<::std::string::String, $crate::bindings::Error> {
                    $crate::glue::view::<$mechanic>(ctx)
                }
                fn on_timer(
                    ctx: $crate::bindings::Context,
                    timer: $crate::bindings::Timer,
                ) -> ::std::result::Result<$crate::bindings::Outcome, $crate::bindings::Error>
                {
                    $crate::glue::on_timer::<$mechanic>(ctx, timer)
                }
            }

    $crate::bindings::export!(ArcadeExport with_types_in $crate::bindings);
        };
    };
}
