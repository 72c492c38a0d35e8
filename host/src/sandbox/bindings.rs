//! Generated host bindings for `arcade:mechanic@0.1.0`. Only the sandbox
//! module uses them.

wasmtime::component::bindgen!({
    path: "../wit/0.1.0",
    world: "arcade:mechanic/mechanic@0.1.0",
    imports: { default: trappable },
});

pub use arcade::mechanic::types;
