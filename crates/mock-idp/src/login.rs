//! The login form's POST and the MFA step (P98, P152). The page itself is drawn by
//! `authorize.rs` (it is one of the authorization endpoint's answers), the login session and its
//! cookies live in `session.rs`, the HTML helpers in `html.rs`.
//!
//! The page needs no JavaScript. The pending authorization request travels in a hidden field
//! and is validated again on POST, because hidden fields are as untrusted as the query was.
//! The anti-CSRF token is a double-submit cookie: the page sets a random cookie (tenant path,
//! `SameSite=Lax`) and repeats it in a hidden field, and the POST must carry both, equal.

use axum::http::HeaderMap;
use axum::response::Response;
use subtle::ConstantTimeEq;

use crate::authorize::{self, AuthRequest, Outcome, Reply, Shown};
use crate::authorize::{page, PageState};
use crate::config::UserStatus;
use crate::extract::TenantRef;
use crate::form::Form;
use crate::grant_types::password::{check_login, status_description, LoginFailure, BAD_CREDENTIALS};
use crate::grants::{opaque_token, store_key, Session};
use crate::secret::Secret;
use crate::session::{cookie_value, open_session, CSRF_COOKIE};
use crate::tenant::Tenant;

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
        Ok(Err(LoginFailure::Status(status))) => match tenant.accounts().users.get(u).cloned() {
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
            let mut store = tenant.grants();
            store.mfa_pending.insert(
                store_key(&ticket),
                Session {
                    username: user.username().to_owned(),
                    auth_time: tenant.clock().now(),
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
    let now = tenant.clock().now();
    let key = store_key(ticket);
    let pending = {
        let mut store = tenant.grants();
        store.mfa_pending.retain(|_, s| now - s.auth_time <= MFA_WINDOW_S);
        store.mfa_pending.get(&key).cloned()
    };
    let Some(pending) = pending else {
        return again(req, "The sign-in step expired; sign in again", None, None);
    };
    let user = tenant.accounts().users.get(&pending.username).cloned();
    let Some(user) = user else {
        return again(req, BAD_CREDENTIALS, None, None);
    };
    let expected = user.config.otp.as_ref().map(Secret::expose).unwrap_or("");
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
    tenant.grants().mfa_pending.remove(&key);
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
