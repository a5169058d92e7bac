//! What the authorization-endpoint tests share: the clients, a browser that keeps cookies, the
//! request parameters, and readers for redirects, pages and hashes.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use mock_idp::{ClientConfig, MockIdp, MockIdpBuilder};
use reqwest::header::{LOCATION, SET_COOKIE};
use serde_json::Value;
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::support::{header, Env};

/// A loopback redirect on a port the registered `http://127.0.0.1/callback` does not name.
pub(crate) const CB: &str = "http://127.0.0.1:4567/callback";
/// RFC 7636 Appendix B.
pub(crate) const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub(crate) const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// A confidential client registered by these tests.
pub(crate) const WEB: &str = "web";
pub(crate) const WEB_SECRET: &str = "web-secret";
pub(crate) const WEB_CB: &str = "https://app.example/cb";

pub(crate) fn web_client() -> ClientConfig {
    ClientConfig {
        client_id: WEB.into(),
        secrets: vec![WEB_SECRET.into()],
        redirect_uris: vec![WEB_CB.into()],
        post_logout_redirect_uris: vec!["https://app.example/bye".into()],
        default_scope: "openid".into(),
        ..ClientConfig::default()
    }
}

pub(crate) fn builder() -> MockIdpBuilder {
    MockIdp::builder().client(web_client())
}

pub(crate) fn auto_builder() -> MockIdpBuilder {
    builder().configure(|t| t.auto_login = Some("admin".into()))
}

/// A provider, its authorization endpoint, and a cookie-keeping browser that never redirects.
pub(crate) struct Idp {
    pub(crate) env: Env,
    pub(crate) authz: String,
    pub(crate) browser: reqwest::Client,
}

pub(crate) async fn start(b: MockIdpBuilder) -> Idp {
    let env = Env::with(b.start().await);
    let authz = env.endpoint("authorization_endpoint").await;
    Idp {
        env,
        authz,
        browser: browser(),
    }
}

/// A fresh browser: keeps cookies, never follows redirects.
pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("a reqwest client with cookies builds")
}

pub(crate) async fn auto() -> Idp {
    start(auto_builder()).await
}

/// The parameters of a good code request by the public `weaviate` client, with `changes`
/// applied: a new value replaces the old, and an empty value removes the parameter.
pub(crate) fn params(changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut p: Vec<(String, String)> = [
        ("client_id", "weaviate"),
        ("redirect_uri", CB),
        ("response_type", "code"),
        ("scope", "openid profile email"),
        ("state", "s-123"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in changes {
        p.retain(|(pk, _)| pk != k);
        if !v.is_empty() {
            p.push((k.to_string(), v.to_string()));
        }
    }
    p
}

/// An authorization response, taken apart.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) location: Option<String>,
    pub(crate) query: HashMap<String, String>,
    pub(crate) fragment: HashMap<String, String>,
    pub(crate) body: String,
}

impl Answer {
    pub(crate) async fn of(resp: reqwest::Response) -> Answer {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let location = headers.get(LOCATION).map(|l| l.to_str().expect("Location is ASCII").to_owned());
        let body = resp.text().await.unwrap_or_default();
        let (mut query, mut fragment) = (HashMap::new(), HashMap::new());
        if let Some(l) = &location {
            let (before, frag) = l.split_once('#').unwrap_or((l, ""));
            fragment = decode(frag);
            query = decode(before.split_once('?').map(|(_, q)| q).unwrap_or(""));
        }
        Answer {
            status,
            headers,
            location,
            query,
            fragment,
            body,
        }
    }

    /// The response parameters, wherever they travel (query, fragment or form_post).
    pub(crate) fn params(&self) -> HashMap<String, String> {
        if self.status == 200 && self.body.contains("<form") {
            return hidden_inputs(&self.body).1;
        }
        let mut p = self.query.clone();
        p.extend(self.fragment.clone());
        p
    }

    pub(crate) fn param(&self, name: &str) -> Option<String> {
        self.params().get(name).cloned()
    }

    pub(crate) fn error(&self) -> Option<String> {
        self.param("error")
    }

    pub(crate) fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().expect("Set-Cookie is ASCII").to_owned())
            .collect()
    }
}

pub(crate) fn decode(s: &str) -> HashMap<String, String> {
    form_urlencoded::parse(s.as_bytes()).into_owned().collect()
}

pub(crate) fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

pub(crate) fn attr(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

/// The form's `action` and its hidden inputs, from a page.
pub(crate) fn hidden_inputs(html: &str) -> (String, HashMap<String, String>) {
    let action = html
        .split("<form")
        .nth(1)
        .and_then(|f| attr(&f[..f.find('>').unwrap_or(f.len())], "action"))
        .unwrap_or_default();
    let inputs = html
        .split("<input")
        .skip(1)
        .map(|t| &t[..t.find('>').unwrap_or(t.len())])
        .filter(|t| t.contains("type=\"hidden\""))
        .filter_map(|t| Some((attr(t, "name")?, attr(t, "value")?)))
        .collect();
    (action, inputs)
}

impl Idp {
    pub(crate) async fn get(&self, p: &[(String, String)]) -> Answer {
        Answer::of(self.env.http.get(&self.authz).query(p).send().await.expect("authorize answers")).await
    }

    pub(crate) async fn get_json(&self, p: &[(String, String)]) -> Answer {
        let r = self
            .env
            .http
            .get(&self.authz)
            .query(p)
            .header("Accept", "application/json")
            .send()
            .await;
        Answer::of(r.expect("authorize answers")).await
    }

    pub(crate) async fn browse(&self, p: &[(String, String)]) -> Answer {
        Answer::of(self.browser.get(&self.authz).query(p).send().await.expect("authorize answers")).await
    }

    /// Submits the form on `page` with `fields` added (username, password, action, otp).
    pub(crate) async fn submit(&self, page: &Answer, fields: &[(&str, &str)]) -> Answer {
        let (action, mut form) = hidden_inputs(&page.body);
        assert!(!action.is_empty(), "the page has a form: {}", page.body);
        for (k, v) in fields {
            form.insert(k.to_string(), v.to_string());
        }
        Answer::of(self.browser.post(action).form(&form).send().await.expect("login answers")).await
    }

    /// Logs `user` in through the page, for `p`, and returns the final answer.
    pub(crate) async fn login(&self, p: &[(String, String)], user: &str, pw: &str) -> Answer {
        let page = self.browse(p).await;
        assert_eq!(page.status, 200, "login page expected: {page:?}");
        self.submit(&page, &[("username", user), ("password", pw), ("action", "login")])
            .await
    }

    pub(crate) fn tenant(&self) -> std::sync::Arc<mock_idp::Tenant> {
        self.env.idp.first_tenant()
    }

    pub(crate) async fn redeem(&self, code: &str, changes: &[(&str, &str)]) -> (u16, Value) {
        let mut form: Vec<(String, String)> = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CB),
            ("client_id", "weaviate"),
            ("code_verifier", VERIFIER),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in changes {
            form.retain(|(fk, _)| fk != k);
            if !v.is_empty() {
                form.push((k.to_string(), v.to_string()));
            }
        }
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.env.token(&pairs).await
    }

    /// A fresh code for the default request with `changes`.
    pub(crate) async fn code(&self, changes: &[(&str, &str)]) -> String {
        let a = self.get(&params(changes)).await;
        a.param("code").unwrap_or_else(|| panic!("a code was expected: {a:?}"))
    }

    /// Parameters of a code request by the confidential `web` client (no PKCE).
    pub(crate) fn web(&self, changes: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut c = vec![
            ("client_id", WEB),
            ("redirect_uri", WEB_CB),
            ("code_challenge", ""),
            ("code_challenge_method", ""),
        ];
        c.extend_from_slice(changes);
        params(&c)
    }

    pub(crate) async fn redeem_web(&self, code: &str, changes: &[(&str, &str)]) -> (u16, Value) {
        let mut c = vec![
            ("client_id", WEB),
            ("client_secret", WEB_SECRET),
            ("redirect_uri", WEB_CB),
            ("code_verifier", ""),
        ];
        c.extend_from_slice(changes);
        self.redeem(code, &c).await
    }
}

/// The left half of the hash that belongs to the token's `alg` (P97), computed here.
pub(crate) fn half_hash(jwt: &str, value: &str) -> String {
    let digest: Vec<u8> = match header(jwt)["alg"].as_str().unwrap_or("") {
        "RS256" | "PS256" | "ES256" => Sha256::digest(value.as_bytes()).to_vec(),
        "RS384" | "PS384" | "ES384" => Sha384::digest(value.as_bytes()).to_vec(),
        _ => Sha512::digest(value.as_bytes()).to_vec(),
    };
    B64.encode(&digest[..digest.len() / 2])
}

pub(crate) fn assert_redirect_error(a: &Answer, error: &str) {
    assert_eq!(a.status, 302, "a redirect was expected: {a:?}");
    assert_eq!(a.error().as_deref(), Some(error), "{a:?}");
    assert!(
        a.param("code").is_none() && a.param("id_token").is_none(),
        "no code or token with an error: {a:?}"
    );
    let d = a.param("error_description").unwrap_or_default();
    assert!(
        d.chars().all(|c| (' '..='~').contains(&c) && c != '"' && c != '\\'),
        "description charset: {d:?}"
    );
}

pub(crate) fn assert_shown(a: &Answer, error: &str) {
    assert_eq!(a.status, 400, "{a:?}");
    assert!(a.location.is_none(), "a shown error never redirects: {a:?}");
    assert!(a.body.contains(error), "the page names the error: {}", a.body);
}

// ---------------------------------------------------------------- P84-P85
