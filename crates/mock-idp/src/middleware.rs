//! The layer every request passes through after the router resolved its tenant and endpoint
//! (see `server::router`): due key operations (P137), the `_mock/` guard (P125, `admin.rs`),
//! the journal's facts and entry (P139), and the tenant's faults (P144-P149), applied before
//! the handler runs or to its answer (P146). What each fault kind does is told in `faults/mod.rs`.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::extract::Resolved;
use crate::faults::{Fault, UNREACHABLE_JWKS_URI};
use crate::journal::{Entry, Facts};
use crate::state::AppState;
use crate::tenant::Tenant;

/// A response body that fails before its first byte: hyper then drops the connection without
/// sending the response head (`connection_closed`).
struct Aborted;

impl HttpBody for Aborted {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "connection_closed fault",
        ))))
    }
}

fn real_now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

/// Endpoints whose form bodies the journal reads for client id, grant type and username.
fn reads_form(endpoint: Endpoint) -> bool {
    matches!(
        endpoint,
        Endpoint::Token
            | Endpoint::Authorize
            | Endpoint::Login
            | Endpoint::Userinfo
            | Endpoint::Introspection
            | Endpoint::Revocation
            | Endpoint::EndSession
    )
}

/// Reads the journal facts of a request; a form body is buffered and put back. When that body
/// is a valid form, its parse goes along in the request's extensions for the `Form` extractor
/// (`form::Parsed`), so the body is parsed into a `Form` once.
async fn gather(req: Request, endpoint: Endpoint) -> Result<(Request, Facts), Error> {
    let buffers_form = reads_form(endpoint) && req.method() == Method::POST && crate::form::has_form_type(req.headers());
    if !buffers_form {
        let query = req.uri().query().unwrap_or("");
        let facts = Facts::gather(form_urlencoded::parse(query.as_bytes()), authorization(req.headers()));
        return Ok((req, facts));
    }
    let (mut parts, body) = req.into_parts();
    // The form extractor refuses larger bodies with the same error (P45).
    let bytes = axum::body::to_bytes(body, crate::form::MAX_FORM_BYTES)
        .await
        .map_err(|_| Error::PayloadTooLarge)?;
    let query = parts.uri.query().unwrap_or("");
    let params = form_urlencoded::parse(query.as_bytes()).chain(form_urlencoded::parse(&bytes));
    let facts = Facts::gather(params, authorization(&parts.headers));
    // A body the form rules refuse is parsed again by the extractor, which answers the error.
    if let Ok(form) = crate::form::Form::parse(&bytes) {
        parts.extensions.insert(crate::form::Parsed(form));
    }
    Ok((Request::from_parts(parts, Body::from(bytes)), facts))
}

/// The `Authorization` header, when it is text.
fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
}

/// The answer of a plain `GET` of the JWKS or the discovery document, built here rather than
/// behind the internal routes: the same function the route's handler calls, without matching
/// the route again (about a quarter of such a request's instructions). `None` for anything
/// else, which goes on to the routes.
fn direct_answer(tenant: &Tenant, endpoint: Endpoint, req: &Request) -> Option<Response> {
    if req.method() != Method::GET {
        return None;
    }
    let answer = match endpoint {
        Endpoint::Jwks => crate::jwks::answer(tenant),
        Endpoint::Discovery => crate::discovery::answer(tenant),
        _ => return None,
    };
    Some(answer.unwrap_or_else(IntoResponse::into_response))
}

/// The OAuth `error` of an error response: from a small JSON body, the `WWW-Authenticate`
/// challenge, or a redirect's `error` parameter. The body is put back unchanged.
async fn error_code(resp: Response) -> (Response, Option<String>) {
    let status = resp.status();
    if let Some(loc) = resp.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()) {
        let params = loc
            .split(['?', '#'])
            .skip(1)
            .flat_map(|q| form_urlencoded::parse(q.as_bytes()).into_owned());
        let code = params.into_iter().find(|(k, _)| k == "error").map(|(_, v)| v);
        return (resp, code);
    }
    if !status.is_client_error() && !status.is_server_error() {
        return (resp, None);
    }
    let from_header = resp
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("error=\"").nth(1))
        .and_then(|v| v.split('"').next())
        .map(str::to_owned);
    let small = resp.body().size_hint().upper().is_some_and(|n| n <= 16 * 1024);
    if !small {
        return (resp, from_header);
    }
    let (parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, 16 * 1024).await.unwrap_or_default();
    let code = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
        .or(from_header);
    (Response::from_parts(parts, Body::from(bytes)), code)
}

/// The layer every request passes through (see `server::router`): it resolves the tenant, runs
/// due key operations (P137), guards `_mock/` routes (P125), gathers journal facts, applies
/// faults before the handler (P146), and records the journal entry (P139).
pub async fn layer(state: AppState, mut req: Request, next: Next) -> Response {
    // Taken out, not cloned: `to_routes` puts it back for the handlers that need it.
    let Some(resolved) = req.extensions_mut().remove::<Resolved>() else {
        let path = req.uri().path().to_owned();
        if crate::admin::is_server_control(&path) {
            if let Err(e) = crate::admin::check(&state, crate::admin::Scope::Server, req.headers(), &path) {
                return e.into_response();
            }
        }
        return next.run(req).await;
    };
    let (tenant, endpoint) = (&*resolved.tenant, resolved.endpoint);
    // The path as requested: the internal route replaces it only on the way to the routes.
    let path = req.uri().path().to_owned();
    let started = Instant::now();
    let real_time = real_now();
    let virtual_time = tenant.clock().now_f64();
    tenant.run_key_ops_due_at(virtual_time);
    let method = req.method().to_string();
    let mut entry = Entry {
        seq: 0,
        real_time,
        virtual_time,
        method,
        path,
        endpoint,
        status: None,
        duration_ms: 0.0,
        facts: Facts::default(),
        error: None,
        faults: vec![],
    };
    if endpoint == Endpoint::Other {
        // Nothing is served here; answered before the internal routes, which would otherwise
        // serve a plain path under a tenant whose persona puts it elsewhere.
        let resp = Error::NotFound(entry.path.clone()).into_response();
        return record(tenant, entry, resp, started).await;
    }
    if matches!(endpoint, Endpoint::Control | Endpoint::Mint) {
        if let Err(e) = crate::admin::check(&state, crate::admin::Scope::Tenant(tenant), req.headers(), &entry.path) {
            let resp = e.into_response();
            return record(tenant, entry, resp, started).await;
        }
    }
    let (req, facts) = match gather(req, endpoint).await {
        Ok(x) => x,
        Err(e) => return record(tenant, entry, e.into_response(), started).await,
    };
    entry.facts = facts;
    let decision = tenant.faults().decide(endpoint, virtual_time);
    entry.faults = decision.labels;
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    let Some(fault) = decision.action else {
        let resp = match direct_answer(tenant, endpoint, &req) {
            Some(resp) => resp,
            None => to_routes(req, &resolved, next).await,
        };
        return record(tenant, entry, resp, started).await;
    };
    tracing::debug!(tenant = %tenant.name(), endpoint = endpoint.as_str(), fault = fault.fault.kind().as_str(), "fault applied");
    match fault.fault {
        Fault::ConnectionClosed => {
            entry.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
            tenant.journal().record(entry);
            Response::new(Body::new(Aborted))
        }
        Fault::Hang { max_ms } => {
            entry.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
            let mut cleared = tenant.faults().subscribe();
            tenant.journal().record(entry);
            let max = Duration::from_millis(max_ms.unwrap_or(300_000));
            let _ = tokio::time::timeout(max, cleared.changed()).await;
            // Cleared or timed out: the connection is closed as in `connection_closed`.
            Response::new(Body::new(Aborted))
        }
        Fault::Latency { .. } => {
            let resp = to_routes(req, &resolved, next).await;
            record(tenant, entry, resp, started).await
        }
        Fault::Status {
            status,
            body,
            content_type,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let body = body.unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
            let ct = content_type.as_deref().unwrap_or("text/plain; charset=utf-8");
            let resp = with_type((status, body).into_response(), ct);
            record(tenant, entry, resp, started).await
        }
        Fault::OauthError {
            error,
            error_description,
            status,
        } => {
            let status = StatusCode::from_u16(status.unwrap_or(400)).unwrap_or(StatusCode::BAD_REQUEST);
            let mut body = serde_json::Map::new();
            body.insert("error".into(), json!(error));
            if let Some(d) = &error_description {
                body.insert("error_description".into(), json!(crate::error::sanitize_description(d)));
            }
            let mut resp = (status, axum::Json(Value::Object(body))).into_response();
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            record(tenant, entry, resp, started).await
        }
        f @ (Fault::JwksEmpty | Fault::JwksUnsupportedKey | Fault::JwksWrongKeyType) => {
            let resp = match faulty_jwks(tenant, &f) {
                Ok(v) => axum::Json(v).into_response(),
                Err(e) => e.into_response(),
            };
            record(tenant, entry, resp, started).await
        }
        f @ (Fault::DiscoveryIssuerMismatch { .. } | Fault::DiscoveryAlgOmitted | Fault::DiscoveryJwksUnreachable { .. }) => {
            let resp = match faulty_discovery(tenant, &f) {
                Ok(v) => axum::Json(v).into_response(),
                Err(e) => e.into_response(),
            };
            record(tenant, entry, resp, started).await
        }
        f @ (Fault::TruncatedJson | Fault::WrongContentType { .. } | Fault::EmptyBody | Fault::OversizedBody { .. }) => {
            let resp = to_routes(req, &resolved, next).await;
            let resp = mangle(resp, &f).await;
            record(tenant, entry, resp, started).await
        }
    }
}

/// Sends a resolved request on to the internal routes, rewritten to its internal route.
async fn to_routes(req: Request, resolved: &Resolved, next: Next) -> Response {
    match crate::extract::to_internal_route(req, resolved) {
        Ok(req) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

async fn record(tenant: &Tenant, mut entry: Entry, resp: Response, started: Instant) -> Response {
    let (resp, code) = error_code(resp).await;
    entry.status = Some(resp.status().as_u16());
    entry.error = code;
    entry.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    tenant.journal().record(entry);
    resp
}

fn with_type(mut resp: Response, content_type: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp
}

/// Changes the handler's answer for the body faults.
async fn mangle(resp: Response, fault: &Fault) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, 16 * 1024 * 1024).await.unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    let bytes: Bytes = match fault {
        Fault::TruncatedJson => {
            let cut = if bytes.len() > 1 { bytes.len() / 2 } else { 0 };
            if bytes.len() > 1 {
                bytes.slice(..cut)
            } else {
                Bytes::from_static(b"{\"")
            }
        }
        Fault::EmptyBody => Bytes::new(),
        Fault::OversizedBody { mib } => {
            let target = *mib as usize * 1024 * 1024;
            let mut v = bytes.to_vec();
            if v.len() < target {
                v.resize(target, b' ');
            }
            Bytes::from(v)
        }
        Fault::WrongContentType { content_type } => {
            let ct = content_type.as_deref().unwrap_or("text/html; charset=utf-8");
            if let Ok(v) = HeaderValue::from_str(ct) {
                parts.headers.insert(header::CONTENT_TYPE, v);
            }
            bytes
        }
        // Only the body faults above reach here (the caller's match).
        _ => bytes,
    };
    Response::from_parts(parts, Body::from(bytes))
}

/// The JWKS content faults (P148).
fn faulty_jwks(tenant: &Tenant, fault: &Fault) -> Result<Value, Error> {
    let mut jwks = tenant.keys().jwks();
    let keys = jwks["keys"]
        .as_array_mut()
        .ok_or_else(|| Error::Internal("JWKS without keys".into()))?;
    match fault {
        Fault::JwksEmpty => keys.clear(),
        Fault::JwksUnsupportedKey => keys.push(json!({
            // An OKP curve other than Ed25519 (P36): 57 zero bytes as the public key.
            "kty": "OKP",
            "crv": "Ed448",
            "kid": "unsupported-ed448",
            "use": "sig",
            "alg": "EdDSA",
            "x": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        })),
        _ => {
            for k in keys.iter_mut() {
                let wrong = if k["kty"] == "RSA" { "ES256" } else { "RS256" };
                k["alg"] = json!(wrong);
            }
        }
    }
    Ok(jwks)
}

/// The discovery content faults (P148).
fn faulty_discovery(tenant: &Tenant, fault: &Fault) -> Result<Value, Error> {
    let mut doc = crate::discovery::metadata(tenant)?;
    match fault {
        Fault::DiscoveryIssuerMismatch { issuer } => {
            let other = issuer.clone().unwrap_or_else(|| format!("{}/mismatch", tenant.issuer().base()));
            doc["issuer"] = json!(other);
        }
        Fault::DiscoveryJwksUnreachable { url } => {
            doc["jwks_uri"] = json!(url.as_deref().unwrap_or(UNREACHABLE_JWKS_URI));
        }
        _ => {
            let signer = tenant.keys().active().alg().as_str();
            let mut algs: Vec<Value> = doc["id_token_signing_alg_values_supported"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|a| a != signer)
                .collect();
            if algs.is_empty() {
                algs.push(json!(if signer == "PS512" { "ES512" } else { "PS512" }));
            }
            doc["id_token_signing_alg_values_supported"] = json!(algs);
        }
    }
    Ok(doc)
}
