//! The docker target: the official Weaviate image and the project's own provider image
//! (docker/Dockerfile), started per scenario with testcontainers on a network of their own.
//!
//! Inside that network the provider is `http://<its container name>:8080`, which is the issuer
//! Weaviate is configured with and the tokens carry; this process reaches the same provider
//! through its mapped port ([`crate::provider::Provider::to_local`]). The provider image is not
//! pulled from anywhere: build it first (`just build-image`). Without a reachable Docker engine
//! every scenario is skipped with the reason.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use testcontainers::core::wait::HttpWaitStrategy;
use testcontainers::core::{IntoContainerPort, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage, ImageExt};

use super::StartError;
use crate::provider::{Provider, RemoteProvider};
use crate::scenario::IdpSetup;
use crate::Error;

/// The official image; docker/compose.yml names the same one.
pub const WEAVIATE_IMAGE: &str = "cr.weaviate.io/semitechnologies/weaviate";
/// The Weaviate version the snapshots claim to match (`weaviate_auth_emu::WEAVIATE_VERSION`).
pub const WEAVIATE_TAG: &str = "1.38.11";
/// The provider image `just build-image` builds from docker/Dockerfile (tag `latest`).
pub const PROVIDER_IMAGE: &str = "oidc-harness";

/// The port both images listen on for REST inside their containers.
const HTTP_PORT: u16 = 8080;
/// Weaviate's gRPC port inside its container.
const GRPC_PORT: u16 = 50051;
/// How long Weaviate may take to answer ready (image already pulled).
const READY_DEADLINE: Duration = Duration::from_secs(120);

/// A scenario's network and container names must not collide with a parallel run's.
static RUN: AtomicU32 = AtomicU32::new(0);

/// `Ok` when a Docker engine answers a ping, else why not (a skip reason).
pub async fn docker_available() -> Result<(), Error> {
    let ping = async {
        let docker = testcontainers::core::client::docker_client_instance()
            .await
            .map_err(|e| Error::Unavailable(format!("no Docker client: {e}")))?;
        docker
            .ping()
            .await
            .map(|_| ())
            .map_err(|e| Error::Unavailable(format!("no Docker engine reachable: {e}")))
    };
    tokio::time::timeout(Duration::from_secs(5), ping).await.unwrap_or_else(|_| {
        Err(Error::Unavailable(
            "no Docker engine reachable: no answer to a ping within 5 s".into(),
        ))
    })
}

/// The provider container and the network Weaviate must join to reach it; removed when dropped
/// (testcontainers stops and removes the container, then the network it created).
struct ProviderContainer {
    _container: ContainerAsync<GenericImage>,
    network: String,
}

/// Starts the provider image on a fresh network, adds the scenario's users and clients.
pub(super) async fn provider(setup: &IdpSetup) -> Result<Provider, Error> {
    docker_available().await?;
    let n = RUN.fetch_add(1, Ordering::Relaxed);
    let network = format!("oidc-harness-{}-{n}", std::process::id());
    let name = format!("oidc-harness-idp-{}-{n}", std::process::id());
    let base = format!("http://{name}:{HTTP_PORT}");
    // The provider listens beyond loopback in its container, so its controls take a token: a
    // fresh random one per container, known only to this process.
    let admin_token = format!("{:032x}", rand::random::<u128>());
    let container = GenericImage::new(PROVIDER_IMAGE, "latest")
        .with_exposed_port(HTTP_PORT.tcp())
        .with_wait_for(WaitFor::http(
            HttpWaitStrategy::new("/_mock/ready").with_expected_status_code(200u16),
        ))
        .with_network(network.clone())
        .with_container_name(name)
        .with_env_var("OIDC_HARNESS_LISTEN", format!("0.0.0.0:{HTTP_PORT}"))
        .with_env_var("OIDC_HARNESS_BASE_URL", base.clone())
        .with_env_var("OIDC_HARNESS_ADMIN_TOKEN", admin_token.clone())
        .start()
        .await
        .map_err(|e| {
            Error::Exchange(format!(
                "provider image {PROVIDER_IMAGE}:latest (build it with `just build-image`): {e}"
            ))
        })?;
    let host = container
        .get_host()
        .await
        .map_err(|e| Error::Exchange(format!("provider host: {e}")))?;
    let port = container
        .get_host_port_ipv4(HTTP_PORT)
        .await
        .map_err(|e| Error::Exchange(format!("provider port: {e}")))?;
    let remote = RemoteProvider {
        issuer: format!("{base}/default"),
        local_issuer: format!("http://{host}:{port}/default"),
        admin_token: Some(admin_token.into()),
        guard: Box::new(ProviderContainer {
            _container: container,
            network,
        }),
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| Error::Exchange(format!("http client: {e}")))?;
    Provider::setup_remote(remote, setup, &http).await
}

/// A running Weaviate container; stopped and removed when dropped (testcontainers does that).
pub struct DockerWeaviate {
    _container: ContainerAsync<GenericImage>,
    rest: String,
    grpc: String,
}

impl std::fmt::Debug for DockerWeaviate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerWeaviate")
            .field("rest", &self.rest)
            .field("grpc", &self.grpc)
            .finish_non_exhaustive()
    }
}

impl DockerWeaviate {
    /// `http://HOST:PORT` as this process reaches it.
    pub fn rest_url(&self) -> String {
        self.rest.clone()
    }

    /// `HOST:PORT` of its gRPC port as this process reaches it.
    pub fn grpc_addr(&self) -> &str {
        &self.grpc
    }
}

/// The environment of a single-node container besides the scenario's, as in docker/compose.yml.
fn base_env() -> [(&'static str, &'static str); 4] {
    [
        ("PERSISTENCE_DATA_PATH", "/var/lib/weaviate"),
        ("DEFAULT_VECTORIZER_MODULE", "none"),
        ("CLUSTER_HOSTNAME", "node1"),
        ("DISABLE_TELEMETRY", "true"),
    ]
}

/// Starts the official image with `env` on the provider's network and waits for ready; a
/// container that exits first is a refusal with Weaviate's logged message.
pub(super) async fn start(env: &BTreeMap<String, String>, idp: &Provider) -> Result<DockerWeaviate, StartError> {
    let unavailable = StartError::Unavailable;
    let network = match idp {
        Provider::Remote(r) => r.guard.downcast_ref::<ProviderContainer>().map(|p| p.network.clone()),
        Provider::Local(_) => None,
    }
    .ok_or_else(|| unavailable("the docker target needs its provider container".into()))?;
    let mut request = GenericImage::new(WEAVIATE_IMAGE, WEAVIATE_TAG)
        .with_exposed_port(HTTP_PORT.tcp())
        .with_exposed_port(GRPC_PORT.tcp())
        .with_wait_for(WaitFor::Nothing)
        .with_network(network);
    for (k, v) in base_env() {
        request = request.with_env_var(k, v);
    }
    for (k, v) in env {
        request = request.with_env_var(k.clone(), v.clone());
    }
    let container = request
        .start()
        .await
        .map_err(|e| unavailable(format!("{WEAVIATE_IMAGE}:{WEAVIATE_TAG}: {e}")))?;
    let host = container.get_host().await.map_err(|e| unavailable(format!("weaviate host: {e}")))?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .map_err(|e| unavailable(format!("http client: {e}")))?;
    let deadline = Instant::now() + READY_DEADLINE;
    loop {
        if !container.is_running().await.unwrap_or(false) {
            let mut log = container.stdout_to_vec().await.unwrap_or_default();
            log.extend(container.stderr_to_vec().await.unwrap_or_default());
            let text = String::from_utf8_lossy(&log);
            return Err(match super::binary::refusal(&text) {
                Some(m) => StartError::Refused(m),
                None => unavailable("the Weaviate container exited without an error line".into()),
            });
        }
        // Ports are published once the container runs; ask each round until ready answers.
        if let (Ok(rest), Ok(grpc)) = (
            container.get_host_port_ipv4(HTTP_PORT).await,
            container.get_host_port_ipv4(GRPC_PORT).await,
        ) {
            let url = format!("http://{host}:{rest}");
            if let Ok(r) = http.get(format!("{url}/v1/.well-known/ready")).send().await {
                if r.status().as_u16() == 200 {
                    return Ok(DockerWeaviate {
                        _container: container,
                        rest: url,
                        grpc: format!("{host}:{grpc}"),
                    });
                }
            }
        }
        if Instant::now() > deadline {
            return Err(unavailable(format!(
                "Weaviate container not ready within {} s",
                READY_DEADLINE.as_secs()
            )));
        }
        // Polling ready with a deadline is how a Weaviate announces itself (style.md, testing).
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pinned_image_is_the_emulated_version_and_the_one_compose_runs() {
        assert_eq!(WEAVIATE_TAG, weaviate_auth_emu::WEAVIATE_VERSION);
        let compose = include_str!("../../../../docker/compose.yml");
        assert!(compose.contains(&format!("image: {WEAVIATE_IMAGE}:{WEAVIATE_TAG}")), "{compose}");
        for (k, v) in base_env() {
            let line = compose.lines().find(|l| l.trim_start().starts_with(&format!("{k}:")));
            assert!(line.is_some_and(|l| l.contains(v)), "compose.yml lacks {k}: {v}");
        }
    }
}
