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

async fn start_export(
    State(a): AppState,
    Caller(c): Caller,
    JsonBody(b): JsonBody<NewExport>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    let job = a.start_export(tenant, b, c.actor()).await?;
    Ok((StatusCode::ACCEPTED, Json(job)).into_response())
}

async fn list_exports(State(a): AppState, Caller(c): Caller) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    Ok(Json(json!({"exports": a.export_list(tenant).await?})).into_response())
}

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

async fn fulfilment_queue(
    State(a): AppState,
    Caller(c): Caller,
    Query(q): Query<FulfilmentQuery>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    Ok(Json(a.fulfilment_queue(tenant, &q).await?).into_response())
}

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
    Ok(Json(json!({"items": items})).into_response())
}

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
    Ok(Json(json!({"items": items})).into_response())
}
