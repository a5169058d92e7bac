//! The HTML login page, its form POST and the MFA step (P98, P152), the login session and its
//! cookies, plus the tiny HTML helpers every page of the provider uses; the authorization decision itself stays in `authorize.rs`.
//!
//! The page needs no JavaScript. The pending authorization request travels in a hidden field
//! and is validated again on POST, because hidden fields are as untrusted as the query was.
//! The anti-CSRF token is a double-submit cookie: the page sets a random cookie (tenant path,
//! `SameSite=Lax`) and repeats it in a hidden field, and the POST must carry both, equal.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::authorize::{self, AuthRequest, Outcome, Reply, Shown};
use crate::config::UserStatus;
use crate::error::{Error, Result};
use crate::grants::password::{check_login, status_description, LoginFailure, BAD_CREDENTIALS};
use crate::grants::{opaque_token, store_key, Session};
use crate::server::TenantRef;
use crate::tenant::Tenant;
use crate::token::Form;

/// Name of the login-session cookie, scoped to the tenant path (P98).
pub const SESSION_COOKIE: &str = "mock_idp_session";
/// Name of the anti-CSRF cookie.
pub const CSRF_COOKIE: &str = "mock_idp_csrf";
/// How long a password-checked login may wait for its one-time code, on the tenant clock.
pub const MFA_WINDOW_S: i64 = 300;

/// `POST {issuer}/login`: the login form and the MFA step.
pub async fn handle(TenantRef(tenant): TenantRef, headers: HeaderMap, form: Form) -> Response {
    let csrf = cookie_value(&headers, CSRF_COOKIE);
    match submit(&tenant, &form, csrf.as_deref()) {
        Submitted::Again(req, state) => page(&tenant, &req, &state),
        Submitted::Done(outcome) => authorize::respond(&tenant, &headers, outcome),
    }
}

/// What a login page shows besides the form.
#[derive(Debug, Clone, Default)]
pub struct PageState {
    /// A visible error (P152).
    pub error: Option<String>,
    /// Username to prefill (the one typed, or `login_hint`, P100).
    pub username: Option<String>,
    /// Set for the second step: the ticket of a password-checked login awaiting its code.
    pub mfa_ticket: Option<String>,
}

/// What a login POST leads to.
#[derive(Debug)]
pub enum Submitted {
    /// The page again, with an error or the MFA step.
    Again(Box<AuthRequest>, PageState),
    /// A decision of the authorization endpoint.
    Done(Outcome),
}

/// Checks the CSRF token, the pending request and the credentials (P98, P152).
pub fn submit(tenant: &Tenant, form: &Form, csrf_cookie: Option<&str>) -> Submitted {
    let csrf_ok = match (form.get("csrf"), csrf_cookie) {
        (Some(f), Some(c)) => bool::from(f.as_bytes().ct_eq(c.as_bytes())),
        _ => false,
    };
    if !csrf_ok {
        return Submitted::Done(Outcome::Shown(Shown::new(
            "invalid_request",
            "the login form's anti-CSRF token is missing or does not match its cookie",
        )));
    }
    let pending = match Form::parse(form.get("authz").unwrap_or("").as_bytes()) {
        Ok(p) => p,
        Err(e) => return Submitted::Done(Outcome::Shown(Shown::new("invalid_request", &e.to_string()))),
    };
    let req = match authorize::validate(tenant, &pending) {
        Ok(r) => r,
        Err(authorize::Rejected::Shown(s)) => return Submitted::Done(Outcome::Shown(s)),
        Err(authorize::Rejected::Reply(r)) => return reply(r),
    };
    if form.get("action") == Some("cancel") {
        return reply(Reply::error(req.target, "access_denied", "the user cancelled the login"));
    }
    match form.get("mfa_ticket") {
        Some(ticket) => second_step(tenant, req, ticket, form.get("otp")),
        None => first_step(tenant, req, form.get("username"), form.get("password")),
    }
}

fn reply(reply: Reply) -> Submitted {
    Submitted::Done(Outcome::Reply { reply, set_cookie: None })
}

fn again(req: AuthRequest, error: &str, username: Option<&str>, mfa_ticket: Option<String>) -> Submitted {
    Submitted::Again(
        Box::new(req),
        PageState {
            error: Some(error.to_owned()),
            username: username.map(str::to_owned),
            mfa_ticket,
        },
    )
}

/// Username and password; the password is checked before the status flags, as in the
/// password grant, so a flag's message is only shown to someone who knows the password.
fn first_step(tenant: &Tenant, req: AuthRequest, username: Option<&str>, password: Option<&str>) -> Submitted {
    let (Some(u), Some(p)) = (username, password) else {
        return again(req, BAD_CREDENTIALS, username, None);
    };
    // The same decision as the password grant (lockout, password, flags, fail_next, P150).
    let user = match check_login(tenant, u, p) {
        Ok(Ok(user)) => user,
        Ok(Err(LoginFailure::Status(status))) => match tenant.accounts.read().ok().and_then(|a| a.users.get(u).cloned()) {
            Some(user) => user,
            None => return again(req, status_description(status), username, None),
        },
        Ok(Err(failure)) => return again(req, failure.description(), username, None),
        Err(_) => return reply(Reply::error(req.target, "server_error", "accounts unavailable")),
    };
    match user.config.status {
        None => finish(tenant, req, &user),
        Some(UserStatus::ConsentDenied) => reply(Reply::error(
            req.target,
            "access_denied",
            status_description(UserStatus::ConsentDenied),
        )),
        Some(UserStatus::MfaRequired) => {
            let ticket = opaque_token();
            let Ok(mut store) = tenant.grants.lock() else {
                return reply(Reply::error(req.target, "server_error", "grant store unavailable"));
            };
            store.mfa_pending.insert(
                store_key(&ticket),
                Session {
                    username: user.username().to_owned(),
                    auth_time: tenant.clock.now(),
                },
            );
            drop(store);
            Submitted::Again(
                Box::new(req),
                PageState {
                    error: None,
                    username: Some(user.username().to_owned()),
                    mfa_ticket: Some(ticket),
                },
            )
        }
        Some(s) => again(req, status_description(s), username, None),
    }
}

/// The one-time code of an MFA user (P152).
fn second_step(tenant: &Tenant, req: AuthRequest, ticket: &str, otp: Option<&str>) -> Submitted {
    let now = tenant.clock.now();
    let key = store_key(ticket);
    let pending = match tenant.grants.lock() {
        Ok(mut store) => {
            store.mfa_pending.retain(|_, s| now - s.auth_time <= MFA_WINDOW_S);
            store.mfa_pending.get(&key).cloned()
        }
        Err(_) => return reply(Reply::error(req.target, "server_error", "grant store unavailable")),
    };
    let Some(pending) = pending else {
        return again(req, "The sign-in step expired; sign in again", None, None);
    };
    let user = tenant.accounts.read().ok().and_then(|a| a.users.get(&pending.username).cloned());
    let Some(user) = user else {
        return again(req, BAD_CREDENTIALS, None, None);
    };
    let expected = user.config.otp.as_deref().unwrap_or("");
    let ok = match otp {
        Some(o) if !expected.is_empty() => bool::from(o.as_bytes().ct_eq(expected.as_bytes())),
        _ => false,
    };
    if !ok {
        return again(
            req,
            "The one-time code is not correct",
            Some(user.username()),
            Some(ticket.to_owned()),
        );
    }
    if let Ok(mut store) = tenant.grants.lock() {
        store.mfa_pending.remove(&key);
    }
    finish(tenant, req, &user)
}

/// Opens the session and completes the authorization, without re-checking `prompt` or
/// `max_age`: this login is the fresh one they asked for.
fn finish(tenant: &Tenant, req: AuthRequest, user: &crate::accounts::User) -> Submitted {
    let (cookie, auth_time) = match open_session(tenant, user.username()) {
        Ok(x) => x,
        Err(_) => return reply(Reply::error(req.target, "server_error", "session store unavailable")),
    };
    tracing::debug!(user = user.username(), "browser login succeeded");
    match authorize::complete(tenant, &req, user, auth_time) {
        Ok(r) => Submitted::Done(Outcome::Reply {
            reply: r,
            set_cookie: Some(cookie),
        }),
        Err(r) => reply(r),
    }
}

/// Opens a login session for `username` on the tenant clock; returns the `Set-Cookie` value
/// and the `auth_time`.
pub fn open_session(tenant: &Tenant, username: &str) -> Result<(String, i64)> {
    let id = opaque_token();
    let auth_time = tenant.clock.now();
    tenant
        .grants
        .lock()
        .map_err(|_| Error::Internal("grant lock poisoned".into()))?
        .sessions
        .insert(
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
    tenant.grants.lock().ok()?.sessions.get(&store_key(cookie)).cloned()
}

/// A `Set-Cookie` value scoped to the tenant path, `HttpOnly`, `SameSite=Lax` (P98);
/// `max_age = Some(0)` expires it.
pub fn cookie_header(tenant: &Tenant, name: &str, value: &str, max_age: Option<i64>) -> String {
    let mut c = format!("{name}={value}; Path={}; HttpOnly; SameSite=Lax", tenant_path(tenant));
    if tenant.front_base.starts_with("https://") {
        c.push_str("; Secure");
    }
    if let Some(m) = max_age {
        c.push_str(&format!("; Max-Age={m}"));
    }
    c
}

/// The path the tenant's browser endpoints live under.
pub fn tenant_path(tenant: &Tenant) -> String {
    let p = crate::config::issuer_path(&tenant.front_base);
    if p.is_empty() {
        tenant.root_path.clone()
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

/// The login page (or its MFA step) for a pending request: `X-Frame-Options: DENY`, not
/// cached, and a fresh anti-CSRF cookie (P98).
pub fn page(tenant: &Tenant, req: &AuthRequest, state: &PageState) -> Response {
    let csrf = opaque_token();
    let mut authz = form_urlencoded::Serializer::new(String::new());
    for (k, v) in req.raw.iter() {
        authz.append_pair(k, v);
    }
    let authz = authz.finish();
    let mut body = format!(
        "<h1>Sign in</h1>\n<p>to <strong>{}</strong> for client <strong>{}</strong></p>\n",
        html_escape(tenant.issuer.as_str()),
        html_escape(req.target.client.id())
    );
    if let Some(e) = &state.error {
        body.push_str(&format!("<p class=\"error\" role=\"alert\">{}</p>\n", html_escape(e)));
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"{}\">\n<input type=\"hidden\" name=\"csrf\" value=\"{}\">\n<input type=\"hidden\" name=\"authz\" value=\"{}\">\n",
        html_escape(&tenant.endpoint_url(crate::journal::Endpoint::Login).unwrap_or_default()),
        html_escape(&csrf),
        html_escape(&authz)
    ));
    let username = state.username.as_deref().or(req.login_hint.as_deref()).unwrap_or("");
    match &state.mfa_ticket {
        Some(ticket) => body.push_str(&format!(
            "<input type=\"hidden\" name=\"mfa_ticket\" value=\"{}\">\n<p>Signing in as <strong>{}</strong>: enter your one-time code.</p>\n<label>One-time code <input name=\"otp\" autocomplete=\"one-time-code\" inputmode=\"numeric\" autofocus></label>\n",
            html_escape(ticket),
            html_escape(username)
        )),
        None => body.push_str(&format!(
            "<label>Username <input name=\"username\" value=\"{}\" autocomplete=\"username\" autofocus></label>\n<label>Password <input type=\"password\" name=\"password\" autocomplete=\"current-password\"></label>\n",
            html_escape(username)
        )),
    }
    body.push_str(
        "<button type=\"submit\" name=\"action\" value=\"login\">Sign in</button>\n<button type=\"submit\" name=\"action\" value=\"cancel\">Cancel</button>\n</form>",
    );
    let mut resp = html(StatusCode::OK, "Sign in", &body);
    let h = resp.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(c) = HeaderValue::from_str(&cookie_header(tenant, CSRF_COOKIE, &csrf, None)) {
        h.append(header::SET_COOKIE, c);
    }
    resp
}

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A complete HTML page; `body` must already be escaped.
pub fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let doc = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n</head>\n<body>\n{}\n</body>\n</html>\n",
        html_escape(title),
        body
    );
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], doc).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p93_html_escape_covers_markup_and_both_quotes() {
        assert_eq!(
            html_escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
