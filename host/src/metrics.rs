//! What the service measures, and its Prometheus text at `GET /metrics`.
//!
//! Each [`Arcade`](crate::service::Arcade) holds its own [`Metrics`] (a
//! `prometheus-client` registry), not a process-global recorder: several
//! services in one process (tests, `arcade plugin test`) keep their own
//! counts. Counters and histograms are updated as things happen; gauges
//! of queue depths are read when the registry is rendered.
//!
//! Labels are bounded: routes are axum's route templates (never the raw
//! path), plugin names and versions and action names come from uploaded
//! manifests, error codes are capped at [`MAX_ERROR_CODES`] distinct
//! values. No user, activity, outcome or tenant id is ever a label.

use std::collections::HashSet;
use std::sync::Mutex;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Distinct error codes counted by name; later ones count as `other`.
/// Host codes are a fixed set, but a mechanic's refusal codes are its own.
pub const MAX_ERROR_CODES: usize = 256;

/// The content type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteMethodLabels {
    route: String,
    method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    plugin: String,
    action: String,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    plugin: String,
    version: String,
    kind: &'static str,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PluginLabels {
    plugin: String,
    version: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabels {
    source: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to about 16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

fn fuel_histogram() -> Histogram {
    // 1,000 to about 16 billion instructions.
    Histogram::new(exponential_buckets(1000.0, 4.0, 13))
}

/// What one plugin call was, for [`Metrics::plugin_call`].
pub struct PluginCall<'a> {
    /// The plugin's name.
    pub plugin: &'a str,
    /// Its version.
    pub version: &'a str,
    /// `handle`, `on_timer` or `view`.
    pub kind: &'static str,
    /// `ok`, `refused` (the mechanic's own error), or a failure's code.
    pub result: &'static str,
    /// Fuel it consumed.
    pub fuel: u64,
}

/// Gauges read at render time.
#[derive(Debug, Default, Clone, Copy)]
pub struct Levels {
    /// Plugin calls running now (admission slots held).
    pub calls_running: usize,
    /// Plugin calls waiting for a slot.
    pub calls_queued: usize,
    /// Activities whose actions queue in a lane now.
    pub hot_activities: usize,
    /// Actions waiting in lanes (queued or in a round).
    pub lane_actions: usize,
    /// Pending timers whose due time has passed; `None` if the count
    /// failed (the gauge keeps its last value).
    pub timers_due: Option<i64>,
}

/// The service's metrics.
pub struct Metrics {
    registry: Registry,
    http_requests: Family<RouteLabels, Counter>,
    http_duration: HistogramFamily<RouteMethodLabels>,
    actions: HistogramFamily<ActionLabels>,
    plugin_calls: Family<CallLabels, Counter>,
    plugin_fuel: Family<PluginLabels, Counter>,
    plugin_call_fuel: HistogramFamily<PluginLabels>,
    errors: Family<CodeLabels, Counter>,
    error_codes: Mutex<HashSet<String>>,
    idempotency_replays: Family<SourceLabels, Counter>,
    webhook_attempts: Family<ResultLabels, Counter>,
    calls_running: Gauge,
    calls_queued: Gauge,
    hot_activities: Gauge,
    lane_actions: Gauge,
    timers_due: Gauge,
}

impl Metrics {
    /// A registry with the service's metrics; `extra` registers those kept
    /// elsewhere (the store's commit queue).
    pub fn new(extra: impl FnOnce(&mut Registry)) -> Self {
        let mut registry = Registry::default();
        let m = Metrics {
            http_requests: Family::default(),
            http_duration: Family::new_with_constructor(latency_histogram),
            actions: Family::new_with_constructor(latency_histogram),
            plugin_calls: Family::default(),
            plugin_fuel: Family::default(),
            plugin_call_fuel: Family::new_with_constructor(fuel_histogram),
            errors: Family::default(),
            error_codes: Mutex::default(),
            idempotency_replays: Family::default(),
            webhook_attempts: Family::default(),
            calls_running: Gauge::default(),
            calls_queued: Gauge::default(),
            hot_activities: Gauge::default(),
            lane_actions: Gauge::default(),
            timers_due: Gauge::default(),
            registry: Registry::default(),
        };
        // Counters get `_total` appended by the encoder.
        registry.register(
            "arcade_http_requests",
            "HTTP requests answered, by route template, method and status",
            m.http_requests.clone(),
        );
        registry.register(
            "arcade_http_request_duration_seconds",
            "Time to answer an HTTP request (to its response head), by route template and method",
            m.http_duration.clone(),
        );
        registry.register(
            "arcade_action_duration_seconds",
            "Time from an accepted action to its answer (snapshot, plugin runs, commit), \
             by plugin, action and result (ok or error)",
            m.actions.clone(),
        );
        registry.register(
            "arcade_plugin_calls",
            "Plugin calls, by plugin, version, kind (handle, on_timer, view) and result \
             (ok, refused, or a failure code)",
            m.plugin_calls.clone(),
        );
        registry.register(
            "arcade_plugin_fuel_consumed",
            "Fuel consumed by plugin calls, by plugin and version",
            m.plugin_fuel.clone(),
        );
        registry.register(
            "arcade_plugin_call_fuel",
            "Fuel consumed by one plugin call, by plugin and version",
            m.plugin_call_fuel.clone(),
        );
        registry.register(
            "arcade_errors",
            "Error responses, by error code",
            m.errors.clone(),
        );
        registry.register(
            "arcade_idempotency_replays",
            "Keyed actions answered with an earlier request's response: from the store \
             (stored) or from the same key running on this replica (in_flight)",
            m.idempotency_replays.clone(),
        );
        registry.register(
            "arcade_webhook_attempts",
            "Webhook delivery attempts, by result: delivered (2xx), retry (failed, tried \
             again later) or dead (failed, no retries left)",
            m.webhook_attempts.clone(),
        );
        registry.register(
            "arcade_plugin_calls_running",
            "Plugin calls holding an admission slot now",
            m.calls_running.clone(),
        );
        registry.register(
            "arcade_admission_queue_depth",
            "Plugin calls waiting for an admission slot now",
            m.calls_queued.clone(),
        );
        registry.register(
            "arcade_hot_activities",
            "Activities whose actions run in a lane now",
            m.hot_activities.clone(),
        );
        registry.register(
            "arcade_lane_queue_depth",
            "Actions waiting in hot activities' lanes now",
            m.lane_actions.clone(),
        );
        registry.register(
            "arcade_timers_due",
            "Pending timers whose due time has passed",
            m.timers_due.clone(),
        );
        extra(&mut registry);
        Metrics { registry, ..m }
    }

    /// One HTTP request answered. `route` is the route template, or
    /// `unmatched` for a path no route has.
    pub fn http_request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.http_requests
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
                method: method.to_owned(),
                status,
            })
            .inc();
        self.http_duration
            .get_or_create(&RouteMethodLabels {
                route: route.to_owned(),
                method: method.to_owned(),
            })
            .observe(seconds);
    }

    /// One error response with `code`.
    pub fn error(&self, code: &str) {
        let known = {
            let mut codes = self.error_codes.lock().expect("error codes poisoned");
            codes.contains(code) || (codes.len() < MAX_ERROR_CODES && codes.insert(code.to_owned()))
        };
        let code = if known { code } else { "other" };
        self.errors
            .get_or_create(&CodeLabels {
                code: code.to_owned(),
            })
            .inc();
    }

    /// One action answered after `seconds`.
    pub fn action(&self, plugin: &str, action: &str, ok: bool, seconds: f64) {
        self.actions
            .get_or_create(&ActionLabels {
                plugin: plugin.to_owned(),
                action: action.to_owned(),
                result: if ok { "ok" } else { "error" },
            })
            .observe(seconds);
    }

    /// One plugin call ran.
    pub fn plugin_call(&self, call: &PluginCall<'_>) {
        self.plugin_calls
            .get_or_create(&CallLabels {
                plugin: call.plugin.to_owned(),
                version: call.version.to_owned(),
                kind: call.kind,
                result: call.result,
            })
            .inc();
        let plugin = PluginLabels {
            plugin: call.plugin.to_owned(),
            version: call.version.to_owned(),
        };
        self.plugin_fuel.get_or_create(&plugin).inc_by(call.fuel);
        self.plugin_call_fuel
            .get_or_create(&plugin)
            .observe(call.fuel as f64);
    }

    /// A keyed action answered with an earlier response: `stored` or
    /// `in_flight`.
    pub fn idempotency_replay(&self, source: &'static str) {
        self.idempotency_replays
            .get_or_create(&SourceLabels { source })
            .inc();
    }

    /// A webhook delivery attempt: `delivered`, `retry` or `dead`.
    pub fn webhook_attempt(&self, result: &'static str) {
        self.webhook_attempts
            .get_or_create(&ResultLabels { result })
            .inc();
    }

    /// The registry as Prometheus text (OpenMetrics), with the gauges set
    /// to `levels` first.
    pub fn render(&self, levels: Levels) -> String {
        let as_gauge = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        self.calls_running.set(as_gauge(levels.calls_running));
        self.calls_queued.set(as_gauge(levels.calls_queued));
        self.hot_activities.set(as_gauge(levels.hot_activities));
        self.lane_actions.set(as_gauge(levels.lane_actions));
        if let Some(due) = levels.timers_due {
            self.timers_due.set(due);
        }
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_with_their_labels() {
        let m = Metrics::new(|_| {});
        m.http_request("/v1/activities/{id}/actions", "POST", 200, 0.002);
        m.http_request("/v1/activities/{id}/actions", "POST", 200, 0.004);
        m.error("activity_paused");
        m.plugin_call(&PluginCall {
            plugin: "lucky-draw",
            version: "1.0.0",
            kind: "handle",
            result: "ok",
            fuel: 12_345,
        });
        let text = m.render(Levels {
            timers_due: Some(3),
            ..Levels::default()
        });
        assert!(text.contains(
            "arcade_http_requests_total{route=\"/v1/activities/{id}/actions\",method=\"POST\",status=\"200\"} 2\n"
        ), "{text}");
        assert!(text.contains("arcade_errors_total{code=\"activity_paused\"} 1\n"));
        assert!(text.contains(
            "arcade_plugin_fuel_consumed_total{plugin=\"lucky-draw\",version=\"1.0.0\"} 12345\n"
        ));
        assert!(text.contains("arcade_timers_due 3\n"));
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn error_codes_past_the_cap_count_as_other() {
        let m = Metrics::new(|_| {});
        for i in 0..MAX_ERROR_CODES + 5 {
            m.error(&format!("code_{i}"));
        }
        m.error("code_0");
        let text = m.render(Levels::default());
        assert!(text.contains("arcade_errors_total{code=\"code_0\"} 2\n"));
        assert!(
            text.contains("arcade_errors_total{code=\"other\"} 5\n"),
            "{text}"
        );
    }
}
