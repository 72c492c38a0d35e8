//! Generated bindings for the contract this build targets: `arcade:mechanic@0.2.0`
//! by default, `@0.1.0` with the `contract-0-1` feature. Both come from the
//! copies of the contract vendored in `sdk/wit/` (so the crate packages on
//! its own; a test keeps them equal to `wit/`). Only the SDK itself and the
//! [`export!`](crate::export) macro use these; plugin authors never do.
#![allow(missing_docs, unsafe_code, clippy::all)]

#[cfg(not(feature = "contract-0-1"))]
wit_bindgen::generate!({
    path: "wit/0.2.0",
    world: "arcade:mechanic/mechanic@0.2.0",
    pub_export_macro: true,
    export_macro_name: "export",
    default_bindings_module: "arcade_sdk::bindings",
    runtime_path: "arcade_sdk::__rt",
});

#[cfg(feature = "contract-0-1")]
wit_bindgen::generate!({
    path: "wit/0.1.0",
    world: "arcade:mechanic/mechanic@0.1.0",
    pub_export_macro: true,
    export_macro_name: "export",
    default_bindings_module: "arcade_sdk::bindings",
    runtime_path: "arcade_sdk::__rt",
});

pub use arcade::mechanic::types::*;

/// What the component exports: 0.2's `plugin` interface, or 0.1's world.
#[cfg(not(feature = "contract-0-1"))]
pub use exports::arcade::mechanic::plugin::Guest;
