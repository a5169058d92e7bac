//! `Target`: where a scenario's Weaviate runs: the in-process emulation or the real binary.

mod binary;
mod embedded;

use std::collections::BTreeMap;

pub use binary::{find_weaviate_binary, server_command, ServerPorts, WeaviateProcess};

/// A place to run scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `weaviate_auth_emu::EmbeddedWeaviate` in process.
    Embedded,
    /// The real `weaviate-server` (WEAVIATE_BIN, else PATH, else $HOME/go/bin), one process per scenario.
    WeaviateBinary,
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
}

impl Running {
    /// `http://127.0.0.1:PORT`.
    pub fn rest_url(&self) -> String {
        match self {
            Running::Embedded(w) => w.rest_url(),
            Running::Binary(p) => p.rest_url(),
        }
    }

    /// The gRPC port's `127.0.0.1:PORT`.
    pub fn grpc_addr(&self) -> String {
        match self {
            Running::Embedded(w) => w.grpc_addr().to_string(),
            Running::Binary(p) => p.grpc_addr(),
        }
    }
}

impl Target {
    /// `embedded` or `weaviate-binary`.
    pub fn name(self) -> &'static str {
        match self {
            Target::Embedded => "embedded",
            Target::WeaviateBinary => "weaviate-binary",
        }
    }

    /// The target called `name`.
    pub fn parse(name: &str) -> Option<Target> {
        match name {
            "embedded" => Some(Target::Embedded),
            "weaviate-binary" => Some(Target::WeaviateBinary),
            _ => None,
        }
    }

    /// Starts a Weaviate with these (auth) environment variables.
    pub async fn start(self, env: &BTreeMap<String, String>) -> Result<Running, StartError> {
        match self {
            Target::Embedded => embedded::start(env).await.map(Running::Embedded),
            Target::WeaviateBinary => binary::start(env).await.map(Running::Binary),
        }
    }
}
