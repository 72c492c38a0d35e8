//! Outcomes: an activity's, page by page or one user's; and one outcome
//! in full, answering "why did this user win?" (plugin build, config
//! revision, randomness commitment) with a replay that shows the proof.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use super::{Chrome, Problem, render};
use crate::console::session::Session;
use crate::service::{Arcade, OutcomeProof, OutcomeView, ReplayReport};

/// Outcomes a page lists.
const PAGE: u32 = 50;

/// `?user=` or `?after=`.
#[derive(Debug, Default, Deserialize)]
pub struct Search {
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    after: Option<String>,
}

/// An outcome and its local time.
struct Row {
    o: OutcomeView,
    when: String,
    rewards: String,
}

#[derive(Template)]
#[template(path = "console/outcomes.html")]
struct OutcomesPage {
    chrome: Chrome,
    activity_id: String,
    timezone: String,
    user: String,
    outcomes: Vec<Row>,
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "console/outcome.html")]
struct OutcomePage {
    chrome: Chrome,
    when: String,
    proof: OutcomeProof,
    payload: String,
    result: String,
    rewards: String,
}

#[derive(Template)]
#[template(path = "console/replay.html")]
struct ReplayFragment {
    chrome: Chrome,
    report: ReplayReport,
    stored: String,
    replayed: String,
}

/// `GET /console/activities/{id}/outcomes`.
pub async fn list(
    State(arcade): State<Arc<Arcade>>,
    session: Session,
    Path(id): Path<String>,
    Query(q): Query<Search>,
) -> Result<Response, Problem> {
    let lang = session.lang;
    let tenant = session.tenant()?;
    let err = |e| Problem::from_error(lang, e);
    let user = q.user.unwrap_or_default().trim().to_owned();
    let timezone = arcade
        .activity_view(tenant, &id)
        .await
        .map_err(err)?
        .timezone;
    let (outcomes, next) = if user.is_empty() {
        let page = arcade
            .outcomes(tenant, &id, q.after.as_deref(), Some(PAGE))
            .await
            .map_err(err)?;
        (page.outcomes, page.next)
    } else {
        let found = arcade
            .user_outcomes(tenant, &id, &user, PAGE)
            .await
            .map_err(err)?;
        (found, None)
    };
    Ok(render(&OutcomesPage {
        chrome: Chrome::new(
            &session,
            "activities",
            format!("/console/activities/{id}/outcomes"),
        ),
        activity_id: id,
        outcomes: outcomes
            .into_iter()
            .map(|o| Row {
                when: super::local_time(&o.created_at, &timezone),
                rewards: serde_json::to_string(&o.rewards).unwrap_or_default(),
                o,
            })
            .collect(),
        timezone,
        user,
        next,
    }))
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// `GET /console/outcomes/{id}`.
pub async fn one(
    State(arcade): State<Arc<Arcade>>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let tenant = session.tenant()?;
    let proof = arcade
        .outcome_proof(tenant, &id)
        .await
        .map_err(|e| Problem::from_error(session.lang, e))?;
    Ok(render(&OutcomePage {
        chrome: Chrome::new(&session, "activities", format!("/console/outcomes/{id}")),
        when: super::local_time(&proof.outcome.created_at, &proof.timezone),
        payload: pretty(&proof.outcome.payload),
        result: pretty(&proof.outcome.result),
        rewards: serde_json::to_string_pretty(&proof.outcome.rewards).unwrap_or_default(),
        proof,
    }))
}

/// `POST /console/outcomes/{id}/replay`: run it again and show the proof.
/// Reading only, so analyst sessions may too; the token is still checked.
pub async fn replay(
    State(arcade): State<Arc<Arcade>>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    if let Err(Problem::Csrf(l)) = session.check_write(&headers, None) {
        return Err(Problem::Csrf(l));
    }
    let tenant = session.tenant()?;
    let report = arcade
        .replay(Some(tenant), &id)
        .await
        .map_err(|e| Problem::from_error(session.lang, e))?;
    Ok(render(&ReplayFragment {
        chrome: Chrome::new(&session, "activities", format!("/console/outcomes/{id}")),
        stored: pretty(&report.stored_result),
        replayed: report
            .replayed_result
            .as_ref()
            .map(pretty)
            .unwrap_or_default(),
        report,
    }))
}
