//! The service's side of `GET /metrics`: who may read it, the gauges read
//! when it is rendered, and each plugin call counted and traced.

use super::Arcade;
use super::calls::CallSpec;
use crate::error::{Error, Result};
use crate::metrics::{Levels, PluginCall};

/// Who may read `GET /metrics` (`--metrics`, `--metrics-token`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricsAccess {
    /// `404`: the route is off.
    Off,
    /// `Authorization: Bearer` with the admin token, or with this scrape
    /// token if one is set. The default.
    Token(Option<String>),
    /// Anyone who can reach the listener.
    Open,
}

/// [`MetricsAccess`] with the scrape token hashed.
#[derive(Default)]
pub(super) enum Access {
    Off,
    #[default]
    AdminOnly,
    Token([u8; 32]),
    Open,
}

impl Arcade {
    /// Set who may read `GET /metrics`.
    pub fn set_metrics_access(&self, access: MetricsAccess) {
        let access = match access {
            MetricsAccess::Off => Access::Off,
            MetricsAccess::Open => Access::Open,
            MetricsAccess::Token(None) => Access::AdminOnly,
            MetricsAccess::Token(Some(t)) => Access::Token(super::auth::token_hash(&t)),
        };
        *self.metrics_access.write().expect("lock") = access;
    }

    /// The metrics as Prometheus text, if `bearer` (the token of an
    /// `Authorization: Bearer` header) may read them.
    pub async fn render_metrics(&self, bearer: Option<&str>) -> Result<String> {
        let hash = bearer.map(super::auth::token_hash);
        let held = |want: &[u8; 32]| hash.as_ref().is_some_and(|h| super::auth::same(h, want));
        let admin = held(&self.admin_token_hash);
        match &*self.metrics_access.read().expect("lock") {
            Access::Off => {
                return Err(Error::http(404, "not_found", "metrics are turned off"));
            }
            Access::Open => {}
            Access::AdminOnly if admin => {}
            Access::Token(t) if admin || held(t) => {}
            Access::AdminOnly | Access::Token(_) => {
                return Err(Error::Unauthorized(
                    "reading metrics takes the admin token or the metrics token",
                ));
            }
        }
        let (calls_running, calls_queued) = self.sandbox.load_now();
        let (hot_activities, lane_actions) = self.lanes.levels();
        let timers_due = match self.store.timers_due(self.now()).await {
            Ok(n) => Some(n),
            Err(e) => {
                tracing::warn!(error = %e, "counting due timers for metrics failed");
                None
            }
        };
        Ok(self.metrics.render(Levels {
            calls_running,
            calls_queued,
            hot_activities,
            lane_actions,
            timers_due,
        }))
    }

    /// The metrics, for in-process readers (tests, the toolkit).
    pub fn metrics(&self) -> &crate::metrics::Metrics {
        &self.metrics
    }
}

/// The span of one plugin call. Its `fuel` and `result` are recorded by
/// [`finish_call`].
pub(crate) fn call_span(spec: &CallSpec, kind: &'static str) -> tracing::Span {
    let manifest = &spec.activity.plugin.manifest;
    tracing::info_span!(
        "plugin_call",
        activity_id = %spec.activity.record.id,
        plugin = %manifest.name,
        version = %manifest.version,
        kind,
        outcome_id = %spec.outcome_id,
        fuel = tracing::field::Empty,
        result = tracing::field::Empty,
    )
}

/// Count a plugin call that ran and note its fuel and result in `span`.
/// `result` is `ok`, `refused` or a failure's code.
pub(crate) fn finish_call(
    metrics: &crate::metrics::Metrics,
    span: &tracing::Span,
    spec: &CallSpec,
    kind: &'static str,
    result: &'static str,
    fuel: u64,
) {
    span.record("fuel", fuel);
    span.record("result", result);
    let manifest = &spec.activity.plugin.manifest;
    metrics.plugin_call(&PluginCall {
        plugin: &manifest.name,
        version: &manifest.version,
        kind,
        result,
        fuel,
    });
}
