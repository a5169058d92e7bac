//! `Tenant`: one issuer with its own keys, accounts, clock and grant state (P4, P5).
//!
//! Parts fixed by configuration (issuer, bases, settings) are plain fields; what tests and
//! flows change at runtime sits behind its own lock, and no lock is held across an `.await`.

use std::borrow::Cow;
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use axum::body::Bytes;

use crate::accounts::Accounts;
use crate::clock::Clock;
use crate::config::{GrantType, TenantConfig};
use crate::endpoint::Endpoint;
use crate::error::{ConfigError, Error};
use crate::faults::FaultPlan;
use crate::grants::GrantStore;
use crate::journal::Journal;
use crate::keys::{KeyRing, SigningKey};
use crate::personas::{Paths, PLAIN};
use crate::rotation::KeyAdmin;
use crate::sync::{self, Flagged, FlaggedGuard};

mod key_ops;

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
///
/// The fields are private: fixed parts are read through accessors, and each part that changes
/// at runtime through the accessor that takes its lock (`accounts`, `keys_mut`, `grants`...),
/// which applies the provider's one poisoning rule (`sync.rs`). No guard may be held across
/// an `.await`.
#[derive(Debug)]
pub struct Tenant {
    /// Path segment (`/{name}`).
    name: String,
    /// The exact issuer.
    issuer: Issuer,
    /// Where the issuer and endpoints live: the persona's table, or the plain one (P124).
    paths: &'static Paths,
    /// The tenant's path on the provider (`/{name}`, `/realms/{name}`...); endpoints hang off it.
    root_path: String,
    /// Base of browser-facing endpoints (P7).
    front_base: String,
    /// Base of server-facing endpoints (P7).
    back_base: String,
    /// The configuration the tenant was built from (reset returns to it, P127).
    config: TenantConfig,
    /// Users and clients.
    accounts: RwLock<Accounts>,
    /// Signing keys.
    keys: RwLock<KeyRing>,
    /// The tenant clock (P142).
    clock: Clock,
    /// Codes, refresh tokens, sessions and revocations.
    grants: Mutex<GrantStore>,
    /// The request log and counters (P139).
    journal: Journal,
    /// Armed faults (P144-P149).
    faults: FaultPlan,
    /// Scheduled key operations and retired keys (P135-P137).
    /// Flagged when an operation is scheduled: every request asks (`run_key_ops_due_at`).
    key_admin: Flagged<KeyAdmin>,
    /// The keys as configured, for reset (P127).
    initial_keys: KeyRing,
    /// The serialised discovery document, for the key ring generation it was built from.
    discovery_body: DerivedBody,
    /// The serialised JWKS, likewise.
    jwks_body: DerivedBody,
}

/// A response body derived from the key ring and fixed configuration, kept until the ring
/// changes, so that discovery and JWKS GETs do not rebuild and re-serialise the same JSON.
#[derive(Debug, Default)]
pub struct DerivedBody(RwLock<Option<(u64, Bytes)>>);

impl DerivedBody {
    /// The body for ring `generation`, built by `build` when the cached one is for another.
    /// Call it with the ring's lock held, so that the body and the generation agree.
    pub fn get_or_build(&self, generation: u64, build: impl FnOnce() -> Result<Vec<u8>, Error>) -> Result<Bytes, Error> {
        if let Some((g, body)) = sync::read(&self.0).as_ref() {
            if *g == generation {
                return Ok(body.clone());
            }
        }
        let body = Bytes::from(build()?);
        *sync::write(&self.0) = Some((generation, body.clone()));
        Ok(body)
    }
}

impl Tenant {
    /// Builds a tenant; `base_url` is the server's base when the config names no issuer.
    pub fn new(config: TenantConfig, base_url: &str) -> Result<Tenant, ConfigError> {
        let paths = Paths::of(config.persona);
        let root_path = paths.root_of(&config.name);
        let issuer = Issuer(config.issuer.clone().unwrap_or_else(|| default_issuer(&config, base_url)));
        // The root URL: the issuer without the part the table puts below the root (Entra's
        // `/v2.0`); a configured issuer keeps its host (validation fixed its path).
        let base = issuer.base();
        let base = base.strip_suffix(paths.issuer).unwrap_or(base).to_owned();
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
            paths,
            root_path,
            front_base,
            back_base,
            accounts: RwLock::new(Accounts::new(&config.name, &config.users, &config.clients)),
            initial_keys: keys.clone(),
            keys: RwLock::new(keys),
            clock,
            grants: Mutex::new(GrantStore::with_budget(config.memory.grant_bytes.as_usize())),
            journal: Journal::with_budget(config.memory.journal_entries, config.memory.journal_bytes.as_usize()),
            faults,
            key_admin: Flagged::new(KeyAdmin::default(), |a| !a.scheduled.is_empty()),
            discovery_body: DerivedBody::default(),
            jwks_body: DerivedBody::default(),
            config,
        })
    }

    /// Path segment (`/{name}`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The exact issuer.
    pub fn issuer(&self) -> &Issuer {
        &self.issuer
    }

    /// Where the issuer and endpoints live: the persona's table, or the plain one (P124).
    pub fn paths(&self) -> &'static Paths {
        self.paths
    }

    /// The tenant's path on the provider (`/{name}`, `/realms/{name}`...).
    pub fn root_path(&self) -> &str {
        &self.root_path
    }

    /// Base of browser-facing endpoints (P7).
    pub fn front_base(&self) -> &str {
        &self.front_base
    }

    /// Base of server-facing endpoints (P7).
    pub fn back_base(&self) -> &str {
        &self.back_base
    }

    /// The configuration the tenant was built from (reset returns to it, P127).
    pub fn config(&self) -> &TenantConfig {
        &self.config
    }

    /// The tenant clock (P142).
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The request log and counters (P139).
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Armed faults (P144-P149).
    pub fn faults(&self) -> &FaultPlan {
        &self.faults
    }

    /// Users and clients, read-locked.
    pub fn accounts(&self) -> RwLockReadGuard<'_, Accounts> {
        sync::read(&self.accounts)
    }

    /// Users and clients, write-locked.
    pub fn accounts_mut(&self) -> RwLockWriteGuard<'_, Accounts> {
        sync::write(&self.accounts)
    }

    /// Signing keys, read-locked.
    pub fn keys(&self) -> RwLockReadGuard<'_, KeyRing> {
        sync::read(&self.keys)
    }

    /// Signing keys, write-locked.
    pub fn keys_mut(&self) -> RwLockWriteGuard<'_, KeyRing> {
        sync::write(&self.keys)
    }

    /// Codes, refresh tokens, sessions and revocations, locked.
    pub fn grants(&self) -> MutexGuard<'_, GrantStore> {
        sync::lock(&self.grants)
    }

    /// Scheduled key operations and retired keys (P135-P137), locked.
    pub(crate) fn key_admin(&self) -> FlaggedGuard<'_, KeyAdmin> {
        self.key_admin.lock()
    }

    /// Whether any key operation is scheduled, without the lock.
    pub(crate) fn any_key_op_scheduled(&self) -> bool {
        self.key_admin.pending()
    }

    /// The serialised discovery document, for the key ring generation it was built from.
    pub fn discovery_body(&self) -> &DerivedBody {
        &self.discovery_body
    }

    /// The serialised JWKS, likewise.
    pub fn jwks_body(&self) -> &DerivedBody {
        &self.jwks_body
    }

    /// Whether the tenant serves `grant` (P17).
    pub fn grant_enabled(&self, grant: GrantType) -> bool {
        self.config.grant_types.contains(&grant)
    }

    /// Absolute URL of a protocol endpoint as advertised: browser-facing ones (authorize,
    /// logout, login) on the front-channel base, the others on the back-channel base (P7).
    /// `None` for discovery and the `_mock/` routes, which follow the issuer.
    pub fn endpoint_url(&self, endpoint: Endpoint) -> Option<String> {
        let path = self.paths.path(endpoint)?;
        let base = match endpoint {
            Endpoint::Authorize | Endpoint::EndSession | Endpoint::Login => &self.front_base,
            _ => &self.back_base,
        };
        Some(format!("{base}{path}"))
    }

    /// The discovery URL (P3: issuer without trailing slash + well-known path).
    pub fn discovery_url(&self) -> String {
        format!("{}{DISCOVERY_PATH}", self.issuer.base())
    }

    /// The issuer's path on the provider, without a trailing `/`: discovery and `_mock/` hang off it.
    pub fn issuer_path(&self) -> String {
        format!("{}{}", self.root_path, self.paths.issuer)
    }

    /// What a request path under this tenant addresses: its endpoint, and the part of the
    /// provider's internal route for it below `/{name}` (the plain path), or `None` where
    /// nothing is served. `None` overall when the path is not under the tenant's root. Nothing
    /// is allocated unless the path is under `_mock/`.
    pub fn route(&self, path: &str) -> Option<(Endpoint, Option<Cow<'static, str>>)> {
        let rest = below(path, &self.root_path)?;
        if let Some(at_issuer) = below(rest, self.paths.issuer) {
            if at_issuer == DISCOVERY_PATH {
                return Some((Endpoint::Discovery, Some(Cow::Borrowed(DISCOVERY_PATH))));
            }
            if below(at_issuer, "/_mock").is_some() {
                let endpoint = if at_issuer == "/_mock/mint" {
                    Endpoint::Mint
                } else {
                    Endpoint::Control
                };
                return Some((endpoint, Some(Cow::Owned(at_issuer.to_owned()))));
            }
        }
        match self.paths.endpoint_at(rest) {
            Some(e) => Some((e, PLAIN.path(e).map(Cow::Borrowed))),
            None => Some((Endpoint::Other, None)),
        }
    }
}

/// Where discovery is below an issuer (and below `/{name}` among the internal routes).
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";

/// The part of `path` below `prefix`, when `path` is `prefix` or continues it with a `/`.
fn below<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = path.strip_prefix(prefix)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// `{base}{root}{issuer}` of the tenant's paths, with a trailing `/` when the tenant or its
/// persona asks for one (P3, P124).
fn default_issuer(config: &TenantConfig, base_url: &str) -> String {
    let slash = config.trailing_slash || config.persona.is_some_and(|p| p.trailing_slash_issuer());
    let paths = Paths::of(config.persona);
    format!(
        "{}{}{}{}",
        base_url.trim_end_matches('/'),
        paths.root_of(&config.name),
        paths.issuer,
        if slash { "/" } else { "" }
    )
}
