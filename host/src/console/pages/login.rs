//! Signing in and out, and the language switch.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Chrome, Problem, render};
use crate::console::i18n::{LANG_COOKIE, Lang};
use crate::console::session::{self, SESSION_MS, Session, Who};
use crate::service::{Arcade, Principal};
use crate::store::Role;

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage {
    chrome: Chrome,
    /// Why the last try failed.
    error: Option<&'static str>,
}

fn login_page(lang: Lang, error: Option<&'static str>) -> LoginPage {
    LoginPage {
        chrome: Chrome {
            lang,
            who: None,
            csrf: String::new(),
            nav: "login",
            path: "/console/login".into(),
        },
        error,
    }
}

/// `GET /console/login`.
pub async fn page(headers: HeaderMap) -> Response {
    render(&login_page(session::lang(&headers), None))
}

/// The sign-in form.
#[derive(Deserialize)]
pub struct SignIn {
    key: String,
}

/// `POST /console/login`: check the key, start a session.
pub async fn sign_in(
    State(arcade): State<Arc<Arcade>>,
    headers: HeaderMap,
    Form(form): Form<SignIn>,
) -> Response {
    let lang = session::lang(&headers);
    let refuse = |error: &'static str| {
        let mut r = render(&login_page(lang, Some(error)));
        *r.status_mut() = StatusCode::UNAUTHORIZED;
        r
    };
    let who = match arcade.authenticate(form.key.trim()).await {
        Ok(Principal::Admin) => Who::Admin,
        Ok(Principal::Tenant {
            role: Role::Platform,
            ..
        }) => return refuse("login_platform_key"),
        Ok(Principal::Tenant {
            tenant_id,
            key_id,
            role,
        }) => Who::Key {
            tenant_id,
            key_id,
            role,
        },
        Err(_) => return refuse("login_bad_key"),
    };
    let value = session::cookie_value(&arcade, &who, arcade.now() + SESSION_MS);
    let mut r = Redirect::to("/console").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&session::set_cookie(Some(&value))).expect("a cookie is a header"),
    );
    r
}

/// The sign-out form.
#[derive(Deserialize)]
pub struct SignOut {
    csrf: String,
}

/// `POST /console/logout`.
pub async fn sign_out(
    session: Session,
    headers: HeaderMap,
    Form(form): Form<SignOut>,
) -> Result<Response, Problem> {
    // Any session may sign out, readers too; the token still has to match.
    if let Err(Problem::Csrf(l)) = session.check_write(&headers, Some(&form.csrf)) {
        return Err(Problem::Csrf(l));
    }
    let mut r = Redirect::to("/console/login").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&session::set_cookie(None)).expect("a cookie is a header"),
    );
    Ok(r)
}

/// `?to=en&back=/console/...`.
#[derive(Deserialize)]
pub struct Switch {
    to: String,
    #[serde(default)]
    back: Option<String>,
}

/// `GET /console/lang`: remember the language, go back to the page.
pub async fn switch_lang(Query(q): Query<Switch>) -> Response {
    let lang = Lang::parse(&q.to);
    // Only back into the console: never an open redirect.
    let back = q
        .back
        .filter(|b| b.starts_with("/console") && !b.contains("//") && !b.contains('\\'))
        .unwrap_or_else(|| "/console".into());
    let mut r = Redirect::to(&back).into_response();
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/console; SameSite=Lax; Max-Age=31536000",
        lang.tag()
    );
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).expect("a cookie is a header"),
    );
    r
}
