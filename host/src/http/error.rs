//! Rendering errors as `{"error":{"code":...,"message":...}}`.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::Error;

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            tracing::error!(code = %self.code(), error = %self, "request failed");
        }
        let message = match &self {
            // Do not leak database internals to callers.
            Error::Store(_) | Error::StorageFault(_) => {
                "a storage error occurred; it has been logged".to_owned()
            }
            other => other.to_string(),
        };
        let code = self.code();
        let mut error = serde_json::json!({ "code": code, "message": message });
        if let Some(details) = self.details() {
            error["details"] = details;
        }
        let mut response = (status, Json(serde_json::json!({ "error": error }))).into_response();
        if let Some(secs) = self.retry_after_secs() {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        // Counted by `observe::track` as `arcade_errors_total{code}`.
        response.extensions_mut().insert(ErrorCode(code));
        response
    }
}

/// The code of an error response, for the metrics.
#[derive(Clone)]
pub struct ErrorCode(pub String);

impl From<JsonRejection> for Error {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => Error::invalid(
                "unsupported_media_type",
                "send the body as JSON with Content-Type: application/json",
            ),
            JsonRejection::BytesRejection(_) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Error::TooLarge(r.body_text())
            }
            // The client stopped sending, or the body deadline passed (the
            // server turns the latter into `408 body_timeout`).
            JsonRejection::BytesRejection(_) => Error::http(400, "body_read_failed", r.body_text()),
            JsonRejection::JsonSyntaxError(_) => Error::Malformed(r.body_text()),
            _ => Error::invalid("invalid_body", r.body_text()),
        }
    }
}

impl From<QueryRejection> for Error {
    fn from(r: QueryRejection) -> Self {
        Error::invalid("invalid_query", r.body_text())
    }
}

impl From<PathRejection> for Error {
    fn from(r: PathRejection) -> Self {
        Error::http(400, "invalid_path", r.body_text())
    }
}
