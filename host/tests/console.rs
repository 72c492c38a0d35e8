//! The operators' console in a real browser: `tests/console/e2e.mjs`
//! (playwright-core driving Debian's Chromium) against this build of
//! `arcade`. It needs Node.js, Chromium and the harness's one package;
//! without them it fails, naming what to install, rather than skipping.

use std::path::Path;
use std::process::Command;

#[test]
fn the_console_works_in_a_browser() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let harness = root.join("tests/console");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let missing: Vec<&str> = [
        (
            Command::new("node").arg("--version").output().is_err(),
            "node (apt-get install -y nodejs)",
        ),
        (
            !Path::new(&chromium).exists(),
            "chromium (apt-get install -y chromium)",
        ),
        (
            !harness.join("node_modules/playwright-core").is_dir(),
            "the harness's package (npm ci --prefix tests/console)",
        ),
    ]
    .into_iter()
    .filter_map(|(gone, what)| gone.then_some(what))
    .collect();
    assert!(
        missing.is_empty(),
        "the browser tests need: {}; `bash .ci/run` installs them all",
        missing.join(", ")
    );
    let shots = std::env::var("SCREENSHOT_DIR")
        .unwrap_or_else(|_| root.join("docs/screenshots").display().to_string());
    let out = Command::new("node")
        .arg(harness.join("e2e.mjs"))
        .env("ARCADE_BIN", env!("CARGO_BIN_EXE_arcade"))
        .env("SCREENSHOT_DIR", &shots)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("running node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the console's browser test failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    assert!(stdout.contains("console e2e: 11 steps passed"), "{stdout}");
}
