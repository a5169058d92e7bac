//! The honesty self-check (P26): every capability a provider's discovery document advertises,
//! exercised over HTTP against the running provider. It never reads the provider's code or
//! state, only what a relying party sees, so it can check any OpenID provider.
//!
//! Capabilities and what proves each one:
//! - `grant_type`: a successful grant whose tokens verify against the JWKS.
//! - `token_endpoint_auth_method`: the confidential client (or, for `none`, the public one)
//!   gets tokens while authenticating that way.
//! - `id_token_signing_alg`: a token minted with that `alg` (`POST {issuer}/_mock/mint`) verifies
//!   against the JWKS; without a mint endpoint, only the alg that flow tokens use can be proven.
//! - `response_type` x `response_mode`: a full authorization request (logging in through the
//!   HTML form when the provider shows one), the response found where the mode puts it, the
//!   ID token's `nonce` and `c_hash`, and the code redeemed.
//! - `code_challenge_method`: the right verifier redeems a code and a wrong one is refused.
//!
//! Anything the self-check cannot exercise is a skipped row with its reason, never a pass.

use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rand::RngCore;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION};
use reqwest::{Response, Url};
use serde_json::{json, Value};
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::report::{Outcome, Report, Row};

/// Accounts the self-check signs in with; the default is the built-in configuration's.
#[derive(Clone)]
pub struct Credentials {
    /// A user who can log in with a password.
    pub username: String,
    /// That user's password.
    pub password: String,
    /// A public client allowed the password grant and the authorization endpoint.
    pub public_client: String,
    /// A redirect URI registered for the public client.
    pub redirect_uri: String,
    /// A confidential client allowed client credentials.
    pub confidential_client: String,
    /// Its secret.
    pub confidential_secret: String,
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            username: "admin".into(),
            password: "admin-pass".into(),
            public_client: "weaviate".into(),
            redirect_uri: "http://127.0.0.1/callback".into(),
            confidential_client: "ci-runner".into(),
            confidential_secret: "ci-runner-secret".into(),
        }
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .field("public_client", &self.public_client)
            .field("redirect_uri", &self.redirect_uri)
            .field("confidential_client", &self.confidential_client)
            .field("confidential_secret", &"[redacted]")
            .finish()
    }
}

/// Runs the self-check against the provider whose discovery document is at `discovery_url`.
pub async fn self_check(discovery_url: &str, creds: &Credentials) -> Report {
    self_check_with(discovery_url, creds, |_| {}).await
}

/// Like [`self_check`], calling `on_row` after each check (for progress output).
pub async fn self_check_with(discovery_url: &str, creds: &Credentials, mut on_row: impl FnMut(&Row)) -> Report {
    let mut report = Report::default();
    let mut push = |report: &mut Report, row: Row| {
        on_row(&row);
        report.rows.push(row);
    };
    let started = Instant::now();
    let provider = match Provider::discover(discovery_url, creds).await {
        Ok(p) => {
            push(&mut report, row("discovery", Ok(()), started));
            p
        }
        Err(o) => {
            push(&mut report, row("discovery", Err(o), started));
            return report;
        }
    };
    let p = &provider;

    for g in p.list("grant_types_supported", &["authorization_code", "implicit"]) {
        let r = timed(format!("grant_type {g}"), p.grant_type(&g)).await;
        push(&mut report, r);
    }
    for m in p.list("token_endpoint_auth_methods_supported", &["client_secret_basic"]) {
        let r = timed(format!("token_endpoint_auth_method {m}"), p.auth_method(&m)).await;
        push(&mut report, r);
    }
    for alg in p.list("id_token_signing_alg_values_supported", &[]) {
        let r = timed(format!("id_token_signing_alg {alg}"), p.signing_alg(&alg)).await;
        push(&mut report, r);
    }
    let modes = p.list("response_modes_supported", &["query", "fragment"]);
    for rt in p.list("response_types_supported", &[]) {
        let has_id_token = rt.split(' ').any(|w| w == "id_token");
        for mode in &modes {
            if mode == "query" && has_id_token {
                // Not a valid combination (P91): the provider must refuse it, so it is no capability.
                continue;
            }
            let r = timed(format!("response_type {rt:?} response_mode {mode}"), p.response(&rt, mode)).await;
            push(&mut report, r);
        }
    }
    for m in p.list("code_challenge_methods_supported", &[]) {
        let r = timed(format!("code_challenge_method {m}"), p.pkce_method(&m)).await;
        push(&mut report, r);
    }
    report
}

/// A check's failure or skip, carried by `?`.
type Step<T> = Result<T, Outcome>;

fn fail<T>(why: impl Into<String>) -> Step<T> {
    Err(Outcome::Fail(why.into()))
}

fn row(check: &str, result: Step<()>, started: Instant) -> Row {
    Row {
        check: check.to_owned(),
        outcome: result.err().unwrap_or(Outcome::Pass),
        duration: started.elapsed(),
    }
}

async fn timed(check: String, f: impl Future<Output = Step<()>>) -> Row {
    let started = Instant::now();
    let result = f.await;
    row(&check, result, started)
}

/// How a token request authenticates its client.
enum ClientAuth<'a> {
    Basic(&'a str, &'a str),
    Post(&'a str, &'a str),
    None(&'a str),
}

/// What the self-check knows about the provider: discovery, JWKS and an HTTP client.
struct Provider {
    http: reqwest::Client,
    meta: Value,
    issuer: String,
    jwks: JwkSet,
    creds: Credentials,
}

impl Provider {
    async fn discover(url: &str, creds: &Credentials) -> Step<Provider> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| Outcome::Fail(format!("cannot build an HTTP client: {e}")))?;
        let resp = http.get(url).send().await.map_err(|e| Outcome::Fail(format!("GET {url}: {e}")))?;
        if !resp.status().is_success() {
            return fail(format!("GET {url} answered {}", resp.status()));
        }
        let meta: Value = resp
            .json()
            .await
            .map_err(|e| Outcome::Fail(format!("discovery is not JSON: {e}")))?;
        for member in ["issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"] {
            if !meta[member].is_string() {
                return fail(format!("discovery has no {member}"));
            }
        }
        let issuer = meta["issuer"].as_str().unwrap_or_default().to_owned();
        let expected = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
        if expected != url {
            return fail(format!("issuer {issuer} does not match the discovery URL {url} (Discovery §4.3)"));
        }
        let jwks_uri = meta["jwks_uri"].as_str().unwrap_or_default();
        let jwks: JwkSet = http
            .get(jwks_uri)
            .send()
            .await
            .map_err(|e| Outcome::Fail(format!("GET {jwks_uri}: {e}")))?
            .json()
            .await
            .map_err(|e| Outcome::Fail(format!("the JWKS does not parse: {e}")))?;
        Ok(Provider {
            http,
            meta,
            issuer,
            jwks,
            creds: creds.clone(),
        })
    }

    /// A string list from discovery, or the spec's default when the member is absent.
    fn list(&self, member: &str, default: &[&str]) -> Vec<String> {
        match self.meta[member].as_array() {
            Some(a) => a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
            None => default.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn endpoint(&self, name: &str) -> Step<&str> {
        self.meta[name]
            .as_str()
            .ok_or_else(|| Outcome::Fail(format!("discovery has no {name}")))
    }

    fn supports(&self, member: &str, value: &str) -> bool {
        self.list(member, &[]).iter().any(|v| v == value)
    }

    // ---- capabilities --------------------------------------------------------------------

    async fn grant_type(&self, grant: &str) -> Step<()> {
        match grant {
            "password" => self.password(ClientAuth::None(&self.creds.public_client), "openid").await.map(drop),
            "client_credentials" => self.client_credentials(true).await,
            "refresh_token" => self.refresh().await,
            "authorization_code" => self.response("code", "query").await,
            "implicit" => self.response("id_token", "fragment").await,
            other => Err(Outcome::Skip(format!("the self-check has no check for grant type {other}"))),
        }
    }

    async fn auth_method(&self, method: &str) -> Step<()> {
        match method {
            "client_secret_basic" => self.client_credentials(true).await,
            "client_secret_post" => self.client_credentials(false).await,
            "none" => self.password(ClientAuth::None(&self.creds.public_client), "openid").await.map(drop),
            other => Err(Outcome::Skip(format!("the self-check has no credentials for {other}"))),
        }
    }

    async fn signing_alg(&self, alg: &str) -> Step<()> {
        if alg == "none" || alg.starts_with("HS") {
            return fail(format!("{alg} must never be advertised (P20)"));
        }
        let mint_url = format!("{}/_mock/mint", self.issuer.trim_end_matches('/'));
        let resp = self
            .http
            .post(&mint_url)
            .json(&json!({ "alg": alg }))
            .send()
            .await
            .map_err(|e| Outcome::Fail(format!("POST {mint_url}: {e}")))?;
        let status = resp.status();
        if status.is_success() {
            let body: Value = resp
                .json()
                .await
                .map_err(|e| Outcome::Fail(format!("mint answered non-JSON: {e}")))?;
            let mut seen = 0;
            for name in ["id_token", "access_token"] {
                if let Some(t) = body[name].as_str() {
                    let (header_alg, _) = self.verify(t, None).map_err(|o| prefix(o, name))?;
                    if header_alg != alg {
                        return fail(format!("asked mint for {alg}, got a {name} signed with {header_alg}"));
                    }
                    seen += 1;
                }
            }
            return if seen > 0 { Ok(()) } else { fail("mint returned no token") };
        }
        // No mint endpoint: flow tokens prove the alg they are signed with, and nothing else.
        let tokens = self.password(ClientAuth::None(&self.creds.public_client), "openid").await?;
        let flow_alg = jsonwebtoken::decode_header(tokens["access_token"].as_str().unwrap_or_default())
            .map(|h| alg_name(h.alg))
            .unwrap_or_default();
        if flow_alg == alg {
            Ok(())
        } else {
            fail(format!(
                "cannot obtain a token signed with {alg}: mint answered {status} and flow tokens use {flow_alg}"
            ))
        }
    }

    async fn pkce_method(&self, method: &str) -> Step<()> {
        if !self.supports("response_types_supported", "code") {
            return Err(Outcome::Skip("PKCE needs response_type code, which is not advertised".into()));
        }
        // A wrong verifier must be refused...
        let verifier = random_token();
        let wrong = self.code_flow("code", None, Some((&verifier, method))).await?;
        let body = self.redeem(&wrong.code, Some(&random_token())).await;
        match body {
            Err(Outcome::Fail(why)) if why.contains("invalid_grant") => {}
            Err(other) => return Err(other),
            Ok(_) => return fail(format!("a wrong {method} verifier redeemed a code")),
        }
        // ...and the right one accepted.
        let right = self.code_flow("code", None, Some((&verifier, method))).await?;
        let tokens = self.redeem(&right.code, Some(&verifier)).await?;
        self.check_tokens(&tokens, &self.creds.public_client, Some(&right.nonce))
    }

    /// One authorization request with `response_type` and `response_mode`, checked end to end.
    async fn response(&self, response_type: &str, mode: &str) -> Step<()> {
        let has_code = response_type.split(' ').any(|w| w == "code");
        let has_id_token = response_type.split(' ').any(|w| w == "id_token");
        let verifier = random_token();
        let pkce = if has_code && self.supports("code_challenge_methods_supported", "S256") {
            Some((verifier.as_str(), "S256"))
        } else {
            None
        };
        let flow = self.code_flow(response_type, Some(mode), pkce).await?;
        if has_id_token {
            let front = flow
                .params
                .get("id_token")
                .ok_or_else(|| Outcome::Fail("no id_token in the authorization response".into()))?;
            let (alg, claims) = self
                .verify(front, Some(&self.creds.public_client))
                .map_err(|o| prefix(o, "front-channel id_token"))?;
            if claims["nonce"].as_str() != Some(flow.nonce.as_str()) {
                return fail("the front-channel id_token does not carry the request's nonce (P89)");
            }
            if has_code {
                let c_hash = half_hash(&alg, &flow.code)?;
                if claims["c_hash"].as_str() != Some(c_hash.as_str()) {
                    return fail(format!("c_hash is {} but the code hashes to {c_hash} (P94, P97)", claims["c_hash"]));
                }
            }
        }
        if has_code {
            let tokens = self.redeem(&flow.code, pkce.map(|(v, _)| v)).await?;
            self.check_tokens(&tokens, &self.creds.public_client, Some(&flow.nonce))?;
        }
        if !has_code && !has_id_token {
            return Err(Outcome::Skip(format!(
                "the self-check has no check for response type {response_type}"
            )));
        }
        Ok(())
    }

    // ---- grants ------------------------------------------------------------------------

    async fn password(&self, auth: ClientAuth<'_>, scope: &str) -> Step<Value> {
        let c = &self.creds;
        let tokens = self
            .token(
                &[
                    ("grant_type", "password"),
                    ("username", &c.username),
                    ("password", &c.password),
                    ("scope", scope),
                ],
                auth,
            )
            .await?;
        self.check_tokens(&tokens, &c.public_client, None)?;
        Ok(tokens)
    }

    async fn client_credentials(&self, basic: bool) -> Step<()> {
        let c = &self.creds;
        let auth = if basic {
            ClientAuth::Basic(&c.confidential_client, &c.confidential_secret)
        } else {
            ClientAuth::Post(&c.confidential_client, &c.confidential_secret)
        };
        let tokens = self.token(&[("grant_type", "client_credentials")], auth).await?;
        let at = tokens["access_token"]
            .as_str()
            .ok_or_else(|| Outcome::Fail("no access_token".into()))?;
        self.verify(at, None).map_err(|o| prefix(o, "access_token"))?;
        if tokens.get("refresh_token").is_some() {
            return fail("client credentials returned a refresh token (P61)");
        }
        Ok(())
    }

    async fn refresh(&self) -> Step<()> {
        let first = self
            .password(ClientAuth::None(&self.creds.public_client), "openid offline_access")
            .await?;
        let rt = first["refresh_token"]
            .as_str()
            .ok_or_else(|| Outcome::Fail("the password grant with offline_access returned no refresh_token".into()))?;
        let second = self
            .token(
                &[("grant_type", "refresh_token"), ("refresh_token", rt)],
                ClientAuth::None(&self.creds.public_client),
            )
            .await?;
        self.check_tokens(&second, &self.creds.public_client, None)
    }

    async fn redeem(&self, code: &str, verifier: Option<&str>) -> Step<Value> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.creds.redirect_uri.as_str()),
        ];
        if let Some(v) = verifier {
            form.push(("code_verifier", v));
        }
        self.token(&form, ClientAuth::None(&self.creds.public_client)).await
    }

    /// POSTs a token request; a non-200 answer fails with the status and the OAuth error.
    async fn token(&self, form: &[(&str, &str)], auth: ClientAuth<'_>) -> Step<Value> {
        let url = self.endpoint("token_endpoint")?;
        let mut form: Vec<(&str, &str)> = form.to_vec();
        let mut req = self.http.post(url);
        match auth {
            ClientAuth::Basic(id, secret) => {
                let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
                let b = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", enc(id), enc(secret)));
                req = req.header(AUTHORIZATION, format!("Basic {b}"));
            }
            ClientAuth::Post(id, secret) => {
                form.push(("client_id", id));
                form.push(("client_secret", secret));
            }
            ClientAuth::None(id) => form.push(("client_id", id)),
        }
        let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let resp = req
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| Outcome::Fail(format!("POST {url}: {e}")))?;
        let status = resp.status();
        let json: Value = resp.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            return fail(format!(
                "token endpoint answered {status}: {} {}",
                json["error"].as_str().unwrap_or("(no error code)"),
                json["error_description"].as_str().unwrap_or("")
            ));
        }
        Ok(json)
    }

    /// Checks a token response: a verifiable access token, and an ID token for `client_id`
    /// with the expected nonce (or none) and a matching `at_hash`.
    fn check_tokens(&self, tokens: &Value, client_id: &str, nonce: Option<&str>) -> Step<()> {
        let at = tokens["access_token"]
            .as_str()
            .ok_or_else(|| Outcome::Fail("no access_token in the token response".into()))?;
        if !tokens["token_type"].as_str().is_some_and(|t| t.eq_ignore_ascii_case("bearer")) {
            return fail(format!("token_type is {}, not Bearer", tokens["token_type"]));
        }
        self.verify(at, None).map_err(|o| prefix(o, "access_token"))?;
        let Some(id_token) = tokens["id_token"].as_str() else {
            return fail("no id_token although openid was requested");
        };
        let (alg, claims) = self.verify(id_token, Some(client_id)).map_err(|o| prefix(o, "id_token"))?;
        if claims["nonce"].as_str() != nonce {
            return fail(format!("id_token nonce is {}, expected {nonce:?}", claims["nonce"]));
        }
        if let Some(at_hash) = claims["at_hash"].as_str() {
            let expected = half_hash(&alg, at)?;
            if at_hash != expected {
                return fail(format!("at_hash is {at_hash} but the access token hashes to {expected} (P97)"));
            }
        }
        Ok(())
    }

    /// Verifies a JWS against the JWKS: advertised alg, known key, signature, `iss`, `exp` and,
    /// when given, `aud`. Returns the alg and the claims.
    fn verify(&self, token: &str, audience: Option<&str>) -> Step<(String, Value)> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| Outcome::Fail(format!("not a JWS: {e}")))?;
        let alg = alg_name(header.alg);
        if !self.supports("id_token_signing_alg_values_supported", &alg) {
            return fail(format!("signed with {alg}, which discovery does not advertise"));
        }
        let jwk = match &header.kid {
            Some(kid) => self.jwks.find(kid),
            None if self.jwks.keys.len() == 1 => self.jwks.keys.first(),
            None => None,
        }
        .ok_or_else(|| Outcome::Fail(format!("no JWKS key for kid {:?}", header.kid)))?;
        let key = DecodingKey::from_jwk(jwk).map_err(|e| Outcome::Fail(format!("JWKS key unusable: {e}")))?;
        let mut v = Validation::new(header.alg);
        v.set_issuer(&[self.issuer.as_str()]);
        v.leeway = 60;
        match audience {
            Some(a) => v.set_audience(&[a]),
            None => v.validate_aud = false,
        }
        let data =
            jsonwebtoken::decode::<Value>(token, &key, &v).map_err(|e| Outcome::Fail(format!("does not verify against the JWKS: {e}")))?;
        if data.claims["iss"].as_str() != Some(self.issuer.as_str()) {
            return fail("iss differs from the issuer (P2)");
        }
        Ok((alg, data.claims))
    }

    // ---- the authorization endpoint ----------------------------------------------------

    /// Sends an authorization request, logs in if a page asks, and returns the response.
    async fn code_flow(&self, response_type: &str, mode: Option<&str>, pkce: Option<(&str, &str)>) -> Step<FlowResult> {
        let state = random_token();
        let nonce = random_token();
        let mut url = Url::parse(self.endpoint("authorization_endpoint")?)
            .map_err(|e| Outcome::Fail(format!("authorization_endpoint is not a URL: {e}")))?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", response_type)
                .append_pair("client_id", &self.creds.public_client)
                .append_pair("redirect_uri", &self.creds.redirect_uri)
                .append_pair("scope", "openid profile email")
                .append_pair("state", &state)
                .append_pair("nonce", &nonce);
            if let Some(m) = mode {
                q.append_pair("response_mode", m);
            }
            if let Some((verifier, method)) = pkce {
                let challenge = if method == "S256" {
                    B64.encode(Sha256::digest(verifier.as_bytes()))
                } else {
                    verifier.to_owned()
                };
                q.append_pair("code_challenge", &challenge)
                    .append_pair("code_challenge_method", method);
            }
        }
        let default_mode = if response_type == "code" { "query" } else { "fragment" };
        let mode = mode.unwrap_or(default_mode);
        let params = self.land(url, mode).await?;
        if let Some(e) = params.get("error") {
            return fail(format!(
                "the authorization endpoint answered error={e} {}",
                params.get("error_description").map(String::as_str).unwrap_or("")
            ));
        }
        if params.get("state") != Some(&state) {
            return fail("state did not come back unchanged (P90)");
        }
        let code = if response_type.split(' ').any(|w| w == "code") {
            params
                .get("code")
                .cloned()
                .ok_or_else(|| Outcome::Fail("no code in the authorization response".into()))?
        } else {
            String::new()
        };
        Ok(FlowResult { params, code, nonce })
    }

    /// Follows the provider (login page, redirects on its own origin) until it answers the
    /// client, and reads the response parameters where `mode` says they travel.
    async fn land(&self, start: Url, mode: &str) -> Step<HashMap<String, String>> {
        let mut resp = self.get(start.clone()).await?;
        let mut at = start;
        for _ in 0..8 {
            let status = resp.status();
            if status.is_redirection() {
                let loc = resp
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| Outcome::Fail(format!("{status} without Location")))?;
                let next = at.join(loc).map_err(|e| Outcome::Fail(format!("bad Location {loc}: {e}")))?;
                if next.as_str().starts_with(&self.creds.redirect_uri) {
                    return read_redirect(&next, mode);
                }
                resp = self.get(next.clone()).await?;
                at = next;
                continue;
            }
            let body = resp.text().await.unwrap_or_default();
            if !status.is_success() {
                return fail(format!("{} answered {status}: {}", short(&at), snippet(&body)));
            }
            let forms = forms(&body);
            if let Some(f) = forms.iter().find(|f| f.action == self.creds.redirect_uri) {
                if mode != "form_post" {
                    return fail(format!("asked for response_mode {mode}, got a form_post page"));
                }
                return Ok(f.inputs.iter().map(|i| (i.name.clone(), i.value.clone())).collect());
            }
            let Some(login) = forms.iter().find(|f| f.inputs.iter().any(|i| i.kind == "password")) else {
                return fail(format!("{} answered {status} with neither a redirect nor a login form", short(&at)));
            };
            let action = at
                .join(&login.action)
                .map_err(|e| Outcome::Fail(format!("bad login form action {}: {e}", login.action)))?;
            let filled: Vec<(String, String)> = login
                .inputs
                .iter()
                .filter(|i| !i.name.is_empty())
                .map(|i| {
                    let value = if i.kind == "password" {
                        self.creds.password.clone()
                    } else if i.kind != "hidden" && (i.name.contains("user") || i.name.contains("login")) {
                        self.creds.username.clone()
                    } else {
                        i.value.clone()
                    };
                    (i.name.clone(), value)
                })
                .collect();
            let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(filled).finish();
            resp = self
                .http
                .post(action.clone())
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .map_err(|e| Outcome::Fail(format!("POST {}: {e}", short(&action))))?;
            at = action;
        }
        fail("the authorization request did not reach the redirect URI within 8 steps")
    }

    async fn get(&self, url: Url) -> Step<Response> {
        self.http
            .get(url.clone())
            .header("accept", "text/html")
            .send()
            .await
            .map_err(|e| Outcome::Fail(format!("GET {}: {e}", short(&url))))
    }
}

/// The parameters of an authorization response and what the request sent.
struct FlowResult {
    params: HashMap<String, String>,
    code: String,
    nonce: String,
}

/// Reads response parameters from a redirect, where `mode` puts them (P91, P92).
fn read_redirect(url: &Url, mode: &str) -> Step<HashMap<String, String>> {
    let parse = |s: Option<&str>| -> HashMap<String, String> { form_urlencoded::parse(s.unwrap_or("").as_bytes()).into_owned().collect() };
    let query = parse(url.query());
    let fragment = parse(url.fragment());
    match mode {
        "query" => Ok(query),
        "fragment" => {
            if query.contains_key("code") || query.contains_key("id_token") || query.contains_key("error") {
                return fail("fragment mode put response parameters in the query (P91)");
            }
            Ok(fragment)
        }
        // A refusal travels in the query or the fragment whatever mode was asked for (P86, P91).
        _ if query.contains_key("error") => Ok(query),
        _ if fragment.contains_key("error") => Ok(fragment),
        other => fail(format!("asked for response_mode {other}, got a redirect")),
    }
}

/// `at_hash` / `c_hash`: left half of the alg's hash, base64url (OIDC Core §3.1.3.6; P97).
fn half_hash(alg: &str, value: &str) -> Step<String> {
    let digest: Vec<u8> = match alg {
        "RS256" | "PS256" | "ES256" => Sha256::digest(value.as_bytes()).to_vec(),
        "RS384" | "PS384" | "ES384" => Sha384::digest(value.as_bytes()).to_vec(),
        "RS512" | "PS512" | "ES512" | "EdDSA" => Sha512::digest(value.as_bytes()).to_vec(),
        other => return fail(format!("no hash known for {other}")),
    };
    Ok(B64.encode(&digest[..digest.len() / 2]))
}

fn alg_name(alg: Algorithm) -> String {
    format!("{alg:?}")
}

fn prefix(o: Outcome, what: &str) -> Outcome {
    match o {
        Outcome::Fail(why) => Outcome::Fail(format!("{what}: {why}")),
        other => other,
    }
}

/// 256 random bits, base64url: a valid PKCE verifier, state or nonce.
fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    B64.encode(b)
}

/// A URL without its query and fragment, for messages (they carry state, nonce, codes).
fn short(url: &Url) -> String {
    format!("{}{}", url.origin().ascii_serialization(), url.path())
}

fn snippet(body: &str) -> String {
    body.chars().take(200).collect::<String>().replace('\n', " ")
}

/// An HTML form, as much as the self-check needs: where it goes and its inputs.
#[derive(Debug, PartialEq)]
struct HtmlForm {
    action: String,
    inputs: Vec<HtmlInput>,
}

#[derive(Debug, PartialEq)]
struct HtmlInput {
    name: String,
    value: String,
    kind: String,
}

/// Finds the forms of a page (login page or form_post response). Enough for well-formed
/// pages that a provider serves; not a general HTML parser.
fn forms(html: &str) -> Vec<HtmlForm> {
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = lower[from..].find("<form").map(|i| i + from) {
        let end = lower[start..].find("</form").map(|i| i + start).unwrap_or(html.len());
        let tag_end = lower[start..].find('>').map(|i| i + start).unwrap_or(end);
        let action = attr(&html[start..tag_end], "action").unwrap_or_default();
        let mut inputs = Vec::new();
        let mut at = start;
        while let Some(i) = lower[at..end].find("<input").map(|i| i + at) {
            let close = lower[i..end].find('>').map(|j| j + i).unwrap_or(end);
            let tag = &html[i..close];
            inputs.push(HtmlInput {
                name: attr(tag, "name").unwrap_or_default(),
                value: attr(tag, "value").unwrap_or_default(),
                kind: attr(tag, "type").unwrap_or_else(|| "text".into()).to_ascii_lowercase(),
            });
            at = close;
        }
        out.push(HtmlForm { action, inputs });
        from = end.max(start + 5);
        if from >= html.len() {
            break;
        }
    }
    out
}

/// The value of attribute `name` in a tag, with HTML entities decoded.
fn attr(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name).map(|i| i + from) {
        from = i + name.len();
        let before_ok = i > 0 && lower.as_bytes()[i - 1].is_ascii_whitespace();
        let rest = tag[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let rest = rest[1..].trim_start();
        let value = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => rest[1..].split(q).next().unwrap_or(""),
            _ => rest.split(|c: char| c.is_whitespace() || c == '>' || c == '/').next().unwrap_or(""),
        };
        return Some(unescape(value));
    }
    None
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#x2F;", "/")
        .replace("&#47;", "/")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p97_half_hash_known_answer_from_oidc_core() {
        // OIDC Core A.3: the access token and its at_hash with RS256.
        assert_eq!(
            half_hash("RS256", "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y").ok(),
            Some("77QmUPtjPfzWtF2AnpK9RQ".to_owned())
        );
        assert!(half_hash("HS256", "x").is_err());
    }

    #[test]
    fn p93_forms_reads_a_form_post_page_with_escaped_values() {
        let page = r#"<html><body onload="document.forms[0].submit()">
            <form method="post" action="http://127.0.0.1/callback">
              <input type="hidden" name="code" value="a&amp;b"/>
              <input type=hidden name='state' value="&quot;s&quot;">
              <noscript><button type="submit">Continue</button></noscript>
            </form></body></html>"#;
        let f = forms(page);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].action, "http://127.0.0.1/callback");
        assert_eq!(f[0].inputs[0].name, "code");
        assert_eq!(f[0].inputs[0].value, "a&b");
        assert_eq!(f[0].inputs[1].name, "state");
        assert_eq!(f[0].inputs[1].value, "\"s\"");
        assert_eq!(f[0].inputs[1].kind, "hidden");
    }

    #[test]
    fn p98_forms_finds_the_password_field_of_a_login_page_and_ignores_look_alike_attributes() {
        let page = r#"<form action="/default/login" method="post">
            <input type="hidden" name="csrf" value="t1">
            <input data-name="x" name="username" value="">
            <input type="password" name="password">
            </form>"#;
        let f = forms(page);
        assert_eq!(f[0].action, "/default/login");
        let kinds: Vec<(&str, &str)> = f[0].inputs.iter().map(|i| (i.name.as_str(), i.kind.as_str())).collect();
        assert_eq!(kinds, vec![("csrf", "hidden"), ("username", "text"), ("password", "password")]);
    }

    #[test]
    fn p91_fragment_mode_refuses_parameters_in_the_query_and_reads_the_fragment() {
        let bad = Url::parse("http://127.0.0.1/callback?code=x#state=s").expect("a URL");
        assert!(read_redirect(&bad, "fragment").is_err());
        let good = Url::parse("http://127.0.0.1/callback#code=x&state=s").expect("a URL");
        assert_eq!(
            read_redirect(&good, "fragment").ok().and_then(|p| p.get("code").cloned()),
            Some("x".into())
        );
    }

    #[test]
    fn credentials_debug_redacts_secrets() {
        let d = format!("{:?}", Credentials::default());
        assert!(!d.contains("admin-pass") && !d.contains("ci-runner-secret"), "{d}");
    }
}
