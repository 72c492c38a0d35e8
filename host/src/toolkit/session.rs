//! Session files of `arcade plugin test`: an activity's config and
//! schedule, where the clock starts, and the steps to run (actions, views,
//! time steps), each with an optional expectation. YAML or JSON.
//!
//! ```yaml
//! config: {goal: 3, reward_points: 100}
//! start: 2026-01-01T10:00:00+08:00      # the clock, frozen; default this
//! steps:
//!   - {user: u1, action: stamp}
//!   - {user: u1, action: stamp, payload: {}, idempotency_key: k1}
//!   - view: u1
//!     expect: {result: {stamps: 2}}
//!   - {view: null, query: {team_id: t1}}  # anyone's view, with a query
//!   - advance: 1h30m                     # fires the timers due meanwhile
//!   - together:                          # both orders; conflicts reported
//!       - {user: u2, action: stamp}
//!       - {user: u3, action: stamp}
//! ```

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;
use serde_json::Value;

/// Where the clock starts when a session does not say.
pub(super) const DEFAULT_START: &str = "2026-01-01T10:00:00+08:00";

/// A parsed session file.
#[derive(Debug)]
pub(super) struct Session {
    /// The activity's config.
    pub config: Value,
    /// Its IANA time zone, if not the service's default.
    pub timezone: Option<String>,
    /// Its schedule (RFC 3339), if any.
    pub starts_at: Option<String>,
    /// Its end (RFC 3339), if any.
    pub ends_at: Option<String>,
    /// The frozen clock's start, ms since the epoch.
    pub start_ms: i64,
    /// The randomness secret's seed: another seed, other draws.
    pub seed: u64,
    /// What to do, in order.
    pub steps: Vec<Step>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSession {
    config: Value,
    #[serde(default)]
    timezone: Option<String>,
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    starts_at: Option<String>,
    #[serde(default)]
    ends_at: Option<String>,
    #[serde(default)]
    seed: u64,
    steps: Vec<Value>,
}

/// One step of a session.
#[derive(Debug)]
pub(super) enum Step {
    /// A user's action, as a platform sends it.
    Action(ActionStep),
    /// A user's view.
    View(ViewStep),
    /// Move the clock forward, firing each timer at its due time.
    Advance(AdvanceStep),
    /// Two actions as if they arrived in the same instant.
    Together(TogetherStep),
}

/// `{user, action, payload?, idempotency_key?, expect?}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ActionStep {
    pub user: String,
    pub action: String,
    #[serde(default = "empty_object")]
    pub payload: Value,
    #[serde(default)]
    pub idempotency_key: Option<String>,
    #[serde(default)]
    pub expect: Option<Value>,
}

/// `{view: user, query?, expect?}`; `view: null` views as no one (a
/// 0.2 plugin decides what an anonymous viewer sees).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ViewStep {
    pub view: Option<String>,
    /// The view's query parameters (`GET .../view?team_id=...`).
    #[serde(default)]
    pub query: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub expect: Option<Value>,
}

/// `{advance: 1h30m, expect?}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AdvanceStep {
    pub advance: String,
    #[serde(default)]
    pub expect: Option<Value>,
}

/// `{together: [action, action], expect?}`: two actions as if they
/// arrived in the same instant. Both serial orders run, each from the
/// state before the step with the same ids and random streams; the step
/// reports what each order answered, the state one wrote and the other
/// read or wrote (`conflicts`: the host would run one again after the
/// other commits) and whether the order changed what a user sees. The
/// session goes on from A then B.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TogetherStep {
    pub together: [ActionStep; 2],
    #[serde(default)]
    pub expect: Option<Value>,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

impl Step {
    /// What the step expects of its output, if anything.
    pub(super) fn expect(&self) -> Option<&Value> {
        match self {
            Step::Action(s) => s.expect.as_ref(),
            Step::View(s) => s.expect.as_ref(),
            Step::Advance(s) => s.expect.as_ref(),
            Step::Together(s) => s.expect.as_ref(),
        }
    }
}

/// Read and check a session file (`.json` as JSON, anything else as
/// YAML).
pub(super) fn load(path: &Path) -> anyhow::Result<Session> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let value: Value = if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))?
    } else {
        serde_norway::from_str(&text).with_context(|| format!("{}: not YAML", path.display()))?
    };
    parse(value).with_context(|| format!("in {}", path.display()))
}

fn parse(value: Value) -> anyhow::Result<Session> {
    let raw: RawSession = serde_json::from_value(value)
        .context("a session has `config`, `steps` and optionally `timezone`, `start`, `starts_at`, `ends_at`, `seed`")?;
    if !raw.config.is_object() {
        bail!("`config` must be an object");
    }
    let start = raw.start.as_deref().unwrap_or(DEFAULT_START);
    let start_ms = crate::clock::parse_rfc3339(start)
        .with_context(|| format!("`start` {start:?} is not RFC 3339"))?;
    let steps = raw
        .steps
        .into_iter()
        .enumerate()
        .map(|(i, v)| step(v).with_context(|| format!("step {}", i + 1)))
        .collect::<anyhow::Result<_>>()?;
    Ok(Session {
        config: raw.config,
        timezone: raw.timezone,
        starts_at: raw.starts_at,
        ends_at: raw.ends_at,
        start_ms,
        seed: raw.seed,
        steps,
    })
}

fn step(v: Value) -> anyhow::Result<Step> {
    let Some(map) = v.as_object() else {
        bail!("a step is a map, not {v}");
    };
    if map.contains_key("action") {
        Ok(Step::Action(serde_json::from_value(v)?))
    } else if map.contains_key("view") {
        Ok(Step::View(serde_json::from_value(v)?))
    } else if map.contains_key("together") {
        let s: TogetherStep = serde_json::from_value(v)
            .context("`together` is a list of two actions, each `{user, action, payload?}`")?;
        Ok(Step::Together(s))
    } else if map.contains_key("advance") {
        let s: AdvanceStep = serde_json::from_value(v)?;
        duration_ms(&s.advance)?;
        Ok(Step::Advance(s))
    } else {
        bail!(
            "a step has `action` (with `user`), `view: <user>`, `advance: <duration>` or `together: [two actions]`"
        )
    }
}

/// `1h30m`, `3600s`, `500ms`, `2d`: whole numbers with units, summed.
pub(super) fn duration_ms(text: &str) -> anyhow::Result<i64> {
    let bad = || {
        anyhow::anyhow!(
            "duration {text:?}: use numbers with units, like 500ms, 30s, 15m, 2h, 1d or 1h30m"
        )
    };
    let mut total: i64 = 0;
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let n: i64 = rest[..digits].parse().map_err(|_| bad())?;
        let after = &rest[digits..];
        let unit_len = after
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(after.len());
        let unit = match &after[..unit_len] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(bad()),
        };
        total = n
            .checked_mul(unit)
            .and_then(|ms| total.checked_add(ms))
            .ok_or_else(bad)?;
        rest = &after[unit_len..];
    }
    Ok(total)
}

/// Where a session's golden file is: beside it, `<stem>.golden.json`.
pub(super) fn golden_path(session: &Path) -> PathBuf {
    let stem = session
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    session.with_file_name(format!("{stem}.golden.json"))
}

/// The session files in `dir`, by name: `.yaml`, `.yml` and `.json`,
/// golden files excepted.
pub(super) fn discover(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    let mut found = Vec::new();
    for entry in entries {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let session = [".yaml", ".yml", ".json"].iter().any(|e| name.ends_with(e))
            && !name.ends_with(".golden.json");
        if session && path.is_file() {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn durations_sum_their_parts() {
        assert_eq!(duration_ms("500ms").unwrap(), 500);
        assert_eq!(duration_ms("3600s").unwrap(), 3_600_000);
        assert_eq!(duration_ms("1h30m").unwrap(), 5_400_000);
        assert_eq!(duration_ms("2d").unwrap(), 172_800_000);
        for bad in ["", "10", "h", "1x", "1.5h", "-1s"] {
            assert!(duration_ms(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn steps_are_told_apart_by_their_key() {
        let s = parse(json!({
            "config": {"goal": 2},
            "steps": [
                {"user": "u1", "action": "stamp"},
                {"view": "u1", "expect": {"result": {"stamps": 1}}},
                {"advance": "1h"},
                {"view": null, "query": {"team_id": "t1"}},
                {"together": [{"user": "u1", "action": "a"}, {"user": "u2", "action": "b"}]}
            ]
        }))
        .unwrap();
        assert!(matches!(&s.steps[0], Step::Action(a) if a.payload == json!({})));
        assert!(matches!(&s.steps[1], Step::View(v) if v.view.as_deref() == Some("u1")));
        assert!(matches!(&s.steps[2], Step::Advance(_)));
        assert!(
            matches!(&s.steps[3], Step::View(v) if v.view.is_none() && v.query["team_id"] == "t1")
        );
        assert!(matches!(&s.steps[4], Step::Together(t) if t.together[1].user == "u2"));
        let three = json!({"user": "u1", "action": "a"});
        let err = parse(json!({"config": {}, "steps": [{"together": [three, three, three]}]}))
            .unwrap_err();
        assert!(format!("{err:#}").contains("two actions"), "{err:#}");
        let err = parse(json!({"config": {}, "steps": [{"user": "u1"}]})).unwrap_err();
        assert!(format!("{err:#}").contains("step 1"), "{err:#}");
        let err = parse(json!({"config": {}, "steps": [{"view": "u1", "oops": 1}]})).unwrap_err();
        assert!(format!("{err:#}").contains("oops"), "{err:#}");
    }

    #[test]
    fn golden_files_sit_beside_their_session() {
        assert_eq!(
            golden_path(Path::new("sessions/basic.yaml")),
            Path::new("sessions/basic.golden.json")
        );
    }
}
