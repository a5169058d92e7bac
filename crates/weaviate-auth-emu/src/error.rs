//! `Error`, and the one place where failures become Weaviate's HTTP answers (spec 2.1, 7.1).
//!
//! Three shapes exist on the wire, all recorded from v1.38.11:
//! * the generic error writer of go-openapi: `{"code":<n>,"message":"<text>"}`, no trailing newline,
//!   `<`, `>`, `&` escaped as `\u003c`, `\u003e`, `\u0026` (authentication failures, 404/405 of the router);
//! * handler errors: `{"error":[{"message":"<text>"}]}` plus a newline, no HTML escaping (403, 409, 422);
//! * empty bodies with no Content-Type (own-info as anonymous, unknown DB user, 409 of (de)activate).
//!
//! The `match` has no catch-all arm, so every new variant gets its answer on purpose.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// A `Result` with this crate's `Error`.
pub type Result<T> = std::result::Result<T, Error>;

/// A failure while serving a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The anonymous gate (spec 2.1 step 3): 401, `text/plain`, Weaviate's oddly spaced body; holds the method list.
    #[error("anonymous access not enabled. Please authenticate through one of the available methods: [{0}]")]
    AnonymousNotEnabled(String),
    /// A failed credential check (spec 3): 401 in the generic writer's shape.
    #[error("{0}")]
    Unauthorized(String),
    /// Any other failure of the generic writer's shape with its own status (OIDC claim 500s, 400, 415).
    #[error("{message}")]
    Coded {
        /// HTTP status and `code` field.
        status: u16,
        /// The `message` field.
        message: String,
    },
    /// An authorization denial (spec 4): 403 `{"error":[{"message":…}]}`.
    #[error("{0}")]
    Forbidden(String),
    /// 401 with an empty body (own-info as anonymous, spec 3.3).
    #[error("not authenticated")]
    EmptyUnauthorized,
    /// The router found no route (spec 2.1 step 2): holds the escaped path.
    #[error("path {0} was not found")]
    RouteNotFound(String),
    /// The route exists but not for this method (spec 2.1 step 2).
    #[error("method {method} is not allowed")]
    MethodNotAllowed {
        /// The request method.
        method: String,
        /// The route's methods, in the order the `Allow` header lists them.
        allowed: Vec<&'static str>,
    },
    /// A known operation that the router refuses (well-known live/ready with a query string): 501.
    #[error("operation {0} has not yet been implemented")]
    NotImplemented(&'static str),
    /// 400 with a handler error body (`you can not delete built-in role <r>`, `unknown groupType: <t>`).
    #[error("{0}")]
    BadRequest(String),
    /// 404 with an empty body (unknown DB user, openid-configuration with OIDC off).
    #[error("not found")]
    EmptyNotFound,
    /// 404 with a handler error body (e.g. `static user <id> does not exist`).
    #[error("{0}")]
    NotFound(String),
    /// 409 with an empty body ((de)activating a user already in that state).
    #[error("conflict")]
    EmptyConflict,
    /// 409 with a handler error body (`user '<id>' already exists`).
    #[error("{0}")]
    Conflict(String),
    /// 422 with a handler error body (bad user id, DB users off, root/static/own user).
    #[error("{0}")]
    Unprocessable(String),
    /// 500 with a handler error body; the detail was logged where it happened.
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// The HTTP status of this failure.
    pub fn status(&self) -> StatusCode {
        let code = match self {
            Error::AnonymousNotEnabled(_) | Error::Unauthorized(_) | Error::EmptyUnauthorized => 401,
            Error::Coded { status, .. } => *status,
            Error::Forbidden(_) => 403,
            Error::BadRequest(_) => 400,
            Error::RouteNotFound(_) | Error::EmptyNotFound | Error::NotFound(_) => 404,
            Error::MethodNotAllowed { .. } => 405,
            Error::NotImplemented(_) => 501,
            Error::EmptyConflict | Error::Conflict(_) => 409,
            Error::Unprocessable(_) => 422,
            Error::Internal(_) => 500,
        };
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// A JSON string literal as Go's `encoding/json` writes it by default: HTML-sensitive characters
/// and the two JavaScript line separators escaped (`\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029`).
pub fn go_json_string(text: &str) -> String {
    let plain = serde_json::Value::String(text.to_owned()).to_string();
    let mut out = String::with_capacity(plain.len());
    for c in plain.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// The generic writer's body: `{"code":<n>,"message":"<text>"}` (no newline).
pub fn coded_body(code: u16, message: &str) -> String {
    format!("{{\"code\":{code},\"message\":{}}}", go_json_string(message))
}

/// A handler's error body: `{"error":[{"message":"<text>"}]}` and a newline (no HTML escaping).
pub fn error_list_body(message: &str) -> String {
    format!("{}\n", serde_json::json!({"error": [{"message": message}]}))
}

fn with_body(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn empty(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let code = status.as_u16();
        match self {
            Error::AnonymousNotEnabled(methods) => {
                // Weaviate writes this by hand, with a space after "message": and before the final brace,
                // and sets no Content-Type; Go's server sniffs text/plain.
                let body = format!(
                    "{{\"code\":401,\"message\": \"anonymous access not enabled. Please authenticate through one of the available methods: [{methods}]\" }}"
                );
                with_body(status, "text/plain; charset=utf-8", body)
            }
            Error::Unauthorized(message) | Error::Coded { message, .. } => {
                with_body(status, "application/json", coded_body(code, &message))
            }
            Error::RouteNotFound(path) => with_body(status, "application/json", coded_body(code, &format!("path {path} was not found"))),
            Error::MethodNotAllowed { method, allowed } => {
                let list = allowed.join(",");
                let body = coded_body(code, &format!("method {method} is not allowed, but [{list}] are"));
                let mut response = with_body(status, "application/json", body);
                if let Ok(value) = HeaderValue::from_str(&list) {
                    response.headers_mut().insert(header::ALLOW, value);
                }
                response
            }
            Error::NotImplemented(operation) => {
                let body = format!(
                    "{}\n",
                    serde_json::Value::String(format!("operation {operation} has not yet been implemented"))
                );
                with_body(status, "application/json", body)
            }
            Error::Forbidden(message)
            | Error::BadRequest(message)
            | Error::NotFound(message)
            | Error::Conflict(message)
            | Error::Unprocessable(message)
            | Error::Internal(message) => with_body(status, "application/json", error_list_body(&message)),
            Error::EmptyUnauthorized | Error::EmptyNotFound | Error::EmptyConflict => empty(status),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s2_1_generic_writer_escapes_html_characters_like_go() {
        assert_eq!(
            coded_body(500, "is not a string, but <nil> & more"),
            r#"{"code":500,"message":"is not a string, but \u003cnil\u003e \u0026 more"}"#
        );
    }

    #[test]
    fn s4_1_handler_errors_are_a_list_with_a_newline() {
        assert_eq!(error_list_body("'<x>' bad"), "{\"error\":[{\"message\":\"'<x>' bad\"}]}\n");
    }
}
