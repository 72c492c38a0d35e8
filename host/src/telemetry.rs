//! Logs and traces: the log lines on stderr (`ARCADE_LOG`, text or JSON),
//! and, when an OTLP endpoint is given, every span (a request, a plugin
//! call) exported to it over HTTP/protobuf.

use std::time::Duration;

use anyhow::Context;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::cli::LogFormat;

/// How long one export may take.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);
/// The OTLP path of traces under a base endpoint.
const TRACES_PATH: &str = "/v1/traces";
/// The standard variable naming the full traces URL; it wins over the base
/// endpoint, as the OTLP exporter specification says.
const TRACES_ENDPOINT_VAR: &str = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";

/// The tracing set up for the process; [`Telemetry::shutdown`] sends the
/// spans not yet exported.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Export what is left (waits for at most the export timeout).
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(e) = provider.shutdown()
        {
            tracing::warn!(error = %e, "flushing traces at shutdown failed");
        }
    }
}

/// Install the process's subscriber: log lines filtered by `ARCADE_LOG`
/// (default `info`), and with `otlp_endpoint` (a base URL such as
/// `http://collector:4318`) the spans of level `info` and above exported
/// to it. Must be called inside a Tokio runtime.
pub fn init(format: LogFormat, otlp_endpoint: Option<&str>) -> anyhow::Result<Telemetry> {
    let filter = EnvFilter::try_from_env("ARCADE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt::layer();
    let fmt = match format {
        LogFormat::Text => fmt.boxed(),
        LogFormat::Json => fmt.json().boxed(),
    }
    .with_filter(filter);
    let provider = otlp_endpoint.map(tracer_provider).transpose()?;
    let otel = provider.as_ref().map(|p| {
        tracing_opentelemetry::layer()
            .with_tracer(p.tracer("arcade"))
            .with_filter(tracing_subscriber::filter::LevelFilter::INFO)
    });
    // A second `init` in one process (tests) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(fmt)
        .with(otel)
        .try_init();
    Ok(Telemetry { provider })
}

/// The full traces URL: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as given, else
/// `base` + `/v1/traces`.
fn traces_url(base: &str) -> String {
    match std::env::var(TRACES_ENDPOINT_VAR) {
        Ok(url) if !url.is_empty() => url,
        _ => format!("{}{TRACES_PATH}", base.trim_end_matches('/')),
    }
}

fn tracer_provider(base: &str) -> anyhow::Result<SdkTracerProvider> {
    let url = traces_url(base);
    let client = OnRuntime {
        inner: opentelemetry_http::hyper::HyperClient::with_default_connector(EXPORT_TIMEOUT, None),
        runtime: tokio::runtime::Handle::try_current()
            .context("the OTLP exporter needs a Tokio runtime")?,
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(url.clone())
        .with_timeout(EXPORT_TIMEOUT)
        .with_http_client(client)
        .build()
        .with_context(|| format!("the OTLP exporter for {url}"))?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name("arcade")
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

/// The hyper client, run on the service's Tokio runtime: the batch span
/// processor exports from a thread of its own, outside any runtime.
#[derive(Debug)]
struct OnRuntime {
    inner: opentelemetry_http::hyper::HyperClient,
    runtime: tokio::runtime::Handle,
}

#[async_trait::async_trait]
impl HttpClient for OnRuntime {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let inner = self.inner.clone();
        self.runtime
            .spawn(async move { inner.send_bytes(request).await })
            .await?
    }
}
