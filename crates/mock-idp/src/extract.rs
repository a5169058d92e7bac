//! Which tenant and endpoint a request addresses: [`resolve`] (used by the router's front
//! layer on every request), the [`Resolved`] it leaves in the request's extensions, and the
//! [`TenantRef`] extractor every tenant handler takes.

use std::borrow::Cow;
use std::sync::Arc;

use axum::extract::{FromRequestParts, OriginalUri, Request};
use axum::http::request::Parts;
use axum::http::Uri;

use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::state::AppState;
use crate::tenant::{Tenant, DISCOVERY_PATH};

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
    /// The internal route serving it below `/{name}` (`/token`), `None` where nothing is
    /// served.
    pub route: Option<Cow<'static, str>>,
}

impl Resolved {
    /// The internal route serving the request (`/{name}/token`), with `query`.
    fn internal_route(&self, query: Option<&str>) -> Option<String> {
        let route = self.route.as_deref()?;
        let name = self.tenant.name();
        Some(match query {
            Some(q) => format!("/{name}{route}?{q}"),
            None => format!("/{name}{route}"),
        })
    }
}

/// Sends a request on to the internal route of its resolution `resolved`: rewrites its path (the
/// query stays), keeps the URI as requested in an `OriginalUri` and the resolution for the
/// handlers (`TenantRef`). Only requests that go on to the routes need this; an answer given
/// before them (`middleware::direct_answer`) does not.
pub fn to_internal_route(mut req: Request, resolved: &Resolved) -> Result<Request, Error> {
    let original = req.uri().clone();
    if let Some(target) = resolved.internal_route(original.query()) {
        let mut parts = original.clone().into_parts();
        parts.path_and_query = target.parse().ok();
        *req.uri_mut() = Uri::from_parts(parts).map_err(|_| Error::NotFound(original.path().to_owned()))?;
    }
    req.extensions_mut().insert(OriginalUri(original));
    req.extensions_mut().insert(resolved.clone());
    Ok(req)
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
            return Some(Resolved {
                tenant: tenant.clone(),
                endpoint: Endpoint::Discovery,
                route: Some(Cow::Borrowed(DISCOVERY_PATH)),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(route: Option<&'static str>) -> Resolved {
        let tenant = Tenant::new(crate::config::TenantConfig::named("t"), "http://127.0.0.1").unwrap();
        Resolved {
            tenant: Arc::new(tenant),
            endpoint: Endpoint::Token,
            route: route.map(Cow::Borrowed),
        }
    }

    fn request(uri: &str) -> Request {
        Request::builder().uri(uri).body(axum::body::Body::empty()).unwrap()
    }

    fn original(req: &Request) -> Option<String> {
        req.extensions().get::<OriginalUri>().map(|u| u.0.to_string())
    }

    #[test]
    fn a_request_goes_to_its_internal_route_with_its_query_and_keeps_its_uri() {
        let r = resolved(Some("/token"));
        let req = to_internal_route(request("/realms/t/protocol/x?a=1&b=%20"), &r).unwrap();
        assert_eq!(req.uri().to_string(), "/t/token?a=1&b=%20");
        assert_eq!(original(&req).as_deref(), Some("/realms/t/protocol/x?a=1&b=%20"));
        let kept = req.extensions().get::<Resolved>().expect("kept for the handlers");
        assert_eq!((kept.tenant.name(), kept.endpoint), ("t", Endpoint::Token));

        let req = to_internal_route(request("/t/token"), &r).unwrap();
        assert_eq!(req.uri().to_string(), "/t/token");
        assert_eq!(original(&req).as_deref(), Some("/t/token"));
    }

    #[test]
    fn without_a_route_the_path_stays() {
        let req = to_internal_route(request("/t/nothing?x=1"), &resolved(None)).unwrap();
        assert_eq!(req.uri().to_string(), "/t/nothing?x=1");
        assert_eq!(original(&req).as_deref(), Some("/t/nothing?x=1"));
    }
}
