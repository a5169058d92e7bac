//! What a handler gets (`Ctx`: state, caller, path parameters, query, body) and what it gives
//! back on success (`Reply`). Failures are `Error`s, answered in `error.rs`.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::authorization::Caller;
use crate::db_users::UserAdmin;
use crate::error::Error;
use crate::objects::Objects;
use crate::principal::Principal;
use crate::schema::Schema;
use crate::server::AppState;

/// The inputs of one request, after routing and authentication.
pub struct Ctx<'a> {
    state: &'a AppState,
    principal: Option<Principal>,
    params: Vec<String>,
    query: Option<String>,
    body: Bytes,
}

impl<'a> Ctx<'a> {
    /// The inputs: `principal` is `None` for anonymous callers, `params` the decoded path
    /// parameters in order, `query` the raw query string.
    pub fn new(state: &'a AppState, principal: Option<Principal>, params: Vec<String>, query: Option<String>, body: Bytes) -> Self {
        Ctx {
            state,
            principal,
            params,
            query,
            body,
        }
    }

    /// Server state.
    pub fn state(&self) -> &'a AppState {
        self.state
    }

    /// Path parameter `i`, or `""`.
    pub fn param(&self, i: usize) -> &str {
        self.params.get(i).map(String::as_str).unwrap_or("")
    }

    /// The first value of `name` in the query string.
    pub fn query_value(&self, name: &str) -> Option<String> {
        let q = self.query.as_deref()?;
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The caller; `None` is anonymous.
    pub fn principal(&self) -> Option<&Principal> {
        self.principal.as_ref()
    }

    /// The caller with the server's authorizer.
    pub fn caller(&self) -> Caller<'_> {
        self.state.authorizer().caller(self.principal())
    }

    /// The schema rules for this caller.
    pub fn schema(&self) -> Schema<'_> {
        Schema::new(self.state.store(), self.caller())
    }

    /// The object rules for this caller.
    pub fn objects(&self) -> Objects<'_> {
        Objects::new(self.state.store(), self.caller())
    }

    /// The database-user rules for this caller.
    pub fn user_admin(&self) -> UserAdmin<'_> {
        UserAdmin::new(self.state.config(), self.state.db_users(), self.caller())
    }

    /// The JSON body; an empty body is `None`. Bad JSON gets go-openapi's 400.
    pub fn json(&self) -> Result<Option<Value>, Error> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        serde_json::from_slice(&self.body)
            .map(Some)
            .map_err(|e| Error::InvalidBody(e.to_string()))
    }
}

/// A successful answer. JSON is written with sorted keys and a trailing newline, as Weaviate's
/// JSON producer writes it; empty answers carry no Content-Type.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// 200 with a JSON body.
    Json(Value),
    /// 201 with a JSON body.
    Created(Value),
    /// 200 with an empty body.
    Empty,
    /// 201 with an empty body.
    EmptyCreated,
    /// 204.
    NoContent,
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            Reply::Json(value) => (StatusCode::OK, Some(value)),
            Reply::Created(value) => (StatusCode::CREATED, Some(value)),
            Reply::Empty => (StatusCode::OK, None),
            Reply::EmptyCreated => (StatusCode::CREATED, None),
            Reply::NoContent => (StatusCode::NO_CONTENT, None),
        };
        let mut response = match body {
            Some(value) => {
                // serde_json's compact writer (what `Display` gives), without the formatter.
                let mut bytes = serde_json::to_vec(&value).unwrap_or_default();
                bytes.push(b'\n');
                let mut response = Response::new(Body::from(bytes));
                response
                    .headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
                response
            }
            None => Response::new(Body::empty()),
        };
        *response.status_mut() = status;
        response
    }
}
