//! The outermost router layer: refuses oversized request lines and header
//! blocks, and makes sure every error response, including the ones axum
//! produces itself (405, body limits, path and extractor rejections), is
//! `{"error":{"code","message"}}` with a stable code.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::Error;

/// Longest path and query string accepted, in bytes (`414 uri_too_long`).
pub const MAX_URI_BYTES: usize = 8 << 10;
/// Largest header block accepted: names, values and separators, in bytes
/// (`431 headers_too_large`).
pub const MAX_HEADER_BYTES: usize = 16 << 10;
/// Most header fields accepted (`431 headers_too_large`).
pub const MAX_HEADER_COUNT: usize = 100;

/// How much of a non-JSON error body is kept as the JSON message.
const MESSAGE_LIMIT: usize = 1024;

/// Middleware: size checks before the router, JSON errors after it.
pub async fn enforce(req: Request, next: Next) -> Response {
    if let Some(refusal) = check_sizes(&req) {
        return refusal.into_response();
    }
    as_json_error(next.run(req).await).await
}

fn check_sizes(req: &Request) -> Option<Error> {
    let uri_len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if uri_len > MAX_URI_BYTES {
        return Some(Error::http(
            414,
            "uri_too_long",
            format!("the path and query are {uri_len} bytes; at most {MAX_URI_BYTES} are accepted"),
        ));
    }
    let headers = req.headers();
    let bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if headers.len() > MAX_HEADER_COUNT || bytes > MAX_HEADER_BYTES {
        return Some(Error::http(
            431,
            "headers_too_large",
            format!(
                "{} header fields of {bytes} bytes; at most {MAX_HEADER_COUNT} fields and \
                 {MAX_HEADER_BYTES} bytes are accepted",
                headers.len()
            ),
        ));
    }
    None
}

/// An error response that is not JSON becomes one, keeping its status (and
/// `Allow` for a 405) and using its text, if short, as the message.
async fn as_json_error(resp: Response) -> Response {
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
    // JSON is the API's; HTML is the console's own error page.
    if status.as_u16() < 400 || is_json {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = to_bytes(body, MESSAGE_LIMIT)
        .await
        .ok()
        .and_then(|b| String::from_utf8(b.to_vec()).ok())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    let text = match parts
        .headers
        .get(header::ALLOW)
        .and_then(|v| v.to_str().ok())
    {
        Some(allow) if status == StatusCode::METHOD_NOT_ALLOWED => {
            format!("method not allowed here; allowed: {allow}")
        }
        _ => text,
    };
    let mut json = Error::http(status.as_u16(), code_for(status), text).into_response();
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        json.headers_mut().insert(header::ALLOW, allow.clone());
    }
    if let Some(conn) = parts.headers.get(header::CONNECTION) {
        json.headers_mut().insert(header::CONNECTION, conn.clone());
    }
    json
}

/// The stable code for an error status that has no more specific one.
pub fn code_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        408 => "request_timeout",
        413 => "payload_too_large",
        414 => "uri_too_long",
        415 => "unsupported_media_type",
        422 => "unprocessable",
        431 => "headers_too_large",
        503 => "unavailable",
        500..=599 => "internal_error",
        _ => "bad_request",
    }
}

/// The fallback route: `404 not_found` naming the method and path.
pub async fn no_route(method: Method, uri: Uri) -> Error {
    Error::http(
        404,
        "not_found",
        format!("no route for {method} {}", uri.path()),
    )
}

/// `408 body_timeout`: the request body did not arrive in time. The
/// connection is closed after it, as the rest of the body is unread.
pub fn body_timeout(limit_ms: u128, close: bool) -> Response<Body> {
    let mut resp = Error::http(
        408,
        "body_timeout",
        format!("the request body did not arrive within {limit_ms} ms"),
    )
    .into_response();
    if close {
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    resp
}
