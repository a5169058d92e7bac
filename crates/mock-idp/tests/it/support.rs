//! Shared helpers of the integration tests: a started provider, discovery, common requests.
#![allow(dead_code)]

use mock_idp::MockIdp;
use serde_json::Value;

/// The `kid`s a JWKS publishes, in its order.
pub fn kids(jwks: &Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .expect("a JWKS has keys")
        .iter()
        .map(|k| k["kid"].as_str().expect("every key has a kid").to_owned())
        .collect()
}

/// A provider with the built-in configuration and an HTTP client that never follows redirects.
pub struct Env {
    pub idp: MockIdp,
    pub http: reqwest::Client,
}

impl Env {
    pub async fn start() -> Env {
        Env::with(MockIdp::start().await)
    }

    pub fn with(idp: MockIdp) -> Env {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a reqwest client builds");
        Env { idp, http }
    }

    /// The JWKS, read through discovery's `jwks_uri` as a relying party would.
    pub async fn jwks(&self) -> Value {
        let url = self.endpoint("jwks_uri").await;
        self.http
            .get(url)
            .send()
            .await
            .expect("jwks answers")
            .json()
            .await
            .expect("jwks is JSON")
    }

    /// The discovery document (tests read endpoint URLs from it, never hard-code them).
    pub async fn discovery(&self) -> Value {
        self.http
            .get(self.idp.discovery_url())
            .send()
            .await
            .expect("discovery answers")
            .json()
            .await
            .expect("discovery is JSON")
    }

    /// An endpoint URL from discovery, e.g. `token_endpoint`.
    pub async fn endpoint(&self, name: &str) -> String {
        self.discovery().await[name]
            .as_str()
            .unwrap_or_else(|| panic!("discovery has no {name}"))
            .to_owned()
    }

    /// POSTs a form to the token endpoint and returns status and JSON body.
    pub async fn token(&self, form: &[(&str, &str)]) -> (u16, Value) {
        let url = self.endpoint("token_endpoint").await;
        let resp = self.http.post(url).form(form).send().await.expect("token endpoint answers");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// A password-grant token response for a built-in user through the public `weaviate` client.
    pub async fn password_tokens(&self, user: &str, password: &str) -> Value {
        let (status, body) = self
            .token(&[
                ("grant_type", "password"),
                ("username", user),
                ("password", password),
                ("client_id", "weaviate"),
            ])
            .await;
        assert_eq!(status, 200, "password grant failed: {body}");
        body
    }
}

/// Decodes the payload of a compact JWS without verifying it.
pub fn claims(jwt: &str) -> Value {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).expect("a JWT has a payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("payload is base64url");
    serde_json::from_slice(&bytes).expect("payload is JSON")
}

/// Decodes the header of a compact JWS.
pub fn header(jwt: &str) -> Value {
    use base64::Engine;
    let h = jwt.split('.').next().expect("a JWT has a header");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(h)
        .expect("header is base64url");
    serde_json::from_slice(&bytes).expect("header is JSON")
}
