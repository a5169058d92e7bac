//! Token introspection (RFC 7662, P115): refresh tokens from the grant store, access tokens by
//! `verify_own_token`; anything else is `{"active": false}` with 200, never an error.
//!
//! The caller must be a client that authenticates with a secret (discovery advertises Basic and
//! post only); any client may introspect any token of the tenant, as a resource server does.

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use crate::config::AuthMethod;
use crate::error::{Error, Result};
use crate::extract::TenantRef;
use crate::form::Form;
use crate::grant_types::client_auth::authenticate_client;
use crate::grants::store_key;
use crate::tenant::Tenant;
use crate::userinfo::{is_access_token, verify_own_token};

/// Members copied from a verified access token into an active answer.
const ACCESS_TOKEN_MEMBERS: [&str; 10] = ["iss", "sub", "aud", "exp", "iat", "nbf", "scope", "client_id", "jti", "auth_time"];

/// `POST {issuer}/introspect`.
pub async fn handle(TenantRef(tenant): TenantRef, headers: HeaderMap, form: Form) -> Result<Response> {
    let auth = authenticate_client(&tenant, &headers, &form)?;
    if auth.method == AuthMethod::None && !tenant.config().permissive {
        return Err(Error::InvalidClient {
            // The same answer as any other failed authentication (`token::CLIENT_AUTH_FAILED`).
            why: crate::grant_types::client_auth::CLIENT_AUTH_FAILED.into(),
            realm: tenant.issuer().0.clone(),
            basic: false,
        });
    }
    let token = form.require("token")?;
    let body = introspect(&tenant, token)?;
    let mut resp = axum::Json(Value::Object(body)).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(resp)
}

/// The introspection answer for `token`, without HTTP. `token_type_hint` is not needed: refresh
/// tokens are looked up first, then access tokens.
pub fn introspect(tenant: &Tenant, token: &str) -> Result<Map<String, Value>> {
    let inactive = || json!({"active": false}).as_object().cloned().unwrap_or_default();
    let now = tenant.clock().now();
    let refresh = {
        let store = tenant.grants();
        store.refresh.get(&store_key(token)).cloned().map(|r| {
            let family_live = store.families.get(&r.family).is_some_and(|f| !f.revoked);
            (r, family_live)
        })
    };
    if let Some((r, family_live)) = refresh {
        if r.used || !family_live || r.expires_at <= now {
            return Ok(inactive());
        }
        let accounts = tenant.accounts();
        let user = r.username.as_deref().and_then(|u| accounts.users.get(u));
        if r.username.is_some() && user.is_none() {
            return Ok(inactive());
        }
        let mut m = Map::new();
        m.insert("active".into(), Value::Bool(true));
        m.insert("iss".into(), json!(tenant.issuer().0));
        m.insert(
            "sub".into(),
            json!(user.map(|u| u.sub.clone()).unwrap_or_else(|| r.client_id.clone())),
        );
        if let Some(u) = user {
            m.insert("username".into(), json!(u.username()));
        }
        m.insert("aud".into(), json!(r.aud));
        m.insert("exp".into(), json!(r.expires_at));
        if let Some(at) = r.auth_time {
            m.insert("auth_time".into(), json!(at));
        }
        m.insert("scope".into(), json!(r.scope));
        m.insert("client_id".into(), json!(r.client_id));
        m.insert("token_type".into(), json!("refresh_token"));
        return Ok(m);
    }
    match verify_own_token(tenant, token) {
        Ok(claims) if is_access_token(&claims) => {
            let mut m = Map::new();
            m.insert("active".into(), Value::Bool(true));
            for k in ACCESS_TOKEN_MEMBERS {
                if let Some(v) = claims.get(k) {
                    m.insert(k.into(), v.clone());
                }
            }
            if let Some(u) = claims.get("preferred_username").filter(|v| v.is_string()) {
                m.insert("username".into(), u.clone());
            }
            m.insert("token_type".into(), json!("Bearer"));
            Ok(m)
        }
        _ => Ok(inactive()),
    }
}
