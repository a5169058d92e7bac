//! `Error`, and the one place where failures become Weaviate's answers: HTTP status and body in
//! `IntoResponse` (spec 2.1, 7.1), gRPC code and message in `From<Error> for tonic::Status`.
//!
//! Each variant names what went wrong; its text is its `Display` and its status is chosen only in
//! `Error::status`. Three HTTP shapes exist on the wire, all recorded from v1.38.11:
//! * the generic error writer of go-openapi: `{"code":<n>,"message":"<text>"}`, no trailing newline,
//!   `<`, `>`, `&` escaped as `\u003c`, `\u003e`, `\u0026` (authentication failures, 404/405 of the
//!   router, body binding errors);
//! * handler errors: `{"error":[{"message":"<text>"}]}` plus a newline, no HTML escaping (403, 409, 422);
//! * empty bodies with no Content-Type (own-info as anonymous, unknown DB user, 409 of (de)activate).
//!
//! No `match` here has a catch-all arm, so every new variant gets its answer on purpose.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tonic::Code;

/// A `Result` with this crate's `Error`.
pub type Result<T> = std::result::Result<T, Error>;

/// A failure while serving a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ---- authentication (built in `authentication/`) ------------------------------------------
    /// The anonymous gate (spec 2.1 step 3): 401, `text/plain`, Weaviate's oddly spaced body; holds the method list.
    #[error("anonymous access not enabled. Please authenticate through one of the available methods: [{0}]")]
    AnonymousNotEnabled(String),
    /// A failed credential check (spec 3): 401 in the generic writer's shape.
    #[error("{0}")]
    Unauthorized(String),
    /// A verified token whose username or groups claim Weaviate cannot read (spec 7.1): 500 in
    /// the generic writer's shape. Handlers never build it.
    #[error("{0}")]
    OidcClaims(String),
    /// 401 with an empty body (own-info as anonymous, spec 3.3).
    #[error("not authenticated")]
    EmptyUnauthorized,
    /// A failed credential check on v1.38.11's REST search and aggregate operations, which
    /// answer it in the `{"error":[{"message":...}]}` shape (recorded; every other route uses
    /// the generic writer's): 401.
    #[error("{0}")]
    SearchUnauthorized(String),

    // ---- router and request body ---------------------------------------------------------------
    /// The router found no route (spec 2.1 step 2): holds the path as sent.
    #[error("path {0} was not found")]
    RouteNotFound(String),
    /// The route exists but not for this method (spec 2.1 step 2).
    #[error("method {method} is not allowed, but [{}] are", allowed.join(","))]
    MethodNotAllowed {
        /// The request method.
        method: String,
        /// The route's methods, in the order the `Allow` header lists them.
        allowed: Vec<&'static str>,
    },
    /// A known operation that the router refuses (well-known live/ready with a query string): 501.
    #[error("operation {0} has not yet been implemented")]
    NotImplemented(&'static str),
    /// Spec 2.2: a body in a media type other than JSON or YAML (415); holds the media type.
    #[error("unsupported media type {0:?}, only [application/json application/yaml] are allowed")]
    UnsupportedMediaType(String),
    /// A body above `server::MAX_BODY_BYTES` (413).
    #[error("request body too large")]
    BodyTooLarge,
    /// go-openapi's binding error (400): the body is not JSON or a field has the wrong type;
    /// holds the reason after `because`.
    #[error("parsing body body from \"\" failed, because {0}")]
    InvalidBody(String),

    // ---- authorization -------------------------------------------------------------------------
    /// An authorization denial (spec 4): 403 with the authorizer's text.
    #[error("{0}")]
    Forbidden(String),
    /// Recorded on v1.38.11: a class-filtered `GET /v1/objects` wraps its denial.
    #[error("msg:{0} code:403 err:{0}")]
    ClassFilterDenied(String),
    /// Recorded on v1.38.11: GraphQL checks `read_collections` on `*` first, with this prefix.
    #[error("due to GraphQL introspection, this role must have the permission to `read_collections` on `*` (all) collections: {0}")]
    IntrospectionDenied(String),
    /// Recorded on v1.38.11: creating or reading a role prefixes its denial with this text.
    #[error("can only create roles with less or equal permissions as the current user: {0}")]
    RoleDenied(String),
    /// Spec 6.3: importing a static key under RBAC is for root users only (403).
    #[error("only root users can import static api keys")]
    ImportNeedsRoot,
    /// `root` and `read-only` are assigned by the environment only (403); holds `assigning` or
    /// `revoking` and the role.
    #[error("{verb}: modifying '{role}' role or changing its assignments is not allowed")]
    EnvOnlyRole {
        /// `assigning` or `revoking`.
        verb: &'static str,
        /// The role named in the request.
        role: String,
    },

    // ---- missing things (404) ------------------------------------------------------------------
    /// 404 with an empty body (unknown DB user, class, object or role; openid-configuration with OIDC off).
    #[error("not found")]
    EmptyNotFound,
    /// Spec 6.3: importing a static key whose user has none.
    #[error("static user {0} does not exist")]
    StaticUserMissing(String),
    /// An assignment names a role that does not exist.
    #[error("one or more of the roles requested doesn't exist")]
    RolesMissing,

    // ---- conflicts (409) -----------------------------------------------------------------------
    /// A DB user or an imported static user of that name exists.
    #[error("user '{0}' already exists")]
    UserExists(String),
    /// A role of that name exists.
    #[error("role with name {0} already exists")]
    RoleExists(String),
    /// 409 with an empty body: (de)activating a user already in that state.
    #[error("user already in that state")]
    UserStateUnchanged,

    // ---- bad requests (400) --------------------------------------------------------------------
    /// Deleting a built-in role.
    #[error("you can not delete built-in role {0}")]
    BuiltInRole(String),
    /// An assignment with no roles.
    #[error("roles can not be empty")]
    NoRoles,
    /// A group assignment whose `groupType` is not `oidc` (empty when missing).
    #[error("unknown groupType: {0}")]
    UnknownGroupType(String),

    // ---- unprocessable (422) -------------------------------------------------------------------
    /// Spec 6.2: a user id that is not a valid user name.
    #[error("'{0}' is not a valid user name")]
    InvalidUserName(String),
    /// Spec 6.2: a user id over 128 characters.
    #[error("'{0}' is not a valid user name. Name should not be longer than 128 characters")]
    UserNameTooLong(String),
    /// `AUTHENTICATION_DB_USERS_ENABLED` is off.
    #[error("db user management is not enabled")]
    DbUsersDisabled,
    /// Spec 6.3: deactivating or deleting the caller's own user.
    #[error("cannot {action} its own user \"{user}\"")]
    OwnUser {
        /// `deactivate` or `delete`.
        action: &'static str,
        /// The caller.
        user: String,
    },
    /// Spec 6.3: changing a root user.
    #[error("cannot {action} root user")]
    RootUser {
        /// `activate`, `deactivate` or `delete`.
        action: &'static str,
    },
    /// Spec 6.3: changing a static user that was not imported.
    #[error("user '{0}' is static user")]
    StaticUser(String),
    /// Spec 6.3: creating a DB user named like a root user.
    #[error("cannot create db user with root user name")]
    RootUserName,
    /// A class name that is empty or breaks Weaviate's rule; recorded on v1.38.11 with `"allowed":null`.
    #[error("'{0}' is not a valid class name")]
    InvalidClassName(String),
    /// A class of that name (in any case) exists; recorded on v1.38.11 with `"allowed":null`.
    #[error("class name {0} already exists")]
    ClassExists(String),
    /// An object without a class.
    #[error("invalid object: the given class is empty")]
    ObjectClassEmpty,
    /// An object with that id exists in the class.
    #[error("id '{0}' already exists")]
    ObjectExists(String),
    /// A REST object whose property values do not fit the class; holds `objects::property_types`'s text.
    #[error("invalid object: {0}")]
    InvalidObject(String),
    /// A `PUT` whose body names another id than the path (or none).
    #[error("invalid update: field 'id' is immutable")]
    ObjectIdImmutable,
    /// A `PATCH` of an object whose property values do not fit the class (422, wrapped).
    #[error("msg:bad request code:400 err:{0}")]
    InvalidMerge(String),
    /// A `PATCH` of an object without a body: 400 with an empty body (recorded on v1.38.11).
    #[error("no body")]
    MergeBodyMissing,
    /// go-openapi's check of a required body (422 in the generic writer's shape, code 602).
    #[error("body in body is required")]
    BodyRequired,

    // ---- gRPC bodies ---------------------------------------------------------------------------
    /// A search or aggregation names a class the schema lacks (gRPC `UNKNOWN`).
    #[error("could not find class {0} in schema")]
    ClassNotInSchema(String),
    /// Recorded on v1.38.11: `Aggregate` prefixes its parameter failures (denial or missing class).
    #[error("parse params: {0}")]
    ParseParams(Box<Error>),
    /// `TenantsGet`: no tenants to list; holds the reason after `could not get tenants: ` (gRPC `UNKNOWN`).
    #[error("get tenants: failed to execute query: could not get tenants: could not get tenants: {0}")]
    NoTenants(String),
    /// A gRPC method this emulation authenticates but does not serve (gRPC `UNIMPLEMENTED`).
    #[error("{0} is not emulated yet")]
    NotEmulated(&'static str),
    /// A batched object whose property values do not fit the class (a per-object gRPC error).
    #[error("{0}")]
    InvalidProperty(String),
    /// A batched object whose uuid has not one of Go's accepted lengths.
    #[error("invalid UUID length: {0}")]
    InvalidUuidLength(usize),
    /// A batched object whose uuid has the length but not the form of one.
    #[error("invalid UUID format")]
    InvalidUuidFormat,
    /// `BatchStream`: the client closed its side before sending anything.
    #[error("initial stream message receive: EOF")]
    StreamNeverStarted,
    /// `BatchStream`: the first message is not `start`.
    #[error("first message must be a start message")]
    StreamNotStarted,
    /// `BatchStream`: a second `start`, or an empty message, after the first.
    #[error("invalid batch send request: data field is nil")]
    StreamDataMissing,
}

impl Error {
    /// The HTTP status of this failure.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::AnonymousNotEnabled(_) | Error::Unauthorized(_) | Error::EmptyUnauthorized | Error::SearchUnauthorized(_) => {
                StatusCode::UNAUTHORIZED
            }
            Error::OidcClaims(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Error::RouteNotFound(_) | Error::EmptyNotFound | Error::StaticUserMissing(_) | Error::RolesMissing => StatusCode::NOT_FOUND,
            Error::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Error::NotImplemented(_) | Error::NotEmulated(_) => StatusCode::NOT_IMPLEMENTED,
            Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Error::InvalidBody(_) | Error::BuiltInRole(_) | Error::NoRoles | Error::UnknownGroupType(_) => StatusCode::BAD_REQUEST,
            Error::Forbidden(_)
            | Error::ClassFilterDenied(_)
            | Error::IntrospectionDenied(_)
            | Error::RoleDenied(_)
            | Error::ImportNeedsRoot
            | Error::EnvOnlyRole { .. } => StatusCode::FORBIDDEN,
            Error::UserExists(_) | Error::RoleExists(_) | Error::UserStateUnchanged => StatusCode::CONFLICT,
            Error::InvalidUserName(_)
            | Error::UserNameTooLong(_)
            | Error::DbUsersDisabled
            | Error::OwnUser { .. }
            | Error::RootUser { .. }
            | Error::StaticUser(_)
            | Error::RootUserName
            | Error::InvalidClassName(_)
            | Error::ClassExists(_)
            | Error::ObjectClassEmpty
            | Error::ObjectExists(_)
            | Error::InvalidObject(_)
            | Error::InvalidMerge(_)
            | Error::ObjectIdImmutable
            | Error::BodyRequired
            | Error::InvalidProperty(_)
            | Error::InvalidUuidLength(_)
            | Error::InvalidUuidFormat => StatusCode::UNPROCESSABLE_ENTITY,
            Error::MergeBodyMissing => StatusCode::BAD_REQUEST,
            Error::ClassNotInSchema(_) | Error::NoTenants(_) => StatusCode::NOT_FOUND,
            Error::StreamNeverStarted | Error::StreamNotStarted | Error::StreamDataMissing => StatusCode::BAD_REQUEST,
            Error::ParseParams(inner) => inner.status(),
        }
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
        let message = self.to_string();
        match self {
            Error::AnonymousNotEnabled(_) => {
                // Weaviate writes this by hand, with a space after "message": and before the final brace,
                // and sets no Content-Type; Go's server sniffs text/plain.
                let body = format!("{{\"code\":401,\"message\": \"{message}\" }}");
                with_body(status, "text/plain; charset=utf-8", body)
            }
            Error::Unauthorized(_)
            | Error::OidcClaims(_)
            | Error::RouteNotFound(_)
            | Error::UnsupportedMediaType(_)
            | Error::BodyTooLarge
            | Error::InvalidBody(_) => with_body(status, "application/json", coded_body(status.as_u16(), &message)),
            Error::MethodNotAllowed { allowed, .. } => {
                let mut response = with_body(status, "application/json", coded_body(status.as_u16(), &message));
                if let Ok(value) = HeaderValue::from_str(&allowed.join(",")) {
                    response.headers_mut().insert(header::ALLOW, value);
                }
                response
            }
            Error::NotImplemented(_) | Error::NotEmulated(_) => {
                with_body(status, "application/json", format!("{}\n", serde_json::Value::String(message)))
            }
            Error::BodyRequired => with_body(status, "application/json", format!("{{\"code\":602,\"message\":\"{message}\"}}")),
            Error::ClassExists(_) | Error::InvalidClassName(_) => {
                // Recorded on v1.38.11: this 422 carries an extra `"allowed":null`.
                let body = format!("{}\n", serde_json::json!({"allowed": null, "error": [{"message": message}]}));
                with_body(status, "application/json", body)
            }
            Error::Forbidden(_)
            | Error::SearchUnauthorized(_)
            | Error::ClassFilterDenied(_)
            | Error::IntrospectionDenied(_)
            | Error::RoleDenied(_)
            | Error::ImportNeedsRoot
            | Error::EnvOnlyRole { .. }
            | Error::StaticUserMissing(_)
            | Error::RolesMissing
            | Error::UserExists(_)
            | Error::RoleExists(_)
            | Error::BuiltInRole(_)
            | Error::NoRoles
            | Error::UnknownGroupType(_)
            | Error::InvalidUserName(_)
            | Error::UserNameTooLong(_)
            | Error::DbUsersDisabled
            | Error::OwnUser { .. }
            | Error::RootUser { .. }
            | Error::StaticUser(_)
            | Error::RootUserName
            | Error::ObjectClassEmpty
            | Error::ObjectExists(_)
            | Error::InvalidObject(_)
            | Error::InvalidMerge(_)
            | Error::ObjectIdImmutable
            | Error::InvalidProperty(_)
            | Error::InvalidUuidLength(_)
            | Error::InvalidUuidFormat
            | Error::StreamNeverStarted
            | Error::StreamNotStarted
            | Error::StreamDataMissing
            | Error::ClassNotInSchema(_)
            | Error::ParseParams(_)
            | Error::NoTenants(_) => with_body(status, "application/json", error_list_body(&message)),
            Error::EmptyUnauthorized | Error::EmptyNotFound | Error::UserStateUnchanged | Error::MergeBodyMissing => empty(status),
        }
    }
}

/// The gRPC code of a failure inside a call (authentication failures are mapped by
/// `grpc::authenticate`, whose code depends on whether the call streams).
fn grpc_code(e: &Error) -> Code {
    match e {
        Error::Forbidden(_)
        | Error::ClassFilterDenied(_)
        | Error::IntrospectionDenied(_)
        | Error::RoleDenied(_)
        | Error::ImportNeedsRoot
        | Error::EnvOnlyRole { .. } => Code::PermissionDenied,
        Error::NotEmulated(_) => Code::Unimplemented,
        Error::ParseParams(inner) => grpc_code(inner),
        // Weaviate's gRPC handlers return plain Go errors for everything else, which grpc-go
        // sends as UNKNOWN.
        Error::AnonymousNotEnabled(_)
        | Error::Unauthorized(_)
        | Error::SearchUnauthorized(_)
        | Error::OidcClaims(_)
        | Error::EmptyUnauthorized
        | Error::RouteNotFound(_)
        | Error::MethodNotAllowed { .. }
        | Error::NotImplemented(_)
        | Error::UnsupportedMediaType(_)
        | Error::BodyTooLarge
        | Error::InvalidBody(_)
        | Error::EmptyNotFound
        | Error::StaticUserMissing(_)
        | Error::RolesMissing
        | Error::UserExists(_)
        | Error::RoleExists(_)
        | Error::UserStateUnchanged
        | Error::BuiltInRole(_)
        | Error::NoRoles
        | Error::UnknownGroupType(_)
        | Error::InvalidUserName(_)
        | Error::UserNameTooLong(_)
        | Error::DbUsersDisabled
        | Error::OwnUser { .. }
        | Error::RootUser { .. }
        | Error::StaticUser(_)
        | Error::RootUserName
        | Error::InvalidClassName(_)
        | Error::ClassExists(_)
        | Error::ObjectClassEmpty
        | Error::ObjectExists(_)
        | Error::InvalidObject(_)
        | Error::InvalidMerge(_)
        | Error::MergeBodyMissing
        | Error::ObjectIdImmutable
        | Error::BodyRequired
        | Error::InvalidProperty(_)
        | Error::InvalidUuidLength(_)
        | Error::InvalidUuidFormat
        | Error::StreamNeverStarted
        | Error::StreamNotStarted
        | Error::StreamDataMissing
        | Error::ClassNotInSchema(_)
        | Error::NoTenants(_) => Code::Unknown,
    }
}

impl From<Error> for tonic::Status {
    fn from(e: Error) -> tonic::Status {
        tonic::Status::new(grpc_code(&e), e.to_string())
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

    #[test]
    fn s2_1_the_405_names_the_allowed_methods_in_body_and_header() {
        let response = Error::MethodNotAllowed {
            method: "PUT".into(),
            allowed: vec!["GET", "POST"],
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(
            response.headers().get(header::ALLOW).and_then(|v| v.to_str().ok()),
            Some("GET,POST")
        );
    }

    #[tokio::test]
    async fn s7_1_an_unreadable_claim_is_a_500_in_the_generic_writers_shape() {
        let response = Error::OidcClaims("oidc: claim 'sub' is not a string, but <nil>".into()).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            r#"{"code":500,"message":"oidc: claim 'sub' is not a string, but \u003cnil\u003e"}"#
        );
    }

    #[test]
    fn s7_2_grpc_denials_are_permission_denied_and_the_rest_unknown() {
        let denied = tonic::Status::from(Error::Forbidden("no".into()));
        assert_eq!((denied.code(), denied.message()), (Code::PermissionDenied, "no"));
        let wrapped = tonic::Status::from(Error::ParseParams(Box::new(Error::Forbidden("no".into()))));
        assert_eq!((wrapped.code(), wrapped.message()), (Code::PermissionDenied, "parse params: no"));
        let missing = tonic::Status::from(Error::ParseParams(Box::new(Error::ClassNotInSchema("A".into()))));
        assert_eq!(
            (missing.code(), missing.message()),
            (Code::Unknown, "parse params: could not find class A in schema")
        );
        assert_eq!(tonic::Status::from(Error::NotEmulated("BatchDelete")).code(), Code::Unimplemented);
    }
}
