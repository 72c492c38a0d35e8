//! API key management by the admin token, or by an owner key for its own
//! tenant: issue, list, revoke, rotate; and the tenant's rate limit per key.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::extract::{Caller, JsonBody};
use crate::error::Result;
use crate::service::Arcade;
use crate::store::Role;

/// The key routes.
pub(super) fn routes() -> Router<Arc<Arcade>> {
    Router::new()
        .route("/v1/tenants/{id}/keys", post(create_key).get(list_keys))
        .route("/v1/tenants/{id}/keys/{key_id}", delete(revoke_key))
        .route("/v1/tenants/{id}/keys/{key_id}/rotate", post(rotate_key))
        .route(
            "/v1/tenants/{id}/rate-limit",
            axum::routing::get(get_rate_limit)
                .put(put_rate_limit)
                .delete(delete_rate_limit),
        )
}

async fn get_rate_limit(
    State(a): AppState,
    Caller(c): Caller,
    Path(tenant): Path<String>,
) -> Result<Response> {
    c.admin_or_owner_of(&tenant)?;
    Ok(Json(json!({"rate_limit": a.rate_limit(&tenant).await?})).into_response())
}

async fn put_rate_limit(
    State(a): AppState,
    Caller(c): Caller,
    Path(tenant): Path<String>,
    JsonBody(limit): JsonBody<crate::service::RateLimit>,
) -> Result<Response> {
    c.admin_or_owner_of(&tenant)?;
    a.set_rate_limit(&tenant, Some(limit)).await?;
    a.record_audit(&c, &tenant, "tenant.rate_limit", &tenant, json!(limit))
        .await?;
    Ok(Json(json!({"rate_limit": limit})).into_response())
}

async fn delete_rate_limit(
    State(a): AppState,
    Caller(c): Caller,
    Path(tenant): Path<String>,
) -> Result<Response> {
    c.admin_or_owner_of(&tenant)?;
    a.set_rate_limit(&tenant, None).await?;
    a.record_audit(&c, &tenant, "tenant.rate_limit", &tenant, json!(null))
        .await?;
    Ok(Json(json!({"rate_limit": null})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyBody {
    role: Role,
    #[serde(default)]
    label: Option<String>,
}

async fn create_key(
    State(a): AppState,
    Caller(c): Caller,
    Path(tenant): Path<String>,
    JsonBody(b): JsonBody<KeyBody>,
) -> Result<Response> {
    c.admin_or_owner_of(&tenant)?;
    let key = a.issue_api_key(&tenant, b.role, b.label.as_deref()).await?;
    let detail = without_secret(json!(key));
    let id = detail["id"].as_str().unwrap_or_default().to_owned();
    a.record_audit(&c, &tenant, "key.issue", &id, detail)
        .await?;
    Ok((StatusCode::CREATED, Json(key)).into_response())
}

async fn list_keys(
    State(a): AppState,
    Caller(c): Caller,
    Path(tenant): Path<String>,
) -> Result<Response> {
    c.admin_or_owner_of(&tenant)?;
    Ok(Json(json!({"keys": a.api_keys(&tenant).await?})).into_response())
}

async fn revoke_key(
    State(a): AppState,
    Caller(c): Caller,
    Path((tenant, key_id)): Path<(String, String)>,
) -> Result<Response> {
    c.admin_or_owner_of(&tenant)?;
    let key = a.revoke_api_key(&tenant, &key_id).await?;
    a.record_audit(&c, &tenant, "key.revoke", &key_id, json!({}))
        .await?;
    Ok(Json(key).into_response())
}

async fn rotate_key(
    State(a): AppState,
    Caller(c): Caller,
    Path((tenant, key_id)): Path<(String, String)>,
) -> Result<Response> {
    c.admin_or_owner_of(&tenant)?;
    let key = a.rotate_api_key(&tenant, &key_id).await?;
    let mut body = json!(key);
    body["replaces"] = json!(key_id);
    a.record_audit(
        &c,
        &tenant,
        "key.rotate",
        &key_id,
        without_secret(body.clone()),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// A key as the audit log keeps it: everything but the secret.
fn without_secret(mut key: serde_json::Value) -> serde_json::Value {
    if let Some(o) = key.as_object_mut() {
        o.remove("key");
    }
    key
}
