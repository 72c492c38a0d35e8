//! Exports and the fulfilment queue. Analysts may start and download
//! exports; fulfilment moves need an owner or operator key.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use super::AppState;
use super::extract::{Caller, JsonBody, Path, Query};
use crate::error::Result;
use crate::service::{Arcade, FulfilmentQuery, NewExport, ShipRequest, WriteOffRequest};
use crate::store::Role;

use super::bodies::{ErrorBody, ExportList, FulfilmentItems};
use crate::service::{ExportView, FulfilmentPage};

/// The export and fulfilment routes' part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    start_export,
    list_exports,
    get_export,
    download_export,
    fulfilment_queue,
    ship,
    write_off
))]
pub(super) struct ExportsApi;

/// The export and fulfilment routes.
pub(super) fn routes() -> Router<Arc<Arcade>> {
    Router::new()
        .route("/v1/exports", post(start_export).get(list_exports))
        .route("/v1/exports/{id}", get(get_export))
        .route("/v1/exports/{id}/download", get(download_export))
        .route("/v1/fulfilment", get(fulfilment_queue))
        .route("/v1/fulfilment/ship", post(ship))
        .route("/v1/fulfilment/write-off", post(write_off))
}

#[utoipa::path(post, path = "/v1/exports", tag = "exports",
    request_body(content = NewExport),
    responses((status = 202, description = "The export started; poll it until `done`", body = ExportView)))]
async fn start_export(
    State(a): AppState,
    Caller(c): Caller,
    JsonBody(b): JsonBody<NewExport>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    let job = a.start_export(tenant, b, c.actor()).await?;
    Ok((StatusCode::ACCEPTED, Json(job)).into_response())
}

#[utoipa::path(get, path = "/v1/exports", tag = "exports",
    responses((status = 200, description = "The tenant's exports", body = ExportList)))]
async fn list_exports(State(a): AppState, Caller(c): Caller) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    let exports = a.export_list(tenant).await?;
    Ok(Json(ExportList { exports }).into_response())
}

#[utoipa::path(get, path = "/v1/exports/{id}", tag = "exports", params(("id" = String, Path, description = "Export id")),
    responses((status = 200, description = "The export", body = ExportView)))]
async fn get_export(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    Ok(Json(a.export_status(tenant, &id).await?).into_response())
}

/// Streams the file from disk: memory stays at one read buffer whatever
/// its size.
#[utoipa::path(get, path = "/v1/exports/{id}/download", tag = "exports", params(("id" = String, Path, description = "Export id")),
    responses((status = 200, description = "The CSV file", content_type = "text/csv; charset=utf-8", body = String,
        headers(("Content-Disposition" = String, description = "`attachment; filename=...`"))),
        (status = 409, description = "`export_not_ready` or `export_failed`", body = ErrorBody)))]
async fn download_export(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    let export = a.export_file(tenant, &id).await?;
    let file = tokio::fs::File::open(&export.path)
        .await
        .map_err(|e| crate::error::Error::Internal(format!("opening the export: {e}")))?;
    let body = Body::from_stream(tokio_util::io::ReaderStream::with_capacity(file, 64 << 10));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_LENGTH, export.bytes.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", export.name),
            ),
        ],
        body,
    )
        .into_response())
}

#[utoipa::path(get, path = "/v1/fulfilment", tag = "fulfilment", params(FulfilmentQuery),
    responses((status = 200, description = "A page of prizes to ship", body = FulfilmentPage)))]
async fn fulfilment_queue(
    State(a): AppState,
    Caller(c): Caller,
    Query(q): Query<FulfilmentQuery>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    Ok(Json(a.fulfilment_queue(tenant, &q).await?).into_response())
}

#[utoipa::path(post, path = "/v1/fulfilment/ship", tag = "fulfilment",
    request_body(content = ShipRequest, example = json!({"items": [{"reward_id": "5f0e0c9a-0d4b-4a59-9c1e-1f2d3c4b5a69", "carrier": "SF", "tracking_no": "SF1234567890"}]})),
    responses((status = 200, description = "The prizes shipped", body = FulfilmentItems),
        (status = 409, description = "`reward_not_pending`: a prize was shipped or written off before; nothing changed", body = ErrorBody)))]
async fn ship(
    State(a): AppState,
    Caller(c): Caller,
    JsonBody(b): JsonBody<ShipRequest>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    let items = a.ship(tenant, b, c.actor()).await?;
    for i in &items {
        let detail = json!({"carrier": i.carrier, "tracking_no": i.tracking_no});
        a.record_audit(&c, tenant, "reward.ship", &i.reward_id, detail)
            .await?;
    }
    Ok(Json(FulfilmentItems { items }).into_response())
}

#[utoipa::path(post, path = "/v1/fulfilment/write-off", tag = "fulfilment",
    request_body(content = WriteOffRequest),
    responses((status = 200, description = "The prizes written off", body = FulfilmentItems),
        (status = 409, description = "`reward_not_pending`: a prize was shipped or written off before; nothing changed", body = ErrorBody)))]
async fn write_off(
    State(a): AppState,
    Caller(c): Caller,
    JsonBody(b): JsonBody<WriteOffRequest>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    let items = a.write_off(tenant, b, c.actor()).await?;
    for i in &items {
        let detail = json!({"reason": i.note});
        a.record_audit(&c, tenant, "reward.write_off", &i.reward_id, detail)
            .await?;
    }
    Ok(Json(FulfilmentItems { items }).into_response())
}
