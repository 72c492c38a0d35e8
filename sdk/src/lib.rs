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
//! use arcade_sdk::{ConfigError, Context, Error, JsonSchema, Manifest, Mechanic, Outcome, Setup, View};
//! use serde::Deserialize;
//!
//! #[derive(Deserialize, JsonSchema)]
//! #[serde(deny_unknown_fields)]
//! struct Config {
//!     /// How to greet.
//!     greeting: String,
//! }
//!
//! #[derive(Deserialize, JsonSchema)]
//! #[serde(tag = "name", content = "payload", rename_all = "snake_case", deny_unknown_fields)]
//! enum Action {
//!     /// Say hello.
//!     Greet {},
//! }
//!
//! struct Hello;
//!
//! impl Mechanic for Hello {
//!     type Config = Config;
//!     type Action = Action;
//!
//!     fn manifest() -> Manifest {
//!         Manifest::new("hello", "0.1.0", "Greets users and counts visits.")
//!     }
//!
//!     fn validate(config: &Config) -> Result<Setup, Vec<ConfigError>> {
//!         if config.greeting.is_empty() {
//!             return Err(vec![ConfigError::new("greeting", "must not be empty")]);
//!         }
//!         Ok(Setup::default())
//!     }
//!
//!     fn handle(ctx: &Context<Config>, action: Action) -> Result<Outcome, Error> {
//!         match action {
//!             Action::Greet {} => {
//!                 let visits: u64 = arcade_sdk::state::user().get("visits").unwrap_or(0) + 1;
//!                 arcade_sdk::state::user().set("visits", &visits);
//!                 Ok(Outcome::new(serde_json::json!({
//!                     "message": format!("{}, {}", ctx.config.greeting, ctx.user_id),
//!                     "visits": visits,
//!                 })))
//!             }
//!         }
//!     }
//!
//!     fn view(view: &View<Config>) -> Result<serde_json::Value, Error> {
//!         let visits: u64 = match view.viewer {
//!             Some(_) => arcade_sdk::state::user().get("visits").unwrap_or(0),
//!             None => 0,
//!         };
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

pub mod actions;
#[doc(hidden)]
pub mod bindings;
pub mod clock;
mod date;
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

pub use actions::{ActionSpec, Actions};
pub use date::Date;
pub use reward_spec::{CouponSpec, DAY_MS, PrizeSpec, RewardSpec, TicketsSpec};
pub use schemars::{self, JsonSchema};
pub use serde_json::{Value, json};
pub use types::{
    ConfigError, Context, Error, ErrorKind, Event, Manifest, Outcome, Reward, RewardKind, Setup,
    Timer, View,
};

/// The contract version this build of the SDK targets: `0.2.0`, or
/// `0.1.0` with the `contract-0-1` feature.
pub const CONTRACT: &str = if cfg!(feature = "contract-0-1") {
    "0.1.0"
} else {
    "0.2.0"
};

/// An activity mechanic.
///
/// Every method is a pure function of its arguments and of what it reads
/// through the host modules ([`state`], [`stock`], [`random`], [`clock`]).
/// The host may run a call more than once (on a write conflict, and when an
/// outcome is replayed for audit) and keeps only one result, so a mechanic
/// must not rely on anything else.
pub trait Mechanic {
    /// The activity config, parsed from JSON; its JSON Schema, derived
    /// with [`JsonSchema`], is the manifest's config schema, and the host
    /// checks every config against it before the mechanic sees it. Use
    /// `#[serde(deny_unknown_fields)]` to reject typos.
    type Config: serde::de::DeserializeOwned + JsonSchema;

    /// The actions, as an enum deriving `Deserialize` and [`JsonSchema`]
    /// (see [`Actions`]): the manifest lists them with their payload
    /// schemas, and the host checks every payload before the mechanic
    /// runs.
    type Action: Actions;

    /// Describe the mechanic: its name, version, summary and budget.
    fn manifest() -> Manifest;

    /// Check a parsed config beyond what its type enforces, and say which
    /// stock pools the host must create for it.
    fn validate(config: &Self::Config) -> Result<Setup, Vec<ConfigError>>;

    /// Run one action by `ctx.user_id`.
    fn handle(ctx: &Context<Self::Config>, action: Self::Action) -> Result<Outcome, Error>;

    /// Read-only state for display to `view.viewer` (or anyone, for an
    /// anonymous viewer), narrowed by `view.query`.
    fn view(view: &View<Self::Config>) -> Result<Value, Error>;

    /// A timer has come due (`ctx.user_id` is empty: no one is acting).
    /// The default refuses, for mechanics without timers.
    fn on_timer(ctx: &Context<Self::Config>, timer: &Timer) -> Result<Outcome, Error> {
        let _ = ctx;
        Err(Error::rejected(
            "timers_unsupported",
            format!("this mechanic schedules no timers, got {:?}", timer.name),
        ))
    }
}

/// Export a [`Mechanic`] as the component's implementation of the
/// `arcade:mechanic` world (0.2, or 0.1 with the `contract-0-1` feature).
/// Use it once per plugin crate.
#[cfg(not(feature = "contract-0-1"))]
#[macro_export]
macro_rules! export {
    ($mechanic:ty) => {
        const _: () = {
            #[allow(dead_code)]
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
                    query: ::std::string::String,
                ) -> ::std::result::Result<::std::string::String, $crate::bindings::Error> {
                    $crate::glue::view::<$mechanic>(ctx, query)
                }
                fn on_timer(
                    ctx: $crate::bindings::Context,
                    timer: $crate::bindings::Timer,
                ) -> ::std::result::Result<$crate::bindings::Outcome, $crate::bindings::Error>
                {
                    $crate::glue::on_timer::<$mechanic>(ctx, timer)
                }
            }

            #[cfg(target_arch = "wasm32")]
    $crate::bindings::export!(ArcadeExport with_types_in $crate::bindings);
        };
    };
}

/// Export a [`Mechanic`] as the component's implementation of the
/// `arcade:mechanic` world (0.1, with the `contract-0-1` feature). Use it
/// once per plugin crate.
#[cfg(feature = "contract-0-1")]
#[macro_export]
macro_rules! export {
    ($mechanic:ty) => {
        const _: () = {
            #[allow(dead_code)]
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

            #[cfg(target_arch = "wasm32")]
    $crate::bindings::export!(ArcadeExport with_types_in $crate::bindings);
        };
    };
}
