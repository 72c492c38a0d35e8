//! Webhook endpoints, their delivery log, redelivery and replay. An owner
//! key manages endpoints and secrets; owner and operator keys read the log
//! and redeliver or replay. Every change is audited.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use super::AppState;
use super::extract::{Caller, JsonBody, Path, Query};
use crate::error::{Error, Result};
use crate::service::{
    Arcade, DeliveryQuery, EndpointPatch, NewEndpoint, ReplayRequest, RotateRequest,
};
use crate::store::Role;

/// Who manages endpoints and their secrets.
const OWNER: &[Role] = &[Role::Owner];

/// The webhook routes.
pub(super) fn routes() -> Router<Arc<Arcade>> {
    Router::new()
        .route("/v1/webhooks", post(create).get(list))
        .route(
            "/v1/webhooks/{id}",
            get(get_one).patch(update).delete(remove),
        )
        .route("/v1/webhooks/{id}/rotate-secret", post(rotate))
        .route("/v1/webhooks/{id}/deliveries", get(deliveries))
        .route("/v1/webhooks/{id}/deliveries/{delivery_id}", get(delivery))
        .route(
            "/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver",
            post(redeliver),
        )
        .route("/v1/webhooks/{id}/replay", post(replay))
}

async fn create(
    State(a): AppState,
    Caller(c): Caller,
    JsonBody(b): JsonBody<NewEndpoint>,
) -> Result<Response> {
    let tenant = c.tenant(OWNER)?;
    let created = a.create_webhook_endpoint(tenant, b).await?;
    let id = created.endpoint.id.clone();
    a.record_audit(&c, tenant, "webhook.create", &id, json!(created.endpoint))
        .await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn list(State(a): AppState, Caller(c): Caller) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    Ok(Json(json!({"endpoints": a.webhook_endpoints(tenant).await?})).into_response())
}

async fn get_one(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    Ok(Json(a.webhook_endpoint(tenant, &id).await?).into_response())
}

async fn update(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<EndpointPatch>,
) -> Result<Response> {
    let tenant = c.tenant(OWNER)?;
    let endpoint = a.update_webhook_endpoint(tenant, &id, b).await?;
    a.record_audit(&c, tenant, "webhook.update", &id, json!(endpoint))
        .await?;
    Ok(Json(endpoint).into_response())
}

async fn remove(State(a): AppState, Caller(c): Caller, Path(id): Path<String>) -> Result<Response> {
    let tenant = c.tenant(OWNER)?;
    a.delete_webhook_endpoint(tenant, &id).await?;
    a.record_audit(&c, tenant, "webhook.delete", &id, json!({}))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A JSON body that may be left out entirely.
fn optional_body<T: serde::de::DeserializeOwned + Default>(body: &Bytes) -> Result<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| Error::Malformed(format!("invalid JSON: {e}")))?;
    crate::text::check_json("", &value)?;
    serde_json::from_value(value).map_err(|e| {
        Error::invalid(
            "invalid_body",
            format!("Failed to deserialize the JSON body into the target type: {e}"),
        )
    })
}

async fn rotate(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let tenant = c.tenant(OWNER)?;
    let req: RotateRequest = optional_body(&body)?;
    let rotated = a.rotate_webhook_secret(tenant, &id, req).await?;
    a.record_audit(
        &c,
        tenant,
        "webhook.rotate_secret",
        &id,
        json!({"previous_secret_expires_at": rotated.endpoint.previous_secret_expires_at}),
    )
    .await?;
    Ok(Json(rotated).into_response())
}

async fn deliveries(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
    Query(q): Query<DeliveryQuery>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    Ok(Json(a.webhook_deliveries(tenant, &id, &q).await?).into_response())
}

async fn delivery(
    State(a): AppState,
    Caller(c): Caller,
    Path((id, delivery_id)): Path<(String, i64)>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    Ok(Json(a.webhook_delivery(tenant, &id, delivery_id).await?).into_response())
}

async fn redeliver(
    State(a): AppState,
    Caller(c): Caller,
    Path((id, delivery_id)): Path<(String, i64)>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    let d = a.redeliver_webhook(tenant, &id, delivery_id).await?;
    a.record_audit(
        &c,
        tenant,
        "webhook.redeliver",
        &id,
        json!({"delivery_id": d.id, "event_seq": d.event_seq}),
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(d)).into_response())
}

async fn replay(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<ReplayRequest>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    let asked = json!({"since_seq": b.since_seq, "since": b.since});
    let report = a.replay_webhooks(tenant, &id, b).await?;
    let mut detail = json!(report);
    detail["request"] = asked;
    a.record_audit(&c, tenant, "webhook.replay", &id, detail)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(report)).into_response())
}
