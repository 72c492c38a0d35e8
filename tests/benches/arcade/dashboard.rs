//! (f) The operators' dashboard at scale: an activity with 1,000,000
//! outcomes. The outcomes are written straight into the store (what a
//! month of a busy activity leaves behind: 30 days, 50,000 users, a tenth
//! with a prize), queued for the statistics the way commits queue them,
//! and counted by the service's own rollup (`Arcade::roll_up_stats`),
//! which is timed: it has to outpace the keyed draws of (b), or it would
//! fall behind at peak. Then `GET /v1/activities/{id}/stats` is loaded
//! from a separate process.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, ensure};
use serde_json::Value;

use crate::load::{self, Report, Shape};
use crate::server::Server;
use crate::{CONFIG, pg};

/// What (f) measured on one store.
pub struct DashboardRun {
    /// Outcomes stored.
    pub outcomes: i64,
    /// Outcomes the rollup counted per second.
    pub rollup_per_sec: f64,
    /// The dashboard under load.
    pub get: Report,
    /// What the dashboard said, against what was written.
    pub check: String,
}

/// Clients loading the dashboard.
pub const DASHBOARD_CLIENTS: usize = 16;
/// Distinct users among the outcomes.
const USERS: i64 = 50_000;
/// Days the outcomes span.
const DAYS: i64 = 30;
/// Outcomes per insert statement.
const CHUNK: i64 = 100_000;

/// Columns and values of one synthetic outcome numbered `g`, for SQL
/// where `g` is in scope; `$1` tenant, `$2` activity, `$3` first ms, `$4`
/// ms between outcomes.
const SELECT_OUTCOME: &str = "SELECT 'f-' || g, $1, $2, 'u' || (g % 50000), 'draw', '{}', '{}', \
     CASE WHEN g % 10 = 0 THEN '[{\"user_id\":\"u' || (g % 50000) || '\",\"kind\":\"prize\",\"item\":\"p1\",\"name\":\"Prize 1\",\"amount\":1}]' ELSE '[]' END, \
     '{}', '', '', 0, $3 + g * $4";
const OUTCOME_COLUMNS: &str = "id, tenant_id, activity_id, user_id, action, payload, result, \
     rewards, inputs, effects_hash, plugin_sha256, fuel_used, created_at";

/// Run (f) on SQLite: a store on a fresh file at `path`.
pub async fn sqlite(path: &std::path::Path, n: i64, shape: Shape) -> anyhow::Result<DashboardRun> {
    let store = arcade_host::store::sqlite::SqliteStore::open(path).await?;
    let s = Server::start(Arc::new(store)).await?;
    let (tenant, activity, start, step) = prepare(&s, n).await?;
    let url = format!("sqlite://{}", path.display());
    let pool = sqlx::SqlitePool::connect(&url).await?;
    let mut first = 1;
    while first <= n {
        let last = (first + CHUNK - 1).min(n);
        let mut tx = pool.begin().await?;
        let series =
            "WITH RECURSIVE s(g) AS (SELECT $5 UNION ALL SELECT g + 1 FROM s WHERE g < $6)";
        sqlx::query(&format!(
            "{series} INSERT INTO outcomes ({OUTCOME_COLUMNS}) {SELECT_OUTCOME} FROM s"
        ))
        .bind(&tenant)
        .bind(&activity)
        .bind(start)
        .bind(step)
        .bind(first)
        .bind(last)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "WITH RECURSIVE s(g) AS (SELECT $1 UNION ALL SELECT g + 1 FROM s WHERE g < $2) \
             INSERT INTO stat_queue (outcome_id) SELECT 'f-' || g FROM s",
        )
        .bind(first)
        .bind(last)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        first = last + 1;
    }
    pool.close().await;
    measure(&s, &activity, n, shape).await
}

/// Run (f) on Postgres: a store on a fresh database of `admin_url`.
pub async fn postgres(admin_url: &str, n: i64, shape: Shape) -> anyhow::Result<DashboardRun> {
    let db = pg::create_database(admin_url, "arcade_dashboard").await?;
    let url = pg::with_database(admin_url, &db);
    let result = async {
        let store = arcade_host::store::postgres::PgStore::connect(&url).await?;
        let s = Server::start(Arc::new(store)).await?;
        let (tenant, activity, start, step) = prepare(&s, n).await?;
        let pool = sqlx::PgPool::connect(&url).await?;
        let mut first = 1;
        while first <= n {
            let last = (first + CHUNK - 1).min(n);
            let mut tx = pool.begin().await?;
            sqlx::query(&format!(
                "INSERT INTO outcomes ({OUTCOME_COLUMNS}) {SELECT_OUTCOME} \
                 FROM generate_series($5::bigint, $6::bigint) g"
            ))
            .bind(&tenant)
            .bind(&activity)
            .bind(start)
            .bind(step)
            .bind(first)
            .bind(last)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO stat_queue (outcome_id) \
                 SELECT 'f-' || g FROM generate_series($1::bigint, $2::bigint) g",
            )
            .bind(first)
            .bind(last)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            first = last + 1;
        }
        sqlx::query("ANALYZE").execute(&pool).await?;
        pool.close().await;
        measure(&s, &activity, n, shape).await
    }
    .await;
    pg::drop_database(admin_url, &db).await;
    result
}

/// An activity to fill: its tenant id, id, first outcome time and the
/// spacing that spreads `n` outcomes over [`DAYS`].
async fn prepare(s: &Server, n: i64) -> anyhow::Result<(String, String, i64, i64)> {
    let config: Value = serde_json::from_str(CONFIG)?;
    let activity = s.activity("lucky-draw", config).await?;
    let view = s
        .get(&s.operator, &format!("/v1/activities/{activity}"))
        .await?;
    ensure!(view["id"] == activity.as_str(), "activity view: {view}");
    let tenant = s.tenant_id.clone();
    let span = DAYS * 86_400_000;
    let start = arcade_host::clock::now_ms() - span;
    Ok((tenant, activity, start, (span / n).max(1)))
}

async fn measure(s: &Server, activity: &str, n: i64, shape: Shape) -> anyhow::Result<DashboardRun> {
    let t0 = Instant::now();
    let counted = s.arcade.roll_up_stats().await?;
    ensure!(counted > 0, "the rollup counted nothing");
    let rollup_per_sec = counted as f64 / t0.elapsed().as_secs_f64().max(1e-9);
    let path = format!("/v1/activities/{activity}/stats");
    let got = s.get(&s.operator, &path).await?;
    let totals = &got["totals"];
    let days = got["days"].as_array().map_or(0, Vec::len);
    let consistent = totals["actions"] == n
        && totals["users"] == USERS.min(n)
        && totals["prizes"] == n / 10
        && got["pending"] == 0
        && (DAYS..=DAYS + 1).contains(&(days as i64));
    let check = format!(
        "{}: actions {} users {} prizes {} over {days} days, pending {}",
        if consistent {
            "consistent"
        } else {
            "INCONSISTENT"
        },
        totals["actions"],
        totals["users"],
        totals["prizes"],
        got["pending"]
    );
    let get = load::get(&s.url(), &s.operator, &path, DASHBOARD_CLIENTS, shape)
        .await
        .context("loading the dashboard")?;
    Ok(DashboardRun {
        outcomes: n,
        rollup_per_sec,
        get,
        check,
    })
}
