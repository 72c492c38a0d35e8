//! (e) The hostile neighbour: tenant A's keyed draws alone, then while
//! tenant B floods its `loop` action (the hostile test plugin spins until
//! its fuel or deadline runs out) from as many connections of its own.
//! Both loads come from separate `loadgen` processes.

use std::time::Duration;

use serde_json::json;

use crate::load::{Load, Report, Shape};
use crate::server::Server;
use crate::{CONFIG, DRAW, HTTP_CLIENTS};

/// A's draws alone and beside B, and what B got.
pub struct NeighbourRun {
    /// A alone.
    pub alone: Report,
    /// A while B floods.
    pub beside: Report,
    /// B's flood.
    pub hostile: Report,
    /// B's measured window.
    hostile_window: Duration,
}

impl NeighbourRun {
    /// Seconds B's report counts.
    pub fn hostile_secs(&self) -> f64 {
        self.hostile_window.as_secs_f64()
    }
}

/// Run (e) on `s` `rounds` times; the hostile plugin must be uploaded.
pub async fn rounds(s: &Server, shape: Shape, rounds: usize) -> anyhow::Result<Vec<NeighbourRun>> {
    let mut runs = Vec::with_capacity(rounds);
    for round in 1..=rounds {
        runs.push(run(s, shape, round).await?);
    }
    Ok(runs)
}

impl NeighbourRun {
    /// A's throughput beside B over A's alone.
    pub fn ratio(&self) -> f64 {
        self.beside.ok_per_sec / self.alone.ok_per_sec
    }
}

/// One round of (e): A alone, then A beside B.
async fn run(s: &Server, shape: Shape, round: usize) -> anyhow::Result<NeighbourRun> {
    let Shape::Timed { warmup, measure } = shape else {
        anyhow::bail!("the neighbour runs are timed");
    };
    let config: serde_json::Value = serde_json::from_str(CONFIG)?;
    let draws = s.activity("lucky-draw", config).await?;
    let b = s.tenant(&format!("neighbour-{round}")).await?;
    let looping = s.activity_for(&b, "hostile", json!({})).await?;
    let url = s.url();
    let (draw_path, loop_path) = (Server::actions_path(&draws), Server::actions_path(&looping));
    let a = |prefix: &'static str| Load {
        url: &url,
        token: &s.platform,
        clients: HTTP_CLIENTS,
        shape,
        path: &draw_path,
        body: DRAW,
        keyed: true,
        user_prefix: prefix,
    };
    let alone = a("alone").run().await?;

    // B starts first and outlasts A's whole run.
    let hostile_window = warmup + measure + Duration::from_secs(1);
    let flood = Load {
        url: &url,
        token: &b.platform,
        clients: HTTP_CLIENTS,
        shape: Shape::Timed {
            warmup: Duration::from_millis(500),
            measure: hostile_window,
        },
        path: &loop_path,
        body: r#"{"user_id":"{user}","action":"loop"}"#,
        keyed: true,
        user_prefix: "b",
    };
    let flood = flood.run();
    let beside = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        a("beside").run().await
    };
    let (hostile, beside) = tokio::join!(flood, beside);
    Ok(NeighbourRun {
        alone,
        beside: beside?,
        hostile: hostile?,
        hostile_window,
    })
}
