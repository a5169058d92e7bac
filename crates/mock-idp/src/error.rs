//! `Error`, and the one place where failures become HTTP answers (RFC 6749 §5.2, RFC 6750 §3).
//!
//! Handlers return `Result<_, Error>` and use `?`; the status code, the `WWW-Authenticate` header
//! and the cache headers are chosen here only. The `match` has no catch-all arm, so a new variant
//! must be given its answer on purpose (P53: one table maps every failure to one code).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A failure while serving a request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// RFC 6749 `invalid_request`: missing, repeated or malformed parameter, wrong content type.
    #[error("invalid_request: {0}")]
    InvalidRequest(String),
    /// RFC 6749 `invalid_client` (401): unknown client, wrong secret, wrong or missing method.
    #[error("invalid_client: {why}")]
    InvalidClient {
        /// Description sent to the client.
        why: String,
        /// The issuer, for the `WWW-Authenticate` realm.
        realm: String,
        /// The client tried HTTP Basic, so the challenge names Basic (RFC 6749 §5.2).
        basic: bool,
    },
    /// RFC 6749 `invalid_grant`: bad code, refresh token, PKCE verifier or credentials.
    #[error("invalid_grant: {0}")]
    InvalidGrant(String),
    /// RFC 6749 `unauthorized_client`: the client may not use this grant.
    #[error("unauthorized_client: {0}")]
    UnauthorizedClient(String),
    /// RFC 6749 `unsupported_grant_type`.
    #[error("unsupported_grant_type: {0}")]
    UnsupportedGrantType(String),
    /// RFC 6749 `invalid_scope`.
    #[error("invalid_scope: {0}")]
    InvalidScope(String),
    /// RFC 6750: the request carried no bearer token (401, no `error` attribute, P112).
    #[error("no bearer token")]
    MissingToken {
        /// The issuer, for the realm.
        realm: String,
    },
    /// RFC 6750 `invalid_token` (401, P113).
    #[error("invalid_token: {why}")]
    InvalidToken {
        /// The issuer, for the realm.
        realm: String,
        /// Why the token was refused.
        why: String,
    },
    /// RFC 6750 `insufficient_scope` (403, P114).
    #[error("insufficient_scope: {why}")]
    InsufficientScope {
        /// The issuer, for the realm.
        realm: String,
        /// What was missing.
        why: String,
    },
    /// A path under a tenant name that is not configured (P4).
    #[error("unknown tenant {0:?}")]
    UnknownTenant(String),
    /// A path that does not exist (P9).
    #[error("no route for {0}")]
    NotFound(String),
    /// A test-control (`_mock/`) request with a bad field or value (P125).
    #[error("{message}")]
    BadControlRequest {
        /// Short error code, e.g. `invalid_field`.
        error: &'static str,
        /// What is wrong, naming the field.
        message: String,
    },
    /// A test-control request for something that does not exist (P125).
    #[error("{0}")]
    ControlNotFound(String),
    /// A test-control request without the admin token, or with a wrong one (P125): 401.
    #[error("{0}")]
    ControlUnauthorized(String),
    /// A test-control operation this configuration does not allow (P37 export), or a `_mock/`
    /// route that no configured admin token opens (P125): 403.
    #[error("{0}")]
    ControlForbidden(String),
    /// A wait on the journal ran out of time (P141): 408.
    #[error("{0}")]
    ControlTimeout(String),
    /// The body is larger than the endpoint accepts (P45, P157).
    #[error("request body too large")]
    PayloadTooLarge,
    /// A bug or an unexpected state; the detail is logged, not sent.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Shorthand for this crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A configuration that cannot be served; refused at start with the file, field and reason.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A file could not be read.
    #[error("cannot read {file}: {source}")]
    Read {
        /// The file.
        file: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A value is wrong.
    #[error("{file}: {}{reason}", if field.is_empty() { String::new() } else { format!("{field}: ") })]
    Invalid {
        /// The file (or `<builder>`).
        file: String,
        /// Dotted key path, e.g. `tenant[0].issuer`.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// A key could not be loaded.
    #[error("key {what}: {reason}")]
    Key {
        /// The key's source.
        what: String,
        /// What is wrong.
        reason: String,
    },
    /// A TLS certificate, key or CA could not be made, read or written (P153-P155).
    #[error("TLS {what}: {reason}")]
    Tls {
        /// What was being done.
        what: String,
        /// What went wrong.
        reason: String,
    },
    /// The listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// RFC 6749 §5.2 allows only `%x20-21 / %x23-5B / %x5D-7E` in `error_description` (P52).
pub(crate) fn sanitize_description(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '"' => '\'',
            '\\' => '/',
            c if (' '..='~').contains(&c) => c,
            _ => ' ',
        })
        .collect()
}

fn no_store(resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

fn oauth(status: StatusCode, code: &str, why: &str) -> Response {
    let mut resp = (
        status,
        axum::Json(json!({"error": code, "error_description": sanitize_description(why)})),
    )
        .into_response();
    no_store(&mut resp);
    resp
}

fn bearer_challenge(realm: &str, extra: Option<(&str, &str)>) -> HeaderValue {
    let realm = sanitize_description(realm);
    let v = match extra {
        None => format!("Bearer realm=\"{realm}\""),
        Some((code, why)) => format!(
            "Bearer realm=\"{realm}\", error=\"{code}\", error_description=\"{}\"",
            sanitize_description(why)
        ),
    };
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
}

impl Error {
    /// The OAuth `error` code, for the journal and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidRequest(_) => "invalid_request",
            Error::InvalidClient { .. } => "invalid_client",
            Error::InvalidGrant(_) => "invalid_grant",
            Error::UnauthorizedClient(_) => "unauthorized_client",
            Error::UnsupportedGrantType(_) => "unsupported_grant_type",
            Error::InvalidScope(_) => "invalid_scope",
            Error::MissingToken { .. } => "missing_token",
            Error::InvalidToken { .. } => "invalid_token",
            Error::InsufficientScope { .. } => "insufficient_scope",
            Error::UnknownTenant(_) => "unknown_tenant",
            Error::NotFound(_) => "not_found",
            Error::BadControlRequest { error, .. } => error,
            Error::ControlNotFound(_) => "not_found",
            Error::ControlUnauthorized(_) => "unauthorized",
            Error::ControlForbidden(_) => "forbidden",
            Error::ControlTimeout(_) => "timeout",
            Error::PayloadTooLarge => "invalid_request",
            Error::Internal(_) => "server_error",
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match self {
            Error::InvalidRequest(why) => oauth(StatusCode::BAD_REQUEST, "invalid_request", &why),
            Error::InvalidClient { why, realm, basic } => {
                let mut resp = oauth(StatusCode::UNAUTHORIZED, "invalid_client", &why);
                // RFC 9110 §15.5.2: every 401 carries a challenge; Basic when Basic was tried.
                let scheme = if basic { "Basic" } else { "Bearer" };
                let v = format!("{scheme} realm=\"{}\", error=\"invalid_client\"", sanitize_description(&realm));
                if let Ok(v) = HeaderValue::from_str(&v) {
                    resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
                }
                resp
            }
            Error::InvalidGrant(why) => oauth(StatusCode::BAD_REQUEST, "invalid_grant", &why),
            Error::UnauthorizedClient(why) => oauth(StatusCode::BAD_REQUEST, "unauthorized_client", &why),
            Error::UnsupportedGrantType(why) => oauth(StatusCode::BAD_REQUEST, "unsupported_grant_type", &why),
            Error::InvalidScope(why) => oauth(StatusCode::BAD_REQUEST, "invalid_scope", &why),
            Error::MissingToken { realm } => {
                let mut resp = StatusCode::UNAUTHORIZED.into_response();
                resp.headers_mut().insert(header::WWW_AUTHENTICATE, bearer_challenge(&realm, None));
                no_store(&mut resp);
                resp
            }
            Error::InvalidToken { realm, why } => {
                let mut resp = oauth(StatusCode::UNAUTHORIZED, "invalid_token", &why);
                resp.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, bearer_challenge(&realm, Some(("invalid_token", &why))));
                resp
            }
            Error::InsufficientScope { realm, why } => {
                let mut resp = oauth(StatusCode::FORBIDDEN, "insufficient_scope", &why);
                resp.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    bearer_challenge(&realm, Some(("insufficient_scope", &why))),
                );
                resp
            }
            Error::UnknownTenant(name) => (
                StatusCode::NOT_FOUND,
                axum::Json(json!({"error": "unknown_tenant", "message": format!("no tenant named {name:?} is configured")})),
            )
                .into_response(),
            Error::NotFound(path) => (
                StatusCode::NOT_FOUND,
                axum::Json(json!({"error": "not_found", "message": format!("no route for {path}")})),
            )
                .into_response(),
            Error::BadControlRequest { error, message } => {
                (StatusCode::BAD_REQUEST, axum::Json(json!({"error": error, "message": message}))).into_response()
            }
            Error::ControlNotFound(message) => {
                (StatusCode::NOT_FOUND, axum::Json(json!({"error": "not_found", "message": message}))).into_response()
            }
            Error::ControlUnauthorized(message) => {
                let mut resp = (
                    StatusCode::UNAUTHORIZED,
                    axum::Json(json!({"error": "unauthorized", "message": message})),
                )
                    .into_response();
                resp.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"mock-idp admin\""),
                );
                resp
            }
            Error::ControlForbidden(message) => {
                (StatusCode::FORBIDDEN, axum::Json(json!({"error": "forbidden", "message": message}))).into_response()
            }
            Error::ControlTimeout(message) => (
                StatusCode::REQUEST_TIMEOUT,
                axum::Json(json!({"error": "timeout", "message": message})),
            )
                .into_response(),
            Error::PayloadTooLarge => {
                let mut resp = oauth(StatusCode::PAYLOAD_TOO_LARGE, "invalid_request", "request body too large");
                no_store(&mut resp);
                resp
            }
            Error::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                oauth(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "internal error")
            }
        }
    }
}
