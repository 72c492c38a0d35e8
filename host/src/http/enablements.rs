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

use super::bodies::{BulkChanged, ConversionRecorded, EnablementList, ErrorBody, GroupActivities};
use crate::service::{ActivityView, EnablementView};

/// The enablement routes' part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list,
    bulk,
    enable,
    remove,
    targeting,
    set_targeting,
    stage,
    go_live,
    group_activities,
    set_costs,
    conversion
))]
pub(super) struct EnablementsApi;

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

#[utoipa::path(put, path = "/v1/activities/{id}/costs", tag = "enablements", params(("id" = String, Path, description = "Activity id")),
    request_body(content = std::collections::BTreeMap<String, i64>, description = "Unit cost in fen per reward item",
        example = json!({"mug": 2500, "points": 1})),
    responses((status = 200, description = "The activity with its new costs", body = ActivityView)))]
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
#[utoipa::path(post, path = "/v1/conversions", tag = "enablements",
    request_body(content = NewConversion),
    responses((status = 201, description = "Recorded", body = ConversionRecorded),
        (status = 200, description = "This id was recorded before; nothing changed", body = ConversionRecorded)))]
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
    let body = ConversionRecorded { id, recorded: new };
    Ok((status, Json(body)).into_response())
}

#[utoipa::path(get, path = "/v1/activities/{id}/groups", tag = "enablements", params(("id" = String, Path, description = "Activity id")),
    responses((status = 200, description = "The groups the activity is enabled on", body = EnablementList)))]
async fn list(State(a): AppState, Caller(c): Caller, Path(id): Path<String>) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    let groups = a.activity_groups(tenant, &id).await?;
    Ok(Json(EnablementList { groups }).into_response())
}

#[utoipa::path(get, path = "/v1/groups/{id}/activities", tag = "enablements",
    params(("id" = String, Path, description = "Group id")),
    responses((status = 200, description = "The activities enabled on the group", body = GroupActivities)))]
async fn group_activities(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    let activities = a.group_activities(tenant, &id).await?;
    Ok(Json(GroupActivities { activities }).into_response())
}

#[utoipa::path(put, path = "/v1/activities/{id}/groups/{group_id}", tag = "enablements", params(("id" = String, Path, description = "Activity id"), ("group_id" = String, Path, description = "Group id")),
    request_body(content = EnablementSpec, example = json!({"enabled": true})),
    responses((status = 200, description = "The enablement", body = EnablementView),
        (status = 409, description = "`stock_short` or `stock_below_claimed`: the stock shares do not fit", body = ErrorBody)))]
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

#[utoipa::path(delete, path = "/v1/activities/{id}/groups/{group_id}", tag = "enablements", params(("id" = String, Path, description = "Activity id"), ("group_id" = String, Path, description = "Group id")),
    responses((status = 200, description = "The groups the activity is still enabled on", body = EnablementList)))]
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
    let groups = a.activity_groups(tenant, &id).await?;
    Ok(Json(EnablementList { groups }).into_response())
}

#[utoipa::path(post, path = "/v1/activities/{id}/groups/bulk", tag = "enablements", params(("id" = String, Path, description = "Activity id")),
    request_body(content = BulkEnablement),
    responses((status = 200, description = "The enablements changed", body = BulkChanged),
        (status = 409, description = "`stock_short` or `stock_below_claimed`: the stock shares do not fit", body = ErrorBody)))]
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
    Ok(Json(BulkChanged { changed }).into_response())
}

#[utoipa::path(get, path = "/v1/activities/{id}/targeting", tag = "enablements", params(("id" = String, Path, description = "Activity id")),
    responses((status = 200, description = "The activity's targeting rule", body = Targeting)))]
async fn targeting(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    Ok(Json(a.targeting(tenant, &id).await?).into_response())
}

#[utoipa::path(put, path = "/v1/activities/{id}/targeting", tag = "enablements", params(("id" = String, Path, description = "Activity id")),
    request_body(content = Targeting),
    responses((status = 200, description = "The rule as set", body = Targeting)))]
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

#[utoipa::path(post, path = "/v1/activities/{id}/stage", tag = "enablements", params(("id" = String, Path, description = "Activity id")),
    request_body(content = StageRequest, example = json!({"group_id": "g1"})),
    responses((status = 200, description = "The activity, staged on one group", body = ActivityView)))]
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

#[utoipa::path(post, path = "/v1/activities/{id}/go-live", tag = "enablements", params(("id" = String, Path, description = "Activity id")),
    responses((status = 200, description = "The activity, live on every enabled group", body = ActivityView)))]
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
