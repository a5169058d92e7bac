//! Shared helpers of the token endpoint tests: form encoding, Basic credentials, raw POSTs and
//! the standard clients and grants.

use base64::Engine;
use mock_idp::ClientConfig;

use crate::support::Env;

pub(crate) const FORM: &str = "application/x-www-form-urlencoded";

/// Form-encodes pairs (RFC 6749 Appendix B).
pub(crate) fn enc(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// An HTTP Basic header value for a client, encoded as RFC 6749 §2.3.1 asks.
pub(crate) fn basic(id: &str, secret: &str) -> String {
    let e = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let raw = format!("{}:{}", e(id), e(secret));
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw))
}

/// POSTs a raw body to `url`.
pub(crate) async fn post(env: &Env, url: &str, content_type: Option<&str>, body: String, auth: Option<&str>) -> reqwest::Response {
    let mut req = env.http.post(url).body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    req.send().await.expect("the token endpoint answers")
}

pub(crate) fn admin_password() -> Vec<(&'static str, &'static str)> {
    vec![
        ("grant_type", "password"),
        ("username", "admin"),
        ("password", "admin-pass"),
        ("client_id", "weaviate"),
    ]
}

pub(crate) fn ci_credentials() -> Vec<(&'static str, &'static str)> {
    vec![
        ("grant_type", "client_credentials"),
        ("client_id", "ci-runner"),
        ("client_secret", "ci-runner-secret"),
    ]
}

pub(crate) fn confidential(id: &str, secret: &str) -> ClientConfig {
    ClientConfig {
        client_id: id.into(),
        secrets: vec![secret.into()],
        ..ClientConfig::default()
    }
}

pub(crate) fn public(id: &str) -> ClientConfig {
    ClientConfig {
        client_id: id.into(),
        public: true,
        ..ClientConfig::default()
    }
}
