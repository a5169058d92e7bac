//! `weaviate.v1.Weaviate`: `Search`, `Aggregate`, `TenantsGet`, `BatchObjects` and `BatchStream`
//! (`batch_stream.rs`) over the store REST uses; `BatchReferences` and `BatchDelete`
//! authenticate, then answer `UNIMPLEMENTED`. Every failure inside a call is an `Error`, mapped to a status in `error.rs`.

use std::time::Instant;

use tonic::Status;

use super::batch_stream::{self, Replies};
use super::principal_of;
use super::proto::weaviate::batch_objects_reply::BatchError;
use super::proto::weaviate::weaviate_server::Weaviate;
use super::proto::weaviate::{
    aggregate_reply, AggregateReply, AggregateRequest, BatchObjectsReply, BatchObjectsRequest, BatchStreamRequest, Empty, SearchReply,
    SearchRequest, TenantsGetReply, TenantsGetRequest,
};
use super::values::{batch_properties, search_result};
use crate::authorization::{Resource, Verb};
use crate::error::Error;
use crate::objects::Objects;
use crate::principal::Principal;
use crate::server::AppState;

/// `weaviate.v1.Weaviate`.
pub(super) struct WeaviateService {
    state: AppState,
}

impl WeaviateService {
    pub(super) fn new(state: AppState) -> Self {
        WeaviateService { state }
    }

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
        self.authorize_read(principal.as_ref(), &req.collection)?;
        let store = self.state.store();
        let class = store
            .class(&req.collection)
            .ok_or_else(|| Error::ClassNotInSchema(req.collection.clone()))?;
        let limit = match req.limit {
            0 => DEFAULT_LIMIT,
            n => usize::try_from(n).unwrap_or(usize::MAX),
        };
        let objects = store.objects(Some(&req.collection));
        let names = property_names(Some(&class), &objects);
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
        let objects = Objects::new(self.state.store(), self.state.authorizer().caller(principal.as_ref()));
        let mut errors = Vec::new();
        for (index, o) in request.into_inner().objects.into_iter().enumerate() {
            let id = Some(o.uuid)
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            if let Err(e) = objects.batch_put(&o.collection, &id, batch_properties(o.properties.as_ref())) {
                errors.push(BatchError {
                    index: i32::try_from(index).unwrap_or(i32::MAX),
                    error: e.to_string(),
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
        Err(Error::NotEmulated("BatchReferences").into())
    }

    async fn batch_delete(&self, request: tonic::Request<Empty>) -> Result<tonic::Response<Empty>, Status> {
        principal_of(&self.state, &request, false).await?;
        Err(Error::NotEmulated("BatchDelete").into())
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
        Err(Error::NoTenants(why).into())
    }

    /// The object count of the collection (`over_all(total_count=True)`); other aggregations
    /// are not emulated and answer nothing.
    async fn aggregate(&self, request: tonic::Request<AggregateRequest>) -> Result<tonic::Response<AggregateReply>, Status> {
        let started = Instant::now();
        let principal = principal_of(&self.state, &request, false).await?;
        let req = request.into_inner();
        // Recorded from v1.38.11: the denial and then the missing class carry a "parse params: " prefix.
        let parse_params = |e: Error| Error::ParseParams(Box::new(e));
        self.authorize_read(principal.as_ref(), &req.collection).map_err(parse_params)?;
        if self.state.store().class(&req.collection).is_none() {
            return Err(parse_params(Error::ClassNotInSchema(req.collection)).into());
        }
        let count = self.state.store().objects(Some(&req.collection)).len();
        Ok(tonic::Response::new(AggregateReply {
            took: started.elapsed().as_secs_f32(),
            result: Some(aggregate_reply::Result::SingleResult(aggregate_reply::Single {
                objects_count: req.objects_count.then(|| i64::try_from(count).unwrap_or(i64::MAX)),
            })),
        }))
    }

    type BatchStreamStream = Replies;

    /// Streaming: credentials first, then the stream of `batch_stream.rs`.
    async fn batch_stream(
        &self,
        request: tonic::Request<tonic::Streaming<BatchStreamRequest>>,
    ) -> Result<tonic::Response<Self::BatchStreamStream>, Status> {
        let principal = principal_of(&self.state, &request, true).await?;
        let replies = batch_stream::serve(self.state.clone(), principal, request.into_inner()).await?;
        Ok(tonic::Response::new(replies))
    }
}
