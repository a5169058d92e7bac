//! `Provider`: the mock OpenID provider a scenario runs against, in this process or in a
//! container, with the two URLs a container split creates.
//!
//! Weaviate and the tokens know the provider by its issuer URL (`issuer_url`); the test
//! process may have to reach it somewhere else (`local_issuer_url`): a container called `idp`
//! is `http://idp:8080` inside the Docker network and `http://127.0.0.1:<mapped port>` from
//! here. Everything the runner sends to the provider goes through [`Provider::to_local`].

use std::net::SocketAddr;

use serde_json::Value;

use crate::scenario::IdpSetup;
use crate::Error;

/// A provider reached over HTTP only (a container): scenario users and clients are added through
/// its `_mock/users` and `_mock/clients` controls, tokens minted through `_mock/mint`.
pub struct RemoteProvider {
    /// The issuer as Weaviate and the tokens see it.
    pub issuer: String,
    /// The same issuer as this process reaches it.
    pub local_issuer: String,
    /// The admin token of its `_mock/` controls, sent as `Authorization: Bearer` on every
    /// control request (`None`: a provider whose controls are open, as one in this process).
    pub admin_token: Option<mock_idp::AdminToken>,
    /// Whatever keeps the provider alive (a container); dropped with the provider.
    pub guard: Box<dyn std::any::Any + Send + Sync>,
}

impl std::fmt::Debug for RemoteProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteProvider")
            .field("issuer", &self.issuer)
            .field("local_issuer", &self.local_issuer)
            .finish_non_exhaustive()
    }
}

/// The scenario's provider; stops when dropped.
#[derive(Debug)]
pub enum Provider {
    /// `mock_idp::MockIdp` in this process.
    Local(mock_idp::MockIdp),
    /// The project's provider image in a container (or any running `oidc-harness idp`).
    Remote(RemoteProvider),
}

impl Provider {
    /// A provider in this process with the scenario's users and clients, on `listen` (a fixed
    /// address, when a running Weaviate already names it as issuer) or a free loopback port.
    pub async fn start_local(setup: &IdpSetup, listen: Option<SocketAddr>) -> Result<Provider, Error> {
        let mut builder = mock_idp::MockIdp::builder();
        for u in &setup.users {
            builder = builder.user(u.clone());
        }
        for c in &setup.clients {
            builder = builder.client(c.clone());
        }
        let Some(addr) = listen else {
            return builder
                .try_start()
                .await
                .map(Provider::Local)
                .map_err(|e| Error::Unavailable(format!("provider setup: {e}")));
        };
        // The previous scenario's provider on the same address closes its listener in its own
        // task after being dropped: retry the bind until it has, within a deadline.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            match builder.clone().listen(addr).try_start().await {
                Ok(idp) => return Ok(Provider::Local(idp)),
                Err(mock_idp::ConfigError::Bind { .. }) if std::time::Instant::now() < deadline => {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                Err(e) => return Err(Error::Unavailable(format!("provider setup: {e}"))),
            }
        }
    }

    /// Adds the scenario's users and clients to a remote provider through its controls.
    pub async fn setup_remote(remote: RemoteProvider, setup: &IdpSetup, http: &reqwest::Client) -> Result<Provider, Error> {
        let p = Provider::Remote(remote);
        for u in &setup.users {
            let body = serde_json::to_value(u).map_err(|e| Error::Exchange(format!("user {}: {e}", u.username)))?;
            p.control(http, "/_mock/users", &body).await?;
        }
        for c in &setup.clients {
            let body = serde_json::to_value(c).map_err(|e| Error::Exchange(format!("client {}: {e}", c.client_id)))?;
            p.control(http, "/_mock/clients", &body).await?;
        }
        Ok(p)
    }

    /// Puts the provider back to its configured state between two scenarios that share it
    /// (keys, clock, faults, journal, issued tokens and accounts, P127). A local provider keeps
    /// the scenario's users and clients, which are part of its configuration; a remote one is
    /// given them again.
    pub async fn reset(&self, http: &reqwest::Client, setup: &IdpSetup) -> Result<(), Error> {
        match self {
            Provider::Local(idp) => {
                idp.reset();
                Ok(())
            }
            Provider::Remote(_) => {
                self.control(http, "/_mock/reset", &serde_json::json!({})).await?;
                for u in &setup.users {
                    let body = serde_json::to_value(u).map_err(|e| Error::Exchange(format!("user {}: {e}", u.username)))?;
                    self.control(http, "/_mock/users", &body).await?;
                }
                for c in &setup.clients {
                    let body = serde_json::to_value(c).map_err(|e| Error::Exchange(format!("client {}: {e}", c.client_id)))?;
                    self.control(http, "/_mock/clients", &body).await?;
                }
                Ok(())
            }
        }
    }

    /// The issuer as Weaviate and the tokens see it: what `{issuer}` stands for.
    pub fn issuer_url(&self) -> String {
        match self {
            Provider::Local(idp) => idp.issuer_url(),
            Provider::Remote(r) => r.issuer.clone(),
        }
    }

    /// The issuer as this process reaches it.
    pub fn local_issuer_url(&self) -> String {
        match self {
            Provider::Local(idp) => idp.issuer_url(),
            Provider::Remote(r) => r.local_issuer.clone(),
        }
    }

    /// The provider's base URL as Weaviate sees it (the issuer without its tenant).
    pub fn base_url(&self) -> String {
        match self {
            Provider::Local(idp) => idp.base_url(),
            Provider::Remote(r) => r.issuer.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or_default(),
        }
    }

    /// `url` (from discovery, or a token) rewritten so that this process can reach it.
    pub fn to_local(&self, url: &str) -> String {
        let (issuer, local) = (self.issuer_url(), self.local_issuer_url());
        match url.strip_prefix(issuer.as_str()) {
            Some(rest) => format!("{local}{rest}"),
            None => url.to_owned(),
        }
    }

    /// The discovery document's URL, reachable from this process.
    pub fn local_discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.local_issuer_url())
    }

    /// Mints with a `_mock/mint` body: in process, or over HTTP for a remote provider.
    pub async fn mint(&self, http: &reqwest::Client, body: &Value) -> Result<Value, Error> {
        match self {
            Provider::Local(idp) => {
                let b = mock_idp::TokenBuilder::from_json(body).map_err(|e| Error::Exchange(format!("mint: {e}")))?;
                let minted = idp.mint(b).map_err(|e| Error::Exchange(format!("mint: {e}")))?;
                serde_json::to_value(&minted).map_err(|e| Error::Exchange(format!("mint: {e}")))
            }
            Provider::Remote(_) => self.control(http, "/_mock/mint", body).await,
        }
    }

    /// POSTs `body` to a control path of the first tenant and returns the JSON answer.
    async fn control(&self, http: &reqwest::Client, path: &str, body: &Value) -> Result<Value, Error> {
        let url = format!("{}{path}", self.local_issuer_url());
        let mut req = http.post(&url).json(body);
        if let Provider::Remote(RemoteProvider { admin_token: Some(t), .. }) = self {
            req = req.bearer_auth(t.expose());
        }
        let resp = req.send().await.map_err(|e| Error::Exchange(format!("{path}: {e}")))?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| Error::Exchange(format!("{path}: {e}")))?;
        if !status.is_success() {
            return Err(Error::Exchange(format!("{path}: {status}: {text}")));
        }
        serde_json::from_str(&text).map_err(|e| Error::Exchange(format!("{path}: {e}: {text}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(issuer: &str, local: &str) -> Provider {
        Provider::Remote(RemoteProvider {
            issuer: issuer.into(),
            local_issuer: local.into(),
            admin_token: None,
            guard: Box::new(()),
        })
    }

    #[test]
    fn urls_under_the_container_issuer_are_rewritten_to_the_mapped_port_and_others_are_kept() {
        let p = remote("http://idp:8080/default", "http://127.0.0.1:49153/default");
        assert_eq!(p.to_local("http://idp:8080/default/token"), "http://127.0.0.1:49153/default/token");
        assert_eq!(p.to_local("http://elsewhere/token"), "http://elsewhere/token");
        assert_eq!(p.base_url(), "http://idp:8080");
        assert_eq!(
            p.local_discovery_url(),
            "http://127.0.0.1:49153/default/.well-known/openid-configuration"
        );
    }

    #[tokio::test]
    async fn a_remote_provider_gets_scenario_users_and_mints_tokens_with_the_container_issuer() {
        // Arrange: a provider whose issuer names a host this process cannot resolve, as a
        // container's would; the test reaches it on its loopback port.
        // Its controls need an admin token, as the container's do.
        let idp = mock_idp::MockIdp::builder()
            .base_url("http://idp:8080")
            .configure(|t| t.admin_token = Some("t0ken".into()))
            .start()
            .await;
        let local = format!("http://{}/default", idp.address());
        let http = reqwest::Client::new();
        let setup: IdpSetup = toml::from_str("[[user]]\nusername = \"carol\"\npassword = \"pw\"\n").expect("setup parses");
        let r = RemoteProvider {
            issuer: "http://idp:8080/default".into(),
            local_issuer: local.clone(),
            admin_token: Some("t0ken".into()),
            guard: Box::new(idp),
        };
        // Act
        let p = Provider::setup_remote(r, &setup, &http).await.expect("users are added");
        let minted = p.mint(&http, &serde_json::json!({"user": "carol"})).await.expect("mints");
        let users: Value = http
            .get(format!("{local}/_mock/users"))
            .bearer_auth("t0ken")
            .send()
            .await
            .expect("users list")
            .json()
            .await
            .expect("json");
        // Assert
        assert!(users.to_string().contains("carol"), "{users}");
        let token = minted["access_token"].as_str().expect("an access token");
        let payload = token.split('.').nth(1).expect("a JWT");
        use base64::Engine;
        let claims: Value =
            serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).expect("b64")).expect("json");
        assert_eq!(claims["iss"], "http://idp:8080/default");
    }
}
