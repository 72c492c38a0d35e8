//! The HTTP API. Handlers parse, call [`Arcade`], and map the result;
//! the domain never sees axum types.

mod body;
mod conn;
mod enablements;
mod error;
mod exports;
mod extract;
pub mod guard;
mod keys;
mod observe;
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
use crate::service::{
    ActionRequest, Arcade, ConfigChange, GroupFilter, GroupPatch, MemberEvents, NewActivity,
    NewGroup, PAYLOAD_LIMIT_BYTES, StatsRange,
};
use crate::store::{ActivityStatus, Role};
use axum::Json;
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
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
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
        .route(
            "/v1/metrics/dictionary",
            get(|| async { Json(crate::service::stats::dictionary()) }),
        )
        .route("/v1/outcomes/{id}", get(get_outcome))
        .route("/v1/outcomes/{id}/replay", post(replay))
        .route_layer(axum::middleware::from_fn(text::reject_nul))
        .layer(DefaultBodyLimit::max(JSON_LIMIT_BYTES))
        // Refuses a declared Content-Length over the limit before reading.
        .layer(RequestBodyLimitLayer::new(JSON_LIMIT_BYTES))
        .merge(uploads)
        .merge(member_events)
        .merge(crate::console::router())
        .fallback(guard::no_route)
        .layer(axum::middleware::from_fn(guard::enforce))
        .layer(observe::trace_layer())
        .layer(axum::middleware::from_fn_with_state(
            arcade.clone(),
            observe::track,
        ))
        .with_state(arcade)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NameBody {
    name: String,
}

async fn create_tenant(
    State(a): AppState,
    Caller(c): Caller,
    JsonBody(b): JsonBody<NameBody>,
) -> Result<Response> {
    c.admin()?;
    let id = a.create_tenant(&b.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "name": b.name.trim()})),
    )
        .into_response())
}

async fn list_plugins(State(a): AppState, Caller(_): Caller) -> Result<Response> {
    Ok(Json(json!({"plugins": a.plugins().await?})).into_response())
}

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

async fn set_plugin_limits(
    State(a): AppState,
    Caller(c): Caller,
    Path((name, version)): Path<(String, String)>,
    JsonBody(limits): JsonBody<LimitOverrides>,
) -> Result<Response> {
    c.admin()?;
    Ok(Json(a.set_plugin_limits(&name, &version, limits).await?).into_response())
}

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

async fn list_groups(
    State(a): AppState,
    Caller(c): Caller,
    Query(filter): Query<GroupFilter>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    Ok(Json(json!({"groups": a.groups(tenant, &filter).await?})).into_response())
}

async fn get_group(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    Ok(Json(a.group(tenant, &id).await?).into_response())
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MembersBody {
    count: i64,
}

/// Member counts come from the platform that sees the group, or from an
/// operator.
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TiersBody {
    tiers: Vec<String>,
}

async fn get_tiers(State(a): AppState, Caller(c): Caller) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    Ok(Json(json!({"tiers": a.tiers(tenant).await?})).into_response())
}

async fn set_tiers(
    State(a): AppState,
    Caller(c): Caller,
    JsonBody(b): JsonBody<TiersBody>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    let tiers = json!({"tiers": a.set_tiers(tenant, &b.tiers).await?});
    a.record_audit(&c, tenant, "tiers.set", tenant, tiers.clone())
        .await?;
    Ok(Json(tiers).into_response())
}

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

#[derive(Deserialize)]
struct ActivityFilter {
    group_id: Option<String>,
}

async fn list_activities(
    State(a): AppState,
    Caller(c): Caller,
    Query(q): Query<ActivityFilter>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    let list = a.activities(tenant, q.group_id.as_deref()).await?;
    Ok(Json(json!({"activities": list})).into_response())
}

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

async fn get_simulation(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    Ok(Json(a.simulation(tenant, &id)?).into_response())
}

async fn pause_all(State(a): AppState, Caller(c): Caller) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    let paused = json!({"paused": a.pause_all(tenant).await?});
    a.record_audit(&c, tenant, "activity.pause_all", tenant, paused.clone())
        .await?;
    Ok(Json(paused).into_response())
}

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

#[derive(Deserialize)]
struct PageQuery {
    after: Option<String>,
    limit: Option<u32>,
}

async fn list_outcomes(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    Ok(Json(a.outcomes(tenant, &id, q.after.as_deref(), q.limit).await?).into_response())
}

async fn fairness(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let tenant = c.tenant(Role::ALL)?;
    Ok(Json(a.fairness(tenant, &id).await?).into_response())
}

async fn get_outcome(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    Ok(Json(a.outcome(tenant, &id).await?).into_response())
}

async fn replay(State(a): AppState, Caller(c): Caller, Path(id): Path<String>) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    Ok(Json(a.replay(Some(tenant), &id).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LedgerQuery {
    after: Option<String>,
    limit: Option<u32>,
}

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
    Ok(
        Json(json!({"user_id": page.user_id, "rewards": page.entries, "next": page.next}))
            .into_response(),
    )
}

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

async fn user_points(
    State(a): AppState,
    Caller(c): Caller,
    Path(user): Path<String>,
) -> Result<Response> {
    let tenant = c.tenant(Role::ALL)?;
    Ok(Json(a.user_balances(tenant, &user).await?).into_response())
}

async fn settle(a: &Arcade, c: &crate::service::Principal, id: &str, to: &str) -> Result<Response> {
    let tenant = c.tenant(Role::MANAGE)?;
    a.settle_prize(tenant, id, to).await?;
    let detail = json!({"state": to});
    a.record_audit(c, tenant, "reward.settle", id, detail)
        .await?;
    Ok(Json(json!({"id": id, "state": to})).into_response())
}

async fn redeem_reward(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    settle(&a, &c, &id, "redeemed").await
}

async fn cancel_reward(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    settle(&a, &c, &id, "cancelled").await
}

#[derive(Deserialize)]
struct EventQuery {
    after: Option<i64>,
    limit: Option<u32>,
}

#[derive(Deserialize)]
struct EventsQuery {
    after: Option<i64>,
    limit: Option<u32>,
    activity_id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

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

async fn audit(
    State(a): AppState,
    Caller(c): Caller,
    Query(q): Query<EventQuery>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    Ok(Json(a.audit_log(tenant, q.after, q.limit).await?).into_response())
}

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

async fn list_revisions(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    Ok(Json(json!({"revisions": a.revisions(tenant, &id).await?})).into_response())
}

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

async fn activity_stats(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
    Query(range): Query<StatsRange>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    Ok(Json(a.activity_stats(tenant, &id, &range).await?).into_response())
}

async fn group_stats(
    State(a): AppState,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let tenant = c.tenant(Role::READ)?;
    Ok(Json(a.group_stats(tenant, &id).await?).into_response())
}
