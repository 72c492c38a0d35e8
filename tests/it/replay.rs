//! Replay re-derives a stored outcome bit for bit, and reports a tampered
//! row as a mismatch.

use serde_json::json;

use crate::both_backends;
use crate::harness::Server;
use crate::support::Db;

both_backends!(replay_matches_and_detects_tampering);

async fn replay_matches_and_detects_tampering(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let id = s
        .activity(
            &t,
            "lucky-draw",
            json!({
                "prizes": [{"id": "p1", "name": "Mug", "weight": 1, "stock": 3},
                           {"id": "p2", "name": "Pen", "weight": 2}],
                "miss_weight": 2,
                "per_user_daily": 5
            }),
        )
        .await;
    let mut ids = Vec::new();
    for i in 0..12 {
        let r = s.act(&t, &id, &format!("u{}", i % 3), "draw").await;
        assert_eq!(r.status, 200, "{r:?}");
        ids.push(r.body["outcome_id"].as_str().unwrap().to_owned());
    }
    for o in &ids {
        let r = s
            .post(&t.operator, &format!("/v1/outcomes/{o}/replay"), json!({}))
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.body["matches"], true, "{r:?}");
        assert_eq!(r.body["stored_result"], r.body["replayed_result"]);
    }

    // Tamper with one stored result, as someone with database access might.
    let victim = &ids[4];
    let stored = s.get(&t.operator, &format!("/v1/outcomes/{victim}")).await;
    let forged = if stored.body["result"]["prize"] == "p1" {
        "p2"
    } else {
        "p1"
    };
    s.db.execute(drop_append_only_trigger(&s.db))
        .await
        .expect("drop trigger");
    let changed =
        s.db.execute(&format!(
            "UPDATE outcomes SET result = '{{\"prize\":\"{forged}\"}}' WHERE id = '{victim}'"
        ))
        .await
        .unwrap();
    assert_eq!(changed, 1);
    let r = s
        .post(
            &t.operator,
            &format!("/v1/outcomes/{victim}/replay"),
            json!({}),
        )
        .await;
    assert_eq!(r.body["matches"], false, "{r:?}");
    assert!(r.body["mismatches"].to_string().contains("result"));
    // Untouched outcomes still match.
    let r = s
        .post(
            &t.operator,
            &format!("/v1/outcomes/{}/replay", ids[5]),
            json!({}),
        )
        .await;
    assert_eq!(r.body["matches"], true);
}

/// The statement that lifts the append-only guard on outcome updates.
pub fn drop_append_only_trigger(db: &Db) -> &'static str {
    match db {
        Db::Sqlite(_) => "DROP TRIGGER outcomes_append_only_update",
        Db::Postgres(_) => "ALTER TABLE outcomes DISABLE TRIGGER USER",
    }
}
