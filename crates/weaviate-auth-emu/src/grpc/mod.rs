//! gRPC (spec 5.2) with tonic, from the `.proto` files in `proto/`: health `Check`/`List`/`Watch`
//! (`health.rs`) and, on `weaviate.v1.Weaviate` (`service.rs`), `Search`, `Aggregate`,
//! `TenantsGet`, `BatchObjects` and `BatchStream` (`batch_stream.rs`) over the same in-memory
//! store as REST; `BatchReferences` and `BatchDelete` authenticate, then answer `UNIMPLEMENTED`. Credentials go through the same
//! `AppState::authenticate` as REST; only the mapping to gRPC statuses differs: unary calls answer
//! `UNKNOWN` with `extract auth: <message>`, streaming calls `UNAUTHENTICATED` with the bare message
//! (recorded from v1.38.11). Failures inside a call become statuses through `From<Error> for Status`
//! in `error.rs`.

mod batch_stream;
mod health;
mod service;
mod values;

use std::pin::Pin;

use axum::extract::Request;
use axum::http::{header, HeaderMap};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use tokio_stream::Stream;
use tonic::Status;

use crate::principal::Principal;
use crate::server::AppState;
use health::HealthService;
use proto::health::health_server::HealthServer;
use proto::weaviate::weaviate_server::WeaviateServer;
use service::WeaviateService;

pub use values::{batch_properties, search_result};

/// Messages generated from `proto/` (a subset of Weaviate's, written from the wire facts).
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod proto {
    /// `grpc.health.v1`.
    pub mod health {
        tonic::include_proto!("grpc.health.v1");
    }
    /// `weaviate.v1`.
    pub mod weaviate {
        tonic::include_proto!("weaviate.v1");
    }
}

/// The methods of each service, for grpc-go's `unknown method` answer.
const METHODS: &[(&str, &[&str])] = &[
    ("grpc.health.v1.Health", &["Check", "List", "Watch"]),
    (
        "weaviate.v1.Weaviate",
        &[
            "Search",
            "BatchObjects",
            "BatchReferences",
            "BatchDelete",
            "TenantsGet",
            "Aggregate",
            "BatchStream",
        ],
    ),
];

/// The gRPC service over `state` (served on its own port, HTTP/2 cleartext).
pub fn grpc_router(state: AppState) -> Router {
    tonic::service::Routes::new(HealthServer::new(HealthService::new(state.clone())))
        .add_service(WeaviateServer::new(WeaviateService::new(state)))
        .into_axum_router()
        .layer(middleware::from_fn(unknown_methods))
}

/// grpc-go's texts for a method or service it does not serve (tonic's own answers are empty).
async fn unknown_methods(req: Request, next: Next) -> Response {
    let path = req.uri().path().trim_start_matches('/').to_owned();
    let status = match path.split_once('/') {
        None => Some(Status::unimplemented(format!("malformed method name: {:?}", req.uri().path()))),
        Some((service, method)) => match METHODS.iter().find(|(s, _)| *s == service) {
            None => Some(Status::unimplemented(format!("unknown service {service}"))),
            Some((_, methods)) if !methods.contains(&method) => {
                Some(Status::unimplemented(format!("unknown method {method} for service {service}")))
            }
            Some(_) => None,
        },
    };
    match status {
        Some(status) => status.into_http::<axum::body::Body>(),
        None => next.run(req).await,
    }
}

/// Spec 5.2: the token of a call. `Some("")` for `Bearer ` with nothing after it, which is checked;
/// `None` when the metadata is missing or does not start with `Bearer ` (case-sensitive).
pub fn bearer(metadata: &HeaderMap) -> Option<String> {
    let value = metadata.get(header::AUTHORIZATION)?;
    String::from_utf8_lossy(value.as_bytes()).strip_prefix("Bearer ").map(str::to_owned)
}

/// Spec 5.2: the principal of a call, or the status to answer with.
pub async fn authenticate(state: &AppState, metadata: &HeaderMap, streaming: bool) -> Result<Option<Principal>, Status> {
    let token = match bearer(metadata) {
        Some(token) => token,
        None if state.config().anonymous_enabled => return Ok(None),
        // Anonymous off: the empty string is checked, and fails.
        None => String::new(),
    };
    match state.authenticate(&token).await {
        Ok(principal) => Ok(Some(principal)),
        Err(e) => {
            let message = e.to_string();
            tracing::debug!(streaming, reason = %message, "grpc refused");
            Err(if streaming {
                Status::unauthenticated(message)
            } else {
                Status::unknown(format!("extract auth: {message}"))
            })
        }
    }
}

/// The principal of a tonic request, or the status to answer with.
async fn principal_of<T>(state: &AppState, request: &tonic::Request<T>, streaming: bool) -> Result<Option<Principal>, Status> {
    authenticate(state, &request.metadata().clone().into_headers(), streaming).await
}

/// A server-streaming answer.
type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;
