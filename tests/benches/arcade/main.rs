//! Arcade benchmark: `cargo bench -p arcade-tests --bench arcade`.
//!
//! Measures, in one run:
//! (a) the sandbox cost of one lucky-draw action against the same
//!     mechanic run natively through `arcade_sdk::testing::MockHost`;
//! (b) durable draws per second over HTTP, with and without a unique
//!     `Idempotency-Key` on every draw, on a fresh SQLite file and, when
//!     `DATABASE_URL` is set, a fresh Postgres database; on Postgres also a
//!     hand-written axum + sqlx service that records each draw in one
//!     transaction (`arcade/baseline.rs`);
//! (c) `pgbench -N` on the same Postgres server, and the ratios;
//! (d) hot keys: bursts of concurrent actions on one shared key (a red
//!     packet's counter, a group-buy team), on both stores;
//! (e) the hostile neighbour: one tenant's keyed draws alone and while
//!     another floods a looping plugin, on both stores;
//! (f) the operators' dashboard with 1,000,000 outcomes stored: how fast
//!     the statistics rollup counts them, and `GET .../stats` under load;
//! (g) the launch simulator: 100,000 simulated lucky draws through the
//!     sandbox, against its target of 10 s (printed after (a)).
//!
//! The servers run in this process; the load comes from the `loadgen`
//! binary of this crate, a separate process, with one keep-alive
//! connection per client (64 clients for (b) and for each tenant of (e),
//! one per action for (d)).
//!
//! `ARCADE_BENCH_SECS` sets the measured seconds of each HTTP run and of
//! pgbench (default 3; warm-up is a fifth of it, at least 1 s),
//! `ARCADE_BENCH_ITERS` the sandbox iterations (default 20,000) and
//! `ARCADE_BENCH_HOT` the clients of a hot-key burst (default 1,000);
//! `ARCADE_BENCH_ROUNDS` how many times the throughput runs of (b) and
//! (c) are repeated (default 3): on Postgres each round runs unkeyed,
//! keyed, the baseline and pgbench back to back, so slow drift of the
//! machine hits all four alike, and the table shows each one's median;
//! `ARCADE_BENCH_OUTCOMES` the outcomes of (f) (default 1,000,000);
//! `ARCADE_BENCH_SIMULATED` the actions of (g) (default 100,000);
//! `ARCADE_BENCH_SANDBOX_ONLY=1` runs (a) and (g) alone;
//! `ARCADE_BENCH_DASHBOARD_ONLY=1` runs (f) alone (without its ratio to
//! the draws of (b)), `=sqlite` or `=postgres` on that store alone. No tracing subscriber is
//! installed, so the host's logging costs next to nothing.

mod baseline;
mod dashboard;
mod hotkey;
mod load;
mod neighbour;
mod pg;
mod report;
mod sandbox;
mod server;
mod simulate;

/// The allocator `arcade` itself uses, so the in-process server is measured as shipped.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use arcade_host::store::Store;

use crate::hotkey::HotResult;
use crate::load::{Load, Report, Shape};
use crate::server::Server;

/// The draw config: one prize with a huge stock and a 10% chance, no
/// per-user limits, so every draw commits and a tenth also claim stock.
pub const CONFIG: &str =
    r#"{"prizes":[{"id":"p1","name":"Prize 1","weight":10,"stock":10000000}],"miss_weight":90}"#;
/// The prize pool of [`CONFIG`].
pub const STOCK: i64 = 10_000_000;
/// The admin token of the bench server.
pub const ADMIN: &str = "bench-admin-token-0123456789";
/// The randomness secret of the bench server.
pub const SECRET: [u8; 32] = [42; 32];
/// Keep-alive clients of the throughput runs.
pub const HTTP_CLIENTS: usize = 64;
/// Clients of the pgbench reference.
pub const PGBENCH_CLIENTS: usize = 16;
/// How to run the Postgres rows.
pub const PG_HINT: &str = "pg_virtualenv sh -c 'DATABASE_URL=postgres://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/$PGDATABASE cargo bench -p arcade-tests --bench arcade'";
pub const DRAW: &str = r#"{"user_id":"{user}","action":"draw"}"#;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(default)
}

/// One throughput run and the stock its draws took.
pub struct DrawRun {
    /// What loadgen saw.
    pub report: Report,
    /// Prizes committed, from the pool's level afterwards (every draw of
    /// the run, warm-up included).
    pub won: i64,
}

/// Everything measured on one store.
pub struct StoreRuns {
    /// Draws without an idempotency key, one per round.
    pub unkeyed: Vec<DrawRun>,
    /// Draws with a unique idempotency key each, one per round.
    pub keyed: Vec<DrawRun>,
    /// Hot-key bursts.
    pub hot: Vec<HotResult>,
    /// A tenant's draws beside a hostile one, one per round.
    pub neighbour: Vec<neighbour::NeighbourRun>,
}

/// What (b) to (d) measured.
pub struct Runs {
    /// Measured seconds of each timed run.
    pub secs: u64,
    /// Warm-up of each timed run.
    pub warmup: Duration,
    /// Clients of a hot-key burst.
    pub hot_clients: usize,
    /// Rounds of the throughput runs.
    pub rounds: usize,
    /// On SQLite.
    pub sqlite: StoreRuns,
    /// On Postgres, when `DATABASE_URL` is set.
    pub postgres: Option<StoreRuns>,
    /// The hand-written service, keyed draws on Postgres, one per round.
    pub baseline: Vec<Report>,
    /// pgbench -N tps, one per round.
    pub pgbench: Vec<f64>,
    /// (f) on SQLite.
    pub dashboard_sqlite: Option<dashboard::DashboardRun>,
    /// (f) on Postgres.
    pub dashboard_postgres: Option<dashboard::DashboardRun>,
}

async fn draws(s: &Server, keyed: bool, shape: Shape) -> anyhow::Result<DrawRun> {
    let config: serde_json::Value = serde_json::from_str(CONFIG)?;
    let activity = s.activity("lucky-draw", config).await?;
    let (url, path) = (s.url(), Server::actions_path(&activity));
    let report = Load {
        url: &url,
        token: &s.platform,
        clients: HTTP_CLIENTS,
        shape,
        path: &path,
        body: DRAW,
        keyed,
        user_prefix: if keyed { "k" } else { "u" },
    }
    .run()
    .await?;
    let won = STOCK - s.stock(&activity, "p1").await?;
    Ok(DrawRun { report, won })
}

/// A started server with the bench's extra plugins uploaded.
async fn bench_server(store: Arc<dyn Store>) -> anyhow::Result<Server> {
    let s = Server::start(store).await?;
    s.upload(std::fs::read(env!("RED_PACKET_WASM"))?).await?;
    s.upload(std::fs::read(env!("HOSTILE_WASM"))?).await?;
    Ok(s)
}

/// Draws per round: unkeyed, keyed.
type DrawRounds = (Vec<DrawRun>, Vec<DrawRun>);

/// One round of (b) on `s`: unkeyed draws, then keyed.
async fn draw_round(
    name: &str,
    s: &Server,
    shape: Shape,
    runs: &mut DrawRounds,
) -> anyhow::Result<()> {
    eprintln!("(b) {name}: draws without Idempotency-Key ...");
    runs.0.push(draws(s, false, shape).await?);
    eprintln!("(b) {name}: draws with a unique Idempotency-Key each ...");
    runs.1.push(draws(s, true, shape).await?);
    Ok(())
}

/// (d) and (e) on `s`, after its rounds of (b).
async fn finish_store(
    name: &str,
    s: &Server,
    c: &Bench,
    (unkeyed, keyed): DrawRounds,
) -> anyhow::Result<StoreRuns> {
    let n = c.hot;
    eprintln!("(d) {name}: hot-key bursts of {n} ...");
    let hot = vec![
        hotkey::red_packet(s, n as u64, n).await?,
        hotkey::red_packet(s, n as u64 / 2, n).await?,
        hotkey::group_buy(s, n).await?,
    ];
    eprintln!("(e) {name}: draws beside a tenant flooding a looping plugin ...");
    let neighbour = neighbour::rounds(s, c.shape, c.rounds).await?;
    Ok(StoreRuns {
        unkeyed,
        keyed,
        hot,
        neighbour,
    })
}

async fn bench_sqlite(store: Arc<dyn Store>, c: &Bench) -> anyhow::Result<StoreRuns> {
    let s = bench_server(store).await?;
    let mut draws = (Vec::new(), Vec::new());
    for _ in 0..c.rounds {
        draw_round("SQLite", &s, c.shape, &mut draws).await?;
    }
    finish_store("SQLite", &s, c, draws).await
}

/// What Postgres gave: Arcade's runs, the baseline's and pgbench's.
type PgRuns = (StoreRuns, Vec<Report>, Vec<f64>);

/// Arcade, the baseline and pgbench on one Postgres server, interleaved
/// round by round so that drift of the machine hits all three alike.
async fn bench_postgres(admin_url: &str, url: &str, c: &Bench) -> anyhow::Result<PgRuns> {
    let store = arcade_host::store::postgres::PgStore::connect(url).await?;
    let s = bench_server(Arc::new(store)).await?;
    let base_db = pg::create_database(admin_url, "arcade_baseline").await?;
    let pgbench = pg::PgBench::init(admin_url).await;
    let result = async {
        let pgbench = pgbench
            .as_ref()
            .map_err(|e| anyhow::anyhow!("pgbench -i: {e:#}"))?;
        let service = baseline::start(&pg::with_database(admin_url, &base_db)).await?;
        let base_url = format!("http://{}", service.addr);
        let mut draws = (Vec::new(), Vec::new());
        let (mut base, mut tps) = (Vec::new(), Vec::new());
        for round in 1..=c.rounds {
            draw_round("Postgres", &s, c.shape, &mut draws).await?;
            eprintln!("(b) baseline axum + sqlx on Postgres, round {round} ...");
            let load = Load {
                url: &base_url,
                token: "",
                clients: HTTP_CLIENTS,
                shape: c.shape,
                path: "/draws",
                body: DRAW,
                keyed: true,
                user_prefix: "b",
            };
            base.push(load.run().await?);
            eprintln!(
                "(c) pgbench -N, {PGBENCH_CLIENTS} clients, {} s ...",
                c.secs
            );
            tps.push(pgbench.run(PGBENCH_CLIENTS, c.secs).await?);
        }
        let runs = finish_store("Postgres", &s, c, draws).await?;
        anyhow::Ok((runs, base, tps))
    }
    .await;
    pg::drop_database(admin_url, &base_db).await;
    if let Ok(p) = pgbench {
        p.drop_database().await;
    }
    result
}

fn remove_sqlite(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.to_path_buf().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
}

/// How the HTTP parts run.
struct Bench {
    secs: u64,
    shape: Shape,
    hot: usize,
    rounds: usize,
    outcomes: i64,
}

async fn bench_http(secs: u64, hot: usize, rounds: usize) -> anyhow::Result<Runs> {
    let measure = Duration::from_secs(secs);
    let warmup = Duration::from_secs((secs / 5).max(1));
    let c = Bench {
        secs,
        shape: Shape::Timed { warmup, measure },
        hot,
        rounds,
        outcomes: env_num("ARCADE_BENCH_OUTCOMES", 1_000_000) as i64,
    };
    let database_url = std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty());

    let path =
        std::env::temp_dir().join(format!("arcade-bench-{}.db", uuid::Uuid::new_v4().simple()));
    let sqlite = match arcade_host::store::sqlite::SqliteStore::open(&path).await {
        Ok(store) => bench_sqlite(Arc::new(store), &c).await,
        Err(e) => Err(e.into()),
    };
    remove_sqlite(&path);
    let mut runs = Runs {
        secs,
        warmup,
        hot_clients: hot,
        rounds,
        sqlite: sqlite?,
        postgres: None,
        baseline: Vec::new(),
        pgbench: Vec::new(),
        dashboard_sqlite: None,
        dashboard_postgres: None,
    };
    let path =
        std::env::temp_dir().join(format!("arcade-bench-{}.db", uuid::Uuid::new_v4().simple()));
    eprintln!("(f) SQLite: the dashboard with {} outcomes ...", c.outcomes);
    let dash = dashboard::sqlite(&path, c.outcomes, c.shape).await;
    remove_sqlite(&path);
    runs.dashboard_sqlite = Some(dash?);
    let Some(admin_url) = &database_url else {
        return Ok(runs);
    };

    let db = pg::create_database(admin_url, "arcade_bench").await?;
    let url = pg::with_database(admin_url, &db);
    let postgres = bench_postgres(admin_url, &url, &c).await;
    pg::drop_database(admin_url, &db).await;
    let (store_runs, baseline, pgbench) = postgres?;
    runs.postgres = Some(store_runs);
    runs.baseline = baseline;
    runs.pgbench = pgbench;
    eprintln!(
        "(f) Postgres: the dashboard with {} outcomes ...",
        c.outcomes
    );
    runs.dashboard_postgres = Some(dashboard::postgres(admin_url, c.outcomes, c.shape).await?);
    Ok(runs)
}

fn main() -> anyhow::Result<()> {
    let secs = env_num("ARCADE_BENCH_SECS", 3);
    let iters = env_num("ARCADE_BENCH_ITERS", 20_000) as usize;
    let hot = env_num("ARCADE_BENCH_HOT", 1_000) as usize;
    let rounds = env_num("ARCADE_BENCH_ROUNDS", 3) as usize;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if std::env::var_os("ARCADE_BENCH_DASHBOARD_ONLY").is_some() {
        return dashboard_only(secs);
    }

    eprintln!("(a) sandbox vs native, {iters} iterations ...");
    let sandbox = sandbox::bench_sandbox(iters)?;
    sandbox::print_sandbox(&sandbox, cores);
    let simulated = env_num("ARCADE_BENCH_SIMULATED", 100_000);
    eprintln!("(g) launch simulator, {simulated} actions ...");
    simulate::print_simulate(&simulate::bench_simulate(simulated)?);
    if std::env::var_os("ARCADE_BENCH_SANDBOX_ONLY").is_some() {
        return Ok(());
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let runs = runtime.block_on(bench_http(secs, hot, rounds))?;
    runtime.shutdown_timeout(Duration::from_secs(5));
    report::print(&runs);
    Ok(())
}

/// (f) alone, on SQLite and, when `DATABASE_URL` is set, on Postgres.
fn dashboard_only(secs: u64) -> anyhow::Result<()> {
    let measure = Duration::from_secs(secs);
    let shape = Shape::Timed {
        warmup: Duration::from_secs((secs / 5).max(1)),
        measure,
    };
    let outcomes = env_num("ARCADE_BENCH_OUTCOMES", 1_000_000) as i64;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let path =
            std::env::temp_dir().join(format!("arcade-bench-{}.db", uuid::Uuid::new_v4().simple()));
        eprintln!("(f) SQLite: the dashboard with {outcomes} outcomes ...");
        let run = dashboard::sqlite(&path, outcomes, shape).await;
        remove_sqlite(&path);
        report::print_dashboard("SQLite", &run?);
        if let Some(url) = std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            eprintln!("(f) Postgres: the dashboard with {outcomes} outcomes ...");
            report::print_dashboard(
                "Postgres",
                &dashboard::postgres(&url, outcomes, shape).await?,
            );
        }
        anyhow::Ok(())
    })?;
    runtime.shutdown_timeout(Duration::from_secs(5));
    Ok(())
}
