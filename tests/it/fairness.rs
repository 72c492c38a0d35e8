//! Prize frequencies over 100,000 sandboxed draws match the configured
//! weights (chi-square goodness of fit).

use arcade_host::randomness;
use arcade_host::sandbox::{CallContext, CallIo, Mode, Sandbox, SandboxConfig};
use arcade_host::store::Snapshot;

#[test]
fn prize_frequencies_match_weights() {
    let sandbox = Sandbox::new(SandboxConfig::default()).unwrap();
    let (_, wasm) = arcade_host::bundled::PLUGINS[0];
    let plugin = sandbox.load(wasm).unwrap();
    let limits = sandbox.limits_for(&plugin.manifest.budget, &Default::default());
    let config = r#"{"prizes":[{"id":"a","name":"A","weight":5},{"id":"b","name":"B","weight":15},{"id":"c","name":"C","weight":30}],"miss_weight":50}"#;
    let weights = [5.0, 15.0, 30.0, 50.0];
    let key = randomness::activity_key(&[9; 32], "fairness");
    let ctx = CallContext {
        activity_id: "fairness",
        user_id: "u",
        config,
        call_id: "fairness-call",
    };
    let n = 100_000;
    let mut counts = [0u64; 4];
    for i in 0..n {
        let rng = randomness::action_stream(&key, "u", i + 1);
        let io = CallIo::live(
            Mode::ReadWrite,
            "u",
            chrono_tz(),
            0,
            Snapshot::default(),
            Some(rng),
            None,
        );
        let report = sandbox.handle(&plugin, &limits, io, &ctx, "draw", "{}");
        let outcome = report.result.unwrap().unwrap();
        let v: serde_json::Value = serde_json::from_str(&outcome.result).unwrap();
        let slot = match v["prize"].as_str() {
            Some("a") => 0,
            Some("b") => 1,
            Some("c") => 2,
            None => 3,
            other => panic!("unexpected prize {other:?}"),
        };
        counts[slot] += 1;
    }
    let total: f64 = weights.iter().sum();
    let chi2: f64 = counts
        .iter()
        .zip(weights)
        .map(|(&observed, w)| {
            let expected = n as f64 * w / total;
            (observed as f64 - expected).powi(2) / expected
        })
        .sum();
    // Critical value of chi-square with 3 degrees of freedom at p = 0.001.
    assert!(
        chi2 < 16.266,
        "chi-square {chi2:.2} too large for counts {counts:?}"
    );
}

fn chrono_tz() -> arcade_host::clock::Tz {
    arcade_host::clock::parse_timezone("Asia/Shanghai").unwrap()
}
