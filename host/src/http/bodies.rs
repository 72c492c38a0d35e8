//! The bodies the HTTP layer composes itself (lists wrapped in an
//! object, acknowledgements) and the error body. Each is what a handler
//! serializes, so the OpenAPI document (`openapi.rs`) is generated from
//! the types the API really returns.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};

use crate::sandbox::ConfigProblem;
use crate::service::LedgerView;
use crate::service::{
    ActivityView, EnablementView, ExportView, FulfilmentView, IssuedKey, KeyView, PluginInfo,
    RateLimit, RevisionView,
};
use crate::store::{Group, RewardRow};

/// `GET /healthz`.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct Health {
    /// Always `ok` while the process serves requests.
    pub status: &'static str,
}

/// A new tenant.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "0193c4a2-5b1e-7c3d-9f00-3a1b2c3d4e5f", "name": "Acme"}))]
pub struct TenantCreated {
    /// Its id, for the `/v1/tenants/{id}/...` routes.
    pub id: String,
    /// Its name, trimmed.
    pub name: String,
}

/// The tenant's webhook endpoints.
#[derive(Serialize, ToSchema)]
pub struct EndpointList {
    /// The endpoints, without secrets.
    pub endpoints: Vec<crate::service::webhooks::EndpointView>,
}

/// Every uploaded plugin version.
#[derive(Serialize, ToSchema)]
pub struct PluginList {
    /// Newest upload first.
    pub plugins: Vec<PluginInfo>,
}

/// A WebAssembly component (`wasm32-wasip2`), as raw bytes.
pub struct WasmBytes;

impl utoipa::PartialSchema for WasmBytes {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some(
                "A WebAssembly component (`wasm32-wasip2`), as raw bytes",
            ))
            .into()
    }
}

impl ToSchema for WasmBytes {}

/// The tenant's groups that match the filter.
#[derive(Serialize, ToSchema)]
pub struct GroupList {
    /// The groups.
    pub groups: Vec<Group>,
}

/// The tenant's tiers, in order.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"tiers": ["bronze", "silver", "gold"]}))]
pub struct Tiers {
    /// Tier names, lowest first.
    pub tiers: Vec<String>,
}

/// The tenant's activities.
#[derive(Serialize, ToSchema)]
pub struct ActivityList {
    /// The activities.
    pub activities: Vec<ActivityView>,
}

/// The activities `pause-all` paused.
#[derive(Serialize, ToSchema)]
pub struct Paused {
    /// Ids of the activities that were active and are now paused.
    pub paused: Vec<String>,
}

/// A user's rewards.
#[derive(Serialize, ToSchema)]
pub struct UserRewards {
    /// The user asked about.
    pub user_id: String,
    /// Their rewards, newest first.
    pub rewards: Vec<LedgerView>,
    /// Pass as `after` for the next page; `null` when this page is the last.
    pub next: Option<String>,
}

/// A prize's new state.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "5f0e0c9a-0d4b-4a59-9c1e-1f2d3c4b5a69", "state": "redeemed"}))]
pub struct Settled {
    /// The reward's public id.
    pub id: String,
    /// `redeemed` or `cancelled`.
    pub state: &'static str,
}

/// An activity's config revisions.
#[derive(Serialize, ToSchema)]
pub struct RevisionList {
    /// Oldest first.
    pub revisions: Vec<RevisionView>,
}

/// A tenant's rate limit per API key; `null` when it has none.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"rate_limit": {"per_second": 50, "burst": 100}}))]
pub struct RateLimitBody {
    /// The limit, or `null` for none.
    pub rate_limit: Option<RateLimit>,
}

/// A tenant's API keys (without their secrets).
#[derive(Serialize, ToSchema)]
pub struct KeyList {
    /// The keys, revoked ones included.
    pub keys: Vec<KeyView>,
}

/// The new key that replaces a rotated one.
#[derive(Serialize, ToSchema)]
pub struct RotatedKey {
    /// The new key, with its secret.
    #[serde(flatten)]
    pub key: IssuedKey,
    /// The id of the key it replaces (revoked now).
    pub replaces: String,
}

/// The groups an activity is enabled on.
#[derive(Serialize, ToSchema)]
pub struct EnablementList {
    /// One entry per group.
    pub groups: Vec<EnablementView>,
}

/// The activities enabled on a group.
#[derive(Serialize, ToSchema)]
pub struct GroupActivities {
    /// One entry per activity.
    pub activities: Vec<EnablementView>,
}

/// The enablements a bulk change touched.
#[derive(Serialize, ToSchema)]
pub struct BulkChanged {
    /// The enablements as they are now.
    pub changed: Vec<EnablementView>,
}

/// A reported conversion.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "order-1001", "recorded": true}))]
pub struct ConversionRecorded {
    /// The conversion's id, as reported.
    pub id: String,
    /// `false` when this id was recorded before (nothing changed).
    pub recorded: bool,
}

/// The tenant's exports.
#[derive(Serialize, ToSchema)]
pub struct ExportList {
    /// Newest first.
    pub exports: Vec<ExportView>,
}

/// Rewards a fulfilment move changed.
#[derive(Serialize, ToSchema)]
pub struct FulfilmentItems {
    /// One entry per reward.
    pub items: Vec<FulfilmentView>,
}

/// What an action returns (stored verbatim for its Idempotency-Key, so a
/// retry gets the same bytes).
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "outcome_id": "0193c4a2-7e00-7000-8000-000000000001",
    "result": {"won": true, "prize": "mug"},
    "rewards": [{"user_id": "u1", "kind": "prize", "item": "mug", "name": "Mug", "amount": 1}]
}))]
pub struct ActionOutcome {
    /// The outcome recorded for this action.
    pub outcome_id: String,
    /// The mechanic's result, as it returned it.
    pub result: serde_json::Value,
    /// Rewards granted by this action.
    pub rewards: Vec<RewardRow>,
}

/// One metric of the dictionary.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    /// Field name in stats and exports.
    pub name: String,
    /// Short label.
    pub label: String,
    /// What it counts.
    pub definition: String,
    /// How it is computed.
    pub formula: String,
}

/// The metric dictionary shared by the API, exports and the console.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricDictionary {
    /// Every metric the stats report.
    pub metrics: Vec<Metric>,
}

/// Every error response: `{"error":{"code","message"}}`.
#[derive(Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"error": {"code": "activity_not_found", "message": "activity \"a1\" not found"}}))]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The error: a stable code and words for people.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: one of the host's codes (`ErrorCode`), or
    /// a mechanic's own refusal (such as `sold_out`), which never uses a
    /// host code.
    #[schema(schema_with = super::openapi::code_schema)]
    pub code: String,
    /// For people; may change between versions.
    pub message: String,
    /// For `invalid_config` and `invalid_payload`: each problem found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Vec<ConfigProblem>>,
}
