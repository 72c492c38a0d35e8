//! First-party plugins compiled into the binary by the build script and
//! registered at start-up.

macro_rules! bundled {
    ($($name:literal => $file:literal),* $(,)?) => {
        /// `(name, component bytes)` of each bundled plugin.
        pub const PLUGINS: &[(&str, &[u8])] = &[
            $(($name, include_bytes!(concat!(env!("OUT_DIR"), "/", $file)))),*
        ];
    };
}

bundled!(
    "lucky-draw" => "lucky_draw.wasm",
    "group-buy" => "group_buy.wasm",
    "price-cut" => "price_cut.wasm",
    "check-in" => "check_in.wasm",
    "quiz" => "quiz.wasm",
    "hongbao" => "hongbao.wasm",
    "invite-unlock" => "invite_unlock.wasm",
    "voting" => "voting.wasm",
);
