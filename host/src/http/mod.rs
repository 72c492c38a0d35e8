//! The HTTP API. Handlers parse, call [`Arcade`], and map the result;
//! the domain never sees axum types.

mod bodies;
mod body;
mod conn;
mod docs;
mod enablements;
mod error;
mod exports;
mod extract;
pub mod guard;
mod keys;
mod observe;
pub mod openapi;
pub mod serve;
mod text;
mod webhooks;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::json;
use tower_http::limit::RequestBodyLimitLayer;

use crate::error::{Error, Result};
use crate::sandbox::LimitOverrides;
use crate::service::simulate::SimulationRequest;
use crate::service::simulate::{Report, SimulationView};
use crate::service::stats::{ActivityStats, GroupStats};
use crate::service::{
    ActionRequest, Arcade, ConfigChange, GroupFilter, GroupPatch, MemberEvents, NewActivity,
    NewGroup, PAYLOAD_LIMIT_BYTES, StatsRange,
};
use crate::service::{
    ActivityView, AuditPage, Balances, EventPage, Fairness, LedgerPage, MembersChanged,
    OutcomePageView, OutcomeView, PluginInfo, ReplayReport,
};
use crate::store::{ActivityStatus, Group, Role};
use axum::Json;
use bodies::{
    ActionOutcome, ActivityList, ErrorBody, GroupList, Health, MetricDictionary, Paused,
    PluginList, RevisionList, Settled, TenantCreated, Tiers, UserRewards, WasmBytes,
};
use extract::{Caller, JsonBody, Path, Query};

/// Largest plugin upload.
pub const PLUGIN_LIMIT_BYTES: usize = 32 << 20;
/// Largest JSON body other than an upload or member events.
const JSON_LIMIT_BYTES: usize = PAYLOAD_LIMIT_BYTES + 4096;
/// Largest body of member events: room for a full batch of the longest
/// user ids.
pub const MEMBER_EVENTS_LIMIT_BYTES: usize = 256 << 10;

type AppState = State<Arc<Arcade>>;

/// The router with every route of the API.
pub fn router(arcade: Arc<Arcade>) -> Router {
    let uploads = Router::new()
        .route("/v1/plugins", post(upload_plugin))
        .layer(DefaultBodyLimit::max(PLUGIN_LIMIT_BYTES))
        .layer(RequestBodyLimitLayer::new(PLUGIN_LIMIT_BYTES));
    let member_events = Router::new()
        .route("/v1/groups/{id}/members/events", post(member_events))
        .route_layer(axum::middleware::from_fn(text::reject_nul))
        .layer(DefaultBodyLimit::max(MEMBER_EVENTS_LIMIT_BYTES))
        .layer(RequestBodyLimitLayer::new(MEMBER_EVENTS_LIMIT_BYTES));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(observe::metrics))
        .route("/v1/tenants", post(create_tenant))
        .merge(keys::routes())
        .merge(enablements::routes())
        .merge(exports::routes())
        .merge(webhooks::routes())
        .route("/v1/plugins", get(list_plugins))
        .route(
            "/v1/plugins/{name}/{version}/limits",
            put(set_plugin_limits),
        )
        .route("/v1/groups", post(create_group).get(list_groups))
        .route("/v1/groups/{id}", get(get_group).patch(update_group))
        .route("/v1/groups/{id}/members", put(set_group_members))
        .route("/v1/tiers", get(get_tiers).put(set_tiers))
        .route("/v1/activities", post(create_activity).get(list_activities))
        .route("/v1/activities/{id}", get(get_activity))
        .route("/v1/activities/pause-all", post(pause_all))
        .route("/v1/activities/simulate", post(simulate))
        .route("/v1/simulations/{id}", get(get_simulation))
        .route("/v1/activities/{id}/config", put(revise_config))
        .route("/v1/activities/{id}/revisions", get(list_revisions))
        .route(
            "/v1/activities/{id}/revisions/{revision}/rollback",
            post(roll_back),
        )
        .route("/v1/activities/{id}/pause", post(pause_activity))
        .route("/v1/activities/{id}/resume", post(resume_activity))
        .route("/v1/activities/{id}/actions", post(act))
        .route("/v1/activities/{id}/view", get(view))
        .route("/v1/activities/{id}/outcomes", get(list_outcomes))
        .route("/v1/activities/{id}/fairness", get(fairness))
        .route("/v1/users/{user_id}/rewards", get(user_rewards))
        .route("/v1/users/{user_id}/ledger", get(user_ledger))
        .route("/v1/users/{user_id}/points", get(user_points))
        .route("/v1/rewards/{id}/redeem", post(redeem_reward))
        .route("/v1/rewards/{id}/cancel", post(cancel_reward))
        .route("/v1/events", get(events))
        .route("/v1/audit", get(audit))
        .route("/v1/activities/{id}/stats", get(activity_stats))
        .route("/v1/groups/{id}/stats", get(group_stats))
        .route("/v1/metrics/dictionary", get(metric_dictionary))
        .route("/v1/outcomes/{id}", get(get_outcome))
        .route("/v1/outcomes/{id}/replay", post(replay))
        .route_layer(axum::middleware::from_fn(text::reject_nul))
        .layer(DefaultBodyLimit::max(JSON_LIMIT_BYTES))
        // Refuses a declared Content-Length over the limit before reading.
        .layer(RequestBodyLimitLayer::new(JSON_LIMIT_BYTES))
        .merge(uploads)
        .merge(member_events)
        .merge(crate::console::router())
        .merge(openapi::routes())
        .merge(docs::routes())
        .fallback(guard::no_route)
        .layer(axum::middleware::from_fn(guard::enforce))
        .layer(observe::trace_layer())
        .layer(axum::middleware::from_fn_with_state(
            arcade.clone(),
            observe::track,
        ))
        .with_state(arcade)
}

/// Whether the process serves requests.
#[utoipa::path(get, path = "/healthz", tag = "meta", security(()),
    responses((status = 200, description = "The process is up", body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The metric dictionary: what each statistic counts and how.
#[utoipa::path(get, path = "/v1/metrics/dictionary", tag = "stats", security(()),
    responses((status = 200, description = "Every metric", body = MetricDictionary)))]
async fn metric_dictionary() -> Json<serde_json::Value> {
    Json(crate::service::stats::dictionary())
}

/// A tenant's name.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NameBody {
    /// 1 to 200 characters; trimmed.
    name: String,
}

#[utoipa::path(post, path = "/v1/tenants", tag = "tenants",
    request_body(content = NameBody, example = json!({"name": "Acme"})),
    responses((status = 201, description = "The tenant was created", body = TenantCreated)))]
async fn create_tenant(
    State(a): AppState,
    Caller(c): Caller,
    JsonBody(b): JsonBody<NameBody>,
) -> Result<Response> {
    c.admin()?;
    let id = a.create_tenant(&b.name).await?;
    let name = b.name.trim().to_owned();
    Ok((StatusCode::CREATED, Json(TenantCreated { id, name })).into_response())
}

#[utoipa::path(get, path = "/v1/plugins", tag = "plugins",
    responses((status = 200, description = "Every uploaded plugin version", body = PluginList)))]
async fn list_plugins(State(a): AppState, Caller(_): Caller) -> Result<Response> {
    let plugins = a.plugins().await?;
    Ok(Json(PluginList { plugins }).into_response())
}

#[utoipa::path(post, path = "/v1/plugins", tag = "plugins",
    request_body(content = WasmBytes, content_type = "application/wasm",
        description = "The component's bytes (`wasm32-wasip2`), at most 32 MiB"),
    responses(
        (status = 201, description = "A new plugin version", body = PluginInfo),
        (status = 200, description = "The same bytes were uploaded before (or, in dev mode, replaced)", body = PluginInfo),
        (status = 409, description = "`plugin_version_exists`: this name and version hold other bytes", body = ErrorBody)))]
async fn upload_plugin(
    State(a): AppState,
    Caller(c): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    c.admin()?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type != "application/wasm" {
        return Err(Error::invalid(
            "unsupported_media_type",
            "upload the component bytes with Content-Type: application/wasm",
        ));
    }
    let (info, fresh) = a.upload_plugin(body.to_vec()).await?;
    let status = if fresh {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(info)).into_response())
}

#[utoipa::path(put, path = "/v1/plugins/{name}/{version}/limits", tag = "plugins",
    params(("name" = String, Path, description = "Plugin name"), ("version" = String, Path, description = "Plugin version")),
    request_body(content = LimitOverrides, example = json!({"fuel": 50000000, "memory_bytes": 33554432})),
    responses((status = 200, description = "The plugin with its new limits", body = PluginInfo)))]
async fn set_plugin_limits(
    State(a): AppState,
    Caller(c): Caller,
    Path((name, version)): Path<(String, String)>,
    JsonBody(limits): JsonBody<LimitOverrides>,
) -> Result<Response> {
    c.admin()?;
    Ok(Json(a.set_plugin_limits(&name, &version, limits).await?).into_response())
}

#[utoipa::path(post, path = "/v1/groups", tag = "groups",
    request_body(content = NewGroup, example = json!({"name": "Night owls", "tier": "gold", "tags": ["beijing"]})),
    responses((status = 201, description = "The group", body = Group)))]
async fn create_group(
    State(a): AppState,
    Caller(c): Caller,
    JsonBody(b): JsonBody<NewGroup>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    let group = a.create_group(tenant, b).await?;
    a.record_audit(&c, tenant, "group.create", &group.id, json!(group))
        .await?;
    Ok((StatusCode::CREATED, Json(group)).into_response())
}

#[utoipa::path(get, path = "/v1/groups", tag = "groups", params(GroupFilter),
    responses((status = 200, description = "The tenant's groups that match", body = GroupList)))]
async fn list_groups(
    State(a): AppState,
    Caller(c): Caller,
    Query(filter): Query<GroupFilter>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    let groups = a.groups(tenant, &filter).await?;
    Ok(Json(GroupList { groups }).into_response())
}

#[utoipa::path(get, path = "/v1/groups/{id}", tag = "groups", params(("id" = String, Path, description = "Group id")),
    responses((status = 200, description = "The group", body = Group)))]
async fn get_group(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    Ok(Json(a.group(tenant, &id).await?).into_response())
}

#[utoipa::path(patch, path = "/v1/groups/{id}", tag = "groups", params(("id" = String, Path, description = "Group id")),
    request_body(content = GroupPatch, example = json!({"tier": "silver"})),
    responses((status = 200, description = "The group as changed", body = Group)))]
async fn update_group(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
    JsonBody(patch): JsonBody<GroupPatch>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    let group = a.update_group(tenant, &id, patch).await?;
    a.record_audit(&c, tenant, "group.update", &id, json!(group))
        .await?;
    Ok(Json(group).into_response())
}

/// A group's member count.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct MembersBody {
    /// Members now, zero or more.
    count: i64,
}

/// Member counts come from the platform that sees the group, or from an
/// operator.
#[utoipa::path(put, path = "/v1/groups/{id}/members", tag = "groups", params(("id" = String, Path, description = "Group id")),
    request_body(content = MembersBody, example = json!({"count": 480})),
    responses((status = 200, description = "The group with its new count", body = Group)))]
async fn set_group_members(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<MembersBody>,
) -> Result<Response> {
    let tenant = c.tenant(&[Role::Owner, Role::Operator, Role::Platform])?;
    let group = a.set_group_members(tenant, &id, b.count).await?;
    let detail = json!({"count": b.count});
    a.record_audit(&c, tenant, "group.members", &id, detail)
        .await?;
    Ok(Json(group).into_response())
}

/// Who joined and left, from the same callers as the count: the count
/// moves with the member set.
#[utoipa::path(post, path = "/v1/groups/{id}/members/events", tag = "groups", params(("id" = String, Path, description = "Group id")),
    request_body(content = MemberEvents, example = json!({"events": [{"user_id": "u1", "type": "joined"}, {"user_id": "u2", "type": "left"}]})),
    responses((status = 200, description = "What changed", body = MembersChanged)))]
async fn member_events(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<MemberEvents>,
) -> Result<Response> {
    let tenant = c.tenant(&[Role::Owner, Role::Operator, Role::Platform])?;
    let done = a.apply_member_events(tenant, &id, &b.events).await?;
    let detail = json!({
        "events": b.events.len(),
        "changed": done.changed,
        "members": done.group.members,
    });
    a.record_audit(&c, tenant, "group.member_events", &id, detail)
        .await?;
    Ok(Json(done).into_response())
}

#[utoipa::path(get, path = "/v1/tiers", tag = "groups",
    responses((status = 200, description = "The tenant's tiers, lowest first", body = Tiers)))]
async fn get_tiers(State(a): AppState, Caller(c): Caller) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    let tiers = a.tiers(tenant).await?;
    Ok(Json(Tiers { tiers }).into_response())
}

#[utoipa::path(put, path = "/v1/tiers", tag = "groups",
    request_body(content = Tiers),
    responses((status = 200, description = "The tiers as set", body = Tiers),
        (status = 409, description = "`tier_in_use`: a group still has a tier being removed", body = ErrorBody)))]
async fn set_tiers(
    State(a): AppState,
    Caller(c): Caller,
    JsonBody(b): JsonBody<Tiers>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    let tiers = Tiers {
        tiers: a.set_tiers(tenant, &b.tiers).await?,
    };
    a.record_audit(&c, tenant, "tiers.set", tenant, json!(tiers))
        .await?;
    Ok(Json(tiers).into_response())
}

#[utoipa::path(post, path = "/v1/activities", tag = "activities",
    request_body(content = NewActivity, example = json!({"group_id": "g1", "plugin": "lucky-draw", "config": {"prizes": [{"id": "mug", "name": "Mug", "weight": 1, "stock": 10}], "miss_weight": 9}, "timezone": "Asia/Shanghai"})),
    responses((status = 201, description = "The activity", body = ActivityView)))]
async fn create_activity(
    State(a): AppState,
    Caller(c): Caller,
    JsonBody(b): JsonBody<NewActivity>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    let activity = a.create_activity(tenant, b, c.actor()).await?;
    let detail = json!(activity);
    let id = detail["id"].as_str().unwrap_or_default().to_owned();
    a.record_audit(&c, tenant, "activity.create", &id, detail)
        .await?;
    Ok((StatusCode::CREATED, Json(activity)).into_response())
}

/// Which activities to list.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ActivityFilter {
    /// Only activities whose home group is this one.
    group_id: Option<String>,
}

#[utoipa::path(get, path = "/v1/activities", tag = "activities", params(ActivityFilter),
    responses((status = 200, description = "The tenant's activities", body = ActivityList)))]
async fn list_activities(
    State(a): AppState,
    Caller(c): Caller,
    Query(q): Query<ActivityFilter>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    let activities = a.activities(tenant, q.group_id.as_deref()).await?;
    Ok(Json(ActivityList { activities }).into_response())
}

#[utoipa::path(get, path = "/v1/activities/{id}", tag = "activities", params(("id" = String, Path, description = "Activity id")),
    responses((status = 200, description = "The activity", body = ActivityView)))]
async fn get_activity(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    Ok(Json(a.activity_view(tenant, &id).await?).into_response())
}

/// A simulation changes nothing, so it leaves no audit entry; it runs
/// plugin code at length, so only managers may start one.
#[utoipa::path(post, path = "/v1/activities/simulate", tag = "simulations",
    request_body(content = SimulationRequest, example = json!({"plugin": "lucky-draw", "config": {"prizes": [{"id": "mug", "name": "Mug", "weight": 1, "stock": 100}], "miss_weight": 9}, "audience": {"members": 500, "participation": 0.4}, "costs": {"mug": 2500}, "runs": 20})),
    responses(
        (status = 200, description = "The report of a run in the foreground", body = Report),
        (status = 202, description = "A background run started (`background: true`)", body = SimulationView)))]
async fn simulate(
    State(a): AppState,
    Caller(c): Caller,
    JsonBody(req): JsonBody<SimulationRequest>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    if req.background {
        let job = a.start_simulation(tenant, req).await?;
        return Ok((StatusCode::ACCEPTED, Json(job)).into_response());
    }
    Ok(Json(a.simulate(tenant, req).await?).into_response())
}

#[utoipa::path(get, path = "/v1/simulations/{id}", tag = "simulations",
    params(("id" = String, Path, description = "Simulation id")),
    responses((status = 200, description = "The run, with its report when done", body = SimulationView)))]
async fn get_simulation(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    Ok(Json(a.simulation(tenant, &id)?).into_response())
}

#[utoipa::path(post, path = "/v1/activities/pause-all", tag = "activities",
    responses((status = 200, description = "The activities paused", body = Paused)))]
async fn pause_all(State(a): AppState, Caller(c): Caller) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    let paused = Paused {
        paused: a.pause_all(tenant).await?,
    };
    a.record_audit(&c, tenant, "activity.pause_all", tenant, json!(paused))
        .await?;
    Ok(Json(paused).into_response())
}

#[utoipa::path(post, path = "/v1/activities/{id}/pause", tag = "activities", params(("id" = String, Path, description = "Activity id")),
    responses((status = 200, description = "The activity, paused", body = ActivityView)))]
async fn pause_activity(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    let view = a
        .set_activity_status(tenant, &id, ActivityStatus::Paused)
        .await?;
    a.record_audit(&c, tenant, "activity.pause", &id, json!({}))
        .await?;
    Ok(Json(view).into_response())
}

#[utoipa::path(post, path = "/v1/activities/{id}/resume", tag = "activities", params(("id" = String, Path, description = "Activity id")),
    responses((status = 200, description = "The activity, active", body = ActivityView)))]
async fn resume_activity(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    let view = a
        .set_activity_status(tenant, &id, ActivityStatus::Active)
        .await?;
    a.record_audit(&c, tenant, "activity.resume", &id, json!({}))
        .await?;
    Ok(Json(view).into_response())
}

#[utoipa::path(post, path = "/v1/activities/{id}/actions", tag = "actions",
    params(("id" = String, Path, description = "Activity id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Visible ASCII. A retry with the same key gets the first response, byte for byte, and runs nothing; a different request under a used key is `409 idempotency_key_reused`; the same key still running is `409 idempotency_in_flight`.")),
    request_body(content = ActionRequest, example = json!({"user_id": "u1", "action": "draw", "payload": {}})),
    responses(
        (status = 200, description = "The outcome", body = ActionOutcome),
        (status = 409, description = "The mechanic refused (its own code, such as `sold_out`), the activity is not running (`activity_paused`, `activity_not_started`, `activity_ended`, `activity_staged`, `group_not_enabled`, `group_disabled`), or the Idempotency-Key conflicts", body = ErrorBody)))]
async fn act(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<ActionRequest>,
) -> Result<Response> {
    let tenant = c.tenant(&[Role::Platform])?;
    let key = match headers.get("idempotency-key") {
        Some(v) => Some(v.to_str().map_err(|_| {
            Error::invalid(
                "invalid_idempotency_key",
                "Idempotency-Key must be visible ASCII",
            )
        })?),
        None => None,
    };
    if b.payload.to_string().len() > PAYLOAD_LIMIT_BYTES {
        return Err(Error::TooLarge(format!(
            "payload exceeds {PAYLOAD_LIMIT_BYTES} bytes"
        )));
    }
    let body = a.act(tenant, &id, b, key).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// `GET /v1/activities/{id}/view?user_id=u1&team_id=...`: `user_id` names
/// the viewer (optional for contract 0.2 plugins); every other parameter
/// goes to the plugin's view as its query.
#[utoipa::path(get, path = "/v1/activities/{id}/view", tag = "actions",
    params(("id" = String, Path, description = "Activity id"),
        ("user_id" = Option<String>, Query, description = "The viewer (optional for contract 0.2 plugins); every other query parameter goes to the plugin's view")),
    responses((status = 200, description = "What the mechanic shows", body = serde_json::Value,
        example = json!({"prizes": [{"id": "mug", "remaining": 9}]})),
        (status = 409, description = "The mechanic refused to show this (its own code)", body = ErrorBody)))]
async fn view(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
    Query(mut q): Query<std::collections::BTreeMap<String, String>>,
) -> Result<Response> {
    let tenant = c.tenant(Role::ALL)?;
    let user = q.remove("user_id");
    Ok(Json(a.view(tenant, &id, user.as_deref(), &q).await?).into_response())
}

/// A page of outcomes.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    /// The `next` of the previous page.
    after: Option<String>,
    /// Page size, 1 to 500 (default 100).
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/v1/activities/{id}/outcomes", tag = "outcomes", params(("id" = String, Path, description = "Activity id"), PageQuery),
    responses((status = 200, description = "A page of outcomes, oldest first", body = OutcomePageView)))]
async fn list_outcomes(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    Ok(Json(a.outcomes(tenant, &id, q.after.as_deref(), q.limit).await?).into_response())
}

#[utoipa::path(get, path = "/v1/activities/{id}/fairness", tag = "outcomes", params(("id" = String, Path, description = "Activity id")),
    responses((status = 200, description = "The activity's commitment and, once it has ended, its key", body = Fairness)))]
async fn fairness(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let tenant = c.tenant(Role::ALL)?;
    Ok(Json(a.fairness(tenant, &id).await?).into_response())
}

#[utoipa::path(get, path = "/v1/outcomes/{id}", tag = "outcomes", params(("id" = String, Path, description = "Outcome id")),
    responses((status = 200, description = "The outcome", body = OutcomeView)))]
async fn get_outcome(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    Ok(Json(a.outcome(tenant, &id).await?).into_response())
}

#[utoipa::path(post, path = "/v1/outcomes/{id}/replay", tag = "outcomes", params(("id" = String, Path, description = "Outcome id")),
    responses((status = 200, description = "The replay: whether it matched what was stored", body = ReplayReport)))]
async fn replay(State(a): AppState, Caller(c): Caller, Path(id): Path<String>) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    Ok(Json(a.replay(Some(tenant), &id).await?).into_response())
}

/// A page of a user's ledger.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct LedgerQuery {
    /// The `next` of the previous page.
    after: Option<String>,
    /// Page size (default 100).
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/v1/users/{user_id}/rewards", tag = "rewards", params(("user_id" = String, Path, description = "The platform's user id"), LedgerQuery),
    responses((status = 200, description = "A page of the user's rewards, newest first", body = UserRewards)))]
async fn user_rewards(
    State(a): AppState,
    Caller(c): Caller,
    Path(user): Path<String>,
    Query(q): Query<LedgerQuery>,
) -> Result<Response> {
    let tenant = c.tenant(Role::ALL)?;
    let page = a
        .user_ledger(tenant, &user, false, q.after.as_deref(), q.limit)
        .await?;
    Ok(Json(UserRewards {
        user_id: page.user_id,
        rewards: page.entries,
        next: page.next,
    })
    .into_response())
}

#[utoipa::path(get, path = "/v1/users/{user_id}/ledger", tag = "rewards", params(("user_id" = String, Path, description = "The platform's user id"), LedgerQuery),
    responses((status = 200, description = "A page of the user's ledger: credits and spends, newest first", body = LedgerPage)))]
async fn user_ledger(
    State(a): AppState,
    Caller(c): Caller,
    Path(user): Path<String>,
    Query(q): Query<LedgerQuery>,
) -> Result<Response> {
    let tenant = c.tenant(Role::ALL)?;
    let page = a
        .user_ledger(tenant, &user, true, q.after.as_deref(), q.limit)
        .await?;
    Ok(Json(page).into_response())
}

#[utoipa::path(get, path = "/v1/users/{user_id}/points", tag = "rewards", params(("user_id" = String, Path, description = "The platform's user id")),
    responses((status = 200, description = "The user's balances", body = Balances)))]
async fn user_points(
    State(a): AppState,
    Caller(c): Caller,
    Path(user): Path<String>,
) -> Result<Response> {
    let tenant = c.tenant(Role::ALL)?;
    Ok(Json(a.user_balances(tenant, &user).await?).into_response())
}

async fn settle(
    a: &Arcade,
    c: &crate::service::Principal,
    id: &str,
    to: &'static str,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    a.settle_prize(tenant, id, to).await?;
    let detail = json!({"state": to});
    a.record_audit(c, tenant, "reward.settle", id, detail)
        .await?;
    let id = id.to_owned();
    Ok(Json(Settled { id, state: to }).into_response())
}

#[utoipa::path(post, path = "/v1/rewards/{id}/redeem", tag = "rewards", params(("id" = String, Path, description = "Reward id (its public id)")),
    responses((status = 200, description = "The prize is redeemed", body = Settled),
        (status = 409, description = "`reward_not_pending`: the prize was settled before", body = ErrorBody)))]
async fn redeem_reward(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    settle(&a, &c, &id, "redeemed").await
}

#[utoipa::path(post, path = "/v1/rewards/{id}/cancel", tag = "rewards", params(("id" = String, Path, description = "Reward id (its public id)")),
    responses((status = 200, description = "The prize is cancelled", body = Settled),
        (status = 409, description = "`reward_not_pending`: the prize was settled before", body = ErrorBody)))]
async fn cancel_reward(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    settle(&a, &c, &id, "cancelled").await
}

/// A page of the audit log.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct EventQuery {
    /// The `next` of the previous page: entries after this sequence number.
    after: Option<i64>,
    /// Page size, 1 to 500 (default 100).
    limit: Option<u32>,
}

/// A page of the event log.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct EventsQuery {
    /// The `next` of the previous page: events after this sequence number.
    after: Option<i64>,
    /// Page size, 1 to 500 (default 100).
    limit: Option<u32>,
    /// Only this activity's events.
    activity_id: Option<String>,
    /// Only events of this type, such as `reward.granted`.
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[utoipa::path(get, path = "/v1/events", tag = "events", params(EventsQuery),
    responses((status = 200, description = "A page of the event log", body = EventPage)))]
async fn events(
    State(a): AppState,
    Caller(c): Caller,
    Query(q): Query<EventsQuery>,
) -> Result<Response> {
    let tenant = c.tenant(Role::ALL)?;
    let filter = crate::service::EventFilter {
        activity_id: q.activity_id,
        kind: q.kind,
    };
    Ok(Json(a.events_where(tenant, q.after, q.limit, &filter).await?).into_response())
}

#[utoipa::path(get, path = "/v1/audit", tag = "audit", params(EventQuery),
    responses((status = 200, description = "A page of the audit log", body = AuditPage)))]
async fn audit(
    State(a): AppState,
    Caller(c): Caller,
    Query(q): Query<EventQuery>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    Ok(Json(a.audit_log(tenant, q.after, q.limit).await?).into_response())
}

#[utoipa::path(put, path = "/v1/activities/{id}/config", tag = "activities", params(("id" = String, Path, description = "Activity id")),
    request_body(content = ConfigChange),
    responses((status = 200, description = "The activity with its new revision", body = ActivityView),
        (status = 409, description = "`revision_conflict` or `config_unchanged`", body = ErrorBody)))]
async fn revise_config(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
    JsonBody(change): JsonBody<ConfigChange>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    let view = a.revise_config(tenant, &id, change, c.actor()).await?;
    let detail = json!({"revision": view.revision, "config": view.config});
    a.record_audit(&c, tenant, "activity.revise", &id, detail)
        .await?;
    Ok(Json(view).into_response())
}

#[utoipa::path(get, path = "/v1/activities/{id}/revisions", tag = "activities", params(("id" = String, Path, description = "Activity id")),
    responses((status = 200, description = "The config revisions", body = RevisionList)))]
async fn list_revisions(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    let revisions = a.revisions(tenant, &id).await?;
    Ok(Json(RevisionList { revisions }).into_response())
}

#[utoipa::path(post, path = "/v1/activities/{id}/revisions/{revision}/rollback", tag = "activities",
    params(("id" = String, Path, description = "Activity id"), ("revision" = i64, Path, description = "The revision to return to")),
    responses((status = 200, description = "The activity with a new revision holding the old config", body = ActivityView),
        (status = 409, description = "`config_unchanged`: it is the current config", body = ErrorBody)))]
async fn roll_back(
    State(a): AppState,
    Caller(c): Caller,
    Path((id, revision)): Path<(String, i64)>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    let view = a.roll_back(tenant, &id, revision, c.actor()).await?;
    let detail = json!({"revision": view.revision, "rolled_back_to": revision});
    a.record_audit(&c, tenant, "activity.rollback", &id, detail)
        .await?;
    Ok(Json(view).into_response())
}

#[utoipa::path(get, path = "/v1/activities/{id}/stats", tag = "stats", params(("id" = String, Path, description = "Activity id"), StatsRange),
    responses((status = 200, description = "The activity's dashboard", body = ActivityStats)))]
async fn activity_stats(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
    Query(range): Query<StatsRange>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    Ok(Json(a.activity_stats(tenant, &id, &range).await?).into_response())
}

#[utoipa::path(get, path = "/v1/groups/{id}/stats", tag = "stats", params(("id" = String, Path, description = "Group id")),
    responses((status = 200, description = "The group's dashboard", body = GroupStats)))]
async fn group_stats(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    Ok(Json(a.group_stats(tenant, &id).await?).into_response())
}
