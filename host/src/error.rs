//! The domain error. Every variant has an HTTP status and a stable
//! machine-readable code; the HTTP layer renders it as
//! `{"error":{"code":...,"message":...}}`.

use crate::sandbox::{
    ConfigProblem, GuestError, GuestErrorKind, HostFault, Overloaded, PluginFailure,
};
use crate::store::StoreError;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No or wrong credentials.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// The key may not do this.
    #[error("{0}")]
    Forbidden(&'static str),
    /// Not found, or not visible to this tenant.
    #[error("{what} {id:?} not found")]
    NotFound {
        /// Code suffix and noun, such as `activity`.
        what: &'static str,
        /// The id asked for.
        id: String,
    },
    /// The body is not parseable at all (HTTP 400).
    #[error("{0}")]
    Malformed(String),
    /// The request is well-formed but invalid (HTTP 422).
    #[error("{message}")]
    Invalid {
        /// Stable code.
        code: &'static str,
        /// Explanation.
        message: String,
    },
    /// The activity config was refused by the plugin or its schema.
    #[error("the config is invalid: {}", summary(.0))]
    InvalidConfig(Vec<ConfigProblem>),
    /// The action's payload does not match the schema the plugin declared
    /// for it.
    #[error("the payload is invalid: {}", summary(.0))]
    InvalidPayload(Vec<ConfigProblem>),
    /// The request conflicts with the current state.
    #[error("{message}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// Explanation.
        message: String,
    },
    /// The mechanic refused the action.
    #[error("{}", .0.message)]
    Guest(GuestError),
    /// The plugin failed; only this action is affected. Host faults
    /// during a call are not this (see the `From<PluginFailure>` impl).
    #[error(transparent)]
    Plugin(PluginFailure),
    /// The sandbox is saturated; retrying after `Retry-After` will work.
    #[error(transparent)]
    Overloaded(Overloaded),
    /// The store failed while a plugin call read from it.
    #[error("{0}")]
    StorageFault(String),
    /// The body is too large.
    #[error("{0}")]
    TooLarge(String),
    /// The request was refused at the HTTP level (route, method, size,
    /// timing, path encoding) before or instead of a handler's own checks.
    #[error("{message}")]
    Http {
        /// The HTTP status, 4xx or 5xx.
        status: u16,
        /// Stable code.
        code: &'static str,
        /// Explanation.
        message: String,
    },
    /// Too much contention to commit; retrying later will work.
    #[error("the activity is too busy to commit this action; retry")]
    Contention,
    /// The API key is over its tenant's rate limit; a request after the
    /// wait will pass.
    #[error("this API key is over its tenant's rate limit; retry in {} ms", .0.as_millis().max(1))]
    RateLimited(std::time::Duration),
    /// A storage failure.
    #[error(transparent)]
    Store(StoreError),
    /// A host bug.
    #[error("internal error: {0}")]
    Internal(String),
    /// An inline attempt of a call gave up (see `CallIo::inline`); the
    /// service runs the call again on the blocking pool, so this never
    /// reaches a client unless that is forgotten.
    #[error("internal error: an inline call was not run again")]
    Offload,
}

fn summary(problems: &[ConfigProblem]) -> String {
    problems
        .iter()
        .map(|p| {
            if p.field.is_empty() {
                p.message.clone()
            } else {
                format!("{}: {}", p.field, p.message)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<PluginFailure> for Error {
    fn from(f: PluginFailure) -> Self {
        match f {
            PluginFailure::Host(HostFault::Overloaded(o)) => Error::Overloaded(o),
            PluginFailure::Host(HostFault::Storage(m)) => Error::StorageFault(m),
            PluginFailure::Host(HostFault::Offload) => Error::Offload,
            other => Error::Plugin(other),
        }
    }
}

impl From<Overloaded> for Error {
    fn from(o: Overloaded) -> Self {
        Error::Overloaded(o)
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Error::NotFound {
                what,
                id: String::new(),
            },
            other => Error::Store(other),
        }
    }
}

impl Error {
    /// An invalid-request error.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid {
            code,
            message: message.into(),
        }
    }

    /// A conflict error.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Error::Conflict {
            code,
            message: message.into(),
        }
    }

    /// An HTTP-level refusal with its own status.
    pub fn http(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Error::Http {
            status,
            code,
            message: message.into(),
        }
    }

    /// A not-found error.
    pub fn not_found(what: &'static str, id: &str) -> Self {
        Error::NotFound {
            what,
            id: id.to_owned(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            Error::Unauthorized(_) => 401,
            Error::Forbidden(_) => 403,
            Error::Malformed(_) => 400,
            Error::NotFound { .. } => 404,
            Error::Invalid { .. } | Error::InvalidConfig(_) | Error::InvalidPayload(_) => 422,
            Error::Conflict { .. } => 409,
            Error::Guest(g) => match g.kind {
                GuestErrorKind::InvalidInput => 422,
                GuestErrorKind::Rejected => 409,
                GuestErrorKind::NotFound => 404,
            },
            Error::Plugin(PluginFailure::Timeout(_)) => 504,
            Error::Plugin(_) => 502,
            Error::TooLarge(_) => 413,
            Error::Http { status, .. } => *status,
            Error::Contention | Error::Overloaded(_) => 503,
            Error::RateLimited(_) => 429,
            Error::Store(_) | Error::StorageFault(_) | Error::Internal(_) | Error::Offload => 500,
        }
    }

    /// The stable code.
    pub fn code(&self) -> String {
        match self {
            Error::Unauthorized(_) => "unauthorized".into(),
            Error::Forbidden(_) => "forbidden".into(),
            Error::Malformed(_) => "invalid_json".into(),
            Error::NotFound { what, .. } => format!("{what}_not_found"),
            Error::Invalid { code, .. }
            | Error::Conflict { code, .. }
            | Error::Http { code, .. } => (*code).into(),
            Error::InvalidConfig(_) => "invalid_config".into(),
            Error::InvalidPayload(_) => "invalid_payload".into(),
            Error::Guest(g) => g.code.clone(),
            Error::Plugin(p) => p.code().into(),
            Error::TooLarge(_) => "payload_too_large".into(),
            Error::Contention => "contention".into(),
            Error::RateLimited(_) => "rate_limited".into(),
            Error::Overloaded(_) => "overloaded".into(),
            Error::Store(_) | Error::StorageFault(_) => "storage_error".into(),
            Error::Internal(_) | Error::Offload => "internal_error".into(),
        }
    }

    /// Seconds after which a retry is likely to succeed, for errors that
    /// say so (`Retry-After`).
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Error::Overloaded(o) => Some(o.retry_after.as_secs().max(1)),
            Error::Contention => Some(1),
            // Whole seconds, rounded up: never earlier than the bucket.
            Error::RateLimited(wait) => Some(wait.as_millis().div_ceil(1000).max(1) as u64),
            _ => None,
        }
    }

    /// Structured details, where there are any.
    pub fn details(&self) -> Option<serde_json::Value> {
        match self {
            Error::InvalidConfig(problems) | Error::InvalidPayload(problems) => {
                serde_json::to_value(problems).ok()
            }
            _ => None,
        }
    }
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;
