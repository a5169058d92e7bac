//! `grpc` steps: one call of `weaviate.v1.Weaviate` or `grpc.health.v1.Health` through the
//! client generated in `weaviate_auth_emu` from its `.proto` files. The answer becomes a status
//! (the numeric gRPC code, 0 for OK) and a JSON body: `{"code":"PERMISSION_DENIED","message":..}`
//! for a failure, a compact summary of the reply for a success.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Map, Value as Json};
use tonic::metadata::{MetadataKey, MetadataValue};
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};
use weaviate_auth_emu::grpc::proto::health::health_check_response::ServingStatus;
use weaviate_auth_emu::grpc::proto::health::health_client::HealthClient;
use weaviate_auth_emu::grpc::proto::health::HealthCheckRequest;
use weaviate_auth_emu::grpc::proto::weaviate as pb;
use weaviate_auth_emu::grpc::proto::weaviate::weaviate_client::WeaviateClient;

use crate::runner::Answer;
use crate::step::Step;
use crate::target::Running;
use crate::Error;

/// The methods a `grpc` step can call, by the name a scenario gives (`method = "Search"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `weaviate.v1.Weaviate/Search`: the collection's objects with all their properties.
    Search,
    /// `weaviate.v1.Weaviate/BatchObjects`: the step's `objects`.
    BatchObjects,
    /// `weaviate.v1.Weaviate/Aggregate`: the collection's object count.
    Aggregate,
    /// `weaviate.v1.Weaviate/TenantsGet`.
    TenantsGet,
    /// `grpc.health.v1.Health/Check` (`health.Check`).
    HealthCheck,
    /// `grpc.health.v1.Health/Watch` (`health.Watch`), a streaming call: its first message.
    HealthWatch,
}

impl FromStr for Method {
    type Err = Error;

    fn from_str(s: &str) -> Result<Method, Error> {
        Ok(match s {
            "Search" => Method::Search,
            "BatchObjects" => Method::BatchObjects,
            "Aggregate" => Method::Aggregate,
            "TenantsGet" => Method::TenantsGet,
            "health.Check" => Method::HealthCheck,
            "health.Watch" => Method::HealthWatch,
            other => {
                return Err(Error::Invalid(format!(
                    "unknown gRPC method {other:?}: Search, BatchObjects, Aggregate, TenantsGet, health.Check or health.Watch"
                )))
            }
        })
    }
}

/// What a `grpc` step sends, from its `body`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// The collection of `Search`, `Aggregate`, `TenantsGet`, and of `objects` without their own.
    #[serde(default)]
    pub collection: Option<String>,
    /// `Search`: the page size (Weaviate's default when absent).
    #[serde(default)]
    pub limit: Option<u32>,
    /// `BatchObjects`: the objects to insert.
    #[serde(default)]
    pub objects: Vec<Object>,
    /// `health.*`: the service name asked about (empty by default).
    #[serde(default)]
    pub service: Option<String>,
}

/// One object of a `BatchObjects` step.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Object {
    /// Its collection; the request's `collection` when absent.
    #[serde(default)]
    pub collection: Option<String>,
    /// Its UUID (the server picks one when absent, which makes transcripts unstable).
    #[serde(default)]
    pub id: Option<String>,
    /// Its non-reference properties.
    #[serde(default)]
    pub properties: Map<String, Json>,
}

/// The method and request of a `grpc` step, checked: what `Step::validate` calls.
pub fn call_of(step: &Step) -> Result<(Method, Request), Error> {
    let method: Method = step
        .method
        .as_deref()
        .ok_or_else(|| Error::Invalid("a grpc step needs a method".into()))?
        .parse()?;
    let request: Request = match &step.body {
        Some(b) => serde_json::from_value(b.clone()).map_err(|e| Error::Invalid(format!("grpc body: {e}")))?,
        None => Request::default(),
    };
    let needs_collection = matches!(method, Method::Search | Method::Aggregate | Method::TenantsGet);
    if needs_collection && request.collection.is_none() {
        return Err(Error::Invalid(format!("{method:?} needs body.collection")));
    }
    if method == Method::BatchObjects {
        if request.objects.is_empty() {
            return Err(Error::Invalid("BatchObjects needs body.objects".into()));
        }
        if request.collection.is_none() && request.objects.iter().any(|o| o.collection.is_none()) {
            return Err(Error::Invalid(
                "every object needs a collection (its own or body.collection)".into(),
            ));
        }
    }
    Ok((method, request))
}

/// Connects to `addr` (`HOST:PORT`, cleartext HTTP/2) within `timeout`.
pub async fn connect(addr: &str, timeout: Duration) -> Result<Channel, Error> {
    Endpoint::from_shared(format!("http://{addr}"))
        .map_err(|e| Error::Exchange(format!("gRPC address {addr}: {e}")))?
        .connect_timeout(timeout)
        .timeout(Duration::from_secs(30))
        .connect()
        .await
        .map_err(|e| Error::Exchange(format!("gRPC connect {addr}: {e}")))
}

/// Plays a `grpc` step on `w`: `bearer` becomes `authorization: Bearer <credential>` metadata,
/// `headers` literal metadata.
pub async fn step(w: &Running, step: &Step, creds: &crate::runner::Saved) -> Result<Answer, Error> {
    let (method, request) = call_of(step)?;
    let mut metadata: Vec<(String, String)> = step.headers.iter().map(|(k, v)| (k.to_lowercase(), v.clone())).collect();
    if let Some(name) = &step.bearer {
        let token = creds.named(name).map_err(|e| Error::Exchange(e.to_string()))?.expose();
        metadata.push(("authorization".into(), format!("Bearer {token}")));
    }
    let channel = connect(&w.grpc_addr(), Duration::from_secs(10)).await?;
    let collection = request
        .collection
        .as_ref()
        .or_else(|| request.objects.first().and_then(|o| o.collection.as_ref()));
    let label = match (collection, method) {
        (_, Method::HealthCheck) => "grpc health.Check".to_owned(),
        (_, Method::HealthWatch) => "grpc health.Watch".to_owned(),
        (Some(c), m) => format!("grpc {m:?} {c}"),
        (None, m) => format!("grpc {m:?}"),
    };
    let (status, body) = match call(channel, method, &request, &metadata).await? {
        Ok(summary) => (0, summary),
        Err(s) => (code_number(s.code()), status_json(&s)),
    };
    Ok(Answer::new(label, status, body.to_string(), None))
}

/// One call; `Ok(Err(status))` is the server's refusal, `Err` a request that could not be built.
pub async fn call(channel: Channel, method: Method, r: &Request, metadata: &[(String, String)]) -> Result<Result<Json, Status>, Error> {
    let collection = r.collection.clone().unwrap_or_default();
    Ok(match method {
        Method::Search => {
            let req = pb::SearchRequest {
                collection,
                limit: r.limit.unwrap_or(0),
                properties: Some(pb::PropertiesRequest {
                    return_all_nonref_properties: true,
                    ..Default::default()
                }),
                metadata: Some(pb::MetadataRequest {
                    uuid: true,
                    ..Default::default()
                }),
                // As the Python client v4 sends them: the reply's current property encoding.
                uses_123_api: true,
                uses_125_api: true,
                uses_127_api: true,
                ..Default::default()
            };
            let reply = WeaviateClient::new(channel).search(with_metadata(req, metadata)?).await;
            reply.map(|r| search_summary(&r.into_inner()))
        }
        Method::BatchObjects => {
            let objects = r
                .objects
                .iter()
                .map(|o| pb::BatchObject {
                    uuid: o.id.clone().unwrap_or_default(),
                    collection: o.collection.clone().unwrap_or_else(|| collection.clone()),
                    properties: Some(pb::batch_object::Properties {
                        non_ref_properties: Some(to_struct(&o.properties)),
                    }),
                    tenant: String::new(),
                })
                .collect();
            let req = pb::BatchObjectsRequest { objects };
            let reply = WeaviateClient::new(channel).batch_objects(with_metadata(req, metadata)?).await;
            reply.map(|r| {
                let errors: Vec<Json> = r
                    .into_inner()
                    .errors
                    .iter()
                    .map(|e| json!({"index": e.index, "message": e.error}))
                    .collect();
                json!({ "errors": errors })
            })
        }
        Method::Aggregate => {
            let req = pb::AggregateRequest {
                collection,
                objects_count: true,
                ..Default::default()
            };
            let reply = WeaviateClient::new(channel).aggregate(with_metadata(req, metadata)?).await;
            reply.map(|r| match r.into_inner().result {
                Some(pb::aggregate_reply::Result::SingleResult(s)) => json!({ "objects_count": s.objects_count }),
                None => json!({}),
            })
        }
        Method::TenantsGet => {
            let req = pb::TenantsGetRequest { collection };
            let reply = WeaviateClient::new(channel).tenants_get(with_metadata(req, metadata)?).await;
            reply.map(|_| json!({}))
        }
        Method::HealthCheck => {
            let req = HealthCheckRequest {
                service: r.service.clone().unwrap_or_default(),
            };
            let reply = HealthClient::new(channel).check(with_metadata(req, metadata)?).await;
            reply.map(|r| json!({ "status": serving_status(r.into_inner().status) }))
        }
        Method::HealthWatch => {
            let req = HealthCheckRequest {
                service: r.service.clone().unwrap_or_default(),
            };
            match HealthClient::new(channel).watch(with_metadata(req, metadata)?).await {
                Ok(stream) => match stream.into_inner().message().await {
                    Ok(Some(m)) => Ok(json!({ "status": serving_status(m.status) })),
                    Ok(None) => Ok(json!({})),
                    Err(s) => Err(s),
                },
                Err(s) => Err(s),
            }
        }
    })
}

pub(crate) fn with_metadata<T>(message: T, metadata: &[(String, String)]) -> Result<tonic::Request<T>, Error> {
    let mut req = tonic::Request::new(message);
    for (k, v) in metadata {
        let key = MetadataKey::from_bytes(k.as_bytes()).map_err(|e| Error::Invalid(format!("metadata key {k:?}: {e}")))?;
        let value = MetadataValue::try_from(v.as_str()).map_err(|e| Error::Invalid(format!("metadata value of {k}: {e}")))?;
        req.metadata_mut().append(key, value);
    }
    Ok(req)
}

/// The numeric gRPC code (`PERMISSION_DENIED` is 7).
pub fn code_number(code: Code) -> u16 {
    u16::try_from(i32::from(code)).unwrap_or(u16::MAX)
}

/// The canonical name of a code: `PermissionDenied` becomes `PERMISSION_DENIED`.
pub fn code_name(code: Code) -> String {
    let mut out = String::new();
    for (i, c) in format!("{code:?}").chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// A refusal as a transcript body.
pub fn status_json(s: &Status) -> Json {
    json!({ "code": code_name(s.code()), "message": s.message() })
}

/// `SERVING`, `NOT_SERVING`, ... or the number when unknown.
pub fn serving_status(status: i32) -> Json {
    match ServingStatus::try_from(status) {
        Ok(s) => Json::from(s.as_str_name()),
        Err(_) => Json::from(status),
    }
}

fn search_summary(reply: &pb::SearchReply) -> Json {
    let results: Vec<Json> = reply
        .results
        .iter()
        .map(|r| {
            let props = r.properties.as_ref();
            json!({
                "id": r.metadata.as_ref().map(|m| m.id.clone()).unwrap_or_default(),
                "collection": props.map(|p| p.target_collection.clone()).unwrap_or_default(),
                "properties": props.and_then(|p| p.non_ref_props.as_ref()).map(properties_json).unwrap_or_default(),
            })
        })
        .collect();
    json!({ "results": results })
}

fn properties_json(p: &pb::Properties) -> Json {
    // Sorted, so that transcripts do not depend on the map's order.
    let fields: BTreeMap<&String, Json> = p.fields.iter().map(|(k, v)| (k, value_json(v))).collect();
    json!(fields)
}

fn value_json(v: &pb::Value) -> Json {
    use pb::list_value::Kind as L;
    use pb::value::Kind as V;
    match &v.kind {
        None | Some(V::NullValue(_)) => Json::Null,
        Some(V::NumberValue(n)) => json!(n),
        Some(V::BoolValue(b)) => json!(b),
        Some(V::TextValue(s)) => json!(s),
        Some(V::ObjectValue(p)) => properties_json(p),
        Some(V::ListValue(l)) => match &l.kind {
            None => json!([]),
            Some(L::NumberValues(n)) => n
                .values
                .chunks_exact(8)
                .map(|b| json!(f64::from_le_bytes(b.try_into().unwrap_or([0; 8]))))
                .collect(),
            Some(L::BoolValues(b)) => json!(b.values),
            Some(L::TextValues(t)) => json!(t.values),
            Some(L::ObjectValues(o)) => o.values.iter().map(properties_json).collect(),
        },
    }
}

fn to_struct(m: &Map<String, Json>) -> prost_types::Struct {
    prost_types::Struct {
        fields: m.iter().map(|(k, v)| (k.clone(), to_value(v))).collect(),
    }
}

fn to_value(v: &Json) -> prost_types::Value {
    use prost_types::value::Kind;
    let kind = match v {
        Json::Null => Kind::NullValue(0),
        Json::Bool(b) => Kind::BoolValue(*b),
        Json::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or(0.0)),
        Json::String(s) => Kind::StringValue(s.clone()),
        Json::Array(a) => Kind::ListValue(prost_types::ListValue {
            values: a.iter().map(to_value).collect(),
        }),
        Json::Object(o) => Kind::StructValue(to_struct(o)),
    };
    prost_types::Value { kind: Some(kind) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_get_their_canonical_names_and_numbers() {
        assert_eq!(code_name(Code::PermissionDenied), "PERMISSION_DENIED");
        assert_eq!(code_name(Code::Ok), "OK");
        assert_eq!(code_name(Code::Unauthenticated), "UNAUTHENTICATED");
        assert_eq!((code_number(Code::Unknown), code_number(Code::PermissionDenied)), (2, 7));
    }

    #[test]
    fn packed_numbers_and_nested_values_become_json() {
        let bytes = [1.5f64.to_le_bytes(), 2.0f64.to_le_bytes()].concat();
        let list = pb::Value {
            kind: Some(pb::value::Kind::ListValue(pb::ListValue {
                kind: Some(pb::list_value::Kind::NumberValues(pb::NumberValues { values: bytes })),
            })),
        };
        assert_eq!(value_json(&list), json!([1.5, 2.0]));
        let props = pb::Properties {
            fields: [(
                "t".to_owned(),
                pb::Value {
                    kind: Some(pb::value::Kind::TextValue("x".into())),
                },
            )]
            .into_iter()
            .collect(),
        };
        assert_eq!(properties_json(&props), json!({"t": "x"}));
    }
}
