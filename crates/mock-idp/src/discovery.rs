//! The discovery document (OpenID Connect Discovery §3-4, RFC 8414; P10-P25), built from what
//! the tenant has enabled: it never advertises more than works, and advertises all that does.

use axum::body::Bytes;
use axum::extract::{OriginalUri, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use crate::config::GrantType;
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::extract::TenantRef;
use crate::grant_types::supported_scopes;
use crate::keys::KeyRing;
use crate::state::AppState;
use crate::tenant::Tenant;

/// The response modes served (P16).
pub const RESPONSE_MODES: [&str; 3] = ["query", "fragment", "form_post"];

/// Builds the provider metadata of a tenant.
pub fn metadata(tenant: &Tenant) -> Result<Value> {
    let keys = tenant.keys();
    Ok(metadata_with(tenant, &keys))
}

/// The serialised metadata, kept until the key ring changes (the rest of it is fixed
/// configuration).
pub fn metadata_body(tenant: &Tenant) -> Result<Bytes> {
    let keys = tenant.keys();
    tenant.discovery_body().get_or_build(keys.generation(), || {
        serde_json::to_vec(&metadata_with(tenant, &keys)).map_err(|e| Error::Internal(format!("metadata serialisation: {e}")))
    })
}

/// The metadata for the key ring `keys` of `tenant`.
fn metadata_with(tenant: &Tenant, keys: &KeyRing) -> Value {
    let cfg = &tenant.config();
    let algs: Vec<&str> = keys.algorithms().into_iter().map(|a| a.as_str()).collect();
    let grants: Vec<&str> = cfg.grant_types.iter().map(|g| g.as_str()).collect();
    let mut response_types: Vec<&str> = Vec::new();
    if tenant.grant_enabled(GrantType::AuthorizationCode) {
        response_types.push("code");
    }
    if tenant.grant_enabled(GrantType::Implicit) {
        response_types.push("id_token");
        if tenant.grant_enabled(GrantType::AuthorizationCode) {
            response_types.push("code id_token");
        }
    }
    let auth_methods = ["client_secret_basic", "client_secret_post", "none"];
    // The registered claims of every token, then the profile and email claims (P19).
    let mut claims: Vec<String> = crate::claims::REGISTERED
        .iter()
        .chain(&["name", "given_name", "family_name", "preferred_username", "email", "email_verified"])
        .map(|s| s.to_string())
        .collect();
    claims.extend(cfg.username_claims.iter().cloned());
    if !cfg.persona.is_some_and(|p| p.drops_groups()) {
        claims.push(cfg.groups_claim.clone());
    }
    claims.extend(cfg.claims.keys().cloned());
    if let Some(p) = cfg.persona {
        claims.extend(p.claims_supported().iter().map(|c| c.to_string())); // P124
    }
    claims.sort();
    claims.dedup();
    let mut m = Map::new();
    m.insert("issuer".into(), json!(tenant.issuer().0));
    // Where each endpoint lives is the tenant's path table (P124).
    let url = |e: Endpoint| json!(tenant.endpoint_url(e));
    m.insert("authorization_endpoint".into(), url(Endpoint::Authorize));
    m.insert("token_endpoint".into(), url(Endpoint::Token));
    m.insert("userinfo_endpoint".into(), url(Endpoint::Userinfo));
    m.insert("jwks_uri".into(), url(Endpoint::Jwks));
    if cfg.optional_endpoints {
        m.insert("introspection_endpoint".into(), url(Endpoint::Introspection));
        m.insert(
            "introspection_endpoint_auth_methods_supported".into(),
            json!(["client_secret_basic", "client_secret_post"]),
        );
        m.insert("revocation_endpoint".into(), url(Endpoint::Revocation));
        m.insert("revocation_endpoint_auth_methods_supported".into(), json!(auth_methods));
        m.insert("end_session_endpoint".into(), url(Endpoint::EndSession));
    }
    m.insert("scopes_supported".into(), json!(supported_scopes(tenant)));
    m.insert("response_types_supported".into(), json!(response_types));
    m.insert("response_modes_supported".into(), json!(RESPONSE_MODES));
    m.insert("grant_types_supported".into(), json!(grants));
    m.insert("subject_types_supported".into(), json!(["public"]));
    m.insert("id_token_signing_alg_values_supported".into(), json!(algs));
    m.insert("token_endpoint_auth_methods_supported".into(), json!(auth_methods));
    m.insert(
        "code_challenge_methods_supported".into(),
        json!(if cfg.pkce_plain { vec!["S256", "plain"] } else { vec!["S256"] }),
    );
    m.insert("claims_supported".into(), json!(claims));
    m.insert("claims_parameter_supported".into(), json!(false));
    m.insert("request_parameter_supported".into(), json!(false));
    m.insert("request_uri_parameter_supported".into(), json!(false));
    m.insert(
        "authorization_response_iss_parameter_supported".into(),
        json!(cfg.authorization_response_iss),
    );
    Value::Object(m)
}

/// A JSON answer any origin may read (P11), from serialised bytes.
pub fn json_bytes_response(body: Bytes) -> Response {
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    resp
}

/// `GET {issuer}/.well-known/openid-configuration`, and `GET /.well-known/oauth-authorization-server{issuer path}`
/// (RFC 8414 §3, P10), which the router resolves to the same tenant.
pub async fn openid_configuration(TenantRef(tenant): TenantRef) -> Result<Response> {
    answer(&tenant)
}

/// The discovery answer of `tenant`: the handler's work, which the middleware also calls directly.
pub fn answer(tenant: &Tenant) -> Result<Response> {
    Ok(json_bytes_response(metadata_body(tenant)?))
}

/// Route layer of the optional endpoints (introspection, revocation, end-session): a tenant that
/// disables them answers 404 there, so the document and the routes agree (P14).
pub async fn optional_endpoint_gate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let name = req.uri().path().trim_start_matches('/').split('/').next().unwrap_or("");
    if state.tenant(name).is_some_and(|t| !t.config().optional_endpoints) {
        let path = req
            .extensions()
            .get::<OriginalUri>()
            .unwrap_or(&OriginalUri(req.uri().clone()))
            .path()
            .to_owned();
        return Error::NotFound(format!("{path} (disabled for this tenant)")).into_response();
    }
    next.run(req).await
}
