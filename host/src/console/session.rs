//! Signing in: an operator, owner or analyst key (or the admin token, for
//! the plugins page) is checked once and traded for a session cookie. The
//! cookie holds who signed in and until when, signed with a key derived
//! from the service secret, so it is good on every replica and across
//! restarts; it is `HttpOnly` and `SameSite=Strict`, scoped to
//! `/console`, and lasts [`SESSION_MS`]. Each request checks the
//! signature, the expiry and that the key is still unrevoked. Every form
//! and every htmx request carries a CSRF token derived from the cookie.

use std::sync::Arc;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use super::i18n::{LANG_COOKIE, Lang};
use super::pages::Problem;
use crate::service::Arcade;
use crate::store::Role;

/// The session cookie's name.
pub const COOKIE: &str = "arcade_console";
/// How long a session lasts: a working day.
pub const SESSION_MS: i64 = 12 * 3_600_000;
/// The header htmx sends the CSRF token in (forms send the field `csrf`).
pub const CSRF_HEADER: &str = "x-csrf-token";

const SIGNING: &str = "arcade console session cookie v1";
const CSRF: &str = "arcade console csrf token v1";

/// Who is signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    /// The admin token: the plugins page only.
    Admin,
    /// A tenant key.
    Key {
        /// The tenant.
        tenant_id: String,
        /// The key's public id.
        key_id: String,
        /// Its role: owner, operator or analyst.
        role: Role,
    },
}

impl Who {
    /// Whether this session may change things (owner and operator keys).
    pub fn manages(&self) -> bool {
        matches!(
            self,
            Who::Key {
                role: Role::Owner | Role::Operator,
                ..
            }
        )
    }

    /// The tenant, for a key's session.
    pub fn tenant(&self) -> Option<&str> {
        match self {
            Who::Key { tenant_id, .. } => Some(tenant_id),
            Who::Admin => None,
        }
    }

    /// The audit log's actor.
    pub fn actor(&self) -> &str {
        match self {
            Who::Admin => "admin",
            Who::Key { key_id, .. } => key_id,
        }
    }

    /// The same caller as the API knows it, for the audit log.
    pub fn principal(&self) -> crate::service::Principal {
        match self {
            Who::Admin => crate::service::Principal::Admin,
            Who::Key {
                tenant_id,
                key_id,
                role,
            } => crate::service::Principal::Tenant {
                tenant_id: tenant_id.clone(),
                key_id: key_id.clone(),
                role: *role,
            },
        }
    }

    /// The role's catalogue key, for the header.
    pub fn role_key(&self) -> &'static str {
        match self {
            Who::Admin => "role_admin",
            Who::Key { role, .. } => match role {
                Role::Owner => "role_owner",
                Role::Operator => "role_operator",
                Role::Analyst => "role_analyst",
                Role::Platform => "role_platform",
            },
        }
    }
}

/// A signed-in request: who, the language, and the CSRF token its pages
/// put in forms.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who signed in.
    pub who: Who,
    /// The chosen language.
    pub lang: Lang,
    /// The token forms and htmx requests send back.
    pub csrf: String,
}

/// The cookie's value for `who` until `expires_ms`.
pub fn cookie_value(arcade: &Arcade, who: &Who, expires_ms: i64) -> String {
    let body = match who {
        Who::Admin => format!("admin.-.-.{expires_ms}"),
        Who::Key {
            tenant_id,
            key_id,
            role,
        } => format!("{}.{tenant_id}.{key_id}.{expires_ms}", role.as_str()),
    };
    let mac = blake3::keyed_hash(&arcade.derived_key(SIGNING), body.as_bytes());
    format!("{body}.{}", mac.to_hex())
}

/// The `Set-Cookie` header that starts a session (or, with `None`, ends
/// it).
pub fn set_cookie(value: Option<&str>) -> String {
    match value {
        Some(v) => format!(
            "{COOKIE}={v}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={}",
            SESSION_MS / 1000
        ),
        None => format!("{COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0"),
    }
}

/// Who a cookie value names, if its signature holds and it has not
/// expired at `now_ms`.
pub fn verify(arcade: &Arcade, value: &str, now_ms: i64) -> Option<Who> {
    let (body, mac) = value.rsplit_once('.')?;
    let want = blake3::keyed_hash(&arcade.derived_key(SIGNING), body.as_bytes());
    // blake3's Hash compares in constant time.
    if want != blake3::Hash::from_hex(mac).ok()? {
        return None;
    }
    let mut parts = body.split('.');
    let (role, tenant, key, expires) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || expires.parse::<i64>().ok()? <= now_ms {
        return None;
    }
    if role == "admin" {
        return Some(Who::Admin);
    }
    let role = match role {
        "owner" => Role::Owner,
        "operator" => Role::Operator,
        "analyst" => Role::Analyst,
        _ => return None,
    };
    Some(Who::Key {
        tenant_id: tenant.to_owned(),
        key_id: key.to_owned(),
        role,
    })
}

/// The CSRF token of a session cookie.
pub fn csrf_token(arcade: &Arcade, cookie: &str) -> String {
    let mac = blake3::keyed_hash(&arcade.derived_key(CSRF), cookie.as_bytes());
    mac.to_hex()[..32].to_owned()
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The language of a request: its cookie, else zh-CN.
pub fn lang(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE).map_or(Lang::default(), Lang::parse)
}

impl FromRequestParts<Arc<Arcade>> for Session {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, arcade: &Arc<Arcade>) -> Result<Self, Problem> {
        let lang = lang(&parts.headers);
        let Some(value) = cookie(&parts.headers, COOKIE) else {
            return Err(Problem::SignIn(lang));
        };
        let Some(who) = verify(arcade, value, arcade.now()) else {
            return Err(Problem::SignIn(lang));
        };
        // A revoked key ends its sessions.
        if let Who::Key {
            tenant_id, key_id, ..
        } = &who
        {
            let keys = arcade
                .api_keys(tenant_id)
                .await
                .map_err(|e| Problem::from_error(lang, e))?;
            if !keys.iter().any(|k| &k.id == key_id && !k.revoked) {
                return Err(Problem::SignIn(lang));
            }
        }
        let csrf = csrf_token(arcade, value);
        Ok(Session { who, lang, csrf })
    }
}

impl OptionalFromRequestParts<Arc<Arcade>> for Session {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        arcade: &Arc<Arcade>,
    ) -> Result<Option<Self>, Problem> {
        match <Session as FromRequestParts<Arc<Arcade>>>::from_request_parts(parts, arcade).await {
            Ok(s) => Ok(Some(s)),
            Err(Problem::SignIn(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl Session {
    /// Refuse a state change without this session's CSRF token (in the
    /// form's `csrf` field or the `X-CSRF-Token` header), or by a session
    /// that only reads.
    pub fn check_write(
        &self,
        headers: &HeaderMap,
        form_token: Option<&str>,
    ) -> Result<(), Problem> {
        let header = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        let sent = form_token.or(header).unwrap_or("");
        if !constant_time_eq(sent.as_bytes(), self.csrf.as_bytes()) {
            return Err(Problem::Csrf(self.lang));
        }
        if !self.who.manages() {
            return Err(Problem::ReadOnly(self.lang));
        }
        Ok(())
    }

    /// The tenant of a key's session; the admin has none.
    pub fn tenant(&self) -> Result<&str, Problem> {
        self.who.tenant().ok_or(Problem::NeedsKey(self.lang))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_from_every_cookie_header() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, "a=1; arcade_lang=en".parse().unwrap());
        h.append(header::COOKIE, "arcade_console=xyz".parse().unwrap());
        assert_eq!(cookie(&h, "arcade_console"), Some("xyz"));
        assert_eq!(lang(&h), Lang::En);
        assert_eq!(cookie(&h, "missing"), None);
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
