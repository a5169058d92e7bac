//! What the self-check knows of the provider (discovery, JWKS, an HTTP client) and the checks
//! that need no browser: grants, client authentication, signing algorithms, token verification.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rand::RngCore;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Response, Url};
use serde_json::{json, Value};

use crate::report::Outcome;

use super::flows::half_hash;
use super::{fail, Credentials, Step};

/// How a token request authenticates its client.
pub(super) enum ClientAuth<'a> {
    Basic(&'a str, &'a str),
    Post(&'a str, &'a str),
    None(&'a str),
}

/// What the self-check knows about the provider: discovery, JWKS and an HTTP client.
pub(super) struct Provider {
    pub(super) http: reqwest::Client,
    pub(super) meta: Value,
    pub(super) issuer: String,
    pub(super) jwks: JwkSet,
    pub(super) creds: Credentials,
}

impl Provider {
    pub(super) async fn discover(url: &str, creds: &Credentials) -> Step<Provider> {
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
    pub(super) fn list(&self, member: &str, default: &[&str]) -> Vec<String> {
        match self.meta[member].as_array() {
            Some(a) => a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
            None => default.iter().map(|s| s.to_string()).collect(),
        }
    }

    pub(super) fn endpoint(&self, name: &str) -> Step<&str> {
        self.meta[name]
            .as_str()
            .ok_or_else(|| Outcome::Fail(format!("discovery has no {name}")))
    }

    pub(super) fn supports(&self, member: &str, value: &str) -> bool {
        self.list(member, &[]).iter().any(|v| v == value)
    }

    // ---- capabilities --------------------------------------------------------------------

    pub(super) async fn grant_type(&self, grant: &str) -> Step<()> {
        match grant {
            "password" => self.password(ClientAuth::None(&self.creds.public_client), "openid").await.map(drop),
            "client_credentials" => self.client_credentials(true).await,
            "refresh_token" => self.refresh().await,
            "authorization_code" => self.response("code", "query").await,
            "implicit" => self.response("id_token", "fragment").await,
            other => Err(Outcome::Skip(format!("the self-check has no check for grant type {other}"))),
        }
    }

    pub(super) async fn auth_method(&self, method: &str) -> Step<()> {
        match method {
            "client_secret_basic" => self.client_credentials(true).await,
            "client_secret_post" => self.client_credentials(false).await,
            "none" => self.password(ClientAuth::None(&self.creds.public_client), "openid").await.map(drop),
            other => Err(Outcome::Skip(format!("the self-check has no credentials for {other}"))),
        }
    }

    pub(super) async fn signing_alg(&self, alg: &str) -> Step<()> {
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

    // ---- grants ------------------------------------------------------------------------

    pub(super) async fn password(&self, auth: ClientAuth<'_>, scope: &str) -> Step<Value> {
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

    pub(super) async fn client_credentials(&self, basic: bool) -> Step<()> {
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

    pub(super) async fn refresh(&self) -> Step<()> {
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

    pub(super) async fn redeem(&self, code: &str, verifier: Option<&str>) -> Step<Value> {
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
    pub(super) async fn token(&self, form: &[(&str, &str)], auth: ClientAuth<'_>) -> Step<Value> {
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
    pub(super) fn check_tokens(&self, tokens: &Value, client_id: &str, nonce: Option<&str>) -> Step<()> {
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
    pub(super) fn verify(&self, token: &str, audience: Option<&str>) -> Step<(String, Value)> {
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

    pub(super) async fn get(&self, url: Url) -> Step<Response> {
        self.http
            .get(url.clone())
            .header("accept", "text/html")
            .send()
            .await
            .map_err(|e| Outcome::Fail(format!("GET {}: {e}", short(&url))))
    }
}

pub(super) fn alg_name(alg: Algorithm) -> String {
    format!("{alg:?}")
}

pub(super) fn prefix(o: Outcome, what: &str) -> Outcome {
    match o {
        Outcome::Fail(why) => Outcome::Fail(format!("{what}: {why}")),
        other => other,
    }
}

/// 256 random bits, base64url: a valid PKCE verifier, state or nonce.
pub(super) fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    B64.encode(b)
}

/// A URL without its query and fragment, for messages (they carry state, nonce, codes).
pub(super) fn short(url: &Url) -> String {
    format!("{}{}", url.origin().ascii_serialization(), url.path())
}

pub(super) fn snippet(body: &str) -> String {
    body.chars().take(200).collect::<String>().replace('\n', " ")
}
