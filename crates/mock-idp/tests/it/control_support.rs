//! Helpers of the control-plane tests (`control_*.rs`): control calls, discovery, a password
//! grant, the served JWKS, and a second tenant.

use std::time::Duration;

use mock_idp::{ClientConfig, MockIdp, TenantConfig, UserConfig};
use reqwest::Method;
use serde_json::Value;

use crate::support::{header, Env};

/// Upper bound for anything that should be quick; a hung test fails instead of blocking CI.
pub(crate) const BOUND: Duration = Duration::from_secs(10);

/// `{base}/_mock/{path}` of the tenant `name`.
pub(crate) fn ctl_url(idp: &MockIdp, name: &str, path: &str) -> String {
    let issuer = idp.issuer_url_of(name).expect("the tenant exists");
    format!("{}/_mock/{path}", issuer.trim_end_matches('/'))
}

/// Sends a control request and returns status and JSON body (Null when not JSON).
pub(crate) async fn call(http: &reqwest::Client, method: Method, url: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = http.request(method, url);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = tokio::time::timeout(BOUND, req.send())
        .await
        .expect("control request within the bound")
        .expect("control request answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn ctl(env: &Env, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    call(&env.http, method, &ctl_url(&env.idp, "default", path), body).await
}

/// Discovery of the tenant `name`.
pub(crate) async fn discovery_of(env: &Env, name: &str) -> Value {
    let url = env.idp.tenant(name).expect("tenant").discovery_url();
    env.http
        .get(url)
        .send()
        .await
        .expect("discovery answers")
        .json()
        .await
        .expect("discovery is JSON")
}

/// A password grant against the tenant `name` through its discovered token endpoint.
pub(crate) async fn password_grant(env: &Env, name: &str, user: &str, pw: &str, client: &str) -> (u16, Value) {
    let token_url = discovery_of(env, name).await["token_endpoint"]
        .as_str()
        .expect("token_endpoint")
        .to_owned();
    let form = [
        ("grant_type", "password"),
        ("username", user),
        ("password", pw),
        ("client_id", client),
    ];
    let resp = env.http.post(token_url).form(&form).send().await.expect("token endpoint answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Verifies a token's signature against the served JWKS, as a relying party would.
pub(crate) async fn verifies(env: &Env, token: &str) -> bool {
    let set = env.jwks().await;
    let kid = header(token)["kid"].as_str().unwrap_or_default().to_owned();
    let Some(jwk) = set["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid.as_str()) else {
        return false;
    };
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone()).expect("a served JWK parses");
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).expect("a served JWK is a key");
    let alg: jsonwebtoken::Algorithm = header(token)["alg"].as_str().unwrap().parse().unwrap();
    let mut v = jsonwebtoken::Validation::new(alg);
    v.validate_aud = false;
    v.validate_exp = false;
    v.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(token, &key, &v).is_ok()
}

pub(crate) fn tenant_b() -> TenantConfig {
    let mut b = TenantConfig::named("b");
    b.users.push(UserConfig {
        username: "bob".into(),
        password: "bob-pass".into(),
        ..Default::default()
    });
    b.clients.push(ClientConfig {
        client_id: "app".into(),
        public: true,
        ..Default::default()
    });
    b
}
