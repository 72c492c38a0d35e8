//! Webhooks: a tenant's endpoints receive its events as signed POSTs in
//! the Standard Webhooks format. This module is what operators manage
//! (endpoints, secrets, the delivery log, redelivery and replay);
//! `delivery.rs` is the worker that sends; `signing.rs` the signatures.

mod delivery;
pub mod signing;

use serde::{Deserialize, Serialize};

use super::Arcade;
use crate::clock::to_rfc3339;
use crate::error::{Error, Result};
use crate::store::{NewDelivery, WebhookAttempt, WebhookDelivery, WebhookEndpoint};

pub use delivery::{RETRY_SCHEDULE_SECS, run_webhooks};

/// Most endpoints per tenant.
pub const MAX_ENDPOINTS: usize = 20;
/// Most event types in one endpoint's filter.
const MAX_EVENT_TYPES: usize = 50;
/// Longest URL.
const MAX_URL_BYTES: usize = 2048;
/// Longest description.
const MAX_DESCRIPTION_CHARS: usize = 500;
/// How long the previous secret keeps signing after a rotation, unless
/// the request says otherwise.
const DEFAULT_OVERLAP_SECS: u64 = 24 * 3600;
/// Longest overlap a rotation may ask for.
const MAX_OVERLAP_SECS: u64 = 7 * 24 * 3600;
/// Largest page of the delivery log.
const MAX_DELIVERY_PAGE: u32 = 200;
/// Most events one replay queues.
pub const MAX_REPLAY: usize = 10_000;

/// A new endpoint.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEndpoint {
    /// `http` or `https` URL the events are POSTed to.
    pub url: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Types to deliver (`reward.granted`, or `reward.*` for a family);
    /// empty or absent for every type.
    #[serde(default)]
    pub event_types: Vec<String>,
    /// Whether deliveries start at once (default true).
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// A change to an endpoint; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointPatch {
    /// New URL.
    pub url: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New filter.
    pub event_types: Option<Vec<String>>,
    /// Switch deliveries on or off.
    pub enabled: Option<bool>,
}

/// An endpoint as shown (never its secret).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EndpointView {
    /// Id.
    pub id: String,
    /// Where events go.
    pub url: String,
    /// Free text.
    pub description: String,
    /// The filter; empty for every type.
    pub event_types: Vec<String>,
    /// Whether deliveries are made.
    pub enabled: bool,
    /// Why the host switched it off, if it did.
    pub disabled_reason: Option<String>,
    /// Until when the secret before the last rotation still signs.
    pub previous_secret_expires_at: Option<String>,
    /// The last event `seq` queued for it.
    pub cursor: i64,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last changed (RFC 3339).
    pub updated_at: String,
}

impl EndpointView {
    fn of(e: &WebhookEndpoint, now: i64) -> Self {
        EndpointView {
            id: e.id.clone(),
            url: e.url.clone(),
            description: e.description.clone(),
            event_types: serde_json::from_str(&e.event_types).unwrap_or_default(),
            enabled: e.enabled,
            disabled_reason: e.disabled_reason.clone(),
            previous_secret_expires_at: e
                .previous_until
                .filter(|until| *until > now)
                .map(to_rfc3339),
            cursor: e.cursor,
            created_at: to_rfc3339(e.created_at),
            updated_at: to_rfc3339(e.updated_at),
        }
    }
}

/// An endpoint with its secret: the answer to a creation or rotation,
/// the only times the secret is shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EndpointWithSecret {
    /// The endpoint.
    #[serde(flatten)]
    pub endpoint: EndpointView,
    /// `whsec_...`: verify deliveries with it.
    pub secret: String,
}

/// A delivery as shown in the log.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    /// Id.
    pub id: i64,
    /// The `webhook-id` header it is sent with (the same on every
    /// attempt, redelivery and replay: receivers dedupe on it).
    pub webhook_id: String,
    /// The event's `seq`.
    pub event_seq: i64,
    /// The event's type.
    #[serde(rename = "type")]
    pub kind: String,
    /// The event's activity.
    pub activity_id: String,
    /// The event's subject.
    pub subject: String,
    /// `pending`, `delivered` or `dead`.
    pub state: String,
    /// Attempts since it was last queued.
    pub attempts: i64,
    /// When it is tried next, if pending (RFC 3339).
    pub next_attempt_at: Option<String>,
    /// When it was last tried.
    pub last_attempt_at: Option<String>,
    /// The HTTP status of the last attempt, if one came back.
    pub last_status: Option<i64>,
    /// What went wrong in the last attempt.
    pub last_error: Option<String>,
    /// How long the last attempt took.
    pub last_duration_ms: Option<i64>,
    /// Queued (RFC 3339).
    pub created_at: String,
}

impl From<WebhookDelivery> for DeliveryView {
    fn from(d: WebhookDelivery) -> Self {
        let pending = d.state == "pending";
        DeliveryView {
            id: d.id,
            webhook_id: webhook_id(d.event_seq),
            event_seq: d.event_seq,
            kind: d.kind,
            activity_id: d.activity_id,
            subject: d.subject,
            state: d.state,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at.filter(|_| pending).map(to_rfc3339),
            last_attempt_at: d.last_attempt_at.map(to_rfc3339),
            last_status: d.last_status,
            last_error: d.last_error,
            last_duration_ms: d.last_duration_ms,
            created_at: to_rfc3339(d.created_at),
        }
    }
}

/// One attempt as shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttemptView {
    /// Its number, from 1.
    pub n: i64,
    /// When (RFC 3339).
    pub at: String,
    /// The HTTP status, if a response came back.
    pub status: Option<i64>,
    /// What went wrong.
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: i64,
}

impl From<WebhookAttempt> for AttemptView {
    fn from(a: WebhookAttempt) -> Self {
        AttemptView {
            n: a.n,
            at: to_rfc3339(a.at),
            status: a.status,
            error: a.error,
            duration_ms: a.duration_ms,
        }
    }
}

/// A delivery with every attempt made.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryDetail {
    /// The delivery.
    #[serde(flatten)]
    pub delivery: DeliveryView,
    /// Its attempts, oldest first (across redeliveries).
    pub history: Vec<AttemptView>,
}

/// A page of the delivery log, newest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryPage {
    /// Deliveries.
    pub deliveries: Vec<DeliveryView>,
    /// Pass as `before` for the next (older) page; null at the end.
    pub next: Option<i64>,
}

/// Which deliveries to list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// `pending`, `delivered` or `dead`.
    pub state: Option<String>,
    /// Only deliveries with a smaller id (the previous page's `next`).
    pub before: Option<i64>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
}

/// Where a replay starts: after an event `seq`, or at a time.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayRequest {
    /// Replay the events after this `seq`.
    pub since_seq: Option<i64>,
    /// Replay the events recorded at or after this time (RFC 3339).
    pub since: Option<String>,
}

/// What a replay queued.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = WebhookReplayReport)]
pub struct ReplayReport {
    /// Deliveries queued (matching the endpoint's filter).
    pub queued: u64,
    /// The first event `seq` considered.
    pub from_seq: Option<i64>,
    /// The last event `seq` queued (later events are delivered as usual).
    pub to_seq: Option<i64>,
}

/// A rotation: how long the old secret keeps signing.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateRequest {
    /// Seconds the previous secret keeps signing, 0 to 604800 (default
    /// 86400).
    pub overlap_secs: Option<u64>,
}

/// The `webhook-id` of an event: the same for every endpoint and attempt.
pub fn webhook_id(seq: i64) -> String {
    format!("evt_{seq}")
}

/// Whether an event of type `kind` passes a filter.
pub(crate) fn matches(filter: &[String], kind: &str) -> bool {
    filter.is_empty()
        || filter.iter().any(|f| {
            f == "*"
                || f == kind
                || f.strip_suffix('*')
                    .is_some_and(|prefix| prefix.ends_with('.') && kind.starts_with(prefix))
        })
}

fn check_url(url: &str) -> Result<String> {
    let url = url.trim();
    let bad = |why: &str| Error::invalid("invalid_url", format!("url {why}"));
    if url.is_empty() {
        return Err(bad("is required"));
    }
    if url.len() > MAX_URL_BYTES {
        return Err(bad(&format!("is longer than {MAX_URL_BYTES} bytes")));
    }
    let parsed = reqwest::Url::parse(url).map_err(|e| bad(&format!("is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("must be http or https"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    if parsed.fragment().is_some() {
        return Err(bad("may not have a #fragment"));
    }
    Ok(parsed.to_string())
}

fn check_event_types(types: &[String]) -> Result<String> {
    let bad = |why: String| Error::invalid("invalid_event_types", why);
    if types.len() > MAX_EVENT_TYPES {
        return Err(bad(format!(
            "at most {MAX_EVENT_TYPES} event types per endpoint"
        )));
    }
    let mut out: Vec<String> = Vec::with_capacity(types.len());
    for t in types {
        let shape = !t.is_empty()
            && t.len() <= 100
            && t.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'.' | b'_' | b'-' | b'*')
            });
        let star = match t.find('*') {
            None => true,
            Some(at) => at == t.len() - 1 && (t == "*" || t.ends_with(".*")),
        };
        if !shape || !star {
            return Err(bad(format!(
                "{t:?} is not an event type: lower-case dotted names such as \
                 \"reward.granted\", or a family such as \"reward.*\""
            )));
        }
        if !out.contains(t) {
            out.push(t.clone());
        }
    }
    out.sort();
    Ok(serde_json::to_string(&out).expect("strings serialize"))
}

fn check_description(d: &str) -> Result<String> {
    let d = d.trim();
    if d.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(Error::invalid(
            "invalid_description",
            format!("description is longer than {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    Ok(d.to_owned())
}

impl Arcade {
    /// Create an endpoint; its secret is in the answer and never again.
    /// It receives the events recorded from now on.
    pub async fn create_webhook_endpoint(
        &self,
        tenant_id: &str,
        new: NewEndpoint,
    ) -> Result<EndpointWithSecret> {
        let url = check_url(&new.url)?;
        let event_types = check_event_types(&new.event_types)?;
        let description = check_description(&new.description)?;
        if self.store.webhook_endpoints(tenant_id).await?.len() >= MAX_ENDPOINTS {
            return Err(Error::conflict(
                "webhook_endpoint_limit",
                format!("a tenant has at most {MAX_ENDPOINTS} webhook endpoints"),
            ));
        }
        let now = self.now();
        let endpoint = WebhookEndpoint {
            id: format!("whep_{}", uuid::Uuid::new_v4().simple()),
            tenant_id: tenant_id.to_owned(),
            url,
            description,
            event_types,
            enabled: new.enabled.unwrap_or(true),
            disabled_reason: None,
            secret: signing::new_secret(),
            previous_secret: None,
            previous_until: None,
            cursor: self.store.last_event_seq(tenant_id).await?,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_webhook_endpoint(&endpoint).await?;
        Ok(EndpointWithSecret {
            endpoint: EndpointView::of(&endpoint, now),
            secret: endpoint.secret,
        })
    }

    /// A tenant's endpoints, oldest first.
    pub async fn webhook_endpoints(&self, tenant_id: &str) -> Result<Vec<EndpointView>> {
        let now = self.now();
        Ok(self
            .store
            .webhook_endpoints(tenant_id)
            .await?
            .iter()
            .map(|e| EndpointView::of(e, now))
            .collect())
    }

    async fn endpoint_record(&self, tenant_id: &str, id: &str) -> Result<WebhookEndpoint> {
        self.store
            .webhook_endpoint(tenant_id, id)
            .await?
            .ok_or_else(|| Error::not_found("webhook_endpoint", id))
    }

    /// One endpoint.
    pub async fn webhook_endpoint(&self, tenant_id: &str, id: &str) -> Result<EndpointView> {
        let e = self.endpoint_record(tenant_id, id).await?;
        Ok(EndpointView::of(&e, self.now()))
    }

    /// Change an endpoint. Switching it on clears the reason the host
    /// switched it off; it resumes where its cursor stopped, so events
    /// recorded while it was off are delivered too.
    pub async fn update_webhook_endpoint(
        &self,
        tenant_id: &str,
        id: &str,
        patch: EndpointPatch,
    ) -> Result<EndpointView> {
        let mut e = self.endpoint_record(tenant_id, id).await?;
        if let Some(url) = &patch.url {
            e.url = check_url(url)?;
        }
        if let Some(d) = &patch.description {
            e.description = check_description(d)?;
        }
        if let Some(types) = &patch.event_types {
            e.event_types = check_event_types(types)?;
        }
        if let Some(on) = patch.enabled {
            e.enabled = on;
            if on {
                e.disabled_reason = None;
            }
        }
        e.updated_at = self.now();
        if !self.store.update_webhook_endpoint(&e).await? {
            return Err(Error::not_found("webhook_endpoint", id));
        }
        Ok(EndpointView::of(&e, e.updated_at))
    }

    /// Delete an endpoint with its delivery log.
    pub async fn delete_webhook_endpoint(&self, tenant_id: &str, id: &str) -> Result<()> {
        if !self.store.delete_webhook_endpoint(tenant_id, id).await? {
            return Err(Error::not_found("webhook_endpoint", id));
        }
        Ok(())
    }

    /// Give an endpoint a new secret. Deliveries are signed with both the
    /// new and the previous secret for the overlap, so receivers can
    /// switch without losing any.
    pub async fn rotate_webhook_secret(
        &self,
        tenant_id: &str,
        id: &str,
        req: RotateRequest,
    ) -> Result<EndpointWithSecret> {
        let overlap = req.overlap_secs.unwrap_or(DEFAULT_OVERLAP_SECS);
        if overlap > MAX_OVERLAP_SECS {
            return Err(Error::invalid(
                "invalid_overlap",
                format!("overlap_secs must be 0 to {MAX_OVERLAP_SECS}"),
            ));
        }
        let mut e = self.endpoint_record(tenant_id, id).await?;
        let now = self.now();
        e.previous_secret = Some(std::mem::replace(&mut e.secret, signing::new_secret()));
        e.previous_until = Some(now + overlap as i64 * 1000);
        e.updated_at = now;
        if !self.store.update_webhook_endpoint(&e).await? {
            return Err(Error::not_found("webhook_endpoint", id));
        }
        Ok(EndpointWithSecret {
            endpoint: EndpointView::of(&e, now),
            secret: e.secret,
        })
    }

    /// An endpoint's delivery log, newest first.
    pub async fn webhook_deliveries(
        &self,
        tenant_id: &str,
        id: &str,
        q: &DeliveryQuery,
    ) -> Result<DeliveryPage> {
        let limit = q.limit.unwrap_or(50);
        if limit == 0 || limit > MAX_DELIVERY_PAGE {
            return Err(Error::invalid(
                "invalid_limit",
                format!("limit must be 1 to {MAX_DELIVERY_PAGE}"),
            ));
        }
        if let Some(s) = &q.state
            && !matches!(s.as_str(), "pending" | "delivered" | "dead")
        {
            return Err(Error::invalid(
                "invalid_state",
                "state must be pending, delivered or dead",
            ));
        }
        self.endpoint_record(tenant_id, id).await?;
        let rows = self
            .store
            .webhook_deliveries(tenant_id, id, q.state.as_deref(), q.before, limit)
            .await?;
        let next = if rows.len() == limit as usize {
            rows.last().map(|d| d.id)
        } else {
            None
        };
        Ok(DeliveryPage {
            deliveries: rows.into_iter().map(DeliveryView::from).collect(),
            next,
        })
    }

    /// One delivery with its attempts.
    pub async fn webhook_delivery(
        &self,
        tenant_id: &str,
        id: &str,
        delivery_id: i64,
    ) -> Result<DeliveryDetail> {
        let d = self
            .store
            .webhook_delivery(tenant_id, id, delivery_id)
            .await?
            .ok_or_else(|| Error::not_found("webhook_delivery", &delivery_id.to_string()))?;
        let history = self.store.webhook_attempts(d.id).await?;
        Ok(DeliveryDetail {
            delivery: d.into(),
            history: history.into_iter().map(AttemptView::from).collect(),
        })
    }

    /// Send a delivery again, whatever its state (a dead one included):
    /// it is pending, due now, with a fresh retry schedule.
    pub async fn redeliver_webhook(
        &self,
        tenant_id: &str,
        id: &str,
        delivery_id: i64,
    ) -> Result<DeliveryView> {
        let d = self
            .store
            .redeliver_webhook(tenant_id, id, delivery_id, self.now())
            .await?
            .ok_or_else(|| Error::not_found("webhook_delivery", &delivery_id.to_string()))?;
        Ok(d.into())
    }

    /// Queue again, for one endpoint, every event since a `seq` or a time
    /// that passes its filter, up to its cursor (later events are on
    /// their way anyway). At most [`MAX_REPLAY`] events per request.
    pub async fn replay_webhooks(
        &self,
        tenant_id: &str,
        id: &str,
        req: ReplayRequest,
    ) -> Result<ReplayReport> {
        let e = self.endpoint_record(tenant_id, id).await?;
        let after = match (req.since_seq, req.since.as_deref()) {
            (Some(seq), None) if seq >= 0 => seq,
            (None, Some(at)) => {
                let at = crate::clock::parse_rfc3339(at).ok_or_else(|| {
                    Error::invalid("invalid_replay", "since must be an RFC 3339 time")
                })?;
                match self.store.first_event_seq_at(tenant_id, at).await? {
                    Some(first) => first - 1,
                    None => e.cursor,
                }
            }
            _ => {
                return Err(Error::invalid(
                    "invalid_replay",
                    "give exactly one of since_seq (a non-negative event seq) or since (RFC 3339)",
                ));
            }
        };
        let filter: Vec<String> = serde_json::from_str(&e.event_types).unwrap_or_default();
        let now = self.now();
        let (mut cursor, mut queued, mut seen) = (after, 0u64, 0usize);
        let (mut from_seq, mut to_seq) = (None, None);
        'pages: while cursor < e.cursor && seen < MAX_REPLAY {
            let page = self.store.events(tenant_id, Some(cursor), 500).await?;
            if page.is_empty() {
                break;
            }
            let mut batch = Vec::new();
            for ev in page {
                if ev.seq > e.cursor || seen >= MAX_REPLAY {
                    self.queue_again(tenant_id, id, &batch, now, &mut queued)
                        .await?;
                    break 'pages;
                }
                cursor = ev.seq;
                seen += 1;
                from_seq.get_or_insert(ev.seq);
                if matches(&filter, &ev.event.kind) {
                    to_seq = Some(ev.seq);
                    batch.push(NewDelivery {
                        event_seq: ev.seq,
                        kind: ev.event.kind,
                        activity_id: ev.activity_id,
                        subject: ev.event.subject,
                    });
                }
            }
            self.queue_again(tenant_id, id, &batch, now, &mut queued)
                .await?;
        }
        Ok(ReplayReport {
            queued,
            from_seq,
            to_seq,
        })
    }

    async fn queue_again(
        &self,
        tenant_id: &str,
        id: &str,
        batch: &[NewDelivery],
        now: i64,
        queued: &mut u64,
    ) -> Result<()> {
        if !batch.is_empty() {
            self.store
                .requeue_webhook_deliveries(tenant_id, id, batch, now)
                .await?;
            *queued += batch.len() as u64;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_match_types_and_families() {
        let f = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(matches(&[], "reward.granted"));
        assert!(matches(&f(&["reward.granted"]), "reward.granted"));
        assert!(!matches(&f(&["reward.granted"]), "reward.shipped"));
        assert!(matches(&f(&["reward.*"]), "reward.shipped"));
        assert!(!matches(&f(&["reward.*"]), "rewards.x"));
        assert!(matches(&f(&["*"]), "anything"));
    }

    #[test]
    fn urls_and_types_are_checked() {
        assert!(check_url("https://example.com/hook").is_ok());
        assert!(check_url("http://127.0.0.1:8080/h?x=1").is_ok());
        for bad in [
            "",
            "ftp://example.com",
            "example.com/hook",
            "https://a/#x",
            "http://",
        ] {
            let e = check_url(bad).unwrap_err();
            assert_eq!(e.code(), "invalid_url", "{bad}");
        }
        assert!(check_event_types(&["reward.*".into(), "activity.started".into()]).is_ok());
        for bad in ["", "Reward", "re*ward", "reward*", "a b"] {
            assert!(check_event_types(&[bad.to_owned()]).is_err(), "{bad}");
        }
    }
}
