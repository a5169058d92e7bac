//! gRPC (spec 5.2), minimal and without generated code: health `Check`/`List`/`Watch`, and on
//! `weaviate.v1.Weaviate` the authentication of every call plus the authorization and answers of
//! `Search`, `Aggregate`, `TenantsGet` and `BatchObjects` (an empty batch). Credentials go through
//! the same `AppState::authenticate` as REST; only the mapping to gRPC statuses differs:
//! unary calls answer `UNKNOWN` with `extract auth: <message>`, streaming calls `UNAUTHENTICATED`
//! with the bare message (recorded from v1.38.11).
//!
//! Messages are read and written by hand: `collection` (field 1) and `limit` of a search, the
//! `uuid`, `collection` and scalar properties of batch objects; replies carry what clients read
//! (object ids, per-object batch errors). Health replies were recorded from v1.38.11.

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

/// One protobuf field as read off the wire.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Wire<'a> {
    /// Wire type 0.
    Varint(u64),
    /// Wire type 1 (a double or fixed64).
    Fixed64(u64),
    /// Wire type 5.
    Fixed32(u32),
    /// Wire type 2 (bytes, strings, sub-messages).
    Bytes(&'a [u8]),
}

/// Every field of a protobuf message in order, or `None` when the bytes are not one.
pub fn fields(message: &[u8]) -> Option<Vec<(u64, Wire<'_>)>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < message.len() {
        let (key, used) = varint(&message[i..])?;
        i += used;
        let value = match key & 7 {
            0 => {
                let (v, used) = varint(&message[i..])?;
                i += used;
                Wire::Varint(v)
            }
            1 => {
                let b: [u8; 8] = message.get(i..i + 8)?.try_into().ok()?;
                i += 8;
                Wire::Fixed64(u64::from_le_bytes(b))
            }
            5 => {
                let b: [u8; 4] = message.get(i..i + 4)?.try_into().ok()?;
                i += 4;
                Wire::Fixed32(u32::from_le_bytes(b))
            }
            2 => {
                let (len, used) = varint(&message[i..])?;
                i += used;
                let end = i.checked_add(usize::try_from(len).ok()?)?;
                let bytes = message.get(i..end)?;
                i = end;
                Wire::Bytes(bytes)
            }
            _ => return None,
        };
        out.push((key >> 3, value));
    }
    Some(out)
}

fn string_field(fields: &[(u64, Wire<'_>)], number: u64) -> Option<String> {
    fields.iter().rev().find_map(|(n, w)| match w {
        Wire::Bytes(b) if *n == number => String::from_utf8(b.to_vec()).ok(),
        _ => None,
    })
}

/// A `google.protobuf.Value` as JSON (scalars only; nested structs and lists become `null`).
fn proto_value(message: &[u8]) -> serde_json::Value {
    use serde_json::Value;
    let Some(fields) = fields(message) else { return Value::Null };
    match fields.last() {
        Some((2, Wire::Fixed64(bits))) => serde_json::Number::from_f64(f64::from_bits(*bits)).map_or(Value::Null, Value::Number),
        Some((3, Wire::Bytes(b))) => Value::String(String::from_utf8_lossy(b).into_owned()),
        Some((4, Wire::Varint(v))) => Value::Bool(*v != 0),
        _ => Value::Null,
    }
}

/// A `google.protobuf.Struct` (`map<string, Value> fields = 1`) as a JSON object.
fn proto_struct(message: &[u8]) -> serde_json::Map<String, serde_json::Value> {
    let mut out = serde_json::Map::new();
    for (n, w) in fields(message).unwrap_or_default() {
        if let (1, Wire::Bytes(entry)) = (n, w) {
            let entry = fields(entry).unwrap_or_default();
            let key = string_field(&entry, 1).unwrap_or_default();
            let value = entry.iter().rev().find_map(|(n, w)| match w {
                Wire::Bytes(b) if *n == 2 => Some(proto_value(b)),
                _ => None,
            });
            out.insert(key, value.unwrap_or(serde_json::Value::Null));
        }
    }
    out
}

/// Appends field `number` as a length-delimited value.
fn put_bytes(out: &mut Vec<u8>, number: u64, bytes: &[u8]) {
    put_varint(out, number << 3 | 2);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// `SearchReply` with one `SearchResult` per object id: `metadata { id, id_as_bytes }` and
/// `properties { target_collection }`, enough for the clients to count and identify results.
pub fn search_reply(collection: &str, ids: &[String]) -> Vec<u8> {
    let mut reply = Vec::new();
    for id in ids {
        let mut metadata = Vec::new();
        put_bytes(&mut metadata, 1, id.as_bytes());
        if let Ok(u) = uuid::Uuid::parse_str(id) {
            put_bytes(&mut metadata, 20, u.as_bytes());
        }
        let mut properties = Vec::new();
        put_bytes(&mut properties, 3, collection.as_bytes());
        put_bytes(&mut properties, 11, &[]);
        let mut result = Vec::new();
        put_bytes(&mut result, 1, &properties);
        put_bytes(&mut result, 2, &metadata);
        put_bytes(&mut reply, 2, &result);
    }
    reply
}

/// `BatchObjectsReply` with one `BatchError { index, error }` per failed object.
pub fn batch_reply(errors: &[(usize, String)]) -> Vec<u8> {
    let mut reply = Vec::new();
    for (index, error) in errors {
        let mut e = Vec::new();
        put_varint(&mut e, 1 << 3);
        put_varint(&mut e, *index as u64);
        put_bytes(&mut e, 2, error.as_bytes());
        put_bytes(&mut reply, 2, &e);
    }
    reply
}

/// One object of a `BatchObjectsRequest`: `uuid` (1), `properties.non_ref_properties` (3.1),
/// `collection` (4).
#[derive(Debug, Clone, PartialEq)]
pub struct BatchObject {
    /// The object's id (a new one when the client sent none).
    pub id: String,
    /// The collection.
    pub collection: String,
    /// Scalar properties.
    pub properties: serde_json::Value,
}

/// The objects of a `BatchObjectsRequest` (field 1), or `None` when it does not parse.
pub fn batch_objects(request: &[u8]) -> Option<Vec<BatchObject>> {
    let mut out = Vec::new();
    for (n, w) in fields(request)? {
        let (1, Wire::Bytes(object)) = (n, w) else { continue };
        let f = fields(object)?;
        let properties = f.iter().rev().find_map(|(n, w)| match w {
            Wire::Bytes(p) if *n == 3 => Some(p),
            _ => None,
        });
        let non_ref = properties
            .and_then(|p| fields(p))
            .and_then(|p| {
                p.iter().rev().find_map(|(n, w)| match w {
                    Wire::Bytes(s) if *n == 1 => Some(proto_struct(s)),
                    _ => None,
                })
            })
            .unwrap_or_default();
        out.push(BatchObject {
            id: string_field(&f, 1)
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            collection: string_field(&f, 4).unwrap_or_default(),
            properties: serde_json::Value::Object(non_ref),
        });
    }
    Some(out)
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
            let limit = fields(request)
                .unwrap_or_default()
                .iter()
                .rev()
                .find_map(|(n, w)| match w {
                    Wire::Varint(v) if *n == 30 && *v > 0 => usize::try_from(*v).ok(),
                    _ => None,
                })
                .unwrap_or(usize::MAX);
            let ids: Vec<String> = state
                .store()
                .objects(Some(&collection))
                .iter()
                .filter_map(|o| o["id"].as_str().map(str::to_owned))
                .take(limit)
                .collect();
            Ok(search_reply(&collection, &ids))
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
        // Recorded from v1.38.11: a denial is not a call failure but one error per object, the
        // update (`U`) permission on the object's collection; an empty batch succeeds.
        "BatchObjects" => {
            let objects = batch_objects(request).ok_or_else(|| {
                Status::new(
                    Code::Internal,
                    "grpc: error unmarshalling request: proto: cannot parse invalid wire-format data",
                )
            })?;
            let mut errors = Vec::new();
            for (index, o) in objects.into_iter().enumerate() {
                let stored = state
                    .authorizer()
                    .authorize(principal, Verb::Update, &Resource::Data(o.collection.clone()))
                    .and_then(|()| {
                        state
                            .store()
                            .put_object(&o.collection, &o.id, o.properties.clone(), false)
                            .or_else(|_| state.store().put_object(&o.collection, &o.id, o.properties, true))
                            .map_err(|e| Error::Unprocessable(format!("{e:?}")))
                    });
                if let Err(e) = stored {
                    let message = match e {
                        Error::Forbidden(m) => m,
                        other => other.to_string(),
                    };
                    errors.push((index, message));
                }
            }
            Ok(batch_reply(&errors))
        }
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
    fn s5_2_batch_objects_and_search_reply_round_trip() {
        // BatchObject { uuid: "u1", properties { non_ref_properties { "title": "one" } }, collection: "C" }
        let mut value = Vec::new();
        put_bytes(&mut value, 3, b"one");
        let mut entry = Vec::new();
        put_bytes(&mut entry, 1, b"title");
        put_bytes(&mut entry, 2, &value);
        let mut st = Vec::new();
        put_bytes(&mut st, 1, &entry);
        let mut props = Vec::new();
        put_bytes(&mut props, 1, &st);
        let mut object = Vec::new();
        put_bytes(&mut object, 1, b"u1");
        put_bytes(&mut object, 3, &props);
        put_bytes(&mut object, 4, b"C");
        let mut request = Vec::new();
        put_bytes(&mut request, 1, &object);
        let objects = batch_objects(&request).expect("a valid request");
        assert_eq!(objects.len(), 1);
        assert_eq!((objects[0].id.as_str(), objects[0].collection.as_str()), ("u1", "C"));
        assert_eq!(objects[0].properties, serde_json::json!({"title": "one"}));
        assert_eq!(batch_objects(b"\x0a\x09x"), None, "truncated");

        let id = "6f1c1a3e-0000-4000-8000-000000000001";
        let reply = search_reply("C", &[id.to_owned()]);
        let results = fields(&reply).expect("a valid reply");
        assert_eq!(results.len(), 1);
        let Wire::Bytes(result) = results[0].1 else { panic!("a message") };
        let result = fields(result).expect("a valid result");
        let Some((2, Wire::Bytes(meta))) = result.get(1).copied() else {
            panic!("metadata second")
        };
        assert_eq!(string_field(&fields(meta).expect("metadata"), 1).as_deref(), Some(id));
        assert_eq!(batch_reply(&[(1, "no".into())]), b"\x12\x06\x08\x01\x12\x02no");
    }

    #[test]
    fn s5_2_grpc_message_is_percent_encoded() {
        assert_eq!(percent_encode("a 100% é"), "a 100%25 %C3%A9");
    }
}
