//! `weaviate_auth_emu`: an emulation of how Weaviate v1.38.11 authenticates and authorizes REST
//! requests, configured by Weaviate's own environment variables and answering with Weaviate's
//! status codes and bodies, so that the real Weaviate clients can talk to it.
//!
//! What is emulated (spec: weaviate-auth.md):
//! * configuration from `AUTHENTICATION_*` / `AUTHORIZATION_*` variables, with Weaviate's parsing
//!   rules, the anonymous default and every startup check with its exact message (`config.rs`);
//! * the request pipeline: outer layer (`/`, live, ready, `OPTIONS`, CORS), router 404/405 before
//!   auth, anonymous gate, bearer extraction (header, `access_token` query or form), API-key or
//!   OIDC choice by the malformed-JWT rule (`authentication/`);
//! * static API keys and database users with `v200` keys (`db_users/`);
//! * the admin list and a minimal RBAC with built-in roles (`authorization/`);
//! * enough REST surface for clients to connect and for read versus write to be real: meta,
//!   well-known, schema, objects, GraphQL (empty results), own-info, DB users, `/v1/authz`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), weaviate_auth_emu::StartupError> {
//! use weaviate_auth_emu::EmbeddedWeaviate;
//!
//! // Arrange: Weaviate with one static API key.
//! let weaviate = EmbeddedWeaviate::builder()
//!     .env("AUTHENTICATION_APIKEY_ENABLED", "true")
//!     .env("AUTHENTICATION_APIKEY_ALLOWED_KEYS", "secret-key")
//!     .env("AUTHENTICATION_APIKEY_USERS", "alice")
//!     .start()
//!     .await?;
//! // Act: any HTTP client against `weaviate.rest_url()`, e.g. GET {rest_url}/v1/meta with
//! // `Authorization: Bearer secret-key`. Assert: 200 and `"version":"1.38.11"`.
//! println!("{}", weaviate.rest_url());
//! # Ok(()) }
//! ```
//!
//! Found on the real v1.38.11 and followed here, beyond the written spec: `NAMESPACES_ENABLED` first
//! needs `DISABLE_GRAPHQL=true`; a class-filtered `GET /v1/objects` wraps its denial as
//! `msg:<d> code:403 err:<d>`; GraphQL checks `R` on every collection first, with an "introspection"
//! prefix; gRPC `Aggregate` denials start with `parse params: `; `TenantsGet` on a missing class says
//! `class not found`; reading or creating a role prefixes its denial with `can only create roles
//! with less or equal permissions as the current user: `; group denials print `[]` as resource;
//! `root`/`read-only` assignments are 403s; static users never show `apiKeyFirstLetters`; root
//! callers get DB users before static users; `includeLastUsedTime=1` counts as true; without RBAC,
//! `/v1/authz` acts as an empty role store; a duplicate class's 422 body has `"allowed":null`;
//! class names get an upper-case first letter; single-object REST operations name the object in
//! their denials; `BatchStream` reports the last `n - e` objects of a batch as successes.
//!
//! Known gaps:
//! * gRPC is minimal (`grpc/`): health, authentication of every `weaviate.v1.Weaviate` call, and
//!   `Search`/`Aggregate`/`TenantsGet`/`BatchObjects`/`BatchStream`. Batches check property
//!   values against the class (`objects/property_types.rs`: scalars, objects, and arrays but for the
//!   elements of date and uuid arrays) but keep no references;
//!   `Search` returns objects with every property of the class (null where absent), ignoring
//!   filters and queries (limit and offset are kept); `Aggregate` counts objects and nothing else. The
//!   generated tonic client (`grpc::proto`, no transport code) is what the conformance suite's
//!   `grpc` steps and `doctor` call with.
//! * OIDC (`authentication/oidc.rs`) rejects what its crypto library cannot check although the
//!   real server accepts it: ES512, RSA keys under 2048 bits, PS256 with an over-long salt, and
//!   JSON-serialised JWS (see that module's documentation).
//! * Namespaces (`NAMESPACES_ENABLED`) are refused at startup.
//! * Multipart form bodies are not searched for `access_token`; urlencoded ones are.
//! * DB-user secrets are kept as SHA-256 digests, not argon2id hashes (same behaviour, cheaper).
//! * The `Allow` header and 405 text list methods in a fixed order; v1.38.11 uses a random one.
//! * Schema and objects are a small in-memory store: a new class gets v1.38.11's defaults and
//!   auto-schema its typed properties (`schema.rs`; listed by name, where v1.38.11's order
//!   varies), there are no vectors, GraphQL returns `{"data":{}}`, and RBAC does not check the
//!   "less or equal permissions" rule when creating roles, nor auto-schema's collection permissions.
//! * Endpoints not in the route table of `rest/mod.rs` (backups, tenants, batch, aliases, …) are 404s.
//! * HEAD answers carry `Content-Length: 0` (hyper adds it); v1.38.11 sends none.
//! * A malformed JSON body gets go-openapi's 400 shape, but the reason after `because` is serde's
//!   wording, not Go's (`invalid character 'b' looking for beginning of object key string`).
//! * Configuration files (YAML) are not read; only environment variables.

pub mod authentication;
pub mod authorization;
pub mod config;
pub mod db_users;
pub mod error;
pub mod grpc;
pub mod objects;
pub mod principal;
pub mod rest;
pub mod schema;
pub mod server;
pub mod store;

/// The Weaviate release whose behaviour is emulated (and which `/v1/meta` reports).
pub const WEAVIATE_VERSION: &str = "1.38.11";

pub use config::{Config, StartupError, StartupStage};
pub use error::Error;
pub use principal::{Principal, UserKind};
pub use server::{router, serve, serve_grpc, AppState, EmbeddedWeaviate, EmbeddedWeaviateBuilder};
