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

use super::bodies::{ErrorBody, KeyList, RateLimitBody, RotatedKey};
use crate::service::{IssuedKey, KeyView, RateLimit};

/// The key routes' part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    create_key,
    list_keys,
    revoke_key,
    rotate_key,
    get_rate_limit,
    put_rate_limit,
    delete_rate_limit
))]
pub(super) struct KeysApi;

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

#[utoipa::path(get, path = "/v1/tenants/{id}/rate-limit", tag = "keys", params(("id" = String, Path, description = "Tenant id")),
    responses((status = 200, description = "The tenant's limit per key, or `null`", body = RateLimitBody)))]
async fn get_rate_limit(
    State(a): AppState,
    Caller(c): Caller,
    Path(tenant): Path<String>,
) -> Result<Response> {
    c.admin_or_owner_of(&tenant)?;
    let rate_limit = a.rate_limit(&tenant).await?;
    Ok(Json(RateLimitBody { rate_limit }).into_response())
}

#[utoipa::path(put, path = "/v1/tenants/{id}/rate-limit", tag = "keys", params(("id" = String, Path, description = "Tenant id")),
    request_body(content = RateLimit, example = json!({"per_second": 50, "burst": 100})),
    responses((status = 200, description = "The limit as set", body = RateLimitBody)))]
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
    let rate_limit = Some(limit);
    Ok(Json(RateLimitBody { rate_limit }).into_response())
}

#[utoipa::path(delete, path = "/v1/tenants/{id}/rate-limit", tag = "keys", params(("id" = String, Path, description = "Tenant id")),
    responses((status = 200, description = "No limit any more", body = RateLimitBody,
        example = json!({"rate_limit": null}))))]
async fn delete_rate_limit(
    State(a): AppState,
    Caller(c): Caller,
    Path(tenant): Path<String>,
) -> Result<Response> {
    c.admin_or_owner_of(&tenant)?;
    a.set_rate_limit(&tenant, None).await?;
    a.record_audit(&c, &tenant, "tenant.rate_limit", &tenant, json!(null))
        .await?;
    Ok(Json(RateLimitBody { rate_limit: None }).into_response())
}

/// A key to issue.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct KeyBody {
    /// What the key may do.
    role: Role,
    /// A name for people, up to 200 characters.
    #[serde(default)]
    label: Option<String>,
}

#[utoipa::path(post, path = "/v1/tenants/{id}/keys", tag = "keys", params(("id" = String, Path, description = "Tenant id")),
    request_body(content = KeyBody, example = json!({"role": "platform", "label": "mini-program"})),
    responses((status = 201, description = "The key, with its secret (shown only now)", body = IssuedKey)))]
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

#[utoipa::path(get, path = "/v1/tenants/{id}/keys", tag = "keys", params(("id" = String, Path, description = "Tenant id")),
    responses((status = 200, description = "The tenant's keys, without secrets", body = KeyList)))]
async fn list_keys(
    State(a): AppState,
    Caller(c): Caller,
    Path(tenant): Path<String>,
) -> Result<Response> {
    c.admin_or_owner_of(&tenant)?;
    let keys = a.api_keys(&tenant).await?;
    Ok(Json(KeyList { keys }).into_response())
}

#[utoipa::path(delete, path = "/v1/tenants/{id}/keys/{key_id}", tag = "keys", params(("id" = String, Path, description = "Tenant id"), ("key_id" = String, Path, description = "Key id")),
    responses((status = 200, description = "The key, revoked", body = KeyView)))]
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

#[utoipa::path(post, path = "/v1/tenants/{id}/keys/{key_id}/rotate", tag = "keys", params(("id" = String, Path, description = "Tenant id"), ("key_id" = String, Path, description = "Key id")),
    responses((status = 201, description = "A new key with the old one's role and label; the old one is revoked", body = RotatedKey),
        (status = 409, description = "`key_revoked`: the key was revoked already", body = ErrorBody)))]
async fn rotate_key(
    State(a): AppState,
    Caller(c): Caller,
    Path((tenant, key_id)): Path<(String, String)>,
) -> Result<Response> {
    c.admin_or_owner_of(&tenant)?;
    let key = a.rotate_api_key(&tenant, &key_id).await?;
    let body = RotatedKey {
        key,
        replaces: key_id.clone(),
    };
    a.record_audit(
        &c,
        &tenant,
        "key.rotate",
        &key_id,
        without_secret(json!(body)),
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
