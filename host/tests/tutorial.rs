//! The tutorial `docs/tutorial-red-packet.md`, followed as written: its
//! `sh` blocks are run in order by one shell, its `file=...` blocks are
//! written where they say, and a `sh terminal-2` block runs in the
//! background (a second terminal) until the tutorial ends, the shell
//! waiting for its `wait-for` text first. A command that fails fails the
//! test, with everything printed so far.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

const TUTORIAL: &str = include_str!("../../docs/tutorial-red-packet.md");

/// A fenced block: its info string and its text.
struct Block {
    info: String,
    text: String,
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for line in markdown.lines() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) => {
                open = Some(Block {
                    info: info.trim().to_owned(),
                    text: String::new(),
                })
            }
            (Some(_), Some("")) => out.extend(open.take()),
            (Some(b), _) => {
                b.text.push_str(line);
                b.text.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "an unclosed code block in the tutorial");
    out
}

/// `key=value` or `key="value with spaces"` from an info string.
fn attribute<'a>(info: &'a str, key: &str) -> Option<&'a str> {
    let rest = &info[info.find(&format!("{key}="))? + key.len() + 1..];
    match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next(),
        None => rest.split_whitespace().next(),
    }
}

/// The shell script that does what the tutorial says, in order.
fn script(blocks: &[Block]) -> String {
    let mut s = String::from(
        "set -euo pipefail\nset -m\nBACKGROUND=()\n\
         trap 'for p in \"${BACKGROUND[@]}\"; do kill -- -$p 2>/dev/null || true; done' EXIT\n\
         set -x\n",
    );
    for (i, b) in blocks.iter().enumerate() {
        let lang = b.info.split_whitespace().next().unwrap_or("");
        if let Some(file) = attribute(&b.info, "file") {
            writeln!(s, "cat > {file} <<'TUTORIAL_EOF'\n{}TUTORIAL_EOF", b.text).unwrap();
        } else if lang == "sh" && b.info.contains("terminal-2") {
            let ready =
                attribute(&b.info, "wait-for").expect("a terminal-2 block says what to wait for");
            let log = format!("terminal-2-{i}.log");
            writeln!(
                s,
                "( {cmd} ) > {log} 2>&1 &\nBACKGROUND+=($!)\n\
                 for _ in $(seq 1200); do grep -qF '{ready}' {log} && break; \
                 kill -0 $! 2>/dev/null || {{ cat {log}; exit 1; }}; sleep 0.5; done\n\
                 grep -qF '{ready}' {log} || {{ cat {log}; exit 1; }}\ncat {log}",
                cmd = b.text.trim(),
            )
            .unwrap();
        } else if lang == "sh" {
            s.push_str(&b.text);
        }
    }
    s
}

#[test]
fn the_tutorial_blocks_are_read_as_meant() {
    let all = blocks(TUTORIAL);
    let files: Vec<&str> = all
        .iter()
        .filter_map(|b| attribute(&b.info, "file"))
        .collect();
    assert_eq!(files, ["src/lib.rs", "src/tests.rs", "sessions/grab.yaml"]);
    assert_eq!(
        all.iter().filter(|b| b.info.contains("terminal-2")).count(),
        1
    );
    let script = script(&all);
    for command in [
        "arcade plugin new red-packet",
        "cargo test",
        "arcade plugin build",
        "arcade plugin test --bless",
        "arcade plugin upload",
    ] {
        assert!(script.contains(command), "{command} is not in the script");
    }
    assert_eq!(
        attribute(r#"sh terminal-2 wait-for="a b""#, "wait-for"),
        Some("a b")
    );
}

#[test]
fn a_red_packet_from_zero_works_as_written() {
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tutorial");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_arcade")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(script(&blocks(TUTORIAL)))
        .current_dir(&work)
        .env("PATH", path)
        // The crate's dependencies build once, kept between runs (the
        // tutorial's commands do not depend on where).
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("tutorial-target"),
        )
        .env_remove("ARCADE_BLESS")
        .env_remove("ARCADE_URL")
        .env_remove("ARCADE_KEY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the tutorial failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    let both = format!("{stdout}\n{stderr}");
    // What the tutorial says each step shows.
    for seen in [
        "test result: ok. 4 passed",
        "blessed: wrote ./sessions/grab.golden.json",
        "ok: matches ./sessions/grab.golden.json",
        "conflict on activity/packet; order matters",
        "\"amount_fen\":",
        "\"mine_fen\":",
        "invalid_payload",
        "already registered",
        "red-packet",
    ] {
        assert!(both.contains(seen), "{seen:?} not seen\n{both}");
    }
    let crate_dir = work.join("red-packet");
    let golden = std::fs::read_to_string(crate_dir.join("sessions/grab.golden.json")).unwrap();
    let golden: serde_json::Value = serde_json::from_str(&golden).unwrap();
    // The packets of the session sum to the total.
    let mut sum = golden[0]["result"]["amount_fen"].as_u64().unwrap();
    for grab in golden[2]["together"]["a_then_b"].as_array().unwrap() {
        sum += grab["result"]["amount_fen"].as_u64().unwrap();
    }
    assert_eq!(sum, 1000, "{golden}");
}
