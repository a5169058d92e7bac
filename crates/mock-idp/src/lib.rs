//! A standards-compliant mock OpenID Connect provider for tests, served by the `oidc-harness`
//! binary or started in-process.
//!
//! One process serves several issuers ("tenants"), each under `/{name}` with its own keys,
//! users, clients, clock and grant state. Discovery, JWKS, authorize (code, id_token, hybrid;
//! query, fragment, form_post), token (password, client credentials, authorization code with
//! PKCE, refresh), userinfo, introspection, revocation and end-session follow the RFCs; the
//! `_mock/` paths hold the test controls (minting, bad-token presets).
//!
//! ```no_run
//! # async fn demo() {
//! use mock_idp::MockIdp;
//!
//! // Arrange: a provider with the built-in users (admin / admin-pass) and clients.
//! let idp = MockIdp::start().await;
//! // Act: a relying party discovers it.
//! let doc: serde_json::Value = reqwest::get(idp.discovery_url()).await.unwrap().json().await.unwrap();
//! // Assert: the issuer is exact.
//! assert_eq!(doc["issuer"], idp.issuer_url());
//! # }
//! ```
//!
//! # Layers
//!
//! The modules depend in one direction, lowest first; no module uses one of a higher layer, and
//! `tests/module_layers.rs` fails on an import circle or an upward import.
//!
//! 0. Leaves: `error`, `clock`, `endpoint` (the endpoint names), `urls`, `form` (form bodies,
//!    Basic credentials), `html`, `personas` (persona tables), `faults` (fault specs and plans),
//!    `sync` (the one lock-poisoning rule), `serde_name` (wire names of enum variants).
//! 1. Configuration and what a tenant is made of: `config`, `keys`, `accounts`, `journal`,
//!    `rotation` (key operation rules), `grants` (the grant store).
//! 2. `tenant`, `state` (the tenants of a process), `extract` (request to tenant and endpoint).
//! 3. Protocol and test logic over a tenant: `claims`, `grant_types`, `session`, `authorize`,
//!    `admin` (who may use `_mock/`), `presets`, `mint`.
//! 4. HTTP handlers (`discovery`, `jwks`, `token`, `login`, `userinfo`, `introspection`,
//!    `revocation`, `end_session`, `debugger`), the `control` routes, and `middleware` (journal,
//!    faults and the admin check on every request).
//! 5. `server` (router, serve) and `tls`.
//! 6. `handle`: the in-process [`MockIdp`].
//!
//! The façade: the items at the root (below) are the API, with four public modules whose
//! contents are vocabularies of it: `config` (the configuration file and builder types),
//! `presets` (the bad-token catalogue and its listing), `secret` and `tls`. Every other module
//! is crate-private. `internals` re-exports, hidden from the docs, the few parsers and tables the
//! fuzz targets and the workspace's tests drive directly.
//!
//! # Memory
//!
//! What a tenant keeps per request is bounded (`config::MemoryBudget`, `[tenant.memory]` in the
//! configuration file): the journal keeps at most `journal_entries` entries (default 10,000) and
//! about `journal_bytes` of them (default 2 MiB), dropping the oldest; token families and their
//! refresh tokens are dropped once every token in them has expired, and beyond `grant_bytes`
//! (default 2 MiB, about 1,700 families) the least recently used family goes first. Sizes are
//! estimates of the heap the data takes; RSS also holds the allocator's free memory.

pub(crate) mod accounts;
pub(crate) mod admin;
pub(crate) mod authorize;
pub(crate) mod claims;
pub(crate) mod clock;
pub mod config;
pub(crate) mod control;
pub(crate) mod debugger;
pub(crate) mod discovery;
pub(crate) mod end_session;
pub(crate) mod endpoint;
pub(crate) mod error;
pub(crate) mod extract;
pub(crate) mod faults;
pub(crate) mod form;
pub(crate) mod grant_types;
pub(crate) mod grants;
pub(crate) mod handle;
pub(crate) mod html;
pub(crate) mod introspection;
pub(crate) mod journal;
pub(crate) mod jwks;
pub(crate) mod keys;
pub(crate) mod login;
pub(crate) mod middleware;
pub(crate) mod mint;
pub(crate) mod personas;
pub mod presets;
pub(crate) mod revocation;
pub(crate) mod rotation;
pub mod secret;
pub(crate) mod serde_name;
pub(crate) mod server;
pub(crate) mod session;
pub(crate) mod state;
mod sync;
pub(crate) mod tenant;
pub mod tls;
pub(crate) mod token;
pub(crate) mod urls;
pub(crate) mod userinfo;

pub use admin::open_exposure;
pub use clock::{ClockChange, ClockMode};
pub use config::{AdminToken, Alg, ClientConfig, Config, GrantType, TenantConfig, UserConfig, UserStatus};
pub use endpoint::{Endpoint, Target};
pub use error::{ConfigError, Error};
pub use faults::{Fault, FaultKind, FaultSpec, UNREACHABLE_JWKS_URI};
pub use handle::{MockIdp, MockIdpBuilder};
pub use http_drain::DRAIN_WINDOW;
pub use journal::{Entry as JournalEntry, Query as JournalQuery};
pub use keys::SigningKey;
pub use mint::{MintedTokens, TokenBuilder, TokenKind};
pub use personas::Persona;
pub use presets::Preset;
pub use rotation::{AddKey, KeyAction, RotateKeys, When as KeyWhen};
pub use server::{router, serve, serve_draining};
pub use state::AppState;
pub use tenant::Tenant;
pub use tls::{serve_tls, TlsOptions};

/// Parsers, checks and tables that the fuzz targets and the workspace's tests drive directly.
/// Not part of the API: they may change with any release.
#[doc(hidden)]
pub mod internals {
    pub use crate::accounts::{fingerprint, Client};
    pub use crate::authorize::{authorize, reply_params, validate, Outcome};
    pub use crate::claims::REGISTERED;
    pub use crate::faults::markdown_list;
    pub use crate::form::{basic_credentials, Form, MAX_PARAM_BYTES};
    pub use crate::grant_types::authorization_code::s256_challenge;
    pub use crate::grant_types::password::{BAD_CREDENTIALS, FAIL_NEXT, LOCKED_OUT};
    pub use crate::grant_types::TokenResponse;
    pub use crate::grants::{half_hash, store_key};
    pub use crate::keys::to_jwt_alg;
    pub use crate::personas::{markdown_table, tenant_guid, Paths, PLAIN, ROUTED};
    pub use crate::token::exchange;
    pub use crate::userinfo::{bearer_token, verify_own_token};
}
