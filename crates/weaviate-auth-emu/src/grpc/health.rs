//! `grpc.health.v1.Health`: `SERVING` for every service name, without credentials, except the
//! streaming `Watch`, which authenticates first (recorded from v1.38.11).

use tonic::Status;

use super::proto::health::health_check_response::ServingStatus;
use super::proto::health::health_server::Health;
use super::proto::health::{HealthCheckRequest, HealthCheckResponse, HealthListRequest, HealthListResponse};
use super::{principal_of, ResponseStream};
use crate::server::AppState;

/// `grpc.health.v1.Health`.
pub(super) struct HealthService {
    state: AppState,
}

impl HealthService {
    pub(super) fn new(state: AppState) -> Self {
        HealthService { state }
    }
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
