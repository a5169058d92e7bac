//! gRPC (spec 5.2), minimal and without generated code: health `Check`/`List`/`Watch`, and on
//! `weaviate.v1.Weaviate` the authentication of every call plus the authorization and answers of
//! `Search`, `Aggregate`, `TenantsGet` and `BatchObjects` (an empty batch). Credentials go through
//! the same `AppState::authenticate` as REST; only the mapping to gRPC statuses differs:
//! unary calls answer `UNKNOWN` with `extract auth: <message>`, streaming calls `UNAUTHENTICATED`
//! with the bare message (recorded from v1.38.11).
//!
//! Messages are read by hand: only field 1 (`collection`, a string) of the request is needed.
//! Replies are empty messages except for health, whose bytes were recorded from v1.38.11.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Router;

use crate::authorization::{Resource, Verb};
use crate::error::Error;
use crate::principal::Principal;
use crate::server::AppState;

/// gRPC status codes used here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Code {
    Ok = 0,
    Unknown = 2,
    PermissionDenied = 7,
    Internal = 13,
    Unimplemented = 12,
    Unauthenticated = 16,
}

/// A gRPC failure: code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The code.
    pub code: Code,
    /// The message (sent percent-encoded in `grpc-message`).
    pub message: String,
}

impl Status {
    fn new(code: Code, message: impl Into<String>) -> Self {
        Status {
            code,
            message: message.into(),
        }
    }
}

impl From<Error> for Status {
    /// Failures of handlers (not of authentication, which `authenticate` maps itself).
    fn from(e: Error) -> Status {
        match e {
            Error::Forbidden(message) => Status::new(Code::PermissionDenied, message),
            other => Status::new(Code::Unknown, other.to_string()),
        }
    }
}

/// HEALTH `SERVING` reply (`status = 1`).
const HEALTH_SERVING: &[u8] = &[0x08, 0x01];
/// Health `List` reply of v1.38.11: `{"weaviate": SERVING}`.
const HEALTH_LIST: &[u8] = &[
    0x0a, 0x0e, 0x0a, 0x08, b'w', b'e', b'a', b'v', b'i', b'a', b't', b'e', 0x12, 0x02, 0x08, 0x01,
];

/// Streaming methods: credentials are checked before the handler, failures are `UNAUTHENTICATED`.
const STREAMING: &[&str] = &["BatchStream", "BatchSend"];

/// The gRPC service over `state` (served on its own port, HTTP/2 cleartext).
pub fn grpc_router(state: AppState) -> Router {
    Router::new().fallback(dispatch).with_state(state)
}

/// Spec 5.2: the token of a call. `Some("")` for `Bearer ` with nothing after it, which is checked;
/// `None` when the metadata is missing or does not start with `Bearer ` (case-sensitive).
pub fn bearer(metadata: &HeaderMap) -> Option<String> {
    let value = metadata.get(header::AUTHORIZATION)?;
    String::from_utf8_lossy(value.as_bytes()).strip_prefix("Bearer ").map(str::to_owned)
}

/// Spec 5.2: the principal of a call, or the status to answer with.
pub async fn authenticate(state: &AppState, metadata: &HeaderMap, streaming: bool) -> Result<Option<Principal>, Status> {
    let token = match bearer(metadata) {
        Some(token) => token,
        None if state.config().anonymous_enabled => return Ok(None),
        // Anonymous off: the empty string is checked, and fails.
        None => String::new(),
    };
    match state.authenticate(&token).await {
        Ok(principal) => Ok(Some(principal)),
        Err(e) => {
            let message = e.to_string();
            Err(if streaming {
                Status::new(Code::Unauthenticated, message)
            } else {
                Status::new(Code::Unknown, format!("extract auth: {message}"))
            })
        }
    }
}

/// The first length-delimited field 1 of a protobuf message, as a string (`collection`).
pub fn field1_string(message: &[u8]) -> Option<String> {
    let mut i = 0;
    while i < message.len() {
        let (key, used) = varint(&message[i..])?;
        i += used;
        let (field, wire) = (key >> 3, key & 7);
        match wire {
            0 => i += varint(&message[i..])?.1,
            1 => i += 8,
            5 => i += 4,
            2 => {
                let (len, used) = varint(&message[i..])?;
                i += used;
                let end = i.checked_add(usize::try_from(len).ok()?)?;
                let bytes = message.get(i..end)?;
                if field == 1 {
                    return String::from_utf8(bytes.to_vec()).ok();
                }
                i = end;
            }
            _ => return None,
        }
    }
    None
}

fn varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, b) in bytes.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// The message of a single length-prefixed gRPC frame (uncompressed).
fn unframe(body: &[u8]) -> Result<&[u8], Status> {
    if body.is_empty() {
        return Ok(&[]);
    }
    let invalid = || {
        Status::new(
            Code::Internal,
            "grpc: error unmarshalling request: proto: cannot parse invalid wire-format data",
        )
    };
    if body.len() < 5 || body[0] != 0 {
        return Err(invalid());
    }
    let len = u32::from_be_bytes([body[1], body[2], body[3], body[4]]) as usize;
    body.get(5..5 + len).ok_or_else(invalid)
}

async fn dispatch(State(state): State<AppState>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let (parts, body) = req.into_parts();
    let result = match to_bytes(body, crate::server::MAX_BODY_BYTES).await {
        Ok(body) => call(&state, &path, &parts.headers, &body).await,
        Err(_) => Err(Status::new(Code::Internal, "could not read the request")),
    };
    match result {
        Ok(reply) => ok_response(reply),
        Err(status) => {
            tracing::debug!(%path, code = status.code as i32, reason = %status.message, "grpc refused");
            status_response(&status)
        }
    }
}

async fn call(state: &AppState, path: &str, metadata: &HeaderMap, body: &[u8]) -> Result<Vec<u8>, Status> {
    let Some((service, method)) = path.trim_start_matches('/').split_once('/') else {
        return Err(Status::new(Code::Unimplemented, format!("malformed method name: {path:?}")));
    };
    match (service, method) {
        ("grpc.health.v1.Health", "Check") => Ok(HEALTH_SERVING.to_vec()),
        ("grpc.health.v1.Health", "List") => Ok(HEALTH_LIST.to_vec()),
        ("grpc.health.v1.Health", "Watch") => {
            // Streaming: credentials first (recorded from v1.38.11), then one SERVING message.
            authenticate(state, metadata, true).await?;
            Ok(HEALTH_SERVING.to_vec())
        }
        ("grpc.health.v1.Health", other) | ("weaviate.v1.Weaviate", other) if !known(service, other) => Err(Status::new(
            Code::Unimplemented,
            format!("unknown method {other} for service {service}"),
        )),
        ("weaviate.v1.Weaviate", method) => {
            let streaming = STREAMING.contains(&method);
            let principal = authenticate(state, metadata, streaming).await?;
            let request = unframe(body)?;
            weaviate_call(state, principal.as_ref(), method, request)
        }
        (service, _) => Err(Status::new(Code::Unimplemented, format!("unknown service {service}"))),
    }
}

fn known(service: &str, method: &str) -> bool {
    match service {
        "grpc.health.v1.Health" => matches!(method, "Check" | "List" | "Watch"),
        _ => matches!(
            method,
            "Search" | "Aggregate" | "TenantsGet" | "BatchObjects" | "BatchDelete" | "BatchReferences" | "BatchStream" | "BatchSend"
        ),
    }
}

fn weaviate_call(state: &AppState, principal: Option<&Principal>, method: &str, request: &[u8]) -> Result<Vec<u8>, Status> {
    let collection = field1_string(request).unwrap_or_default();
    match method {
        "Search" => {
            state
                .authorizer()
                .authorize(principal, Verb::Read, &Resource::Data(collection.clone()))?;
            if state.store().class(&collection).is_none() {
                return Err(Status::new(Code::Unknown, format!("could not find class {collection} in schema")));
            }
            Ok(Vec::new())
        }
        "Aggregate" => {
            // Recorded from v1.38.11: this denial carries a "parse params: " prefix.
            state
                .authorizer()
                .authorize(principal, Verb::Read, &Resource::Data(collection.clone()))
                .map_err(|e| Status::new(Code::PermissionDenied, format!("parse params: {e}")))?;
            Ok(Vec::new())
        }
        "TenantsGet" => {
            // Recorded from v1.38.11: no denial; every authenticated caller gets these texts.
            let why = if state.store().class(&collection).is_some() {
                format!("multi-tenancy is not enabled for class \"{collection}\"")
            } else {
                "class not found".to_owned()
            };
            Err(Status::new(
                Code::Unknown,
                format!("get tenants: failed to execute query: could not get tenants: could not get tenants: {why}"),
            ))
        }
        // An empty batch succeeds (recorded); objects are not stored over gRPC yet.
        "BatchObjects" => Ok(Vec::new()),
        other => Err(Status::new(Code::Unimplemented, format!("{other} is not emulated yet"))),
    }
}

/// `grpc-message` encoding: printable ASCII except `%` as is, everything else percent-encoded.
pub fn percent_encode(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for b in message.bytes() {
        if (0x20..=0x7e).contains(&b) && b != b'%' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn grpc_headers(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
}

/// A Trailers-Only answer: the status in the headers, no body.
fn status_response(status: &Status) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::OK;
    grpc_headers(&mut response);
    let h = response.headers_mut();
    h.insert("grpc-status", HeaderValue::from(status.code as i32));
    if let Ok(value) = HeaderValue::from_str(&percent_encode(&status.message)) {
        h.insert("grpc-message", value);
    }
    response
}

fn ok_response(message: Vec<u8>) -> Response {
    let mut frame = Vec::with_capacity(message.len() + 5);
    frame.push(0);
    frame.extend_from_slice(&u32::try_from(message.len()).unwrap_or(u32::MAX).to_be_bytes());
    frame.extend_from_slice(&message);
    let mut trailers = HeaderMap::new();
    trailers.insert("grpc-status", HeaderValue::from_static("0"));
    let mut response = Response::new(Body::new(Framed {
        data: Some(Bytes::from(frame)),
        trailers: Some(trailers),
    }));
    grpc_headers(&mut response);
    response
}

/// One data frame, then the trailers.
struct Framed {
    data: Option<Bytes>,
    trailers: Option<HeaderMap>,
}

impl http_body::Body for Framed {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        if let Some(data) = self.data.take() {
            return Poll::Ready(Some(Ok(http_body::Frame::data(data))));
        }
        Poll::Ready(self.trailers.take().map(|t| Ok(http_body::Frame::trailers(t))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s5_2_bearer_metadata() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer k"));
        assert_eq!(bearer(&h), Some("k".into()));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(bearer(&h), Some(String::new()), "an empty token is checked, not absent");
        for absent in ["bearer k", "Basic k", ""] {
            h.insert(header::AUTHORIZATION, HeaderValue::from_static(absent));
            assert_eq!(bearer(&h), None, "{absent:?}");
        }
    }

    #[test]
    fn s5_2_collection_is_field_one() {
        assert_eq!(field1_string(b"\x0a\x03Foo"), Some("Foo".into()));
        assert_eq!(field1_string(b"\x10\x05\x0a\x03Foo"), Some("Foo".into()));
        assert_eq!(field1_string(b""), None);
        assert_eq!(field1_string(b"\x0a\x09Foo"), None, "truncated");
    }

    #[test]
    fn s5_2_grpc_message_is_percent_encoded() {
        assert_eq!(percent_encode("a 100% é"), "a 100%25 %C3%A9");
    }
}
