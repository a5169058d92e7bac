//! `browser` steps: a person's login through the provider's own HTML page, in a real headless
//! Chromium driven over WebDriver (chromedriver, through `fantoccini`).
//!
//! This is the hybrid flow of Weaviate's docs: `response_type=code id_token`,
//! `response_mode=fragment`, a nonce; the ID token is read from the redirect's fragment, as a
//! single-page application would read `location.hash`, and stored as the step's credential. The
//! redirect lands on a loopback callback served here (the `weaviate` client's loopback redirect
//! URIs match any port, RFC 8252 §7.3), so the browser shows a real page and its URL keeps the
//! fragment.
//!
//! Chromium and chromedriver are found through `CHROMIUM` / `CHROMEDRIVER`, else on `PATH`.
//! When either is absent the step is a skip with the reason, never a pass.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use base64::Engine;
use fantoccini::{Client, ClientBuilder, Locator};
use mock_idp::secret::Secret;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::runner::{Answer, StepError};
use crate::step::Step;
use crate::Error;

/// How long Chromium may take for the whole login (start, two pages, the redirect).
const DEADLINE: Duration = Duration::from_secs(30);
/// Chromium's switches: headless, and nothing that reaches beyond loopback.
const CHROMIUM_ARGS: [&str; 4] = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];

/// The first of `names` found as an executable file on `PATH`, or the file `var` names.
fn find(var: &str, names: &[&str]) -> Result<PathBuf, Error> {
    if let Some(p) = std::env::var_os(var) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(Error::Unavailable(format!("{var}={} is not a file", p.display())))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .flat_map(|d| names.iter().map(move |n| d.join(n)))
        .find(|p| p.is_file())
        .ok_or_else(|| Error::Unavailable(format!("{} not found ({var}, PATH)", names.join(" / "))))
}

/// Chromium and chromedriver, or why the step cannot run here.
pub fn find_browser() -> Result<(PathBuf, PathBuf), Error> {
    let chromium = find("CHROMIUM", &["chromium", "chromium-browser", "google-chrome"])?;
    let driver = find("CHROMEDRIVER", &["chromedriver"])?;
    Ok((chromium, driver))
}

/// Plays a `browser` step: the authorization request, the login form, the redirect.
pub async fn step(http: &reqwest::Client, idp: &crate::provider::Provider, step: &Step) -> Result<Answer, StepError> {
    let (chromium, driver) = find_browser().map_err(|why| StepError::Skip(format!("no browser: {why}")))?;
    let response_type = step.response_type.as_deref().unwrap_or("code id_token");
    let response_mode = step.response_mode.as_deref().unwrap_or("fragment");
    let username = step.username.as_deref().unwrap_or_default();
    let label = format!("browser {response_type} {response_mode} {username}");
    let fail = |e: String| StepError::Fail(format!("{label}: {e}"));

    let disc: Value = http
        .get(idp.local_discovery_url())
        .send()
        .await
        .map_err(|e| fail(format!("discovery: {e}")))?
        .json()
        .await
        .map_err(|e| fail(format!("discovery: {e}")))?;
    let endpoint = disc["authorization_endpoint"]
        .as_str()
        .map(|e| idp.to_local(e))
        .ok_or_else(|| fail("discovery has no authorization_endpoint".into()))?;
    let callback = Callback::start().await.map_err(|e| fail(format!("callback listener: {e}")))?;
    let (state, nonce) = (random_text(), random_text());
    // The provider requires PKCE of public clients whenever a code is issued (P69); the code is
    // not redeemed here, so the verifier is not kept.
    let challenge = {
        use sha2::Digest;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(random_text().as_bytes()))
    };
    let client_id = step.client_id.as_deref().unwrap_or("weaviate");
    let url = format!(
        "{endpoint}?{}",
        form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", response_type)
            .append_pair("response_mode", response_mode)
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", &callback.uri)
            .append_pair("scope", "openid profile email groups")
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .finish()
    );

    let session = Session::start(&chromium, &driver).await.map_err(|e| fail(e.to_string()))?;
    let landed = session
        .login(
            &url,
            username,
            step.password.as_ref().map(Secret::expose).unwrap_or_default(),
            &callback.uri,
        )
        .await;
    session.close().await;
    let landed = landed.map_err(|e| fail(e.to_string()))?;

    let (status, shown, token) = read_redirect(&landed, &callback.uri, &state, &nonce, step.use_token.as_deref());
    let shown = shown.replace(&callback.uri, "{callback}");
    Ok(Answer::new(label, status, shown, token))
}

/// What the redirect carried: 200 with the fragment's field names and whether `state` and the
/// ID token's `nonce` match, or 400 with the provider's error; and the token to store.
fn read_redirect(landed: &str, callback: &str, state: &str, nonce: &str, which: Option<&str>) -> (u16, String, Option<String>) {
    let (before, fragment) = landed.split_once('#').unwrap_or((landed, ""));
    let params: Vec<(String, String)> = form_urlencoded::parse(fragment.as_bytes()).into_owned().collect();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let mut fields: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    fields.sort_unstable();
    if let Some(error) = get("error") {
        let body = json!({"redirect": before, "error": error, "error_description": get("error_description")});
        return (400, body.to_string(), None);
    }
    let id_token = get("id_token");
    let claims = id_token.as_deref().and_then(payload);
    let body = json!({
        "redirect": before,
        "fragment": fields,
        "query": before.split_once('?').map(|(_, q)| q).unwrap_or(""),
        "state": if get("state").as_deref() == Some(state) { "matches" } else { "differs" },
        "nonce": if claims.as_ref().and_then(|c| c["nonce"].as_str()) == Some(nonce) { "matches" } else { "differs" },
        "aud": claims.as_ref().map(|c| c["aud"].clone()),
    });
    let status = if before == callback { 200 } else { 502 };
    (status, body.to_string(), get(which.unwrap_or("id_token")))
}

/// The decoded payload of a compact JWT (not verified: Weaviate does that).
fn payload(jwt: &str) -> Option<Value> {
    let part = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn random_text() -> String {
    use rand::Rng;
    let bytes: [u8; 16] = rand::thread_rng().gen();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The loopback page the provider redirects to; it answers every request with a small page.
struct Callback {
    uri: String,
    task: tokio::task::JoinHandle<()>,
}

impl Callback {
    async fn start() -> std::io::Result<Callback> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let uri = format!("http://{}/callback", listener.local_addr()?);
        let task = tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                tokio::spawn(async move {
                    // The request is not needed: the fragment never reaches a server.
                    let mut buf = [0u8; 4096];
                    let _ = conn.read(&mut buf).await;
                    let page = "<!doctype html><title>callback</title><p id=\"done\">signed in</p>";
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        page.len()
                    );
                    let _ = conn.write_all(format!("{head}{page}").as_bytes()).await;
                });
            }
        });
        Ok(Callback { uri, task })
    }
}

impl Drop for Callback {
    fn drop(&mut self) {
        // Stops accepting; the listener closes with the task.
        self.task.abort();
    }
}

/// A chromedriver process and its WebDriver session; the process is killed on drop.
struct Session {
    _driver: tokio::process::Child,
    client: Client,
}

impl Session {
    async fn start(chromium: &std::path::Path, driver: &std::path::Path) -> Result<Session, Error> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| Error::Unavailable(format!("picking a port for chromedriver: {e}")))?
            .port();
        let child = tokio::process::Command::new(driver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| Error::Unavailable(format!("starting {}: {e}", driver.display())))?;
        let caps = json!({
            "goog:chromeOptions": {"binary": chromium, "args": CHROMIUM_ARGS},
        });
        let caps = caps.as_object().cloned().unwrap_or_default();
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + DEADLINE;
        // chromedriver announces nothing we can wait on but its port: retry the session request.
        let client = loop {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) if Instant::now() > deadline => return Err(Error::Unavailable(format!("no WebDriver session: {e}"))),
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        Ok(Session { _driver: child, client })
    }

    /// Opens `url`, fills the login form, and returns the URL the browser ends on once it has
    /// left the provider (the callback, fragment included).
    async fn login(&self, url: &str, username: &str, password: &str, callback: &str) -> Result<String, Error> {
        let c = &self.client;
        c.goto(url)
            .await
            .map_err(|e| Error::Exchange(format!("opening the authorization request: {e}")))?;
        // A refused request redirects at once, without a login page.
        let now = c
            .current_url()
            .await
            .map_err(|e| Error::Exchange(format!("reading the URL: {e}")))?;
        if now.as_str().starts_with(callback) {
            return Ok(now.to_string());
        }
        let field = |name: &'static str| async move {
            c.wait()
                .at_most(DEADLINE)
                .for_element(Locator::Css(name))
                .await
                .map_err(|e| Error::Exchange(format!("the login page has no {name}: {e}")))
        };
        field("input[name=username]")
            .await?
            .send_keys(username)
            .await
            .map_err(|e| Error::Exchange(format!("typing the username: {e}")))?;
        field("input[name=password]")
            .await?
            .send_keys(password)
            .await
            .map_err(|e| Error::Exchange(format!("typing the password: {e}")))?;
        field("button[value=login]")
            .await?
            .click()
            .await
            .map_err(|e| Error::Exchange(format!("submitting the login form: {e}")))?;
        let deadline = Instant::now() + DEADLINE;
        loop {
            let now = c
                .current_url()
                .await
                .map_err(|e| Error::Exchange(format!("reading the URL: {e}")))?;
            if now.as_str().starts_with(callback) {
                return Ok(now.to_string());
            }
            if Instant::now() > deadline {
                let page = c.source().await.unwrap_or_default();
                return Err(Error::Exchange(format!("still on {now} after {DEADLINE:?}: {page}")));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn close(self) {
        let _ = self.client.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: Value) -> String {
        let b = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!("{}.{}.sig", b.encode(b"{}"), b.encode(claims.to_string()))
    }

    #[test]
    fn the_fragment_gives_the_id_token_and_state_and_nonce_are_compared() {
        let cb = "http://127.0.0.1:1/callback";
        let t = jwt(json!({"nonce": "n1", "aud": "weaviate"}));
        let (status, body, token) = read_redirect(&format!("{cb}#code=c&id_token={t}&state=s1"), cb, "s1", "n1", None);
        assert_eq!(status, 200);
        let body: Value = serde_json::from_str(&body).unwrap_or_default();
        assert_eq!(body["fragment"], json!(["code", "id_token", "state"]));
        assert_eq!((body["state"].as_str(), body["nonce"].as_str()), (Some("matches"), Some("matches")));
        assert_eq!(token, Some(t.clone()));
        let (_, body, _) = read_redirect(&format!("{cb}#id_token={t}&state=other"), cb, "s1", "n2", None);
        let body: Value = serde_json::from_str(&body).unwrap_or_default();
        assert_eq!((body["state"].as_str(), body["nonce"].as_str()), (Some("differs"), Some("differs")));
    }

    #[test]
    fn an_error_redirect_is_a_400_without_a_token() {
        let cb = "http://127.0.0.1:1/callback";
        let (status, body, token) = read_redirect(&format!("{cb}#error=access_denied&state=s"), cb, "s", "n", None);
        assert_eq!((status, token), (400, None));
        assert!(body.contains("access_denied"), "{body}");
    }
}
