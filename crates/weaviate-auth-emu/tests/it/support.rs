//! Shared helpers: start an emulated Weaviate from env pairs, send requests, read answers.

use reqwest::header::HeaderMap;
use weaviate_auth_emu::EmbeddedWeaviate;

/// A running emulation and an HTTP client for it.
pub struct Env {
    pub weaviate: EmbeddedWeaviate,
    pub http: reqwest::Client,
}

/// One answer: status, headers and body text.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("the body is not JSON ({e}): {}", self.body))
    }
    /// The message of a `{"code":…,"message":…}` body.
    pub fn message(&self) -> String {
        self.json()["message"]
            .as_str()
            .unwrap_or_else(|| panic!("no message in {}", self.body))
            .to_owned()
    }
    /// The message of a `{"error":[{"message":…}]}` body.
    pub fn error(&self) -> String {
        self.json()["error"][0]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("no error in {}", self.body))
            .to_owned()
    }
}

impl Env {
    pub async fn start(vars: &[(&str, &str)]) -> Env {
        let weaviate = EmbeddedWeaviate::builder()
            .envs(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
            .start()
            .await
            .unwrap_or_else(|e| panic!("the emulation refused to start: {e}"));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client could be built");
        Env { weaviate, http }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.weaviate.rest_url())
    }

    /// Sends `method path` with an optional bearer key and optional JSON body.
    pub async fn send(&self, method: &str, path: &str, key: Option<&str>, body: Option<serde_json::Value>) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a valid method");
        let mut req = self.http.request(method, self.url(path));
        if let Some(key) = key {
            req = req.header("Authorization", format!("Bearer {key}"));
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        self.answer(req).await
    }

    pub async fn answer(&self, req: reqwest::RequestBuilder) -> Answer {
        let resp = req.send().await.expect("the emulation answered");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.text().await.expect("a readable body");
        Answer { status, headers, body }
    }

    pub async fn get(&self, path: &str, key: Option<&str>) -> Answer {
        self.send("GET", path, key, None).await
    }
}

/// Static keys `admin-key`, `ro-key`, `other-key` for `admin-user`, `ro-user`, `other-user`.
pub const STATIC_KEYS: [(&str, &str); 3] = [
    ("AUTHENTICATION_APIKEY_ENABLED", "true"),
    ("AUTHENTICATION_APIKEY_ALLOWED_KEYS", "admin-key,ro-key,other-key"),
    ("AUTHENTICATION_APIKEY_USERS", "admin-user,ro-user,other-user"),
];

pub fn with(base: &[(&'static str, &'static str)], more: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    base.iter().chain(more).copied().collect()
}
