//! Arcade benchmark: `cargo bench -p arcade-tests --bench arcade`.
//!
//! Measures, in one run:
//! (a) the sandbox cost of one lucky-draw action (fresh store + instance
//!     from the cached plugin, `handle("draw")`, drop) against the same
//!     mechanic run natively through `arcade_sdk::testing::MockHost`;
//! (b) durable draws per second over HTTP with 64 keep-alive clients, on a
//!     fresh SQLite file and, when `DATABASE_URL` is set, a fresh Postgres
//!     database;
//! (c) `pgbench -N` on the same Postgres server, as a reference.
//!
//! `ARCADE_BENCH_SECS` sets the measured seconds of each HTTP run and of
//! pgbench (default 10; warm-up is a fifth of it, at least 1 s), and
//! `ARCADE_BENCH_ITERS` the sandbox iterations (default 20,000), so CI can
//! run a quick smoke pass; `ARCADE_BENCH_SANDBOX_ONLY=1` runs (a) alone.
//! No tracing subscriber is installed, so the
//! host's logging costs next to nothing.

use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use arcade_host::sandbox::{CallContext, CallIo, LimitOverrides, Mode, Sandbox, SandboxConfig};
use arcade_host::store::{Snapshot, StockLevel, Store};
use arcade_sdk::testing::MockHost;
use serde_json::{Value, json};
use sqlx::Connection;

/// The draw config: one prize with a huge stock and a 10% chance, no
/// per-user limits, so every draw commits and a tenth also claim stock.
const CONFIG: &str =
    r#"{"prizes":[{"id":"p1","name":"Prize 1","weight":10,"stock":10000000}],"miss_weight":90}"#;
const STOCK: i64 = 10_000_000;
const ADMIN: &str = "bench-admin-token-0123456789";
const SECRET: [u8; 32] = [42; 32];
const HTTP_CLIENTS: usize = 64;
/// The host's Postgres pool size (`PgStore::connect`), used for pgbench.
const PGBENCH_CLIENTS: usize = 32;
const PG_HINT: &str = "pg_virtualenv sh -c 'DATABASE_URL=postgres://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/$PGDATABASE cargo bench -p arcade-tests --bench arcade'";

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(default)
}

/// The `q`-quantile of sorted samples (nearest rank).
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

// ---------------------------------------------------------------- (a)

struct SandboxResult {
    iters: usize,
    sandbox_p50: Duration,
    sandbox_p99: Duration,
    native_p50: Duration,
    native_p99: Duration,
    wins: usize,
}

fn bench_sandbox(iters: usize) -> anyhow::Result<SandboxResult> {
    let sandbox = Sandbox::new(SandboxConfig::default())?;
    let wasm = arcade_host::bundled::PLUGINS
        .iter()
        .find(|(name, _)| *name == "lucky-draw")
        .context("lucky-draw is not bundled")?
        .1;
    let plugin = sandbox.load(wasm).map_err(|e| anyhow::anyhow!("{e}"))?;
    let limits = sandbox.limits_for(&plugin.manifest.budget, &LimitOverrides::default());
    let tz = arcade_host::clock::parse_timezone("Asia/Shanghai").context("time zone")?;
    let activity_key = arcade_host::randomness::activity_key(&SECRET, "bench-activity");
    let now = arcade_host::clock::now_ms();

    // What the service hands the sandbox for a first-time user: no state,
    // the prize pool full. Built outside the timed region.
    let call = |i: usize| {
        let snapshot = Snapshot {
            state: Vec::new(),
            stock: vec![StockLevel {
                pool: "p1".into(),
                initial: STOCK,
                remaining: STOCK,
            }],
        };
        let rng = arcade_host::randomness::action_stream(&activity_key, &format!("outcome-{i}"));
        let user = format!("user-{i}");
        let io = CallIo::live(Mode::ReadWrite, &user, tz, now, snapshot, Some(rng), None);
        (user, io)
    };
    let run_one = |i: usize| -> anyhow::Result<(Duration, bool)> {
        let (user, io) = call(i);
        let ctx = CallContext {
            activity_id: "bench-activity",
            user_id: &user,
            config: CONFIG,
            call_id: "bench-call",
        };
        let start = Instant::now();
        let report = sandbox.handle(&plugin, &limits, io, &ctx, "draw", "{}");
        let won = match &report.result {
            Ok(Ok(outcome)) => !outcome.rewards.is_empty(),
            Ok(Err(refusal)) => bail!("draw refused: {refusal:?}"),
            Err(failure) => bail!("draw failed: {failure}"),
        };
        drop(report);
        Ok((start.elapsed(), won))
    };

    let warmup = (iters / 10).max(100);
    for i in 0..warmup {
        run_one(i)?;
    }
    let mut samples = Vec::with_capacity(iters);
    let mut wins = 0;
    for i in 0..iters {
        let (d, won) = run_one(warmup + i)?;
        samples.push(d);
        wins += usize::from(won);
    }
    samples.sort_unstable();

    // The same decision natively: a fresh mock host per draw (a first-time
    // user, full pool), set up outside the timed region.
    let native_one = |i: usize| -> anyhow::Result<Duration> {
        let mut host = MockHost::new(CONFIG);
        host.seed(i as u64);
        host.setup::<lucky_draw::LuckyDraw>()
            .map_err(|e| anyhow::anyhow!("config rejected: {e:?}"))?;
        let user = format!("user-{i}");
        let payload = json!({});
        let start = Instant::now();
        let outcome = host.handle::<lucky_draw::LuckyDraw>(&user, "draw", payload);
        ensure!(outcome.is_ok(), "native draw refused: {outcome:?}");
        drop(outcome);
        Ok(start.elapsed())
    };
    for i in 0..warmup {
        native_one(i)?;
    }
    let mut native = Vec::with_capacity(iters);
    for i in 0..iters {
        native.push(native_one(warmup + i)?);
    }
    native.sort_unstable();

    Ok(SandboxResult {
        iters,
        sandbox_p50: quantile(&samples, 0.5),
        sandbox_p99: quantile(&samples, 0.99),
        native_p50: quantile(&native, 0.5),
        native_p99: quantile(&native, 0.99),
        wins,
    })
}

// ---------------------------------------------------------------- (b)

struct HttpResult {
    draws: u64,
    errors: u64,
    secs: f64,
    p50: Duration,
    p99: Duration,
    wins_committed: i64,
    draws_total: u64,
}

impl HttpResult {
    fn rate(&self) -> f64 {
        self.draws as f64 / self.secs
    }
}

/// An in-process server, started the way the tests' harness does.
struct Server {
    addr: SocketAddr,
    client: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    async fn start(store: Arc<dyn Store>) -> anyhow::Result<Server> {
        let arcade =
            arcade_host::server::assemble(store, SandboxConfig::default(), ADMIN, Some(SECRET))
                .await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let forever = std::future::pending();
            arcade_host::server::serve_on(listener, arcade, Default::default(), forever)
                .await
                .expect("serve");
        });
        Ok(Server {
            addr,
            client: reqwest::Client::new(),
            task,
        })
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> anyhow::Result<Value> {
        let resp = self
            .client
            .post(format!("http://{}{path}", self.addr))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await?;
        let status = resp.status();
        let text = resp.text().await?;
        ensure!(status.is_success(), "POST {path}: {status} {text}");
        Ok(serde_json::from_str(&text)?)
    }

    async fn get(&self, token: &str, path: &str) -> anyhow::Result<Value> {
        let resp = self
            .client
            .get(format!("http://{}{path}", self.addr))
            .bearer_auth(token)
            .send()
            .await?;
        let status = resp.status();
        let text = resp.text().await?;
        ensure!(status.is_success(), "GET {path}: {status} {text}");
        Ok(serde_json::from_str(&text)?)
    }

    /// Tenant, keys, group and the draw activity, over HTTP. Returns the
    /// operator key, the platform key and the activity id.
    async fn setup(&self) -> anyhow::Result<(String, String, String)> {
        let tenant = self
            .post(ADMIN, "/v1/tenants", json!({"name": "bench"}))
            .await?;
        let tenant = tenant["id"].as_str().context("tenant id")?.to_owned();
        let keys = format!("/v1/tenants/{tenant}/keys");
        let key = |v: Value| v["key"].as_str().map(str::to_owned).context("key");
        let operator = key(self.post(ADMIN, &keys, json!({"role": "operator"})).await?)?;
        let platform = key(self.post(ADMIN, &keys, json!({"role": "platform"})).await?)?;
        let group = self
            .post(&operator, "/v1/groups", json!({"name": "fans"}))
            .await?;
        let group = group["id"].as_str().context("group id")?;
        let config: Value = serde_json::from_str(CONFIG)?;
        let activity = self
            .post(
                &operator,
                "/v1/activities",
                json!({"group_id": group, "plugin": "lucky-draw", "config": config}),
            )
            .await?;
        let activity = activity["id"].as_str().context("activity id")?.to_owned();
        Ok((operator, platform, activity))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// 64 clients loop draws for `warmup + measure`; only requests started
/// after the warm-up and finished before the end count.
async fn bench_http(
    store: Arc<dyn Store>,
    warmup: Duration,
    measure: Duration,
) -> anyhow::Result<HttpResult> {
    let server = Server::start(store).await?;
    let (operator, platform, activity) = server.setup().await?;
    let url = format!("http://{}/v1/activities/{activity}/actions", server.addr);

    let begin = Instant::now();
    let (from, until) = (begin + warmup, begin + warmup + measure);
    let mut tasks = Vec::with_capacity(HTTP_CLIENTS);
    for client_no in 0..HTTP_CLIENTS {
        let (url, platform) = (url.clone(), platform.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .expect("client");
            let (mut latencies, mut errors, mut total) = (Vec::new(), 0u64, 0u64);
            let mut n = 0u64;
            while Instant::now() < until {
                n += 1;
                let body = json!({"user_id": format!("c{client_no}-u{n}"), "action": "draw"});
                let start = Instant::now();
                let ok = match client
                    .post(&url)
                    .bearer_auth(&platform)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(resp) => {
                        let ok = resp.status().is_success();
                        ok & resp.bytes().await.is_ok()
                    }
                    Err(_) => false,
                };
                let end = Instant::now();
                total += u64::from(ok);
                if start >= from && end <= until {
                    if ok {
                        latencies.push(end - start);
                    } else {
                        errors += 1;
                    }
                }
            }
            (latencies, errors, total)
        }));
    }
    let mut latencies = Vec::new();
    let (mut errors, mut draws_total) = (0, 0);
    for task in tasks {
        let (l, e, t) = task.await?;
        latencies.extend(l);
        errors += e;
        draws_total += t;
    }
    latencies.sort_unstable();

    let view = server
        .get(&operator, &format!("/v1/activities/{activity}"))
        .await?;
    let remaining = view["stock"]
        .as_array()
        .and_then(|pools| pools.iter().find(|p| p["pool"] == "p1"))
        .and_then(|p| p["remaining"].as_i64())
        .context("stock of p1 in the activity view")?;
    Ok(HttpResult {
        draws: latencies.len() as u64,
        errors,
        secs: measure.as_secs_f64(),
        p50: quantile(&latencies, 0.5),
        p99: quantile(&latencies, 0.99),
        wins_committed: STOCK - remaining,
        draws_total,
    })
}

// ------------------------------------------------------- Postgres helpers

/// The parts of a `postgres://user:pass@host:port/db?...` URL.
#[derive(Debug, Default)]
struct PgUrl {
    user: Option<String>,
    password: Option<String>,
    host: Option<String>,
    port: Option<String>,
}

fn percent_decode(s: &str) -> String {
    let hex = |b: u8| char::from(b).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(hi << 4 | lo);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_pg_url(url: &str) -> PgUrl {
    let main = url.split_once('?').map_or(url, |(m, _)| m);
    let rest = main.split_once("://").map_or(main, |(_, r)| r);
    let authority = rest.split_once('/').map_or(rest, |(a, _)| a);
    let (userinfo, hostport) = authority
        .rsplit_once('@')
        .map_or((None, authority), |(u, h)| (Some(u), h));
    let mut parsed = PgUrl::default();
    if let Some(u) = userinfo {
        let (user, password) = u.split_once(':').map_or((u, None), |(a, b)| (a, Some(b)));
        parsed.user = Some(percent_decode(user)).filter(|s| !s.is_empty());
        parsed.password = password.map(percent_decode);
    }
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || hostport.starts_with('[') => (h, Some(p)),
        _ => (hostport, None),
    };
    parsed.host = Some(percent_decode(
        host.trim_start_matches('[').trim_end_matches(']'),
    ))
    .filter(|s| !s.is_empty());
    parsed.port = port.map(str::to_owned).filter(|s| !s.is_empty());
    parsed
}

/// `url` pointing at database `name` instead, query string kept.
fn with_database(url: &str, name: &str) -> String {
    let (main, query) = url
        .split_once('?')
        .map_or((url, None), |(m, q)| (m, Some(q)));
    let (scheme, rest) = main.split_once("://").unwrap_or(("postgres", main));
    let authority = rest.split_once('/').map_or(rest, |(a, _)| a);
    match query {
        Some(q) => format!("{scheme}://{authority}/{name}?{q}"),
        None => format!("{scheme}://{authority}/{name}"),
    }
}

async fn create_database(admin_url: &str, prefix: &str) -> anyhow::Result<String> {
    let mut admin = sqlx::PgConnection::connect(admin_url).await?;
    let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await?;
    Ok(name)
}

async fn drop_database(admin_url: &str, name: &str) {
    if let Ok(mut admin) = sqlx::PgConnection::connect(admin_url).await {
        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        let _ = sqlx::query(&sql).execute(&mut admin).await;
    }
}

// ---------------------------------------------------------------- (c)

fn pgbench(url: &PgUrl, db: &str, args: &[&str]) -> anyhow::Result<String> {
    let mut cmd = Command::new("pgbench");
    for (var, value) in [
        ("PGUSER", &url.user),
        ("PGPASSWORD", &url.password),
        ("PGHOST", &url.host),
        ("PGPORT", &url.port),
    ] {
        if let Some(v) = value {
            cmd.env(var, v);
        }
    }
    cmd.args(args).arg(db);
    let out = cmd
        .output()
        .context("running pgbench (is the postgresql client installed?)")?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    ensure!(
        out.status.success(),
        "pgbench {args:?} failed: {}{}",
        text,
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(text)
}

/// `tps = 1234.5 (without initial connection time)` → 1234.5.
fn parse_tps(out: &str) -> Option<f64> {
    out.lines()
        .filter_map(|l| l.trim().strip_prefix("tps = "))
        .find_map(|rest| rest.split_whitespace().next()?.parse().ok())
}

async fn bench_pgbench(admin_url: &str, secs: u64) -> anyhow::Result<f64> {
    let url = parse_pg_url(admin_url);
    let db = create_database(admin_url, "arcade_pgbench").await?;
    let name = db.clone();
    let tps = tokio::task::spawn_blocking(move || -> anyhow::Result<f64> {
        pgbench(&url, &name, &["-i", "-s", "10", "-q"])?;
        let clients = PGBENCH_CLIENTS.to_string();
        let t = secs.to_string();
        let out = pgbench(&url, &name, &["-N", "-c", &clients, "-j", "2", "-T", &t])?;
        parse_tps(&out).with_context(|| format!("no `tps = ` line in pgbench output:\n{out}"))
    })
    .await;
    drop_database(admin_url, &db).await;
    tps?
}

// ---------------------------------------------------------------- main

fn main() -> anyhow::Result<()> {
    let secs = env_num("ARCADE_BENCH_SECS", 10);
    let iters = env_num("ARCADE_BENCH_ITERS", 20_000) as usize;
    let measure = Duration::from_secs(secs);
    let warmup = Duration::from_secs((secs / 5).max(1));
    let database_url = std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    eprintln!("(a) sandbox vs native, {iters} iterations ...");
    let sandbox = bench_sandbox(iters)?;
    if std::env::var_os("ARCADE_BENCH_SANDBOX_ONLY").is_some() {
        print_sandbox(&sandbox, cores);
        return Ok(());
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let (sqlite, postgres, tps) = runtime.block_on(async {
        eprintln!("(b) HTTP draws on SQLite, {warmup:?} warm-up + {measure:?} ...");
        let path =
            std::env::temp_dir().join(format!("arcade-bench-{}.db", uuid::Uuid::new_v4().simple()));
        let store = arcade_host::store::sqlite::SqliteStore::open(&path).await?;
        let sqlite = bench_http(Arc::new(store), warmup, measure).await;
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
        let sqlite = sqlite?;

        let Some(admin_url) = &database_url else {
            return anyhow::Ok((sqlite, None, None));
        };
        eprintln!("(b) HTTP draws on Postgres, {warmup:?} warm-up + {measure:?} ...");
        let db = create_database(admin_url, "arcade_bench").await?;
        let store =
            arcade_host::store::postgres::PgStore::connect(&with_database(admin_url, &db)).await;
        let postgres = match store {
            Ok(store) => bench_http(Arc::new(store), warmup, measure).await,
            Err(e) => Err(e.into()),
        };
        drop_database(admin_url, &db).await;
        let postgres = postgres?;

        eprintln!("(c) pgbench -N, {PGBENCH_CLIENTS} clients, {secs} s ...");
        let tps = bench_pgbench(admin_url, secs).await?;
        Ok((sqlite, Some(postgres), Some(tps)))
    })?;
    runtime.shutdown_timeout(Duration::from_secs(5));

    print_table(
        &sandbox,
        &sqlite,
        postgres.as_ref(),
        tps,
        secs,
        warmup,
        cores,
    );
    Ok(())
}

fn print_table(
    a: &SandboxResult,
    sqlite: &HttpResult,
    postgres: Option<&HttpResult>,
    tps: Option<f64>,
    secs: u64,
    warmup: Duration,
    cores: usize,
) {
    print_sandbox(a, cores);
    println!();
    println!(
        "(b) durable draws over HTTP: {HTTP_CLIENTS} keep-alive clients, {} s warm-up + {secs} s measured",
        warmup.as_secs()
    );
    println!(
        "  {:<44} {:>10} {:>10} {:>10}   notes",
        "", "draws/s", "p50", "p99"
    );
    let row = |name: &str, r: &HttpResult| {
        println!(
            "  {:<44} {:>10.0} {:>8.2}ms {:>8.2}ms   {} errors; {} of {} draws won stock",
            name,
            r.rate(),
            ms(r.p50),
            ms(r.p99),
            r.errors,
            r.wins_committed,
            r.draws_total
        );
    };
    row("SQLite (fresh temp file)", sqlite);
    match postgres {
        Some(pg) => row("Postgres (fresh database, pool of 32)", pg),
        None => println!("  {:<44} not measured: DATABASE_URL is not set", "Postgres"),
    }
    println!();
    println!("(c) reference on the same Postgres server");
    match (postgres, tps) {
        (Some(pg), Some(tps)) => {
            let ratio = pg.rate() / tps;
            let verdict = if ratio >= 0.6 { "met" } else { "MISSED" };
            println!(
                "  {:<44} {:>10.0} tps   pgbench -i -s 10; -N -c {PGBENCH_CLIENTS} -j 2 -T {secs} ({PGBENCH_CLIENTS} = host pool size)",
                "pgbench -N (simple-update, no branch update)", tps
            );
            println!(
                "  {:<44} {:>10.2}       target >= 0.6: {verdict}",
                "ratio Postgres draws/s / pgbench tps", ratio
            );
        }
        _ => {
            println!("  not measured: DATABASE_URL is not set. For the Postgres rows run:");
            println!("  {PG_HINT}");
        }
    }
    println!();
}

fn print_sandbox(a: &SandboxResult, cores: usize) {
    let ratio = us(a.sandbox_p50) / us(a.native_p50).max(1e-9);
    let target = if us(a.sandbox_p50) <= 20.0 {
        "met"
    } else {
        "MISSED"
    };
    println!();
    println!("Arcade benchmark ({cores} CPUs; HTTP clients and server share them)");
    println!("{}", "=".repeat(96));
    println!(
        "(a) lucky draw, one action: {} iterations after warm-up",
        a.iters
    );
    println!("  {:<44} {:>10} {:>10}   notes", "", "median", "p99");
    println!(
        "  {:<44} {:>8.1}µs {:>8.1}µs   fresh store+instance, handle(\"draw\"), drop; {} wins",
        "sandbox (wasmtime, Sandbox::handle)",
        us(a.sandbox_p50),
        us(a.sandbox_p99),
        a.wins
    );
    println!(
        "  {:<44} {:>8.2}µs {:>8.2}µs   same mechanic and config via MockHost",
        "native Rust (arcade_sdk::testing::MockHost)",
        us(a.native_p50),
        us(a.native_p99)
    );
    println!(
        "  {:<44} {:>9.1}x   target sandbox median <= 20 µs: {target}",
        "ratio sandbox / native (median)", ratio
    );
}
