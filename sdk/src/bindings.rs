//! Generated bindings for `arcade:mechanic@0.1.0`, from the copy of the
//! contract vendored in `sdk/wit/` (so the crate packages on its own; a
//! test keeps it equal to `wit/`). Only the SDK itself and
//! the [`export!`](crate::export) macro use these; plugin authors never do.
#![allow(missing_docs, unsafe_code, clippy::all)]

wit_bindgen::generate!({
    path: "wit/0.1.0",
    world: "arcade:mechanic/mechanic@0.1.0",
    pub_export_macro: true,
    export_macro_name: "export",
    default_bindings_module: "arcade_sdk::bindings",
    runtime_path: "arcade_sdk::__rt",
});

pub use arcade::mechanic::types::{
    ActionSpec, Budget, ErrorKind, Event, Reward, RewardKind, Scope, StockPool,
};
