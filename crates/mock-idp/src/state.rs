//! `AppState`: the tenants of one provider process, in configuration order.
//!
//! Tenants keep the order of the configuration (runtime ones are appended), so "the first
//! tenant" of a `MockIdp` is the first one configured. The list is behind a std `RwLock` that is only held to look a tenant up or to add or remove
//! one (never across an `.await`); each `Tenant` then locks its own parts.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use serde_json::{Map, Value};

use crate::config::{Config, ServerConfig, TenantConfig};
use crate::error::ConfigError;
use crate::tenant::Tenant;

/// Shared state of the provider's router. Cloned for every request (axum's `State`), so it is
/// one `Arc`: each clone and drop is one atomic count that both cores touch.
#[derive(Debug, Clone)]
pub struct AppState {
    shared: Arc<Shared>,
}

#[derive(Debug, Clone)]
struct Shared {
    /// Its own `Arc`: a state rebuilt by `with_preset_expectations` keeps the same list.
    tenants: Arc<RwLock<Vec<Arc<Tenant>>>>,
    base_url: String,
    server: ServerConfig,
    /// Whether the starting configuration named any admin token (`admin::guard_on`): fixed for
    /// the life of the provider, so removing a tenant never reopens the controls (P125).
    admin_guard: bool,
    /// Members added to each entry of the `_mock/presets` listing, by preset name.
    preset_expectations: PresetExpectations,
}

/// What the embedding program expects of each bad-token preset, by preset name: members added to
/// that preset's entry of the `_mock/presets` listing (e.g. `expected_status`). The provider
/// itself knows no relying party, so by default there are none (`presets::expectations` builds
/// one from a function of the preset).
pub type PresetExpectations = BTreeMap<String, Map<String, Value>>;

impl AppState {
    /// Builds every tenant of `config`; `base_url` is used for issuers the config does not name.
    pub fn new(config: &Config, base_url: &str) -> Result<AppState, ConfigError> {
        let base_url = config.server.base_url.clone().unwrap_or_else(|| base_url.to_owned());
        let mut tenants = Vec::with_capacity(config.tenants.len());
        for t in &config.tenants {
            tenants.push(Arc::new(Tenant::new(t.clone(), &base_url)?));
        }
        let shared = Shared {
            tenants: Arc::new(RwLock::new(tenants)),
            base_url,
            server: config.server.clone(),
            admin_guard: config.admin_guard_on(),
            preset_expectations: PresetExpectations::default(),
        };
        Ok(AppState { shared: Arc::new(shared) })
    }

    /// The same state (the same tenants) whose `_mock/presets` listing also carries
    /// `expectations`. Clones of the state made before keep their listing.
    pub fn with_preset_expectations(self, expectations: PresetExpectations) -> AppState {
        let mut shared = Arc::unwrap_or_clone(self.shared);
        shared.preset_expectations = expectations;
        AppState { shared: Arc::new(shared) }
    }

    /// What the `_mock/presets` listing adds to each preset (empty unless supplied).
    pub fn preset_expectations(&self) -> &PresetExpectations {
        &self.shared.preset_expectations
    }

    /// The tenant called `name`.
    pub fn tenant(&self, name: &str) -> Option<Arc<Tenant>> {
        crate::sync::read(&self.shared.tenants).iter().find(|t| t.name() == name).cloned()
    }

    /// Runs `f` over every tenant, in configuration order, under the list's read lock (no copy).
    pub fn with_tenants<R>(&self, f: impl FnOnce(&[Arc<Tenant>]) -> R) -> R {
        f(&crate::sync::read(&self.shared.tenants))
    }

    /// Every tenant, in configuration order.
    pub fn tenants(&self) -> Vec<Arc<Tenant>> {
        crate::sync::read(&self.shared.tenants).clone()
    }

    /// Adds a tenant at runtime (P6); refuses a name in use.
    pub fn add_tenant(&self, config: TenantConfig) -> Result<Arc<Tenant>, ConfigError> {
        let tenant = Arc::new(Tenant::new(config, &self.shared.base_url)?);
        let mut map = crate::sync::write(&self.shared.tenants);
        if map.iter().any(|t| t.name() == tenant.name()) {
            return Err(ConfigError::Invalid {
                file: "<runtime>".into(),
                field: "name".into(),
                reason: format!("tenant {:?} exists already", tenant.name()),
            });
        }
        map.push(tenant.clone());
        Ok(tenant)
    }

    /// Removes a tenant (P6); its endpoints answer 404 from then on.
    pub fn remove_tenant(&self, name: &str) -> Option<Arc<Tenant>> {
        let mut map = crate::sync::write(&self.shared.tenants);
        let i = map.iter().position(|t| t.name() == name)?;
        Some(map.remove(i))
    }

    /// The base URL issuers hang off.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// The server-wide settings (control switch and admin token, P125).
    pub fn server_config(&self) -> &ServerConfig {
        &self.shared.server
    }

    /// Whether every `_mock/` route needs an admin token (P125, `admin.rs`).
    pub fn admin_guard(&self) -> bool {
        self.shared.admin_guard
    }
}
