//! `AppState`: the tenants of one provider process, by name.
//!
//! The map is behind a std `RwLock` that is only held to look a tenant up or to add or remove
//! one (never across an `.await`); each `Tenant` then locks its own parts.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use crate::config::{Config, ServerConfig, TenantConfig};
use crate::error::ConfigError;
use crate::tenant::Tenant;

/// Shared state of the provider's router.
#[derive(Debug, Clone)]
pub struct AppState {
    tenants: Arc<RwLock<BTreeMap<String, Arc<Tenant>>>>,
    base_url: Arc<str>,
    server: Arc<ServerConfig>,
}

impl AppState {
    /// Builds every tenant of `config`; `base_url` is used for issuers the config does not name.
    pub fn new(config: &Config, base_url: &str) -> Result<AppState, ConfigError> {
        let base_url = config.server.base_url.clone().unwrap_or_else(|| base_url.to_owned());
        let mut tenants = BTreeMap::new();
        for t in &config.tenants {
            tenants.insert(t.name.clone(), Arc::new(Tenant::new(t.clone(), &base_url)?));
        }
        Ok(AppState {
            tenants: Arc::new(RwLock::new(tenants)),
            base_url: base_url.into(),
            server: Arc::new(config.server.clone()),
        })
    }

    /// The tenant called `name`.
    pub fn tenant(&self, name: &str) -> Option<Arc<Tenant>> {
        self.tenants.read().expect("tenant map lock").get(name).cloned()
    }

    /// Every tenant, by name.
    pub fn tenants(&self) -> Vec<Arc<Tenant>> {
        self.tenants.read().expect("tenant map lock").values().cloned().collect()
    }

    /// Adds a tenant at runtime (P6); refuses a name in use.
    pub fn add_tenant(&self, config: TenantConfig) -> Result<Arc<Tenant>, ConfigError> {
        let tenant = Arc::new(Tenant::new(config, &self.base_url)?);
        let mut map = self.tenants.write().expect("tenant map lock");
        if map.contains_key(&tenant.name) {
            return Err(ConfigError::Invalid {
                file: "<runtime>".into(),
                field: "name".into(),
                reason: format!("tenant {:?} exists already", tenant.name),
            });
        }
        map.insert(tenant.name.clone(), tenant.clone());
        Ok(tenant)
    }

    /// Removes a tenant (P6); its endpoints answer 404 from then on.
    pub fn remove_tenant(&self, name: &str) -> Option<Arc<Tenant>> {
        self.tenants.write().expect("tenant map lock").remove(name)
    }

    /// The base URL issuers hang off.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The server-wide settings (control switch and admin token, P125).
    pub fn server_config(&self) -> &ServerConfig {
        &self.server
    }
}
