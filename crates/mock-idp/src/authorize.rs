//! The authorization endpoint (OIDC Core §3.1.2, §3.2.2, §3.3.2; P84-P100): checks the client
//! and `redirect_uri` first, then every other parameter, and answers with a login page, a
//! redirect, a form_post page or (only when no redirect is safe) a shown error page.
//!
//! Why two kinds of error: until the client and its `redirect_uri` are known to be genuine, a
//! redirect would make the provider an open redirector (RFC 6749 §10.15), so those errors are
//! shown (P85). Every later error travels back to the client in the response mode in effect
//! (P86). The login page is drawn here ([`page`]) and its POST handled in `login.rs`; both end
//! in [`complete`], which mints the code and the front-channel ID token.

use std::sync::Arc;

use axum::extract::RawQuery;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde_json::{json, Map, Value};

use crate::accounts::{Client, User};
use crate::claims::{self, has_scope, IdTokenExtras, Times};
use crate::config::{Alg, GrantType, UserStatus};
use crate::error::{sanitize_description, Error, Result};
use crate::extract::TenantRef;
use crate::form::Form;
use crate::grant_types::authorization_code::pkce_syntax_ok;
use crate::grant_types::grant_scope;
use crate::grant_types::password::status_description;
use crate::grants::{half_hash, opaque_token, store_key, CodeRecord, Session};
use crate::html::{html, html_escape};
use crate::session::{cookie_header, lookup_session, open_session, session_cookie, CSRF_COOKIE};
use crate::tenant::Tenant;

/// `GET {issuer}/authorize` (P84).
pub async fn handle_get(TenantRef(tenant): TenantRef, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    match Form::parse(query.unwrap_or_default().as_bytes()) {
        Ok(form) => respond(&tenant, &headers, authorize(&tenant, &form, session_cookie(&headers).as_deref())),
        Err(e) => shown(&headers, &Shown::new("invalid_request", &e.to_string())),
    }
}

/// `POST {issuer}/authorize` with a form body (P84).
pub async fn handle_post(TenantRef(tenant): TenantRef, headers: HeaderMap, form: Form) -> Response {
    respond(&tenant, &headers, authorize(&tenant, &form, session_cookie(&headers).as_deref()))
}

/// How the response parameters travel back to the client (P91).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseMode {
    /// In the query of the redirect URI.
    Query,
    /// After `#` in the redirect URI.
    Fragment,
    /// In an auto-submitting HTML form (Form Post Response Mode).
    FormPost,
}

impl ResponseMode {
    fn parse(s: &str) -> Option<ResponseMode> {
        match s {
            "query" => Some(ResponseMode::Query),
            "fragment" => Some(ResponseMode::Fragment),
            "form_post" => Some(ResponseMode::FormPost),
            _ => None,
        }
    }
}

/// A parsed `response_type` (P87): the words in any order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseType {
    /// Contains `code`.
    pub code: bool,
    /// Contains `id_token`.
    pub id_token: bool,
}

impl ResponseType {
    /// `code`, `id_token` or `code id_token` in any order; anything else is `None`.
    pub fn parse(s: &str) -> Option<ResponseType> {
        let mut words: Vec<&str> = s.split(' ').filter(|w| !w.is_empty()).collect();
        words.sort_unstable();
        match words.as_slice() {
            ["code"] => Some(ResponseType {
                code: true,
                id_token: false,
            }),
            ["id_token"] => Some(ResponseType {
                code: false,
                id_token: true,
            }),
            ["code", "id_token"] => Some(ResponseType {
                code: true,
                id_token: true,
            }),
            _ => None,
        }
    }

    /// Fragment for anything with an ID token, query for plain `code` (P91).
    fn default_mode(self) -> ResponseMode {
        if self.id_token {
            ResponseMode::Fragment
        } else {
            ResponseMode::Query
        }
    }
}

/// An error shown to the user instead of redirected (P85).
#[derive(Debug, Clone)]
pub struct Shown {
    /// The OAuth error code the page names.
    pub error: &'static str,
    /// What is wrong.
    pub description: String,
}

impl Shown {
    /// A shown error.
    pub fn new(error: &'static str, description: &str) -> Shown {
        Shown {
            error,
            description: sanitize_description(description),
        }
    }
}

/// Where a response goes once the client and `redirect_uri` are valid.
#[derive(Debug, Clone)]
pub struct Target {
    /// The client.
    pub client: Arc<Client>,
    /// The validated redirect URI, exactly as sent.
    pub redirect_uri: String,
    /// The response mode in effect.
    pub mode: ResponseMode,
    /// `state`, echoed unchanged (P90).
    pub state: Option<String>,
}

/// What a client receives: parameters in a response mode.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Where and how.
    pub target: Target,
    /// Parameters in order, without `state` and `iss` (added when rendered).
    pub params: Vec<(String, String)>,
}

impl Reply {
    /// An error reply (P86): `error`, `error_description`, then `state` and `iss`.
    pub fn error(target: Target, error: &str, description: &str) -> Reply {
        Reply {
            target,
            params: vec![
                ("error".into(), error.into()),
                ("error_description".into(), sanitize_description(description)),
            ],
        }
    }
}

/// A validated authorization request (P87-P100).
#[derive(Debug, Clone)]
pub struct AuthRequest {
    /// Client, redirect URI, mode and state.
    pub target: Target,
    /// The response type.
    pub response_type: ResponseType,
    /// The granted scope.
    pub scope: String,
    /// The nonce, unchanged (P89).
    pub nonce: Option<String>,
    /// PKCE challenge and method (P69).
    pub pkce: Option<(String, String)>,
    /// `prompt=none`.
    pub prompt_none: bool,
    /// `prompt=login` (or `max_age=0`): a new login is required.
    pub prompt_login: bool,
    /// `max_age` in seconds.
    pub max_age: Option<i64>,
    /// `login_hint` (P100).
    pub login_hint: Option<String>,
    /// `sub` of a valid `id_token_hint`: a session of someone else does not count.
    pub hint_sub: Option<String>,
    /// The raw parameters, carried through the login page.
    pub raw: Form,
}

/// The endpoint's decision.
#[derive(Debug)]
pub enum Outcome {
    /// Shown error page, no redirect (P85).
    Shown(Shown),
    /// A response to the client, maybe setting a session cookie (headless login).
    Reply {
        /// The reply.
        reply: Reply,
        /// `Set-Cookie` value, when a session was opened.
        set_cookie: Option<String>,
    },
    /// The login page for this request (P98).
    Login(Box<AuthRequest>),
}

/// Validates `form` and decides, given the session cookie's value.
pub fn authorize(tenant: &Tenant, form: &Form, cookie: Option<&str>) -> Outcome {
    let req = match validate(tenant, form) {
        Ok(r) => r,
        Err(Rejected::Shown(s)) => return Outcome::Shown(s),
        Err(Rejected::Reply(reply)) => return reply_only(reply),
    };
    let now = tenant.clock().now();
    // The grant store is locked and released before the accounts: never one inside the other.
    let session = cookie.and_then(|c| lookup_session(tenant, c));
    let accounts = tenant.accounts();
    let fresh = |s: &Session| !req.prompt_login && req.max_age.is_none_or(|m| now - s.auth_time <= m);
    let session_user = session
        .filter(fresh)
        .and_then(|s| accounts.users.get(&s.username).map(|u| (u.clone(), s.auth_time)))
        .filter(|(u, _)| req.hint_sub.as_deref().is_none_or(|h| h == u.sub));
    let hinted = req
        .login_hint
        .as_deref()
        .and_then(|h| accounts.users.get(h))
        .or_else(|| tenant.config().auto_login.as_deref().and_then(|a| accounts.users.get(a)))
        .cloned();
    drop(accounts);
    if req.prompt_none {
        // P99, P152: never a page; say why no response can be given without one.
        return match session_user {
            Some((user, auth_time)) => match user.config.status {
                Some(UserStatus::MfaRequired) => reply_only(Reply::error(
                    req.target,
                    "interaction_required",
                    status_description(UserStatus::MfaRequired),
                )),
                Some(s @ (UserStatus::Locked | UserStatus::Disabled)) => {
                    reply_only(Reply::error(req.target, "login_required", status_description(s)))
                }
                Some(UserStatus::ConsentDenied) => reply_only(Reply::error(req.target, "consent_required", "the user has not consented")),
                _ => done(complete(tenant, &req, &user, auth_time), None),
            },
            None => match hinted.and_then(|u| u.config.status) {
                Some(UserStatus::MfaRequired) => reply_only(Reply::error(
                    req.target,
                    "interaction_required",
                    status_description(UserStatus::MfaRequired),
                )),
                _ => reply_only(Reply::error(req.target, "login_required", "no login session and prompt=none")),
            },
        };
    }
    if let Some((user, auth_time)) = session_user {
        match user.config.status {
            Some(UserStatus::ConsentDenied) => {
                return reply_only(Reply::error(
                    req.target,
                    "access_denied",
                    status_description(UserStatus::ConsentDenied),
                ))
            }
            Some(UserStatus::Locked | UserStatus::Disabled) => {}
            _ => return done(complete(tenant, &req, &user, auth_time), None),
        }
    }
    if tenant.config().auto_login.is_some() {
        // Headless mode (P98): the login_hint user, else the configured one, without a page.
        let Some(user) = hinted else {
            return reply_only(Reply::error(req.target, "login_required", "the auto-login user does not exist"));
        };
        if let Some(status) = user.config.status {
            return reply_only(Reply::error(req.target, headless_failure(status), status_description(status)));
        }
        return match open_session(tenant, user.username()) {
            Ok((cookie, auth_time)) => done(complete(tenant, &req, &user, auth_time), Some(cookie)),
            Err(_) => reply_only(Reply::error(req.target, "server_error", "session store unavailable")),
        };
    }
    Outcome::Login(Box::new(req))
}

/// The error a login-failure flag gives when no page can be shown (P152).
fn headless_failure(status: UserStatus) -> &'static str {
    match status {
        UserStatus::ConsentDenied => "access_denied",
        UserStatus::MfaRequired => "interaction_required",
        _ => "login_required",
    }
}

fn reply_only(reply: Reply) -> Outcome {
    Outcome::Reply { reply, set_cookie: None }
}

fn done(r: Result<Reply, Reply>, set_cookie: Option<String>) -> Outcome {
    match r {
        Ok(reply) => Outcome::Reply { reply, set_cookie },
        Err(reply) => reply_only(reply),
    }
}

/// Why a request is refused: shown (P85) or redirected (P86).
#[derive(Debug)]
pub enum Rejected {
    /// Shown, never redirected.
    Shown(Shown),
    /// Sent back to the client.
    Reply(Reply),
}

/// Checks client and `redirect_uri`, then the other parameters, in the order of P85-P100.
pub fn validate(tenant: &Tenant, form: &Form) -> Result<AuthRequest, Rejected> {
    let shown = |e: &'static str, d: &str| Rejected::Shown(Shown::new(e, d));
    let client_id = form
        .get("client_id")
        .ok_or_else(|| shown("invalid_request", "client_id is missing"))?;
    let client = {
        let accounts = tenant.accounts();
        match accounts.clients.get(client_id) {
            Some(c) => Arc::new(c.clone()),
            None if tenant.config().permissive => Arc::new(Client::permissive(client_id)),
            None => return Err(shown("invalid_request", "unknown client_id")),
        }
    };
    let redirect_uri = form
        .get("redirect_uri")
        .ok_or_else(|| shown("invalid_request", "redirect_uri is missing"))?;
    if redirect_uri.contains('#') {
        return Err(shown("invalid_request", "redirect_uri must not contain a fragment"));
    }
    let permissive_ok = tenant.config().permissive && client.config.redirect_uris.is_empty() && absolute_http(redirect_uri);
    if !permissive_ok && !client.config.redirect_uris.iter().any(|r| redirect_matches(r, redirect_uri)) {
        return Err(shown(
            "invalid_request",
            "redirect_uri is not registered for this client (exact match required)",
        ));
    }
    // From here on errors are redirected (P86), in the mode in effect (P91).
    let response_type = form.get("response_type").map(ResponseType::parse);
    let default_mode = response_type
        .flatten()
        .map(ResponseType::default_mode)
        .unwrap_or(ResponseMode::Query);
    let asked_mode = form.get("response_mode").map(|m| ResponseMode::parse(m).ok_or(()));
    let mut target = Target {
        client: client.clone(),
        redirect_uri: redirect_uri.to_owned(),
        mode: match asked_mode {
            Some(Ok(m)) => m,
            _ => default_mode,
        },
        state: form.get("state").map(str::to_owned),
    };
    let fail = |target: &Target, e: &str, d: &str| Rejected::Reply(Reply::error(target.clone(), e, d));
    if matches!(asked_mode, Some(Err(()))) {
        return Err(fail(
            &target,
            "invalid_request",
            "response_mode is not one of query, fragment, form_post",
        ));
    }
    if form.get("request").is_some() {
        return Err(fail(&target, "request_not_supported", "request objects are not supported"));
    }
    if form.get("request_uri").is_some() {
        return Err(fail(&target, "request_uri_not_supported", "request_uri is not supported"));
    }
    let response_type = match response_type {
        None => return Err(fail(&target, "invalid_request", "response_type is missing")),
        Some(None) => return Err(fail(&target, "unsupported_response_type", "response_type is not supported")),
        Some(Some(rt)) => rt,
    };
    let needs = [
        (response_type.code, GrantType::AuthorizationCode),
        (response_type.id_token, GrantType::Implicit),
    ];
    if needs.iter().any(|(n, g)| *n && !tenant.grant_enabled(*g)) {
        return Err(fail(&target, "unsupported_response_type", "this response_type is disabled"));
    }
    if !tenant.config().permissive && needs.iter().any(|(n, g)| *n && !client.allows_grant(*g)) {
        return Err(fail(&target, "unauthorized_client", "this client may not use this response_type"));
    }
    if response_type.id_token && target.mode == ResponseMode::Query {
        // P91: the error itself must not travel in the query.
        target.mode = ResponseMode::Fragment;
        return Err(fail(
            &target,
            "invalid_request",
            "response_mode=query is not allowed with a response_type that contains id_token",
        ));
    }
    if client.config.require_state && target.state.is_none() {
        return Err(fail(&target, "invalid_request", "state is required for this client"));
    }
    let scope = grant_scope(tenant, &client, form.get("scope")).map_err(|e| match e {
        Error::InvalidScope(d) => fail(&target, "invalid_scope", &d),
        other => fail(&target, "invalid_request", &other.to_string()),
    })?;
    if response_type.id_token && !has_scope(&scope, "openid") {
        return Err(fail(
            &target,
            "invalid_request",
            "a response_type with id_token requires the openid scope",
        ));
    }
    let nonce = form.get("nonce").map(str::to_owned);
    if response_type.id_token && nonce.is_none() {
        return Err(fail(&target, "invalid_request", "nonce is required for this response_type"));
    }
    let pkce = if response_type.code {
        pkce_at_authorize(tenant, &client, form).map_err(|d| fail(&target, "invalid_request", d))?
    } else {
        None
    };
    let prompts: Vec<&str> = form
        .get("prompt")
        .map(|p| p.split(' ').filter(|w| !w.is_empty()).collect())
        .unwrap_or_default();
    let prompt_none = prompts.contains(&"none");
    if prompt_none && prompts.len() > 1 {
        return Err(fail(&target, "invalid_request", "prompt=none cannot be combined with other values"));
    }
    let max_age = match form.get("max_age") {
        None => None,
        Some(m) => Some(
            m.parse::<u32>()
                .map(i64::from)
                .map_err(|_| fail(&target, "invalid_request", "max_age must be a non-negative integer"))?,
        ),
    };
    let hint_sub = match form.get("id_token_hint") {
        None => None,
        // P100: one of this tenant's own ID tokens; it may be expired.
        Some(hint) => match verify_own_id_token(tenant, hint).and_then(|c| c.get("sub")?.as_str().map(str::to_owned)) {
            Some(sub) => Some(sub),
            None => return Err(fail(&target, "invalid_request", "id_token_hint is not an ID token of this issuer")),
        },
    };
    Ok(AuthRequest {
        target,
        response_type,
        scope,
        nonce,
        pkce,
        prompt_none,
        prompt_login: prompts.contains(&"login") || max_age == Some(0),
        max_age,
        login_hint: form.get("login_hint").map(str::to_owned),
        hint_sub,
        raw: form.clone(),
    })
}

/// PKCE parameters at the authorization endpoint (P69-P71).
fn pkce_at_authorize(tenant: &Tenant, client: &Client, form: &Form) -> Result<Option<(String, String)>, &'static str> {
    let Some(challenge) = form.get("code_challenge") else {
        if form.get("code_challenge_method").is_some() {
            return Err("code_challenge_method without code_challenge");
        }
        if client.requires_pkce() && !tenant.config().permissive {
            return Err("this client must use PKCE (code_challenge is missing)");
        }
        return Ok(None);
    };
    let method = form.get("code_challenge_method").unwrap_or("plain"); // RFC 7636 §4.3
    match method {
        "S256" => {}
        "plain" if tenant.config().pkce_plain => {}
        "plain" => return Err("code_challenge_method plain is disabled; use S256"),
        _ => return Err("code_challenge_method must be S256 or plain"),
    }
    if !pkce_syntax_ok(challenge) {
        return Err("code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~]");
    }
    Ok(Some((challenge.to_owned(), method.to_owned())))
}

fn absolute_http(uri: &str) -> bool {
    (uri.starts_with("http://") || uri.starts_with("https://")) && !uri.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Exact string match, except that a loopback redirect (`127.0.0.1`, `[::1]`, `localhost`)
/// may use any port (RFC 8252 §7.3). Nothing else is normalised (P85).
pub fn redirect_matches(registered: &str, sent: &str) -> bool {
    if registered == sent {
        return true;
    }
    match (loopback_parts(registered), loopback_parts(sent)) {
        (Some((s1, h1, r1)), Some((s2, h2, r2))) => s1 == s2 && h1 == h2 && r1 == r2,
        _ => false,
    }
}

/// `(scheme, host, rest)` of an `http` loopback URL, with the port dropped.
fn loopback_parts(uri: &str) -> Option<(&str, &str, &str)> {
    let rest = uri.strip_prefix("http://")?;
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    let host = if authority.starts_with('[') {
        let end = authority.find(']')?;
        let (h, port) = authority.split_at(end + 1);
        check_port(port)?;
        h
    } else {
        let (h, port) = match authority.split_once(':') {
            Some((h, p)) => (h, p),
            None => (authority, ""),
        };
        if !port.is_empty() {
            check_port(&format!(":{port}"))?;
        }
        h
    };
    matches!(host, "127.0.0.1" | "[::1]" | "localhost").then_some(("http", host, path))
}

fn check_port(p: &str) -> Option<()> {
    if p.is_empty() {
        return Some(());
    }
    let digits = p.strip_prefix(':')?;
    (!digits.is_empty() && digits.len() <= 5 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(())
}

/// Verifies that `token` is a JWS signed by one of this tenant's keys with its issuer; expiry
/// is not checked (P100 `id_token_hint`, P117). Returns its claims.
pub fn verify_own_id_token(tenant: &Tenant, token: &str) -> Option<Map<String, Value>> {
    let mut parts = token.split('.');
    let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: Value = serde_json::from_slice(&B64.decode(h).ok()?).ok()?;
    let alg = Alg::parse(header.get("alg")?.as_str()?)?;
    let kid = header.get("kid")?.as_str()?;
    let keys = tenant.keys();
    let key = keys.by_kid(kid)?;
    if !key.supports(alg) {
        return None;
    }
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(key.public_jwk().clone()).ok()?;
    let dk = jsonwebtoken::DecodingKey::from_jwk(&jwk).ok()?;
    let msg = format!("{h}.{p}");
    if !jsonwebtoken::crypto::verify(s, msg.as_bytes(), &dk, crate::keys::to_jwt_alg(alg)).ok()? {
        return None;
    }
    let claims: Map<String, Value> = serde_json::from_slice(&B64.decode(p).ok()?).ok()?;
    (claims.get("iss")?.as_str()? == tenant.issuer().as_str()).then_some(claims)
}

/// Issues what the response type asks for, for `user` who logged in at `auth_time`: a code
/// (P65) and/or a front-channel ID token (P94, P96). `Err` is an error reply.
pub fn complete(tenant: &Tenant, req: &AuthRequest, user: &User, auth_time: i64) -> Result<Reply, Reply> {
    let server_error = |d: &str| Reply::error(req.target.clone(), "server_error", d);
    let now = tenant.clock().now();
    let client = &req.target.client;
    let mut params: Vec<(String, String)> = Vec::new();
    let code = req.response_type.code.then(opaque_token);
    if let Some(code) = &code {
        let life = tenant.config().lifetimes.code_s.min(600) as i64; // P65: never beyond 600 s
        let mut store = tenant.grants();
        // Redeemed codes stay while their family does, so a late reuse still revokes it (P66).
        store.sweep_codes(now);
        store.codes.insert(
            store_key(code),
            CodeRecord {
                client_id: client.id().to_owned(),
                redirect_uri: Some(req.target.redirect_uri.clone()),
                scope: req.scope.clone(),
                nonce: req.nonce.clone(),
                pkce: req.pkce.clone(),
                username: user.username().to_owned(),
                auth_time,
                expires_at: now + life,
                redeemed_family: None,
            },
        );
        drop(store);
        tracing::debug!(client = client.id(), code = %crate::accounts::fingerprint(code), "authorization code issued");
        params.push(("code".into(), code.clone()));
    }
    if req.response_type.id_token {
        let keys = tenant.keys();
        let key = match client.config.alg {
            Some(alg) => keys.for_alg(alg).ok_or_else(|| server_error("no key for the client's algorithm"))?,
            None => keys.active(),
        };
        let (id_life, _, _) = crate::grant_types::lifetimes(tenant, client, Some(user));
        let extras = IdTokenExtras {
            nonce: req.nonce.clone(),
            at_hash: None, // P94: no access token in the front channel
            c_hash: code.as_deref().map(|c| half_hash(key.alg(), c)),
            // P96: without an access token, the ID token carries the scope claims.
            scope_claims: !req.response_type.code,
        };
        let c = claims::id_token(
            tenant,
            client,
            Some(user),
            &req.scope,
            Times {
                iat: now,
                exp: now + id_life,
                auth_time: Some(auth_time),
            },
            &extras,
        );
        params.push(("id_token".into(), key.sign(&c, "JWT")));
    }
    Ok(Reply {
        target: req.target.clone(),
        params,
    })
}

/// Turns an outcome into HTTP.
pub fn respond(tenant: &Tenant, headers: &HeaderMap, outcome: Outcome) -> Response {
    match outcome {
        Outcome::Shown(s) => shown(headers, &s),
        Outcome::Reply { reply, set_cookie } => {
            let mut resp = render(tenant, &reply);
            if let Some(c) = set_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
                resp.headers_mut().append(header::SET_COOKIE, c);
            }
            resp
        }
        Outcome::Login(req) => page(tenant, &req, &PageState::default()),
    }
}

/// The error page of P85: 400, no `Location`; JSON when the client asks for it.
pub fn shown(headers: &HeaderMap, s: &Shown) -> Response {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"));
    let mut resp = if wants_json {
        (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": s.error, "error_description": s.description})),
        )
            .into_response()
    } else {
        let body = format!(
            "<h1>Authorization error</h1>\n<p><strong>{}</strong></p>\n<p>{}</p>",
            html_escape(s.error),
            html_escape(&s.description)
        );
        html(StatusCode::BAD_REQUEST, "Authorization error", &body)
    };
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The full parameter list of a reply: its own, then `state` and `iss` (P90, P95).
pub fn reply_params(tenant: &Tenant, reply: &Reply) -> Vec<(String, String)> {
    let mut p = reply.params.clone();
    if let Some(s) = &reply.target.state {
        p.push(("state".into(), s.clone()));
    }
    if tenant.config().authorization_response_iss {
        p.push(("iss".into(), tenant.issuer().0.clone()));
    }
    p
}

/// Renders a reply in its response mode (P92, P93).
pub fn render(tenant: &Tenant, reply: &Reply) -> Response {
    let params = reply_params(tenant, reply);
    let uri = &reply.target.redirect_uri;
    let encoded = || {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &params {
            s.append_pair(k, v);
        }
        s.finish()
    };
    let location = match reply.target.mode {
        ResponseMode::Query => {
            let sep = if uri.contains('?') { '&' } else { '?' };
            format!("{uri}{sep}{}", encoded())
        }
        ResponseMode::Fragment => format!("{uri}#{}", encoded()),
        ResponseMode::FormPost => return form_post_page(uri, &params),
    };
    redirect(&location)
}

/// A 302 to `location`, not cached.
pub fn redirect(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(loc) => {
            let mut resp = StatusCode::FOUND.into_response();
            resp.headers_mut().insert(header::LOCATION, loc);
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
        Err(_) => Error::Internal("redirect location is not a valid header".into()).into_response(),
    }
}

/// Form Post Response Mode (P93): one hidden input per parameter, every value escaped, a
/// script that submits, and a visible button for when scripts are off.
fn form_post_page(uri: &str, params: &[(String, String)]) -> Response {
    let mut body = format!("<form method=\"post\" action=\"{}\" id=\"response\">\n", html_escape(uri));
    for (k, v) in params {
        body.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
            html_escape(k),
            html_escape(v)
        ));
    }
    body.push_str("<noscript><p>Scripts are off: press the button to continue.</p></noscript>\n");
    body.push_str("<button type=\"submit\">Continue</button>\n</form>\n");
    body.push_str("<script>document.getElementById(\"response\").submit();</script>");
    let mut resp = html(StatusCode::OK, "Submitting the authorization response", &body);
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
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
        html_escape(tenant.issuer().as_str()),
        html_escape(req.target.client.id())
    );
    if let Some(e) = &state.error {
        body.push_str(&format!("<p class=\"error\" role=\"alert\">{}</p>\n", html_escape(e)));
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"{}\">\n<input type=\"hidden\" name=\"csrf\" value=\"{}\">\n<input type=\"hidden\" name=\"authz\" value=\"{}\">\n",
        html_escape(&tenant.endpoint_url(crate::endpoint::Endpoint::Login).unwrap_or_default()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p85_loopback_ports_may_differ_but_nothing_else_is_normalised() {
        assert!(redirect_matches("http://127.0.0.1/callback", "http://127.0.0.1:51234/callback"));
        assert!(redirect_matches("http://[::1]/callback", "http://[::1]:8080/callback"));
        assert!(redirect_matches("http://localhost:3000/cb", "http://localhost:4000/cb"));
        assert!(!redirect_matches("http://127.0.0.1/callback", "http://127.0.0.1:1/callback/"));
        assert!(!redirect_matches("http://127.0.0.1/callback", "http://127.0.0.2/callback"));
        assert!(!redirect_matches("http://127.0.0.1/callback", "https://127.0.0.1/callback"));
        assert!(!redirect_matches("https://app.example/cb", "https://app.example:443/cb"));
        assert!(!redirect_matches("https://app.example/cb", "https://APP.example/cb"));
        assert!(!redirect_matches("http://127.0.0.1/callback", "http://127.0.0.1:x/callback"));
        assert!(!redirect_matches("http://localhost/cb", "http://localhost.evil.example/cb"));
    }

    #[test]
    fn p87_response_type_words_in_any_order() {
        assert_eq!(ResponseType::parse("id_token code"), ResponseType::parse("code id_token"));
        assert!(ResponseType::parse("token").is_none());
        assert!(ResponseType::parse("code code").is_none());
    }

    #[test]
    fn p70_challenge_syntax() {
        assert!(pkce_syntax_ok(&"a".repeat(43)));
        assert!(pkce_syntax_ok(&"-._~".repeat(32)));
        assert!(!pkce_syntax_ok(&"a".repeat(42)));
        assert!(!pkce_syntax_ok(&"a".repeat(129)));
        assert!(!pkce_syntax_ok(&format!("{}+", "a".repeat(42))));
    }
}
