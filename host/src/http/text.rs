//! Path parameters and query strings with U+0000 in them are refused before
//! any handler runs (see [`crate::text`]); JSON bodies are checked by
//! [`super::extract::JsonBody`].

use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{RawPathParams, Request};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::Error;
use crate::text;

/// Route middleware: `422 invalid_text` naming the parameter.
pub(super) async fn reject_nul(
    params: Result<RawPathParams, RawPathParamsRejection>,
    req: Request,
    next: Next,
) -> Result<Response, Error> {
    // Parameters that are not UTF-8 at all are the handler's to refuse.
    if let Ok(params) = params {
        for (name, value) in &params {
            text::check(name, value)?;
        }
    }
    if let Some(query) = req.uri().query() {
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            text::check("a query parameter name", &name)?;
            text::check(&name, &value)?;
        }
    }
    Ok(next.run(req).await)
}
