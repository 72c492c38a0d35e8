//! Creating and editing an activity. The config form is generated in the
//! browser from the plugin's config JSON Schema (`schema-form.js`; no
//! form is written per mechanic), into the `config` field this module
//! reads. As the operator types, the draft is checked against the schema
//! and the plugin's `validate-config` (`/check`); before saving, the
//! launch simulator shows the reward cost's P50/P95 and when stock runs
//! out, and warns when P95 is over the budget (`/simulate`). A refused
//! save shows the form again with everything typed in it.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Chrome, Problem, render};
use crate::console::i18n::Lang;
use crate::console::session::Session;
use crate::error::Error;
use crate::service::simulate::{Report, SimulationRequest};
use crate::service::{Arcade, ConfigChange, GroupFilter, NewActivity, PluginInfo};
use crate::store::Group;

/// What the form holds, as posted (and as shown again after a refusal).
#[derive(Debug, Default, Deserialize)]
pub struct Draft {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    plugin: String,
    #[serde(default)]
    group_id: String,
    #[serde(default)]
    timezone: String,
    /// `datetime-local` values, in `timezone`.
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    ends_at: String,
    /// The config, JSON.
    #[serde(default)]
    config: String,
    /// Unit costs, JSON (`{"mug": 1500}`), may be empty.
    #[serde(default)]
    costs: String,
    /// Budget in yuan, may be empty.
    #[serde(default)]
    budget_yuan: String,
    #[serde(default)]
    accept_over_budget: Option<String>,
    /// The simulated audience.
    #[serde(default)]
    members: String,
    #[serde(default)]
    participation: String,
    #[serde(default)]
    actions_per_user: String,
    /// Edits: why, and the revision edited.
    #[serde(default)]
    reason: String,
    #[serde(default)]
    base_revision: Option<i64>,
}

/// A field-level problem to show.
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "console/form.html")]
struct FormPage {
    chrome: Chrome,
    /// `None` for a new activity.
    activity_id: Option<String>,
    plugins: Vec<PluginInfo>,
    groups: Vec<Group>,
    draft: Draft,
    /// The chosen plugin's config schema, JSON (for the form generator).
    schema: String,
    problems: Vec<FieldProblem>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "console/check.html")]
struct CheckFragment {
    chrome: Chrome,
    problems: Vec<FieldProblem>,
    error: Option<String>,
}

/// A pool's run-out, for the simulation fragment.
pub struct PoolRow {
    pub pool: String,
    pub initial: i64,
    pub ran_out_share: String,
    pub hours: Option<String>,
}

#[derive(Template)]
#[template(path = "console/simulation.html")]
struct SimulationFragment {
    chrome: Chrome,
    p50: String,
    p95: String,
    expected: String,
    participants: String,
    pools: Vec<PoolRow>,
    uncosted: Vec<String>,
    over_budget: Option<String>,
}

fn yuan(fen: f64) -> String {
    format!("¥{:.2}", fen / 100.0)
}

/// JSON for a `<script type="application/json">`: no `</` survives.
fn script_json(v: &Value) -> String {
    v.to_string().replace("</", "<\\/")
}

fn problems_of(e: &Error) -> Vec<FieldProblem> {
    match e {
        Error::InvalidConfig(ps) | Error::InvalidPayload(ps) => ps
            .iter()
            .map(|p| FieldProblem {
                field: p.field.clone(),
                message: p.message.clone(),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The latest version of each plugin, by name.
async fn latest_plugins(arcade: &Arcade, lang: Lang) -> Result<Vec<PluginInfo>, Problem> {
    let all = arcade
        .plugins()
        .await
        .map_err(|e| Problem::from_error(lang, e))?;
    let mut latest: BTreeMap<String, PluginInfo> = BTreeMap::new();
    for p in all {
        // Registered oldest first: a later one replaces an earlier.
        latest.insert(p.name.clone(), p);
    }
    Ok(latest.into_values().collect())
}

fn schema_of(plugins: &[PluginInfo], name: &str) -> Value {
    plugins
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| p.manifest.get("config_schema").cloned())
        .unwrap_or_else(|| json!({"type": "object"}))
}

/// `2026-01-01T10:00` in `tz` as RFC 3339; empty stays empty.
fn rfc3339_of(local: &str, tz: &str) -> Result<Option<String>, String> {
    if local.trim().is_empty() {
        return Ok(None);
    }
    let zone = crate::clock::parse_timezone(tz)
        .ok_or_else(|| format!("{tz:?} is not an IANA time zone"))?;
    let naive = chrono::NaiveDateTime::parse_from_str(local.trim(), "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(local.trim(), "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| format!("{local:?} is not a date and time"))?;
    use chrono::TimeZone;
    let at = zone
        .from_local_datetime(&naive)
        .earliest()
        .ok_or_else(|| format!("{local:?} does not exist in {tz}"))?;
    Ok(Some(at.to_rfc3339()))
}

/// An RFC 3339 time as a `datetime-local` value in `tz`.
fn local_of(rfc3339: Option<&str>, tz: &str) -> String {
    rfc3339
        .map(|s| super::local_time(s, tz).replace(' ', "T")[..16].to_owned())
        .unwrap_or_default()
}

/// Form text as JSON; an empty field is `default`.
fn json_field(field: &str, text: &str, default: Value) -> Result<Value, FieldProblem> {
    if text.trim().is_empty() {
        return Ok(default);
    }
    serde_json::from_str(text).map_err(|e| FieldProblem {
        field: field.into(),
        message: format!("not JSON: {e}"),
    })
}

async fn page_for(
    arcade: &Arcade,
    session: &Session,
    activity_id: Option<String>,
    draft: Draft,
    problems: Vec<FieldProblem>,
    error: Option<String>,
) -> Result<Response, Problem> {
    let lang = session.lang;
    let tenant = session.tenant()?;
    let plugins = latest_plugins(arcade, lang).await?;
    let groups = arcade
        .groups(tenant, &GroupFilter::default())
        .await
        .map_err(|e| Problem::from_error(lang, e))?;
    let path = match &activity_id {
        Some(id) => format!("/console/activities/{id}/edit"),
        None => "/console/activities/new".into(),
    };
    let schema = script_json(&schema_of(&plugins, &draft.plugin));
    let refused = error.is_some() || !problems.is_empty();
    let mut r = render(&FormPage {
        chrome: Chrome::new(session, "activities", path),
        activity_id,
        plugins,
        groups,
        draft,
        schema,
        problems,
        error,
    });
    if refused {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

/// `?plugin=`.
#[derive(Deserialize)]
pub struct Pick {
    #[serde(default)]
    plugin: Option<String>,
}

/// `GET /console/activities/new`.
pub async fn new(
    State(arcade): State<Arc<Arcade>>,
    session: Session,
    Query(pick): Query<Pick>,
) -> Result<Response, Problem> {
    if !session.who.manages() {
        return Err(Problem::ReadOnly(session.lang));
    }
    let plugins = latest_plugins(&arcade, session.lang).await?;
    let plugin = pick
        .plugin
        .filter(|p| plugins.iter().any(|x| &x.name == p))
        .or_else(|| plugins.first().map(|p| p.name.clone()))
        .unwrap_or_default();
    let draft = Draft {
        plugin,
        timezone: crate::service::DEFAULT_TIMEZONE.into(),
        config: "{}".into(),
        members: "1000".into(),
        participation: "0.3".into(),
        actions_per_user: "1".into(),
        ..Draft::default()
    };
    page_for(&arcade, &session, None, draft, Vec::new(), None).await
}

/// `GET /console/activities/{id}/edit`.
pub async fn edit(
    State(arcade): State<Arc<Arcade>>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    if !session.who.manages() {
        return Err(Problem::ReadOnly(session.lang));
    }
    let tenant = session.tenant()?;
    let a = arcade
        .activity_view(tenant, &id)
        .await
        .map_err(|e| Problem::from_error(session.lang, e))?;
    let draft = Draft {
        plugin: a.plugin.clone(),
        group_id: a.group_id.clone(),
        starts_at: local_of(a.starts_at.as_deref(), &a.timezone),
        ends_at: local_of(a.ends_at.as_deref(), &a.timezone),
        timezone: a.timezone.clone(),
        config: serde_json::to_string_pretty(&a.config).unwrap_or_default(),
        costs: if a.costs.is_empty() {
            String::new()
        } else {
            json!(a.costs).to_string()
        },
        members: "1000".into(),
        participation: "0.3".into(),
        actions_per_user: "1".into(),
        base_revision: Some(a.revision),
        ..Draft::default()
    };
    page_for(&arcade, &session, Some(id), draft, Vec::new(), None).await
}

/// `POST /console/activities/check`: the draft's problems, as a
/// fragment, while the operator types.
pub async fn check(
    State(arcade): State<Arc<Arcade>>,
    session: Session,
    Form(draft): Form<Draft>,
) -> Result<Response, Problem> {
    let chrome = Chrome::new(&session, "activities", "/console/activities/new");
    let (problems, error) = match json_field("config", &draft.config, json!({})) {
        Err(p) => (vec![p], None),
        Ok(config) => match arcade
            .check_draft_config(&draft.plugin, None, &config)
            .await
        {
            Ok(()) => (Vec::new(), None),
            Err(e @ Error::InvalidConfig(_)) => (problems_of(&e), None),
            Err(e) => (Vec::new(), Some(e.to_string())),
        },
    };
    Ok(render(&CheckFragment {
        chrome,
        problems,
        error,
    }))
}

/// The simulation request of a draft.
fn simulation_of(draft: &Draft) -> Result<SimulationRequest, FieldProblem> {
    let config = json_field("config", &draft.config, json!({}))?;
    let costs = json_field("costs", &draft.costs, json!({}))?;
    let number = |field: &str, text: &str, default: f64| -> Result<f64, FieldProblem> {
        if text.trim().is_empty() {
            return Ok(default);
        }
        text.trim().parse::<f64>().map_err(|_| FieldProblem {
            field: field.into(),
            message: "not a number".into(),
        })
    };
    let tz = if draft.timezone.is_empty() {
        crate::service::DEFAULT_TIMEZONE
    } else {
        &draft.timezone
    };
    let when = |field: &str, v: &str| {
        rfc3339_of(v, tz).map_err(|message| FieldProblem {
            field: field.into(),
            message,
        })
    };
    let req = json!({
        "plugin": draft.plugin,
        "config": config,
        "timezone": tz,
        "starts_at": when("starts_at", &draft.starts_at)?,
        "ends_at": when("ends_at", &draft.ends_at)?,
        "costs": costs,
        "runs": 20,
        "audience": {
            "members": number("members", &draft.members, 1000.0)? as u64,
            "participation": number("participation", &draft.participation, 0.3)?,
            "actions_per_user": number("actions_per_user", &draft.actions_per_user, 1.0)?,
        },
    });
    serde_json::from_value(req).map_err(|e| FieldProblem {
        field: "audience".into(),
        message: e.to_string(),
    })
}

fn budget_fen(draft: &Draft) -> Result<Option<i64>, FieldProblem> {
    let text = draft.budget_yuan.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<f64>()
        .ok()
        .filter(|y| *y >= 0.0)
        .map(|y| Some((y * 100.0).round() as i64))
        .ok_or_else(|| FieldProblem {
            field: "budget_yuan".into(),
            message: "not an amount of yuan".into(),
        })
}

/// `POST /console/activities/simulate`: cost P50/P95 and run-out, as a
/// fragment.
pub async fn simulate(
    State(arcade): State<Arc<Arcade>>,
    session: Session,
    Form(draft): Form<Draft>,
) -> Result<Response, Problem> {
    let lang = session.lang;
    let tenant = session.tenant()?;
    let chrome = Chrome::new(&session, "activities", "/console/activities/new");
    let refused = |problems: Vec<FieldProblem>, error: Option<String>| {
        render(&CheckFragment {
            chrome: Chrome::new(&session, "activities", "/console/activities/new"),
            problems,
            error,
        })
    };
    let (req, budget) = match simulation_of(&draft).and_then(|r| Ok((r, budget_fen(&draft)?))) {
        Ok(x) => x,
        Err(p) => return Ok(refused(vec![p], None)),
    };
    let report: Report = match arcade.simulate(tenant, req).await {
        Ok(r) => r,
        Err(e @ Error::InvalidConfig(_)) => return Ok(refused(problems_of(&e), None)),
        Err(e) => return Ok(refused(Vec::new(), Some(e.to_string()))),
    };
    let c = &report.cost_fen;
    let over_budget = budget.filter(|b| c.p95 > *b).map(|b| {
        format!(
            "{} {} > {}",
            lang.t("over_budget"),
            yuan(c.p95 as f64),
            yuan(b as f64)
        )
    });
    Ok(render(&SimulationFragment {
        chrome,
        p50: yuan(c.p50 as f64),
        p95: yuan(c.p95 as f64),
        expected: yuan(c.expected),
        participants: format!("{:.0}", report.participants_mean),
        pools: report
            .stock
            .iter()
            .map(|p| PoolRow {
                pool: p.pool.clone(),
                initial: p.initial,
                ran_out_share: format!("{:.0}%", p.ran_out_share * 100.0),
                hours: p.ran_out_hour_p50.map(|h| format!("{h:.1}")),
            })
            .collect(),
        uncosted: report.uncosted.clone(),
        over_budget,
    }))
}

/// The parts of a create both the check and the save need.
fn new_activity(draft: &Draft) -> Result<NewActivity, FieldProblem> {
    let config = json_field("config", &draft.config, json!({}))?;
    let costs: BTreeMap<String, i64> =
        serde_json::from_value(json_field("costs", &draft.costs, json!({}))?).map_err(|e| {
            FieldProblem {
                field: "costs".into(),
                message: e.to_string(),
            }
        })?;
    let tz = if draft.timezone.is_empty() {
        crate::service::DEFAULT_TIMEZONE
    } else {
        &draft.timezone
    };
    let when = |field: &str, v: &str| {
        rfc3339_of(v, tz).map_err(|message| FieldProblem {
            field: field.into(),
            message,
        })
    };
    let budget = budget_fen(draft)?;
    let audience = match budget {
        Some(_) => Some(simulation_of(draft)?.audience),
        None => None,
    };
    Ok(NewActivity {
        group_id: draft.group_id.clone(),
        plugin: draft.plugin.clone(),
        plugin_version: None,
        config,
        timezone: Some(tz.to_owned()),
        starts_at: when("starts_at", &draft.starts_at)?,
        ends_at: when("ends_at", &draft.ends_at)?,
        costs,
        budget_fen: budget,
        audience,
        accept_over_budget: budget.is_some() && draft.accept_over_budget.is_some(),
    })
}

/// `POST /console/activities`: create, then its dashboard; refused, the
/// form again with what was typed.
pub async fn create(
    State(arcade): State<Arc<Arcade>>,
    session: Session,
    headers: HeaderMap,
    Form(draft): Form<Draft>,
) -> Result<Response, Problem> {
    session.check_write(&headers, draft.csrf.as_deref())?;
    let tenant = session.tenant()?.to_owned();
    let req = match new_activity(&draft) {
        Ok(r) => r,
        Err(p) => return page_for(&arcade, &session, None, draft, vec![p], None).await,
    };
    match arcade
        .create_activity(&tenant, req, session.who.actor())
        .await
    {
        Ok(a) => {
            super::audit(&arcade, &session, "activity.create", &a.id, json!(a)).await?;
            Ok(Redirect::to(&format!("/console/activities/{}", a.id)).into_response())
        }
        Err(e) => {
            let problems = problems_of(&e);
            let error = problems.is_empty().then(|| format!("{} ({})", e, e.code()));
            page_for(&arcade, &session, None, draft, problems, error).await
        }
    }
}

/// `POST /console/activities/{id}/config`: a new revision, then the
/// revisions page; refused, the form again.
pub async fn revise(
    State(arcade): State<Arc<Arcade>>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(draft): Form<Draft>,
) -> Result<Response, Problem> {
    session.check_write(&headers, draft.csrf.as_deref())?;
    let tenant = session.tenant()?.to_owned();
    let config = match json_field("config", &draft.config, json!({})) {
        Ok(c) => c,
        Err(p) => return page_for(&arcade, &session, Some(id), draft, vec![p], None).await,
    };
    let change = ConfigChange {
        config,
        reason: draft.reason.clone(),
        base_revision: draft.base_revision,
        audience: None,
        accept_over_budget: draft.accept_over_budget.is_some(),
    };
    match arcade
        .revise_config(&tenant, &id, change, session.who.actor())
        .await
    {
        Ok(view) => {
            let detail = json!({"revision": view.revision, "config": view.config});
            super::audit(&arcade, &session, "activity.revise", &id, detail).await?;
            Ok(Redirect::to(&format!("/console/activities/{id}/revisions")).into_response())
        }
        Err(e) => {
            let problems = problems_of(&e);
            let error = problems.is_empty().then(|| format!("{} ({})", e, e.code()));
            page_for(&arcade, &session, Some(id), draft, problems, error).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_are_read_in_the_activity_zone() {
        assert_eq!(
            rfc3339_of("2026-01-01T10:00", "Asia/Shanghai")
                .unwrap()
                .as_deref(),
            Some("2026-01-01T10:00:00+08:00")
        );
        assert_eq!(rfc3339_of("", "Asia/Shanghai").unwrap(), None);
        assert!(rfc3339_of("soon", "Asia/Shanghai").is_err());
        assert_eq!(
            local_of(Some("2026-01-01T02:00:00Z"), "Asia/Shanghai"),
            "2026-01-01T10:00"
        );
    }
}
