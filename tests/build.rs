//! Builds the test plugins (ordinary crates, compiled to components).

include!("../host/build/wasm.rs");

fn main() {
    let paths = build_plugins(&["hostile", "red-packet", "referral"]);
    println!("cargo:rustc-env=HOSTILE_WASM={}", paths[0].display());
    println!("cargo:rustc-env=RED_PACKET_WASM={}", paths[1].display());
    println!("cargo:rustc-env=REFERRAL_WASM={}", paths[2].display());
}
