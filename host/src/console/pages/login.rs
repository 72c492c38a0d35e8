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

/// The cookie holding the sign-in form's CSRF token (before there is a
/// session to derive one from): the form must send the same value.
const LOGIN_CSRF_COOKIE: &str = "arcade_login_csrf";

fn login_page(lang: Lang, error: Option<&'static str>, csrf: String) -> LoginPage {
    LoginPage {
        chrome: Chrome {
            lang,
            who: None,
            csrf,
            nav: "login",
            path: "/console/login".into(),
        },
        error,
    }
}

/// The sign-in page with a fresh CSRF token, set as a cookie too.
fn login_response(lang: Lang, error: Option<&'static str>) -> Response {
    let token = hex::encode(&crate::randomness::generate_key()[..16]);
    let mut r = render(&login_page(lang, error, token.clone()));
    let cookie = format!("{LOGIN_CSRF_COOKIE}={token}; Path=/console; HttpOnly; SameSite=Strict");
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).expect("a cookie is a header"),
    );
    r
}

/// `GET /console/login`.
pub async fn page(headers: HeaderMap) -> Response {
    login_response(session::lang(&headers), None)
}

/// The sign-in form.
#[derive(Deserialize)]
pub struct SignIn {
    key: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /console/login`: check the key, start a session.
pub async fn sign_in(
    State(arcade): State<Arc<Arcade>>,
    headers: HeaderMap,
    Form(form): Form<SignIn>,
) -> Response {
    let lang = session::lang(&headers);
    let refuse = |error: &'static str| {
        let mut r = login_response(lang, Some(error));
        *r.status_mut() = StatusCode::UNAUTHORIZED;
        r
    };
    // Double submit: the form's token must be the one its page set.
    let cookie = session::cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    if cookie.is_empty() || cookie != form.csrf {
        let mut r = login_response(lang, Some("problem_csrf"));
        *r.status_mut() = StatusCode::FORBIDDEN;
        return r;
    }
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
