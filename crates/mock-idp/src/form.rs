//! Request parsing shared by every endpoint: the form body extractor and HTTP Basic credentials.
//!
//! `Form` is the body extractor of the token endpoint and of every other form endpoint
//! (authorize POST, login, userinfo, introspection, revocation, end-session), so they all share
//! P45-P46 and P157: content type checked, 64 KiB cap, repeated parameters refused, empty ones
//! treated as absent, 8 KiB per value. The journal reads Basic credentials with the same
//! function the token endpoint authenticates with.

use std::collections::BTreeMap;

use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::error::{Error, Result};

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
        for (k, v) in form_urlencoded::parse(bytes) {
            if params.contains_key(&*k) {
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
            params.insert(k.into_owned(), v.into_owned());
        }
        // Empty values count for the repetition check above, then are treated as absent.
        params.retain(|_, v: &mut String| !v.is_empty());
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

/// The `Form` of a request's body, parsed before the handler by the journal's middleware under
/// the same content type, size limit and rules as the extractor's own; the extractor takes it
/// instead of parsing the body again. Only a body that parsed without error gets one.
#[derive(Debug, Clone)]
pub(crate) struct Parsed(pub(crate) Form);

/// Whether the request's content type is `application/x-www-form-urlencoded` (parameters such
/// as a charset allowed).
pub(crate) fn has_form_type(headers: &HeaderMap) -> bool {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim();
    mime.eq_ignore_ascii_case("application/x-www-form-urlencoded")
}

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = Error;

    async fn from_request(mut req: Request, _state: &S) -> Result<Self> {
        // Present only when the middleware found the form content type.
        if let Some(Parsed(form)) = req.extensions_mut().remove::<Parsed>() {
            return Ok(form);
        }
        if !has_form_type(req.headers()) {
            return Err(Error::InvalidRequest("the body must be application/x-www-form-urlencoded".into()));
        }
        let bytes = axum::body::to_bytes(req.into_body(), MAX_FORM_BYTES)
            .await
            .map_err(|_| Error::PayloadTooLarge)?;
        Form::parse(&bytes)
    }
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
    basic_credentials_in(value)
}

/// [`basic_credentials`] of an `Authorization` header value already read as text.
pub fn basic_credentials_in(value: &str) -> Result<Option<(String, String)>> {
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
    Ok(Some((form_decode(id), form_decode(secret))))
}

/// One form-url-decoded value, as [`parsed_as_form_value`] reads it.
fn form_decode(s: &str) -> String {
    if !s.contains(['%', '+', '&']) {
        // Nothing to decode: the common case, without the parser's allocations.
        return s.to_owned();
    }
    parsed_as_form_value(s)
}

/// `s` as `form_urlencoded` reads the value of `x={s}` (so a raw `&` ends it).
fn parsed_as_form_value(s: &str) -> String {
    form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_are_absent_but_still_count_as_repeats() {
        let f = Form::parse(b"grant_type=client_credentials&scope=&x=1").unwrap();
        assert_eq!(f.iter().collect::<Vec<_>>(), [("grant_type", "client_credentials"), ("x", "1")]);
        assert_eq!(f.get("scope"), None);
        for body in [&b"scope=&scope=openid"[..], b"scope=openid&scope=", b"a=&a="] {
            assert!(matches!(Form::parse(body), Err(Error::InvalidRequest(_))), "{body:?}");
        }
    }

    #[test]
    fn basic_values_decode_as_the_form_parser_reads_them() {
        // The fast path (nothing to decode) and the parser agree on every shape.
        for s in ["ci-runner", "", "a=b", "a%20b", "a+b", "%E2%82%AC", "a&b", "%zz", "%", "~._-"] {
            assert_eq!(form_decode(s), parsed_as_form_value(s), "{s}");
        }
        let header = format!("Basic {}", STANDARD.encode("my%20client:s+cret"));
        assert_eq!(
            basic_credentials_in(&header).unwrap(),
            Some(("my client".to_owned(), "s cret".to_owned()))
        );
    }
}
