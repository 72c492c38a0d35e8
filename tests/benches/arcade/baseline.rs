//! The hand-written baseline: a plain axum + sqlx service that records a
//! draw in one transaction and nothing more, to show what the sandbox,
//! the state snapshot and the audit record cost on top.
//!
//! `POST /draws` with `{"user_id"}` (and optionally `Idempotency-Key`):
//! in one transaction, a conditional stock decrement when the draw wins
//! (one in ten, as in the lucky-draw config), the outcome row, the
//! idempotency key row with the response, commit. A repeated key gets the
//! stored response.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::postgres::{PgPool, PgPoolOptions};

use crate::STOCK;

const SCHEMA: &[&str] = &[
    "CREATE TABLE stock (pool text PRIMARY KEY, remaining bigint NOT NULL CHECK (remaining >= 0))",
    "CREATE TABLE outcomes (id text PRIMARY KEY, user_id text NOT NULL, prize text, \
     created_at timestamptz NOT NULL DEFAULT now())",
    "CREATE TABLE idempotency (key text PRIMARY KEY, outcome_id text NOT NULL, response text NOT NULL)",
];

/// A running baseline service.
pub struct Baseline {
    /// Where it listens.
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Baseline {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Clone)]
struct App {
    pool: PgPool,
    /// Draw counter, mixed into the 1-in-10 win decision.
    draws: Arc<AtomicU64>,
}

#[derive(Deserialize)]
struct Draw {
    user_id: String,
}

/// Create the schema in the (empty) database at `url` and serve on
/// 127.0.0.1 with a pool as large as Arcade's (32).
pub async fn start(url: &str) -> anyhow::Result<Baseline> {
    let pool = PgPoolOptions::new()
        .max_connections(32)
        .connect(url)
        .await?;
    for statement in SCHEMA {
        sqlx::query(statement).execute(&pool).await?;
    }
    sqlx::query("INSERT INTO stock VALUES ('p1', $1)")
        .bind(STOCK)
        .execute(&pool)
        .await?;
    let app = App {
        pool,
        draws: Arc::new(AtomicU64::new(0)),
    };
    let router = Router::new().route("/draws", post(draw)).with_state(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        axum::serve(listener, router).await.expect("serve");
    });
    Ok(Baseline { addr, task })
}

/// splitmix64: a well-spread hash of the draw counter.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

async fn draw(State(app): State<App>, headers: HeaderMap, Json(req): Json<Draw>) -> Response {
    match record(&app, &headers, &req).await {
        Ok(body) => Json(body).into_response(),
        Err(e) => {
            let body = json!({"error": {"code": "internal", "message": e.to_string()}});
            (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
        }
    }
}

async fn record(app: &App, headers: &HeaderMap, req: &Draw) -> Result<Value, sqlx::Error> {
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let id = uuid::Uuid::now_v7().to_string();
    let wins = mix(app.draws.fetch_add(1, Ordering::Relaxed)).is_multiple_of(10);

    let mut tx = app.pool.begin().await?;
    let mut prize = None;
    if wins {
        let taken = sqlx::query(
            "UPDATE stock SET remaining = remaining - 1 WHERE pool = 'p1' AND remaining > 0",
        )
        .execute(&mut *tx)
        .await?;
        if taken.rows_affected() == 1 {
            prize = Some("p1");
        }
    }
    sqlx::query("INSERT INTO outcomes (id, user_id, prize) VALUES ($1, $2, $3)")
        .bind(&id)
        .bind(&req.user_id)
        .bind(prize)
        .execute(&mut *tx)
        .await?;
    let response = json!({"outcome_id": id, "result": {"prize": prize}});
    if let Some(key) = key {
        let claimed = sqlx::query(
            "INSERT INTO idempotency (key, outcome_id, response) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(&id)
        .bind(response.to_string())
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() == 0 {
            tx.rollback().await?;
            let (stored,): (String,) =
                sqlx::query_as("SELECT response FROM idempotency WHERE key = $1")
                    .bind(key)
                    .fetch_one(&app.pool)
                    .await?;
            return Ok(serde_json::from_str(&stored).unwrap_or(Value::Null));
        }
    }
    tx.commit().await?;
    Ok(response)
}
