//! Builds the first-party plugins so the binary ships with them.

include!("build/wasm.rs");

fn main() {
    // `sqlx::migrate!` embeds the migration files; rebuild when one is added.
    println!("cargo:rerun-if-changed=migrations");
    build_plugins(&["lucky-draw"]);
}
