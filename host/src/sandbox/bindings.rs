//! Generated host bindings, one module per contract version the host
//! serves. Only the sandbox module uses them; everything past the sandbox
//! boundary sees one internal form (see `version.rs` and `output.rs`).
//!
//! The two versions' imports have different names (`...@0.1.0` and
//! `...@0.2.0`), so both are linked into one `Linker` side by side.

/// `arcade:mechanic@0.1.0`: five bare exports.
pub mod v01 {
    wasmtime::component::bindgen!({
        path: "../wit/0.1.0",
        world: "arcade:mechanic/mechanic@0.1.0",
        imports: { default: trappable },
    });

    pub use arcade::mechanic::types;
}

/// `arcade:mechanic@0.2.0`: the exported interface `plugin`.
pub mod v02 {
    wasmtime::component::bindgen!({
        path: "../wit/0.2.0",
        world: "arcade:mechanic/mechanic@0.2.0",
        imports: { default: trappable },
    });

    pub use arcade::mechanic::types;
}
