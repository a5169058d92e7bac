//! The token endpoint (RFC 6749 §3.2, §5): form parsing, client authentication, and the
//! dispatch on `grant_type` to `grants/`.
//!
//! `Form` is also the body extractor of every other form endpoint (authorize POST, userinfo,
//! introspection, revocation), so they all share P45-P46 and P157: content type checked, 64 KiB
//! cap, repeated parameters refused, empty ones treated as absent, 8 KiB per value.

use std::collections::BTreeMap;

use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::accounts::Client;
use crate::config::{AuthMethod, GrantType};
use crate::error::{Error, Result};
use crate::grants;
use crate::server::TenantRef;
use crate::tenant::Tenant;

/// Largest form body accepted (P45).
pub const MAX_FORM_BYTES: usize = 64 * 1024;
/// Largest single parameter value (P157).
pub const MAX_PARAM_BYTES: usize = 8 * 1024;

/// A parsed `application/x-www-form-urlencoded` body.
#[derive(Debug, Clone, Default)]
pub struct Form {
    params: BTreeMap<String, String>,
}

impl Form {
    /// Parses form-encoded bytes with the rules of P46 and P157.
    pub fn parse(bytes: &[u8]) -> Result<Form> {
        let mut params = BTreeMap::new();
        let mut seen = std::collections::HashSet::new();
        for (k, v) in form_urlencoded::parse(bytes) {
            if !seen.insert(k.to_string()) {
                return Err(Error::InvalidRequest(format!(
                    "parameter {} is repeated",
                    crate::error::sanitize_description(&k)
                )));
            }
            if v.len() > MAX_PARAM_BYTES {
                return Err(Error::InvalidRequest(format!(
                    "parameter {} is longer than 8 KiB",
                    crate::error::sanitize_description(&k)
                )));
            }
            if !v.is_empty() {
                params.insert(k.into_owned(), v.into_owned());
            }
        }
        Ok(Form { params })
    }

    /// A parameter, when present and non-empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// A required parameter, or `invalid_request` naming it.
    pub fn require(&self, name: &str) -> Result<&str> {
        self.get(name).ok_or_else(|| Error::InvalidRequest(format!("{name} is missing")))
    }

    /// Every parameter.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = Error;

    async fn from_request(req: Request, _state: &S) -> Result<Self> {
        let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let mime = ct.split(';').next().unwrap_or("").trim();
        if !mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            return Err(Error::InvalidRequest("the body must be application/x-www-form-urlencoded".into()));
        }
        let bytes = axum::body::to_bytes(req.into_body(), MAX_FORM_BYTES)
            .await
            .map_err(|_| Error::PayloadTooLarge)?;
        Form::parse(&bytes)
    }
}

/// A client that proved who it is, and how (P47-P50).
#[derive(Debug, Clone)]
pub struct ClientAuth {
    /// The client.
    pub client: Client,
    /// The method it used.
    pub method: AuthMethod,
}

/// Splits an HTTP Basic header into form-url-decoded id and secret (RFC 6749 §2.3.1, P47).
/// `Ok(None)` when the header is absent or uses another scheme.
pub fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| Error::InvalidRequest("the Authorization header is not ASCII".into()))?;
    let Some((scheme, rest)) = value.split_once(' ') else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let decoded = STANDARD
        .decode(rest.trim())
        .map_err(|_| Error::InvalidRequest("the Basic credentials are not valid base64".into()))?;
    let text = String::from_utf8(decoded).map_err(|_| Error::InvalidRequest("the Basic credentials are not UTF-8".into()))?;
    let (id, secret) = text
        .split_once(':')
        .ok_or_else(|| Error::InvalidRequest("the Basic credentials have no ':'".into()))?;
    let decode = |s: &str| -> String {
        form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((decode(id), decode(secret))))
}

/// The one `error_description` of every client authentication failure: an unknown client, a wrong
/// secret, a method the client is not registered for, a confidential client without its secret.
/// One text (and one status, one `error`), so answers do not reveal which client ids exist.
pub const CLIENT_AUTH_FAILED: &str = "client authentication failed";

/// Authenticates the client of a token, introspection or revocation request (P47-P50, P39).
///
/// Every failure after the request's shape is checked is [`CLIENT_AUTH_FAILED`], and a secret is
/// digested once whether or not the client exists (`Accounts::client_secret_matches`), so
/// neither the answer nor the work tells a probe which ids are registered. The precise reason
/// goes to the debug log, for the person running the provider.
pub fn authenticate_client(tenant: &Tenant, headers: &HeaderMap, form: &Form) -> Result<ClientAuth> {
    let realm = tenant.issuer.0.clone();
    let basic = basic_credentials(headers)?;
    let (client_id, secret, method) = match basic {
        Some((id, secret)) => {
            if form.get("client_secret").is_some() {
                return Err(Error::InvalidRequest("use one client authentication method, not two".into()));
            }
            if form.get("client_id").is_some_and(|body_id| body_id != id) {
                return Err(Error::InvalidRequest(
                    "client_id in the body differs from the Basic credentials".into(),
                ));
            }
            (id, Some(secret), AuthMethod::ClientSecretBasic)
        }
        None => match (form.get("client_id"), form.get("client_secret")) {
            (Some(id), Some(secret)) => (id.to_owned(), Some(secret.to_owned()), AuthMethod::ClientSecretPost),
            (Some(id), None) => (id.to_owned(), None, AuthMethod::None),
            (None, Some(_)) => return Err(Error::InvalidRequest("client_secret without client_id".into())),
            (None, None) => {
                return Err(Error::InvalidClient {
                    why: "client authentication is required".into(),
                    realm,
                    basic: false,
                })
            }
        },
    };
    let failed = |reason: &str| {
        // A fingerprint, as in the journal: a client id field may well hold a pasted secret.
        let client = crate::accounts::fingerprint(&client_id);
        tracing::debug!(tenant = %tenant.name, %client, reason, "client authentication failed");
        Error::InvalidClient {
            why: CLIENT_AUTH_FAILED.into(),
            realm: realm.clone(),
            basic: method == AuthMethod::ClientSecretBasic,
        }
    };
    let permissive = tenant.config.permissive;
    let (known, secret_ok) = {
        let accounts = tenant
            .accounts
            .read()
            .map_err(|_| Error::Internal("accounts lock poisoned".into()))?;
        let secret_ok = match &secret {
            Some(s) if !permissive => accounts.client_secret_matches(&client_id, s),
            _ => true,
        };
        (accounts.clients.get(&client_id).cloned(), secret_ok)
    };
    let client = match known {
        Some(c) => c,
        None if permissive => Client::permissive(&client_id),
        None => return Err(failed("unknown client")),
    };
    if permissive {
        return Ok(ClientAuth { client, method });
    }
    if !client.allows_method(method) {
        return Err(failed(if method == AuthMethod::None {
            "this client must authenticate"
        } else {
            "this client is not registered for this authentication method"
        }));
    }
    if !secret_ok {
        return Err(failed("wrong secret"));
    }
    Ok(ClientAuth { client, method })
}

/// `POST {issuer}/token`.
pub async fn handle(TenantRef(tenant): TenantRef, headers: HeaderMap, form: Form) -> Result<Response> {
    let resp = exchange(&tenant, &headers, &form)?;
    let mut r = axum::Json(resp).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(r)
}

/// The token endpoint's logic, without HTTP.
pub fn exchange(tenant: &Tenant, headers: &HeaderMap, form: &Form) -> Result<grants::TokenResponse> {
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
    if !auth.client.allows_grant(grant) && !tenant.config.permissive {
        return Err(Error::UnauthorizedClient(format!("this client may not use {}", grant.as_str())));
    }
    match grant {
        GrantType::Password => grants::password::grant(tenant, &auth, form),
        GrantType::ClientCredentials => grants::client_credentials::grant(tenant, &auth, form),
        GrantType::AuthorizationCode => grants::authorization_code::grant(tenant, &auth, form),
        GrantType::RefreshToken => grants::refresh_token::grant(tenant, &auth, form),
        GrantType::Implicit => Err(Error::UnsupportedGrantType("implicit is not a token endpoint grant".into())),
    }
}
