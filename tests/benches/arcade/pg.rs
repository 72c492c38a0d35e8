//! Postgres helpers: fresh databases on the server `DATABASE_URL` names,
//! and `pgbench` as the reference.

use std::process::Command;

use anyhow::{Context, ensure};
use sqlx::Connection;

/// The parts of a `postgres://user:pass@host:port/db?...` URL.
#[derive(Debug, Default, Clone)]
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
pub fn with_database(url: &str, name: &str) -> String {
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

/// A new empty database named `<prefix>_<random>`; returns its name.
pub async fn create_database(admin_url: &str, prefix: &str) -> anyhow::Result<String> {
    let mut admin = sqlx::PgConnection::connect(admin_url).await?;
    let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await?;
    Ok(name)
}

/// Drop a database, closing its connections; best effort.
pub async fn drop_database(admin_url: &str, name: &str) {
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

/// A `pgbench -i -s 10` database of its own, run as often as wanted.
pub struct PgBench {
    admin_url: String,
    url: PgUrl,
    db: String,
}

impl PgBench {
    /// Create and initialise the database.
    pub async fn init(admin_url: &str) -> anyhow::Result<PgBench> {
        let url = parse_pg_url(admin_url);
        let db = create_database(admin_url, "arcade_pgbench").await?;
        let bench = PgBench {
            admin_url: admin_url.to_owned(),
            url,
            db,
        };
        let (url, name) = (bench.url.clone(), bench.db.clone());
        tokio::task::spawn_blocking(move || pgbench(&url, &name, &["-i", "-s", "10", "-q"]))
            .await??;
        Ok(bench)
    }

    /// `pgbench -N` with `clients` clients for `secs` seconds; the tps.
    pub async fn run(&self, clients: usize, secs: u64) -> anyhow::Result<f64> {
        let (url, name) = (self.url.clone(), self.db.clone());
        tokio::task::spawn_blocking(move || -> anyhow::Result<f64> {
            let clients = clients.to_string();
            let t = secs.to_string();
            let out = pgbench(&url, &name, &["-N", "-c", &clients, "-j", "2", "-T", &t])?;
            parse_tps(&out).with_context(|| format!("no `tps = ` line in pgbench output:\n{out}"))
        })
        .await?
    }

    /// Drop the database.
    pub async fn drop_database(self) {
        drop_database(&self.admin_url, &self.db).await;
    }
}
