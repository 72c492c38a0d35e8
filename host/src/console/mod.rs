//! The operators' console: server-rendered pages at `/console`, served by
//! the same binary as the API. Templates (`host/templates/console/`) are
//! compiled in with askama; htmx swaps parts of a page and Chart.js draws
//! the charts, both vendored in `host/console/assets/` and embedded
//! (`assets.rs`). Pages call the service (`Arcade`) directly, with the
//! signed-in key's tenant and role (`session.rs`); every word comes from
//! one catalogue in zh-CN and English (`i18n.rs`).

mod assets;
pub mod i18n;
mod pages;
pub mod session;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tower_http::limit::RequestBodyLimitLayer;

use crate::service::Arcade;

/// Largest form the console accepts (a config edited in the form).
const FORM_LIMIT_BYTES: usize = 256 << 10;

/// The console's routes, all under `/console`.
pub fn router() -> Router<Arc<Arcade>> {
    Router::new()
        .route("/console", get(pages::home))
        .route("/console/", get(pages::home))
        .route(
            "/console/login",
            get(pages::login::page).post(pages::login::sign_in),
        )
        .route("/console/logout", post(pages::login::sign_out))
        .route("/console/lang", get(pages::login::switch_lang))
        .route("/console/assets/{name}", get(assets::serve))
        .route("/console/groups", get(pages::matrix::page))
        .route("/console/groups/cell", post(pages::matrix::toggle))
        .route("/console/groups/bulk", post(pages::matrix::bulk))
        .route(
            "/console/activities",
            get(pages::activities::page).post(pages::form::create),
        )
        .route("/console/activities/new", get(pages::form::new))
        .route("/console/activities/check", post(pages::form::check))
        .route("/console/activities/simulate", post(pages::form::simulate))
        .route("/console/activities/{id}/edit", get(pages::form::edit))
        .route("/console/activities/{id}/config", post(pages::form::revise))
        .route(
            "/console/activities/{id}/revisions",
            get(pages::revisions::page),
        )
        .route(
            "/console/activities/{id}/rollback",
            post(pages::revisions::roll_back),
        )
        .route("/console/activities/{id}", get(pages::dashboard::page))
        .route("/console/activities/{id}/live", get(pages::dashboard::live))
        .route(
            "/console/activities/{id}/outcomes",
            get(pages::outcomes::list),
        )
        .route("/console/outcomes/{id}", get(pages::outcomes::one))
        .route(
            "/console/outcomes/{id}/replay",
            post(pages::outcomes::replay),
        )
        .route(
            "/console/fulfilment",
            get(pages::fulfil::queue).post(pages::fulfil::act),
        )
        .route(
            "/console/exports",
            get(pages::fulfil::exports).post(pages::fulfil::start),
        )
        .route("/console/exports/jobs", get(pages::fulfil::export_jobs))
        .route(
            "/console/exports/{id}/download",
            get(pages::fulfil::download),
        )
        .route("/console/plugins", get(pages::plugins::page))
        .layer(DefaultBodyLimit::max(FORM_LIMIT_BYTES))
        .layer(RequestBodyLimitLayer::new(FORM_LIMIT_BYTES))
}
