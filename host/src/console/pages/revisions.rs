//! An activity's config revisions, newest first, each beside the one
//! before it (changed lines marked), with a rollback to any earlier one.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::{Chrome, Problem, render};
use crate::console::session::Session;
use crate::service::Arcade;

/// One line of a side-by-side diff: the old side, the new side, and
/// whether they differ.
pub struct Line {
    pub old: String,
    pub new: String,
    pub changed: bool,
}

/// A revision and its diff from the one before.
pub struct Rev {
    pub revision: i64,
    pub author: String,
    pub reason: String,
    pub when: String,
    pub lines: Vec<Line>,
    /// Whether it is the current config.
    pub current: bool,
}

#[derive(Template)]
#[template(path = "console/revisions.html")]
struct RevisionsPage {
    chrome: Chrome,
    activity_id: String,
    timezone: String,
    revisions: Vec<Rev>,
}

/// Old and new pretty JSON, line by line, aligned.
pub fn side_by_side(old: &str, new: &str) -> Vec<Line> {
    use similar::{ChangeTag, TextDiff};
    let diff = TextDiff::from_lines(old, new);
    let mut lines = Vec::new();
    let (mut dels, mut ins): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    let flush = |dels: &mut Vec<String>, ins: &mut Vec<String>, lines: &mut Vec<Line>| {
        let n = dels.len().max(ins.len());
        for i in 0..n {
            lines.push(Line {
                old: dels.get(i).cloned().unwrap_or_default(),
                new: ins.get(i).cloned().unwrap_or_default(),
                changed: true,
            });
        }
        dels.clear();
        ins.clear();
    };
    for change in diff.iter_all_changes() {
        let text = change.value().trim_end_matches('\n').to_owned();
        match change.tag() {
            ChangeTag::Delete => dels.push(text),
            ChangeTag::Insert => ins.push(text),
            ChangeTag::Equal => {
                flush(&mut dels, &mut ins, &mut lines);
                lines.push(Line {
                    old: text.clone(),
                    new: text,
                    changed: false,
                });
            }
        }
    }
    flush(&mut dels, &mut ins, &mut lines);
    lines
}

/// `GET /console/activities/{id}/revisions`.
pub async fn page(
    State(arcade): State<Arc<Arcade>>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let lang = session.lang;
    let tenant = session.tenant()?;
    let err = |e| Problem::from_error(lang, e);
    let activity = arcade.activity_view(tenant, &id).await.map_err(err)?;
    let mut all = arcade.revisions(tenant, &id).await.map_err(err)?;
    all.sort_by_key(|r| r.revision);
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default() + "\n";
    let mut revisions = Vec::with_capacity(all.len());
    let mut before = String::new();
    for r in &all {
        let now = pretty(&r.config);
        revisions.push(Rev {
            revision: r.revision,
            author: r.author.clone(),
            reason: r.reason.clone(),
            when: super::local_time(&r.created_at, &activity.timezone),
            lines: side_by_side(&before, &now),
            current: r.revision == activity.revision,
        });
        before = now;
    }
    revisions.reverse();
    Ok(render(&RevisionsPage {
        chrome: Chrome::new(
            &session,
            "activities",
            format!("/console/activities/{id}/revisions"),
        ),
        activity_id: id,
        timezone: activity.timezone,
        revisions,
    }))
}

/// The rollback form.
#[derive(Deserialize)]
pub struct RollBack {
    #[serde(default)]
    csrf: Option<String>,
    to: i64,
}

/// `POST /console/activities/{id}/rollback`.
pub async fn roll_back(
    State(arcade): State<Arc<Arcade>>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<RollBack>,
) -> Result<Response, Problem> {
    session.check_write(&headers, form.csrf.as_deref())?;
    let tenant = session.tenant()?;
    let view = arcade
        .roll_back(tenant, &id, form.to, session.who.actor())
        .await
        .map_err(|e| Problem::from_error(session.lang, e))?;
    let detail = json!({"revision": view.revision, "rolled_back_to": form.to});
    super::audit(&arcade, &session, "activity.rollback", &id, detail).await?;
    Ok(Redirect::to(&format!("/console/activities/{id}/revisions")).into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_changed_line_sits_beside_its_old_self() {
        let lines = super::side_by_side(
            "{\n  \"a\": 1,\n  \"b\": 2\n}\n",
            "{\n  \"a\": 1,\n  \"b\": 3\n}\n",
        );
        let changed: Vec<_> = lines.iter().filter(|l| l.changed).collect();
        assert_eq!(changed.len(), 1);
        assert_eq!(changed[0].old.trim(), "\"b\": 2");
        assert_eq!(changed[0].new.trim(), "\"b\": 3");
        assert_eq!(lines.len(), 4);
    }
}
