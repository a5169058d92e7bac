//! Authorization endpoint, login page, code redemption with PKCE and end session
//! (P15-P16, P55, P64-P75, P84-P100, P117, P152), through real HTTP against `MockIdp`.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use mock_idp::{Alg, ClientConfig, GrantType, MockIdp, MockIdpBuilder, UserConfig, UserStatus};
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, SET_COOKIE, X_FRAME_OPTIONS};
use serde_json::Value;
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::support::{claims, header, Env};

/// A loopback redirect on a port the registered `http://127.0.0.1/callback` does not name.
const CB: &str = "http://127.0.0.1:4567/callback";
/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// A confidential client registered by these tests.
const WEB: &str = "web";
const WEB_SECRET: &str = "web-secret";
const WEB_CB: &str = "https://app.example/cb";

fn web_client() -> ClientConfig {
    ClientConfig {
        client_id: WEB.into(),
        secrets: vec![WEB_SECRET.into()],
        redirect_uris: vec![WEB_CB.into()],
        post_logout_redirect_uris: vec!["https://app.example/bye".into()],
        default_scope: "openid".into(),
        ..ClientConfig::default()
    }
}

fn builder() -> MockIdpBuilder {
    MockIdp::builder().client(web_client())
}

fn auto_builder() -> MockIdpBuilder {
    builder().configure(|t| t.auto_login = Some("admin".into()))
}

/// A provider, its authorization endpoint, and a cookie-keeping browser that never redirects.
struct Idp {
    env: Env,
    authz: String,
    browser: reqwest::Client,
}

async fn start(b: MockIdpBuilder) -> Idp {
    let env = Env::with(b.start().await);
    let authz = env.endpoint("authorization_endpoint").await;
    Idp {
        env,
        authz,
        browser: browser(),
    }
}

/// A fresh browser: keeps cookies, never follows redirects.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("a reqwest client with cookies builds")
}

async fn auto() -> Idp {
    start(auto_builder()).await
}

/// The parameters of a good code request by the public `weaviate` client, with `changes`
/// applied: a new value replaces the old, and an empty value removes the parameter.
fn params(changes: &[(&str, &str)]) -> Vec<(String, String)> {
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
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    location: Option<String>,
    query: HashMap<String, String>,
    fragment: HashMap<String, String>,
    body: String,
}

impl Answer {
    async fn of(resp: reqwest::Response) -> Answer {
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
    fn params(&self) -> HashMap<String, String> {
        if self.status == 200 && self.body.contains("<form") {
            return hidden_inputs(&self.body).1;
        }
        let mut p = self.query.clone();
        p.extend(self.fragment.clone());
        p
    }

    fn param(&self, name: &str) -> Option<String> {
        self.params().get(name).cloned()
    }

    fn error(&self) -> Option<String> {
        self.param("error")
    }

    fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().expect("Set-Cookie is ASCII").to_owned())
            .collect()
    }
}

fn decode(s: &str) -> HashMap<String, String> {
    form_urlencoded::parse(s.as_bytes()).into_owned().collect()
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

/// The form's `action` and its hidden inputs, from a page.
fn hidden_inputs(html: &str) -> (String, HashMap<String, String>) {
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
    async fn get(&self, p: &[(String, String)]) -> Answer {
        Answer::of(self.env.http.get(&self.authz).query(p).send().await.expect("authorize answers")).await
    }

    async fn get_json(&self, p: &[(String, String)]) -> Answer {
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

    async fn browse(&self, p: &[(String, String)]) -> Answer {
        Answer::of(self.browser.get(&self.authz).query(p).send().await.expect("authorize answers")).await
    }

    /// Submits the form on `page` with `fields` added (username, password, action, otp).
    async fn submit(&self, page: &Answer, fields: &[(&str, &str)]) -> Answer {
        let (action, mut form) = hidden_inputs(&page.body);
        assert!(!action.is_empty(), "the page has a form: {}", page.body);
        for (k, v) in fields {
            form.insert(k.to_string(), v.to_string());
        }
        Answer::of(self.browser.post(action).form(&form).send().await.expect("login answers")).await
    }

    /// Logs `user` in through the page, for `p`, and returns the final answer.
    async fn login(&self, p: &[(String, String)], user: &str, pw: &str) -> Answer {
        let page = self.browse(p).await;
        assert_eq!(page.status, 200, "login page expected: {page:?}");
        self.submit(&page, &[("username", user), ("password", pw), ("action", "login")])
            .await
    }

    fn tenant(&self) -> std::sync::Arc<mock_idp::tenant::Tenant> {
        self.env.idp.first_tenant()
    }

    async fn redeem(&self, code: &str, changes: &[(&str, &str)]) -> (u16, Value) {
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
    async fn code(&self, changes: &[(&str, &str)]) -> String {
        let a = self.get(&params(changes)).await;
        a.param("code").unwrap_or_else(|| panic!("a code was expected: {a:?}"))
    }

    /// Parameters of a code request by the confidential `web` client (no PKCE).
    fn web(&self, changes: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut c = vec![
            ("client_id", WEB),
            ("redirect_uri", WEB_CB),
            ("code_challenge", ""),
            ("code_challenge_method", ""),
        ];
        c.extend_from_slice(changes);
        params(&c)
    }

    async fn redeem_web(&self, code: &str, changes: &[(&str, &str)]) -> (u16, Value) {
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
fn half_hash(jwt: &str, value: &str) -> String {
    let digest: Vec<u8> = match header(jwt)["alg"].as_str().unwrap_or("") {
        "RS256" | "PS256" | "ES256" => Sha256::digest(value.as_bytes()).to_vec(),
        "RS384" | "PS384" | "ES384" => Sha384::digest(value.as_bytes()).to_vec(),
        _ => Sha512::digest(value.as_bytes()).to_vec(),
    };
    B64.encode(&digest[..digest.len() / 2])
}

fn assert_redirect_error(a: &Answer, error: &str) {
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

fn assert_shown(a: &Answer, error: &str) {
    assert_eq!(a.status, 400, "{a:?}");
    assert!(a.location.is_none(), "a shown error never redirects: {a:?}");
    assert!(a.body.contains(error), "the page names the error: {}", a.body);
}

// ---------------------------------------------------------------- P84-P85

#[tokio::test]
async fn p84_get_and_post_both_work() {
    let idp = auto().await;
    let get = idp.get(&params(&[])).await;
    assert!(get.param("code").is_some(), "{get:?}");
    let post = Answer::of(idp.env.http.post(&idp.authz).form(&params(&[])).send().await.expect("answers")).await;
    assert_eq!(post.status, 302);
    assert!(post.param("code").is_some(), "{post:?}");
    let (status, body) = idp.redeem(&post.param("code").unwrap_or_default(), &[]).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn p85_missing_or_unknown_client_is_shown_not_redirected() {
    let idp = auto().await;
    assert_shown(&idp.get(&params(&[("client_id", "")])).await, "invalid_request");
    assert_shown(&idp.get(&params(&[("client_id", "nobody")])).await, "invalid_request");
    assert_shown(&idp.get(&params(&[("redirect_uri", "")])).await, "invalid_request");
    let json = idp.get_json(&params(&[("client_id", "nobody")])).await;
    assert_eq!(json.status, 400);
    assert!(json.location.is_none());
    let v: Value = serde_json::from_str(&json.body).expect("JSON error page");
    assert_eq!(v["error"], "invalid_request");
    let html = idp.get(&params(&[("client_id", "nobody")])).await;
    assert!(html.headers[CONTENT_TYPE].to_str().unwrap_or("").starts_with("text/html"));
    // Fixed: the known client gets its code.
    assert!(idp.get(&params(&[])).await.param("code").is_some());
}

#[tokio::test]
async fn p85_redirect_uri_is_an_exact_match_except_loopback_ports() {
    let idp = auto().await;
    for bad in [
        "http://127.0.0.1:4567/callback/",
        "http://127.0.0.1:4567/callback/evil",
        "http://127.0.0.1:4567/callbac",
        "http://127.0.0.1:4567/callback?x=1",
        "http://127.0.0.1:4567/callback#frag",
        "http://127.0.0.2:4567/callback",
        "https://127.0.0.1:4567/callback",
        "http://localhost.evil.example/callback",
        "https://evil.example/callback",
    ] {
        assert_shown(&idp.get(&params(&[("redirect_uri", bad)])).await, "invalid_request");
    }
    for good in [
        "http://127.0.0.1/callback",
        "http://127.0.0.1:1/callback",
        "http://localhost:65000/callback",
        "http://[::1]:8080/callback",
    ] {
        let a = idp.get(&params(&[("redirect_uri", good)])).await;
        assert!(a.location.as_deref().is_some_and(|l| l.starts_with(good)), "{good}: {a:?}");
        assert!(a.param("code").is_some());
    }
    // Non-loopback URIs get no port leniency.
    let web = idp.get(&idp.web(&[("redirect_uri", "https://app.example:8443/cb")])).await;
    assert_shown(&web, "invalid_request");
    assert!(idp.get(&idp.web(&[])).await.param("code").is_some());
}

// ---------------------------------------------------------------- P86-P88

#[tokio::test]
async fn p86_errors_redirect_with_error_state_and_iss_and_nothing_else() {
    let idp = auto().await;
    let a = idp.get(&params(&[("response_type", "token")])).await;
    assert_redirect_error(&a, "unsupported_response_type");
    assert_eq!(a.param("state").as_deref(), Some("s-123"));
    assert_eq!(a.param("iss"), Some(idp.env.idp.issuer_url()));
    assert!(a.location.as_deref().is_some_and(|l| l.starts_with(CB)));
}

#[tokio::test]
async fn p86_redirected_error_description_keeps_to_the_rfc_6749_character_set() {
    let idp = auto().await;
    // Act: a scope with characters RFC 6749 §3.3 forbids; the description quoting the rule has
    // a non-ASCII `§`, which must not reach the redirect as it is.
    let a = idp.get(&params(&[("scope", "openid say\"hi\\now\nor\tnever")])).await;
    // Assert: no quote, backslash, CR, LF, TAB or non-ASCII character (assert_redirect_error).
    assert_redirect_error(&a, "invalid_scope");
    let d = a.param("error_description").unwrap_or_default();
    assert!(d.contains("scope") && d.contains("RFC 6749"), "the description says why: {d:?}");
}

#[tokio::test]
async fn p87_response_type_words_in_any_order_and_its_errors() {
    let idp = auto().await;
    let a = idp.get(&params(&[("response_type", "id_token code"), ("nonce", "n")])).await;
    assert!(a.param("code").is_some() && a.param("id_token").is_some(), "{a:?}");
    assert_redirect_error(&idp.get(&params(&[("response_type", "")])).await, "invalid_request");
    assert_redirect_error(&idp.get(&params(&[("response_type", "token")])).await, "unsupported_response_type");
    assert_redirect_error(
        &idp.get(&params(&[("response_type", "code code")])).await,
        "unsupported_response_type",
    );
    // The `web` client is limited to the code grant: id_token is not for it.
    let tenant = idp.tenant();
    tenant.accounts_mut().clients.insert(
        WEB.into(),
        mock_idp::accounts::Client::new(ClientConfig {
            grant_types: vec![GrantType::AuthorizationCode],
            secrets: vec![WEB_SECRET.into()],
            ..web_client()
        }),
    );
    let denied = idp.get(&idp.web(&[("response_type", "id_token"), ("nonce", "n")])).await;
    assert_redirect_error(&denied, "unauthorized_client");
    assert!(idp.get(&idp.web(&[])).await.param("code").is_some());
}

#[tokio::test]
async fn p87_a_type_disabled_at_the_tenant_is_unsupported() {
    let idp = start(auto_builder().configure(|t| t.grant_types.retain(|g| *g != GrantType::Implicit))).await;
    let a = idp.get(&params(&[("response_type", "id_token"), ("nonce", "n")])).await;
    assert_redirect_error(&a, "unsupported_response_type");
    assert!(idp.get(&params(&[])).await.param("code").is_some());
}

#[tokio::test]
async fn p88_id_token_needs_openid_while_plain_code_is_oauth() {
    let idp = auto().await;
    let a = idp
        .get(&params(&[("response_type", "id_token"), ("nonce", "n"), ("scope", "profile")]))
        .await;
    assert_redirect_error(&a, "invalid_request");
    let ok = idp
        .get(&params(&[
            ("response_type", "id_token"),
            ("nonce", "n"),
            ("scope", "openid profile"),
        ]))
        .await;
    assert!(ok.param("id_token").is_some());
    // Plain code without openid: a code, and no ID token at the token endpoint.
    let code = idp.code(&[("scope", "profile email")]).await;
    let (status, body) = idp.redeem(&code, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("id_token").is_none(), "{body}");
    assert_eq!(body["scope"], "profile email");
    // Unknown scopes are ignored.
    let code = idp.code(&[("scope", "openid frobnicate")]).await;
    let (_, body) = idp.redeem(&code, &[]).await;
    assert_eq!(body["scope"], "openid");
}

#[tokio::test]
async fn p88_strict_scope_mode_redirects_invalid_scope() {
    let idp = start(auto_builder().configure(|t| t.strict_scopes = true)).await;
    assert_redirect_error(&idp.get(&params(&[("scope", "openid frobnicate")])).await, "invalid_scope");
    assert!(idp.get(&params(&[("scope", "openid")])).await.param("code").is_some());
}

// ---------------------------------------------------------------- P89-P90

#[tokio::test]
async fn p89_nonce_required_for_id_token_types_optional_for_code_and_carried_unchanged() {
    let idp = auto().await;
    for rt in ["id_token", "code id_token"] {
        assert_redirect_error(&idp.get(&params(&[("response_type", rt)])).await, "invalid_request");
        let ok = idp.get(&params(&[("response_type", rt), ("nonce", "n-ü 1")])).await;
        let front = ok.param("id_token").unwrap_or_else(|| panic!("{rt}: {ok:?}"));
        assert_eq!(claims(&front)["nonce"], "n-ü 1");
        if let Some(code) = ok.param("code") {
            let (_, body) = idp.redeem(&code, &[]).await;
            assert_eq!(
                claims(body["id_token"].as_str().unwrap_or("")).get("nonce"),
                Some(&Value::from("n-ü 1"))
            );
        }
    }
    let code = idp.code(&[]).await;
    let (_, body) = idp.redeem(&code, &[]).await;
    assert!(claims(body["id_token"].as_str().unwrap_or("")).get("nonce").is_none());
}

#[tokio::test]
async fn p90_state_comes_back_exactly_on_success_and_error() {
    let idp = auto().await;
    let state = "a b&c=d+e/ü%20\"'<>";
    let ok = idp.get(&params(&[("state", state)])).await;
    assert_eq!(ok.param("state").as_deref(), Some(state));
    let err = idp.get(&params(&[("state", state), ("response_type", "token")])).await;
    assert_eq!(err.param("state").as_deref(), Some(state));
    let none = idp.get(&params(&[("state", "")])).await;
    assert!(none.param("state").is_none() && none.param("code").is_some());
}

#[tokio::test]
async fn p90_require_state_clients_must_send_it() {
    let idp = start(auto_builder().client(ClientConfig {
        require_state: true,
        ..web_client()
    }))
    .await;
    assert_redirect_error(&idp.get(&idp.web(&[("state", "")])).await, "invalid_request");
    assert!(idp.get(&idp.web(&[])).await.param("code").is_some());
}

// ---------------------------------------------------------------- P91-P93

#[tokio::test]
async fn p91_response_mode_defaults_explicit_modes_and_refusals() {
    let idp = auto().await;
    let code = idp.get(&params(&[])).await;
    assert!(code.query.contains_key("code") && code.fragment.is_empty(), "{code:?}");
    for rt in ["id_token", "code id_token"] {
        let a = idp.get(&params(&[("response_type", rt), ("nonce", "n")])).await;
        assert!(a.fragment.contains_key("id_token") && a.query.is_empty(), "{rt}: {a:?}");
    }
    let frag = idp.get(&params(&[("response_mode", "fragment")])).await;
    assert!(frag.fragment.contains_key("code") && frag.query.is_empty());
    // query with an ID token: invalid_request, and the error travels in the fragment.
    let q = idp
        .get(&params(&[
            ("response_type", "code id_token"),
            ("nonce", "n"),
            ("response_mode", "query"),
        ]))
        .await;
    assert_eq!(q.fragment.get("error").map(String::as_str), Some("invalid_request"), "{q:?}");
    assert!(q.query.is_empty());
    let unknown = idp.get(&params(&[("response_mode", "web_message")])).await;
    assert_redirect_error(&unknown, "invalid_request");
    // Fragment-mode errors put nothing in the query.
    let e = idp.get(&params(&[("response_type", "id_token")])).await;
    assert!(e.query.is_empty() && e.fragment.contains_key("error"), "{e:?}");
}

#[test]
fn p92_a_redirect_uri_with_a_fragment_is_refused_when_the_client_is_registered() {
    let config = |uris: &str| {
        format!(
            "[[tenant]]\nname = \"default\"\nissuer = \"http://127.0.0.1:8080/default\"\n\
             [[tenant.client]]\nclient_id = \"app\"\npublic = true\n{uris}\n"
        )
    };
    for uris in [
        "redirect_uris = [\"http://127.0.0.1/cb#frag\"]",
        "redirect_uris = [\"http://127.0.0.1/cb?x=1#\"]",
        "post_logout_redirect_uris = [\"http://127.0.0.1/bye#f\"]",
    ] {
        // Act
        let err = mock_idp::Config::from_toml(&config(uris), std::path::Path::new("p92.toml"))
            .expect_err(uris)
            .to_string();
        // Assert
        assert!(err.contains("redirect_uris") && err.contains("fragment"), "{uris}: {err}");
    }
    // The same URIs without the fragment load; a registered query is allowed.
    mock_idp::Config::from_toml(
        &config("redirect_uris = [\"http://127.0.0.1/cb\", \"http://127.0.0.1/cb?x=1\"]"),
        std::path::Path::new("p92.toml"),
    )
    .expect("no fragment: the client loads");
}

#[tokio::test]
async fn p92_query_mode_keeps_the_registered_query_and_fragment_is_form_encoded() {
    let idp = auto().await;
    let with_query = "https://app.example/cb?tenant=a%20b";
    idp.tenant().accounts_mut().clients.insert(
        "q".into(),
        mock_idp::accounts::Client::new(ClientConfig {
            client_id: "q".into(),
            secrets: vec!["s".into()],
            redirect_uris: vec![with_query.into()],
            ..ClientConfig::default()
        }),
    );
    let a = idp.get(&idp.web(&[("client_id", "q"), ("redirect_uri", with_query)])).await;
    assert_eq!(a.status, 302);
    assert!(
        a.location
            .as_deref()
            .is_some_and(|l| l.starts_with("https://app.example/cb?tenant=a%20b&")),
        "{a:?}"
    );
    assert_eq!(a.query.get("tenant").map(String::as_str), Some("a b"));
    assert!(a.query.contains_key("code"));
    let f = idp.get(&params(&[("response_mode", "fragment"), ("state", "x y&z")])).await;
    let raw = f.location.unwrap_or_default();
    assert!(raw.contains("state=x+y%26z"), "{raw}");
}

#[tokio::test]
async fn p93_form_post_is_an_escaped_self_submitting_form() {
    let idp = auto().await;
    let state = "\"><script>alert(1)</script>&";
    let a = idp.get(&params(&[("response_mode", "form_post"), ("state", state)])).await;
    assert_eq!(a.status, 200);
    assert!(a.location.is_none());
    assert!(a.headers[CONTENT_TYPE].to_str().unwrap_or("").starts_with("text/html"));
    assert_eq!(a.headers[CACHE_CONTROL], "no-store");
    assert!(!a.body.contains("<script>alert(1)"), "values are escaped: {}", a.body);
    let (action, inputs) = hidden_inputs(&a.body);
    assert_eq!(action, CB);
    assert!(!action.contains('?') && !action.contains('#'));
    assert_eq!(inputs.get("state").map(String::as_str), Some(state));
    assert!(inputs.contains_key("code") && inputs.contains_key("iss"));
    assert!(a.body.contains("method=\"post\""));
    assert!(
        a.body.contains("<button type=\"submit\""),
        "a visible button for when scripts are off"
    );
    assert!(a.body.contains(".submit()"), "a script submits automatically");
    // The code in the form works.
    let (status, body) = idp.redeem(&inputs["code"], &[]).await;
    assert_eq!(status, 200, "{body}");
}

// ---------------------------------------------------------------- P94-P96

#[tokio::test]
async fn p94_hybrid_front_id_token_has_c_hash_and_no_at_hash_p68_back_matches() {
    let idp = auto().await;
    let a = idp.get(&params(&[("response_type", "code id_token"), ("nonce", "n-1")])).await;
    let (code, front) = (a.param("code").expect("code"), a.param("id_token").expect("id_token"));
    assert_eq!(a.param("state").as_deref(), Some("s-123"));
    let c = claims(&front);
    for k in ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "c_hash"] {
        assert!(c.get(k).is_some(), "front ID token lacks {k}: {c}");
    }
    assert!(c.get("at_hash").is_none());
    assert_eq!(c["c_hash"], half_hash(&front, &code));
    let (status, body) = idp.redeem(&code, &[]).await;
    assert_eq!(status, 200, "{body}");
    let back_jwt = body["id_token"].as_str().expect("id_token");
    let back = claims(back_jwt);
    assert_eq!(back["iss"], c["iss"]);
    assert_eq!(back["sub"], c["sub"]);
    assert_eq!(back["nonce"], "n-1");
    assert_eq!(back["auth_time"], c["auth_time"]);
    assert_eq!(back["at_hash"], half_hash(back_jwt, body["access_token"].as_str().unwrap_or("")));
}

#[tokio::test]
async fn p97_c_hash_and_at_hash_for_every_key_of_the_tenant_and_hints_verify() {
    let mut b = auto_builder();
    for alg in [Alg::RS256, Alg::ES256, Alg::EdDSA] {
        b = b.client(ClientConfig {
            client_id: format!("c-{}", alg.as_str()),
            alg: Some(alg),
            ..web_client()
        });
    }
    let idp = start(b).await;
    for alg in ["RS256", "ES256", "EdDSA"] {
        let id = format!("c-{alg}");
        let p = idp.web(&[("client_id", &id), ("response_type", "code id_token"), ("nonce", "n")]);
        let a = idp.get(&p).await;
        let (code, front) = (a.param("code").expect("code"), a.param("id_token").expect("id_token"));
        assert_eq!(header(&front)["alg"], alg);
        assert_eq!(claims(&front)["c_hash"], half_hash(&front, &code), "{alg}");
        let (status, body) = idp.redeem_web(&code, &[("client_id", &id)]).await;
        assert_eq!(status, 200, "{alg}: {body}");
        let back = body["id_token"].as_str().unwrap_or("");
        assert_eq!(
            claims(back)["at_hash"],
            half_hash(back, body["access_token"].as_str().unwrap_or("")),
            "{alg}"
        );
        // The tenant's own token of this algorithm is a valid id_token_hint (P100).
        assert!(
            idp.get(&params(&[("id_token_hint", &front)])).await.param("code").is_some(),
            "{alg}"
        );
    }
}

#[tokio::test]
async fn p95_iss_parameter_on_success_and_error_and_switchable() {
    let idp = auto().await;
    let iss = idp.env.idp.issuer_url();
    assert_eq!(idp.get(&params(&[])).await.param("iss"), Some(iss.clone()));
    assert_eq!(idp.get(&params(&[("response_type", "x")])).await.param("iss"), Some(iss));
    let off = start(auto_builder().configure(|t| t.authorization_response_iss = false)).await;
    let a = off.get(&params(&[])).await;
    assert!(a.param("code").is_some() && a.param("iss").is_none(), "{a:?}");
}

#[tokio::test]
async fn p96_implicit_id_token_only_with_scope_claims() {
    let idp = auto().await;
    for mode in ["fragment", "form_post"] {
        let a = idp
            .get(&params(&[("response_type", "id_token"), ("nonce", "n"), ("response_mode", mode)]))
            .await;
        let p = a.params();
        let mut keys: Vec<&str> = p.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["id_token", "iss", "state"], "{mode}: {a:?}");
        let c = claims(&p["id_token"]);
        assert_eq!(c["email"], "admin@example.com", "scope claims in the ID token: {c}");
        assert_eq!(c["name"], "Admin User");
        assert!(c.get("at_hash").is_none() && c.get("c_hash").is_none());
    }
}

// ---------------------------------------------------------------- P98-P100, P152

#[tokio::test]
async fn p98_login_page_round_trip_sets_a_tenant_session_cookie() {
    let idp = start(builder()).await;
    let page = idp.browse(&params(&[])).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.headers[X_FRAME_OPTIONS], "DENY");
    assert!(!page.body.contains("<script"), "no JavaScript needed");
    let (action, hidden) = hidden_inputs(&page.body);
    assert!(action.ends_with("/default/login"), "{action}");
    assert!(hidden.contains_key("csrf") && hidden.contains_key("authz"));
    assert!(page.body.contains("name=\"username\"") && page.body.contains("type=\"password\""));
    // Wrong password: the page again, with a visible error, and no redirect.
    let wrong = idp
        .submit(&page, &[("username", "admin"), ("password", "nope"), ("action", "login")])
        .await;
    assert_eq!(wrong.status, 200);
    assert!(wrong.location.is_none());
    assert!(wrong.body.contains("Invalid user credentials"), "{}", wrong.body);
    // Right password on the re-shown page: a code and a session cookie.
    let ok = idp
        .submit(&wrong, &[("username", "admin"), ("password", "admin-pass"), ("action", "login")])
        .await;
    let code = ok.param("code").unwrap_or_else(|| panic!("{ok:?}"));
    let session = ok
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("mock_idp_session="))
        .expect("a session cookie");
    assert!(
        session.contains("Path=/default") && session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    let (status, body) = idp.redeem(&code, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(idp.tenant().grants().sessions.len(), 1);
    // With the session: no page, even with prompt=none.
    let again = idp.browse(&params(&[("prompt", "none")])).await;
    assert!(again.param("code").is_some(), "{again:?}");
}

#[tokio::test]
async fn p98_login_post_without_the_csrf_cookie_is_refused() {
    let idp = start(builder()).await;
    let page = idp.browse(&params(&[])).await;
    let (action, mut form) = hidden_inputs(&page.body);
    form.insert("username".into(), "admin".into());
    form.insert("password".into(), "admin-pass".into());
    // Same form from a client without the cookie: refused, shown.
    let forged = Answer::of(idp.env.http.post(&action).form(&form).send().await.expect("answers")).await;
    assert_shown(&forged, "invalid_request");
    let ok = Answer::of(idp.browser.post(&action).form(&form).send().await.expect("answers")).await;
    assert!(ok.param("code").is_some(), "{ok:?}");
}

#[tokio::test]
async fn p98_auto_login_logs_in_without_a_page_and_login_hint_picks_the_user() {
    let idp = auto().await;
    let a = idp.get(&params(&[])).await;
    assert_eq!(a.status, 302);
    let (_, body) = idp.redeem(&a.param("code").expect("code"), &[]).await;
    assert_eq!(claims(body["id_token"].as_str().unwrap_or(""))["preferred_username"], "admin");
    let v = idp.get(&params(&[("login_hint", "viewer")])).await;
    let (_, body) = idp.redeem(&v.param("code").expect("code"), &[]).await;
    assert_eq!(claims(body["id_token"].as_str().unwrap_or(""))["preferred_username"], "viewer");
}

#[tokio::test]
async fn p99_prompt_none_login_and_max_age() {
    let idp = start(builder()).await;
    assert_redirect_error(&idp.browse(&params(&[("prompt", "none")])).await, "login_required");
    assert_redirect_error(&idp.browse(&params(&[("prompt", "none login")])).await, "invalid_request");
    let ok = idp.login(&params(&[]), "admin", "admin-pass").await;
    assert!(ok.param("code").is_some());
    assert!(idp.browse(&params(&[("prompt", "none")])).await.param("code").is_some());
    // prompt=login and max_age=0 show the page although a session exists.
    for forced in [("prompt", "login"), ("max_age", "0")] {
        let page = idp.browse(&params(&[forced])).await;
        assert_eq!(page.status, 200, "{forced:?}: {page:?}");
        assert!(page.body.contains("type=\"password\""));
        // Logging in on that page completes the request (the forced login is this one).
        idp.tenant().clock().advance(5.0);
        let done = idp
            .submit(&page, &[("username", "admin"), ("password", "admin-pass"), ("action", "login")])
            .await;
        let (status, body) = idp
            .redeem(&done.param("code").unwrap_or_else(|| panic!("{forced:?}: {done:?}")), &[])
            .await;
        assert_eq!(status, 200, "{body}");
        let auth_time = claims(body["id_token"].as_str().unwrap_or(""))["auth_time"].as_i64().unwrap_or(0);
        assert!(auth_time >= idp.tenant().clock().now() - 1, "a new login has a new auth_time");
    }
    // A session older than max_age forces a login; a younger one does not, and auth_time is sent.
    idp.tenant().clock().advance(120.0);
    let young = idp.browse(&params(&[("max_age", "3600")])).await;
    let (_, body) = idp.redeem(&young.param("code").expect("code"), &[]).await;
    assert!(claims(body["id_token"].as_str().unwrap_or("")).get("auth_time").is_some());
    let old = idp.browse(&params(&[("max_age", "60")])).await;
    assert_eq!(old.status, 200, "{old:?}");
    assert_redirect_error(
        &idp.browse(&params(&[("max_age", "60"), ("prompt", "none")])).await,
        "login_required",
    );
    assert_redirect_error(&idp.browse(&params(&[("max_age", "soon")])).await, "invalid_request");
}

#[tokio::test]
async fn p100_hints_and_locale_parameters_are_accepted_request_objects_are_not() {
    let idp = start(builder()).await;
    let page = idp.browse(&params(&[("login_hint", "viewer")])).await;
    assert!(page.body.contains("value=\"viewer\""), "login_hint prefills: {}", page.body);
    let auto = auto().await;
    let extra = [
        ("display", "popup"),
        ("ui_locales", "de en"),
        ("claims_locales", "de"),
        ("acr_values", "urn:mace:incommon:iap:silver"),
        ("frobnicate", "yes"),
    ];
    assert!(auto.get(&params(&extra)).await.param("code").is_some());
    assert_redirect_error(
        &auto.get(&params(&[("request", "eyJhbGciOiJub25lIn0.e30.")])).await,
        "request_not_supported",
    );
    assert_redirect_error(
        &auto.get(&params(&[("request_uri", "https://rp.example/r")])).await,
        "request_uri_not_supported",
    );
}

#[tokio::test]
async fn p100_id_token_hint_must_be_this_issuers_even_expired() {
    let idp = auto().await;
    let a = idp.get(&params(&[("response_type", "id_token"), ("nonce", "n")])).await;
    let hint = a.param("id_token").expect("id_token");
    idp.tenant().clock().advance(100_000.0);
    assert!(
        idp.get(&params(&[("id_token_hint", &hint)])).await.param("code").is_some(),
        "expired hint accepted"
    );
    let mut forged = hint.clone();
    forged.truncate(hint.len() - 4);
    forged.push_str("AAAA");
    assert_redirect_error(&idp.get(&params(&[("id_token_hint", &forged)])).await, "invalid_request");
    let other = start(auto_builder().configure(|t| t.key_seed = Some("another".into()))).await;
    let foreign = other
        .get(&params(&[("response_type", "id_token"), ("nonce", "n")]))
        .await
        .param("id_token")
        .expect("id_token");
    assert_redirect_error(&idp.get(&params(&[("id_token_hint", &foreign)])).await, "invalid_request");
}

#[tokio::test]
async fn p100_a_session_of_another_user_than_the_id_token_hint_does_not_count() {
    let idp = start(builder()).await;
    let implicit = params(&[("response_type", "id_token"), ("nonce", "n")]);
    let viewer_hint = idp
        .login(&implicit, "viewer", "viewer-pass")
        .await
        .param("id_token")
        .expect("id_token");
    // A new browser, logged in as admin.
    let admin = Idp { browser: browser(), ..idp };
    let admin_hint = admin
        .login(&implicit, "admin", "admin-pass")
        .await
        .param("id_token")
        .expect("id_token");
    let none = |hint: &str| params(&[("prompt", "none"), ("id_token_hint", hint)]);
    assert_redirect_error(&admin.browse(&none(&viewer_hint)).await, "login_required");
    assert!(admin.browse(&none(&admin_hint)).await.param("code").is_some());
}

fn user(name: &str, status: Option<UserStatus>) -> UserConfig {
    UserConfig {
        username: name.into(),
        password: format!("{name}-pass").into(),
        status,
        otp: Some("123456".into()),
        ..UserConfig::default()
    }
}

#[tokio::test]
async fn p152_flagged_logins_show_the_page_again_until_cancel() {
    let idp = start(
        builder()
            .user(user("locked", Some(UserStatus::Locked)))
            .user(user("disabled", Some(UserStatus::Disabled)))
            .user(user("expired", Some(UserStatus::PasswordExpired))),
    )
    .await;
    for (name, text) in [
        ("locked", "Account is locked"),
        ("disabled", "Account is disabled"),
        ("expired", "Password has expired"),
    ] {
        let a = idp.login(&params(&[]), name, &format!("{name}-pass")).await;
        assert_eq!(a.status, 200, "{name}: {a:?}");
        assert!(a.location.is_none());
        assert!(a.body.contains(text), "{name}: {}", a.body);
        let cancelled = idp.submit(&a, &[("action", "cancel")]).await;
        assert_redirect_error(&cancelled, "access_denied");
        assert_eq!(cancelled.param("state").as_deref(), Some("s-123"));
    }
    assert!(idp.login(&params(&[]), "admin", "admin-pass").await.param("code").is_some());
}

#[tokio::test]
async fn p152_mfa_step_accepts_only_the_configured_code() {
    let idp = start(builder().user(user("mfa", Some(UserStatus::MfaRequired)))).await;
    let step = idp.login(&params(&[]), "mfa", "mfa-pass").await;
    assert_eq!(step.status, 200);
    assert!(step.body.contains("name=\"otp\""), "{}", step.body);
    let wrong = idp.submit(&step, &[("otp", "000000"), ("action", "login")]).await;
    assert_eq!(wrong.status, 200);
    assert!(wrong.body.contains("one-time code is not correct"), "{}", wrong.body);
    let ok = idp.submit(&wrong, &[("otp", "123456"), ("action", "login")]).await;
    let (status, body) = idp.redeem(&ok.param("code").unwrap_or_else(|| panic!("{ok:?}")), &[]).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn p152_consent_denied_redirects_with_access_denied() {
    let idp = start(builder().user(user("refuser", Some(UserStatus::ConsentDenied)))).await;
    assert_redirect_error(&idp.login(&params(&[]), "refuser", "refuser-pass").await, "access_denied");
    assert!(idp.login(&params(&[]), "admin", "admin-pass").await.param("code").is_some());
}

#[tokio::test]
async fn p152_prompt_none_maps_flags_to_interaction_and_login_required() {
    let idp = start(builder().user(user("mfa", Some(UserStatus::MfaRequired)))).await;
    let mfa = idp.browse(&params(&[("prompt", "none"), ("login_hint", "mfa")])).await;
    assert_redirect_error(&mfa, "interaction_required");
    assert!(idp.login(&params(&[]), "admin", "admin-pass").await.param("code").is_some());
    assert!(idp.browse(&params(&[("prompt", "none")])).await.param("code").is_some());
    for status in [UserStatus::Locked, UserStatus::Disabled] {
        set_status(&idp, "admin", Some(status));
        assert_redirect_error(&idp.browse(&params(&[("prompt", "none")])).await, "login_required");
    }
    set_status(&idp, "admin", None);
    assert!(idp.browse(&params(&[("prompt", "none")])).await.param("code").is_some());
}

fn set_status(idp: &Idp, name: &str, status: Option<UserStatus>) {
    let tenant = idp.tenant();
    let mut accounts = tenant.accounts_mut();
    let u = accounts.users.get_mut(name).expect("user exists");
    u.config.status = status;
}

// ---------------------------------------------------------------- P64-P68, P55

#[tokio::test]
async fn p64_p67_redirect_uri_must_be_identical_at_the_token_endpoint() {
    let idp = auto().await;
    let code = idp.code(&[]).await;
    for (changes, why) in [
        (vec![("redirect_uri", "")], "missing"),
        (vec![("redirect_uri", "http://127.0.0.1:4568/callback")], "different"),
    ] {
        let (status, body) = idp.redeem(&code, &changes).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{why}: {body}");
    }
    let (status, body) = idp.redeem(&code, &[]).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn p67_code_is_bound_to_its_client() {
    let idp = auto().await;
    let code = idp.get(&idp.web(&[])).await.param("code").expect("code");
    let (status, body) = idp.redeem(&code, &[("code_verifier", "")]).await; // weaviate presents web's code
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    let (status, body) = idp.redeem_web(&code, &[("client_secret", "wrong")]).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "{body}");
    let (status, body) = idp.redeem_web(&code, &[]).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn p65_code_expires_on_the_tenant_clock() {
    let idp = auto().await;
    let fresh = idp.code(&[]).await;
    let stale = idp.code(&[]).await;
    idp.tenant().clock().advance(59.0);
    assert_eq!(idp.redeem(&fresh, &[]).await.0, 200);
    idp.tenant().clock().advance(2.0);
    let (status, body) = idp.redeem(&stale, &[]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    let (status, body) = idp.redeem("not-a-code", &[]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
}

#[tokio::test]
async fn p66_code_reuse_gets_invalid_grant_and_revokes_the_first_tokens() {
    let idp = auto().await;
    let code = idp.code(&[]).await;
    let (status, first) = idp.redeem(&code, &[]).await;
    assert_eq!(status, 200, "{first}");
    assert!(first.get("refresh_token").is_some());
    let at_jti = claims(first["access_token"].as_str().unwrap_or(""))["jti"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let id_jti = claims(first["id_token"].as_str().unwrap_or(""))["jti"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert!(!idp.tenant().grants().revoked_jtis.contains(&at_jti));
    let (status, second) = idp.redeem(&code, &[]).await;
    assert_eq!((status, second["error"].as_str()), (400, Some("invalid_grant")), "{second}");
    let store_ref = idp.tenant();
    let store = store_ref.grants();
    assert!(store.revoked_jtis.contains(&at_jti) && store.revoked_jtis.contains(&id_jti));
    assert!(store.refresh.is_empty(), "the refresh token of the first redemption is gone");
}

/// R11: 100 concurrent redemptions of one code: exactly one success, 99 `invalid_grant`, every
/// request answered once.
#[tokio::test]
async fn p55_r11_a_hundred_parallel_redemptions_of_one_code_give_one_success() {
    let idp = auto().await;
    let code = idp.code(&[]).await;
    let url = idp.env.endpoint("token_endpoint").await;
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let (http, url, code) = (idp.env.http.clone(), url.clone(), code.clone());
        set.spawn(async move {
            let form = [
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", CB),
                ("client_id", "weaviate"),
                ("code_verifier", VERIFIER),
            ];
            let resp = http.post(url).form(&form).send().await.expect("token answers");
            let status = resp.status().as_u16();
            let body: serde_json::Value = resp.json().await.expect("a JSON answer");
            (status, body)
        });
    }
    let mut answers = Vec::new();
    while let Some(a) = set.join_next().await {
        answers.push(a.expect("task finished"));
    }
    assert_eq!(answers.len(), 100);
    let wins: Vec<_> = answers.iter().filter(|(s, _)| *s == 200).collect();
    assert_eq!(wins.len(), 1, "{answers:?}");
    assert!(wins[0].1["access_token"].is_string(), "{:?}", wins[0]);
    let refused = answers.iter().filter(|(s, b)| *s == 400 && b["error"] == "invalid_grant").count();
    assert_eq!(refused, 99, "{answers:?}");
}

// ---------------------------------------------------------------- P69-P75

#[tokio::test]
async fn p69_p70_p71_challenge_checks_at_authorize() {
    let idp = auto().await;
    let plain = "p".repeat(43);
    for changes in [
        vec![("code_challenge_method", "S512")],
        vec![("code_challenge", "short")],
        vec![("code_challenge", &*format!("{}!", "a".repeat(43)))],
        vec![("code_challenge", &*"a".repeat(129))],
        vec![("code_challenge", ""), ("code_challenge_method", "")], // P71: public client
        vec![("code_challenge", "")],
    ] {
        assert_redirect_error(&idp.get(&params(&changes)).await, "invalid_request");
    }
    // Missing method means plain (RFC 7636 §4.3), accepted while plain is enabled.
    let code = idp.code(&[("code_challenge", &plain), ("code_challenge_method", "")]).await;
    assert_eq!(idp.redeem(&code, &[("code_verifier", &plain)]).await.0, 200);
    // A confidential client that does not require PKCE may go without.
    let code = idp.get(&idp.web(&[])).await.param("code").expect("code");
    assert_eq!(idp.redeem_web(&code, &[]).await.0, 200);
    // Plain disabled: refused; S256 still fine.
    let strict = start(auto_builder().configure(|t| t.pkce_plain = false)).await;
    let a = strict
        .get(&params(&[("code_challenge", &plain), ("code_challenge_method", "plain")]))
        .await;
    assert_redirect_error(&a, "invalid_request");
    assert!(strict.get(&params(&[])).await.param("code").is_some());
}

#[tokio::test]
async fn p72_verifier_syntax_and_match() {
    let idp = auto().await;
    let code = idp.code(&[]).await;
    let bad_char = format!("{}+", &VERIFIER[..42]);
    for v in [&VERIFIER[..42], bad_char.as_str(), "a".repeat(129).as_str(), &"x".repeat(43)] {
        let (status, body) = idp.redeem(&code, &[("code_verifier", v)]).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{v}: {body}");
    }
    assert_eq!(idp.redeem(&code, &[]).await.0, 200);
    // plain: the verifier must equal the challenge.
    let plain = "~".repeat(60);
    let code = idp.code(&[("code_challenge", &plain), ("code_challenge_method", "plain")]).await;
    assert_eq!(idp.redeem(&code, &[("code_verifier", &"~".repeat(61))]).await.0, 400);
    assert_eq!(idp.redeem(&code, &[("code_verifier", &plain)]).await.0, 200);
}

#[tokio::test]
async fn p73_downgrades_are_refused() {
    let idp = auto().await;
    let code = idp.code(&[]).await;
    let (status, body) = idp.redeem(&code, &[("code_verifier", "")]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    assert_eq!(idp.redeem(&code, &[]).await.0, 200);
    let code = idp.get(&idp.web(&[])).await.param("code").expect("code");
    let (status, body) = idp.redeem_web(&code, &[("code_verifier", VERIFIER)]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    assert_eq!(idp.redeem_web(&code, &[]).await.0, 200);
}

#[tokio::test]
async fn p74_rfc7636_appendix_b_pair_round_trips() {
    assert_eq!(B64.encode(Sha256::digest(VERIFIER.as_bytes())), CHALLENGE);
    let idp = auto().await;
    let code = idp.code(&[("code_challenge", CHALLENGE), ("code_challenge_method", "S256")]).await;
    let (status, body) = idp.redeem(&code, &[("code_verifier", VERIFIER)]).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn p75_valid_pkce_works_for_a_client_that_does_not_require_it() {
    let idp = auto().await;
    let code = idp
        .get(&idp.web(&[("code_challenge", CHALLENGE), ("code_challenge_method", "S256")]))
        .await
        .param("code")
        .expect("code");
    let (status, body) = idp.redeem_web(&code, &[("code_verifier", VERIFIER)]).await;
    assert_eq!(status, 200, "{body}");
}

// ---------------------------------------------------------------- P117

#[tokio::test]
async fn p117_end_session_redirects_to_a_registered_uri_with_state_and_ends_the_session() {
    let idp = start(builder()).await;
    let logout = idp.env.endpoint("end_session_endpoint").await;
    let ok = idp
        .login(&params(&[("response_type", "id_token"), ("nonce", "n")]), "admin", "admin-pass")
        .await;
    let hint = ok.param("id_token").expect("id_token");
    assert!(idp.browse(&params(&[("prompt", "none")])).await.param("code").is_some());
    // Unregistered: an error page, no redirect, and the session stays.
    let bad = [
        ("id_token_hint", hint.as_str()),
        ("post_logout_redirect_uri", "http://evil.example/"),
        ("state", "st"),
    ];
    let refused = Answer::of(idp.browser.get(&logout).query(&bad).send().await.expect("answers")).await;
    assert_shown(&refused, "invalid_request");
    assert!(idp.browse(&params(&[("prompt", "none")])).await.param("code").is_some());
    // Registered: redirect with state, session gone, cookie expired.
    let good = [
        ("id_token_hint", hint.as_str()),
        ("post_logout_redirect_uri", "http://127.0.0.1/"),
        ("state", "st 1"),
    ];
    let out = Answer::of(idp.browser.get(&logout).query(&good).send().await.expect("answers")).await;
    assert_eq!(out.status, 302, "{out:?}");
    assert!(out.location.as_deref().is_some_and(|l| l.starts_with("http://127.0.0.1/?")));
    assert_eq!(out.query.get("state").map(String::as_str), Some("st 1"));
    assert!(out
        .cookies()
        .iter()
        .any(|c| c.starts_with("mock_idp_session=;") && c.contains("Max-Age=0")));
    assert!(idp.tenant().grants().sessions.is_empty());
    assert_redirect_error(&idp.browse(&params(&[("prompt", "none")])).await, "login_required");
}

#[tokio::test]
async fn p117_end_session_by_client_id_via_post_and_the_signed_out_page() {
    let idp = start(builder()).await;
    let logout = idp.env.endpoint("end_session_endpoint").await;
    let form = [("client_id", WEB), ("post_logout_redirect_uri", "https://app.example/bye")];
    let out = Answer::of(idp.browser.post(&logout).form(&form).send().await.expect("answers")).await;
    assert_eq!(out.location.as_deref(), Some("https://app.example/bye"));
    let wrong_client = [("client_id", "weaviate"), ("post_logout_redirect_uri", "https://app.example/bye")];
    let refused = Answer::of(idp.browser.post(&logout).form(&wrong_client).send().await.expect("answers")).await;
    assert_shown(&refused, "invalid_request");
    let page = Answer::of(idp.browser.get(&logout).send().await.expect("answers")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Signed out"));
}

// ---------------------------------------------------------------- P15, P16

#[tokio::test]
async fn p15_p16_every_advertised_response_type_and_mode_works_end_to_end() {
    let idp = auto().await;
    let doc = idp.env.discovery().await;
    let types: Vec<String> = serde_json::from_value(doc["response_types_supported"].clone()).expect("a list");
    let modes: Vec<String> = serde_json::from_value(doc["response_modes_supported"].clone()).expect("a list");
    assert!(!types.is_empty() && !modes.is_empty());
    for rt in &types {
        for mode in &modes {
            let a = idp
                .get(&params(&[("response_type", rt), ("response_mode", mode), ("nonce", "n")]))
                .await;
            if rt.contains("id_token") && mode == "query" {
                // P91: the one combination the spec refuses, in the fragment.
                assert_eq!(a.fragment.get("error").map(String::as_str), Some("invalid_request"), "{rt}/{mode}");
                continue;
            }
            let p = a.params();
            assert!(!p.contains_key("error"), "{rt}/{mode}: {a:?}");
            match mode.as_str() {
                "query" => assert!(a.query.contains_key("state") && a.fragment.is_empty(), "{rt}/{mode}"),
                "fragment" => assert!(a.fragment.contains_key("state") && a.query.is_empty(), "{rt}/{mode}"),
                _ => assert_eq!(a.status, 200, "{rt}/{mode}"),
            }
            if rt.contains("id_token") {
                let c = claims(p.get("id_token").unwrap_or_else(|| panic!("{rt}/{mode}: no id_token")));
                assert_eq!(c["nonce"], "n");
            }
            if rt.contains("code") {
                let code = p.get("code").unwrap_or_else(|| panic!("{rt}/{mode}: no code"));
                let (status, body) = idp.redeem(code, &[]).await;
                assert_eq!(status, 200, "{rt}/{mode}: {body}");
            }
        }
    }
}

#[tokio::test]
async fn p150_login_page_applies_fail_next_and_lockout_like_the_password_grant() {
    let mut flaky = user("flaky", None);
    flaky.fail_next = Some(1);
    let idp = start(builder().user(flaky).configure(|t| t.lockout_after = Some(2))).await;
    // prompt=login shows the page even when an earlier login left a session cookie.
    let force = params(&[("prompt", "login")]);
    // fail_next: the first correct login fails with its own text, the next one works.
    let first = idp.login(&force, "flaky", "flaky-pass").await;
    assert_eq!(first.status, 200, "{first:?}");
    assert!(
        first.location.is_none() && !first.body.contains("Invalid user credentials"),
        "{}",
        first.body
    );
    assert!(idp.login(&force, "flaky", "flaky-pass").await.param("code").is_some());
    // Lockout: two wrong passwords, then even the right one is refused on the page.
    for _ in 0..2 {
        assert!(idp.login(&force, "viewer", "wrong").await.body.contains("Invalid user credentials"));
    }
    let locked = idp.login(&force, "viewer", "viewer-pass").await;
    assert!(locked.location.is_none(), "a locked-out user must not be redirected: {locked:?}");
    assert!(idp.login(&force, "admin", "admin-pass").await.param("code").is_some());
}
