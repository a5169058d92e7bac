//! `router`, `serve`, the layers every request passes through, and tenant resolution by path.
//!
//! Every tenant lives under `/{name}` (P4); server-wide controls live under `/_mock/` (P125),
//! a name no tenant may take. An unknown tenant is a JSON 404 that names it; an unknown path a
//! JSON 404 (P9); a wrong method a 405 with `Allow` (axum's method router adds the header).

use std::future::Future;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;

use crate::error::Error;
use crate::state::AppState;
use crate::tenant::Tenant;
use crate::{authorize, discovery, end_session, introspection, jwks, login, mint, presets, revocation, token, userinfo};

pub use crate::control::exposure_warning;

/// Largest total size of request headers (P157); larger gets 431.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// The tenant a request is addressed to, from the first path segment.
#[derive(Debug, Clone)]
pub struct TenantRef(pub Arc<Tenant>);

impl FromRequestParts<AppState> for TenantRef {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let name = parts.uri.path().trim_start_matches('/').split('/').next().unwrap_or("");
        state
            .tenant(name)
            .map(TenantRef)
            .ok_or_else(|| Error::UnknownTenant(name.to_owned()))
    }
}

/// The provider's routes over `state`; used by `serve` and by tests through `oneshot`.
pub fn router(state: AppState) -> Router {
    // P14: a disabled optional endpoint answers 404, as if it did not exist.
    let optional = middleware::from_fn_with_state(state.clone(), discovery::optional_endpoint_gate);
    Router::new()
        .route("/_mock/ready", get(ready))
        .route("/.well-known/oauth-authorization-server/{tenant}", get(discovery::oauth_metadata))
        .route("/.well-known/oauth-authorization-server/{tenant}/", get(discovery::oauth_metadata))
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
        // P4: an unknown tenant is a 404 naming it, even where the method would be wrong.
        .route_layer(middleware::from_fn_with_state(state.clone(), known_tenant))
        .merge(crate::control::routes())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), crate::faults::layer))
        .layer(middleware::from_fn(limit_headers))
        .layer(tower_http::trace::TraceLayer::new_for_http().make_span_with(|req: &Request| {
            // Method and path only: never headers, query strings or bodies (they carry secrets).
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
        }))
        .with_state(state)
}

/// Serves `state` on `listener` until `shutdown` resolves, then finishes in-flight requests (P159).
pub async fn serve(listener: TcpListener, state: AppState, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await
}

async fn ready() -> impl IntoResponse {
    axum::Json(serde_json::json!({"status": "ready"}))
}

async fn not_found(axum::extract::State(state): axum::extract::State<AppState>, req: Request) -> Response {
    // A path under a tenant name that exists is a plain 404; under an unknown name, say so (P4).
    let name = req.uri().path().trim_start_matches('/').split('/').next().unwrap_or("");
    if !name.is_empty() && !name.starts_with('_') && !name.starts_with('.') && state.tenant(name).is_none() {
        return Error::UnknownTenant(name.to_owned()).into_response();
    }
    Error::NotFound(req.uri().path().to_owned()).into_response()
}

async fn known_tenant(axum::extract::State(state): axum::extract::State<AppState>, req: Request, next: Next) -> Response {
    let name = req.uri().path().trim_start_matches('/').split('/').next().unwrap_or("");
    if !name.starts_with('_') && !name.starts_with('.') && state.tenant(name).is_none() {
        return Error::UnknownTenant(name.to_owned()).into_response();
    }
    next.run(req).await
}

async fn limit_headers(req: Request, next: Next) -> Response {
    let size: usize = req.headers().iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum();
    if size > MAX_HEADER_BYTES {
        return (StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "request headers too large").into_response();
    }
    next.run(req).await
}
