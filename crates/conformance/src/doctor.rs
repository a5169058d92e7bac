//! `doctor`: Weaviate's login troubleshooting checklist, run against a live server: REST, gRPC
//! (a health check), the well-known OIDC document, the provider's discovery and keys, the
//! credential itself, what `/v1/users/own-info` answers, and what an authenticated gRPC call
//! answers ([`grpc`]). Each layer is a [`Finding`]; the first failing layer and
//! its hint say what to try.
//!
//! The credential is decoded, never verified: doctor reads a token's header and claims as
//! Weaviate's checks would see them (weaviate-auth.md 2.3 and 3.2) to explain a refusal.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use mock_idp::secret::Secret;
use serde_json::Value;

mod grpc;

/// The credential to diagnose. `Debug` redacts the key, the token and the password.
#[derive(Debug, Clone, Default)]
pub enum Credential {
    /// None: requests are anonymous.
    #[default]
    None,
    /// An API key (static or a database user's).
    ApiKey(Secret),
    /// A bearer token as the client would send it.
    Bearer(Secret),
    /// A username and password for the provider's password grant (as Weaviate Cloud logins do).
    Password {
        /// The user.
        username: String,
        /// The password.
        password: Secret,
        /// The client; Weaviate's advertised `clientId` when absent.
        client_id: Option<String>,
    },
}

/// What to diagnose.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Weaviate's REST URL.
    pub url: String,
    /// Its gRPC `HOST:PORT`; the URL's host and port 50051 (the clients' default) when absent.
    pub grpc: Option<String>,
    /// The credential.
    pub credential: Credential,
}

/// How a layer went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Works.
    Ok,
    /// Broken: the hint says what to try.
    Fail,
    /// Not checked, or not relevant to this setup (the detail says why).
    Skip,
}

/// One layer of the checklist.
#[derive(Debug, Clone)]
pub struct Finding {
    /// `rest`, `grpc`, `oidc-config`, `provider-discovery`, `provider-jwks`, `credential`,
    /// `own-info`, `grpc-auth`.
    pub layer: &'static str,
    /// The verdict.
    pub status: Status,
    /// What was seen.
    pub detail: String,
    /// What to try, for a failure.
    pub hint: Option<String>,
}

/// All findings, in checklist order.
#[derive(Debug, Clone, Default)]
pub struct Diagnosis {
    /// The layers checked.
    pub findings: Vec<Finding>,
}

impl Diagnosis {
    /// True when a layer failed.
    pub fn failed(&self) -> bool {
        self.findings.iter().any(|f| f.status == Status::Fail)
    }

    /// The finding of `layer`.
    pub fn layer(&self, layer: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.layer == layer)
    }

    /// One line per layer (`ok`, `FAIL`, `skip`), hints indented under failures, then the
    /// first failing layer.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for f in &self.findings {
            let label = match f.status {
                Status::Ok => "ok  ",
                Status::Fail => "FAIL",
                Status::Skip => "skip",
            };
            out.push_str(&format!("{label}  {:<18}  {}\n", f.layer, f.detail));
            if let Some(h) = &f.hint {
                out.push_str(&format!("      {:<18}  try: {h}\n", ""));
            }
        }
        match self.findings.iter().find(|f| f.status == Status::Fail) {
            Some(f) => out.push_str(&format!("\nfirst failing layer: {}\n", f.layer)),
            None => out.push_str("\nno layer failed\n"),
        }
        out
    }

    fn push(&mut self, layer: &'static str, status: Status, detail: impl Into<String>, hint: Option<String>) {
        self.findings.push(Finding {
            layer,
            status,
            detail: detail.into(),
            hint,
        });
    }
}

/// What Weaviate's well-known document says about its OIDC setup.
#[derive(Debug, Default)]
struct OidcConfig {
    issuer: String,
    client_id: String,
}

/// Walks the checklist against `opts.url`.
pub async fn diagnose(opts: &Options) -> Diagnosis {
    let mut d = Diagnosis::default();
    let url = opts.url.trim_end_matches('/').to_owned();
    let http = match reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(h) => h,
        Err(e) => {
            d.push("rest", Status::Fail, format!("http client: {e}"), None);
            return d;
        }
    };
    if !check_rest(&mut d, &http, &url).await {
        return d;
    }
    let grpc = grpc::check_grpc(&mut d, &url, opts.grpc.as_deref()).await;
    let oidc = check_oidc(&mut d, &http, &url).await;
    let token_endpoint = match &oidc {
        Some(o) => check_provider(&mut d, &http, o).await,
        None => None,
    };
    let (token, jwks) = token_endpoint.unzip();
    let sent = check_credential(&mut d, &http, &opts.credential, oidc.as_ref(), token.flatten(), jwks.flatten()).await;
    check_own_info(&mut d, &http, &url, sent.as_deref()).await;
    grpc::check_grpc_auth(&mut d, grpc.as_deref(), sent.as_deref()).await;
    d
}

async fn check_rest(d: &mut Diagnosis, http: &reqwest::Client, url: &str) -> bool {
    let ready = format!("{url}/v1/.well-known/ready");
    match http.get(&ready).send().await {
        Ok(r) if r.status().as_u16() == 200 => {
            let version = match http.get(format!("{url}/v1/meta")).send().await {
                Ok(m) if m.status().as_u16() == 200 => m
                    .json::<Value>()
                    .await
                    .ok()
                    .and_then(|v| v["version"].as_str().map(|s| format!(", Weaviate {s}")))
                    .unwrap_or_default(),
                _ => String::new(),
            };
            d.push("rest", Status::Ok, format!("GET /v1/.well-known/ready: 200{version}"), None);
            true
        }
        Ok(r) => {
            d.push(
                "rest",
                Status::Fail,
                format!("GET /v1/.well-known/ready: {}", r.status()),
                Some("the server is up but not ready: wait for startup to finish, or read its log".into()),
            );
            false
        }
        Err(e) => {
            d.push(
                "rest",
                Status::Fail,
                format!("GET {ready}: {e}"),
                Some("check the URL, scheme and port (REST listens on 8080 by default) and that Weaviate runs".into()),
            );
            false
        }
    }
}

async fn check_oidc(d: &mut Diagnosis, http: &reqwest::Client, url: &str) -> Option<OidcConfig> {
    let resp = match http.get(format!("{url}/v1/.well-known/openid-configuration")).send().await {
        Ok(r) => r,
        Err(e) => {
            d.push(
                "oidc-config",
                Status::Fail,
                format!("GET /v1/.well-known/openid-configuration: {e}"),
                None,
            );
            return None;
        }
    };
    match resp.status().as_u16() {
        404 => {
            d.push(
                "oidc-config",
                Status::Skip,
                "404: OIDC is off (AUTHENTICATION_OIDC_ENABLED is not true); only API keys or anonymous access",
                None,
            );
            None
        }
        200 => {
            let v: Value = resp.json().await.unwrap_or_default();
            let href = v["href"].as_str().unwrap_or_default().to_owned();
            let issuer = href.trim_end_matches("/.well-known/openid-configuration").to_owned();
            let client_id = v["clientId"].as_str().unwrap_or_default().to_owned();
            d.push(
                "oidc-config",
                Status::Ok,
                format!("issuer {issuer}, clientId {client_id:?}, scopes {}", v["scopes"]),
                None,
            );
            Some(OidcConfig { issuer, client_id })
        }
        s => {
            d.push(
                "oidc-config",
                Status::Fail,
                format!("GET /v1/.well-known/openid-configuration: {s}"),
                None,
            );
            None
        }
    }
}

/// The provider's discovery and JWKS; returns (token endpoint, JWKS) when they answered.
async fn check_provider(d: &mut Diagnosis, http: &reqwest::Client, o: &OidcConfig) -> Option<(Option<String>, Option<Value>)> {
    let url = format!("{}/.well-known/openid-configuration", o.issuer);
    let down_hint = "Weaviate fetched this at startup and fetches the keys again when a token has an unknown kid: start the provider, or make its issuer URL reachable from here and from Weaviate".to_owned();
    let disc: Value = match http.get(&url).send().await {
        Ok(r) if r.status().is_success() => match r.json().await {
            Ok(v) => v,
            Err(e) => {
                d.push("provider-discovery", Status::Fail, format!("{url}: not JSON: {e}"), None);
                return None;
            }
        },
        Ok(r) => {
            d.push(
                "provider-discovery",
                Status::Fail,
                format!("{url}: {}", r.status()),
                Some(down_hint),
            );
            return None;
        }
        Err(e) => {
            d.push("provider-discovery", Status::Fail, format!("{url}: {e}"), Some(down_hint));
            return None;
        }
    };
    let doc_issuer = disc["issuer"].as_str().unwrap_or_default();
    if doc_issuer != o.issuer {
        d.push(
            "provider-discovery",
            Status::Fail,
            format!(
                "the document's issuer is {doc_issuer:?}, Weaviate is configured with {:?}",
                o.issuer
            ),
            Some("AUTHENTICATION_OIDC_ISSUER must equal the provider's issuer byte for byte (mind the trailing /)".into()),
        );
    } else {
        d.push("provider-discovery", Status::Ok, format!("{url}: issuer matches"), None);
    }
    let token_endpoint = disc["token_endpoint"].as_str().map(str::to_owned);
    let Some(jwks_uri) = disc["jwks_uri"].as_str() else {
        d.push("provider-jwks", Status::Fail, "discovery has no jwks_uri", None);
        return Some((token_endpoint, None));
    };
    let jwks = match http.get(jwks_uri).send().await {
        Ok(r) if r.status().is_success() => r.json::<Value>().await.ok(),
        Ok(r) => {
            d.push(
                "provider-jwks",
                Status::Fail,
                format!("{jwks_uri}: {}", r.status()),
                Some(down_hint),
            );
            return Some((token_endpoint, None));
        }
        Err(e) => {
            d.push("provider-jwks", Status::Fail, format!("{jwks_uri}: {e}"), Some(down_hint));
            return Some((token_endpoint, None));
        }
    };
    let kids: Vec<&str> = jwks
        .as_ref()
        .and_then(|j| j["keys"].as_array())
        .map(|ks| ks.iter().filter_map(|k| k["kid"].as_str()).collect())
        .unwrap_or_default();
    if kids.is_empty() {
        d.push("provider-jwks", Status::Fail, format!("{jwks_uri}: no keys with a kid"), None);
    } else {
        d.push(
            "provider-jwks",
            Status::Ok,
            format!("{} key(s): {}", kids.len(), kids.join(", ")),
            None,
        );
    }
    Some((token_endpoint, jwks))
}

/// The header and claims of a token that Weaviate would send to its OIDC check, else `None`
/// (Weaviate's malformed-JWT rule: such a token goes to the API-key check).
pub fn decode_jwt(token: &str) -> Option<(Value, Value)> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return None;
    }
    let part = |p: &str| -> Option<Value> {
        let v: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?).ok()?;
        v.is_object().then_some(v)
    };
    Some((part(parts[0])?, part(parts[1])?))
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Checks the credential and returns what to send as the bearer value.
async fn check_credential(
    d: &mut Diagnosis,
    http: &reqwest::Client,
    cred: &Credential,
    oidc: Option<&OidcConfig>,
    token_endpoint: Option<String>,
    jwks: Option<Value>,
) -> Option<String> {
    let token = match cred {
        Credential::None => {
            d.push("credential", Status::Skip, "none given: requests are anonymous", None);
            return None;
        }
        Credential::ApiKey(k) => {
            let k = k.expose();
            if decode_jwt(k).is_some() && oidc.is_some() {
                d.push(
                    "credential",
                    Status::Fail,
                    "the API key is shaped like a JWT: with OIDC on, Weaviate checks it as a token only",
                    Some("use a key that is not three base64url JSON segments".into()),
                );
            } else {
                d.push("credential", Status::Ok, format!("an API key ({} characters)", k.len()), None);
            }
            return Some(k.to_owned());
        }
        Credential::Bearer(t) => t.expose().to_owned(),
        Credential::Password {
            username,
            password,
            client_id,
        } => {
            let (Some(o), Some(endpoint)) = (oidc, token_endpoint) else {
                d.push(
                    "credential",
                    Status::Fail,
                    "a username and password need OIDC, and Weaviate or its provider does not offer it",
                    Some("use an API key, or turn OIDC on (AUTHENTICATION_OIDC_ENABLED=true)".into()),
                );
                return None;
            };
            let client = client_id.clone().unwrap_or_else(|| o.client_id.clone());
            let form = [
                ("grant_type", "password"),
                ("username", username.as_str()),
                ("password", password.expose()),
                ("client_id", client.as_str()),
                ("scope", "openid"),
            ];
            let answer = match http.post(&endpoint).form(&form).send().await {
                Ok(r) => r.json::<Value>().await.unwrap_or_default(),
                Err(e) => Value::String(e.to_string()),
            };
            match answer["access_token"].as_str() {
                Some(t) => t.to_owned(),
                None => {
                    d.push(
                        "credential",
                        Status::Fail,
                        format!("the provider refused the password login: {answer}"),
                        Some("check the user, password and client; a user who must pass MFA cannot use the password grant".into()),
                    );
                    return None;
                }
            }
        }
    };
    let Some((header, claims)) = decode_jwt(&token) else {
        d.push("credential", Status::Ok, "not a JWT: Weaviate checks it as an API key", None);
        return Some(token);
    };
    let Some(o) = oidc else {
        d.push(
            "credential",
            Status::Fail,
            "a JWT, but OIDC is off: Weaviate checks it as an API key and refuses it",
            Some("turn OIDC on, or send an API key".into()),
        );
        return Some(token);
    };
    let mut problems = Vec::new();
    let alg = header["alg"].as_str().unwrap_or("");
    if alg.is_empty() || alg == "none" || alg.starts_with("HS") {
        problems.push(format!("alg {alg:?} is not an asymmetric algorithm the provider's keys can verify"));
    }
    if let (Some(kid), Some(jwks)) = (header["kid"].as_str(), &jwks) {
        let known = jwks["keys"].as_array().is_some_and(|ks| ks.iter().any(|k| k["kid"] == kid));
        if !known {
            problems.push(format!(
                "kid {kid:?} is not in the provider's JWKS (rotated away, or another provider)"
            ));
        }
    }
    let iss = claims["iss"].as_str().unwrap_or("");
    if iss != o.issuer {
        problems.push(format!("iss {iss:?} but Weaviate expects {:?}", o.issuer));
    }
    let aud: Vec<&str> = match &claims["aud"] {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !o.client_id.is_empty() && !aud.contains(&o.client_id.as_str()) {
        problems.push(format!(
            "aud {aud:?} lacks Weaviate's client id {:?} (fine only if AUTHENTICATION_OIDC_SKIP_CLIENT_ID_CHECK=true)",
            o.client_id
        ));
    }
    let t = now();
    match claims["exp"].as_i64() {
        Some(exp) if exp < t => problems.push(format!("expired {} s ago (exp {exp})", t - exp)),
        None => problems.push("no exp claim: Weaviate treats it as expired".into()),
        _ => {}
    }
    if let Some(nbf) = claims["nbf"].as_i64() {
        if nbf > t + 300 {
            problems.push(format!("not valid before {nbf}, {} s from now", nbf - t));
        }
    }
    if problems.is_empty() {
        d.push(
            "credential",
            Status::Ok,
            format!(
                "a JWT ({alg}) for {:?}, iss and aud match, expires in {} s",
                claims["sub"],
                claims["exp"].as_i64().unwrap_or(0) - t
            ),
            None,
        );
    } else {
        d.push(
            "credential",
            Status::Fail,
            format!("a JWT that Weaviate will refuse: {}", problems.join("; ")),
            Some("get a fresh token from this issuer for this client (refresh before expiry), or fix AUTHENTICATION_OIDC_ISSUER / _CLIENT_ID".into()),
        );
    }
    Some(token)
}

async fn check_own_info(d: &mut Diagnosis, http: &reqwest::Client, url: &str, bearer: Option<&str>) {
    let mut req = http.get(format!("{url}/v1/users/own-info"));
    if let Some(b) = bearer {
        req = req.bearer_auth(b);
    }
    let (status, body) = match req.send().await {
        Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
        Err(e) => {
            d.push("own-info", Status::Fail, format!("GET /v1/users/own-info: {e}"), None);
            return;
        }
    };
    let json: Value = serde_json::from_str(&body).unwrap_or_default();
    let message = crate::step::message_of(&json).unwrap_or_default();
    if status == 200 {
        d.push(
            "own-info",
            Status::Ok,
            format!("200: user {}, groups {}", json["username"], json["groups"]),
            None,
        );
        return;
    }
    let hint = auth_hint(bearer.is_some(), status, &message);
    let shown = if message.is_empty() { body } else { message };
    d.push("own-info", Status::Fail, format!("{status}: {shown}"), Some(hint.into()));
}

/// What to try when Weaviate refused authentication with `message` (`status` is the REST
/// status, 0 for gRPC).
fn auth_hint(bearer_sent: bool, status: u16, message: &str) -> &'static str {
    if !bearer_sent {
        "anonymous access is off: send a credential (--api-key, --bearer or --username/--password)"
    } else if message.starts_with("anonymous access not enabled") {
        "the credential did not reach Weaviate as a bearer token: pass it as an API-key credential (Python Auth.api_key(...)), not a bare string"
    } else if message.contains("invalid api key") {
        "the key is not in AUTHENTICATION_APIKEY_ALLOWED_KEYS nor a live database user's key (rotated, deactivated, or a typo?)"
    } else if message.contains("oidc") || message.contains("signature") {
        "the token check failed: see the credential layer above"
    } else if message.contains("no authentication scheme is configured") {
        "Weaviate has no auth scheme: remove the Authorization header, or configure API keys or OIDC"
    } else if status == 500 {
        "the token is valid but its claims are not what Weaviate reads: check AUTHENTICATION_OIDC_USERNAME_CLAIM"
    } else {
        "read the server's message"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_three_base64url_json_object_segments_make_a_jwt() {
        let seg = |v: &str| URL_SAFE_NO_PAD.encode(v);
        let jwt = format!("{}.{}.sig", seg(r#"{"alg":"RS256"}"#), seg(r#"{"sub":"a"}"#));
        let (h, c) = decode_jwt(&jwt).expect("a JWT");
        assert_eq!((h["alg"].as_str(), c["sub"].as_str()), (Some("RS256"), Some("a")));
        assert!(decode_jwt("admin-key").is_none());
        assert!(decode_jwt("aaa.bbb.ccc").is_none());
        assert!(decode_jwt(&format!("{}.{}", seg("{}"), seg("{}"))).is_none());
        assert!(decode_jwt(&format!("{}.{}.x", seg("[]"), seg("{}"))).is_none());
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let c = Credential::Password {
            username: "u".into(),
            password: "hunter2".into(),
            client_id: None,
        };
        assert!(!format!("{c:?}").contains("hunter2"));
        assert!(!format!("{:?}", Credential::ApiKey("k3y".into())).contains("k3y"));
    }
}
