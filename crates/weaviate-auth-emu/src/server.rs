//! `AppState`, `router`, `serve`, `EmbeddedWeaviate`, and the outer layer that answers what never
//! authenticates (`/`, live, ready, `OPTIONS`) and adds the CORS headers (spec 2.1 step 1).
//!
//! Routing is done by `rest::route` inside one fallback handler rather than by axum's router, so
//! that the request passes Weaviate's steps in Weaviate's order: outer layer, router (404/405 in
//! go-openapi's shapes, trailing slash ignored), anonymous gate, token check, handler.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::net::TcpListener;

use crate::authentication::{self, Authenticator, OidcSettings, OidcVerifier, StaticKeys};
use crate::authorization::Authorizer;
use crate::config::{Config, StartupError, StartupStage};
use crate::db_users::DbUsers;
use crate::error::Error;
use crate::principal::Principal;
use crate::rest;
use crate::store::Store;

/// Largest request body read (bodies are only needed for JSON and the form `access_token`).
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// `Access-Control-Allow-Headers` of every answer but `/`, live and ready (recorded from v1.38.11).
pub const CORS_ALLOW_HEADERS: &str = "Content-Type, Authorization, Batch, X-Openai-Api-Key, X-Openai-Organization, X-Openai-Baseurl, X-Anyscale-Baseurl, X-Anyscale-Api-Key, X-Cohere-Api-Key, X-Cohere-Baseurl, X-Huggingface-Api-Key, X-Azure-Api-Key, X-Azure-Deployment-Id, X-Azure-Resource-Name, X-Azure-Concurrency, X-Azure-Block-Size, X-Google-Api-Key, X-Google-Vertex-Api-Key, X-Google-Studio-Api-Key, X-Goog-Api-Key, X-Goog-Vertex-Api-Key, X-Goog-Studio-Api-Key, X-Palm-Api-Key, X-Jinaai-Api-Key, X-Aws-Access-Key, X-Aws-Secret-Key, X-Voyageai-Baseurl, X-Voyageai-Api-Key, X-Mistral-Baseurl, X-Mistral-Api-Key, X-Anthropic-Baseurl, X-Anthropic-Api-Key, X-Databricks-Endpoint, X-Databricks-Token, X-Databricks-User-Agent, X-Friendli-Token, X-Friendli-Baseurl, X-Weaviate-Api-Key, X-Weaviate-Cluster-Url, X-Weaviate-Client, X-Nvidia-Api-Key, X-Nvidia-Baseurl, X-ContextualAI-Baseurl, X-ContextualAI-Api-Key, X-Digitalocean-Baseurl, X-Digitalocean-Api-Key, X-Deepseek-Baseurl, X-Deepseek-Api-Key, X-Twelvelabs-Baseurl, X-Twelvelabs-Api-Key";

/// The body of `GET /` (no trailing newline; recorded from v1.38.11).
pub const ROOT_BODY: &str =
    r#"{"links":{"href":"/v1","name":"api v1","documentationHref":"https://weaviate.io/developers/weaviate/current/"}}"#;

struct Inner {
    config: Arc<Config>,
    authn: Authenticator,
    db_users: DbUsers,
    authorizer: Authorizer,
    store: Store,
    hostname: String,
}

/// Everything a request needs; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("hostname", &self.0.hostname)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Weaviate's component startup after configuration validation (spec 1.6 items 6-8), in its
    /// order: OIDC settings, OIDC discovery (unless a JWKS URL is set), then static API keys.
    /// `hostname` is what `/v1/meta` reports, e.g. `http://127.0.0.1:8080`.
    pub async fn start(config: Config, hostname: impl Into<String>) -> Result<AppState, StartupError> {
        config.check_oidc()?;
        let oidc = if config.oidc.enabled {
            let o = &config.oidc;
            let settings = OidcSettings {
                issuer: o.issuer.clone().unwrap_or_default(),
                client_id: o.client_id.clone(),
                skip_client_id_check: o.skip_client_id_check,
                username_claim: o.username_claim.clone().unwrap_or_default(),
                groups_claim: o.groups_claim.clone(),
                certificate: o.certificate.clone(),
                jwks_url: o.jwks_url.clone(),
                insecure_skip_tls_verify: o.insecure_skip_tls_verify,
            };
            Some(OidcVerifier::start(settings).await.map_err(StartupError::oidc)?)
        } else {
            None
        };
        config.check_api_keys()?;
        let config = Arc::new(config);
        let inner = Inner {
            authn: Authenticator {
                config: config.clone(),
                static_keys: StaticKeys::new(&config.api_key),
                oidc,
            },
            db_users: DbUsers::new(config.db_users_enabled),
            authorizer: Authorizer::from_config(&config),
            store: Store::default(),
            hostname: hostname.into(),
            config,
        };
        Ok(AppState(Arc::new(inner)))
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.0.config
    }
    /// The authorizer.
    pub fn authorizer(&self) -> &Authorizer {
        &self.0.authorizer
    }
    /// Database users.
    pub fn db_users(&self) -> &DbUsers {
        &self.0.db_users
    }
    /// Schema and objects.
    pub fn store(&self) -> &Store {
        &self.0.store
    }
    /// What `/v1/meta` reports as `hostname`.
    pub fn hostname(&self) -> &str {
        &self.0.hostname
    }

    /// Spec 2.1 step 4 for a present token (REST; gRPC will call the same function).
    pub async fn authenticate(&self, token: &str) -> Result<Principal, Error> {
        self.0.authn.authenticate(&self.0.db_users, token).await
    }
}

/// The emulation's routes over `state`; used by `serve` and by tests through `oneshot`.
pub fn router(state: AppState) -> Router {
    Router::new().fallback(dispatch).with_state(state)
}

/// Serves gRPC (HTTP/2 cleartext) for `state` on `listener` until `shutdown` resolves. Then it
/// stops accepting and stops each connection gracefully: HTTP/2 `GOAWAY` names the last call
/// taken, calls in flight finish, and the client knows that later ones were never seen (R12).
pub async fn serve_grpc(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, crate::grpc::grpc_router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Serves `state` on `listener` until `shutdown` resolves; then closes the listener, answers with
/// `Connection: close` for up to `http_drain::DRAIN_WINDOW` and stops gracefully (R12).
pub async fn serve(listener: TcpListener, state: AppState, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    http_drain::serve(listener, router(state), shutdown, http_drain::DRAIN_WINDOW).await
}

fn add_cors(response: &mut Response, vary: bool) {
    let h = response.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("*"));
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static(CORS_ALLOW_HEADERS));
    if vary {
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
}

fn plain(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

async fn dispatch(State(state): State<AppState>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    // Outer layer (spec 2.1 step 1): never authenticates.
    if req.method() == Method::OPTIONS {
        let mut response = plain(StatusCode::OK);
        add_cors(&mut response, false);
        return response;
    }
    if path == "/" {
        let mut response = (StatusCode::MOVED_PERMANENTLY, ROOT_BODY).into_response();
        response.headers_mut().insert(header::LOCATION, HeaderValue::from_static("/v1"));
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
        return response;
    }
    if query.is_none() && (path == "/v1/.well-known/live" || path == "/v1/.well-known/ready") {
        return plain(StatusCode::OK);
    }
    let method = req.method().clone();
    let mut response = match pipeline(&state, req, &path, query).await {
        Ok(response) => response,
        Err(e) => {
            tracing::debug!(%method, %path, status = e.status().as_u16(), reason = %e, "refused");
            e.into_response()
        }
    };
    add_cors(&mut response, true);
    if method == Method::HEAD {
        // Go's server sends HEAD answers without a body and without a Content-Length.
        *response.body_mut() = Body::empty();
        response.headers_mut().remove(header::CONTENT_LENGTH);
    }
    response
}

/// Spec 2.1 steps 2-6: router, anonymous gate, token check, handler.
async fn pipeline(state: &AppState, req: Request, path: &str, query: Option<String>) -> Result<Response, Error> {
    let matched = rest::route(req.method().as_str(), path)?;
    let (parts, body) = req.into_parts();
    let body = to_bytes(body, MAX_BODY_BYTES).await.map_err(|_| Error::BodyTooLarge)?;
    let token = authentication::extract_bearer(&parts.method, &parts.headers, query.as_deref(), &body);
    if !authentication::skips_gate(path, query.as_deref()) {
        authentication::gate(state.config(), token.is_some())?;
    }
    let principal = match token {
        Some(token) => Some(state.authenticate(&token).await.map_err(|e| rest::refusal_of(matched.op, e))?),
        None => None,
    };
    tracing::debug!(op = ?matched.op, user = principal.as_ref().map(|p| p.username.as_str()), "authenticated");
    rest::check_media_type(matched.op, &parts.headers, &body)?;
    rest::handle(matched.op, rest::Ctx::new(state, principal, matched.params, query, body)).await
}

/// Builds an `EmbeddedWeaviate` from Weaviate environment variables.
#[derive(Debug, Default, Clone)]
pub struct EmbeddedWeaviateBuilder {
    vars: Vec<(String, String)>,
}

impl EmbeddedWeaviateBuilder {
    /// Sets one Weaviate environment variable (the last value of a name wins).
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.vars.push((name.into(), value.into()));
        self
    }

    /// Sets several variables.
    pub fn envs<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.vars.extend(vars.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Validates the config as Weaviate does, binds `127.0.0.1:0` and serves. A refused start
    /// carries Weaviate's logged message.
    pub async fn start(self) -> Result<EmbeddedWeaviate, StartupError> {
        let config = Config::from_vars(self.vars)?;
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| StartupError {
            stage: StartupStage::Emulation,
            message: format!("could not bind a local port: {e}"),
        })?;
        let addr = listener.local_addr().map_err(|e| StartupError {
            stage: StartupStage::Emulation,
            message: format!("could not read the bound address: {e}"),
        })?;
        let state = AppState::start(config, format!("http://{addr}")).await?;
        let grpc_listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| StartupError {
            stage: StartupStage::Emulation,
            message: format!("could not bind a local gRPC port: {e}"),
        })?;
        let grpc_addr = grpc_listener.local_addr().map_err(|e| StartupError {
            stage: StartupStage::Emulation,
            message: format!("could not read the bound gRPC address: {e}"),
        })?;
        let (tx, rx) = tokio::sync::watch::channel(false);
        let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        let task = tokio::spawn(serve(listener, state.clone(), stopped(rx.clone())));
        let grpc_task = tokio::spawn(serve_grpc(grpc_listener, state.clone(), stopped(rx)));
        Ok(EmbeddedWeaviate {
            addr,
            grpc_addr,
            state,
            shutdown: tx,
            tasks: [task, grpc_task],
        })
    }
}

/// A running emulated Weaviate; dropping it stops the server.
#[derive(Debug)]
pub struct EmbeddedWeaviate {
    addr: SocketAddr,
    grpc_addr: SocketAddr,
    state: AppState,
    shutdown: tokio::sync::watch::Sender<bool>,
    tasks: [tokio::task::JoinHandle<std::io::Result<()>>; 2],
}

impl EmbeddedWeaviate {
    /// A builder with no variables set (anonymous access on, as Weaviate's default).
    pub fn builder() -> EmbeddedWeaviateBuilder {
        EmbeddedWeaviateBuilder::default()
    }

    /// The REST base URL, e.g. `http://127.0.0.1:41234` (append `/v1/...`).
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The gRPC address (HTTP/2 cleartext), e.g. `127.0.0.1:41235`.
    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc_addr
    }

    /// The bound REST address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's state (for tests that inspect it).
    pub fn state(&self) -> &AppState {
        &self.state
    }
}

impl Drop for EmbeddedWeaviate {
    // Asks both servers to stop, then aborts their tasks so no connection outlives the handle.
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        for task in &self.tasks {
            task.abort();
        }
    }
}
