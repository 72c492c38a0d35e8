//! Groups × activities: a row per group (filtered and sorted by tier and
//! tag), a column per activity, each cell the group's switch for that
//! activity with its override; bulk switching for a tier or a tag.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Chrome, Problem, render};
use crate::console::session::Session;
use crate::service::{
    ActivityView, Arcade, BulkEnablement, EnablementSpec, EnablementView, GroupFilter,
};
use crate::store::Group;

/// `?tier=&tag=&sort=`.
#[derive(Debug, Default, Deserialize)]
pub struct Filter {
    #[serde(default)]
    tier: Option<String>,
    #[serde(default)]
    tag: Option<String>,
    /// `tier` (default) or `name`.
    #[serde(default)]
    sort: Option<String>,
}

/// One cell: a group's switch for an activity.
pub struct Cell {
    pub activity_id: String,
    pub group_id: String,
    pub enabled: bool,
    /// `home`, `explicit`, `rule` or `off` (no enablement).
    pub source: String,
    /// The group's own start/end or stock share, shown under the switch.
    pub overrides: Vec<String>,
    /// What the switch switches, for screen readers: group and activity.
    pub label: String,
}

impl Cell {
    /// The catalogue key of where the switch comes from.
    pub fn source_key(&self) -> &'static str {
        match self.source.as_str() {
            "home" => "source_home",
            "explicit" => "source_explicit",
            "rule" => "source_rule",
            _ => "source_off",
        }
    }
}

/// A row: the group and its cells, in column order.
pub struct Row {
    pub group: Group,
    pub cells: Vec<Cell>,
}

#[derive(Template)]
#[template(path = "console/matrix.html")]
struct MatrixPage {
    chrome: Chrome,
    activities: Vec<ActivityView>,
    rows: Vec<Row>,
    tiers: Vec<String>,
    tags: Vec<String>,
    tier: String,
    tag: String,
    sort: String,
}

#[derive(Template)]
#[template(path = "console/matrix_cell.html")]
struct CellFragment {
    chrome: Chrome,
    cell: Cell,
}

fn cell_of(activity_id: &str, group_id: &str, label: String, e: Option<&EnablementView>) -> Cell {
    let Some(e) = e else {
        return Cell {
            activity_id: activity_id.into(),
            group_id: group_id.into(),
            enabled: false,
            source: "off".into(),
            overrides: Vec::new(),
            label,
        };
    };
    let mut overrides = Vec::new();
    if e.source != "home" {
        if let Some(s) = &e.starts_at {
            overrides.push(format!("▶ {}", short_time(s)));
        }
        if let Some(s) = &e.ends_at {
            overrides.push(format!("■ {}", short_time(s)));
        }
    }
    for (pool, n) in &e.stock_share {
        overrides.push(format!("{pool}: {n}"));
    }
    Cell {
        activity_id: activity_id.into(),
        group_id: group_id.into(),
        enabled: e.enabled,
        source: e.source.clone(),
        overrides,
        label,
    }
}

fn cell_label(group: &str, a: &ActivityView) -> String {
    format!("{group} · {} {}", a.plugin, a.id.get(..8).unwrap_or(&a.id))
}

/// `2026-01-01T10:00:00+08:00` as `01-01 10:00`.
fn short_time(rfc3339: &str) -> String {
    rfc3339.get(5..16).unwrap_or(rfc3339).replace('T', " ")
}

/// `GET /console/groups`.
pub async fn page(
    State(arcade): State<Arc<Arcade>>,
    session: Session,
    Query(f): Query<Filter>,
) -> Result<Response, Problem> {
    let lang = session.lang;
    let tenant = session.tenant()?;
    let err = |e| Problem::from_error(lang, e);
    let empty = |s: &Option<String>| s.clone().filter(|v| !v.is_empty());
    let filter = GroupFilter {
        tier: empty(&f.tier),
        tag: empty(&f.tag),
    };
    let all = arcade
        .groups(tenant, &GroupFilter::default())
        .await
        .map_err(err)?;
    let mut tags: Vec<String> = all.iter().flat_map(|g| g.tags.clone()).collect();
    tags.sort();
    tags.dedup();
    let tiers = arcade.tiers(tenant).await.map_err(err)?;
    let mut groups = arcade.groups(tenant, &filter).await.map_err(err)?;
    let sort = f.sort.clone().unwrap_or_else(|| "tier".into());
    let tier_rank = |t: &str| tiers.iter().position(|x| x == t).unwrap_or(usize::MAX);
    match sort.as_str() {
        "name" => groups.sort_by(|a, b| a.name.cmp(&b.name)),
        _ => {
            groups.sort_by(|a, b| (tier_rank(&a.tier), &a.name).cmp(&(tier_rank(&b.tier), &b.name)))
        }
    }
    let activities = arcade.activities(tenant, None).await.map_err(err)?;
    let mut by_activity: Vec<BTreeMap<String, EnablementView>> = Vec::new();
    for a in &activities {
        let rows = arcade.activity_groups(tenant, &a.id).await.map_err(err)?;
        by_activity.push(rows.into_iter().map(|e| (e.group_id.clone(), e)).collect());
    }
    let rows = groups
        .into_iter()
        .map(|g| Row {
            cells: activities
                .iter()
                .zip(&by_activity)
                .map(|(a, es)| cell_of(&a.id, &g.id, cell_label(&g.name, a), es.get(&g.id)))
                .collect(),
            group: g,
        })
        .collect();
    Ok(render(&MatrixPage {
        chrome: Chrome::new(&session, "groups", "/console/groups"),
        activities,
        rows,
        tiers,
        tags,
        tier: filter.tier.unwrap_or_default(),
        tag: filter.tag.unwrap_or_default(),
        sort,
    }))
}

/// A cell's switch.
#[derive(Deserialize)]
pub struct Toggle {
    #[serde(default)]
    csrf: Option<String>,
    activity: String,
    group: String,
    /// `true` or `false`: what the cell becomes.
    enabled: bool,
}

/// `POST /console/groups/cell`: switch one group for one activity,
/// keeping its overrides; answers the new cell.
pub async fn toggle(
    State(arcade): State<Arc<Arcade>>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<Toggle>,
) -> Result<Response, Problem> {
    session.check_write(&headers, form.csrf.as_deref())?;
    let lang = session.lang;
    let tenant = session.tenant()?;
    let err = |e| Problem::from_error(lang, e);
    let current = arcade
        .activity_groups(tenant, &form.activity)
        .await
        .map_err(err)?
        .into_iter()
        .find(|e| e.group_id == form.group);
    let spec = EnablementSpec {
        enabled: Some(form.enabled),
        starts_at: current
            .as_ref()
            .filter(|e| e.source == "explicit")
            .and_then(|e| e.starts_at.clone()),
        ends_at: current
            .as_ref()
            .filter(|e| e.source == "explicit")
            .and_then(|e| e.ends_at.clone()),
        stock_share: current.map(|e| e.stock_share).unwrap_or_default(),
    };
    let view = arcade
        .enable_group(tenant, &form.activity, &form.group, spec)
        .await
        .map_err(err)?;
    super::audit(
        &arcade,
        &session,
        "activity.group.enable",
        &form.activity,
        serde_json::json!(view),
    )
    .await?;
    let group = arcade.group(tenant, &form.group).await.map_err(err)?;
    let activity = arcade
        .activity_view(tenant, &form.activity)
        .await
        .map_err(err)?;
    let label = cell_label(&group.name, &activity);
    Ok(render(&CellFragment {
        chrome: Chrome::new(&session, "groups", "/console/groups"),
        cell: cell_of(&form.activity, &form.group, label, Some(&view)),
    }))
}

/// The bulk form.
#[derive(Deserialize)]
pub struct Bulk {
    #[serde(default)]
    csrf: Option<String>,
    activity: String,
    #[serde(default)]
    tier: Option<String>,
    #[serde(default)]
    tag: Option<String>,
    enabled: bool,
}

/// `POST /console/groups/bulk`: switch an activity in every group of a
/// tier or with a tag; back to the matrix.
pub async fn bulk(
    State(arcade): State<Arc<Arcade>>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<Bulk>,
) -> Result<Response, Problem> {
    session.check_write(&headers, form.csrf.as_deref())?;
    let lang = session.lang;
    let tenant = session.tenant()?;
    let empty = |s: Option<String>| s.filter(|v| !v.is_empty());
    let bulk = BulkEnablement {
        group_ids: Vec::new(),
        tier: empty(form.tier),
        tag: empty(form.tag),
        enabled: form.enabled,
    };
    let views = arcade
        .bulk_enable(tenant, &form.activity, bulk)
        .await
        .map_err(|e| Problem::from_error(lang, e))?;
    let ids: Vec<&str> = views.iter().map(|v| v.group_id.as_str()).collect();
    let detail = serde_json::json!({"enabled": form.enabled, "group_ids": ids});
    super::audit(
        &arcade,
        &session,
        "activity.group.bulk",
        &form.activity,
        detail,
    )
    .await?;
    Ok(Redirect::to("/console/groups").into_response())
}
