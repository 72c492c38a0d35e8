//! CSV exports of an activity's outcomes, rewards or daily statistics.
//!
//! Starting one stores a job and spawns a task that pages through the
//! rows (keyset pagination, [`PAGE_ROWS`] at a time), encodes each page
//! and appends it to `<id>.csv.part` in the export directory, recording
//! progress (and a heartbeat) after every page; the finished file is
//! renamed to `<id>.csv`. Memory is bounded by one page whatever the
//! number of rows. A job whose heartbeat is older than [`STALE_MS`] was
//! interrupted (its replica stopped): it is marked failed at start-up and
//! when read, and can be started again.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, SecondsFormat, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use super::Arcade;
use crate::clock::{parse_timezone, to_rfc3339};
use crate::error::{Error, Result};
use crate::store::{ExportJob, OutcomeRecord, RewardExport, StatDay};

/// Rows read and written per page.
pub const PAGE_ROWS: i64 = 5_000;
/// A running job whose heartbeat is older than this was interrupted.
pub const STALE_MS: i64 = 120_000;
/// Most jobs listed.
const LIST_LIMIT: i64 = 100;

/// `POST /v1/exports`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewExport {
    /// `outcomes`, `rewards` or `stats`.
    pub kind: String,
    /// The activity.
    pub activity_id: String,
    /// First day, `YYYY-MM-DD` in the export's time zone (default: the
    /// beginning).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Last day, inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// IANA time zone for times and days (default: the activity's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tz: Option<String>,
}

/// A job as clients see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ExportView {
    /// Id.
    pub id: String,
    /// `outcomes`, `rewards` or `stats`.
    pub kind: String,
    /// The activity.
    pub activity_id: String,
    /// `queued`, `running`, `done` or `failed`.
    pub status: String,
    /// Rows written.
    pub rows_done: i64,
    /// Rows to write, once counted (an estimate while running: rows
    /// committed meanwhile may be included or not).
    pub rows_total: Option<i64>,
    /// `rows_done / rows_total` (1 when done), or null before the count.
    pub progress: Option<f64>,
    /// Why it failed.
    pub error: Option<String>,
    /// Size of the finished file.
    pub bytes: Option<i64>,
    /// The parameters it was started with.
    pub params: serde_json::Value,
    /// Where to fetch the file once done.
    pub download: Option<String>,
    /// Start (RFC 3339).
    pub created_at: String,
    /// End (RFC 3339).
    pub finished_at: Option<String>,
}

impl From<ExportJob> for ExportView {
    fn from(j: ExportJob) -> Self {
        let progress = match (j.status.as_str(), j.rows_total) {
            ("done", _) => Some(1.0),
            (_, Some(0)) => Some(0.0),
            (_, Some(total)) => Some((j.rows_done as f64 / total as f64).min(1.0)),
            _ => None,
        };
        ExportView {
            download: (j.status == "done").then(|| format!("/v1/exports/{}/download", j.id)),
            params: serde_json::from_str(&j.params).unwrap_or(serde_json::Value::Null),
            id: j.id,
            kind: j.kind,
            activity_id: j.activity_id,
            status: j.status,
            rows_done: j.rows_done,
            rows_total: j.rows_total,
            progress,
            error: j.error,
            bytes: j.bytes,
            created_at: to_rfc3339(j.created_at),
            finished_at: j.finished_at.map(to_rfc3339),
        }
    }
}

/// A finished export to stream.
#[derive(Debug)]
pub struct ExportFile {
    /// The file.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// A name for `Content-Disposition`.
    pub name: String,
}

/// What a job writes, resolved when it starts.
struct Spec {
    kind: Kind,
    activity_id: String,
    tz: Tz,
    /// `[from, to)` in ms.
    range: (i64, i64),
    /// The same range as days, inclusive, for statistics.
    days: (String, String),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Outcomes,
    Rewards,
    Stats,
}

/// Midnight starting `day` in `tz`, in ms (the first instant of the day
/// if midnight falls in a gap).
fn day_start(tz: Tz, day: NaiveDate) -> i64 {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    (0..4)
        .find_map(|h| {
            tz.from_local_datetime(&(midnight + chrono::Duration::hours(h)))
                .earliest()
        })
        .map(|t| t.timestamp_millis())
        .unwrap_or_else(|| midnight.and_utc().timestamp_millis())
}

fn parse_day(field: &str, d: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
        Error::invalid(
            "invalid_range",
            format!("{field} must be a day YYYY-MM-DD, got {d:?}"),
        )
    })
}

/// A time as RFC 3339 with the zone's offset.
fn local_time(tz: Tz, ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .with_timezone(&tz)
        .to_rfc3339_opts(SecondsFormat::Millis, false)
}

/// A text cell, defused against formula injection: spreadsheets run a
/// cell starting with `=`, `+`, `-`, `@` (or a tab or carriage return
/// before one) as a formula, so such a cell gets a leading `'`; so does a
/// cell starting with `'`, so exactly one leading `'` is ever added and
/// `arcade verify` can take it off. Numbers
/// the export itself writes are not text cells and are never changed.
fn text(s: &str) -> std::borrow::Cow<'_, str> {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\'' | b'\t' | b'\r') => format!("'{s}").into(),
        _ => s.into(),
    }
}

fn header(kind: Kind, tz: Tz) -> Vec<String> {
    let at = |name: &str| format!("{name} ({tz})");
    let plain = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
    match kind {
        Kind::Outcomes => {
            let mut h = plain(&["id", "user_id", "action"]);
            h.push(at("created_at"));
            h.extend(plain(&[
                "fuel_used",
                "payload",
                "result",
                "rewards",
                "group_id",
                "seq",
                "draws",
            ]));
            h
        }
        Kind::Rewards => {
            let mut h = plain(&[
                "reward_id",
                "outcome_id",
                "user_id",
                "kind",
                "item",
                "name",
                "amount",
                "code",
                "state",
                "fulfilment",
                "carrier",
                "tracking_no",
            ]);
            h.push(at("created_at"));
            h.push(at("expires_at"));
            h
        }
        Kind::Stats => {
            let mut h = vec![at("day")];
            h.extend(plain(&[
                "actions",
                "users",
                "new_users",
                "prizes",
                "coupons",
                "points",
                "tickets",
                "cost_fen",
                "winners",
            ]));
            h
        }
    }
}

fn outcome_record(tz: Tz, o: &OutcomeRecord) -> Vec<String> {
    // What `arcade verify` needs: the user's sequence number and the draws.
    #[derive(serde::Deserialize, Default, utoipa::ToSchema)]
    struct Drawn {
        seq: Option<u64>,
        #[serde(default)]
        draws: Vec<(u64, u64)>,
    }
    let drawn: Drawn = serde_json::from_str(&o.inputs).unwrap_or_default();
    let draws = if drawn.draws.is_empty() && drawn.seq.is_none() {
        String::new()
    } else {
        serde_json::to_string(&drawn.draws).expect("draws serialize")
    };
    vec![
        text(&o.id).into_owned(),
        text(&o.user_id).into_owned(),
        text(&o.action).into_owned(),
        local_time(tz, o.created_at),
        o.fuel_used.to_string(),
        text(&o.payload).into_owned(),
        text(&o.result).into_owned(),
        text(&o.rewards).into_owned(),
        text(&o.group_id).into_owned(),
        drawn.seq.map(|n| n.to_string()).unwrap_or_default(),
        draws,
    ]
}

fn reward_record(tz: Tz, r: &RewardExport) -> Vec<String> {
    let opt = |s: &Option<String>| s.as_deref().map(text).unwrap_or_default().into_owned();
    vec![
        text(&r.public_id).into_owned(),
        text(&r.outcome_id).into_owned(),
        text(&r.user_id).into_owned(),
        text(&r.kind).into_owned(),
        text(&r.item).into_owned(),
        text(&r.name).into_owned(),
        r.amount.to_string(),
        opt(&r.code),
        opt(&r.state),
        opt(&r.fulfilment),
        opt(&r.carrier),
        opt(&r.tracking_no),
        local_time(tz, r.created_at),
        r.expires_at.map(|t| local_time(tz, t)).unwrap_or_default(),
    ]
}

fn stat_record(d: &StatDay) -> Vec<String> {
    vec![
        d.day.clone(),
        d.actions.to_string(),
        d.users.to_string(),
        d.new_users.to_string(),
        d.prizes.to_string(),
        d.coupons.to_string(),
        d.points.to_string(),
        d.tickets.to_string(),
        d.cost_fen.to_string(),
        d.winners.to_string(),
    ]
}

/// The file being written, and its size so far.
struct CsvFile {
    file: tokio::io::BufWriter<tokio::fs::File>,
    bytes: u64,
}

impl CsvFile {
    async fn put(&mut self, chunk: Vec<u8>) -> Result<()> {
        self.bytes += chunk.len() as u64;
        self.file
            .write_all(&chunk)
            .await
            .map_err(|e| Error::Internal(format!("export file: {e}")))
    }
}

/// Encode records as CSV.
fn encode<I: IntoIterator<Item = Vec<String>>>(records: I) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in records {
        w.write_record(&r)
            .map_err(|e| Error::Internal(format!("csv: {e}")))?;
    }
    w.into_inner()
        .map_err(|e| Error::Internal(format!("csv: {e}")))
}

impl Arcade {
    /// Where export files are written.
    pub fn export_dir(&self) -> PathBuf {
        self.export_dir.read().expect("lock").clone()
    }

    /// Set [`Arcade::export_dir`] (`--export-dir`).
    pub fn set_export_dir(&self, dir: PathBuf) {
        *self.export_dir.write().expect("lock") = dir;
    }

    /// Mark failed the jobs whose writer stopped; run at start-up.
    pub async fn fail_interrupted_exports(&self) -> Result<u64> {
        let now = self.now();
        Ok(self.store.fail_stale_exports(now - STALE_MS, now).await?)
    }

    /// Store a job for `req` and start writing it in the background.
    pub async fn start_export(
        self: &Arc<Self>,
        tenant_id: &str,
        req: NewExport,
        by: &str,
    ) -> Result<ExportView> {
        let kind = match req.kind.as_str() {
            "outcomes" => Kind::Outcomes,
            "rewards" => Kind::Rewards,
            "stats" => Kind::Stats,
            other => {
                return Err(Error::invalid(
                    "invalid_kind",
                    format!("kind must be outcomes, rewards or stats, got {other:?}"),
                ));
            }
        };
        let activity = self.activity_view(tenant_id, &req.activity_id).await?;
        let zone = activity.timezone.clone();
        let tz = match &req.tz {
            None => parse_timezone(&zone).unwrap_or(chrono_tz::UTC),
            Some(name) => parse_timezone(name).ok_or_else(|| {
                Error::invalid("invalid_timezone", format!("unknown time zone {name:?}"))
            })?,
        };
        if kind == Kind::Stats && tz.name() != zone {
            return Err(Error::invalid(
                "invalid_timezone",
                format!("statistics are counted by days in the activity's time zone, {zone}"),
            ));
        }
        let from = req
            .from
            .as_deref()
            .map(|d| parse_day("from", d))
            .transpose()?;
        let to = req.to.as_deref().map(|d| parse_day("to", d)).transpose()?;
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(Error::invalid("invalid_range", "from is after to"));
        }
        let range = (
            from.map(|d| day_start(tz, d)).unwrap_or(i64::MIN),
            to.and_then(|d| d.succ_opt())
                .map(|d| day_start(tz, d))
                .unwrap_or(i64::MAX),
        );
        let days = (
            req.from.clone().unwrap_or_else(|| "0000-01-01".into()),
            req.to.clone().unwrap_or_else(|| "9999-12-31".into()),
        );
        let now = self.now();
        let mut params = serde_json::to_value(&req).unwrap_or_default();
        params["tz"] = serde_json::json!(tz.name());
        let job = ExportJob {
            id: uuid::Uuid::new_v4().to_string(),
            tenant_id: tenant_id.to_owned(),
            kind: req.kind.clone(),
            activity_id: req.activity_id.clone(),
            params: params.to_string(),
            status: "running".into(),
            rows_done: 0,
            rows_total: None,
            error: None,
            file: None,
            bytes: None,
            created_by: by.to_owned(),
            created_at: now,
            heartbeat_at: now,
            finished_at: None,
        };
        self.store.insert_export(&job).await?;
        let spec = Spec {
            kind,
            activity_id: req.activity_id,
            tz,
            range,
            days,
        };
        let arcade = self.clone();
        let running = job.clone();
        tokio::spawn(async move { arcade.run_export(running, spec).await });
        Ok(job.into())
    }

    /// One job of the tenant.
    pub async fn export_status(&self, tenant_id: &str, id: &str) -> Result<ExportView> {
        let job = self.export_job(tenant_id, id).await?;
        Ok(job.into())
    }

    /// The tenant's most recent jobs, newest first.
    pub async fn export_list(&self, tenant_id: &str) -> Result<Vec<ExportView>> {
        let jobs = self.store.export_jobs(tenant_id, LIST_LIMIT).await?;
        Ok(jobs.into_iter().map(ExportView::from).collect())
    }

    /// The finished file of a job of the tenant.
    pub async fn export_file(&self, tenant_id: &str, id: &str) -> Result<ExportFile> {
        let job = self.export_job(tenant_id, id).await?;
        match job.status.as_str() {
            "done" => {}
            "failed" => {
                return Err(Error::conflict(
                    "export_failed",
                    format!("export {id} failed: {}", job.error.unwrap_or_default()),
                ));
            }
            _ => {
                return Err(Error::conflict(
                    "export_not_ready",
                    format!("export {id} is still {}; poll it until done", job.status),
                ));
            }
        }
        let path = self.export_dir().join(job.file.unwrap_or_default());
        let bytes = tokio::fs::metadata(&path)
            .await
            .map_err(|_| {
                Error::conflict(
                    "export_file_missing",
                    format!(
                        "the file of export {id} is not on this replica's export directory; \
                         start it again"
                    ),
                )
            })?
            .len();
        Ok(ExportFile {
            path,
            bytes,
            name: format!("{}-{}-{}.csv", job.kind, job.activity_id, job.id),
        })
    }

    /// A job of the tenant, marked failed first if its writer stopped.
    async fn export_job(&self, tenant_id: &str, id: &str) -> Result<ExportJob> {
        let job = self
            .store
            .export_job(tenant_id, id)
            .await?
            .ok_or_else(|| Error::not_found("export", id))?;
        let now = self.now();
        if matches!(job.status.as_str(), "queued" | "running") && job.heartbeat_at < now - STALE_MS
        {
            self.store.fail_stale_exports(now - STALE_MS, now).await?;
            return self
                .store
                .export_job(tenant_id, id)
                .await?
                .ok_or_else(|| Error::not_found("export", id));
        }
        Ok(job)
    }

    async fn run_export(&self, mut job: ExportJob, spec: Spec) {
        let dir = self.export_dir();
        let part = dir.join(format!("{}.csv.part", job.id));
        let written = self.write_export(&mut job, &spec, &dir, &part).await;
        let now = self.now();
        job.heartbeat_at = now;
        job.finished_at = Some(now);
        match written {
            Ok(bytes) => {
                let file = format!("{}.csv", job.id);
                match tokio::fs::rename(&part, dir.join(&file)).await {
                    Ok(()) => {
                        job.status = "done".into();
                        job.file = Some(file);
                        job.bytes = Some(bytes as i64);
                        job.rows_total = Some(job.rows_done);
                    }
                    Err(e) => {
                        job.status = "failed".into();
                        job.error = Some(format!("writing the file failed: {e}"));
                    }
                }
            }
            Err(e) => {
                let _ = tokio::fs::remove_file(&part).await;
                tracing::warn!(export = %job.id, error = %e, "export failed");
                job.status = "failed".into();
                job.error = Some(match e {
                    Error::Store(_) => "a storage error occurred; it has been logged".into(),
                    other => other.to_string(),
                });
            }
        }
        match self.store.finish_export(&job).await {
            Ok(true) => {}
            Ok(false) => {
                // Marked failed as stale meanwhile: its file is not
                // wanted.
                let _ = tokio::fs::remove_file(dir.join(format!("{}.csv", job.id))).await;
            }
            Err(e) => {
                tracing::warn!(export = %job.id, error = %e, "recording an export's end failed")
            }
        }
    }

    /// Write every row of `spec` to `part`; returns the file's size.
    async fn write_export(
        &self,
        job: &mut ExportJob,
        spec: &Spec,
        dir: &std::path::Path,
        part: &std::path::Path,
    ) -> Result<u64> {
        let io = |e: std::io::Error| Error::Internal(format!("export file: {e}"));
        tokio::fs::create_dir_all(dir).await.map_err(io)?;
        let mut out = CsvFile {
            file: tokio::io::BufWriter::new(tokio::fs::File::create(part).await.map_err(io)?),
            bytes: 0,
        };
        out.put(encode([header(spec.kind, spec.tz)])?).await?;
        let total = match spec.kind {
            Kind::Stats => None,
            kind => Some(
                self.store
                    .count_in_range(&spec.activity_id, kind == Kind::Rewards, spec.range)
                    .await?,
            ),
        };
        job.rows_total = total;
        match spec.kind {
            Kind::Stats => {
                let days = self
                    .store
                    .stat_days(&spec.activity_id, &spec.days.0, &spec.days.1)
                    .await?;
                job.rows_done = days.len() as i64;
                out.put(encode(days.iter().map(stat_record))?).await?;
            }
            Kind::Outcomes => {
                let mut after = String::new();
                loop {
                    let page = self
                        .store
                        .export_outcomes(&spec.activity_id, spec.range, &after, PAGE_ROWS)
                        .await?;
                    let Some(last) = page.last() else { break };
                    after = last.id.clone();
                    job.rows_done += page.len() as i64;
                    out.put(encode(page.iter().map(|o| outcome_record(spec.tz, o)))?)
                        .await?;
                    self.export_heartbeat(job).await?;
                    if (page.len() as i64) < PAGE_ROWS {
                        break;
                    }
                }
            }
            Kind::Rewards => {
                let mut after = 0;
                loop {
                    let page = self
                        .store
                        .export_rewards(&spec.activity_id, spec.range, after, PAGE_ROWS)
                        .await?;
                    let Some(last) = page.last() else { break };
                    after = last.seq;
                    job.rows_done += page.len() as i64;
                    out.put(encode(page.iter().map(|r| reward_record(spec.tz, r)))?)
                        .await?;
                    self.export_heartbeat(job).await?;
                    if (page.len() as i64) < PAGE_ROWS {
                        break;
                    }
                }
            }
        }
        out.file.flush().await.map_err(io)?;
        out.file.into_inner().sync_all().await.map_err(io)?;
        Ok(out.bytes)
    }

    async fn export_heartbeat(&self, job: &ExportJob) -> Result<()> {
        let running = self
            .store
            .export_progress(&job.id, job.rows_done, job.rows_total, self.now())
            .await?;
        if !running {
            return Err(Error::Internal(
                "the job was marked failed while it ran".into(),
            ));
        }
        Ok(())
    }
}
