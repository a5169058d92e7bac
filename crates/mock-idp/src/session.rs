//! The browser login session of a tenant and its cookies (P98): opened by the login form, read
//! by the authorization and end-session endpoints, stored in the tenant's grant store.

use axum::http::{header, HeaderMap};

use crate::error::Result;
use crate::grants::{opaque_token, store_key, Session};
use crate::tenant::Tenant;

/// Name of the login-session cookie, scoped to the tenant path (P98).
pub const SESSION_COOKIE: &str = "mock_idp_session";
/// Name of the anti-CSRF cookie.
pub const CSRF_COOKIE: &str = "mock_idp_csrf";
/// Opens a login session for `username` on the tenant clock; returns the `Set-Cookie` value
/// and the `auth_time`.
pub fn open_session(tenant: &Tenant, username: &str) -> Result<(String, i64)> {
    let id = opaque_token();
    let auth_time = tenant.clock().now();
    tenant.grants().sessions.insert(
        store_key(&id),
        Session {
            username: username.to_owned(),
            auth_time,
        },
    );
    Ok((cookie_header(tenant, SESSION_COOKIE, &id, None), auth_time))
}

/// The session behind a cookie value.
pub fn lookup_session(tenant: &Tenant, cookie: &str) -> Option<Session> {
    tenant.grants().sessions.get(&store_key(cookie)).cloned()
}

/// A `Set-Cookie` value scoped to the tenant path, `HttpOnly`, `SameSite=Lax` (P98);
/// `max_age = Some(0)` expires it.
pub fn cookie_header(tenant: &Tenant, name: &str, value: &str, max_age: Option<i64>) -> String {
    let mut c = format!("{name}={value}; Path={}; HttpOnly; SameSite=Lax", tenant_path(tenant));
    if tenant.front_base().starts_with("https://") {
        c.push_str("; Secure");
    }
    if let Some(m) = max_age {
        c.push_str(&format!("; Max-Age={m}"));
    }
    c
}

/// The path the tenant's browser endpoints live under.
pub fn tenant_path(tenant: &Tenant) -> String {
    let p = crate::config::issuer_path(tenant.front_base());
    if p.is_empty() {
        tenant.root_path().to_owned()
    } else {
        p.to_owned()
    }
}

/// The value of cookie `name` in the request, if any.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The session cookie's value.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, SESSION_COOKIE)
}
