//! Config checks (every problem names its field) and the README's example.
use super::*;

#[test]
fn config_errors_name_the_field() {
    let fields = |c: serde_json::Value| -> Vec<String> {
        MockHost::new(&c.to_string())
            .setup::<Quiz>()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect()
    };
    let mut c = config();
    c["questions"][0]["answer"] = json!(["a", "b"]);
    c["questions"][1]["answer"] = json!(["z"]);
    assert_eq!(fields(c), ["questions[0].answer", "questions[1].answer[0]"]);
    let mut c = config();
    c["questions"][2]["id"] = json!("q0");
    c["questions_per_attempt"] = json!(7);
    assert_eq!(fields(c), ["questions[2].id", "questions_per_attempt"]);
    let mut c = config();
    c["rank_rewards"][0]["to_rank"] = json!(0);
    c["rank_rewards"][1]["reward"]["coupon"]["id"] = json!("");
    c["leaderboard_size"] = json!(0);
    assert_eq!(
        fields(c),
        [
            "leaderboard_size",
            "rank_rewards[0].to_rank",
            "rank_rewards[1].reward.coupon.id"
        ]
    );
    let mut c = config();
    c["questions"][0]["kind"] = json!("essay");
    assert_eq!(fields(c), ["questions[0].kind"]);
    let mut c = config();
    c["typo"] = json!(1);
    assert_eq!(fields(c), ["typo"]);
    let mut c = config();
    c["time_limit_seconds"] = json!(0);
    c["speed_bonus"] = json!({"max_points": 0});
    assert_eq!(fields(c), ["time_limit_seconds", "speed_bonus.max_points"]);
}
#[test]
fn the_readme_example_config_is_valid() {
    let readme = include_str!("../../README.md");
    let start = readme.find("\"config\": {").unwrap() + "\"config\": ".len();
    let end = readme[start..].find("\n    }}'").unwrap() + start + "\n    }".len();
    // The shell splices `$CLOSES` (an hour from now) into the JSON.
    let text = readme[start..end].replace("'$CLOSES'", &(T0 + 3_600_000).to_string());
    let config: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut h = host(config);
    h.set_now_ms(T0);
    let out = h.handle::<Quiz>("u1", "start", json!({})).unwrap();
    assert_eq!(out.result["questions"].as_array().unwrap().len(), 2);
}
