//! Activities: creation (config validated by the plugin, stock pools
//! created atomically), lookup with tenant isolation, pause and resume,
//! the fairness commitment, and user views.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tracing::Instrument;

use super::simulate::{Audience, BudgetCheck, BudgetScope};
use super::{ACTIVITY_CACHE_TTL, Arcade, LoadedActivity, blocking};
use crate::clock::{now_ms, parse_rfc3339, parse_timezone, to_rfc3339};
use crate::error::{Error, Result};
use crate::randomness;
use crate::sandbox::{
    CallContext, CallIo, LimitOverrides, Limits, Mode, Plugin, Sandbox, StockPools,
};
use crate::store::{Activity, ActivityStatus, StockLevel};

/// Default time zone of an activity.
pub const DEFAULT_TIMEZONE: &str = "Asia/Shanghai";

/// A request to create an activity.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewActivity {
    /// The group it runs in.
    pub group_id: String,
    /// Plugin name.
    pub plugin: String,
    /// Plugin version; latest if absent.
    #[serde(default)]
    pub plugin_version: Option<String>,
    /// The plugin's config.
    pub config: serde_json::Value,
    /// IANA time zone; `Asia/Shanghai` if absent.
    #[serde(default)]
    pub timezone: Option<String>,
    /// RFC 3339 start.
    #[serde(default)]
    pub starts_at: Option<String>,
    /// RFC 3339 end.
    #[serde(default)]
    pub ends_at: Option<String>,
    /// Unit cost in fen of reward items (prize ids, coupon templates,
    /// `points`, ticket names), for the cost and ROI statistics and the
    /// budget check.
    #[serde(default)]
    pub costs: BTreeMap<String, i64>,
    /// Reward budget in fen: the config is simulated first, and a P95
    /// cost above it refused unless `accept_over_budget`.
    #[serde(default)]
    pub budget_fen: Option<i64>,
    /// The audience to simulate the budget with (default: the group's
    /// reported members, see `simulate/budget.rs`).
    #[serde(default)]
    pub audience: Option<Audience>,
    /// Save even if the simulated P95 cost is above the budget.
    #[serde(default)]
    pub accept_over_budget: bool,
}

/// Most items a costs map may name.
pub const MAX_COST_ITEMS: usize = 1000;
/// Largest unit cost: one million yuan.
pub const MAX_UNIT_COST_FEN: i64 = 100_000_000;

/// A costs map checked: item ids 1 to 64 bytes, costs 0 to
/// [`MAX_UNIT_COST_FEN`].
pub(crate) fn check_costs(costs: &BTreeMap<String, i64>) -> Result<String> {
    if costs.len() > MAX_COST_ITEMS {
        return Err(Error::invalid(
            "invalid_costs",
            format!("at most {MAX_COST_ITEMS} items"),
        ));
    }
    for (item, fen) in costs {
        if item.is_empty() || item.len() > 64 || item.chars().any(char::is_control) {
            return Err(Error::invalid(
                "invalid_costs",
                format!("item {item:?} must be 1 to 64 bytes without control characters"),
            ));
        }
        if !(0..=MAX_UNIT_COST_FEN).contains(fen) {
            return Err(Error::invalid(
                "invalid_costs",
                format!("costs.{item} must be 0 to {MAX_UNIT_COST_FEN} fen"),
            ));
        }
    }
    Ok(serde_json::to_string(costs).expect("costs serialize"))
}

/// An activity as shown to operators.
#[derive(Debug, Clone, Serialize)]
pub struct ActivityView {
    /// Id.
    pub id: String,
    /// Group.
    pub group_id: String,
    /// Plugin name.
    pub plugin: String,
    /// Plugin version.
    pub plugin_version: String,
    /// Plugin hash.
    pub plugin_sha256: String,
    /// Config.
    pub config: serde_json::Value,
    /// Time zone.
    pub timezone: String,
    /// Start (RFC 3339).
    pub starts_at: Option<String>,
    /// End (RFC 3339).
    pub ends_at: Option<String>,
    /// `active` or `paused`.
    pub status: ActivityStatus,
    /// Whether an action now would be accepted.
    pub accepting: bool,
    /// Hash committing to the activity's randomness key.
    pub key_commitment: String,
    /// Stock pools with remaining units.
    pub stock: Vec<StockLevel>,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// The config's current revision (1 at creation).
    pub revision: i64,
    /// The key id that made it (empty if unknown).
    pub revised_by: String,
    /// Units of pools reserved for single groups (see
    /// `GET /v1/activities/{id}/groups`); `stock` is what all other
    /// groups share.
    pub group_shares: Vec<GroupShare>,
    /// In staged mode, the only group whose members may act.
    pub staged_group_id: Option<String>,
    /// Unit costs in fen of reward items.
    pub costs: BTreeMap<String, i64>,
    /// Reward budget in fen, if any.
    pub budget_fen: Option<i64>,
}

/// A group's share of a stock pool.
#[derive(Debug, Clone, Serialize)]
pub struct GroupShare {
    /// The pool.
    pub pool: String,
    /// The group.
    pub group_id: String,
    /// Units reserved.
    pub initial: i64,
    /// Units left.
    pub remaining: i64,
}

/// The fairness record of an activity.
#[derive(Debug, Clone, Serialize)]
pub struct Fairness {
    /// blake3 hash of the activity key, published at creation.
    pub key_commitment: String,
    /// The activity key, revealed once the activity has ended.
    pub key: Option<String>,
    /// When the key is (or was) revealed: the activity's end, RFC 3339;
    /// `None` while the activity has no end.
    pub reveals_at: Option<String>,
    /// How draws derive from the key.
    pub derivation: &'static str,
}

impl Arcade {
    /// Check a draft config against a plugin's schema and its
    /// `validate-config`, saving nothing: the console's live validation.
    /// The error is `422 invalid_config` with a detail per field.
    pub async fn check_draft_config(
        &self,
        plugin: &str,
        version: Option<&str>,
        config: &serde_json::Value,
    ) -> Result<()> {
        crate::text::check_json("config", config)?;
        let rec = self.store.plugin(plugin, version).await?.ok_or_else(|| {
            Error::invalid(
                "unknown_plugin",
                format!(
                    "no plugin {plugin}@{} is registered",
                    version.unwrap_or("latest")
                ),
            )
        })?;
        self.validated_config(&rec, config).await.map(drop)
    }

    /// Create an activity after the plugin accepted its config; `author`
    /// (a key id) made its first revision.
    pub async fn create_activity(
        &self,
        tenant_id: &str,
        req: NewActivity,
        author: &str,
    ) -> Result<ActivityView> {
        crate::text::check_json("config", &req.config)?;
        if self.store.group(tenant_id, &req.group_id).await?.is_none() {
            return Err(Error::not_found("group", &req.group_id));
        }
        let rec = self
            .store
            .plugin(&req.plugin, req.plugin_version.as_deref())
            .await?
            .ok_or_else(|| {
                let v = req.plugin_version.as_deref().unwrap_or("latest");
                Error::invalid(
                    "unknown_plugin",
                    format!("no plugin {}@{v} is registered", req.plugin),
                )
            })?;
        let tz_name = req.timezone.as_deref().unwrap_or(DEFAULT_TIMEZONE);
        parse_timezone(tz_name).ok_or_else(|| {
            Error::invalid(
                "invalid_timezone",
                format!("{tz_name:?} is not an IANA time zone"),
            )
        })?;
        let when = |field: &str, v: &Option<String>| -> Result<Option<i64>> {
            v.as_deref()
                .map(|s| {
                    parse_rfc3339(s).ok_or_else(|| {
                        Error::invalid("invalid_schedule", format!("{field} {s:?} is not RFC 3339"))
                    })
                })
                .transpose()
        };
        let starts_at = when("starts_at", &req.starts_at)?;
        let ends_at = when("ends_at", &req.ends_at)?;
        if let (Some(s), Some(e)) = (starts_at, ends_at)
            && e <= s
        {
            return Err(Error::invalid(
                "invalid_schedule",
                "ends_at must be after starts_at",
            ));
        }
        let (config, stock) = self.validated_config(&rec, &req.config).await?;
        let costs = check_costs(&req.costs)?;
        if let Some(budget_fen) = req.budget_fen {
            let scope = BudgetScope {
                tenant_id,
                group_id: &req.group_id,
                plugin: &rec.name,
                plugin_version: &rec.version,
                timezone: tz_name,
                starts_at,
                ends_at,
            };
            let check = BudgetCheck {
                budget_fen,
                costs: req.costs.clone(),
                audience: req.audience.clone(),
                accept_over_budget: req.accept_over_budget,
            };
            self.check_budget(&scope, &req.config, &check).await?;
        } else if req.audience.is_some() || req.accept_over_budget {
            return Err(Error::invalid(
                "invalid_budget",
                "audience and accept_over_budget go with a budget_fen",
            ));
        }

        let id = self.new_id();
        let activity = Activity {
            key_commitment: randomness::commitment(&self.activity_key(&id)),
            revision: 1,
            revised_by: author.to_owned(),
            id,
            tenant_id: tenant_id.to_owned(),
            group_id: req.group_id,
            plugin: rec.name,
            plugin_version: rec.version,
            plugin_sha256: rec.sha256,
            config,
            timezone: tz_name.to_owned(),
            starts_at,
            ends_at,
            status: ActivityStatus::Active,
            created_at: now_ms(),
            targeting: r#"{"tiers":[],"tags":[]}"#.to_owned(),
            staged_group_id: None,
            costs,
            budget_fen: req.budget_fen,
        };
        self.store.create_activity(&activity, &stock).await?;
        self.activity_view(tenant_id, &activity.id).await
    }

    /// `config` as stored, with the stock pools it declares, once the
    /// host's checks and the plugin's `validate-config` accept it.
    pub(crate) async fn validated_config(
        &self,
        rec: &crate::store::PluginRecord,
        config: &serde_json::Value,
    ) -> Result<(String, Vec<(String, i64)>)> {
        let plugin = self.compiled(&rec.sha256).await?;
        let overrides: LimitOverrides = serde_json::from_str(&rec.limits).unwrap_or_default();
        let limits = self.sandbox.limits_for(&plugin.manifest.budget, &overrides);
        let (sandbox, cfg) = (self.sandbox.clone(), config.clone());
        blocking(move || checked_config(&sandbox, &plugin, &limits, &cfg)).await?
    }

    /// Load an activity for running, from the cache when fresh. Foreign
    /// tenants get `activity_not_found`.
    pub(crate) async fn load_activity(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> Result<Arc<LoadedActivity>> {
        let fresh = || {
            self.activities
                .read()
                .expect("lock")
                .get(id)
                .filter(|a| a.loaded_at.elapsed() < ACTIVITY_CACHE_TTL)
                .cloned()
        };
        let mut cached = fresh();
        // A crowd's requests all miss at once (first use, or the entry
        // aging out): one reads the activity, the rest wait and find it.
        let _turn = match cached {
            Some(_) => None,
            None => {
                let turn = self.loading.turn(&format!("activity:{id}")).await;
                cached = fresh();
                Some(turn)
            }
        };
        let loaded = match cached {
            Some(a) => a,
            None => {
                let record = self
                    .store
                    .activity(id)
                    .await?
                    .ok_or_else(|| Error::not_found("activity", id))?;
                let plugin = self.compiled(&record.plugin_sha256).await?;
                let overrides = match self
                    .store
                    .plugin(&record.plugin, Some(&record.plugin_version))
                    .await?
                {
                    Some(p) => serde_json::from_str(&p.limits).unwrap_or_default(),
                    None => LimitOverrides::default(),
                };
                let limits = self.sandbox.limits_for(&plugin.manifest.budget, &overrides);
                let timezone = parse_timezone(&record.timezone).ok_or_else(|| {
                    Error::Internal(format!("stored time zone {:?} is unknown", record.timezone))
                })?;
                let groups = self
                    .store
                    .enablements(&record.id)
                    .await?
                    .into_iter()
                    .map(|e| (e.group_id.clone(), e))
                    .collect();
                let loaded = Arc::new(LoadedActivity {
                    key: self.activity_key(&record.id),
                    groups,
                    record,
                    plugin,
                    limits,
                    timezone,
                    loaded_at: Instant::now(),
                });
                self.activities
                    .write()
                    .expect("lock")
                    .insert(id.to_owned(), loaded.clone());
                loaded
            }
        };
        if loaded.record.tenant_id != tenant_id {
            return Err(Error::not_found("activity", id));
        }
        Ok(loaded)
    }

    /// An activity with its stock, for operators.
    pub async fn activity_view(&self, tenant_id: &str, id: &str) -> Result<ActivityView> {
        let a = self
            .store
            .activity(id)
            .await?
            .filter(|a| a.tenant_id == tenant_id)
            .ok_or_else(|| Error::not_found("activity", id))?;
        let stock = self.store.stock(id).await?;
        Ok(view_of(a, stock, self.now()))
    }

    /// Replace an activity's reward unit costs; counts already made keep
    /// the costs they were made with.
    pub async fn set_costs(
        &self,
        tenant_id: &str,
        id: &str,
        costs: &BTreeMap<String, i64>,
    ) -> Result<ActivityView> {
        match self.store.activity(id).await? {
            Some(a) if a.tenant_id == tenant_id => {}
            _ => return Err(Error::not_found("activity", id)),
        }
        self.store
            .set_activity_costs(id, &check_costs(costs)?)
            .await?;
        self.activity_view(tenant_id, id).await
    }

    /// A tenant's activities, optionally in one group.
    pub async fn activities(
        &self,
        tenant_id: &str,
        group_id: Option<&str>,
    ) -> Result<Vec<ActivityView>> {
        let list = self.store.activities(tenant_id, group_id).await?;
        let mut out = Vec::with_capacity(list.len());
        for a in list {
            let stock = self.store.stock(&a.id).await?;
            out.push(view_of(a, stock, self.now()));
        }
        Ok(out)
    }

    /// Pause or resume.
    pub async fn set_activity_status(
        &self,
        tenant_id: &str,
        id: &str,
        status: ActivityStatus,
    ) -> Result<ActivityView> {
        self.activity_view(tenant_id, id).await?;
        self.store.set_activity_status(id, status).await?;
        self.forget_activity(id);
        self.activity_view(tenant_id, id).await
    }

    /// The kill switch: pause every active activity of the tenant. Returns
    /// the ids it paused (oldest first); already paused ones are left as
    /// they are, and each is resumed on its own.
    pub async fn pause_all(&self, tenant_id: &str) -> Result<Vec<String>> {
        let mut paused = Vec::new();
        for a in self.store.activities(tenant_id, None).await? {
            if a.status == ActivityStatus::Active {
                self.store
                    .set_activity_status(&a.id, ActivityStatus::Paused)
                    .await?;
                self.forget_activity(&a.id);
                paused.push(a.id);
            }
        }
        Ok(paused)
    }

    /// The commitment, and the key once the activity has ended.
    pub async fn fairness(&self, tenant_id: &str, id: &str) -> Result<Fairness> {
        let a = self.load_activity(tenant_id, id).await?;
        let ended = a.record.ends_at.is_some_and(|e| e <= self.now());
        Ok(Fairness {
            key_commitment: a.record.key_commitment.clone(),
            key: ended.then(|| hex::encode(a.key)),
            reveals_at: a.record.ends_at.map(crate::clock::to_rfc3339),
            derivation: arcade_verify::DERIVATION,
        })
    }

    /// The mechanic's view, for a viewer or (contract 0.2) an anonymous
    /// one, with the platform's query: every query parameter but
    /// `user_id`, as a JSON object of strings. A 0.1 view takes no query
    /// and always has a viewer.
    pub async fn view(
        &self,
        tenant_id: &str,
        id: &str,
        user_id: Option<&str>,
        query: &std::collections::BTreeMap<String, String>,
    ) -> Result<serde_json::Value> {
        let a = self.load_activity(tenant_id, id).await?;
        let legacy = a.plugin.contract() == "0.1.0";
        let user_id = match user_id {
            Some(user) => {
                check_user_id(user)?;
                user
            }
            None if legacy => {
                return Err(Error::invalid(
                    "invalid_user_id",
                    "user_id is required: this activity's plugin (contract 0.1) has no anonymous view",
                ));
            }
            None => "",
        };
        if legacy && !query.is_empty() {
            return Err(Error::invalid(
                "view_query_unsupported",
                format!(
                    "this activity's plugin (contract 0.1) takes no view query; drop {}",
                    query
                        .keys()
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let query =
            serde_json::to_string(query).map_err(|e| Error::Internal(format!("query: {e}")))?;
        if !user_id.is_empty() {
            let day = crate::clock::business_date(a.timezone, self.now());
            self.viewers
                .note(id, crate::clock::format_day(day), user_id);
        }
        let snapshot = self.store.snapshot(id, user_id).await?;
        let loader = Box::new(self.loader(&a, user_id));
        let io = CallIo::live(
            Mode::ReadOnly,
            user_id,
            a.timezone,
            self.now(),
            snapshot,
            None,
            Some(loader),
        );
        let (sandbox, user) = (self.sandbox.clone(), user_id.to_owned());
        let a2 = a.clone();
        let manifest = &a.plugin.manifest;
        let span = tracing::info_span!(
            "plugin_call",
            activity_id = %id,
            plugin = %manifest.name,
            version = %manifest.version,
            kind = "view",
            fuel = tracing::field::Empty,
            result = tracing::field::Empty,
        );
        let report = blocking(move || {
            let ctx = CallContext {
                activity_id: &a2.record.id,
                user_id: &user,
                config: &a2.record.config,
                call_id: "",
            };
            sandbox.view(&a2.plugin, &a2.limits, io, &ctx, &query)
        })
        .instrument(span.clone())
        .await?;
        tracing::debug!(target: "arcade::fuel", fuel_used = report.fuel_used, "plugin view");
        let result = match &report.result {
            Ok(Ok(_)) => "ok",
            Ok(Err(_)) => "refused",
            Err(failure) => failure.code(),
        };
        span.record("fuel", report.fuel_used);
        span.record("result", result);
        self.metrics.plugin_call(&crate::metrics::PluginCall {
            plugin: &manifest.name,
            version: &manifest.version,
            kind: "view",
            result,
            fuel: report.fuel_used,
        });
        let text = report.result?.map_err(Error::Guest)?;
        serde_json::from_str(&text).map_err(|e| Error::Internal(format!("view JSON: {e}")))
    }
}

/// `config` as stored, with its stock pools, once the host's checks and
/// `plugin`'s `validate-config` accept it (blocking).
pub(crate) fn checked_config(
    sandbox: &Sandbox,
    plugin: &Plugin,
    limits: &Limits,
    config: &serde_json::Value,
) -> Result<(String, StockPools)> {
    if !config.is_object() {
        return Err(Error::invalid(
            "invalid_config",
            "config must be a JSON object",
        ));
    }
    crate::text::check_json("config", config)?;
    // Before the plugin sees it: numbers must fit the i64 columns and
    // s64 fields they may end up in, whatever the plugin makes of them.
    let out_of_range = crate::text::out_of_range(config);
    if !out_of_range.is_empty() {
        return Err(Error::InvalidConfig(out_of_range));
    }
    // The schema the plugin declared, before the plugin runs.
    let problems = plugin.schemas.check_config(config);
    if !problems.is_empty() {
        return Err(Error::InvalidConfig(problems));
    }
    let config = config.to_string();
    let stock = sandbox
        .validate_config(plugin, limits, &config)?
        .map_err(Error::InvalidConfig)?;
    Ok((config, stock))
}

/// User ids are the platform's; they must be short and printable.
pub(crate) fn check_user_id(user_id: &str) -> Result<()> {
    if user_id.is_empty()
        || user_id.len() > 128
        || user_id.starts_with('#')
        || user_id.chars().any(char::is_control)
    {
        return Err(Error::invalid(
            "invalid_user_id",
            "user_id must be 1 to 128 bytes, not start with '#', and have no control characters",
        ));
    }
    Ok(())
}

fn view_of(a: Activity, all_stock: Vec<StockLevel>, now: i64) -> ActivityView {
    let mut stock = Vec::with_capacity(all_stock.len());
    let mut group_shares = Vec::new();
    for s in all_stock {
        match crate::store::enablements::split_pool(&s.pool) {
            (pool, Some(group)) => group_shares.push(GroupShare {
                pool: pool.to_owned(),
                group_id: group.to_owned(),
                initial: s.initial,
                remaining: s.remaining,
            }),
            _ => stock.push(s),
        }
    }
    let accepting = a.status == ActivityStatus::Active
        && a.starts_at.is_none_or(|s| s <= now)
        && a.ends_at.is_none_or(|e| now < e);
    ActivityView {
        config: serde_json::from_str(&a.config).unwrap_or(serde_json::Value::Null),
        id: a.id,
        group_id: a.group_id,
        plugin: a.plugin,
        plugin_version: a.plugin_version,
        plugin_sha256: a.plugin_sha256,
        timezone: a.timezone,
        starts_at: a.starts_at.map(to_rfc3339),
        ends_at: a.ends_at.map(to_rfc3339),
        status: a.status,
        accepting,
        key_commitment: a.key_commitment,
        stock,
        created_at: to_rfc3339(a.created_at),
        revision: a.revision,
        revised_by: a.revised_by,
        group_shares,
        staged_group_id: a.staged_group_id,
        costs: serde_json::from_str(&a.costs).unwrap_or_default(),
        budget_fen: a.budget_fen,
    }
}
