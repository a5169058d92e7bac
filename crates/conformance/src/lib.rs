//! Conformance checks for `oidc-harness`: the provider's honesty self-check and the Weaviate
//! scenarios.
//!
//! Scenarios are data: one TOML file each under fixtures/scenarios ([`scenario`], [`step`]).
//! Steps talk to Weaviate over REST and gRPC ([`grpc`]), to the provider, a browser and the
//! official clients. [`runner`] plays one on a [`Target`] (the in-process emulation, the real `weaviate-server`,
//! the official image in Docker, or a running Weaviate) with a [`provider::Provider`], records a
//! transcript made stable by [`normalize`], and checks every expectation; expected answers come from the written spec and the real server, never from the emulation.
//! [`compare`] plays the scenarios on two targets and fails on every differing step that
//! [`known_differences`] (fixtures/known-differences.toml) does not list; [`baseline`] records
//! the transcripts of a target in a file and checks a later run against it; [`doctor`] walks
//! Weaviate's login troubleshooting checklist against a live server.
//!
//! [`soak`] is the load and fault run (attacks.md R6-R9, R14) behind `just soak`.
//! [`oracle`] runs Weaviate's own verifier (go-oidc, in a small Go program) beside the
//! emulation's, token by token (the differential tests and fuzz target). [`presets`] holds what
//! Weaviate answers to each of the provider's bad-token presets, and the tables built from it.
//!
//! [`self_check`] reads a provider's discovery document and exercises, over HTTP, every
//! capability it advertises: each response type and response mode, grant type, token endpoint
//! authentication method, ID token signing algorithm and PKCE method (P26). Each check becomes
//! a [`Row`] of a [`Report`]; an advertised capability that does not work is a failed row that
//! names it. Something the self-check cannot exercise is a skipped row with its reason, never a
//! pass.
//!
//! ```no_run
//! # async fn demo() {
//! use conformance::{self_check, Credentials};
//!
//! // Arrange: a provider is running (here, `oidc-harness idp` on port 8080).
//! let url = "http://127.0.0.1:8080/default/.well-known/openid-configuration";
//! // Act
//! let report = self_check(url, &Credentials::default()).await;
//! // Assert
//! assert!(report.passed(), "{}", report.table());
//! # }
//! ```

pub mod baseline;
#[cfg(feature = "browser")]
pub mod browser;
pub mod client;
pub mod compare;
pub mod doctor;
pub mod error;
pub mod files;
pub mod grpc;
pub mod known_differences;
pub mod normalize;
pub mod oracle;
pub mod presets;
pub mod provider;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod schedule;
pub mod self_check;
pub mod skip;
pub mod soak;
pub mod step;
pub mod sweep;
pub mod target;

pub use error::Error;
pub use report::{Outcome, Report, Row, Tally};
pub use runner::{run, run_all, ScenarioRun};
pub use scenario::Scenario;
pub use self_check::{self_check, self_check_with, Credentials};
pub use target::Target;
