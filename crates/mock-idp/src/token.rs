//! The token endpoint (RFC 6749 §3.2, §5): the dispatch on `grant_type` to `grant_types/`.
//!
//! The form extractor and Basic credentials live in `form.rs`, client authentication in
//! `grant_types::client_auth`.

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};

use crate::config::GrantType;
use crate::error::{Error, Result};
use crate::extract::TenantRef;
use crate::form::Form;
use crate::grant_types;
use crate::grant_types::client_auth::authenticate_client;
use crate::tenant::Tenant;

/// `POST {issuer}/token`.
pub async fn handle(TenantRef(tenant): TenantRef, headers: HeaderMap, form: Form) -> Result<Response> {
    let resp = exchange(&tenant, &headers, &form)?;
    let mut r = (
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        resp.to_json(),
    )
        .into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(r)
}

/// The token endpoint's logic, without HTTP.
pub fn exchange(tenant: &Tenant, headers: &HeaderMap, form: &Form) -> Result<grant_types::TokenResponse> {
    let grant_type = form.require("grant_type")?;
    let grant = GrantType::parse(grant_type)
        .filter(|g| *g != GrantType::Implicit && tenant.grant_enabled(*g))
        .ok_or_else(|| {
            Error::UnsupportedGrantType(format!(
                "grant_type {} is not supported",
                crate::error::sanitize_description(grant_type)
            ))
        })?;
    let auth = authenticate_client(tenant, headers, form)?;
    if !auth.client.allows_grant(grant) && !tenant.config().permissive {
        return Err(Error::UnauthorizedClient(format!("this client may not use {}", grant.as_str())));
    }
    match grant {
        GrantType::Password => grant_types::password::grant(tenant, &auth, form),
        GrantType::ClientCredentials => grant_types::client_credentials::grant(tenant, &auth, form),
        GrantType::AuthorizationCode => grant_types::authorization_code::grant(tenant, &auth, form),
        GrantType::RefreshToken => grant_types::refresh_token::grant(tenant, &auth, form),
        GrantType::Implicit => Err(Error::UnsupportedGrantType("implicit is not a token endpoint grant".into())),
    }
}
