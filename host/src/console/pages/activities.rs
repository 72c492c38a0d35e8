//! The tenant's activities, newest first, each linking to its dashboard.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::{Chrome, Problem, render};
use crate::console::session::Session;
use crate::service::{ActivityView, Arcade};

#[derive(Template)]
#[template(path = "console/activities.html")]
struct ActivitiesPage {
    chrome: Chrome,
    activities: Vec<ActivityView>,
}

/// `GET /console/activities`.
pub async fn page(
    State(arcade): State<Arc<Arcade>>,
    session: Session,
) -> Result<Response, Problem> {
    let tenant = session.tenant()?;
    let mut activities = arcade
        .activities(tenant, None)
        .await
        .map_err(|e| Problem::from_error(session.lang, e))?;
    activities.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    Ok(render(&ActivitiesPage {
        chrome: Chrome::new(&session, "activities", "/console/activities"),
        activities,
    }))
}
