//! One activity on many groups. An activity is always enabled in its home
//! group (the one it was created in) unless an enablement row for that
//! group says otherwise, and in every other group that has a row: set by
//! an operator (`explicit`), or by the activity's targeting rules (`rule`:
//! every group of some tiers or with some tags, re-evaluated whenever a
//! group is created or changed and whenever the rules change). A row may
//! switch its group off, override the schedule, and reserve a share of
//! stock pools for the group. Staged mode lets only one test group act.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::Arcade;
use super::groups::check_tags;
use crate::clock::{now_ms, parse_rfc3339, to_rfc3339};
use crate::error::{Error, Result};
use crate::store::enablements::split_pool;
use crate::store::{Activity, Enablement, Group, StockLevel, StoreError};

/// `PUT /v1/activities/{id}/groups/{group_id}`: enable the activity in a
/// group, with overrides.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnablementSpec {
    /// `false` switches the group off (it refuses actions with
    /// `group_disabled`); `true` if absent.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// RFC 3339; overrides the activity's start in this group.
    #[serde(default)]
    pub starts_at: Option<String>,
    /// RFC 3339; overrides the activity's end in this group.
    #[serde(default)]
    pub ends_at: Option<String>,
    /// Units of each pool reserved for this group; 0 gives the share back
    /// (what the group already claimed stays claimed).
    #[serde(default)]
    pub stock_share: BTreeMap<String, i64>,
}

/// `POST /v1/activities/{id}/groups/bulk`: enable or disable the activity
/// in many groups at once, by id, tier or tag.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkEnablement {
    /// Groups by id.
    #[serde(default)]
    pub group_ids: Vec<String>,
    /// Every group of this tier.
    #[serde(default)]
    pub tier: Option<String>,
    /// Every group with this tag.
    #[serde(default)]
    pub tag: Option<String>,
    /// On or off.
    pub enabled: bool,
}

/// An activity's targeting rules: enabled in every group of one of `tiers`
/// or with one of `tags`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Targeting {
    /// Tiers, from the tenant's list.
    #[serde(default)]
    pub tiers: Vec<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

impl Targeting {
    fn matches(&self, g: &Group) -> bool {
        self.tiers.contains(&g.tier) || g.tags.iter().any(|t| self.tags.contains(t))
    }

    fn is_empty(&self) -> bool {
        self.tiers.is_empty() && self.tags.is_empty()
    }
}

/// `POST /v1/activities/{id}/stage`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageRequest {
    /// The test group: the only one whose members may act while staged.
    pub group_id: String,
}

/// An activity in one group, as operators see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EnablementView {
    /// The activity.
    pub activity_id: String,
    /// The group.
    pub group_id: String,
    /// `home` (the group it was created in, no override), `explicit` or
    /// `rule`.
    pub source: String,
    /// Whether the group may act.
    pub enabled: bool,
    /// Start in this group (RFC 3339), the activity's unless overridden.
    pub starts_at: Option<String>,
    /// End in this group (RFC 3339), the activity's unless overridden.
    pub ends_at: Option<String>,
    /// Units reserved for the group, by pool.
    pub stock_share: BTreeMap<String, i64>,
    /// The group's shares: size and what is left.
    pub stock: Vec<StockLevel>,
}

/// Where a group stands for an action: its schedule, or why it may not act.
pub(crate) struct GroupGate {
    pub(crate) starts_at: Option<i64>,
    pub(crate) ends_at: Option<i64>,
}

/// Whether `group` may act in `a` (with enablements `rows`), and its
/// schedule if so.
pub(crate) fn gate(
    a: &Activity,
    rows: &BTreeMap<String, Enablement>,
    group: &str,
) -> Result<GroupGate> {
    let activity_schedule = GroupGate {
        starts_at: a.starts_at,
        ends_at: a.ends_at,
    };
    if let Some(staged) = &a.staged_group_id {
        if staged != group {
            return Err(Error::conflict(
                "activity_staged",
                format!("the activity is staged: only members of group {staged} may act"),
            ));
        }
        return Ok(activity_schedule);
    }
    match rows.get(group) {
        None if group == a.group_id => Ok(activity_schedule),
        None => Err(Error::conflict(
            "group_not_enabled",
            format!("the activity is not enabled in group {group}"),
        )),
        Some(e) if !e.enabled => Err(Error::conflict(
            "group_disabled",
            format!("the activity is switched off in group {group}"),
        )),
        Some(e) => Ok(GroupGate {
            starts_at: e.starts_at.or(a.starts_at),
            ends_at: e.ends_at.or(a.ends_at),
        }),
    }
}

fn time(field: &str, v: &Option<String>) -> Result<Option<i64>> {
    v.as_deref()
        .map(|s| {
            parse_rfc3339(s).ok_or_else(|| {
                Error::invalid("invalid_schedule", format!("{field} {s:?} is not RFC 3339"))
            })
        })
        .transpose()
}

impl Arcade {
    /// The activity of the tenant, or 404.
    async fn tenant_activity(&self, tenant_id: &str, id: &str) -> Result<Activity> {
        match self.store.activity(id).await? {
            Some(a) if a.tenant_id == tenant_id => Ok(a),
            _ => Err(Error::not_found("activity", id)),
        }
    }

    /// Every group the activity is in, the home group first.
    pub async fn activity_groups(&self, tenant_id: &str, id: &str) -> Result<Vec<EnablementView>> {
        let a = self.tenant_activity(tenant_id, id).await?;
        let rows = self.store.enablements(id).await?;
        let stock = self.store.stock(id).await?;
        let mut views = Vec::with_capacity(rows.len() + 1);
        if !rows.iter().any(|e| e.group_id == a.group_id) {
            views.push(home_view(&a));
        }
        views.extend(rows.iter().map(|e| view(&a, e, &stock)));
        views.sort_by_key(|v| v.group_id != a.group_id);
        Ok(views)
    }

    /// Every activity a group is in (home or enabled), oldest first.
    pub async fn group_activities(
        &self,
        tenant_id: &str,
        group_id: &str,
    ) -> Result<Vec<EnablementView>> {
        self.group(tenant_id, group_id).await?;
        let rows: BTreeMap<String, Enablement> = self
            .store
            .group_enablements(group_id)
            .await?
            .into_iter()
            .map(|e| (e.activity_id.clone(), e))
            .collect();
        let mut views = Vec::new();
        for a in self.store.activities(tenant_id, None).await? {
            match rows.get(&a.id) {
                Some(e) => {
                    let stock = self.store.stock(&a.id).await?;
                    views.push(view(&a, e, &stock));
                }
                None if a.group_id == group_id => views.push(home_view(&a)),
                None => {}
            }
        }
        Ok(views)
    }

    /// Enable the activity in a group, with overrides.
    pub async fn enable_group(
        &self,
        tenant_id: &str,
        id: &str,
        group_id: &str,
        spec: EnablementSpec,
    ) -> Result<EnablementView> {
        let a = self.tenant_activity(tenant_id, id).await?;
        self.group(tenant_id, group_id).await?;
        let starts_at = time("starts_at", &spec.starts_at)?;
        let ends_at = time("ends_at", &spec.ends_at)?;
        if let (Some(s), Some(e)) = (starts_at.or(a.starts_at), ends_at.or(a.ends_at))
            && e <= s
        {
            return Err(Error::invalid(
                "invalid_schedule",
                "ends_at must be after starts_at",
            ));
        }
        let pools: BTreeSet<String> = self
            .store
            .stock(id)
            .await?
            .into_iter()
            .filter(|s| split_pool(&s.pool).1.is_none())
            .map(|s| s.pool)
            .collect();
        for (pool, share) in &spec.stock_share {
            if !pools.contains(pool) {
                return Err(Error::invalid(
                    "invalid_stock_share",
                    format!("the activity has no stock pool {pool:?} (pools: {pools:?})"),
                ));
            }
            if *share < 0 {
                return Err(Error::invalid(
                    "invalid_stock_share",
                    format!("the share of {pool:?} must be 0 or more"),
                ));
            }
        }
        let e = Enablement {
            activity_id: id.to_owned(),
            group_id: group_id.to_owned(),
            source: "explicit".to_owned(),
            enabled: spec.enabled.unwrap_or(true),
            starts_at,
            ends_at,
            stock_share: spec.stock_share,
            updated_at: now_ms(),
        };
        self.store
            .put_enablement(&e)
            .await
            .map_err(|err| match err {
                StoreError::StockShort { pool, available } => Error::conflict(
                    "stock_short",
                    format!("pool {pool:?} has only {available} units left to share"),
                ),
                StoreError::StockClaimed { pool, claimed } => Error::conflict(
                    "stock_below_claimed",
                    format!("group {group_id} already claimed {claimed} of {pool:?}"),
                ),
                other => other.into(),
            })?;
        self.forget_activity(id);
        self.activity_groups(tenant_id, id)
            .await?
            .into_iter()
            .find(|v| v.group_id == group_id)
            .ok_or_else(|| Error::not_found("group", group_id))
    }

    /// Remove a group's enablement (its unclaimed shares go back to the
    /// shared pools). The home group returns to its default: enabled on
    /// the activity's schedule. A group an targeting rule matches gets its
    /// rule enablement back.
    pub async fn remove_group(&self, tenant_id: &str, id: &str, group_id: &str) -> Result<()> {
        let a = self.tenant_activity(tenant_id, id).await?;
        if !self.store.delete_enablement(id, group_id).await? {
            return Err(Error::not_found("group enablement", group_id));
        }
        self.forget_activity(id);
        self.sync_targeting(&a).await
    }

    /// Enable or disable in bulk; returns the groups changed.
    pub async fn bulk_enable(
        &self,
        tenant_id: &str,
        id: &str,
        bulk: BulkEnablement,
    ) -> Result<Vec<EnablementView>> {
        self.tenant_activity(tenant_id, id).await?;
        if bulk.group_ids.is_empty() && bulk.tier.is_none() && bulk.tag.is_none() {
            return Err(Error::invalid(
                "invalid_selection",
                "name groups by group_ids, tier or tag",
            ));
        }
        let groups = self.store.groups(tenant_id).await?;
        for g in &bulk.group_ids {
            if !groups.iter().any(|x| &x.id == g) {
                return Err(Error::not_found("group", g));
            }
        }
        let rows: BTreeMap<String, Enablement> = self
            .store
            .enablements(id)
            .await?
            .into_iter()
            .map(|e| (e.group_id.clone(), e))
            .collect();
        let chosen: Vec<&Group> = groups
            .iter()
            .filter(|g| {
                bulk.group_ids.contains(&g.id)
                    || bulk.tier.as_ref().is_some_and(|t| &g.tier == t)
                    || bulk.tag.as_ref().is_some_and(|t| g.tags.contains(t))
            })
            .collect();
        let now = now_ms();
        for g in &chosen {
            // Keep a row's overrides; only the switch changes.
            let mut e = rows.get(&g.id).cloned().unwrap_or(Enablement {
                activity_id: id.to_owned(),
                group_id: g.id.clone(),
                source: "explicit".to_owned(),
                enabled: bulk.enabled,
                starts_at: None,
                ends_at: None,
                stock_share: BTreeMap::new(),
                updated_at: now,
            });
            e.source = "explicit".to_owned();
            e.enabled = bulk.enabled;
            e.stock_share = BTreeMap::new();
            e.updated_at = now;
            self.store.put_enablement(&e).await?;
        }
        self.forget_activity(id);
        let changed: BTreeSet<&str> = chosen.iter().map(|g| g.id.as_str()).collect();
        Ok(self
            .activity_groups(tenant_id, id)
            .await?
            .into_iter()
            .filter(|v| changed.contains(v.group_id.as_str()))
            .collect())
    }

    /// Replace the activity's targeting rules and apply them at once.
    pub async fn set_targeting(
        &self,
        tenant_id: &str,
        id: &str,
        targeting: Targeting,
    ) -> Result<Targeting> {
        let mut a = self.tenant_activity(tenant_id, id).await?;
        let tiers = self.tiers(tenant_id).await?;
        if let Some(t) = targeting.tiers.iter().find(|t| !tiers.contains(t)) {
            return Err(Error::invalid(
                "invalid_tier",
                format!("{t:?} is not one of the tenant's tiers {tiers:?}"),
            ));
        }
        let targeting = Targeting {
            tiers: {
                let mut t = targeting.tiers;
                t.sort();
                t.dedup();
                t
            },
            tags: check_tags(&targeting.tags)?,
        };
        a.targeting = serde_json::to_string(&targeting).expect("targeting serializes");
        self.store.set_targeting(id, &a.targeting).await?;
        self.sync_targeting(&a).await?;
        self.forget_activity(id);
        Ok(targeting)
    }

    /// The activity's targeting rules.
    pub async fn targeting(&self, tenant_id: &str, id: &str) -> Result<Targeting> {
        let a = self.tenant_activity(tenant_id, id).await?;
        Ok(parse_targeting(&a))
    }

    /// Re-evaluate the targeting rules of every activity of the tenant (a
    /// group was created or changed).
    pub(crate) async fn sync_targetings(&self, tenant_id: &str) -> Result<()> {
        for a in self.store.activities(tenant_id, None).await? {
            if !parse_targeting(&a).is_empty() {
                self.sync_targeting(&a).await?;
                self.forget_activity(&a.id);
            }
        }
        Ok(())
    }

    async fn sync_targeting(&self, a: &Activity) -> Result<()> {
        let targeting = parse_targeting(a);
        let groups = self.store.groups(&a.tenant_id).await?;
        let rows = self.store.enablements(&a.id).await?;
        let add: Vec<String> = groups
            .iter()
            .filter(|g| targeting.matches(g) && !rows.iter().any(|e| e.group_id == g.id))
            .map(|g| g.id.clone())
            .collect();
        let remove: Vec<String> = rows
            .iter()
            .filter(|e| e.source == "rule")
            .filter(|e| {
                !groups
                    .iter()
                    .any(|g| g.id == e.group_id && targeting.matches(g))
            })
            .map(|e| e.group_id.clone())
            .collect();
        if !add.is_empty() || !remove.is_empty() {
            self.store
                .sync_rule_enablements(&a.id, &add, &remove, now_ms())
                .await?;
        }
        Ok(())
    }

    /// Stage the activity in a test group (only its members may act), or
    /// take it live with `None`.
    pub async fn stage(&self, tenant_id: &str, id: &str, group: Option<&str>) -> Result<()> {
        self.tenant_activity(tenant_id, id).await?;
        if let Some(g) = group {
            self.group(tenant_id, g).await?;
        }
        self.store.set_staged(id, group).await?;
        self.forget_activity(id);
        Ok(())
    }
}

fn parse_targeting(a: &Activity) -> Targeting {
    serde_json::from_str(&a.targeting).unwrap_or_default()
}

fn home_view(a: &Activity) -> EnablementView {
    EnablementView {
        activity_id: a.id.clone(),
        group_id: a.group_id.clone(),
        source: "home".to_owned(),
        enabled: true,
        starts_at: a.starts_at.map(to_rfc3339),
        ends_at: a.ends_at.map(to_rfc3339),
        stock_share: BTreeMap::new(),
        stock: Vec::new(),
    }
}

fn view(a: &Activity, e: &Enablement, stock: &[StockLevel]) -> EnablementView {
    EnablementView {
        activity_id: a.id.clone(),
        group_id: e.group_id.clone(),
        source: e.source.clone(),
        enabled: e.enabled,
        starts_at: e.starts_at.or(a.starts_at).map(to_rfc3339),
        ends_at: e.ends_at.or(a.ends_at).map(to_rfc3339),
        stock_share: e.stock_share.clone(),
        stock: stock
            .iter()
            .filter_map(|s| match split_pool(&s.pool) {
                (pool, Some(g)) if g == e.group_id => Some(StockLevel {
                    pool: pool.to_owned(),
                    initial: s.initial,
                    remaining: s.remaining,
                }),
                _ => None,
            })
            .collect(),
    }
}
