//! RP-Initiated Logout 1.0 (P117): ends the tenant's browser session and sends the user back
//! to a registered `post_logout_redirect_uri`, or shows a plain "signed out" page.
//!
//! The request is checked before the session ends: an unregistered URI gets an error page and
//! leaves the session alone, so a forged logout link cannot be used as an open redirector.

use axum::extract::RawQuery;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;

use crate::authorize::{self, redirect, shown, Shown};
use crate::extract::TenantRef;
use crate::form::Form;
use crate::grants::store_key;
use crate::html::{html, html_escape};
use crate::session::{cookie_header, session_cookie, SESSION_COOKIE};
use crate::tenant::Tenant;

/// `GET {issuer}/logout`.
pub async fn handle_get(TenantRef(tenant): TenantRef, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    match Form::parse(query.unwrap_or_default().as_bytes()) {
        Ok(form) => respond(&tenant, &headers, &form),
        Err(e) => shown(&headers, &Shown::new("invalid_request", &e.to_string())),
    }
}

/// `POST {issuer}/logout` with a form body.
pub async fn handle_post(TenantRef(tenant): TenantRef, headers: HeaderMap, form: Form) -> Response {
    respond(&tenant, &headers, &form)
}

/// Where the user goes after logging out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoggedOut {
    /// Back to the client: the full `Location`.
    Redirect(String),
    /// The "signed out" page.
    Page,
}

fn respond(tenant: &Tenant, headers: &HeaderMap, form: &Form) -> Response {
    let next = match check(tenant, form) {
        Ok(n) => n,
        Err(s) => return shown(headers, &s),
    };
    if let Some(cookie) = session_cookie(headers) {
        end_session(tenant, &cookie);
    }
    let mut resp = match next {
        LoggedOut::Redirect(location) => redirect(&location),
        LoggedOut::Page => {
            let body = format!(
                "<h1>Signed out</h1>\n<p>You are signed out of {}.</p>",
                html_escape(tenant.issuer().as_str())
            );
            let mut r = html(StatusCode::OK, "Signed out", &body);
            r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
    };
    if let Ok(c) = HeaderValue::from_str(&cookie_header(tenant, SESSION_COOKIE, "", Some(0))) {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    resp
}

/// Drops the session behind a cookie value.
pub fn end_session(tenant: &Tenant, cookie: &str) {
    tenant.grants().sessions.remove(&store_key(cookie));
}

/// Validates the logout request: the hint must be this issuer's ID token, the client named by
/// the hint and by `client_id` must agree, and the redirect must be registered exactly.
pub fn check(tenant: &Tenant, form: &Form) -> Result<LoggedOut, Shown> {
    let bad = |d: &str| Shown::new("invalid_request", d);
    let hint_client = match form.get("id_token_hint") {
        None => None,
        Some(hint) => {
            let claims =
                authorize::verify_own_id_token(tenant, hint).ok_or_else(|| bad("id_token_hint is not an ID token of this issuer"))?;
            let aud = claims
                .get("azp")
                .and_then(|v| v.as_str())
                .or_else(|| {
                    claims
                        .get("aud")
                        .and_then(|a| a.as_str().or_else(|| a.get(0).and_then(|v| v.as_str())))
                })
                .map(str::to_owned);
            Some(aud.ok_or_else(|| bad("id_token_hint has no audience"))?)
        }
    };
    let client_id = match (hint_client, form.get("client_id")) {
        (Some(h), Some(c)) if h != c => return Err(bad("client_id does not match the id_token_hint")),
        (Some(h), _) => Some(h),
        (None, c) => c.map(str::to_owned),
    };
    let Some(uri) = form.get("post_logout_redirect_uri") else {
        return Ok(LoggedOut::Page);
    };
    let client_id = client_id.ok_or_else(|| bad("post_logout_redirect_uri needs client_id or id_token_hint"))?;
    let registered = tenant
        .accounts()
        .clients
        .get(&client_id)
        .is_some_and(|c| c.config.post_logout_redirect_uris.iter().any(|r| r == uri));
    if !registered {
        return Err(bad("post_logout_redirect_uri is not registered for this client"));
    }
    let mut location = uri.to_owned();
    if let Some(state) = form.get("state") {
        let sep = if uri.contains('?') { '&' } else { '?' };
        let q = form_urlencoded::Serializer::new(String::new()).append_pair("state", state).finish();
        location = format!("{location}{sep}{q}");
    }
    Ok(LoggedOut::Redirect(location))
}
