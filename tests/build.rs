//! Builds the test plugins (ordinary crates, compiled to components).
//! `hostile` and `red-packet` are built against contract 0.1 (the SDK's
//! `contract-0-1` feature) and `referral` against 0.2, in separate cargo
//! runs so that the feature does not spread from one to the other.

include!("../host/build/wasm.rs");

fn main() {
    let v01 = build_plugins(&["hostile", "red-packet"]);
    let v02 = build_plugins(&["referral"]);
    println!("cargo:rustc-env=HOSTILE_WASM={}", v01[0].display());
    println!("cargo:rustc-env=RED_PACKET_WASM={}", v01[1].display());
    println!("cargo:rustc-env=REFERRAL_WASM={}", v02[0].display());
}
