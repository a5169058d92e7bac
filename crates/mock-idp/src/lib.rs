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
//! # Memory
//!
//! What a tenant keeps per request is bounded (`config::MemoryBudget`, `[tenant.memory]` in the
//! configuration file): the journal keeps at most `journal_entries` entries (default 10,000) and
//! about `journal_bytes` of them (default 2 MiB), dropping the oldest; token families and their
//! refresh tokens are dropped once every token in them has expired, and beyond `grant_bytes`
//! (default 2 MiB, about 1,700 families) the least recently used family goes first. Sizes are
//! estimates of the heap the data takes; RSS also holds the allocator's free memory.

pub mod accounts;
pub mod admin;
pub mod authorize;
pub mod claims;
pub mod clock;
pub mod config;
pub mod control;
pub mod debugger;
pub mod discovery;
pub mod end_session;
pub mod error;
pub mod faults;
pub mod grants;
pub mod handle;
pub mod introspection;
pub mod journal;
pub mod jwks;
pub mod keys;
pub mod login;
pub mod mint;
pub mod personas;
pub mod presets;
pub mod revocation;
pub mod rotation;
pub mod server;
pub mod state;
pub mod tenant;
pub mod tls;
pub mod token;
pub mod userinfo;

pub use config::{AdminToken, Alg, ClientConfig, Config, GrantType, TenantConfig, UserConfig, UserStatus};
pub use error::{ConfigError, Error};
pub use faults::{FaultKind, FaultSpec, Target};
pub use handle::{MockIdp, MockIdpBuilder};
pub use http_drain::DRAIN_WINDOW;
pub use journal::Endpoint;
pub use mint::{MintedTokens, TokenBuilder, TokenKind};
pub use personas::Persona;
pub use presets::Preset;
pub use server::{router, serve, serve_draining};
pub use state::AppState;
pub use tls::{serve_tls, TlsOptions};
