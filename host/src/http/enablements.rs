//! One activity on many groups: enablements, bulk changes, targeting
//! rules, staged mode, reward unit costs, and the conversions platforms
//! report. Owners and operators change them; analysts read.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::json;

use super::AppState;
use super::extract::{Caller, JsonBody, Path};
use crate::error::Result;
use crate::service::stats::NewConversion;
use crate::service::{Arcade, BulkEnablement, EnablementSpec, StageRequest, Targeting};
use crate::store::Role;

/// The enablement routes.
pub(super) fn routes() -> Router<Arc<Arcade>> {
    Router::new()
        .route("/v1/activities/{id}/groups", get(list))
        .route("/v1/activities/{id}/groups/bulk", post(bulk))
        .route(
            "/v1/activities/{id}/groups/{group_id}",
            put(enable).delete(remove),
        )
        .route(
            "/v1/activities/{id}/targeting",
            get(targeting).put(set_targeting),
        )
        .route("/v1/activities/{id}/stage", post(stage))
        .route("/v1/activities/{id}/go-live", post(go_live))
        .route("/v1/groups/{id}/activities", get(group_activities))
        .route("/v1/activities/{id}/costs", put(set_costs))
        .route("/v1/conversions", post(conversion))
}

async fn set_costs(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
    JsonBody(costs): JsonBody<std::collections::BTreeMap<String, i64>>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    let view = a.set_costs(tenant, &id, &costs).await?;
    a.record_audit(&c, tenant, "activity.costs", &id, json!(costs))
        .await?;
    Ok(Json(view).into_response())
}

/// Platforms report goal events; owners and operators may too.
async fn conversion(
    State(a): AppState,
    Caller(c): Caller,
    JsonBody(b): JsonBody<NewConversion>,
) -> Result<Response> {
    let tenant = c.tenant(&[Role::Owner, Role::Operator, Role::Platform])?;
    let id = b.id.clone();
    let new = a.record_conversion(tenant, b).await?;
    let status = if new {
        axum::http::StatusCode::CREATED
    } else {
        axum::http::StatusCode::OK
    };
    Ok((status, Json(json!({"id": id, "recorded": new}))).into_response())
}

async fn list(State(a): AppState, Caller(c): Caller, Path(id): Path<String>) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    Ok(Json(json!({"groups": a.activity_groups(tenant, &id).await?})).into_response())
}

async fn group_activities(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    Ok(Json(json!({"activities": a.group_activities(tenant, &id).await?})).into_response())
}

async fn enable(
    State(a): AppState,
    Caller(c): Caller,
    Path((id, group_id)): Path<(String, String)>,
    JsonBody(spec): JsonBody<EnablementSpec>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    let view = a.enable_group(tenant, &id, &group_id, spec).await?;
    a.record_audit(&c, tenant, "activity.group.enable", &id, json!(view))
        .await?;
    Ok(Json(view).into_response())
}

async fn remove(
    State(a): AppState,
    Caller(c): Caller,
    Path((id, group_id)): Path<(String, String)>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    a.remove_group(tenant, &id, &group_id).await?;
    let detail = json!({"group_id": group_id});
    a.record_audit(&c, tenant, "activity.group.remove", &id, detail)
        .await?;
    Ok(Json(json!({"groups": a.activity_groups(tenant, &id).await?})).into_response())
}

async fn bulk(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<BulkEnablement>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    let enabled = b.enabled;
    let changed = a.bulk_enable(tenant, &id, b).await?;
    let ids: Vec<&str> = changed.iter().map(|v| v.group_id.as_str()).collect();
    let detail = json!({"enabled": enabled, "group_ids": ids});
    a.record_audit(&c, tenant, "activity.group.bulk", &id, detail)
        .await?;
    Ok(Json(json!({"changed": changed})).into_response())
}

async fn targeting(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    Ok(Json(a.targeting(tenant, &id).await?).into_response())
}

async fn set_targeting(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<Targeting>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    let targeting = a.set_targeting(tenant, &id, b).await?;
    a.record_audit(&c, tenant, "activity.targeting", &id, json!(targeting))
        .await?;
    Ok(Json(targeting).into_response())
}

async fn stage(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<StageRequest>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    a.stage(tenant, &id, Some(&b.group_id)).await?;
    let detail = json!({"group_id": b.group_id});
    a.record_audit(&c, tenant, "activity.stage", &id, detail)
        .await?;
    Ok(Json(a.activity_view(tenant, &id).await?).into_response())
}

async fn go_live(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    a.stage(tenant, &id, None).await?;
    a.record_audit(&c, tenant, "activity.go_live", &id, json!({}))
        .await?;
    Ok(Json(a.activity_view(tenant, &id).await?).into_response())
}
