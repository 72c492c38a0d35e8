//! Fairness anyone can verify: a crowd draws (one member 40 times at
//! once), the activity ends, its key is revealed, and the outcomes export
//! re-derives draw for draw with `arcade_verify` and no database; a
//! tampered export, a withheld outcome, a moved draw or the wrong key do
//! not.

use futures::future::join_all;
use serde_json::{Value, json};

use crate::both_backends;
use crate::harness::{Server, Tenant};
use crate::support::Db;

both_backends!(an_ended_activitys_export_verifies_and_tampering_does_not);

const USERS: usize = 200;
const HOT_DRAWS: usize = 40;

async fn an_ended_activitys_export_verifies_and_tampering_does_not(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let ends = chrono::DateTime::from_timestamp_millis(s.arcade.now() + 3_600_000)
        .unwrap()
        .to_rfc3339();
    let r = s
        .create_activity(
            &t,
            json!({
                "plugin": "lucky-draw",
                "ends_at": ends,
                "config": {
                    "prizes": [{"id": "p", "name": "Mug", "weight": 1, "stock": 60}],
                    "miss_weight": 3
                }
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let id = r.body["id"].as_str().unwrap().to_owned();
    let commitment = r.body["key_commitment"].as_str().unwrap().to_owned();

    // 200 members draw one to three times each, in parallel across
    // members; one member fires 40 draws at once.
    let mut expected = 0;
    for chunk in (0..USERS).collect::<Vec<_>>().chunks(50) {
        let rounds = chunk.iter().map(|&i| {
            let (s, t, id) = (&s, &t, &id);
            async move {
                for _ in 0..(i % 3 + 1) {
                    let r = s.act(t, id, &format!("member-{i}"), "draw").await;
                    assert_eq!(r.status, 200, "{r:?}");
                }
            }
        });
        join_all(rounds).await;
        expected += chunk.iter().map(|i| i % 3 + 1).sum::<usize>();
    }
    let hot = join_all((0..HOT_DRAWS).map(|_| s.act(&t, &id, "-hot member", "draw"))).await;
    for r in &hot {
        assert_eq!(r.status, 200, "{r:?}");
    }
    expected += HOT_DRAWS;

    // The key stays secret while the activity runs.
    let f = s
        .get(&t.operator, &format!("/v1/activities/{id}/fairness"))
        .await;
    assert_eq!(f.status, 200, "{f:?}");
    assert!(f.body["key"].is_null(), "{f:?}");
    assert_eq!(f.body["key_commitment"], commitment.as_str());
    assert_eq!(f.body["derivation"], arcade_verify::DERIVATION);

    // After the end it is revealed, and it is the committed one.
    s.arcade.advance_clock(2 * 3_600_000);
    let f = s
        .get(&t.operator, &format!("/v1/activities/{id}/fairness"))
        .await;
    let key_hex = f.body["key"]
        .as_str()
        .expect("the key is revealed after the end");
    let key = arcade_verify::parse_key(key_hex).unwrap();
    assert_eq!(arcade_verify::commitment(&key), commitment);

    let csv = export(&s, &t, &id).await;
    let options = arcade_verify::Options {
        commitment: Some(commitment.clone()),
        partial: false,
    };
    let report = arcade_verify::verify_export(csv.as_bytes(), &key, &options).unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    assert_eq!(report.outcomes as usize, expected);
    assert_eq!(report.users as usize, USERS + 1);
    assert_eq!(report.legacy, 0);
    assert!(
        report.draws as usize >= expected,
        "every draw draws: {report:?}"
    );

    let (header, rows) = parse(&csv);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (id_at, user_at, seq_at, draws_at) = (col("id"), col("user_id"), col("seq"), col("draws"));
    // The hot member's 40 concurrent draws got 40 distinct numbers, 1..=40.
    let mut hot_seqs: Vec<u64> = rows
        .iter()
        .filter(|r| r[user_at] == "'-hot member")
        .map(|r| r[seq_at].parse().unwrap())
        .collect();
    hot_seqs.sort();
    assert_eq!(hot_seqs, (1..=HOT_DRAWS as u64).collect::<Vec<_>>());

    let check = |rows: &[Vec<String>], key: &arcade_verify::Key| {
        arcade_verify::verify_export(write(&header, rows).as_bytes(), key, &options).unwrap()
    };

    // A draw changed after the fact.
    let mut forged = rows.clone();
    let victim = forged[7][id_at].clone();
    let mut draws: Vec<(u64, u64)> = serde_json::from_str(&forged[7][draws_at]).unwrap();
    draws[0].1 = if draws[0].0 == 0 {
        draws[0].1.wrapping_add(1)
    } else {
        (draws[0].1 + 1) % draws[0].0
    };
    forged[7][draws_at] = serde_json::to_string(&draws).unwrap();
    let r = check(&forged, &key);
    assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
    assert_eq!(r.problems[0].outcome_id, victim);

    // An outcome withheld: the hot member's 10th.
    let withheld: Vec<Vec<String>> = rows
        .iter()
        .filter(|r| !(r[user_at] == "'-hot member" && r[seq_at] == "10"))
        .cloned()
        .collect();
    assert_eq!(withheld.len(), rows.len() - 1);
    let r = check(&withheld, &key);
    assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
    assert!(r.problems[0].message.contains("[10]"), "{:?}", r.problems);

    // A first draw moved to a newcomer: the member it was taken from
    // now lacks number 1 (and the newcomer's stream differs, caught
    // unless the single below(4) draw coincides, one time in four).
    let mut moved = rows.clone();
    let first = moved
        .iter()
        .position(|r| {
            r[seq_at] == "1"
                && rows
                    .iter()
                    .any(|o| o[user_at] == r[user_at] && o[seq_at] == "2")
        })
        .unwrap();
    let owner = moved[first][user_at].clone();
    moved[first][user_at] = "member-newcomer".into();
    let r = check(&moved, &key);
    let gap = format!("{owner:?} is missing sequence numbers [1]");
    assert!(
        r.problems.iter().any(|p| p.message.contains(&gap)),
        "{:?}",
        r.problems
    );

    // Any other key fails the commitment, and most draws (a draw of
    // below(4) matches by chance one time in four).
    let r = check(&rows, &[0x11; 32]);
    assert!(
        r.problems
            .iter()
            .any(|p| p.line == 0 && p.message.contains("commitment"))
    );
    assert!(r.problems.len() > expected / 2, "{}", r.problems.len());

    // A replay of a hot draw still reproduces it, draws included.
    let hot_id = rows.iter().find(|r| r[user_at] == "'-hot member").unwrap()[id_at].clone();
    let replay = s
        .post(
            &t.operator,
            &format!("/v1/outcomes/{hot_id}/replay"),
            json!({}),
        )
        .await;
    assert_eq!(replay.body["matches"], true, "{replay:?}");
}

async fn export(s: &Server, t: &Tenant, activity: &str) -> String {
    let r = s
        .post(
            &t.operator,
            "/v1/exports",
            json!({"kind": "outcomes", "activity_id": activity}),
        )
        .await;
    assert_eq!(r.status, 202, "{r:?}");
    let job = r.body["id"].as_str().unwrap().to_owned();
    let mut view: Value = Value::Null;
    for _ in 0..600 {
        view = s.get(&t.operator, &format!("/v1/exports/{job}")).await.body;
        if view["status"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(view["status"], "done", "{view}");
    let resp = s
        .client
        .get(s.url(&format!("/v1/exports/{job}/download")))
        .bearer_auth(&t.operator)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.text().await.unwrap()
}

fn parse(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

fn write(header: &[String], rows: &[Vec<String>]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}
