//! `MockIdp`, a running provider owned by a test, and `MockIdpBuilder`, which configures one.
//!
//! Like wiremock's `MockServer`: the OS picks the port, `start` returns once the listener is
//! bound (so the provider is ready without a sleep), and dropping the handle stops the server.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::config::{ClientConfig, Config, TenantConfig, UserConfig};
use crate::error::ConfigError;
use crate::state::AppState;
use crate::tenant::Tenant;

/// A running mock OpenID provider. Dropping it stops the server.
#[derive(Debug)]
pub struct MockIdp {
    addr: SocketAddr,
    state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    /// The CA PEM a client should trust, when serving HTTPS with a generated CA (P154).
    ca_pem: Option<String>,
    tls: bool,
}

impl MockIdp {
    /// Starts a provider with the built-in configuration (`fixtures/configs/default.toml`).
    pub async fn start() -> MockIdp {
        MockIdp::builder().start().await
    }

    /// A builder that starts from the built-in configuration.
    pub fn builder() -> MockIdpBuilder {
        MockIdpBuilder {
            config: Config::builtin(),
            base_url: None,
            tls: None,
            listen: None,
        }
    }

    /// The socket address the provider listens on.
    pub fn address(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (`https` with TLS), the base of every tenant.
    pub fn base_url(&self) -> String {
        let scheme = if self.is_tls() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Whether the provider serves HTTPS (P153).
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The generated CA certificate as PEM, for a client's trust store (P154).
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The issuer of the first tenant (`{base}/default` with the built-in configuration).
    pub fn issuer_url(&self) -> String {
        self.first_tenant().issuer.0.clone()
    }

    /// The discovery URL of the first tenant.
    pub fn discovery_url(&self) -> String {
        self.first_tenant().discovery_url()
    }

    /// The issuer of the tenant called `name`.
    pub fn issuer_url_of(&self, name: &str) -> Option<String> {
        self.state.tenant(name).map(|t| t.issuer.0.clone())
    }

    /// The tenant called `name`, for direct control from Rust (P126).
    pub fn tenant(&self, name: &str) -> Option<Arc<Tenant>> {
        self.state.tenant(name)
    }

    /// The first tenant.
    pub fn first_tenant(&self) -> Arc<Tenant> {
        self.state.tenants().into_iter().next().expect("a MockIdp has at least one tenant")
    }

    /// The shared state (tenants), for control operations.
    pub fn state(&self) -> &AppState {
        &self.state
    }
}

impl Drop for MockIdp {
    fn drop(&mut self) {
        // Ends the serve task: the listener closes and in-flight requests finish.
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Configures a `MockIdp`; every setter takes and returns `self`.
#[derive(Debug, Clone)]
pub struct MockIdpBuilder {
    config: Config,
    base_url: Option<String>,
    tls: Option<crate::tls::TlsOptions>,
    listen: Option<SocketAddr>,
}

impl MockIdpBuilder {
    /// Replaces the whole configuration.
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Adds a user to the first tenant, or replaces the user of the same name.
    pub fn user(mut self, user: UserConfig) -> Self {
        let t = self.first();
        t.users.retain(|u| u.username != user.username);
        t.users.push(user);
        self
    }

    /// Adds a client to the first tenant, or replaces the client with the same id.
    pub fn client(mut self, client: ClientConfig) -> Self {
        let t = self.first();
        t.clients.retain(|c| c.client_id != client.client_id);
        t.clients.push(client);
        self
    }

    /// Adds a tenant, or replaces the tenant of the same name.
    pub fn tenant(mut self, tenant: TenantConfig) -> Self {
        match self.config.tenants.iter_mut().find(|t| t.name == tenant.name) {
            Some(t) => *t = tenant,
            None => self.config.tenants.push(tenant),
        }
        self
    }

    /// Changes the first tenant with a closure (lifetimes, claims, permissive...).
    pub fn configure(mut self, f: impl FnOnce(&mut TenantConfig)) -> Self {
        f(self.first());
        self
    }

    /// Uses `base` instead of `http://127.0.0.1:PORT` in issuers (e.g. a container host name).
    pub fn base_url(mut self, base: impl Into<String>) -> Self {
        self.base_url = Some(base.into());
        self
    }

    /// Binds `addr` instead of `127.0.0.1:0`: for a Weaviate already configured with this issuer.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = Some(addr);
        self
    }

    /// Serves HTTPS with a generated CA or your own certificate (P153-P156); issuers use `https`.
    pub fn tls(mut self, options: crate::tls::TlsOptions) -> Self {
        self.tls = Some(options);
        self
    }

    fn first(&mut self) -> &mut TenantConfig {
        if self.config.tenants.is_empty() {
            self.config.tenants.push(TenantConfig::named("default"));
        }
        &mut self.config.tenants[0]
    }

    /// Binds `127.0.0.1:0`, builds the tenants and serves. Panics with a sentence when the
    /// configuration is invalid or no port can be bound; use `try_start` to handle that.
    pub async fn start(self) -> MockIdp {
        self.try_start().await.unwrap_or_else(|e| panic!("MockIdp could not start: {e}"))
    }

    /// Like `start`, returning configuration and bind errors.
    pub async fn try_start(mut self) -> Result<MockIdp, ConfigError> {
        if self.config.tenants.is_empty() {
            self.first();
        }
        self.config.validate().map_err(|(field, reason)| ConfigError::Invalid {
            file: "<builder>".into(),
            field,
            reason,
        })?;
        let bind = self.listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let listener = TcpListener::bind(bind).await.map_err(|source| ConfigError::Bind {
            addr: bind.to_string(),
            source,
        })?;
        let addr = listener.local_addr().map_err(|source| ConfigError::Bind {
            addr: bind.to_string(),
            source,
        })?;
        let tls = self.tls.as_ref().map(crate::tls::TlsMaterial::build).transpose()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let base = self.base_url.clone().unwrap_or_else(|| format!("{scheme}://{addr}"));
        let state = AppState::new(&self.config, &base)?;
        let (tx, rx) = oneshot::channel::<()>();
        let serve_state = state.clone();
        let ca_pem = tls.as_ref().and_then(|t| t.ca_pem().map(str::to_owned));
        let is_tls = tls.is_some();
        let stop = async {
            let _ = rx.await;
        };
        match tls {
            Some(tls) => {
                tokio::spawn(crate::tls::serve_tls(listener, serve_state, tls, stop));
            }
            None => {
                tokio::spawn(crate::server::serve(listener, serve_state, stop));
            }
        }
        Ok(MockIdp {
            addr,
            state,
            shutdown: Some(tx),
            ca_pem,
            tls: is_tls,
        })
    }
}
