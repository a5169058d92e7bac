//! `router`, `serve`, the layers every request passes through, and tenant resolution by path.
//!
//! Every tenant lives under its root path: `/{name}` (P4), or where its persona's table puts it
//! (`/realms/{name}`, P124). Server-wide controls live under `/_mock/` (P125), a name no tenant
//! may take. `dispatch` resolves each request to a tenant and endpoint through the tenant's
//! table, then hands it to the internal routes, which are the plain table's paths under
//! `/{name}`; only resolved requests reach them, so a persona tenant answers on its own paths
//! alone. An unknown tenant is a JSON 404 that names it; an unknown path a JSON 404 (P9); a wrong
//! method a 405 with `Allow` (axum's method router adds the header).

use std::convert::Infallible;
use std::future::Future;

use axum::extract::{OriginalUri, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;
use tower::make::Shared;
use tower::Service;

use crate::error::Error;
use crate::extract::resolve;
use crate::state::AppState;
use crate::{authorize, discovery, end_session, introspection, jwks, login, mint, presets, revocation, token, userinfo};

/// Largest total size of request headers (P157); larger gets 431.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// The provider's routes behind the front layers, as one service: what `serve` and
/// `serve_draining` answer with.
fn service(
    state: AppState,
) -> impl Service<Request, Response = Response, Error = Infallible, Future: Send + 'static> + Clone + Send + Sync + 'static {
    // P14: a disabled optional endpoint answers 404, as if it did not exist.
    let optional = middleware::from_fn_with_state(state.clone(), discovery::optional_endpoint_gate);
    let internal = Router::new()
        .route(crate::endpoint::READY_PATH, get(ready))
        .route("/{tenant}/.well-known/openid-configuration", get(discovery::openid_configuration))
        .route("/{tenant}/jwks", get(jwks::handle))
        .route("/{tenant}/token", post(token::handle))
        .route("/{tenant}/authorize", get(authorize::handle_get).post(authorize::handle_post))
        .route("/{tenant}/login", post(login::handle))
        .route("/{tenant}/userinfo", get(userinfo::handle_get).post(userinfo::handle_post))
        .route("/{tenant}/introspect", post(introspection::handle).layer(optional.clone()))
        .route("/{tenant}/revoke", post(revocation::handle).layer(optional.clone()))
        .route(
            "/{tenant}/logout",
            get(end_session::handle_get).post(end_session::handle_post).layer(optional),
        )
        .route("/{tenant}/_mock/mint", post(mint::handle))
        .route("/{tenant}/_mock/presets", get(presets::list))
        .merge(crate::control::routes())
        .fallback(not_found)
        .with_state(state.clone());
    // The front layers run first: dispatch (resolve) and the layer's rewrite to the internal
    // route must come before the internal routes match. They are stacked once here (not with
    // `Router::layer`, which boxes the stack once per layer), and the header limit, dispatch,
    // journal and faults are one middleware, not three: each layer costs a boxed service clone
    // and a future per request.
    let tracing = traces_requests().then(|| {
        tower::ServiceBuilder::new()
            // The trace layer wraps the body in its own type; the servers want axum's.
            .map_response(IntoResponse::into_response)
            .layer(
                tower_http::trace::TraceLayer::new_for_http()
                    .make_span_with(|req: &Request| {
                        // Method and path only: never headers, query strings or bodies (they carry
                        // secrets).
                        tracing::debug_span!("request", method = %req.method(), path = %req.uri().path())
                    })
                    // `front` logs 5xx answers at ERROR itself, with or without this layer.
                    .on_failure(()),
            )
    });
    tower::ServiceBuilder::new()
        .option_layer(tracing)
        .layer(middleware::from_fn_with_state(state, front))
        .service(internal)
}

/// Whether the service gets the per-request trace layer (a DEBUG span with the method and path,
/// and tower-http's request and response events): when DEBUG events can be recorded at all as
/// it is built, e.g. `RUST_LOG=debug` or any `…=debug` directive before start. At the default
/// INFO the layer records nothing, yet wrapping every request and response body in its types
/// cost about 0.7 µs of CPU per JWKS GET (A/B in docs/benchmarks.md), so it is left out.
fn traces_requests() -> bool {
    use tracing::level_filters::LevelFilter;
    LevelFilter::current() >= LevelFilter::DEBUG
}

/// The provider's routes over `state` as an axum `Router` (tests drive it with `oneshot`; the
/// TLS server adds its CA route to it). The plain servers below serve the same stack without
/// this outer router, whose only route is the fallback to it (about 4 k instructions a request).
pub fn router(state: AppState) -> Router {
    Router::new().fallback_service(service(state))
}

/// Serves `state` on `listener` until `shutdown` resolves, then finishes in-flight requests (P159).
pub async fn serve(listener: TcpListener, state: AppState, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    axum::serve(listener, Shared::new(service(state)))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Serves `state` like [`serve`], but once `shutdown` resolves closes the listener and answers
/// with `Connection: close` for up to `window` before stopping gracefully (R12, `http_drain`).
pub async fn serve_draining(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
    window: std::time::Duration,
) -> std::io::Result<()> {
    http_drain::serve(listener, service(state), shutdown, window).await
}

async fn ready() -> impl IntoResponse {
    axum::Json(serde_json::json!({"status": "ready"}))
}

async fn not_found(req: Request) -> Response {
    let path = req.extensions().get::<OriginalUri>().map_or(req.uri().path(), |u| u.path());
    Error::NotFound(path.to_owned()).into_response()
}

/// Every request passes here first: the header limit (P157), then `dispatch`, then the journal
/// and faults (`middleware::layer`). A 5xx answer is logged at ERROR.
async fn front(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if let Err(resp) = limit_headers(&req) {
        return resp;
    }
    let resp = match dispatch(&state, req) {
        Ok(req) => crate::middleware::layer(state, req, next).await,
        Err(resp) => resp,
    };
    if resp.status().is_server_error() {
        // At every log level, with or without the trace layer (whose own failure event is off).
        tracing::error!(status = resp.status().as_u16(), "response failed");
    }
    resp
}

/// Resolves the tenant and endpoint and keeps them in the request's extensions; the layer
/// rewrites the path to the internal route (`extract::to_internal_route`) when the request goes
/// on to the routes. A path no tenant resolves is a 404 here, naming the tenant when its first
/// segment names none (P4, even where the method would be wrong); server-wide paths (`/_mock/`,
/// `/.well-known/`) go on unchanged.
#[allow(clippy::result_large_err)]
fn dispatch(state: &AppState, mut req: Request) -> Result<Request, Response> {
    let path = req.uri().path();
    let Some(resolved) = resolve(state, path) else {
        let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
        if first.starts_with('_') || first.starts_with('.') {
            return Ok(req);
        }
        if first.is_empty() || state.tenant(first).is_some() {
            return Err(Error::NotFound(path.to_owned()).into_response());
        }
        return Err(Error::UnknownTenant(first.to_owned()).into_response());
    };
    req.extensions_mut().insert(resolved);
    Ok(req)
}

#[allow(clippy::result_large_err)]
fn limit_headers(req: &Request) -> Result<(), Response> {
    let size: usize = req.headers().iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum();
    if size > MAX_HEADER_BYTES {
        return Err((StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "request headers too large").into_response());
    }
    Ok(())
}
