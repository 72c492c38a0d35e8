//! Builds the first-party plugins so the binary ships with them.

include!("build/wasm.rs");

fn main() {
    build_plugins(&[
        "lucky-draw",
        "group-buy",
        "price-cut",
        "check-in",
        "quiz",
        "hongbao",
        "invite-unlock",
        "voting",
    ]);
}
