//! The admin's page: every uploaded plugin version, its effective limits
//! (and the operator's overrides), and which activities pin it.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::{Chrome, Problem, render};
use crate::console::session::{Session, Who};
use crate::service::{Arcade, PluginInfo};

/// A version and the activities pinned to it.
pub struct Row {
    pub info: PluginInfo,
    pub contract: String,
    /// `(tenant, activity)`.
    pub pins: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "console/plugins.html")]
struct PluginsPage {
    chrome: Chrome,
    rows: Vec<Row>,
}

/// `GET /console/plugins`.
pub async fn page(
    State(arcade): State<Arc<Arcade>>,
    session: Session,
) -> Result<Response, Problem> {
    if session.who != Who::Admin {
        return Err(Problem::NeedsAdmin(session.lang));
    }
    let err = |e| Problem::from_error(session.lang, e);
    let plugins = arcade.plugins().await.map_err(err)?;
    let pins = arcade.plugin_pins().await.map_err(err)?;
    let rows = plugins
        .into_iter()
        .map(|info| Row {
            contract: info
                .manifest
                .get("contract")
                .and_then(|c| c.as_str())
                .unwrap_or("0.1.0")
                .to_owned(),
            pins: pins
                .iter()
                .filter(|(sha, _, _)| *sha == info.sha256)
                .map(|(_, t, a)| (t.clone(), a.clone()))
                .collect(),
            info,
        })
        .collect();
    Ok(render(&PluginsPage {
        chrome: Chrome::new(&session, "plugins", "/console/plugins"),
        rows,
    }))
}
