//! The pages, one module each, and what they share: the page frame
//! ([`Chrome`]), rendering, and [`Problem`], the console's errors.

pub mod activities;
pub mod dashboard;
pub mod form;
pub mod fulfil;
pub mod login;
pub mod matrix;
pub mod outcomes;
pub mod plugins;
pub mod revisions;

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::i18n::Lang;
use super::session::{Session, Who};
use crate::error::Error;

/// What every page's frame needs: the language, who is signed in, the
/// CSRF token, which menu item is current.
pub struct Chrome {
    /// The page's language.
    pub lang: Lang,
    /// Who is signed in (`None` on the sign-in page).
    pub who: Option<Who>,
    /// The token forms send back.
    pub csrf: String,
    /// The current menu item (`groups`, `activities`, ...).
    pub nav: &'static str,
    /// The page's path, for the language switch to come back to.
    pub path: String,
}

impl Chrome {
    /// The frame of a signed-in page.
    pub fn new(session: &Session, nav: &'static str, path: impl Into<String>) -> Self {
        Chrome {
            lang: session.lang,
            who: Some(session.who.clone()),
            csrf: session.csrf.clone(),
            nav,
            path: path.into(),
        }
    }

    /// A message in the page's language.
    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    /// An embedded file's URL (versioned by its checksum).
    pub fn asset(&self, name: &str) -> String {
        super::assets::url(name)
    }

    /// The language the switch offers.
    pub fn other_lang(&self) -> &'static str {
        self.lang.other().tag()
    }

    /// The switch's label: the other language's own name.
    pub fn other_lang_name(&self) -> &'static str {
        match self.lang.other() {
            Lang::ZhCn => "中文",
            Lang::En => "English",
        }
    }

    /// Whether the signed-in session may change things.
    pub fn manages(&self) -> bool {
        self.who.as_ref().is_some_and(Who::manages)
    }

    /// Whether the admin is signed in.
    pub fn is_admin(&self) -> bool {
        self.who == Some(Who::Admin)
    }

    /// The role's name, for the header.
    pub fn role(&self) -> &'static str {
        self.who.as_ref().map_or("", |w| self.t(w.role_key()))
    }

    /// `aria-current` for the menu item `item`.
    pub fn current(&self, item: &str) -> &'static str {
        if self.nav == item { "page" } else { "false" }
    }
}

/// An RFC 3339 time as the activity's local time, `2026-01-01 10:00:00`
/// (the page labels the zone).
pub fn local_time(rfc3339: &str, timezone: &str) -> String {
    let tz = crate::clock::parse_timezone(timezone).unwrap_or(chrono_tz::UTC);
    match crate::clock::parse_rfc3339(rfc3339) {
        Some(ms) => chrono::DateTime::from_timestamp_millis(ms)
            .unwrap_or_default()
            .with_timezone(&tz)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        None => rfc3339.to_owned(),
    }
}

/// Record a change made in the console in the tenant's audit log, as the
/// API records the same change.
pub async fn audit(
    arcade: &crate::service::Arcade,
    session: &Session,
    action: &str,
    target: &str,
    detail: serde_json::Value,
) -> Result<(), Problem> {
    let tenant = session.tenant()?;
    arcade
        .record_audit(&session.who.principal(), tenant, action, target, detail)
        .await
        .map_err(|e| Problem::from_error(session.lang, e))
}

/// Render a template as a page, or a 500 naming the failure.
pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "console template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html(format!("<p>template error: {e}</p>")),
            )
                .into_response()
        }
    }
}

/// The console's errors, shown as a page (or, to htmx, as a fragment it
/// puts in the page's problem area).
#[derive(Debug)]
pub enum Problem {
    /// Not signed in, or the session ended: to the sign-in page.
    SignIn(Lang),
    /// A state change without the session's CSRF token.
    Csrf(Lang),
    /// A state change by an analyst key.
    ReadOnly(Lang),
    /// A tenant page for the admin token.
    NeedsKey(Lang),
    /// An admin page for a tenant key.
    NeedsAdmin(Lang),
    /// What the service refused, with its status and message.
    Service(Lang, Error),
}

impl Problem {
    /// A service error in `lang`.
    pub fn from_error(lang: Lang, e: Error) -> Problem {
        Problem::Service(lang, e)
    }
}

#[derive(Template)]
#[template(path = "console/problem.html")]
struct ProblemPage<'a> {
    lang: Lang,
    status: u16,
    code: &'a str,
    message: String,
}

impl ProblemPage<'_> {
    fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let (lang, status, code, message) = match self {
            Problem::SignIn(_) => {
                let mut r = Redirect::to("/console/login").into_response();
                // htmx follows this instead of swapping the sign-in page in.
                r.headers_mut()
                    .insert("HX-Redirect", HeaderValue::from_static("/console/login"));
                return r;
            }
            Problem::Csrf(l) => (
                l,
                403,
                "csrf_failed".to_owned(),
                l.t("problem_csrf").to_owned(),
            ),
            Problem::ReadOnly(l) => (
                l,
                403,
                "read_only".to_owned(),
                l.t("problem_read_only").to_owned(),
            ),
            Problem::NeedsKey(l) => (
                l,
                403,
                "needs_tenant_key".to_owned(),
                l.t("problem_needs_key").to_owned(),
            ),
            Problem::NeedsAdmin(l) => (
                l,
                403,
                "needs_admin".to_owned(),
                l.t("problem_needs_admin").to_owned(),
            ),
            Problem::Service(l, e) => (l, e.status(), e.code(), e.to_string()),
        };
        let page = ProblemPage {
            lang,
            status,
            code: &code,
            message,
        };
        let mut r = render(&page);
        *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r
    }
}

/// `/console`: the matrix for a key, the plugins page for the admin.
pub async fn home(session: Option<Session>) -> Redirect {
    match session.map(|s| s.who) {
        None => Redirect::to("/console/login"),
        Some(Who::Admin) => Redirect::to("/console/plugins"),
        Some(_) => Redirect::to("/console/groups"),
    }
}
