//! Running the `loadgen` binary of this crate as a child process and
//! reading its JSON report.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, ensure};
use serde::Deserialize;

/// How long, or how, a load run goes.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// Clients loop for `warmup + measure`; the measured window counts.
    Timed {
        /// Not counted.
        warmup: Duration,
        /// Counted.
        measure: Duration,
    },
    /// Each client sends one request, all released together.
    Burst,
}

/// One load run against a server.
#[derive(Debug, Clone)]
pub struct Load<'a> {
    /// `http://127.0.0.1:<port>`.
    pub url: &'a str,
    /// Bearer token.
    pub token: &'a str,
    /// Concurrent clients, one connection each.
    pub clients: usize,
    /// Timed or burst.
    pub shape: Shape,
    /// Request path.
    pub path: &'a str,
    /// JSON body template (`{n}`, `{user}`, `{client}`).
    pub body: &'a str,
    /// A unique `Idempotency-Key` on every request.
    pub keyed: bool,
    /// What `{user}` starts with, so runs on one activity never share users.
    pub user_prefix: &'a str,
}

/// Latency quantiles in milliseconds.
#[derive(Debug, Clone, Deserialize)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Slowest.
    pub max: f64,
}

/// What `loadgen` printed.
#[derive(Debug, Clone, Deserialize)]
pub struct Report {
    /// Requests counted (answered or not).
    pub count: u64,
    /// Answered 2xx.
    pub ok: u64,
    /// Counted requests per HTTP status.
    pub statuses: BTreeMap<String, u64>,
    /// Error codes of non-2xx answers.
    pub codes: BTreeMap<String, u64>,
    /// Requests that got no answer, by error.
    pub transport_errors: BTreeMap<String, u64>,
    /// 2xx answers per second.
    pub ok_per_sec: f64,
    /// Over every answered request.
    pub latency_ms: Latency,
}

impl Report {
    /// Counted answers with this status.
    pub fn status(&self, status: u16) -> u64 {
        self.statuses.get(&status.to_string()).copied().unwrap_or(0)
    }

    /// Requests with no answer.
    pub fn transport(&self) -> u64 {
        self.transport_errors.values().sum()
    }

    /// `code=count` pairs, statuses first, for the table's notes.
    pub fn breakdown(&self) -> String {
        let mut parts: Vec<String> = self
            .statuses
            .iter()
            .map(|(s, n)| format!("{s}:{n}"))
            .collect();
        parts.extend(self.codes.iter().map(|(c, n)| format!("{c}={n}")));
        if self.transport() > 0 {
            parts.push(format!("no-answer={}", self.transport()));
        }
        parts.join(" ")
    }
}

impl Load<'_> {
    /// Run `loadgen` and parse its report.
    pub async fn run(&self) -> anyhow::Result<Report> {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_loadgen"));
        cmd.args([
            "--url", self.url, "--token", self.token, "--path", self.path,
        ])
        .args(["--body", self.body, "--user-prefix", self.user_prefix])
        .args(["--clients", &self.clients.to_string()]);
        match self.shape {
            Shape::Timed { warmup, measure } => cmd
                .args(["--warmup", &warmup.as_secs_f64().to_string()])
                .args(["--duration", &measure.as_secs_f64().to_string()]),
            Shape::Burst => cmd.arg("--burst"),
        };
        if self.keyed {
            cmd.arg("--idempotency-key");
        }
        let out = cmd.output().await.context("running loadgen")?;
        ensure!(
            out.status.success(),
            "loadgen failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).with_context(|| {
            format!(
                "loadgen printed something else: {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }
}

/// `GET path` from `clients` keep-alive clients of a `loadgen` process.
pub async fn get(
    url: &str,
    token: &str,
    path: &str,
    clients: usize,
    shape: Shape,
) -> anyhow::Result<Report> {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_loadgen"));
    cmd.args([
        "--url", url, "--token", token, "--path", path, "--method", "GET",
    ])
    .args(["--clients", &clients.to_string()]);
    match shape {
        Shape::Timed { warmup, measure } => cmd
            .args(["--warmup", &warmup.as_secs_f64().to_string()])
            .args(["--duration", &measure.as_secs_f64().to_string()]),
        Shape::Burst => cmd.arg("--burst"),
    };
    let out = cmd.output().await.context("running loadgen")?;
    ensure!(
        out.status.success(),
        "loadgen failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).with_context(|| {
        format!(
            "loadgen printed something else: {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}
