//! CSV exports: the file says what the API says, with times in the
//! activity's time zone and the zone in the header; jobs report progress
//! to done; another tenant sees nothing; a large export is written and
//! downloaded in bounded memory; an interrupted job ends failed.

use std::time::{Duration, Instant};

use chrono::DateTime;
use serde_json::{Value, json};

use crate::both_backends;
use crate::harness::{ADMIN, Reply, Server, Tenant};
use crate::support::Db;

both_backends!(
    exports_equal_the_api,
    exports_are_the_tenants_own,
    large_export_in_bounded_memory,
    interrupted_export_ends_failed
);

const ZONE: &str = "Asia/Shanghai";

pub(crate) async fn key(s: &Server, t: &Tenant, role: &str) -> String {
    let path = format!("/v1/tenants/{}/keys", t.id);
    let r = s.post(ADMIN, &path, json!({"role": role})).await;
    assert_eq!(r.status, 201, "{r:?}");
    r.body["key"].as_str().unwrap().to_owned()
}

fn code(r: &Reply) -> (u16, &str) {
    (r.status.as_u16(), r.code())
}

/// Start an export; panics unless 202.
async fn start(s: &Server, token: &str, body: Value) -> String {
    let r = s.post(token, "/v1/exports", body).await;
    assert_eq!(r.status, 202, "{r:?}");
    assert_eq!(r.body["status"], "running", "{r:?}");
    r.body["id"].as_str().unwrap().to_owned()
}

/// Poll a job until it is no longer running; returns its last view.
async fn finished(s: &Server, token: &str, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let r = s.get(token, &format!("/v1/exports/{id}")).await;
        assert_eq!(r.status, 200, "{r:?}");
        if r.body["status"] != "running" {
            return r.body;
        }
        assert!(Instant::now() < deadline, "export {id} never finished");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Download a finished export and parse it: header and records.
async fn download(s: &Server, token: &str, id: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let resp = s
        .client
        .get(s.url(&format!("/v1/exports/{id}/download")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let headers = resp.headers().clone();
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename="),
        "{disposition}"
    );
    let text = resp.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let records = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, records)
}

fn ms(rfc3339: &str) -> i64 {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap_or_else(|e| panic!("{rfc3339}: {e}"))
        .timestamp_millis()
}

async fn draw_activity(s: &Server, t: &Tenant) -> String {
    let r = s
        .create_activity(
            t,
            json!({
                "plugin": "lucky-draw",
                "timezone": ZONE,
                "config": {
                    "prizes": [{"id": "p", "name": "=Mug", "weight": 1, "stock": 40}],
                    "miss_weight": 1,
                    "consolation": {"points": 5}
                }
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    r.body["id"].as_str().unwrap().to_owned()
}

async fn exports_equal_the_api(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let analyst = key(&s, &t, "analyst").await;
    let id = draw_activity(&s, &t).await;
    for i in 0..30 {
        let r = s.act(&t, &id, &format!("u{i}"), "draw").await;
        assert_eq!(r.status, 200, "{r:?}");
    }
    let outcomes = s.all_outcomes(&t, &id).await;
    assert_eq!(outcomes.len(), 30);

    // Outcomes: the analyst starts and downloads it.
    let job = start(&s, &analyst, json!({"kind": "outcomes", "activity_id": id})).await;
    let done = finished(&s, &analyst, &job).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["rows_done"], 30);
    assert_eq!(done["rows_total"], 30);
    assert_eq!(done["progress"], 1.0);
    assert_eq!(done["download"], format!("/v1/exports/{job}/download"));
    let (header, rows) = download(&s, &analyst, &job).await;
    assert_eq!(
        header,
        [
            "id",
            "user_id",
            "action",
            "created_at (Asia/Shanghai)",
            "fuel_used",
            "payload",
            "result",
            "rewards",
            "group_id",
            "seq",
            "draws"
        ]
    );
    assert_eq!(rows.len(), outcomes.len());
    let mut rewards = 0;
    for (row, o) in rows.iter().zip(&outcomes) {
        assert_eq!(row[0], o["id"].as_str().unwrap());
        assert_eq!(row[1], o["user_id"].as_str().unwrap());
        assert_eq!(row[2], "draw");
        assert!(row[3].ends_with("+08:00"), "{}", row[3]);
        assert_eq!(ms(&row[3]), ms(o["created_at"].as_str().unwrap()));
        assert_eq!(row[4], o["fuel_used"].to_string());
        let result: Value = serde_json::from_str(&row[6]).unwrap();
        assert_eq!(result, o["result"]);
        let granted: Value = serde_json::from_str(&row[7]).unwrap();
        assert_eq!(granted, o["rewards"]);
        assert_eq!(row[8], o["group_id"].as_str().unwrap());
        // Each user drew once: their first action, and the draw it made.
        assert_eq!(row[9], "1");
        let draws: Vec<(u64, u64)> = serde_json::from_str(&row[10]).unwrap();
        assert!(!draws.is_empty(), "a lucky draw draws: {}", row[10]);
        rewards += granted.as_array().unwrap().len();
    }
    assert!(rewards > 0);

    // Rewards, labelled in another zone on request; a cell that would
    // run as a formula is defused.
    let job = start(
        &s,
        &analyst,
        json!({"kind": "rewards", "activity_id": id, "tz": "UTC"}),
    )
    .await;
    let done = finished(&s, &analyst, &job).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["rows_done"], rewards);
    let (header, rows) = download(&s, &analyst, &job).await;
    assert_eq!(header[0], "reward_id");
    assert_eq!(header[12], "created_at (UTC)");
    assert_eq!(header[13], "expires_at (UTC)");
    assert_eq!(rows.len(), rewards);
    for row in &rows {
        assert!(row[12].ends_with("+00:00"), "{}", row[12]);
        match row[3].as_str() {
            "points" => assert_eq!(row[8], ""),
            "prize" => {
                assert_eq!(row[5], "'=Mug");
                assert_eq!(row[8], "pending");
            }
            other => panic!("unexpected reward kind {other}"),
        }
    }

    // Statistics by day, once counted.
    s.arcade.roll_up_stats().await.unwrap();
    let job = start(&s, &analyst, json!({"kind": "stats", "activity_id": id})).await;
    let done = finished(&s, &analyst, &job).await;
    assert_eq!(done["status"], "done", "{done}");
    let (header, rows) = download(&s, &analyst, &job).await;
    assert_eq!(header[0], "day (Asia/Shanghai)");
    assert_eq!(header[1], "actions");
    assert_eq!(header[8..], ["cost_fen", "winners"]);
    let actions: i64 = rows.iter().map(|r| r[1].parse::<i64>().unwrap()).sum();
    assert_eq!(actions, 30);

    // A range with nothing in it is an empty file, done.
    let job = start(
        &s,
        &analyst,
        json!({"kind": "outcomes", "activity_id": id, "from": "2001-01-01", "to": "2001-01-02"}),
    )
    .await;
    let done = finished(&s, &analyst, &job).await;
    assert_eq!(
        (done["status"].as_str(), done["rows_done"].as_i64()),
        (Some("done"), Some(0))
    );
    assert_eq!(download(&s, &analyst, &job).await.1.len(), 0);

    // The list shows the tenant's jobs, newest first.
    let r = s.get(&analyst, "/v1/exports").await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["exports"].as_array().unwrap().len(), 4);
    assert_eq!(r.body["exports"][0]["id"], job);

    // Refusals.
    let bad = [
        (
            json!({"kind": "everything", "activity_id": id}),
            "invalid_kind",
        ),
        (
            json!({"kind": "outcomes", "activity_id": id, "tz": "Mars/Base"}),
            "invalid_timezone",
        ),
        (
            json!({"kind": "stats", "activity_id": id, "tz": "UTC"}),
            "invalid_timezone",
        ),
        (
            json!({"kind": "outcomes", "activity_id": id, "from": "2026-02-30"}),
            "invalid_range",
        ),
        (
            json!({"kind": "outcomes", "activity_id": id, "from": "2026-02-02", "to": "2026-02-01"}),
            "invalid_range",
        ),
    ];
    for (body, expected) in bad {
        let r = s.post(&analyst, "/v1/exports", body.clone()).await;
        assert_eq!(code(&r), (422, expected), "{body}: {r:?}");
    }
    let r = s
        .post(
            &t.platform,
            "/v1/exports",
            json!({"kind": "outcomes", "activity_id": id}),
        )
        .await;
    assert_eq!(code(&r), (403, "forbidden"), "{r:?}");
}

async fn exports_are_the_tenants_own(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let other = s.tenant("other").await;
    let id = draw_activity(&s, &t).await;
    assert_eq!(s.act(&t, &id, "u1", "draw").await.status, 200);
    let job = start(
        &s,
        &t.operator,
        json!({"kind": "outcomes", "activity_id": id}),
    )
    .await;
    assert_eq!(finished(&s, &t.operator, &job).await["status"], "done");

    for path in [
        format!("/v1/exports/{job}"),
        format!("/v1/exports/{job}/download"),
    ] {
        let r = s.get(&other.operator, &path).await;
        assert_eq!(code(&r), (404, "export_not_found"), "{path}: {r:?}");
    }
    let r = s.get(&other.operator, "/v1/exports").await;
    assert_eq!(r.body["exports"], json!([]), "{r:?}");
    // Nor may it export the activity.
    let r = s
        .post(
            &other.operator,
            "/v1/exports",
            json!({"kind": "outcomes", "activity_id": id}),
        )
        .await;
    assert_eq!(code(&r), (404, "activity_not_found"), "{r:?}");
    let r = s.get(&t.platform, &format!("/v1/exports/{job}")).await;
    assert_eq!(code(&r), (403, "forbidden"), "{r:?}");
}

/// Peak resident memory of this process so far, in KiB.
fn peak_rss_kib() -> i64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Rows of the large export: `ARCADE_EXPORT_ROWS`, default 200,000 (a
/// debug build on two cores writes 1,000,000 in too long for a test; the
/// README reports a release run of 1,000,000).
fn large_rows() -> i64 {
    std::env::var("ARCADE_EXPORT_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000)
}

/// A 300-byte payload, so each row is about half a kilobyte of CSV.
const FILLER: &str = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";

/// Write `n` outcomes of an activity straight into the store, in
/// statements of 100,000.
async fn fill(db: &Db, tenant: &str, activity: &str, n: i64, start: i64) {
    const CHUNK: i64 = 100_000;
    let cols = "id, tenant_id, activity_id, user_id, action, payload, result, rewards, inputs, \
                effects_hash, plugin_sha256, fuel_used, created_at";
    let mut first = 1;
    while first <= n {
        let last = (first + CHUNK - 1).min(n);
        let sql = match db {
            Db::Sqlite(_) => format!(
                "WITH RECURSIVE s(g) AS (SELECT {first} UNION ALL SELECT g + 1 FROM s WHERE g < {last}) \
                 INSERT INTO outcomes ({cols}) SELECT 'x-' || printf('%08d', g), '{tenant}', \
                 '{activity}', 'u' || (g % 5000), 'draw', '{{\"note\":\"{FILLER}\"}}', \
                 '{{\"won\":false}}', '[]', '{{}}', '', '', 7, {start} + g FROM s"
            ),
            Db::Postgres(_) => format!(
                "INSERT INTO outcomes ({cols}) SELECT 'x-' || lpad(g::text, 8, '0'), '{tenant}', \
                 '{activity}', 'u' || (g % 5000), 'draw', '{{\"note\":\"{FILLER}\"}}', \
                 '{{\"won\":false}}', '[]', '{{}}', '', '', 7, {start} + g \
                 FROM generate_series({first}::bigint, {last}::bigint) g"
            ),
        };
        assert_eq!(db.execute(&sql).await.unwrap(), (last - first + 1) as u64);
        first = last + 1;
    }
}

/// One large export at a time, so one backend's run does not count in
/// the other's peak.
static LARGE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn large_export_in_bounded_memory(db: Db) {
    let _alone = LARGE.lock().await;
    let s = Server::start(db.clone()).await;
    let t = s.tenant("t").await;
    let id = draw_activity(&s, &t).await;
    let n = large_rows();
    let began = Instant::now();
    fill(&db, &t.id, &id, n, s.arcade.now() - 10 * n).await;
    let filled = began.elapsed();

    let before = peak_rss_kib();
    let began = Instant::now();
    let job = start(
        &s,
        &t.operator,
        json!({"kind": "outcomes", "activity_id": id}),
    )
    .await;
    let done = finished(&s, &t.operator, &job).await;
    let written = began.elapsed();
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["rows_done"], n);
    let bytes = done["bytes"].as_i64().unwrap();

    // Download chunk by chunk, counting lines, holding no more than a
    // chunk.
    let began = Instant::now();
    let mut resp = s
        .client
        .get(s.url(&format!("/v1/exports/{job}/download")))
        .bearer_auth(&t.operator)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (mut lines, mut received) = (0i64, 0i64);
    while let Some(chunk) = resp.chunk().await.unwrap() {
        received += chunk.len() as i64;
        lines += chunk.iter().filter(|&&b| b == b'\n').count() as i64;
    }
    let downloaded = began.elapsed();
    assert_eq!(received, bytes);
    assert_eq!(lines, n + 1, "a header and one line per outcome");

    let grew_mib = (peak_rss_kib() - before) / 1024;
    eprintln!(
        "large export ({}): {n} rows, {} MiB of CSV; filled in {filled:?}, written in \
         {written:?}, downloaded in {downloaded:?}; peak RSS {} MiB before, grew {grew_mib} MiB",
        s.arcade.store().backend(),
        bytes >> 20,
        before / 1024,
    );
    // The file is far larger than the bound: rows are never all held.
    assert!(bytes >> 20 > 48, "the export is {} MiB", bytes >> 20);
    assert!(
        grew_mib < 48,
        "peak RSS grew {grew_mib} MiB exporting {n} rows"
    );
}

async fn interrupted_export_ends_failed(db: Db) {
    let s = Server::start(db.clone()).await;
    let t = s.tenant("t").await;
    let id = draw_activity(&s, &t).await;
    // A job whose replica stopped mid-way: running, no heartbeat since.
    let long_ago = s.arcade.now() - 3_600_000;
    db.execute(&format!(
        "INSERT INTO exports (id, tenant_id, kind, activity_id, params, status, rows_done, \
         created_by, created_at, heartbeat_at) VALUES ('stale-job', '{}', 'outcomes', '{id}', \
         '{{}}', 'running', 5000, 'k', {long_ago}, {long_ago})",
        t.id
    ))
    .await
    .unwrap();
    let r = s.get(&t.operator, "/v1/exports/stale-job").await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["status"], "failed", "{r:?}");
    assert!(
        r.body["error"].as_str().unwrap().starts_with("interrupted"),
        "{r:?}"
    );
    let r = s.get(&t.operator, "/v1/exports/stale-job/download").await;
    assert_eq!(code(&r), (409, "export_failed"), "{r:?}");
}
