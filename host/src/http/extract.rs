//! Extractors: JSON and query strings whose rejections are our errors, and
//! the authenticated caller.

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;

use crate::error::Error;
use crate::service::{Arcade, Principal};

/// `axum::Json` with rejections rendered as [`Error`].
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(Error))]
pub struct JsonBody<T>(pub T);

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
        Ok(Caller(arcade.authenticate(token).await?))
    }
}
