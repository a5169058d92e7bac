//! Token revocation (RFC 7009, P116): a refresh token takes its whole family with it (the
//! access and ID tokens derived from it); an access token is revoked by its `jti`.
//!
//! Unknown, expired and already revoked tokens get the same empty 200 (RFC 7009 §2.2), and
//! `token_type_hint` is only a hint: both kinds are looked up whatever it says. A token issued
//! to another client is not revoked, and the caller gets an error (RFC 7009 §2.1).

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::{Error, Result};
use crate::extract::TenantRef;
use crate::form::Form;
use crate::grant_types::client_auth::authenticate_client;
use crate::grants::store_key;
use crate::tenant::Tenant;
use crate::userinfo::{is_access_token, verify_own_token};

/// The description when a client tries to revoke another client's token.
pub const OTHER_CLIENT: &str = "The token was issued to another client";

/// `POST {issuer}/revoke`.
pub async fn handle(TenantRef(tenant): TenantRef, headers: HeaderMap, form: Form) -> Result<Response> {
    let auth = authenticate_client(&tenant, &headers, &form)?;
    let token = form.require("token")?;
    revoke(&tenant, auth.client.id(), token)?;
    let mut resp = StatusCode::OK.into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(resp)
}

/// Revokes `token` on behalf of `client_id`, without HTTP.
pub fn revoke(tenant: &Tenant, client_id: &str, token: &str) -> Result<()> {
    {
        let mut store = tenant.grants();
        if let Some(r) = store.refresh.get(&store_key(token)) {
            if r.client_id != client_id {
                return Err(Error::InvalidGrant(OTHER_CLIENT.into()));
            }
            let family = r.family;
            store.revoke_family(family);
            tracing::debug!(family, "refresh token revoked with its family");
            return Ok(());
        }
    }
    let Ok(claims) = verify_own_token(tenant, token) else {
        return Ok(()); // unknown, expired or already revoked: nothing to do (RFC 7009 §2.2)
    };
    if !is_access_token(&claims) {
        return Ok(());
    }
    if claims.get("client_id").and_then(|v| v.as_str()) != Some(client_id) {
        return Err(Error::InvalidGrant(OTHER_CLIENT.into()));
    }
    if let Some(jti) = claims.get("jti").and_then(|v| v.as_str()) {
        // Kept until the token expires; after that it is refused as expired anyway.
        let exp = claims.get("exp").and_then(|v| v.as_i64()).unwrap_or(i64::MAX);
        let mut store = tenant.grants();
        store.revoke_jti(jti.to_owned(), exp);
    }
    Ok(())
}
