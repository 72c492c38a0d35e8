//! Extractors: JSON and query strings whose rejections are our errors, and
//! the authenticated caller.

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::service::{Arcade, Principal};

/// `axum::Json` with rejections rendered as [`Error`]. A body with U+0000
/// in any string or key is refused (`invalid_text`, naming the field)
/// before it is deserialized.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(req, state).await?;
        crate::text::check_json("", &value)?;
        serde_path_to_error::deserialize(value)
            .map(JsonBody)
            .map_err(|e| {
                Error::invalid(
                    "invalid_body",
                    format!("Failed to deserialize the JSON body into the target type: {e}"),
                )
            })
    }
}

/// `axum::extract::Query` with rejections rendered as [`Error`].
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Error))]
pub struct Query<T>(pub T);

/// `axum::extract::Path` with rejections (such as bad percent-encoding)
/// rendered as `400 invalid_path`.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Error))]
pub struct Path<T>(pub T);

/// The caller, from `Authorization: Bearer <key>`.
pub struct Caller(pub Principal);

impl FromRequestParts<Arc<Arcade>> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, arcade: &Arc<Arcade>) -> Result<Self, Error> {
        let header =
            parts
                .headers
                .get(axum::http::header::AUTHORIZATION)
                .ok_or(Error::Unauthorized(
                    "missing Authorization: Bearer <key> header",
                ))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(Error::Unauthorized(
                "the Authorization header must be `Bearer <key>`",
            ))?;
        let who = arcade.authenticate(token).await?;
        if let Principal::Tenant { tenant_id, .. } = &who {
            tracing::Span::current().record("tenant", tenant_id.as_str());
        }
        arcade.check_rate(&who).await?;
        Ok(Caller(who))
    }
}
