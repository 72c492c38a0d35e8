//! Observing requests: a span per request, the request counters and
//! latency histogram, the `X-Request-Id` header, and `GET /metrics`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::{DefaultOnRequest, TraceLayer};
use tracing::Span;

use super::error::ErrorCode;
use crate::error::Result;
use crate::service::Arcade;

/// The request id header: kept if the client sent a short printable one,
/// else generated; echoed on the response.
const REQUEST_ID: &str = "x-request-id";
/// Longest client-supplied request id kept.
const MAX_REQUEST_ID: usize = 128;

/// The route label of a request no route matched (never the raw path).
const UNMATCHED: &str = "unmatched";

type MakeSpan = fn(&Request<Body>) -> Span;
type OnResponse = fn(&Response<Body>, Duration, &Span);

/// The span of each request: `request` with the method, the route
/// template, the request id, and (as they become known) the tenant, the
/// status and the latency.
pub fn trace_layer()
-> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, MakeSpan, DefaultOnRequest, OnResponse> {
    TraceLayer::new_for_http()
        .make_span_with(request_span as MakeSpan)
        .on_response(record_response as OnResponse)
}

fn request_span(req: &Request<Body>) -> Span {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str);
    let request_id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        // The span's name in OpenTelemetry: "POST /v1/activities/{id}/actions".
        otel.name = %format_args!("{} {route}", req.method()),
        otel.kind = "server",
        method = %req.method(),
        route,
        request_id,
        tenant = tracing::field::Empty,
        status = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    )
}

fn record_response(resp: &Response<Body>, latency: Duration, span: &Span) {
    span.record("status", resp.status().as_u16());
    span.record("latency_ms", latency.as_secs_f64() * 1000.0);
    if resp.status().is_server_error() {
        span.record("otel.status_code", "ERROR");
    }
}

/// Middleware: give the request an id, then count the answer by route
/// template, method and status, and its error code if it is an error.
pub async fn track(State(arcade): State<Arc<Arcade>>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let method = method_label(req.method());
    let request_id = request_id(req.headers());
    req.headers_mut().insert(REQUEST_ID, request_id.clone());
    let mut resp = next.run(req).await;
    resp.headers_mut().insert(REQUEST_ID, request_id);
    let metrics = arcade.metrics();
    metrics.http_request(
        route.as_deref().unwrap_or(UNMATCHED),
        method,
        resp.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    if let Some(ErrorCode(code)) = resp.extensions().get::<ErrorCode>() {
        metrics.error(code);
    }
    resp
}

/// The client's request id if it is short and printable, else a new one.
fn request_id(headers: &HeaderMap) -> HeaderValue {
    headers
        .get(REQUEST_ID)
        .filter(|v| {
            !v.is_empty()
                && v.len() <= MAX_REQUEST_ID
                && v.as_bytes().iter().all(|b| b.is_ascii_graphic())
        })
        .cloned()
        .unwrap_or_else(|| {
            HeaderValue::from_str(&uuid::Uuid::now_v7().to_string())
                .expect("a UUID is a header value")
        })
}

/// Methods outside the standard set share one label.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// `GET /metrics`: the Prometheus text, for whoever `--metrics` allows.
pub async fn metrics(State(arcade): State<Arc<Arcade>>, headers: HeaderMap) -> Result<Response> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim);
    let text = arcade.render_metrics(bearer).await?;
    Ok(([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], text).into_response())
}
