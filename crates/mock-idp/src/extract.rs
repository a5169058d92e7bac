//! Which tenant and endpoint a request addresses: [`resolve`] (used by the router's front
//! layer on every request), the [`Resolved`] it leaves in the request's extensions, and the
//! [`TenantRef`] extractor every tenant handler takes.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::state::AppState;
use crate::tenant::Tenant;

/// The tenant a request is addressed to, from the first segment of its internal route.
#[derive(Debug, Clone)]
pub struct TenantRef(pub Arc<Tenant>);

/// What `dispatch` found a request to address, kept in the request's extensions.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The tenant.
    pub tenant: Arc<Tenant>,
    /// The endpoint, as named in the journal and in faults.
    pub endpoint: Endpoint,
    /// The internal route serving it (`/{name}/token`), `None` where nothing is served.
    pub route: Option<String>,
}

/// Resolves a request path to its tenant and endpoint (P4, P10, P124): the tenant whose root
/// path is the longest prefix of `path`, or, for RFC 8414 metadata, the tenant whose issuer
/// path follows `/.well-known/oauth-authorization-server`.
pub fn resolve(state: &AppState, path: &str) -> Option<Resolved> {
    // Under the tenant list's read lock, without copying the list: this runs on every request.
    state.with_tenants(|tenants| {
        if let Some(issuer_path) = path.strip_prefix("/.well-known/oauth-authorization-server") {
            let want = issuer_path.strip_suffix('/').unwrap_or(issuer_path);
            let tenant = tenants.iter().find(|t| t.issuer_path() == want)?;
            let route = Some(format!("/{}/.well-known/openid-configuration", tenant.name()));
            return Some(Resolved {
                tenant: tenant.clone(),
                endpoint: Endpoint::Discovery,
                route,
            });
        }
        tenants
            .iter()
            .filter_map(|t| t.route(path).map(|(endpoint, route)| (t, endpoint, route)))
            .max_by_key(|(t, _, _)| t.root_path().len())
            .map(|(tenant, endpoint, route)| Resolved {
                tenant: tenant.clone(),
                endpoint,
                route,
            })
    })
}

impl FromRequestParts<AppState> for TenantRef {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        // `front` resolved it already; the internal route names the same tenant.
        if let Some(r) = parts.extensions.get::<Resolved>() {
            return Ok(TenantRef(r.tenant.clone()));
        }
        let name = parts.uri.path().trim_start_matches('/').split('/').next().unwrap_or("");
        state
            .tenant(name)
            .map(TenantRef)
            .ok_or_else(|| Error::UnknownTenant(name.to_owned()))
    }
}
