//! Authentication: bearer extraction (spec 2.2), the anonymous gate (2.1 step 3) and the choice
//! between the API-key check and the OIDC check by the malformed-JWT rule (2.3). The checks
//! themselves live in `api_key.rs` and `oidc.rs`; what anonymity allows, in `anonymous.rs`.

pub mod anonymous;
pub mod api_key;
mod jwt_shape;
pub mod oidc;

use axum::http::{header, HeaderMap, Method};

use crate::config::Config;
use crate::db_users::DbUsers;
use crate::error::Error;
use crate::principal::{Principal, UserKind};

pub use api_key::StaticKeys;
pub use jwt_shape::is_malformed_jwt;
pub use oidc::{OidcFailure, OidcFailureKind, OidcIdentity, OidcSettings, OidcVerifier};

/// Spec 2.3, last row: a token arrived but no method is configured.
pub const NO_SCHEME_CONFIGURED: &str = "no authentication scheme is configured (API Key or OIDC), but an 'Authorization' header was provided. Please configure an auth scheme or remove the header for anonymous access";

/// Spec 7.1: OIDC chosen while off (cannot happen through the environment; kept for completeness).
pub const OIDC_NOT_CONFIGURED: &str = "oidc auth is not configured, please try another auth scheme or set up weaviate with OIDC configured";

/// The token of a request (spec 2.2); the first rule giving a non-empty token wins:
/// the `Authorization: Bearer <t>` header, the `access_token` query parameter, then the
/// `access_token` field of a urlencoded form body (read for POST, PUT and PATCH only, as Go does).
pub fn extract_bearer(method: &Method, headers: &HeaderMap, query: Option<&str>, body: &[u8]) -> Option<String> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        // Go's server has already removed surrounding blanks from header values.
        // `from_utf8` first: it checks an ASCII value a word at a time, where the lossy
        // conversion walks it byte by byte.
        let value = match std::str::from_utf8(value.as_bytes()) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(value.as_bytes()),
        };
        let value = value.trim_matches(|c| c == ' ' || c == '\t');
        if let Some(token) = value.strip_prefix("Bearer ") {
            if !token.is_empty() {
                return Some(token.to_owned());
            }
        }
    }
    if let Some(token) = query.and_then(|q| form_value(q.as_bytes(), "access_token")) {
        return Some(token);
    }
    if matches!(*method, Method::POST | Method::PUT | Method::PATCH) && is_urlencoded(headers) {
        return form_value(body, "access_token");
    }
    None
}

fn is_urlencoded(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
}

/// The first value of `name` in a urlencoded string, if non-empty (Go's `FormValue`).
fn form_value(encoded: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(encoded)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
}

/// Spec 2.1 step 3: whether the request target skips the anonymous gate (exactly `/v1` or the
/// well-known OIDC document, with no query string).
pub fn skips_gate(path: &str, query: Option<&str>) -> bool {
    query.is_none() && (path == "/v1" || path == "/v1/.well-known/openid-configuration")
}

/// Spec 2.1 step 3: the anonymous gate. Passes with anonymous access on or a token present.
pub fn gate(config: &Config, has_token: bool) -> Result<(), Error> {
    if config.anonymous_enabled || has_token {
        Ok(())
    } else {
        Err(Error::AnonymousNotEnabled(config.available_methods()))
    }
}

/// Which check a token gets (spec 2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method2_3 {
    /// Static keys and DB users (3.1).
    ApiKey,
    /// OIDC (3.2).
    Oidc,
    /// Nothing configured: always the "no authentication scheme" 401.
    NoScheme,
}

/// Spec 2.3: the check used for `token` under `config`.
pub fn choose(config: &Config, token: &str) -> Method2_3 {
    match (config.api_key_auth_available(), config.oidc.enabled) {
        (true, false) => Method2_3::ApiKey,
        (false, true) => Method2_3::Oidc,
        (true, true) if is_malformed_jwt(token) => Method2_3::ApiKey,
        (true, true) => Method2_3::Oidc,
        (false, false) => Method2_3::NoScheme,
    }
}

/// Everything needed to check a token: the config, the static keys, DB users and the OIDC verifier.
#[derive(Debug)]
pub struct Authenticator {
    /// The configuration.
    pub config: std::sync::Arc<Config>,
    /// Digests of the static keys.
    pub static_keys: StaticKeys,
    /// The OIDC verifier, when OIDC is on.
    pub oidc: Option<OidcVerifier>,
}

impl Authenticator {
    /// Spec 2.1 step 4: the principal a present token names, or the failure to answer with.
    pub async fn authenticate(&self, db_users: &DbUsers, token: &str) -> Result<Principal, Error> {
        let (method, kept) = self.method_for(token);
        match method {
            Method2_3::ApiKey => api_key::check(&self.static_keys, db_users, token),
            Method2_3::Oidc => {
                let Some(verifier) = &self.oidc else {
                    return Err(Error::Unauthorized(OIDC_NOT_CONFIGURED.to_owned()));
                };
                let verified = match kept {
                    Some(kept) => verifier.authenticate_kept(token, kept).await,
                    None => verifier.authenticate(token).await,
                };
                match verified {
                    Ok(identity) => Ok(Principal {
                        username: identity.username,
                        groups: identity.groups,
                        kind: UserKind::Oidc,
                    }),
                    Err(failure) => Err(Error::from(failure)),
                }
            }
            Method2_3::NoScheme => Err(Error::Unauthorized(NO_SCHEME_CONFIGURED.to_owned())),
        }
    }

    /// [`choose`], without reading the token again when the OIDC verifier keeps it: the choice
    /// depends on the token alone, and the verifier only sees (and keeps) the tokens sent to it.
    /// The verifier's entry comes along, so that the token is looked up once.
    fn method_for(&self, token: &str) -> (Method2_3, Option<oidc::Kept>) {
        match self.oidc.as_ref().and_then(|v| v.kept(token)) {
            Some(kept) => (Method2_3::Oidc, Some(kept)),
            None => (choose(&self.config, token), None),
        }
    }
}

/// A refused token as the `Error` Weaviate answers with (its status is chosen in `error.rs`).
impl From<OidcFailure> for Error {
    fn from(failure: OidcFailure) -> Error {
        match failure.kind {
            OidcFailureKind::Unauthorized => Error::Unauthorized(failure.message),
            OidcFailureKind::Claims => Error::OidcClaims(failure.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, auth.parse().expect("a valid header value"));
        h
    }

    #[test]
    fn s2_2_bearer_prefix_is_case_sensitive_and_not_trimmed_inside() {
        let get = Method::GET;
        assert_eq!(extract_bearer(&get, &headers("Bearer k"), None, b""), Some("k".into()));
        assert_eq!(extract_bearer(&get, &headers("Bearer  k"), None, b""), Some(" k".into()));
        for none in ["bearer k", "BEARER k", "Basic abc", "Token k", "Bearer", "Bearer "] {
            assert_eq!(extract_bearer(&get, &headers(none), None, b""), None, "{none}");
        }
        // Bytes that are not UTF-8 still become U+FFFD (the lossy conversion, past the fast path).
        let mut raw = HeaderMap::new();
        raw.insert(
            header::AUTHORIZATION,
            HeaderValue::from_bytes(b"Bearer k\xffey").expect("obs-text is allowed"),
        );
        assert_eq!(extract_bearer(&get, &raw, None, b""), Some("k\u{fffd}ey".into()));
    }

    #[test]
    fn s2_2_query_then_form_and_header_wins() {
        let get = Method::GET;
        assert_eq!(
            extract_bearer(&get, &HeaderMap::new(), Some("access_token=q"), b""),
            Some("q".into())
        );
        assert_eq!(extract_bearer(&get, &HeaderMap::new(), Some("access_token="), b""), None);
        assert_eq!(
            extract_bearer(&get, &headers("Bearer h"), Some("access_token=q"), b""),
            Some("h".into())
        );
        let mut form = HeaderMap::new();
        form.insert(header::CONTENT_TYPE, "application/x-www-form-urlencoded".parse().expect("valid"));
        assert_eq!(extract_bearer(&Method::POST, &form, None, b"access_token=f"), Some("f".into()));
        assert_eq!(extract_bearer(&Method::GET, &form, None, b"access_token=f"), None, "no form on GET");
    }

    #[test]
    fn s2_3_check_choice_table() {
        let config = |vars: &[(&str, &str)]| Config::from_vars(vars.iter().copied()).expect("a valid config");
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqd3QtdXNlciJ9.c2lnbmF0dXJl";
        let keys = config(&[("AUTHENTICATION_APIKEY_ENABLED", "true")]);
        let db = config(&[("AUTHENTICATION_DB_USERS_ENABLED", "true")]);
        let oidc = config(&[("AUTHENTICATION_OIDC_ENABLED", "true")]);
        let both = config(&[("AUTHENTICATION_OIDC_ENABLED", "true"), ("AUTHENTICATION_DB_USERS_ENABLED", "true")]);
        let none = config(&[]);
        assert_eq!((choose(&keys, jwt), choose(&keys, "k")), (Method2_3::ApiKey, Method2_3::ApiKey));
        assert_eq!(choose(&db, jwt), Method2_3::ApiKey);
        assert_eq!((choose(&oidc, jwt), choose(&oidc, "k")), (Method2_3::Oidc, Method2_3::Oidc));
        // Both on: per token, by the malformed-JWT rule (a JWT-shaped static key goes to OIDC only).
        assert_eq!((choose(&both, jwt), choose(&both, "k")), (Method2_3::Oidc, Method2_3::ApiKey));
        assert_eq!(choose(&none, jwt), Method2_3::NoScheme);
    }
}
