//! `arcade plugin ...`: the plugin author's toolkit, which needs no
//! server. One module per command: `new` scaffolds a mechanic crate
//! (`template.rs`), `build` compiles it to a component for the host.

mod build;
mod new;
mod template;

pub use build::{WASM_TARGET, build};
pub use new::new;
