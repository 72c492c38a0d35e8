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

use super::bodies::EndpointList;
use crate::service::webhooks::{
    DeliveryDetail, DeliveryPage, DeliveryView, EndpointView, EndpointWithSecret,
    ReplayReport as WebhookReplayReport,
};

/// The webhook routes' part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    create, list, get_one, update, remove, rotate, deliveries, delivery, redeliver, replay
))]
pub(super) struct WebhooksApi;

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

#[utoipa::path(post, operation_id = "webhook_create", path = "/v1/webhooks", tag = "webhooks",
    request_body(content = NewEndpoint),
    responses((status = 201, description = "The endpoint, with its signing secret (shown only now)", body = EndpointWithSecret),
        (status = 409, description = "`webhook_endpoint_limit`: the tenant has as many endpoints as allowed", body = super::bodies::ErrorBody)))]
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

#[utoipa::path(get, operation_id = "webhook_list", path = "/v1/webhooks", tag = "webhooks",
    responses((status = 200, description = "The tenant's endpoints", body = EndpointList)))]
async fn list(State(a): AppState, Caller(c): Caller) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    let endpoints = a.webhook_endpoints(tenant).await?;
    Ok(Json(EndpointList { endpoints }).into_response())
}

#[utoipa::path(get, operation_id = "webhook_get_one", path = "/v1/webhooks/{id}", tag = "webhooks", params(("id" = String, Path, description = "Webhook endpoint id")),
    responses((status = 200, description = "The endpoint", body = EndpointView)))]
async fn get_one(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    Ok(Json(a.webhook_endpoint(tenant, &id).await?).into_response())
}

#[utoipa::path(patch, operation_id = "webhook_update", path = "/v1/webhooks/{id}", tag = "webhooks", params(("id" = String, Path, description = "Webhook endpoint id")),
    request_body(content = EndpointPatch),
    responses((status = 200, description = "The endpoint as changed", body = EndpointView)))]
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

#[utoipa::path(delete, operation_id = "webhook_remove", path = "/v1/webhooks/{id}", tag = "webhooks", params(("id" = String, Path, description = "Webhook endpoint id")),
    responses((status = 204, description = "Deleted")))]
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

#[utoipa::path(post, operation_id = "webhook_rotate", path = "/v1/webhooks/{id}/rotate-secret", tag = "webhooks", params(("id" = String, Path, description = "Webhook endpoint id")),
    request_body(content = Option<RotateRequest>, description = "Optional; an empty body keeps the defaults"),
    responses((status = 200, description = "The endpoint with its new secret", body = EndpointWithSecret)))]
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

#[utoipa::path(get, operation_id = "webhook_deliveries", path = "/v1/webhooks/{id}/deliveries", tag = "webhooks", params(("id" = String, Path, description = "Webhook endpoint id"), DeliveryQuery),
    responses((status = 200, description = "A page of the endpoint's deliveries", body = DeliveryPage)))]
async fn deliveries(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
    Query(q): Query<DeliveryQuery>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    Ok(Json(a.webhook_deliveries(tenant, &id, &q).await?).into_response())
}

#[utoipa::path(get, operation_id = "webhook_delivery", path = "/v1/webhooks/{id}/deliveries/{delivery_id}", tag = "webhooks", params(("id" = String, Path, description = "Webhook endpoint id"), ("delivery_id" = i64, Path, description = "Delivery id")),
    responses((status = 200, description = "The delivery with its attempts", body = DeliveryDetail)))]
async fn delivery(
    State(a): AppState,
    Caller(c): Caller,
    Path((id, delivery_id)): Path<(String, i64)>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    Ok(Json(a.webhook_delivery(tenant, &id, delivery_id).await?).into_response())
}

#[utoipa::path(post, operation_id = "webhook_redeliver", path = "/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", tag = "webhooks", params(("id" = String, Path, description = "Webhook endpoint id"), ("delivery_id" = i64, Path, description = "Delivery id")),
    responses((status = 202, description = "Queued again", body = DeliveryView)))]
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

#[utoipa::path(post, operation_id = "webhook_replay", path = "/v1/webhooks/{id}/replay", tag = "webhooks", params(("id" = String, Path, description = "Webhook endpoint id")),
    request_body(content = ReplayRequest),
    responses((status = 202, description = "What was queued", body = WebhookReplayReport)))]
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
