//! `Target`: where a scenario's Weaviate runs: the in-process emulation, the real binary (the
//! pinned release, or any release built into a cache by [`install`]), the official image in
//! Docker, or a Weaviate that is already running.

mod binary;
#[cfg(feature = "docker")]
mod docker;
mod embedded;
mod external;
pub mod install;
pub mod reset;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

pub use binary::{find_weaviate_binary, server_command, ServerPorts, WeaviateProcess};
#[cfg(feature = "docker")]
pub use docker::{docker_available, DockerWeaviate, PROVIDER_IMAGE, WEAVIATE_IMAGE, WEAVIATE_TAG};
pub use external::{parse_env_file, External};
pub use install::{Installer, WeaviateVersion};

use crate::provider::Provider;
use crate::scenario::Scenario;
use crate::Error;

/// Why the docker target cannot run in a build without the `docker` feature.
#[cfg(not(feature = "docker"))]
const NO_DOCKER: &str = "this build of conformance has no `docker` feature (testcontainers)";

/// A place to run scenarios.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `weaviate_auth_emu::EmbeddedWeaviate` in process.
    Embedded,
    /// The real `weaviate-server` of the pinned version (WEAVIATE_BIN, else PATH, else
    /// $HOME/go/bin); scenarios of one environment share a process ([`crate::schedule`]).
    WeaviateBinary,
    /// The real `weaviate-server` of this release, from the cache ([`install`]), built by
    /// [`Target::prepare`]; `weaviate-binary@vX.Y.Z`.
    WeaviateBinaryAt(WeaviateVersion),
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

    /// `embedded`, `weaviate-binary`, `weaviate-binary@v1.29.8`, `docker` or `external`.
    pub fn name(&self) -> Cow<'static, str> {
        match self {
            Target::Embedded => "embedded".into(),
            Target::WeaviateBinary => "weaviate-binary".into(),
            Target::WeaviateBinaryAt(v) => format!("weaviate-binary@{v}").into(),
            Target::Docker => "docker".into(),
            Target::External(_) => "external".into(),
        }
    }

    /// The target called `name` (one of [`Target::NAMES`], `weaviate-binary@vX.Y.Z` too).
    pub fn parse(name: &str) -> Option<Target> {
        Target::from_spec(name).ok()
    }

    /// The target called `spec`: one of [`Target::NAMES`], or `weaviate-binary@vX.Y.Z` for a
    /// release of Weaviate. The error names the input and what is wrong with it.
    pub fn from_spec(spec: &str) -> Result<Target, Error> {
        let (name, version) = match spec.split_once('@') {
            Some((n, v)) => (n, Some(v)),
            None => (spec, None),
        };
        match (name, version) {
            ("embedded", None) => Ok(Target::Embedded),
            ("weaviate-binary", None) => Ok(Target::WeaviateBinary),
            ("weaviate-binary", Some(v)) => Ok(Target::WeaviateBinaryAt(v.parse()?)),
            ("docker", None) => Ok(Target::Docker),
            ("embedded" | "docker", Some(v)) => Err(Error::Invalid(format!(
                "target {spec:?}: only weaviate-binary takes a version ({name} is Weaviate {}, not {v})",
                install::PINNED
            ))),
            _ => Err(Error::Invalid(format!(
                "unknown target {spec:?}: expected one of {}, or weaviate-binary@vX.Y.Z",
                Target::NAMES.join(", ")
            ))),
        }
    }

    /// The Weaviate version this target answers as, when known: the pinned one for the
    /// emulation (which follows it), the plain binary and the image; the release of
    /// `weaviate-binary@vX.Y.Z`; unknown for an external server.
    pub fn weaviate_version(&self) -> Option<WeaviateVersion> {
        match self {
            Target::Embedded | Target::WeaviateBinary | Target::Docker => Some(WeaviateVersion::pinned()),
            Target::WeaviateBinaryAt(v) => Some(v.clone()),
            Target::External(_) => None,
        }
    }

    /// Why `s` does not apply here: its `weaviate_versions` exclude this target's version.
    pub fn not_applicable(&self, s: &Scenario) -> Option<String> {
        let (req, v) = (s.weaviate_versions.as_ref()?, self.weaviate_version()?);
        (!req.matches(v.semver())).then(|| format!("needs Weaviate {req}, this is {v}"))
    }

    /// Gets what the target needs before a run: `weaviate-binary@vX.Y.Z` builds its release
    /// when the cache does not have it yet, telling `progress` how it goes; the error is Go's
    /// own answer (for a version that does not exist, the module registry's).
    pub fn prepare(&self, progress: impl FnMut(&str)) -> Result<(), Error> {
        match self {
            Target::WeaviateBinaryAt(v) => {
                let installer = Installer::from_env()?;
                installer.ensure(v, progress).map(|_| ()).map_err(Error::from)
            }
            Target::Embedded | Target::WeaviateBinary | Target::Docker | Target::External(_) => Ok(()),
        }
    }

    /// True when scenarios of one environment may play one after the other on one server
    /// ([`crate::schedule`]): a real binary, whose start is most of a scenario's time.
    pub fn shares_servers(&self) -> bool {
        matches!(self, Target::WeaviateBinary | Target::WeaviateBinaryAt(_))
    }

    /// Why this target cannot play `s` at all, before anything starts (a skip reason).
    pub fn cannot_play(&self, s: &Scenario) -> Option<String> {
        match self {
            Target::External(e) => e.cannot_play(s),
            _ => None,
        }
    }

    /// The scenario's provider, where this target's Weaviate can reach it.
    pub async fn provider(&self, s: &Scenario) -> Result<Provider, Error> {
        match self {
            Target::Embedded | Target::WeaviateBinary | Target::WeaviateBinaryAt(_) => Provider::start_local(&s.idp, None).await,
            Target::External(e) => Provider::start_local(&s.idp, e.idp_listen).await,
            #[cfg(feature = "docker")]
            Target::Docker => docker::provider(&s.idp).await,
            #[cfg(not(feature = "docker"))]
            Target::Docker => Err(Error::Unavailable(NO_DOCKER.to_owned())),
        }
    }

    /// Starts a Weaviate with these (auth) environment variables; `idp` is the scenario's provider.
    pub async fn start(&self, env: &BTreeMap<String, String>, idp: &Provider) -> Result<Running, StartError> {
        match self {
            Target::Embedded => embedded::start(env).await.map(Running::Embedded),
            Target::WeaviateBinary => {
                let bin = find_weaviate_binary().map_err(|e| StartError::Unavailable(e.to_string()))?;
                binary::start(&bin, env).await.map(Running::Binary)
            }
            Target::WeaviateBinaryAt(v) => {
                let installer = Installer::from_env().map_err(|e| StartError::Unavailable(e.to_string()))?;
                let bin = installer.find(v).ok_or_else(|| {
                    StartError::Unavailable(format!(
                        "weaviate-server {v} is not built yet (in {}); `oidc-harness conformance --target weaviate-binary@{v}` builds it",
                        installer.cache.display()
                    ))
                })?;
                binary::start(&bin, env).await.map(Running::Binary)
            }
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
