//! gRPC (spec 5.2) with tonic, from the `.proto` files in `proto/`: health `Check`/`List`/`Watch`
//! and, on `weaviate.v1.Weaviate`, `Search`, `Aggregate`, `TenantsGet` and `BatchObjects` over the
//! same in-memory store as REST; the other methods authenticate, then answer `UNIMPLEMENTED`.
//! Credentials go through the same `AppState::authenticate` as REST; only the mapping to gRPC
//! statuses differs: unary calls answer `UNKNOWN` with `extract auth: <message>`, streaming calls
//! `UNAUTHENTICATED` with the bare message (recorded from v1.38.11).

mod values;

use std::pin::Pin;
use std::time::Instant;

use axum::extract::Request;
use axum::http::{header, HeaderMap};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use tokio_stream::Stream;
use tonic::{Code, Status};

use crate::authorization::{Resource, Verb};
use crate::error::Error;
use crate::principal::Principal;
use crate::server::AppState;
use proto::health::health_check_response::ServingStatus;
use proto::health::health_server::{Health, HealthServer};
use proto::health::{HealthCheckRequest, HealthCheckResponse, HealthListRequest, HealthListResponse};
use proto::weaviate::weaviate_server::{Weaviate, WeaviateServer};
use proto::weaviate::{
    aggregate_reply, AggregateReply, AggregateRequest, BatchObjectsReply, BatchObjectsRequest, Empty, SearchReply, SearchRequest,
    TenantsGetReply, TenantsGetRequest,
};

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
    tonic::service::Routes::new(HealthServer::new(HealthService { state: state.clone() }))
        .add_service(WeaviateServer::new(WeaviateService { state }))
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

async fn principal_of<T>(state: &AppState, request: &tonic::Request<T>, streaming: bool) -> Result<Option<Principal>, Status> {
    authenticate(state, &request.metadata().clone().into_headers(), streaming).await
}

/// Failures of handlers (not of authentication): a denial is `PERMISSION_DENIED`.
fn status_of(e: Error) -> Status {
    match e {
        Error::Forbidden(message) => Status::permission_denied(message),
        other => Status::unknown(other.to_string()),
    }
}

type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

struct HealthService {
    state: AppState,
}

fn serving() -> HealthCheckResponse {
    HealthCheckResponse {
        status: ServingStatus::Serving.into(),
    }
}

#[tonic::async_trait]
impl Health for HealthService {
    /// No credentials, and any service name: `SERVING` (recorded from v1.38.11).
    async fn check(&self, _: tonic::Request<HealthCheckRequest>) -> Result<tonic::Response<HealthCheckResponse>, Status> {
        Ok(tonic::Response::new(serving()))
    }

    /// `{"weaviate": SERVING}`, without credentials (recorded from v1.38.11).
    async fn list(&self, _: tonic::Request<HealthListRequest>) -> Result<tonic::Response<HealthListResponse>, Status> {
        let statuses = [("weaviate".to_owned(), serving())].into_iter().collect();
        Ok(tonic::Response::new(HealthListResponse { statuses }))
    }

    type WatchStream = ResponseStream<HealthCheckResponse>;

    /// Streaming, so credentials are checked first; then one `SERVING` and the end of the stream.
    async fn watch(&self, request: tonic::Request<HealthCheckRequest>) -> Result<tonic::Response<Self::WatchStream>, Status> {
        principal_of(&self.state, &request, true).await?;
        Ok(tonic::Response::new(Box::pin(tokio_stream::iter([Ok(serving())]))))
    }
}

struct WeaviateService {
    state: AppState,
}

impl WeaviateService {
    fn authorize_read(&self, principal: Option<&Principal>, collection: &str) -> Result<(), Error> {
        self.state
            .authorizer()
            .authorize(principal, Verb::Read, &Resource::Data(collection.to_owned()))
    }
}

/// The non-reference properties of a collection, sorted: those of its definition and every
/// one its objects carry (what Weaviate's auto-schema would have added).
fn property_names(class: Option<&serde_json::Value>, objects: &[serde_json::Value]) -> Vec<String> {
    let defined = class
        .and_then(|c| c["properties"].as_array())
        .into_iter()
        .flatten()
        // A reference property's data type is a class name, capitalised.
        .filter(|p| !p["dataType"][0].as_str().is_some_and(|t| t.starts_with(char::is_uppercase)))
        .filter_map(|p| p["name"].as_str().map(str::to_owned));
    let carried = objects
        .iter()
        .filter_map(|o| o["properties"].as_object())
        .flat_map(|m| m.iter().filter(|(_, v)| !v.is_null()).map(|(k, _)| k.clone()));
    let names: std::collections::BTreeSet<String> = defined.chain(carried).collect();
    names.into_iter().collect()
}

/// Weaviate's default page size (`QUERY_DEFAULTS_LIMIT`) when a search sends no limit.
const DEFAULT_LIMIT: usize = 10;

#[tonic::async_trait]
impl Weaviate for WeaviateService {
    /// The stored objects of the collection in id order, `offset` and `limit` applied, with the
    /// properties and metadata asked for.
    async fn search(&self, request: tonic::Request<SearchRequest>) -> Result<tonic::Response<SearchReply>, Status> {
        let started = Instant::now();
        let principal = principal_of(&self.state, &request, false).await?;
        let req = request.into_inner();
        self.authorize_read(principal.as_ref(), &req.collection).map_err(status_of)?;
        if self.state.store().class(&req.collection).is_none() {
            return Err(Status::unknown(format!("could not find class {} in schema", req.collection)));
        }
        let limit = match req.limit {
            0 => DEFAULT_LIMIT,
            n => usize::try_from(n).unwrap_or(usize::MAX),
        };
        let objects = self.state.store().objects(Some(&req.collection));
        let names = property_names(self.state.store().class(&req.collection).as_ref(), &objects);
        let results = objects
            .iter()
            .skip(usize::try_from(req.offset).unwrap_or(usize::MAX))
            .take(limit)
            .map(|o| search_result(o, &names, req.properties.as_ref(), req.metadata.as_ref()))
            .collect();
        Ok(tonic::Response::new(SearchReply {
            took: started.elapsed().as_secs_f32(),
            results,
        }))
    }

    /// Recorded from v1.38.11: a denial is not a call failure but one error per object, the
    /// update (`U`) permission on the object's collection; an empty batch succeeds.
    async fn batch_objects(&self, request: tonic::Request<BatchObjectsRequest>) -> Result<tonic::Response<BatchObjectsReply>, Status> {
        let started = Instant::now();
        let principal = principal_of(&self.state, &request, false).await?;
        let mut errors = Vec::new();
        for (index, o) in request.into_inner().objects.into_iter().enumerate() {
            let id = Some(o.uuid)
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            let properties = batch_properties(o.properties.as_ref());
            let store = self.state.store();
            let stored = self
                .state
                .authorizer()
                .authorize(principal.as_ref(), Verb::Update, &Resource::Data(o.collection.clone()))
                .and_then(|()| {
                    store
                        .put_object(&o.collection, &id, properties.clone(), false)
                        .or_else(|_| store.put_object(&o.collection, &id, properties, true))
                        .map_err(|e| Error::Unprocessable(format!("{e:?}")))
                });
            if let Err(e) = stored {
                let error = match e {
                    Error::Forbidden(m) => m,
                    other => other.to_string(),
                };
                errors.push(proto::weaviate::batch_objects_reply::BatchError {
                    index: i32::try_from(index).unwrap_or(i32::MAX),
                    error,
                });
            }
        }
        Ok(tonic::Response::new(BatchObjectsReply {
            took: started.elapsed().as_secs_f32(),
            errors,
        }))
    }

    async fn batch_references(&self, request: tonic::Request<Empty>) -> Result<tonic::Response<Empty>, Status> {
        principal_of(&self.state, &request, false).await?;
        Err(Status::unimplemented("BatchReferences is not emulated yet"))
    }

    async fn batch_delete(&self, request: tonic::Request<Empty>) -> Result<tonic::Response<Empty>, Status> {
        principal_of(&self.state, &request, false).await?;
        Err(Status::unimplemented("BatchDelete is not emulated yet"))
    }

    /// Recorded from v1.38.11: no denial; every authenticated caller gets these texts.
    async fn tenants_get(&self, request: tonic::Request<TenantsGetRequest>) -> Result<tonic::Response<TenantsGetReply>, Status> {
        principal_of(&self.state, &request, false).await?;
        let collection = request.into_inner().collection;
        let why = if self.state.store().class(&collection).is_some() {
            format!("multi-tenancy is not enabled for class \"{collection}\"")
        } else {
            "class not found".to_owned()
        };
        Err(Status::new(
            Code::Unknown,
            format!("get tenants: failed to execute query: could not get tenants: could not get tenants: {why}"),
        ))
    }

    /// The object count of the collection (`over_all(total_count=True)`); other aggregations
    /// are not emulated and answer nothing.
    async fn aggregate(&self, request: tonic::Request<AggregateRequest>) -> Result<tonic::Response<AggregateReply>, Status> {
        let started = Instant::now();
        let principal = principal_of(&self.state, &request, false).await?;
        let req = request.into_inner();
        // Recorded from v1.38.11: this denial carries a "parse params: " prefix.
        self.authorize_read(principal.as_ref(), &req.collection)
            .map_err(|e| Status::permission_denied(format!("parse params: {}", status_of(e).message())))?;
        if self.state.store().class(&req.collection).is_none() {
            // Recorded from v1.38.11, after the authorization check.
            return Err(Status::unknown(format!(
                "parse params: could not find class {} in schema",
                req.collection
            )));
        }
        let count = self.state.store().objects(Some(&req.collection)).len();
        Ok(tonic::Response::new(AggregateReply {
            took: started.elapsed().as_secs_f32(),
            result: Some(aggregate_reply::Result::SingleResult(aggregate_reply::Single {
                objects_count: req.objects_count.then(|| i64::try_from(count).unwrap_or(i64::MAX)),
            })),
        }))
    }

    type BatchStreamStream = ResponseStream<Empty>;

    /// Streaming: credentials first; the stream itself is not emulated.
    async fn batch_stream(
        &self,
        request: tonic::Request<tonic::Streaming<Empty>>,
    ) -> Result<tonic::Response<Self::BatchStreamStream>, Status> {
        principal_of(&self.state, &request, true).await?;
        Err(Status::unimplemented("BatchStream is not emulated yet"))
    }
}
