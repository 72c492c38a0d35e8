//! Webhook endpoints, their deliveries and each delivery's attempts.
//! [`impl_webhook_store!`] expands the same statements for both backends.
//!
//! The event log is the outbox: an endpoint's `cursor` is the last event
//! `seq` copied into `webhook_deliveries` (one row per endpoint and event,
//! unique), and a delivery is `pending` until its receiver answered 2xx
//! (`delivered`) or its retries ran out (`dead`).

use async_trait::async_trait;

use super::StoreResult;

/// A webhook endpoint as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WebhookEndpoint {
    /// Id (`whep_` and a random UUID).
    pub id: String,
    /// The tenant it belongs to.
    pub tenant_id: String,
    /// Where deliveries are POSTed.
    pub url: String,
    /// Free text.
    pub description: String,
    /// JSON array of event types; empty means every type.
    pub event_types: String,
    /// Whether deliveries are made.
    pub enabled: bool,
    /// Why the host switched it off (a `410 Gone`), if it did.
    pub disabled_reason: Option<String>,
    /// The signing secret, `whsec_...`.
    pub secret: String,
    /// The secret before the last rotation.
    pub previous_secret: Option<String>,
    /// Until when the previous secret still signs, ms since epoch.
    pub previous_until: Option<i64>,
    /// The last event `seq` copied into its deliveries.
    pub cursor: i64,
    /// Created, ms since epoch.
    pub created_at: i64,
    /// Last changed, ms since epoch.
    pub updated_at: i64,
}

/// One event to be delivered to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WebhookDelivery {
    /// Id (internal sequence, public as a number).
    pub id: i64,
    /// The tenant.
    pub tenant_id: String,
    /// The endpoint.
    pub endpoint_id: String,
    /// The event's `seq`.
    pub event_seq: i64,
    /// The event's type.
    pub kind: String,
    /// The event's activity.
    pub activity_id: String,
    /// The event's subject.
    pub subject: String,
    /// `pending`, `delivered` or `dead`.
    pub state: String,
    /// Attempts since it was last queued.
    pub attempts: i64,
    /// When it is tried next, if pending.
    pub next_attempt_at: Option<i64>,
    /// When it was last tried.
    pub last_attempt_at: Option<i64>,
    /// The HTTP status of the last attempt, if one came back.
    pub last_status: Option<i64>,
    /// What went wrong in the last attempt.
    pub last_error: Option<String>,
    /// How long the last attempt took.
    pub last_duration_ms: Option<i64>,
    /// Queued, ms since epoch.
    pub created_at: i64,
    /// Last changed, ms since epoch.
    pub updated_at: i64,
}

/// One attempt of a delivery.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WebhookAttempt {
    /// Its number among the delivery's attempts, from 1, never reset.
    pub n: i64,
    /// When it was made.
    pub at: i64,
    /// The HTTP status, if a response came back.
    pub status: Option<i64>,
    /// What went wrong, if it failed.
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: i64,
}

/// An event to queue for an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// The event's `seq`.
    pub event_seq: i64,
    /// The event's type.
    pub kind: String,
    /// The event's activity.
    pub activity_id: String,
    /// The event's subject.
    pub subject: String,
}

/// A delivery leased to a worker, with what it needs to send it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ClaimedDelivery {
    /// The delivery.
    #[sqlx(flatten)]
    pub delivery: WebhookDelivery,
    /// The endpoint's URL.
    pub url: String,
    /// The endpoint's secret.
    pub secret: String,
    /// Its previous secret.
    pub previous_secret: Option<String>,
    /// Until when the previous secret signs.
    pub previous_until: Option<i64>,
    /// The event's outcome.
    pub outcome_id: String,
    /// The event's data (JSON text).
    pub data: String,
    /// When the event was recorded.
    pub event_created_at: i64,
}

/// What became of a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptVerdict {
    /// The receiver answered 2xx.
    Delivered,
    /// Try again at this time.
    RetryAt(i64),
    /// Retries ran out.
    Dead,
}

/// An attempt to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    /// The delivery.
    pub delivery_id: i64,
    /// When it was made (service clock).
    pub at: i64,
    /// The HTTP status, if a response came back.
    pub status: Option<i64>,
    /// What went wrong.
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: i64,
    /// What becomes of the delivery.
    pub verdict: AttemptVerdict,
    /// Switch the endpoint off with this reason (a `410 Gone`).
    pub disable_endpoint: Option<String>,
}

/// Webhook endpoints and deliveries. Part of every [`super::Store`].
#[async_trait]
pub trait WebhookStore {
    /// Store a new endpoint.
    async fn insert_webhook_endpoint(&self, e: &WebhookEndpoint) -> StoreResult<()>;
    /// A tenant's endpoints, oldest first.
    async fn webhook_endpoints(&self, tenant_id: &str) -> StoreResult<Vec<WebhookEndpoint>>;
    /// One endpoint of a tenant.
    async fn webhook_endpoint(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> StoreResult<Option<WebhookEndpoint>>;
    /// Replace an endpoint's settings and secrets (not its cursor); false
    /// if there is no such endpoint of the tenant.
    async fn update_webhook_endpoint(&self, e: &WebhookEndpoint) -> StoreResult<bool>;
    /// Delete an endpoint with its deliveries and attempts; false if there
    /// is no such endpoint of the tenant.
    async fn delete_webhook_endpoint(&self, tenant_id: &str, id: &str) -> StoreResult<bool>;
    /// Every enabled endpoint of every tenant (for the worker).
    async fn enabled_webhook_endpoints(&self) -> StoreResult<Vec<WebhookEndpoint>>;
    /// The tenant's last event `seq` (0 if none).
    async fn last_event_seq(&self, tenant_id: &str) -> StoreResult<i64>;
    /// The first event `seq` of a tenant recorded at or after `at`.
    async fn first_event_seq_at(&self, tenant_id: &str, at: i64) -> StoreResult<Option<i64>>;
    /// Move an endpoint's cursor from `from` to `to` and queue `new` as
    /// pending deliveries, in one transaction; false (and nothing done)
    /// if the cursor is no longer `from` (another worker got there first).
    async fn enqueue_webhook_deliveries(
        &self,
        endpoint_id: &str,
        from: i64,
        to: i64,
        new: &[NewDelivery],
        now: i64,
    ) -> StoreResult<bool>;
    /// Queue `events` for an endpoint again: each becomes pending, due
    /// now, with its attempt count reset, whether it was delivered, dead
    /// or never queued. Returns how many.
    async fn requeue_webhook_deliveries(
        &self,
        tenant_id: &str,
        endpoint_id: &str,
        events: &[NewDelivery],
        now: i64,
    ) -> StoreResult<u64>;
    /// Make one delivery pending again, due now; None if there is no such
    /// delivery of the endpoint.
    async fn redeliver_webhook(
        &self,
        tenant_id: &str,
        endpoint_id: &str,
        delivery_id: i64,
        now: i64,
    ) -> StoreResult<Option<WebhookDelivery>>;
    /// Lease up to `limit` due deliveries of enabled endpoints, each the
    /// earliest pending one of its (endpoint, activity, subject), that no
    /// other worker holds.
    async fn claim_webhook_deliveries(
        &self,
        now: i64,
        lease_ms: i64,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedDelivery>>;
    /// Record an attempt and its verdict, and release the lease.
    async fn record_webhook_attempt(&self, a: &AttemptRecord) -> StoreResult<()>;
    /// Release every lease (SQLite at start-up: one process, so a lease
    /// left over is a crashed run's).
    async fn release_webhook_leases(&self) -> StoreResult<u64>;
    /// An endpoint's deliveries, newest first, with an id below `before`,
    /// in `state` if given.
    async fn webhook_deliveries(
        &self,
        tenant_id: &str,
        endpoint_id: &str,
        state: Option<&str>,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<WebhookDelivery>>;
    /// One delivery of an endpoint.
    async fn webhook_delivery(
        &self,
        tenant_id: &str,
        endpoint_id: &str,
        id: i64,
    ) -> StoreResult<Option<WebhookDelivery>>;
    /// A delivery's attempts, oldest first.
    async fn webhook_attempts(&self, delivery_id: i64) -> StoreResult<Vec<WebhookAttempt>>;
    /// Delete up to `limit` deliveries delivered before `before`, with
    /// their attempts; returns how many.
    async fn prune_webhook_deliveries(&self, before: i64, limit: u32) -> StoreResult<u64>;
}

/// Implements [`WebhookStore`] for `$store`. `$claim_lock` is appended to
/// the claiming subquery (Postgres: `FOR UPDATE OF d SKIP LOCKED`; SQLite
/// has one writer connection).
macro_rules! impl_webhook_store {
    ($store:ty, $db:ty, claim_lock = $claim_lock:literal) => {
        const _: () = {
            use $crate::store::StoreResult;
            use $crate::store::sql;
            use $crate::store::webhooks::{
                AttemptRecord, AttemptVerdict, ClaimedDelivery, NewDelivery, WebhookAttempt,
                WebhookDelivery, WebhookEndpoint, WebhookStore,
            };

            const ENDPOINT_COLS: &str = "SELECT id, tenant_id, url, description, event_types, \
                 enabled, disabled_reason, secret, previous_secret, previous_until, cursor, \
                 created_at, updated_at FROM webhook_endpoints";
            const DELIVERY_COLS: &str = "d.id, d.tenant_id, d.endpoint_id, d.event_seq, d.kind, \
                 d.activity_id, d.subject, d.state, d.attempts, d.next_attempt_at, \
                 d.last_attempt_at, d.last_status, d.last_error, d.last_duration_ms, \
                 d.created_at, d.updated_at";

            #[async_trait::async_trait]
            impl WebhookStore for $store {
                async fn insert_webhook_endpoint(&self, e: &WebhookEndpoint) -> StoreResult<()> {
                    sqlx::query::<$db>(
                        "INSERT INTO webhook_endpoints (id, tenant_id, url, description, \
                         event_types, enabled, disabled_reason, secret, previous_secret, \
                         previous_until, cursor, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                    )
                    .bind(&e.id)
                    .bind(&e.tenant_id)
                    .bind(&e.url)
                    .bind(&e.description)
                    .bind(&e.event_types)
                    .bind(e.enabled)
                    .bind(&e.disabled_reason)
                    .bind(&e.secret)
                    .bind(&e.previous_secret)
                    .bind(e.previous_until)
                    .bind(e.cursor)
                    .bind(e.created_at)
                    .bind(e.updated_at)
                    .execute(&self.write)
                    .await
                    .map_err(sql::classify("webhook_endpoint"))?;
                    Ok(())
                }

                async fn webhook_endpoints(
                    &self,
                    tenant_id: &str,
                ) -> StoreResult<Vec<WebhookEndpoint>> {
                    Ok(sqlx::query_as::<$db, WebhookEndpoint>(&format!(
                        "{ENDPOINT_COLS} WHERE tenant_id = $1 ORDER BY created_at, id"
                    ))
                    .bind(tenant_id)
                    .fetch_all(&self.read)
                    .await?)
                }

                async fn webhook_endpoint(
                    &self,
                    tenant_id: &str,
                    id: &str,
                ) -> StoreResult<Option<WebhookEndpoint>> {
                    Ok(sqlx::query_as::<$db, WebhookEndpoint>(&format!(
                        "{ENDPOINT_COLS} WHERE id = $1 AND tenant_id = $2"
                    ))
                    .bind(id)
                    .bind(tenant_id)
                    .fetch_optional(&self.write)
                    .await?)
                }

                async fn update_webhook_endpoint(&self, e: &WebhookEndpoint) -> StoreResult<bool> {
                    let done = sqlx::query::<$db>(
                        "UPDATE webhook_endpoints SET url = $3, description = $4, \
                         event_types = $5, enabled = $6, disabled_reason = $7, secret = $8, \
                         previous_secret = $9, previous_until = $10, updated_at = $11 \
                         WHERE id = $1 AND tenant_id = $2",
                    )
                    .bind(&e.id)
                    .bind(&e.tenant_id)
                    .bind(&e.url)
                    .bind(&e.description)
                    .bind(&e.event_types)
                    .bind(e.enabled)
                    .bind(&e.disabled_reason)
                    .bind(&e.secret)
                    .bind(&e.previous_secret)
                    .bind(e.previous_until)
                    .bind(e.updated_at)
                    .execute(&self.write)
                    .await?;
                    Ok(done.rows_affected() == 1)
                }

                async fn delete_webhook_endpoint(
                    &self,
                    tenant_id: &str,
                    id: &str,
                ) -> StoreResult<bool> {
                    let mut tx = Self::begin_on(&self.write).await?;
                    sqlx::query::<$db>(
                        "DELETE FROM webhook_attempts WHERE delivery_id IN \
                         (SELECT id FROM webhook_deliveries WHERE endpoint_id = $1 \
                         AND tenant_id = $2)",
                    )
                    .bind(id)
                    .bind(tenant_id)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query::<$db>(
                        "DELETE FROM webhook_deliveries WHERE endpoint_id = $1 AND tenant_id = $2",
                    )
                    .bind(id)
                    .bind(tenant_id)
                    .execute(&mut *tx)
                    .await?;
                    let done = sqlx::query::<$db>(
                        "DELETE FROM webhook_endpoints WHERE id = $1 AND tenant_id = $2",
                    )
                    .bind(id)
                    .bind(tenant_id)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(done.rows_affected() == 1)
                }

                async fn enabled_webhook_endpoints(&self) -> StoreResult<Vec<WebhookEndpoint>> {
                    Ok(sqlx::query_as::<$db, WebhookEndpoint>(&format!(
                        "{ENDPOINT_COLS} WHERE enabled ORDER BY id"
                    ))
                    .fetch_all(&self.read)
                    .await?)
                }

                async fn last_event_seq(&self, tenant_id: &str) -> StoreResult<i64> {
                    Ok(sqlx::query_scalar::<$db, Option<i64>>(
                        "SELECT MAX(seq) FROM events WHERE tenant_id = $1",
                    )
                    .bind(tenant_id)
                    .fetch_one(&self.write)
                    .await?
                    .unwrap_or(0))
                }

                async fn first_event_seq_at(
                    &self,
                    tenant_id: &str,
                    at: i64,
                ) -> StoreResult<Option<i64>> {
                    Ok(sqlx::query_scalar::<$db, Option<i64>>(
                        "SELECT MIN(seq) FROM events WHERE tenant_id = $1 AND created_at >= $2",
                    )
                    .bind(tenant_id)
                    .bind(at)
                    .fetch_one(&self.read)
                    .await?)
                }

                async fn enqueue_webhook_deliveries(
                    &self,
                    endpoint_id: &str,
                    from: i64,
                    to: i64,
                    new: &[NewDelivery],
                    now: i64,
                ) -> StoreResult<bool> {
                    let mut tx = Self::begin_on(&self.write).await?;
                    // Compare and set: of two workers reading the same
                    // cursor, one moves it and queues; the other changes
                    // nothing.
                    let moved = sqlx::query_scalar::<$db, String>(
                        "UPDATE webhook_endpoints SET cursor = $3 \
                         WHERE id = $1 AND cursor = $2 RETURNING tenant_id",
                    )
                    .bind(endpoint_id)
                    .bind(from)
                    .bind(to)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some(tenant_id) = moved else {
                        return Ok(false);
                    };
                    for d in new {
                        sqlx::query::<$db>(
                            "INSERT INTO webhook_deliveries (tenant_id, endpoint_id, event_seq, \
                             kind, activity_id, subject, state, attempts, next_attempt_at, \
                             created_at, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7, $7) \
                             ON CONFLICT (endpoint_id, event_seq) DO NOTHING",
                        )
                        .bind(&tenant_id)
                        .bind(endpoint_id)
                        .bind(d.event_seq)
                        .bind(&d.kind)
                        .bind(&d.activity_id)
                        .bind(&d.subject)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    }
                    tx.commit().await?;
                    Ok(true)
                }

                async fn requeue_webhook_deliveries(
                    &self,
                    tenant_id: &str,
                    endpoint_id: &str,
                    events: &[NewDelivery],
                    now: i64,
                ) -> StoreResult<u64> {
                    let mut tx = Self::begin_on(&self.write).await?;
                    let mut n = 0;
                    for d in events {
                        n += sqlx::query::<$db>(
                            "INSERT INTO webhook_deliveries (tenant_id, endpoint_id, event_seq, \
                             kind, activity_id, subject, state, attempts, next_attempt_at, \
                             created_at, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7, $7) \
                             ON CONFLICT (endpoint_id, event_seq) DO UPDATE SET \
                             state = 'pending', attempts = 0, next_attempt_at = $7, \
                             updated_at = $7",
                        )
                        .bind(tenant_id)
                        .bind(endpoint_id)
                        .bind(d.event_seq)
                        .bind(&d.kind)
                        .bind(&d.activity_id)
                        .bind(&d.subject)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    }
                    tx.commit().await?;
                    Ok(n)
                }

                async fn redeliver_webhook(
                    &self,
                    tenant_id: &str,
                    endpoint_id: &str,
                    delivery_id: i64,
                    now: i64,
                ) -> StoreResult<Option<WebhookDelivery>> {
                    let done = sqlx::query::<$db>(
                        "UPDATE webhook_deliveries SET state = 'pending', attempts = 0, \
                         next_attempt_at = $4, updated_at = $4 \
                         WHERE id = $1 AND endpoint_id = $2 AND tenant_id = $3",
                    )
                    .bind(delivery_id)
                    .bind(endpoint_id)
                    .bind(tenant_id)
                    .bind(now)
                    .execute(&self.write)
                    .await?;
                    if done.rows_affected() == 0 {
                        return Ok(None);
                    }
                    self.webhook_delivery(tenant_id, endpoint_id, delivery_id)
                        .await
                }

                async fn claim_webhook_deliveries(
                    &self,
                    now: i64,
                    lease_ms: i64,
                    limit: u32,
                ) -> StoreResult<Vec<ClaimedDelivery>> {
                    // Only the head of each (endpoint, activity, subject)
                    // is eligible: a later event of a subject waits until
                    // the earlier one is delivered or dead, whichever
                    // worker holds it.
                    let ids = sqlx::query_scalar::<$db, i64>(concat!(
                        "UPDATE webhook_deliveries SET lease_until = $1 + $2 \
                         WHERE id IN (SELECT d.id FROM webhook_deliveries d \
                         JOIN webhook_endpoints e ON e.id = d.endpoint_id \
                         WHERE d.state = 'pending' AND d.next_attempt_at <= $1 \
                         AND (d.lease_until IS NULL OR d.lease_until < $1) AND e.enabled \
                         AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p \
                         WHERE p.endpoint_id = d.endpoint_id AND p.activity_id = d.activity_id \
                         AND p.subject = d.subject AND p.state = 'pending' \
                         AND p.event_seq < d.event_seq) \
                         ORDER BY d.next_attempt_at, d.id LIMIT $3",
                        $claim_lock,
                        ") RETURNING id"
                    ))
                    .bind(now)
                    .bind(lease_ms)
                    .bind(i64::from(limit))
                    .fetch_all(&self.write)
                    .await?;
                    if ids.is_empty() {
                        return Ok(vec![]);
                    }
                    let list = (1..=ids.len())
                        .map(|i| format!("${i}"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let sql = format!(
                        "SELECT {DELIVERY_COLS}, e.url, e.secret, e.previous_secret, \
                         e.previous_until, v.outcome_id, v.data, \
                         v.created_at AS event_created_at \
                         FROM webhook_deliveries d \
                         JOIN webhook_endpoints e ON e.id = d.endpoint_id \
                         JOIN events v ON v.seq = d.event_seq \
                         WHERE d.id IN ({list}) ORDER BY d.event_seq"
                    );
                    let mut q = sqlx::query_as::<$db, ClaimedDelivery>(&sql);
                    for id in &ids {
                        q = q.bind(*id);
                    }
                    Ok(q.fetch_all(&self.write).await?)
                }

                async fn record_webhook_attempt(&self, a: &AttemptRecord) -> StoreResult<()> {
                    let (state, next) = match a.verdict {
                        AttemptVerdict::Delivered => ("delivered", None),
                        AttemptVerdict::RetryAt(at) => ("pending", Some(at)),
                        AttemptVerdict::Dead => ("dead", None),
                    };
                    let mut tx = Self::begin_on(&self.write).await?;
                    let endpoint = sqlx::query_scalar::<$db, String>(
                        "UPDATE webhook_deliveries SET state = $2, attempts = attempts + 1, \
                         next_attempt_at = $3, lease_until = NULL, last_attempt_at = $4, \
                         last_status = $5, last_error = $6, last_duration_ms = $7, \
                         updated_at = $4 WHERE id = $1 RETURNING endpoint_id",
                    )
                    .bind(a.delivery_id)
                    .bind(state)
                    .bind(next)
                    .bind(a.at)
                    .bind(a.status)
                    .bind(&a.error)
                    .bind(a.duration_ms)
                    .fetch_optional(&mut *tx)
                    .await?;
                    // Deleted with its endpoint meanwhile.
                    let Some(endpoint) = endpoint else {
                        return Ok(());
                    };
                    sqlx::query::<$db>(
                        "INSERT INTO webhook_attempts (delivery_id, n, tenant_id, at, status, \
                         error, duration_ms) \
                         SELECT $1, COALESCE(MAX(n), 0) + 1, \
                         (SELECT tenant_id FROM webhook_deliveries WHERE id = $1), \
                         $2, $3, $4, $5 FROM webhook_attempts WHERE delivery_id = $1",
                    )
                    .bind(a.delivery_id)
                    .bind(a.at)
                    .bind(a.status)
                    .bind(&a.error)
                    .bind(a.duration_ms)
                    .execute(&mut *tx)
                    .await?;
                    if let Some(reason) = &a.disable_endpoint {
                        sqlx::query::<$db>(
                            "UPDATE webhook_endpoints SET enabled = $2, disabled_reason = $3, \
                             updated_at = $4 WHERE id = $1",
                        )
                        .bind(&endpoint)
                        .bind(false)
                        .bind(reason)
                        .bind(a.at)
                        .execute(&mut *tx)
                        .await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn release_webhook_leases(&self) -> StoreResult<u64> {
                    Ok(sqlx::query::<$db>(
                        "UPDATE webhook_deliveries SET lease_until = NULL \
                         WHERE lease_until IS NOT NULL",
                    )
                    .execute(&self.write)
                    .await?
                    .rows_affected())
                }

                async fn webhook_deliveries(
                    &self,
                    tenant_id: &str,
                    endpoint_id: &str,
                    state: Option<&str>,
                    before: Option<i64>,
                    limit: u32,
                ) -> StoreResult<Vec<WebhookDelivery>> {
                    let mut sql = format!(
                        "SELECT {DELIVERY_COLS} FROM webhook_deliveries d \
                         WHERE d.endpoint_id = $1 AND d.tenant_id = $2 AND d.id < $3"
                    );
                    if state.is_some() {
                        sql.push_str(" AND d.state = $5");
                    }
                    sql.push_str(" ORDER BY d.id DESC LIMIT $4");
                    let mut q = sqlx::query_as::<$db, WebhookDelivery>(&sql)
                        .bind(endpoint_id)
                        .bind(tenant_id)
                        .bind(before.unwrap_or(i64::MAX))
                        .bind(i64::from(limit));
                    if let Some(s) = state {
                        q = q.bind(s);
                    }
                    Ok(q.fetch_all(&self.read).await?)
                }

                async fn webhook_delivery(
                    &self,
                    tenant_id: &str,
                    endpoint_id: &str,
                    id: i64,
                ) -> StoreResult<Option<WebhookDelivery>> {
                    Ok(sqlx::query_as::<$db, WebhookDelivery>(&format!(
                        "SELECT {DELIVERY_COLS} FROM webhook_deliveries d \
                         WHERE d.id = $1 AND d.endpoint_id = $2 AND d.tenant_id = $3"
                    ))
                    .bind(id)
                    .bind(endpoint_id)
                    .bind(tenant_id)
                    .fetch_optional(&self.write)
                    .await?)
                }

                async fn webhook_attempts(
                    &self,
                    delivery_id: i64,
                ) -> StoreResult<Vec<WebhookAttempt>> {
                    Ok(sqlx::query_as::<$db, WebhookAttempt>(
                        "SELECT n, at, status, error, duration_ms FROM webhook_attempts \
                         WHERE delivery_id = $1 ORDER BY n",
                    )
                    .bind(delivery_id)
                    .fetch_all(&self.read)
                    .await?)
                }

                async fn prune_webhook_deliveries(
                    &self,
                    before: i64,
                    limit: u32,
                ) -> StoreResult<u64> {
                    let mut tx = Self::begin_on(&self.write).await?;
                    // Locked (Postgres) so a redelivery racing the prune
                    // waits and then finds the delivery gone.
                    let ids = sqlx::query_scalar::<$db, i64>(concat!(
                        "SELECT d.id FROM webhook_deliveries d \
                         WHERE d.state = 'delivered' AND d.updated_at < $1 \
                         ORDER BY d.id LIMIT $2",
                        $claim_lock
                    ))
                    .bind(before)
                    .bind(i64::from(limit))
                    .fetch_all(&mut *tx)
                    .await?;
                    for id in &ids {
                        sqlx::query::<$db>("DELETE FROM webhook_attempts WHERE delivery_id = $1")
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query::<$db>("DELETE FROM webhook_deliveries WHERE id = $1")
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                    Ok(ids.len() as u64)
                }
            }
        };
    };
}

pub(super) use impl_webhook_store;
