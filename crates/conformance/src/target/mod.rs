//! `Target`: where a scenario's Weaviate runs: the in-process emulation, the real binary, the
//! official image in Docker, or a Weaviate that is already running.

mod binary;
#[cfg(feature = "docker")]
mod docker;
mod embedded;
mod external;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use binary::{find_weaviate_binary, server_command, ServerPorts, WeaviateProcess};
#[cfg(feature = "docker")]
pub use docker::{docker_available, DockerWeaviate, PROVIDER_IMAGE, WEAVIATE_IMAGE, WEAVIATE_TAG};
pub use external::{parse_env_file, External};

use crate::provider::Provider;
use crate::scenario::Scenario;

/// Why the docker target cannot run in a build without the `docker` feature.
#[cfg(not(feature = "docker"))]
const NO_DOCKER: &str = "this build of conformance has no `docker` feature (testcontainers)";

/// A place to run scenarios.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `weaviate_auth_emu::EmbeddedWeaviate` in process.
    Embedded,
    /// The real `weaviate-server` (WEAVIATE_BIN, else PATH, else $HOME/go/bin), one process per scenario.
    WeaviateBinary,
    /// The official Weaviate image and the project's provider image, through testcontainers.
    Docker,
    /// A Weaviate already running at a URL, with the configuration its user states.
    External(Arc<External>),
}

/// Why a Weaviate did not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartError {
    /// Weaviate refused its configuration with this logged message.
    Refused(String),
    /// The target cannot run here (binary missing, no ready answer); a skip, never a pass.
    Unavailable(String),
}

/// A running Weaviate; stops when dropped.
#[derive(Debug)]
pub enum Running {
    /// In process.
    Embedded(weaviate_auth_emu::EmbeddedWeaviate),
    /// A child process.
    Binary(WeaviateProcess),
    /// A container.
    #[cfg(feature = "docker")]
    Docker(Box<DockerWeaviate>),
    /// Not ours: its REST URL and gRPC address.
    External {
        /// `http://HOST:PORT`.
        rest: String,
        /// `HOST:PORT`.
        grpc: String,
    },
}

impl Running {
    /// `http://HOST:PORT`.
    pub fn rest_url(&self) -> String {
        match self {
            Running::Embedded(w) => w.rest_url(),
            Running::Binary(p) => p.rest_url(),
            #[cfg(feature = "docker")]
            Running::Docker(d) => d.rest_url(),
            Running::External { rest, .. } => rest.clone(),
        }
    }

    /// The gRPC port's `127.0.0.1:PORT`.
    pub fn grpc_addr(&self) -> String {
        match self {
            Running::Embedded(w) => w.grpc_addr().to_string(),
            Running::Binary(p) => p.grpc_addr(),
            #[cfg(feature = "docker")]
            Running::Docker(d) => d.grpc_addr().to_owned(),
            Running::External { grpc, .. } => grpc.clone(),
        }
    }
}

impl Target {
    /// The names `parse` takes (`external` needs its settings, so it is built, not parsed).
    pub const NAMES: [&'static str; 3] = ["embedded", "weaviate-binary", "docker"];

    /// `embedded`, `weaviate-binary`, `docker` or `external`.
    pub fn name(&self) -> &'static str {
        match self {
            Target::Embedded => "embedded",
            Target::WeaviateBinary => "weaviate-binary",
            Target::Docker => "docker",
            Target::External(_) => "external",
        }
    }

    /// The target called `name` (one of [`Target::NAMES`]).
    pub fn parse(name: &str) -> Option<Target> {
        match name {
            "embedded" => Some(Target::Embedded),
            "weaviate-binary" => Some(Target::WeaviateBinary),
            "docker" => Some(Target::Docker),
            _ => None,
        }
    }

    /// Why this target cannot play `s` at all, before anything starts (a skip reason).
    pub fn cannot_play(&self, s: &Scenario) -> Option<String> {
        match self {
            Target::External(e) => e.cannot_play(s),
            _ => None,
        }
    }

    /// The scenario's provider, where this target's Weaviate can reach it.
    pub async fn provider(&self, s: &Scenario) -> Result<Provider, String> {
        match self {
            Target::Embedded | Target::WeaviateBinary => Provider::start_local(&s.idp, None).await,
            Target::External(e) => Provider::start_local(&s.idp, e.idp_listen).await,
            #[cfg(feature = "docker")]
            Target::Docker => docker::provider(&s.idp).await,
            #[cfg(not(feature = "docker"))]
            Target::Docker => Err(NO_DOCKER.to_owned()),
        }
    }

    /// Starts a Weaviate with these (auth) environment variables; `idp` is the scenario's provider.
    pub async fn start(&self, env: &BTreeMap<String, String>, idp: &Provider) -> Result<Running, StartError> {
        match self {
            Target::Embedded => embedded::start(env).await.map(Running::Embedded),
            Target::WeaviateBinary => binary::start(env).await.map(Running::Binary),
            #[cfg(feature = "docker")]
            Target::Docker => docker::start(env, idp).await.map(|d| Running::Docker(Box::new(d))),
            #[cfg(not(feature = "docker"))]
            Target::Docker => {
                let _ = (env, idp);
                Err(StartError::Unavailable(NO_DOCKER.to_owned()))
            }
            Target::External(e) => e.start(env).await.map(|rest| Running::External { grpc: e.grpc_addr(), rest }),
        }
    }
}
