//! `Tenant`: one issuer with its own keys, accounts, clock and grant state (P4, P5).
//!
//! Parts fixed by configuration (issuer, bases, settings) are plain fields; what tests and
//! flows change at runtime sits behind its own lock, and no lock is held across an `.await`.

use std::sync::{Mutex, RwLock};

use axum::body::Bytes;

use crate::accounts::Accounts;
use crate::clock::Clock;
use crate::config::{GrantType, TenantConfig};
use crate::error::{ConfigError, Error};
use crate::faults::FaultPlan;
use crate::grants::GrantStore;
use crate::journal::Journal;
use crate::keys::{KeyRing, SigningKey};
use crate::rotation::KeyAdmin;

/// The exact issuer string (P2): never normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Issuer(pub String);

impl Issuer {
    /// The issuer text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The issuer with one trailing `/` removed: where endpoint paths hang off (P3).
    pub fn base(&self) -> &str {
        self.0.strip_suffix('/').unwrap_or(&self.0)
    }
}

/// One issuer and everything that belongs to it.
#[derive(Debug)]
pub struct Tenant {
    /// Path segment (`/{name}`).
    pub name: String,
    /// The exact issuer.
    pub issuer: Issuer,
    /// Base of browser-facing endpoints (P7).
    pub front_base: String,
    /// Base of server-facing endpoints (P7).
    pub back_base: String,
    /// The configuration the tenant was built from (reset returns to it, P127).
    pub config: TenantConfig,
    /// Users and clients.
    pub accounts: RwLock<Accounts>,
    /// Signing keys.
    pub keys: RwLock<KeyRing>,
    /// The tenant clock (P142).
    pub clock: Clock,
    /// Codes, refresh tokens, sessions and revocations.
    pub grants: Mutex<GrantStore>,
    /// The request log and counters (P139).
    pub journal: Journal,
    /// Armed faults (P144-P149).
    pub faults: FaultPlan,
    /// Scheduled key operations and retired keys (P135-P137).
    pub key_admin: Mutex<KeyAdmin>,
    /// The keys as configured, for reset (P127).
    pub initial_keys: KeyRing,
    /// The serialised discovery document, for the key ring generation it was built from.
    pub discovery_body: DerivedBody,
    /// The serialised JWKS, likewise.
    pub jwks_body: DerivedBody,
}

/// A response body derived from the key ring and fixed configuration, kept until the ring
/// changes, so that discovery and JWKS GETs do not rebuild and re-serialise the same JSON.
#[derive(Debug, Default)]
pub struct DerivedBody(RwLock<Option<(u64, Bytes)>>);

impl DerivedBody {
    /// The body for ring `generation`, built by `build` when the cached one is for another.
    /// Call it with the ring's lock held, so that the body and the generation agree.
    pub fn get_or_build(&self, generation: u64, build: impl FnOnce() -> Result<Vec<u8>, Error>) -> Result<Bytes, Error> {
        if let Some((g, body)) = self.0.read().ok().as_deref().and_then(Option::as_ref) {
            if *g == generation {
                return Ok(body.clone());
            }
        }
        let body = Bytes::from(build()?);
        if let Ok(mut slot) = self.0.write() {
            *slot = Some((generation, body.clone()));
        }
        Ok(body)
    }
}

impl Tenant {
    /// Builds a tenant; `base_url` is the server's base when the config names no issuer.
    pub fn new(config: TenantConfig, base_url: &str) -> Result<Tenant, ConfigError> {
        let issuer = Issuer(config.issuer.clone().unwrap_or_else(|| default_issuer(&config, base_url)));
        let base = issuer.base().to_owned();
        let front_base = config
            .front_channel_base
            .clone()
            .unwrap_or_else(|| base.clone())
            .trim_end_matches('/')
            .to_owned();
        let back_base = config
            .back_channel_base
            .clone()
            .unwrap_or_else(|| base.clone())
            .trim_end_matches('/')
            .to_owned();
        let seed = config.key_seed.clone().unwrap_or_else(|| format!("oidc-harness:{}", config.name));
        let keys = if config.keys.is_empty() {
            vec![SigningKey::from_seed(&seed, crate::config::Alg::RS256)]
        } else {
            config
                .keys
                .iter()
                .enumerate()
                .map(|(i, k)| SigningKey::from_config(k, &format!("{seed}#{i}")))
                .collect::<Result<Vec<_>, _>>()?
        };
        let clock = Clock::default();
        let faults = FaultPlan::from_config(&config.faults, clock.now_f64());
        let keys = KeyRing::new(keys);
        Ok(Tenant {
            name: config.name.clone(),
            issuer,
            front_base,
            back_base,
            accounts: RwLock::new(Accounts::new(&config.name, &config.users, &config.clients)),
            initial_keys: keys.clone(),
            keys: RwLock::new(keys),
            clock,
            grants: Mutex::new(GrantStore::default()),
            journal: Journal::default(),
            faults,
            key_admin: Mutex::new(KeyAdmin::default()),
            discovery_body: DerivedBody::default(),
            jwks_body: DerivedBody::default(),
            config,
        })
    }

    /// Whether the tenant serves `grant` (P17).
    pub fn grant_enabled(&self, grant: GrantType) -> bool {
        self.config.grant_types.contains(&grant)
    }

    /// Absolute URL of a front-channel endpoint (`/authorize`, `/logout`).
    pub fn front_url(&self, path: &str) -> String {
        format!("{}{}", self.front_base, path)
    }

    /// Absolute URL of a back-channel endpoint (`/token`, `/jwks`, ...).
    pub fn back_url(&self, path: &str) -> String {
        format!("{}{}", self.back_base, path)
    }

    /// The discovery URL (P3: issuer without trailing slash + well-known path).
    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer.base())
    }
}

/// `{base}/{name}`, with a trailing `/` when the tenant or its persona asks for one (P3, P124).
fn default_issuer(config: &TenantConfig, base_url: &str) -> String {
    let slash = config.trailing_slash || config.persona.is_some_and(|p| p.trailing_slash_issuer());
    format!("{}/{}{}", base_url.trim_end_matches('/'), config.name, if slash { "/" } else { "" })
}
