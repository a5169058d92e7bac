//! `MockIdp`, a running provider owned by a test, and `MockIdpBuilder`, which configures one.
//!
//! Like wiremock's `MockServer`: the OS picks the port, `start` returns once the listener is
//! bound (so the provider is ready without a sleep), and dropping the handle stops the server.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use crate::clock::ClockChange;
use crate::config::{ClientConfig, Config, TenantConfig, UserConfig};
use crate::control::{create_tenant, delete_tenant, issuers, ClockView, IssuerInfo};
use crate::endpoint::Endpoint;
use crate::error::{ConfigError, Error, Result};
use crate::faults::{FaultInfo, FaultSpec};
use crate::journal::{Entry, Query};
use crate::mint::{MintedTokens, TokenBuilder, TokenKind};
use crate::rotation::{AddKey, KeyAction, KeyList, RotateKeys, When};
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
            preset_expectations: Default::default(),
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
        self.first_tenant().issuer().0.clone()
    }

    /// The discovery URL of the first tenant.
    pub fn discovery_url(&self) -> String {
        self.first_tenant().discovery_url()
    }

    /// The issuer of the tenant called `name`.
    pub fn issuer_url_of(&self, name: &str) -> Option<String> {
        self.state.tenant(name).map(|t| t.issuer().0.clone())
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
    preset_expectations: crate::state::PresetExpectations,
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

    /// Adds what a relying party answers to each bad-token preset to the `_mock/presets` listing:
    /// `f` gives the members of a preset's entry (e.g. `expected_status`). Without it the listing
    /// has the name, aliases, description and attack only.
    pub fn preset_expectations(mut self, f: impl Fn(crate::presets::Preset) -> serde_json::Map<String, serde_json::Value>) -> Self {
        self.preset_expectations = crate::presets::expectations(f);
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
        let state = AppState::new(&self.config, &base)?.with_preset_expectations(std::mem::take(&mut self.preset_expectations));
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

// ---------------------------------------------------------------------------------------------
// The in-process handle (P126): the same operations on the first tenant, plus tenants.

impl MockIdp {
    /// Every key and scheduled key operation of the first tenant (P135).
    pub fn keys(&self) -> Result<KeyList> {
        self.first_tenant().key_list()
    }

    /// Adds a key to the first tenant (P135, P136).
    pub fn add_key(&self, req: AddKey) -> Result<KeyList> {
        self.first_tenant().add_key(req)
    }

    /// Rotates the first tenant's signing key (P35, P135).
    pub fn rotate_keys(&self, req: RotateKeys) -> Result<KeyList> {
        self.first_tenant().rotate_keys(req)
    }

    /// Activates, publishes, hides, retires or deletes a key of the first tenant (P135, P137).
    pub fn key_action(&self, kid: &str, action: KeyAction, when: When) -> Result<KeyList> {
        self.first_tenant().key_action(kid, action, when)
    }

    /// The first tenant's clock (P142).
    pub fn clock(&self) -> ClockView {
        self.first_tenant().clock_view()
    }

    /// Sets the first tenant's clock (P142).
    pub fn set_clock(&self, change: ClockChange) -> Result<ClockView> {
        self.first_tenant().set_clock(change)
    }

    /// Freezes the first tenant's clock.
    pub fn freeze_clock(&self) -> ClockView {
        let t = self.first_tenant();
        t.clock().freeze();
        t.clock_view()
    }

    /// Moves the first tenant's clock by `secs` and runs key operations that became due.
    pub fn advance_clock(&self, secs: f64) -> ClockView {
        let t = self.first_tenant();
        t.clock().advance(secs);
        t.run_due_key_ops();
        t.clock_view()
    }

    /// Arms a fault on the first tenant (P144-P149).
    pub fn add_fault(&self, spec: FaultSpec) -> Result<FaultInfo> {
        self.first_tenant().add_fault(spec)
    }

    /// The first tenant's armed faults.
    pub fn faults(&self) -> Vec<FaultInfo> {
        self.first_tenant().fault_list()
    }

    /// Clears the first tenant's faults.
    pub fn clear_faults(&self) {
        self.first_tenant().clear_faults()
    }

    /// The first tenant's journal (P139).
    pub fn journal(&self, query: &Query) -> Vec<Entry> {
        self.first_tenant().journal_entries(query)
    }

    /// The first tenant's counters per endpoint (P138).
    pub fn counters(&self) -> BTreeMap<Endpoint, u64> {
        self.first_tenant().journal().counters()
    }

    /// Clears the first tenant's journal and counters.
    pub fn clear_journal(&self) {
        self.first_tenant().journal().clear()
    }

    /// Waits until the first tenant has served `endpoint` `count` times (P141).
    pub async fn wait_for(&self, endpoint: Endpoint, count: u64, timeout: Duration) -> Result<u64> {
        self.first_tenant().wait_for(Some(endpoint), count, timeout).await
    }

    /// Adds or replaces a user of the first tenant (P129).
    pub fn add_user(&self, user: UserConfig) -> Result<Value> {
        self.first_tenant().add_user(user)
    }

    /// Removes a user of the first tenant (P129).
    pub fn remove_user(&self, username: &str) -> Result<()> {
        self.first_tenant().remove_user(username)
    }

    /// Adds or replaces a client of the first tenant (P129).
    pub fn add_client(&self, client: ClientConfig) -> Result<Value> {
        self.first_tenant().add_client(client)
    }

    /// Removes a client of the first tenant (P129).
    pub fn remove_client(&self, client_id: &str) -> Result<()> {
        self.first_tenant().remove_client(client_id)
    }

    /// Resets the first tenant to its configured state (P127).
    pub fn reset(&self) {
        self.first_tenant().reset()
    }

    /// Every tenant (P130).
    pub fn issuers(&self) -> Vec<IssuerInfo> {
        issuers(self.state())
    }

    /// Creates a tenant and returns its issuer URL (P6, P130).
    pub fn create_issuer(&self, config: TenantConfig) -> Result<String> {
        create_tenant(self.state(), config).map(|i| i.issuer)
    }

    /// Deletes a tenant (P6, P130).
    pub fn delete_issuer(&self, name: &str) -> Result<()> {
        delete_tenant(self.state(), name)
    }

    /// The tenant called `name`, or `ControlNotFound`.
    pub fn tenant_named(&self, name: &str) -> Result<Arc<Tenant>> {
        self.tenant(name)
            .ok_or_else(|| Error::ControlNotFound(format!("no tenant named {name:?}")))
    }
}

/// Minting from the in-process handle (P126: the same operation as `_mock/mint`).
impl MockIdp {
    /// A fresh `TokenBuilder`, for `idp.mint(idp.token_builder().user("viewer"))`.
    pub fn token_builder(&self) -> TokenBuilder {
        TokenBuilder::new()
    }

    /// Mints in the first tenant.
    pub fn mint(&self, builder: TokenBuilder) -> Result<MintedTokens> {
        builder.mint(&self.first_tenant())
    }

    /// Mints in the tenant called `tenant`.
    pub fn mint_in(&self, tenant: &str, builder: TokenBuilder) -> Result<MintedTokens> {
        let t = self.tenant(tenant).ok_or_else(|| Error::UnknownTenant(tenant.to_owned()))?;
        builder.mint(&t)
    }

    /// A valid access token for `user` of the first tenant, through the default client.
    /// Panics with a sentence when the user does not exist (a test utility).
    pub fn mint_access_token(&self, user: &str) -> String {
        self.mint(TokenBuilder::new().user(user).tokens([TokenKind::AccessToken]))
            .unwrap_or_else(|e| panic!("MockIdp could not mint an access token for {user:?}: {e}"))
            .access_token
            .unwrap_or_else(|| panic!("MockIdp minted no access token for {user:?}"))
    }
}
