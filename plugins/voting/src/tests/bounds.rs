//! The view and the close's event stay within the host's 64 KiB output
//! cap however long the texts are.

use serde_json::json;

use super::{DAY, START, act, host};
use crate::Voting;
use crate::config::{MAX_ENTRIES, MAX_ENTRIES_PER_USER, MAX_LEADERBOARD};
use crate::text::{MAX_DESCRIPTION_CHARS, MAX_IMAGE_URL_BYTES, MAX_TITLE_CHARS};

const OUTPUT_CAP: usize = 64 * 1024;

#[test]
fn the_largest_view_and_close_fit_the_output_cap() {
    // A full contest, its texts as long as they may be, and a 128-byte
    // user id that moderates, judges (every entry) and has the most entries.
    let staff = "m".repeat(128);
    let mut host = host(json!({
        "moderators": [staff],
        "judges": [{"user_id": staff}],
        "entries_per_user": MAX_ENTRIES_PER_USER,
        "leaderboard_size": MAX_LEADERBOARD,
        "max_entries": MAX_ENTRIES,
        "rank_rewards": [{"from_rank": 1, "to_rank": 64,
                          "reward": {"coupon": {"id": "c".repeat(64), "name": "n".repeat(200), "value_fen": 1}}}],
        "votes_per_day": 100
    }));
    // Four bytes a character, the most UTF-8 takes.
    let long = |n: usize| "😀".repeat(n);
    let payload = json!({
        "title": long(MAX_TITLE_CHARS),
        "description": long(MAX_DESCRIPTION_CHARS),
        "image_url": format!("https://{}", "i".repeat(MAX_IMAGE_URL_BYTES - 8)),
    });
    let mut ids = Vec::new();
    for i in 0..MAX_ENTRIES as usize {
        let author = if i < MAX_ENTRIES_PER_USER as usize {
            staff.clone()
        } else {
            format!("{i:0>128}")
        };
        let out = act(&mut host, &author, "submit", payload.clone()).unwrap();
        ids.push(out.result["entry_id"].as_str().unwrap().to_owned());
    }
    // All but the last ten approved and judged; those wait in the queue.
    for id in &ids[..ids.len() - 10] {
        act(&mut host, &staff, "approve", json!({"entry_id": id})).unwrap();
        act(
            &mut host,
            &staff,
            "score",
            json!({"entry_id": id, "score": 100}),
        )
        .unwrap();
    }
    let view = host.view::<Voting>(&staff).unwrap();
    assert_eq!(
        view["leaderboard"].as_array().unwrap().len(),
        MAX_LEADERBOARD as usize
    );
    assert_eq!(view["review"]["queue"].as_array().unwrap().len(), 10);
    let size = serde_json::to_string(&view).unwrap().len();
    assert!(size < OUTPUT_CAP, "the view is {size} bytes");

    host.set_now_ms(START + 7 * DAY);
    let fired = host.fire_due_timers::<Voting>();
    let out = fired[0].1.as_ref().unwrap();
    assert_eq!(out.rewards.len(), 64);
    let size = serde_json::to_string(&out.events[0].data).unwrap().len();
    assert!(size < OUTPUT_CAP, "the close event is {size} bytes");
}
