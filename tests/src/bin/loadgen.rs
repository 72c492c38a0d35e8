//! `loadgen`: HTTP load from its own process, so the server under test
//! does not share a runtime (or an allocator) with the clients.
//!
//! Each client task holds exactly one HTTP/1.1 keep-alive connection and
//! sends its requests one after another. Three ways to run:
//! `--duration` (every client loops; only requests started after
//! `--warmup` and finished before the end count), `--requests` (a total
//! shared by the clients) and `--burst` (each client sends exactly one
//! request, all released at the same instant once every connection is up).
//!
//! The body template may use `{n}` (the request's number in this run,
//! unique), `{user}` (`--user-prefix` followed by `{n}`, a distinct user
//! per request) and `{client}` (the client's index). `--idempotency-key`
//! puts a unique `Idempotency-Key` on every request.
//!
//! The result is one JSON object on stdout: counts by status and by error
//! code (`{"error":{"code"}}` of non-2xx answers), transport errors,
//! throughput and latency quantiles in milliseconds.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, bail, ensure};
use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::Barrier;

/// Command-line options.
#[derive(Debug, Parser)]
#[command(about = "HTTP load generator: one keep-alive connection per client")]
struct Args {
    /// Server base URL, `http://host:port`.
    #[arg(long)]
    url: String,
    /// Bearer token sent on every request (none if empty).
    #[arg(long, default_value = "")]
    token: String,
    /// Concurrent clients, each with its own connection.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Measured seconds of a timed run.
    #[arg(long, conflicts_with_all = ["requests", "burst"])]
    duration: Option<f64>,
    /// Seconds before the measured window of a timed run.
    #[arg(long, default_value_t = 0.0)]
    warmup: f64,
    /// Total requests, shared by the clients.
    #[arg(long, conflicts_with = "burst")]
    requests: Option<u64>,
    /// Each client sends exactly one request, all released together.
    #[arg(long)]
    burst: bool,
    /// HTTP method.
    #[arg(long, default_value = "POST")]
    method: String,
    /// Request path, e.g. `/v1/activities/{id}/actions`.
    #[arg(long)]
    path: String,
    /// JSON body template (`{n}`, `{user}`, `{client}` are substituted).
    #[arg(long)]
    body: Option<String>,
    /// Put a unique `Idempotency-Key` on every request.
    #[arg(long)]
    idempotency_key: bool,
    /// What `{user}` starts with.
    #[arg(long, default_value = "u")]
    user_prefix: String,
}

/// How a run is bounded.
#[derive(Debug, Clone, Copy)]
enum Plan {
    Timed { from: Instant, until: Instant },
    Count { total: u64 },
    Burst,
}

/// What every client shares.
struct Shared {
    addr: String,
    authority: HeaderValue,
    method: Method,
    uri: Uri,
    token: Option<HeaderValue>,
    body: Option<String>,
    user_prefix: String,
    /// Prefix of idempotency keys, unique per run.
    key_prefix: Option<String>,
    next: AtomicU64,
    plan: Plan,
}

/// One request's fate.
struct Record {
    start: Instant,
    end: Instant,
    /// HTTP status and error code, or a transport error.
    answer: Result<(u16, Option<String>), String>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    ensure!(args.clients > 0, "--clients must be at least 1");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(run(args))?;
    println!("{report}");
    Ok(())
}

async fn run(args: Args) -> anyhow::Result<Value> {
    let base: Uri = args.url.parse().context("--url")?;
    ensure!(
        base.scheme_str() == Some("http"),
        "--url must be http://host:port"
    );
    let authority = base.authority().context("--url has no host")?.clone();
    let uri: Uri = args.path.parse().context("--path")?;
    let started = Instant::now();
    let plan = match (args.duration, args.requests, args.burst) {
        (_, _, true) => Plan::Burst,
        (_, Some(total), _) => Plan::Count { total },
        (Some(secs), None, _) => {
            ensure!(secs > 0.0 && args.warmup >= 0.0, "bad --duration/--warmup");
            let from = started + Duration::from_secs_f64(args.warmup);
            Plan::Timed {
                from,
                until: from + Duration::from_secs_f64(secs),
            }
        }
        (None, None, false) => bail!("give one of --duration, --requests or --burst"),
    };
    let run_id = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)?
        .as_nanos();
    let shared = Arc::new(Shared {
        addr: format!(
            "{}:{}",
            authority
                .host()
                .trim_start_matches('[')
                .trim_end_matches(']'),
            authority.port_u16().unwrap_or(80)
        ),
        authority: HeaderValue::from_str(authority.as_str())?,
        method: args.method.to_uppercase().parse().context("--method")?,
        uri,
        token: (!args.token.is_empty())
            .then(|| HeaderValue::from_str(&format!("Bearer {}", args.token)))
            .transpose()?,
        body: args.body,
        user_prefix: args.user_prefix,
        key_prefix: args
            .idempotency_key
            .then(|| format!("lg-{}-{run_id:x}", std::process::id())),
        next: AtomicU64::new(0),
        plan,
    });

    let barrier = Arc::new(Barrier::new(args.clients));
    let mut tasks = Vec::with_capacity(args.clients);
    for client in 0..args.clients {
        let (shared, barrier) = (shared.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            client_loop(&shared, client, &barrier).await
        }));
    }
    let mut records = Vec::new();
    for task in tasks {
        records.extend(task.await??);
    }
    Ok(summarise(&records, plan))
}

async fn connect(shared: &Shared) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(&shared.addr)
        .await
        .with_context(|| format!("connect {}", shared.addr))?;
    stream.set_nodelay(true)?;
    let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        // Ends when the server closes the connection or the sender drops.
        let _ = conn.await;
    });
    Ok(sender)
}

async fn client_loop(
    shared: &Shared,
    client: usize,
    barrier: &Barrier,
) -> anyhow::Result<Vec<Record>> {
    let mut records = Vec::new();
    // Burst: every connection is up before anyone sends.
    let mut sender = match shared.plan {
        Plan::Burst => {
            let sender = connect(shared).await;
            barrier.wait().await;
            Some(sender?)
        }
        _ => None,
    };
    loop {
        let n = match shared.plan {
            Plan::Timed { until, .. } if Instant::now() >= until => break,
            Plan::Timed { .. } => shared.next.fetch_add(1, Ordering::Relaxed),
            Plan::Count { total } => {
                let n = shared.next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    break;
                }
                n
            }
            Plan::Burst if !records.is_empty() => break,
            Plan::Burst => shared.next.fetch_add(1, Ordering::Relaxed),
        };
        let request = build_request(shared, n, client)?;
        let start = Instant::now();
        let answer = match &mut sender {
            Some(s) => send(s, request).await,
            None => match connect(shared).await {
                Ok(s) => send(sender.insert(s), request).await,
                Err(e) => Err(format!("{e:#}")),
            },
        };
        if answer.is_err() {
            // Next request on a fresh connection.
            sender = None;
        }
        records.push(Record {
            start,
            end: Instant::now(),
            answer,
        });
    }
    Ok(records)
}

fn build_request(shared: &Shared, n: u64, client: usize) -> anyhow::Result<Request<Full<Bytes>>> {
    let mut req = Request::builder()
        .method(shared.method.clone())
        .uri(shared.uri.clone())
        .header(HOST, shared.authority.clone());
    if let Some(token) = &shared.token {
        req = req.header(AUTHORIZATION, token.clone());
    }
    if let Some(prefix) = &shared.key_prefix {
        req = req.header("idempotency-key", format!("{prefix}-{n}"));
    }
    let body = match &shared.body {
        Some(template) => {
            req = req.header(CONTENT_TYPE, "application/json");
            let user = format!("{}{n}", shared.user_prefix);
            Bytes::from(
                template
                    .replace("{n}", &n.to_string())
                    .replace("{user}", &user)
                    .replace("{client}", &client.to_string()),
            )
        }
        None => Bytes::new(),
    };
    Ok(req.body(Full::new(body))?)
}

async fn send(
    sender: &mut SendRequest<Full<Bytes>>,
    request: Request<Full<Bytes>>,
) -> Result<(u16, Option<String>), String> {
    sender.ready().await.map_err(|e| e.to_string())?;
    let resp = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = resp.status();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    let code = (!status.is_success())
        .then(|| serde_json::from_slice::<Value>(&body).ok())
        .flatten()
        .and_then(|v| v["error"]["code"].as_str().map(str::to_owned));
    Ok((status.as_u16(), code))
}

/// The `q`-quantile of sorted samples (nearest rank), in milliseconds.
fn quantile_ms(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1e3
}

fn summarise(records: &[Record], plan: Plan) -> Value {
    let counted: Vec<&Record> = match plan {
        Plan::Timed { from, until } => records
            .iter()
            .filter(|r| r.start >= from && r.end <= until)
            .collect(),
        _ => records.iter().collect(),
    };
    let secs = match plan {
        Plan::Timed { from, until } => (until - from).as_secs_f64(),
        _ => {
            let first = counted.iter().map(|r| r.start).min();
            let last = counted.iter().map(|r| r.end).max();
            match (first, last) {
                (Some(a), Some(b)) => (b - a).as_secs_f64(),
                _ => 0.0,
            }
        }
    };
    let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
    let mut codes: BTreeMap<String, u64> = BTreeMap::new();
    let mut transport: BTreeMap<String, u64> = BTreeMap::new();
    let mut latencies = Vec::with_capacity(counted.len());
    for r in &counted {
        match &r.answer {
            Ok((status, code)) => {
                *statuses.entry(status.to_string()).or_default() += 1;
                if let Some(code) = code {
                    *codes.entry(code.clone()).or_default() += 1;
                }
                latencies.push(r.end - r.start);
            }
            Err(e) => *transport.entry(e.clone()).or_default() += 1,
        }
    }
    latencies.sort_unstable();
    let ok: u64 = statuses
        .iter()
        .filter(|(s, _)| s.starts_with('2'))
        .map(|(_, n)| n)
        .sum();
    json!({
        "count": counted.len(),
        "sent": records.len(),
        "ok": ok,
        "statuses": statuses,
        "codes": codes,
        "transport_errors": transport,
        "secs": secs,
        "throughput": if secs > 0.0 { counted.len() as f64 / secs } else { 0.0 },
        "ok_per_sec": if secs > 0.0 { ok as f64 / secs } else { 0.0 },
        "latency_ms": {
            "p50": quantile_ms(&latencies, 0.5),
            "p90": quantile_ms(&latencies, 0.9),
            "p95": quantile_ms(&latencies, 0.95),
            "p99": quantile_ms(&latencies, 0.99),
            "max": latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
        },
    })
}
