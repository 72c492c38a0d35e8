//! The fulfilment queue (prizes to ship, shipped in bulk with a carrier
//! and tracking numbers, or written off with a reason) and exports
//! (start one, watch its progress, download the file).

use std::sync::Arc;

use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query, RawForm, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::{Chrome, Problem, render};
use crate::console::session::Session;
use crate::service::{
    ActivityView, Arcade, ExportView, FulfilmentPage, FulfilmentQuery, NewExport, ShipRequest,
    Shipment, WriteOffRequest,
};

#[derive(Template)]
#[template(path = "console/fulfilment.html")]
struct FulfilmentList {
    chrome: Chrome,
    status: String,
    page: FulfilmentPage,
    /// Each item's grant time in its activity's time zone, with the zone.
    granted: Vec<String>,
}

/// `?status=&cursor=`.
#[derive(Debug, Default, Deserialize)]
pub struct Filter {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    cursor: Option<String>,
}

/// `GET /console/fulfilment`.
pub async fn queue(
    State(arcade): State<Arc<Arcade>>,
    session: Session,
    Query(f): Query<Filter>,
) -> Result<Response, Problem> {
    let tenant = session.tenant()?;
    let status = f
        .status
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "pending".into());
    let q = FulfilmentQuery {
        activity_id: None,
        status: Some(status.clone()),
        cursor: f.cursor,
        limit: Some(100),
    };
    let err = |e| Problem::from_error(session.lang, e);
    let page = arcade.fulfilment_queue(tenant, &q).await.map_err(err)?;
    let zones: std::collections::HashMap<String, String> = arcade
        .activities(tenant, None)
        .await
        .map_err(err)?
        .into_iter()
        .map(|a| (a.id, a.timezone))
        .collect();
    let granted = page
        .items
        .iter()
        .map(|i| {
            let tz = zones.get(&i.activity_id).map_or("UTC", String::as_str);
            format!("{} ({tz})", super::local_time(&i.granted_at, tz))
        })
        .collect();
    Ok(render(&FulfilmentList {
        chrome: Chrome::new(&session, "fulfilment", "/console/fulfilment"),
        status,
        page,
        granted,
    }))
}

/// `POST /console/fulfilment`: the checked rewards, shipped (one carrier,
/// a tracking number each) or written off (one reason). The form repeats
/// `reward` once per checked row and `tracking_<reward id>` per row.
pub async fn act(
    State(arcade): State<Arc<Arcade>>,
    session: Session,
    headers: HeaderMap,
    RawForm(body): RawForm,
) -> Result<Response, Problem> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    session.check_write(&headers, get("csrf").as_deref())?;
    let lang = session.lang;
    let tenant = session.tenant()?;
    let err = |e| Problem::from_error(lang, e);
    let chosen: Vec<String> = pairs
        .iter()
        .filter(|(n, _)| n == "reward")
        .map(|(_, v)| v.clone())
        .collect();
    match get("do").as_deref() {
        Some("ship") => {
            let carrier = get("carrier").unwrap_or_default();
            let items = chosen
                .iter()
                .map(|id| Shipment {
                    reward_id: id.clone(),
                    carrier: carrier.clone(),
                    tracking_no: get(&format!("tracking_{id}")).unwrap_or_default(),
                })
                .collect();
            let done = arcade
                .ship(tenant, ShipRequest { items }, session.who.actor())
                .await
                .map_err(err)?;
            for i in &done {
                let detail = json!({"carrier": i.carrier, "tracking_no": i.tracking_no});
                super::audit(&arcade, &session, "reward.ship", &i.reward_id, detail).await?;
            }
        }
        Some("write_off") => {
            let req = WriteOffRequest {
                reward_ids: chosen,
                reason: get("reason").unwrap_or_default(),
            };
            let done = arcade
                .write_off(tenant, req, session.who.actor())
                .await
                .map_err(err)?;
            for i in &done {
                super::audit(
                    &arcade,
                    &session,
                    "reward.write_off",
                    &i.reward_id,
                    json!({"reason": i.note}),
                )
                .await?;
            }
        }
        _ => {
            return Err(Problem::from_error(
                lang,
                crate::error::Error::invalid("invalid_form", "choose ship or write off"),
            ));
        }
    }
    Ok(Redirect::to("/console/fulfilment").into_response())
}

#[derive(Template)]
#[template(path = "console/exports.html")]
struct ExportsPage {
    chrome: Chrome,
    activities: Vec<ActivityView>,
    exports: Vec<ExportView>,
    running: bool,
}

#[derive(Template)]
#[template(path = "console/exports.html", block = "jobs")]
struct JobsBlock {
    chrome: Chrome,
    exports: Vec<ExportView>,
    running: bool,
}

async fn jobs(arcade: &Arcade, session: &Session) -> Result<(Vec<ExportView>, bool), Problem> {
    let tenant = session.tenant()?;
    let exports = arcade
        .export_list(tenant)
        .await
        .map_err(|e| Problem::from_error(session.lang, e))?;
    let running = exports
        .iter()
        .any(|e| e.status == "running" || e.status == "queued");
    Ok((exports, running))
}

/// `GET /console/exports`.
pub async fn exports(
    State(arcade): State<Arc<Arcade>>,
    session: Session,
) -> Result<Response, Problem> {
    let tenant = session.tenant()?;
    let activities = arcade
        .activities(tenant, None)
        .await
        .map_err(|e| Problem::from_error(session.lang, e))?;
    let (exports, running) = jobs(&arcade, &session).await?;
    Ok(render(&ExportsPage {
        chrome: Chrome::new(&session, "exports", "/console/exports"),
        activities,
        exports,
        running,
    }))
}

/// `GET /console/exports/jobs`: the job list alone, polled while one runs.
pub async fn export_jobs(
    State(arcade): State<Arc<Arcade>>,
    session: Session,
) -> Result<Response, Problem> {
    let (exports, running) = jobs(&arcade, &session).await?;
    Ok(render(&JobsBlock {
        chrome: Chrome::new(&session, "exports", "/console/exports"),
        exports,
        running,
    }))
}

/// The start form.
#[derive(Deserialize)]
pub struct Start {
    #[serde(default)]
    csrf: Option<String>,
    kind: String,
    activity_id: String,
}

/// `POST /console/exports`: start one (analysts may: it reads only).
pub async fn start(
    State(arcade): State<Arc<Arcade>>,
    session: Session,
    headers: HeaderMap,
    axum::Form(form): axum::Form<Start>,
) -> Result<Response, Problem> {
    if let Err(Problem::Csrf(l)) = session.check_write(&headers, form.csrf.as_deref()) {
        return Err(Problem::Csrf(l));
    }
    let tenant = session.tenant()?;
    let req = NewExport {
        kind: form.kind,
        activity_id: form.activity_id,
        from: None,
        to: None,
        tz: None,
    };
    arcade
        .start_export(tenant, req, session.who.actor())
        .await
        .map_err(|e| Problem::from_error(session.lang, e))?;
    Ok(Redirect::to("/console/exports").into_response())
}

/// `GET /console/exports/{id}/download`: the CSV, streamed from disk.
pub async fn download(
    State(arcade): State<Arc<Arcade>>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let lang = session.lang;
    let tenant = session.tenant()?;
    let export = arcade
        .export_file(tenant, &id)
        .await
        .map_err(|e| Problem::from_error(lang, e))?;
    let file = tokio::fs::File::open(&export.path).await.map_err(|e| {
        Problem::from_error(
            lang,
            crate::error::Error::Internal(format!("opening the export: {e}")),
        )
    })?;
    let body = Body::from_stream(tokio_util::io::ReaderStream::with_capacity(file, 64 << 10));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_LENGTH, export.bytes.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", export.name),
            ),
        ],
        body,
    )
        .into_response())
}
