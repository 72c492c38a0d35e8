//! The domain: tenants, keys, plugins, activities, actions and replay.
//! HTTP handlers and the command line call into [`Arcade`]; it never sees
//! HTTP types.

mod actions;
mod activities;
mod audit;
mod auth;
mod calls;
mod enablements;
mod exports;
mod fulfilment;
mod groups;
mod idempotency;
mod ids;
mod inline;
mod keys;
mod lane;
mod ledger;
mod loader;
mod metrics;
mod outcomes;
mod output;
mod plugins;
mod ratelimit;
mod replay;
mod revisions;
pub mod schedule;
pub mod simulate;
mod single_flight;
pub mod stats;
pub mod sweeper;
pub mod timers;
pub mod tombstones;
mod viewers;
pub mod webhooks;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::randomness::{self, Key};
use crate::sandbox::{Limits, Plugin, Sandbox};
use crate::store::{Activity, ApiKey, Store};

pub use actions::{ActionRequest, PAYLOAD_LIMIT_BYTES};
pub use activities::{ActivityView, DEFAULT_TIMEZONE, Fairness, NewActivity};
pub use audit::AuditPage;
pub use auth::{KEY_CACHE_TTL, Principal, generate_api_key};
pub use enablements::{BulkEnablement, EnablementSpec, EnablementView, StageRequest, Targeting};
pub use exports::{ExportFile, ExportView, NewExport};
pub use fulfilment::{
    FulfilmentPage, FulfilmentQuery, FulfilmentView, ShipRequest, Shipment, WriteOffRequest,
};
pub use groups::{GroupFilter, GroupPatch, MemberEvents, MembersChanged, NewGroup};
pub use keys::{IssuedKey, KeyView};
pub use ledger::{Balances, EventFilter, EventPage, EventView, LedgerPage, LedgerView, RewardView};
pub use metrics::MetricsAccess;
pub use outcomes::{OutcomePageView, OutcomeProof, OutcomeView};
pub use plugins::PluginInfo;
pub use ratelimit::RateLimit;
pub use replay::ReplayReport;
pub use revisions::{ConfigChange, RevisionView};
pub use stats::StatsRange;
pub use webhooks::{DeliveryQuery, EndpointPatch, NewEndpoint, ReplayRequest, RotateRequest};

/// How long a replica trusts its cached copy of an activity. Pauses made
/// through this replica apply at once; through another, within this time.
const ACTIVITY_CACHE_TTL: Duration = Duration::from_secs(2);

/// An activity with everything needed to run it.
pub(crate) struct LoadedActivity {
    pub(crate) record: Activity,
    pub(crate) plugin: Arc<Plugin>,
    pub(crate) limits: Limits,
    pub(crate) timezone: chrono_tz::Tz,
    pub(crate) key: Key,
    /// Its enablements beyond the home group, by group id.
    pub(crate) groups: std::collections::BTreeMap<String, crate::store::Enablement>,
    loaded_at: Instant,
}

/// The Arcade service.
pub struct Arcade {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) sandbox: Arc<Sandbox>,
    secret: Key,
    admin_token_hash: [u8; 32],
    activities: RwLock<HashMap<String, Arc<LoadedActivity>>>,
    /// Keys by hash, with when each was read from the store.
    keys: RwLock<HashMap<String, (ApiKey, Instant)>>,
    key_cache_ttl_ms: std::sync::atomic::AtomicU64,
    clock_offset_ms: std::sync::atomic::AtomicI64,
    /// `i64::MIN` unless the clock is frozen at an instant.
    clock_frozen_at: std::sync::atomic::AtomicI64,
    /// Idempotency-Keys whose requests are running on this replica.
    in_flight: Arc<idempotency::InFlight>,
    /// Per-activity queues of actions that run one after another.
    lanes: lane::Lanes,
    /// One load at a time per activity id and per plugin hash.
    loading: single_flight::SingleFlight,
    /// Plugins whose calls skip the inline attempt for now.
    offloads: inline::Offloads,
    /// Where export files are written (`--export-dir`).
    export_dir: RwLock<std::path::PathBuf>,
    /// Background simulations on this replica.
    simulations: simulate::Jobs,
    /// The statistics backlog last counted, and when (`stats.rs`).
    backlog: std::sync::Mutex<Option<(Instant, i64)>>,
    /// Where activity and outcome ids come from.
    ids: ids::Ids,
    /// Whether an upload may replace a registered version's bytes
    /// (`arcade plugin dev` only).
    dev_mode: std::sync::atomic::AtomicBool,
    /// Viewers noted, not yet written (`viewers.rs`).
    viewers: viewers::Viewers,
    /// Rate-limit buckets per API key (`ratelimit.rs`).
    limiters: ratelimit::Limiters,
    /// What this service measures (`GET /metrics`).
    pub(crate) metrics: Arc<crate::metrics::Metrics>,
    /// Who may read `GET /metrics` (`metrics.rs`).
    metrics_access: RwLock<metrics::Access>,
    /// The HTTP client webhook deliveries go through, built on first use.
    webhook_client: std::sync::OnceLock<reqwest::Client>,
}

/// The setting under which the randomness secret is kept in the store.
const SECRET_SETTING: &str = "randomness_secret";

impl Arcade {
    /// Assemble the service. The randomness secret is `secret` if given,
    /// else the one kept in the store (generated on first start), so every
    /// replica sharing a database draws from the same keys.
    pub async fn new(
        store: Arc<dyn Store>,
        sandbox: Arc<Sandbox>,
        admin_token: &str,
        secret: Option<Key>,
    ) -> crate::error::Result<Self> {
        let secret = match secret {
            Some(s) => s,
            None => {
                let fresh = hex::encode(randomness::generate_key());
                let stored = store.init_setting(SECRET_SETTING, &fresh).await?;
                randomness::parse_key(&stored).ok_or_else(|| {
                    crate::error::Error::Internal("stored randomness secret is malformed".into())
                })?
            }
        };
        let metrics = Arc::new(crate::metrics::Metrics::new(|registry| {
            store.register_metrics(registry)
        }));
        Ok(Arcade {
            metrics,
            metrics_access: RwLock::new(metrics::Access::default()),
            store,
            sandbox,
            secret,
            admin_token_hash: auth::token_hash(admin_token),
            activities: RwLock::new(HashMap::new()),
            keys: RwLock::new(HashMap::new()),
            key_cache_ttl_ms: std::sync::atomic::AtomicU64::new(
                auth::KEY_CACHE_TTL.as_millis() as u64
            ),
            clock_offset_ms: std::sync::atomic::AtomicI64::new(0),
            clock_frozen_at: std::sync::atomic::AtomicI64::new(i64::MIN),
            in_flight: Arc::default(),
            lanes: lane::Lanes::default(),
            loading: single_flight::SingleFlight::default(),
            offloads: inline::Offloads::default(),
            export_dir: RwLock::new(std::env::temp_dir().join("arcade-exports")),
            simulations: simulate::Jobs::default(),
            backlog: std::sync::Mutex::new(None),
            ids: ids::Ids::default(),
            dev_mode: std::sync::atomic::AtomicBool::new(false),
            viewers: viewers::Viewers::default(),
            limiters: ratelimit::Limiters::default(),
            webhook_client: std::sync::OnceLock::new(),
        })
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The sandbox.
    pub fn sandbox(&self) -> &Arc<Sandbox> {
        &self.sandbox
    }

    /// The service's clock: what schedules, plugin calls and timers see,
    /// in milliseconds since the epoch.
    pub fn now(&self) -> i64 {
        use std::sync::atomic::Ordering::Relaxed;
        match self.clock_frozen_at.load(Relaxed) {
            i64::MIN => crate::clock::now_ms() + self.clock_offset_ms.load(Relaxed),
            frozen => frozen,
        }
    }

    /// Stop the service's clock at `at_ms`, or let it run again (from real
    /// time plus any advance) with `None`. For simulations and tests of
    /// day boundaries; production never calls it.
    pub fn freeze_clock(&self, at_ms: Option<i64>) {
        self.clock_frozen_at.store(
            at_ms.unwrap_or(i64::MIN),
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// Move the service's clock forward by `ms` (for simulations and
    /// tests of deadlines; production never calls it).
    pub fn advance_clock(&self, ms: i64) {
        self.clock_offset_ms
            .fetch_add(ms, std::sync::atomic::Ordering::Relaxed);
    }

    /// Make activity and outcome ids from a sequence stamped with the
    /// service clock from now on, so a script run twice (with a fixed
    /// secret and a frozen clock) draws the same random numbers. For
    /// `arcade plugin test`; production never calls it.
    pub fn script_ids(&self) {
        self.ids.script();
    }

    /// Give the next two scripted ids in reverse order (see `ids.rs`).
    pub(crate) fn swap_next_ids(&self) {
        self.ids.swap_next_pair();
    }

    /// A new activity or outcome id (see `ids.rs`).
    fn new_id(&self) -> String {
        self.ids.next(self.now())
    }

    /// Let an upload of other bytes under a registered plugin version
    /// replace them, moving that version's activities to the new
    /// component: the edit-build-reload loop of `arcade plugin dev`.
    /// Production never sets it; released versions stay immutable.
    pub fn set_dev_mode(&self, on: bool) {
        self.dev_mode
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// A key for `context` (a fixed string naming its use), derived from
    /// the service secret: the same on every replica and across restarts.
    /// The console signs its session cookies with one.
    pub fn derived_key(&self, context: &str) -> Key {
        blake3::derive_key(context, &self.secret)
    }

    fn activity_key(&self, activity_id: &str) -> Key {
        randomness::activity_key(&self.secret, activity_id)
    }

    fn forget_activity(&self, id: &str) {
        self.activities.write().expect("lock").remove(id);
    }

    fn forget_all_activities(&self) {
        self.activities.write().expect("lock").clear();
    }
}

/// Run blocking sandbox work off the async executor.
/// The caller's span goes along, so what runs there (a plugin call's span)
/// is traced as part of the request.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> crate::error::Result<T> {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f))
        .await
        .map_err(|e| crate::error::Error::Internal(format!("sandbox task failed: {e}")))
}
