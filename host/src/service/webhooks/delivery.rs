//! The delivery worker. Every replica runs it; each round
//!
//! 1. copies new events of every enabled endpoint into its deliveries
//!    (`enqueue`): events after the endpoint's cursor, filtered by its
//!    types, queued and the cursor moved in one transaction that is a
//!    compare and set on the cursor, so racing replicas queue them once;
//! 2. leases due deliveries (`claim`): only the earliest pending one of
//!    each (endpoint, activity, subject), so a subject's events go out in
//!    order, and on Postgres `SKIP LOCKED` with a lease so no two workers
//!    send one delivery at the same time;
//! 3. sends them concurrently and records each attempt: delivered on 2xx,
//!    otherwise pending again after the backoff, or dead after the last.
//!
//! A delivery is marked delivered only after the receiver answered 2xx,
//! so a crash between the two sends it again (at least once; the
//! `webhook-id` is the same, so receivers dedupe).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;

use super::{Arcade, matches, signing, webhook_id};
use crate::clock::to_rfc3339;
use crate::error::Result;
use crate::store::{AttemptRecord, AttemptVerdict, ClaimedDelivery, NewDelivery};

/// Seconds to wait before each retry: the nth failed attempt waits the
/// nth entry (with ±10 % jitter), and a delivery whose last retry fails is
/// dead. 12 attempts over about 71.6 hours.
pub const RETRY_SCHEDULE_SECS: [i64; 11] = [
    5,
    5 * 60,
    30 * 60,
    2 * 3600,
    5 * 3600,
    10 * 3600,
    10 * 3600,
    10 * 3600,
    10 * 3600,
    10 * 3600,
    14 * 3600,
];
/// Whole request deadline of one attempt.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Connection deadline of one attempt.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a worker holds a delivery it is sending: well over the
/// request timeout, so a lease never runs out while its request may still
/// be answered.
const LEASE_MS: i64 = 30_000;
/// Deliveries leased per round.
const BATCH: u32 = 64;
/// Requests in flight per worker.
const CONCURRENCY: usize = 16;
/// Events read per endpoint per round.
const ENQUEUE_PAGE: u32 = 500;
/// Pause between rounds when there was nothing to do.
const IDLE: Duration = Duration::from_millis(250);
/// How long delivered deliveries stay in the log (dead ones stay until
/// redelivered or their endpoint is deleted).
pub const DELIVERED_RETENTION_MS: i64 = 30 * 24 * 3600 * 1000;
/// How often a worker prunes the log.
const PRUNE_EVERY: Duration = Duration::from_secs(600);
/// Most deliveries pruned per transaction.
const PRUNE_BATCH: u32 = 1000;
/// Longest error text kept for an attempt.
const MAX_ERROR_CHARS: usize = 300;

/// The HTTP client deliveries go through.
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        // A redirect is an answer, not a 2xx: the endpoint's URL is wrong.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("arcade-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the webhook HTTP client builds")
}

/// When the next attempt after `attempts` failed ones is due, or None if
/// the delivery is dead.
fn next_attempt(now: i64, attempts: i64) -> Option<i64> {
    let wait = *RETRY_SCHEDULE_SECS.get(usize::try_from(attempts - 1).ok()?)?;
    let jitter = 0.9 + rand::random::<f64>() * 0.2;
    Some(now + (wait as f64 * 1000.0 * jitter) as i64)
}

/// The body of a delivery.
fn payload(d: &ClaimedDelivery) -> String {
    let data = match crate::service::ledger::api_event_data(&d.delivery.kind, &d.data) {
        serde_json::Value::Null => serde_json::Value::String(d.data.clone()),
        data => data,
    };
    serde_json::json!({
        "type": d.delivery.kind,
        "timestamp": to_rfc3339(d.event_created_at),
        "data": {
            "seq": d.delivery.event_seq,
            "activity_id": d.delivery.activity_id,
            "outcome_id": d.outcome_id,
            "subject": d.delivery.subject,
            "data": data,
        }
    })
    .to_string()
}

fn clip(mut s: String) -> String {
    if let Some((at, _)) = s.char_indices().nth(MAX_ERROR_CHARS) {
        s.truncate(at);
    }
    s
}

impl Arcade {
    fn webhook_client(&self) -> &reqwest::Client {
        self.webhook_client.get_or_init(client)
    }

    /// One round of the worker: queue new events, then send what is due.
    /// Returns how many deliveries were attempted.
    pub async fn deliver_webhooks_once(&self) -> Result<usize> {
        self.enqueue_webhook_events().await?;
        let now = self.now();
        let claimed = self
            .store
            .claim_webhook_deliveries(now, LEASE_MS, BATCH)
            .await?;
        let n = claimed.len();
        let results: Vec<Result<()>> = futures::stream::iter(claimed)
            .map(|d| self.attempt(d))
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        for r in results {
            r?;
        }
        Ok(n)
    }

    /// Delete deliveries delivered longer ago than the retention; returns
    /// how many.
    pub async fn prune_webhook_deliveries(&self) -> Result<u64> {
        let before = self.now() - DELIVERED_RETENTION_MS;
        let mut total = 0;
        loop {
            let n = self
                .store
                .prune_webhook_deliveries(before, PRUNE_BATCH)
                .await?;
            total += n;
            if n < u64::from(PRUNE_BATCH) {
                return Ok(total);
            }
        }
    }

    /// Copy each enabled endpoint's new events into its deliveries.
    async fn enqueue_webhook_events(&self) -> Result<()> {
        for e in self.store.enabled_webhook_endpoints().await? {
            // Within a tenant `seq` order is commit order (see the tenant
            // event lock in `store/postgres.rs`), so nothing can appear
            // behind the cursor later.
            let events = self
                .store
                .events(&e.tenant_id, Some(e.cursor), ENQUEUE_PAGE)
                .await?;
            let Some(last) = events.last().map(|ev| ev.seq) else {
                continue;
            };
            let filter: Vec<String> = serde_json::from_str(&e.event_types).unwrap_or_default();
            let new: Vec<NewDelivery> = events
                .into_iter()
                .filter(|ev| matches(&filter, &ev.event.kind))
                .map(|ev| NewDelivery {
                    event_seq: ev.seq,
                    kind: ev.event.kind,
                    activity_id: ev.activity_id,
                    subject: ev.event.subject,
                })
                .collect();
            self.store
                .enqueue_webhook_deliveries(&e.id, e.cursor, last, &new, self.now())
                .await?;
        }
        Ok(())
    }

    /// Send one leased delivery and record the attempt.
    async fn attempt(&self, d: ClaimedDelivery) -> Result<()> {
        let body = payload(&d);
        let msg_id = webhook_id(d.delivery.event_seq);
        // The header carries real time: receivers check it against their
        // own clocks to refuse replays.
        let timestamp = crate::clock::now_ms() / 1000;
        let mut secrets = vec![d.secret.as_str()];
        if let Some(prev) = &d.previous_secret
            && d.previous_until.is_some_and(|until| until > self.now())
        {
            secrets.push(prev);
        }
        let signature = signing::signature_header(&secrets, &msg_id, timestamp, body.as_bytes());
        let started = Instant::now();
        let sent = self
            .webhook_client()
            .post(&d.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &msg_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await;
        let (status, error) = match sent {
            Ok(mut resp) => {
                let status = resp.status();
                if status.is_success() {
                    (Some(status.as_u16()), None)
                } else {
                    // A little of the answer helps whoever reads the log.
                    let start = match resp.chunk().await {
                        Ok(Some(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
                        _ => String::new(),
                    };
                    let error = format!("HTTP {status}: {}", start.trim());
                    (
                        Some(status.as_u16()),
                        Some(clip(error.trim_end_matches([' ', ':']).into())),
                    )
                }
            }
            Err(e) => {
                let kind = if e.is_timeout() {
                    "timed out"
                } else if e.is_connect() {
                    "could not connect"
                } else {
                    "request failed"
                };
                (None, Some(clip(format!("{kind}: {e}"))))
            }
        };
        let duration_ms = started.elapsed().as_millis() as i64;
        let now = self.now();
        let attempts = d.delivery.attempts + 1;
        let verdict = if error.is_none() {
            AttemptVerdict::Delivered
        } else {
            match next_attempt(now, attempts) {
                Some(at) => AttemptVerdict::RetryAt(at),
                None => AttemptVerdict::Dead,
            }
        };
        let gone = status == Some(410);
        if gone {
            tracing::warn!(endpoint = %d.delivery.endpoint_id, url = %d.url, "webhook endpoint answered 410 Gone; switched off");
        }
        tracing::debug!(
            delivery = d.delivery.id,
            event = d.delivery.event_seq,
            ?status,
            ?verdict,
            "webhook attempt"
        );
        self.store
            .record_webhook_attempt(&AttemptRecord {
                delivery_id: d.delivery.id,
                at: now,
                status: status.map(i64::from),
                error,
                duration_ms,
                verdict,
                disable_endpoint: gone.then(|| "the endpoint answered 410 Gone".to_owned()),
            })
            .await?;
        self.metrics.webhook_attempt(match verdict {
            AttemptVerdict::Delivered => "delivered",
            AttemptVerdict::RetryAt(_) => "retry",
            AttemptVerdict::Dead => "dead",
        });
        Ok(())
    }
}

/// Run the delivery worker until the process stops. On SQLite (one
/// process) leases left by a previous run are released first, so its
/// deliveries go out at once rather than when their leases run out.
pub async fn run_webhooks(arcade: Arc<Arcade>) {
    if arcade.store.backend() == "sqlite" {
        match arcade.store.release_webhook_leases().await {
            Ok(n) if n > 0 => {
                tracing::info!(released = n, "webhook leases of a previous run released")
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "releasing webhook leases failed"),
        }
    }
    let mut pruned_at: Option<Instant> = None;
    loop {
        if pruned_at.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
            pruned_at = Some(Instant::now());
            if let Err(e) = arcade.prune_webhook_deliveries().await {
                tracing::error!(error = %e, "pruning the webhook log failed");
            }
        }
        match arcade.deliver_webhooks_once().await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "webhook round failed"),
        }
        tokio::time::sleep(IDLE).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_spans_about_three_days_then_ends() {
        let total: i64 = RETRY_SCHEDULE_SECS.iter().sum();
        assert!((70 * 3600..=74 * 3600).contains(&total), "{total}");
        let now = 1_000_000;
        let first = next_attempt(now, 1).unwrap() - now;
        assert!((4_500..=5_500).contains(&first), "{first}");
        assert!(next_attempt(now, RETRY_SCHEDULE_SECS.len() as i64).is_some());
        assert_eq!(
            next_attempt(now, RETRY_SCHEDULE_SECS.len() as i64 + 1),
            None
        );
    }
}
