//! The workloads: which request each subject is loaded with, and a probe that checks one answer
//! before wrk repeats it.

use serde::Serialize;

use crate::subjects::{Api, Oidc, API_KEY, CLIENT};
use crate::wrk::Request;

/// One kind of request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Workload {
    /// RS256 access tokens for a confidential client.
    ClientCredentials,
    /// The same from an issuer that signs ES256.
    ClientCredentialsEs256,
    /// The same from an issuer that signs EdDSA (Ed25519).
    ClientCredentialsEdDsa,
    /// Tokens for a user's password.
    Password,
    /// GET of the discovery document.
    Discovery,
    /// GET of the JWKS.
    Jwks,
    /// Introspection of a valid access token.
    Introspection,
    /// Weaviate layer: an authenticated request with a valid RS256 token.
    WeaviateToken,
    /// Weaviate layer: an authenticated request with an API key.
    WeaviateApiKey,
    /// Weaviate layer: a request with a token whose signature is wrong (401 expected).
    WeaviateInvalidToken,
    /// Weaviate layer: the unauthenticated liveness check.
    WeaviateHealth,
    /// The hello-world ceiling.
    Hello,
    /// The hello-world answering as many bytes as our discovery document.
    HelloDiscoveryBytes,
    /// The hello-world answering as many bytes as our JWKS.
    HelloJwksBytes,
    /// The hello-world answering the ES256 token request with one signature and nothing else.
    HelloSignEs256,
    /// The same with an EdDSA signature.
    HelloSignEdDsa,
}

impl Workload {
    /// Every workload, in report order.
    pub const ALL: [Workload; 16] = [
        Workload::ClientCredentials,
        Workload::ClientCredentialsEs256,
        Workload::ClientCredentialsEdDsa,
        Workload::Password,
        Workload::Discovery,
        Workload::Jwks,
        Workload::Introspection,
        Workload::WeaviateToken,
        Workload::WeaviateApiKey,
        Workload::WeaviateInvalidToken,
        Workload::WeaviateHealth,
        Workload::Hello,
        Workload::HelloDiscoveryBytes,
        Workload::HelloJwksBytes,
        Workload::HelloSignEs256,
        Workload::HelloSignEdDsa,
    ];

    /// Whether this is one of the hello-world's ceilings rather than a workload of ours or a
    /// peer's: the report shows them beside ours, not as workloads of their own.
    pub fn is_ceiling(self) -> bool {
        matches!(
            self,
            Workload::Hello
                | Workload::HelloDiscoveryBytes
                | Workload::HelloJwksBytes
                | Workload::HelloSignEs256
                | Workload::HelloSignEdDsa
        )
    }

    /// Short name (file names, JSON).
    pub fn id(self) -> &'static str {
        match self {
            Workload::ClientCredentials => "client_credentials",
            Workload::ClientCredentialsEs256 => "client_credentials_es256",
            Workload::ClientCredentialsEdDsa => "client_credentials_eddsa",
            Workload::Password => "password",
            Workload::Discovery => "discovery",
            Workload::Jwks => "jwks",
            Workload::Introspection => "introspection",
            Workload::WeaviateToken => "weaviate_token",
            Workload::WeaviateApiKey => "weaviate_api_key",
            Workload::WeaviateInvalidToken => "weaviate_invalid_token",
            Workload::WeaviateHealth => "weaviate_health",
            Workload::Hello => "hello",
            Workload::HelloDiscoveryBytes => "hello_discovery_bytes",
            Workload::HelloJwksBytes => "hello_jwks_bytes",
            Workload::HelloSignEs256 => "hello_sign_es256",
            Workload::HelloSignEdDsa => "hello_sign_eddsa",
        }
    }

    /// Title in the report.
    pub fn title(self) -> &'static str {
        match self {
            Workload::ClientCredentials => "client_credentials tokens (POST token)",
            Workload::ClientCredentialsEs256 => "ES256 client_credentials tokens (POST token)",
            Workload::ClientCredentialsEdDsa => "EdDSA client_credentials tokens (POST token)",
            Workload::Password => "password-grant tokens (POST token)",
            Workload::Discovery => "discovery GET",
            Workload::Jwks => "JWKS GET",
            Workload::Introspection => "introspection of a valid access token",
            Workload::WeaviateToken => "Weaviate GET /v1/schema with a valid RS256 token",
            Workload::WeaviateApiKey => "Weaviate GET /v1/schema with an API key",
            Workload::WeaviateInvalidToken => "Weaviate GET /v1/schema with an invalid token (401)",
            Workload::WeaviateHealth => "Weaviate GET /v1/.well-known/live (unauthenticated)",
            Workload::Hello => "axum hello-world GET",
            Workload::HelloDiscoveryBytes => "axum hello-world GET of as many bytes as our discovery document",
            Workload::HelloJwksBytes => "axum hello-world GET of as many bytes as our JWKS",
            Workload::HelloSignEs256 => "axum hello-world POST answering one ES256 signature",
            Workload::HelloSignEdDsa => "axum hello-world POST answering one EdDSA signature",
        }
    }
}

/// The body lengths of our provider's documents, from its probes earlier in the run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bodies {
    /// Bytes of the discovery document.
    pub discovery: Option<usize>,
    /// Bytes of the JWKS.
    pub jwks: Option<usize>,
}

/// The request of `w` on a subject serving `api`; `Err` says why the subject cannot run it.
/// `token` is a valid access token of the provider the Weaviate subjects trust; `bodies` sizes
/// the hello-world's sized answers.
pub fn request(w: Workload, api: &Api, token: Option<&str>, bodies: Bodies) -> Result<Request, String> {
    match (w, api) {
        (Workload::ClientCredentials, Api::Oidc(o)) => {
            let url = o.token.clone().ok_or("no client_credentials grant")?;
            Ok(Request::form(url, "grant_type=client_credentials".into()).basic(&o.client.0, &o.client.1))
        }
        (Workload::ClientCredentialsEs256 | Workload::ClientCredentialsEdDsa, Api::Oidc(o)) => {
            let url = if w == Workload::ClientCredentialsEs256 {
                o.token_es256.clone()
            } else {
                o.token_eddsa.clone()
            };
            // Only our provider is configured with such issuers: the peers are left out.
            let url = url.ok_or("not applicable")?;
            Ok(Request::form(url, "grant_type=client_credentials".into()).basic(&o.client.0, &o.client.1))
        }
        (Workload::Password, Api::Oidc(o)) => password(o),
        (Workload::Discovery, Api::Oidc(o)) => Ok(Request::get(o.discovery.clone())),
        (Workload::Jwks, Api::Oidc(o)) => Ok(Request::get(o.jwks.clone())),
        (Workload::Introspection, Api::Oidc(o)) => {
            let url = o.introspect.clone().ok_or("no introspection endpoint")?;
            // A user's token where the subject has the password grant (Keycloak reports
            // service-account tokens inactive), else a client_credentials one.
            let token = match password(o) {
                Ok(req) => token_from(&req)?,
                Err(_) => fetch_token(o)?,
            };
            Ok(Request::form(url, format!("token={token}")).basic(&o.client.0, &o.client.1))
        }
        (Workload::WeaviateToken | Workload::WeaviateInvalidToken, Api::Weaviate { rest }) => {
            let token = token.ok_or("no token from the trusted provider")?;
            let url = format!("{rest}/v1/schema");
            if w == Workload::WeaviateToken {
                Ok(Request::get(url).header("Authorization", format!("Bearer {token}")))
            } else {
                Ok(Request::get(url)
                    .header("Authorization", format!("Bearer {}", tamper(token)))
                    .expecting(401))
            }
        }
        (Workload::WeaviateApiKey, Api::Weaviate { rest }) => {
            Ok(Request::get(format!("{rest}/v1/schema")).header("Authorization", format!("Bearer {API_KEY}")))
        }
        (Workload::WeaviateHealth, Api::Weaviate { rest }) => Ok(Request::get(format!("{rest}/v1/.well-known/live"))),
        (Workload::Hello, Api::Hello { url }) => Ok(Request::get(url.clone())),
        (Workload::HelloDiscoveryBytes | Workload::HelloJwksBytes, Api::Hello { url }) => {
            let (n, doc) = if w == Workload::HelloDiscoveryBytes {
                (bodies.discovery, "discovery")
            } else {
                (bodies.jwks, "jwks")
            };
            let n = n.ok_or(format!(
                "needs the length of oidc-harness's {doc} answer: run oidc-harness's {doc} workload first"
            ))?;
            Ok(Request::get(format!("{url}bytes/{n}")))
        }
        (Workload::HelloSignEs256 | Workload::HelloSignEdDsa, Api::Hello { url }) => {
            // The token workloads' request (body and Basic credentials), which it reads and ignores.
            let alg = if w == Workload::HelloSignEs256 { "es256" } else { "eddsa" };
            Ok(Request::form(format!("{url}sign/{alg}"), "grant_type=client_credentials".into()).basic(CLIENT.0, CLIENT.1))
        }
        _ => Err("not applicable".into()),
    }
}

fn password(o: &Oidc) -> Result<Request, String> {
    let (client, secret, user, pass) = o.password.clone().ok_or("no password grant")?;
    let url = o.token.clone().ok_or("no token endpoint")?;
    let mut body = format!("grant_type=password&username={user}&password={pass}&scope=openid");
    match secret {
        Some(secret) => Ok(Request::form(url, body).basic(&client, &secret)),
        None => {
            body += &format!("&client_id={client}");
            Ok(Request::form(url, body))
        }
    }
}

/// The same token with one signature character changed in the middle of the signature: the last
/// character may carry only padding bits, which a lenient base64url decoder (Go's, ours) ignores.
fn tamper(token: &str) -> String {
    let at = token.rfind('.').map_or(0, |dot| dot + (token.len() - dot) / 2);
    let mut t = token.as_bytes().to_vec();
    if let Some(c) = t.get_mut(at) {
        *c = if *c == b'A' { b'B' } else { b'A' };
    }
    String::from_utf8(t).unwrap_or_default()
}

/// A client_credentials access token from `o`.
pub fn fetch_token(o: &Oidc) -> Result<String, String> {
    token_from(&request(
        Workload::ClientCredentials,
        &Api::Oidc(o.clone()),
        None,
        Bodies::default(),
    )?)
}

/// The access token of the token response to `req`.
fn token_from(req: &Request) -> Result<String, String> {
    let (status, body) = send(req)?;
    if status != 200 {
        return Err(format!("token request answered {status}: {}", clip(&body)));
    }
    let v: serde_json::Value = serde_json::from_str(&body).map_err(|e| format!("token response: {e}"))?;
    v["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no access_token in {}", clip(&body)))
}

/// Sends `req` once and checks the answer is what the load run expects: the status, and for
/// introspection an active token. Returns the body's length in bytes.
pub fn probe(w: Workload, req: &Request) -> Result<usize, String> {
    let (status, body) = send(req)?;
    if status != req.expect {
        return Err(format!("probe answered {status} (expected {}): {}", req.expect, clip(&body)));
    }
    if matches!(w, Workload::HelloSignEs256 | Workload::HelloSignEdDsa) && !body.contains("\"access_token\":\"ey") {
        return Err(format!("no signed token in the answer: {}", clip(&body)));
    }
    if w == Workload::Introspection && !body.replace(' ', "").contains("\"active\":true") {
        return Err(format!("introspection does not report the token active: {}", clip(&body)));
    }
    if matches!(w, Workload::HelloDiscoveryBytes | Workload::HelloJwksBytes) {
        let asked = req.url.rsplit('/').next().and_then(|n| n.parse::<usize>().ok());
        if asked != Some(body.len()) {
            return Err(format!("asked {} for {asked:?} bytes, got {}", req.url, body.len()));
        }
    }
    Ok(body.len())
}

fn clip(s: &str) -> String {
    s.chars().take(200).collect()
}

/// One request with reqwest on a throwaway runtime: (status, body).
fn send(req: &Request) -> Result<(u16, String), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let client = reqwest::Client::new();
        let mut r = if req.method == "POST" {
            client.post(&req.url)
        } else {
            client.get(&req.url)
        };
        for (k, v) in &req.headers {
            r = r.header(k, v);
        }
        if let Some(b) = &req.body {
            r = r.body(b.clone());
        }
        let resp = r
            .timeout(std::time::Duration::from_secs(30))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        Ok((status, resp.text().await.unwrap_or_default()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signing_hello_world_gets_the_token_workloads_request() {
        let hello = Api::Hello {
            url: "http://127.0.0.1:9/".into(),
        };
        let ours = crate::subjects::ours("http://127.0.0.1:8/default");
        for (twin, token, alg) in [
            (Workload::HelloSignEs256, Workload::ClientCredentialsEs256, "es256"),
            (Workload::HelloSignEdDsa, Workload::ClientCredentialsEdDsa, "eddsa"),
        ] {
            let a = request(twin, &hello, None, Bodies::default()).expect("the hello-world signs");
            let b = request(token, &ours, None, Bodies::default()).expect("our provider issues");
            assert_eq!(a.url, format!("http://127.0.0.1:9/sign/{alg}"));
            assert_eq!(b.url, format!("http://127.0.0.1:8/{alg}/token"));
            assert_eq!((a.method, &a.headers, &a.body), (b.method, &b.headers, &b.body));
            assert_eq!(
                request(twin, &ours, None, Bodies::default()).err().as_deref(),
                Some("not applicable")
            );
        }
    }
}
