//! Groups (社群): each has a tier from its tenant's ordered list, free
//! tags, and a member count, the denominator of participation rates. The
//! platform reports the count outright, or who joined and left: then the
//! host keeps the member set and moves the count with it.

use serde::{Deserialize, Serialize};

use super::Arcade;
use super::activities::check_user_id;
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::store::{Group, MemberEvent};

/// Most tiers a tenant may define.
pub const MAX_TIERS: usize = 10;
/// Most tags on one group.
pub const MAX_TAGS: usize = 20;
/// Longest tier name or tag, in characters.
pub const MAX_LABEL_CHARS: usize = 32;
/// Largest member count a platform may report.
pub const MAX_MEMBERS: i64 = 100_000_000;
/// Most join and leave events in one report.
pub const MAX_MEMBER_EVENTS: usize = 1_000;

/// `POST /v1/groups`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroup {
    /// Display name, 1 to 200 characters.
    pub name: String,
    /// One of the tenant's tiers; the lowest if absent.
    #[serde(default)]
    pub tier: Option<String>,
    /// Free tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

impl NewGroup {
    /// A group of the lowest tier with no tags.
    pub fn named(name: &str) -> NewGroup {
        NewGroup {
            name: name.to_owned(),
            tier: None,
            tags: Vec::new(),
        }
    }
}

/// `PATCH /v1/groups/{id}`: what is given changes, the rest stays.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupPatch {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New tier.
    #[serde(default)]
    pub tier: Option<String>,
    /// New tags, replacing the old.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
}

/// `POST /v1/groups/{id}/members/events`: who joined and left, in the
/// order it happened.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberEvents {
    /// At most [`MAX_MEMBER_EVENTS`].
    pub events: Vec<MemberEvent>,
}

/// A group after a report of member events.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MembersChanged {
    /// The group, with its new count.
    #[serde(flatten)]
    pub group: Group,
    /// How many of the events changed the member set (a join of a member
    /// or a leave of a non-member does not).
    pub changed: usize,
}

/// Which groups to list.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct GroupFilter {
    /// Only groups of this tier.
    #[serde(default)]
    pub tier: Option<String>,
    /// Only groups with this tag.
    #[serde(default)]
    pub tag: Option<String>,
}

impl GroupFilter {
    fn keeps(&self, g: &Group) -> bool {
        self.tier.as_ref().is_none_or(|t| &g.tier == t)
            && self.tag.as_ref().is_none_or(|t| g.tags.contains(t))
    }
}

fn check_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::invalid(
            "invalid_name",
            "name must be 1 to 200 characters",
        ));
    }
    Ok(name.to_owned())
}

/// A tier name or tag: trimmed, 1 to [`MAX_LABEL_CHARS`] characters.
fn check_label(what: &'static str, code: &'static str, s: &str) -> Result<String> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > MAX_LABEL_CHARS {
        return Err(Error::invalid(
            code,
            format!("each {what} must be 1 to {MAX_LABEL_CHARS} characters"),
        ));
    }
    Ok(s.to_owned())
}

/// Tags trimmed, checked, sorted, without duplicates.
pub(crate) fn check_tags(tags: &[String]) -> Result<Vec<String>> {
    let mut out = tags
        .iter()
        .map(|t| check_label("tag", "invalid_tags", t))
        .collect::<Result<Vec<_>>>()?;
    out.sort();
    out.dedup();
    if out.len() > MAX_TAGS {
        return Err(Error::invalid(
            "invalid_tags",
            format!("a group has at most {MAX_TAGS} tags"),
        ));
    }
    Ok(out)
}

impl Arcade {
    /// The tenant's tiers, lowest first.
    pub async fn tiers(&self, tenant_id: &str) -> Result<Vec<String>> {
        self.store
            .tiers(tenant_id)
            .await?
            .ok_or_else(|| Error::not_found("tenant", tenant_id))
    }

    /// Replace the tenant's tiers (1 to [`MAX_TIERS`] distinct names, lowest
    /// first). A tier some group still has cannot be dropped.
    pub async fn set_tiers(&self, tenant_id: &str, tiers: &[String]) -> Result<Vec<String>> {
        let tiers = tiers
            .iter()
            .map(|t| check_label("tier", "invalid_tiers", t))
            .collect::<Result<Vec<_>>>()?;
        let mut distinct = tiers.clone();
        distinct.sort();
        distinct.dedup();
        if tiers.is_empty() || tiers.len() > MAX_TIERS || distinct.len() != tiers.len() {
            return Err(Error::invalid(
                "invalid_tiers",
                format!("tiers must be 1 to {MAX_TIERS} distinct names"),
            ));
        }
        let groups = self.store.groups(tenant_id).await?;
        if let Some(g) = groups.iter().find(|g| !tiers.contains(&g.tier)) {
            return Err(Error::conflict(
                "tier_in_use",
                format!(
                    "group {} is in tier {:?}; move it before dropping the tier",
                    g.id, g.tier
                ),
            ));
        }
        self.store.set_tiers(tenant_id, &tiers).await?;
        Ok(tiers)
    }

    /// `tier` if it is one of the tenant's, else `invalid_tier`.
    async fn known_tier(&self, tenant_id: &str, tier: Option<&str>) -> Result<String> {
        let tiers = self.tiers(tenant_id).await?;
        match tier.map(str::trim) {
            None => Ok(tiers.first().cloned().unwrap_or_default()),
            Some(t) if tiers.iter().any(|x| x == t) => Ok(t.to_owned()),
            Some(t) => Err(Error::invalid(
                "invalid_tier",
                format!("{t:?} is not one of the tenant's tiers {tiers:?}"),
            )),
        }
    }

    /// Create a group.
    pub async fn create_group(&self, tenant_id: &str, new: NewGroup) -> Result<Group> {
        let group = Group {
            id: uuid::Uuid::now_v7().to_string(),
            name: check_name(&new.name)?,
            tier: self.known_tier(tenant_id, new.tier.as_deref()).await?,
            tags: check_tags(&new.tags)?,
            members: None,
            members_at: None,
            created_at: now_ms(),
        };
        self.store.create_group(tenant_id, &group).await?;
        self.sync_targetings(tenant_id).await?;
        Ok(group)
    }

    /// Change a group's name, tier or tags.
    pub async fn update_group(
        &self,
        tenant_id: &str,
        id: &str,
        patch: GroupPatch,
    ) -> Result<Group> {
        let mut group = self.group(tenant_id, id).await?;
        if let Some(name) = &patch.name {
            group.name = check_name(name)?;
        }
        if let Some(tier) = &patch.tier {
            group.tier = self.known_tier(tenant_id, Some(tier)).await?;
        }
        if let Some(tags) = &patch.tags {
            group.tags = check_tags(tags)?;
        }
        if !self.store.update_group(tenant_id, &group).await? {
            return Err(Error::not_found("group", id));
        }
        self.sync_targetings(tenant_id).await?;
        Ok(group)
    }

    /// Record the member count a platform reports for a group. It
    /// replaces the count outright; the member set kept from join events
    /// stays as it is, and later events move the count from this one.
    pub async fn set_group_members(&self, tenant_id: &str, id: &str, count: i64) -> Result<Group> {
        if !(0..=MAX_MEMBERS).contains(&count) {
            return Err(Error::invalid(
                "invalid_members",
                format!("count must be 0 to {MAX_MEMBERS}"),
            ));
        }
        if !self
            .store
            .set_group_members(tenant_id, id, count, now_ms())
            .await?
        {
            return Err(Error::not_found("group", id));
        }
        self.group(tenant_id, id).await
    }

    /// Apply join and leave events to a group's member set, in order; the
    /// count moves by one for each event that changes the set, from
    /// whatever it was (a count set by [`Arcade::set_group_members`]
    /// included). Repeating a report changes nothing.
    pub async fn apply_member_events(
        &self,
        tenant_id: &str,
        id: &str,
        events: &[MemberEvent],
    ) -> Result<MembersChanged> {
        if events.len() > MAX_MEMBER_EVENTS {
            return Err(Error::invalid(
                "too_many_events",
                format!(
                    "{} events; at most {MAX_MEMBER_EVENTS} per request, send the rest in another",
                    events.len()
                ),
            ));
        }
        for (i, e) in events.iter().enumerate() {
            check_user_id(&e.user_id)
                .map_err(|err| Error::invalid("invalid_user_id", format!("events[{i}]: {err}")))?;
        }
        let (group, changed) = self
            .store
            .apply_member_events(tenant_id, id, events, now_ms())
            .await?
            .ok_or_else(|| Error::not_found("group", id))?;
        Ok(MembersChanged { group, changed })
    }

    /// One group of the tenant.
    pub async fn group(&self, tenant_id: &str, id: &str) -> Result<Group> {
        self.store
            .group(tenant_id, id)
            .await?
            .ok_or_else(|| Error::not_found("group", id))
    }

    /// The tenant's groups that pass `filter`, oldest first.
    pub async fn groups(&self, tenant_id: &str, filter: &GroupFilter) -> Result<Vec<Group>> {
        let groups = self.store.groups(tenant_id).await?;
        Ok(groups.into_iter().filter(|g| filter.keeps(g)).collect())
    }
}
