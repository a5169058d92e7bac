//! Spec 5.2 and 7.2: gRPC authentication and authorization, through a plain HTTP/2 client.
//! Every expected status and message was compared with v1.38.11 (raw calls with Python grpcio).

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::{TokioExecutor, TokioIo};
use prost::Message;
use serde_json::json;
use weaviate_auth_emu::grpc::proto::weaviate as pb;

use crate::support::{with, Env, STATIC_KEYS};

/// A gRPC answer: code, message, and the reply message when OK.
#[derive(Debug, PartialEq, Eq)]
struct Reply {
    code: u32,
    message: String,
    body: Vec<u8>,
}

fn decode_message(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&value[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn call(env: &Env, method: &str, message: &[u8], authorization: Option<&str>) -> Reply {
    let stream = tokio::net::TcpStream::connect(env.weaviate.grpc_addr())
        .await
        .expect("the gRPC port accepts connections");
    let (mut sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
        .await
        .expect("an HTTP/2 handshake");
    tokio::spawn(conn);
    let mut frame = vec![0u8];
    frame.extend_from_slice(&u32::try_from(message.len()).expect("a small message").to_be_bytes());
    frame.extend_from_slice(message);
    let mut req = hyper::Request::post(format!("http://{}{method}", env.weaviate.grpc_addr()))
        .header("content-type", "application/grpc")
        .header("te", "trailers");
    if let Some(value) = authorization {
        req = req.header("authorization", value);
    }
    let req = req.body(Full::new(Bytes::from(frame))).expect("a valid request");
    let resp = sender.send_request(req).await.expect("a gRPC answer");
    let headers = resp.headers().clone();
    let collected = resp.into_body().collect().await.expect("a readable body");
    let trailers = collected.trailers().cloned().unwrap_or_default();
    let status = trailers
        .get("grpc-status")
        .or_else(|| headers.get("grpc-status"))
        .expect("a grpc-status");
    let message = trailers
        .get("grpc-message")
        .or_else(|| headers.get("grpc-message"))
        .map(|v| v.to_str().unwrap_or(""));
    let body = collected.to_bytes().to_vec();
    Reply {
        code: status.to_str().unwrap_or("").parse().expect("a numeric status"),
        message: decode_message(message.unwrap_or("")),
        body: body.get(5..).map(<[u8]>::to_vec).unwrap_or_default(),
    }
}

fn collection(name: &str) -> Vec<u8> {
    let mut m = vec![0x0a, u8::try_from(name.len()).expect("a short name")];
    m.extend_from_slice(name.as_bytes());
    m
}

fn admin_list() -> Vec<(&'static str, &'static str)> {
    with(
        &STATIC_KEYS,
        &[
            ("AUTHORIZATION_ADMINLIST_ENABLED", "true"),
            ("AUTHORIZATION_ADMINLIST_USERS", "admin-user"),
            ("AUTHORIZATION_ADMINLIST_READONLY_USERS", "ro-user"),
        ],
    )
}

#[tokio::test]
async fn s5_2_health_needs_no_credentials_and_ignores_service() {
    let env = Env::start(&STATIC_KEYS).await;
    for (service, auth) in [
        (&b""[..], None),
        (&b"\x0a\x1c/grpc.health.v1.Health/Check"[..], Some("Bearer wrong")),
    ] {
        let reply = call(&env, "/grpc.health.v1.Health/Check", service, auth).await;
        assert_eq!((reply.code, reply.body.as_slice()), (0, &[0x08, 0x01][..]), "SERVING");
    }
    let list = call(&env, "/grpc.health.v1.Health/List", b"", None).await;
    assert_eq!(list.code, 0);
}

#[tokio::test]
async fn s5_2_unary_auth_failures_are_unknown_with_extract_auth() {
    let env = Env::start(&admin_list()).await;
    let foo = collection("Foo");
    for auth in [None, Some("Bearer wrong"), Some("bearer admin-key"), Some("Bearer ")] {
        let reply = call(&env, "/weaviate.v1.Weaviate/Search", &foo, auth).await;
        assert_eq!(
            (reply.code, reply.message.as_str()),
            (2, "extract auth: unauthorized: invalid api key"),
            "{auth:?}"
        );
    }
    // The same call with a good key gets past authentication.
    let ok = call(&env, "/weaviate.v1.Weaviate/Search", &foo, Some("Bearer admin-key")).await;
    assert_eq!((ok.code, ok.message.as_str()), (2, "could not find class Foo in schema"));
}

#[tokio::test]
async fn s5_2_streaming_auth_failures_are_unauthenticated() {
    let env = Env::start(&admin_list()).await;
    let watch = call(&env, "/grpc.health.v1.Health/Watch", b"", None).await;
    assert_eq!((watch.code, watch.message.as_str()), (16, "unauthorized: invalid api key"));
    let stream = call(&env, "/weaviate.v1.Weaviate/BatchStream", b"", Some("Bearer wrong")).await;
    assert_eq!((stream.code, stream.message.as_str()), (16, "unauthorized: invalid api key"));
    assert_eq!(
        call(&env, "/grpc.health.v1.Health/Watch", b"", Some("Bearer admin-key")).await.code,
        0
    );
}

#[tokio::test]
async fn s5_2_empty_bearer_with_anonymous_and_no_method() {
    // Spec 5.2: `Bearer ` is checked even with anonymous on; no method configured → this text.
    let env = Env::start(&[]).await;
    let text = "no authentication scheme is configured (API Key or OIDC), but an 'Authorization' header was provided. Please configure an auth scheme or remove the header for anonymous access";
    let unary = call(&env, "/weaviate.v1.Weaviate/Search", &collection("Foo"), Some("Bearer ")).await;
    assert_eq!((unary.code, unary.message), (2, format!("extract auth: {text}")));
    let streaming = call(&env, "/weaviate.v1.Weaviate/BatchStream", b"", Some("Bearer ")).await;
    assert_eq!((streaming.code, streaming.message.as_str()), (16, text));
    assert_eq!(
        call(&env, "/weaviate.v1.Weaviate/Search", &collection("Foo"), None).await.message,
        "could not find class Foo in schema"
    );
}

#[tokio::test]
async fn s5_2_denials_are_permission_denied_before_existence() {
    let env = Env::start(&admin_list()).await;
    env.send("POST", "/v1/schema", Some("admin-key"), Some(json!({"class": "Foo"})))
        .await;
    let denial = |c: &str| {
        format!("adminlist: authorization, forbidden action: user 'other-user' has insufficient permissions to R [data/collections/{c}/shards/*/objects/*]")
    };
    for c in ["Foo", "Nope"] {
        let reply = call(&env, "/weaviate.v1.Weaviate/Search", &collection(c), Some("Bearer other-key")).await;
        assert_eq!((reply.code, reply.message), (7, denial(c)));
    }
    let agg = call(
        &env,
        "/weaviate.v1.Weaviate/Aggregate",
        &collection("Foo"),
        Some("Bearer other-key"),
    )
    .await;
    assert_eq!((agg.code, agg.message), (7, format!("parse params: {}", denial("Foo"))));
    assert_eq!(
        call(&env, "/weaviate.v1.Weaviate/Search", &collection("Foo"), Some("Bearer ro-key"))
            .await
            .code,
        0
    );
}

#[tokio::test]
async fn s5_2_tenants_get_never_denies() {
    let env = Env::start(&admin_list()).await;
    env.send("POST", "/v1/schema", Some("admin-key"), Some(json!({"class": "Foo"})))
        .await;
    let prefix = "get tenants: failed to execute query: could not get tenants: could not get tenants: ";
    let reply = call(
        &env,
        "/weaviate.v1.Weaviate/TenantsGet",
        &collection("Foo"),
        Some("Bearer other-key"),
    )
    .await;
    assert_eq!(
        (reply.code, reply.message),
        (2, format!("{prefix}multi-tenancy is not enabled for class \"Foo\""))
    );
    let missing = call(&env, "/weaviate.v1.Weaviate/TenantsGet", &collection("Nope"), Some("Bearer ro-key")).await;
    assert_eq!(missing.message, format!("{prefix}class not found"));
}

#[tokio::test]
async fn s5_2_deactivated_db_user_over_grpc() {
    // Spec 6.3 lifecycle effects hold on gRPC too.
    let env = Env::start(&with(&STATIC_KEYS, &[("AUTHENTICATION_DB_USERS_ENABLED", "true")])).await;
    let created = env.send("POST", "/v1/users/db/alice", Some("admin-key"), None).await.json();
    let key = format!("Bearer {}", created["apikey"].as_str().expect("a key"));
    env.send("POST", "/v1/users/db/alice/deactivate", Some("admin-key"), None).await;
    let reply = call(&env, "/weaviate.v1.Weaviate/Search", &collection("Foo"), Some(&key)).await;
    assert_eq!(reply.message, "extract auth: unauthorized: invalid api key: user deactivated");
    env.send("POST", "/v1/users/db/alice/activate", Some("admin-key"), None).await;
    assert_eq!(
        call(&env, "/weaviate.v1.Weaviate/Search", &collection("Foo"), Some(&key))
            .await
            .message,
        "could not find class Foo in schema"
    );
}

#[tokio::test]
async fn s5_2_unknown_methods_are_unimplemented_without_auth() {
    let env = Env::start(&STATIC_KEYS).await;
    let reply = call(&env, "/weaviate.v1.Weaviate/Nope", b"", None).await;
    assert_eq!(
        (reply.code, reply.message.as_str()),
        (12, "unknown method Nope for service weaviate.v1.Weaviate")
    );
    assert_eq!(call(&env, "/nope.Svc/X", b"", None).await.message, "unknown service nope.Svc");
}

/// `BatchObjectsRequest` with one object per `(uuid, collection)`, each with `{"title": uuid}`.
fn batch(objects: &[(&str, &str)]) -> Vec<u8> {
    let objects = objects
        .iter()
        .map(|(id, class)| pb::BatchObject {
            uuid: (*id).to_owned(),
            collection: (*class).to_owned(),
            properties: Some(pb::batch_object::Properties {
                non_ref_properties: Some(prost_types::Struct {
                    fields: [("title".to_owned(), prost_types::Value::from((*id).to_owned()))]
                        .into_iter()
                        .collect(),
                }),
            }),
            ..Default::default()
        })
        .collect();
    pb::BatchObjectsRequest { objects }.encode_to_vec()
}

/// A `SearchRequest` for every non-reference property of `collection`.
fn search_all(collection: &str) -> Vec<u8> {
    pb::SearchRequest {
        collection: collection.to_owned(),
        limit: 100,
        properties: Some(pb::PropertiesRequest {
            return_all_nonref_properties: true,
            ..Default::default()
        }),
        metadata: Some(pb::MetadataRequest {
            uuid: true,
            ..Default::default()
        }),
        ..Default::default()
    }
    .encode_to_vec()
}

/// `(id, title)` of every search result.
fn titles(reply: &Reply) -> Vec<(String, String)> {
    let reply = pb::SearchReply::decode(reply.body.as_slice()).expect("a SearchReply");
    reply
        .results
        .into_iter()
        .map(|r| {
            let id = r.metadata.expect("metadata").id;
            let props = r.properties.expect("properties").non_ref_props.expect("non-ref properties");
            let title = match props.fields.get("title").and_then(|v| v.kind.clone()) {
                Some(pb::value::Kind::TextValue(t)) => t,
                other => panic!("title is text, got {other:?}"),
            };
            (id, title)
        })
        .collect()
}

#[tokio::test]
async fn s5_2_batch_denials_are_per_object_errors_and_search_lists_what_was_stored() {
    // Compared with v1.38.11 through the official clients (tests/it/clients.rs of the root
    // package): a read-only user's batch call succeeds with one `U` denial per object.
    let env = Env::start(&admin_list()).await;
    assert_eq!(
        env.send("POST", "/v1/schema", Some("admin-key"), Some(json!({"class": "Foo"})))
            .await
            .status,
        200
    );
    let (a, b) = ("6f1c1a3e-0000-4000-8000-00000000000a", "6f1c1a3e-0000-4000-8000-00000000000b");
    let request = batch(&[(a, "Foo"), (b, "Foo")]);
    let denied = call(&env, "/weaviate.v1.Weaviate/BatchObjects", &request, Some("Bearer ro-key")).await;
    let why = "adminlist: authorization, forbidden action: user 'ro-user' has insufficient permissions to U [data/collections/Foo/shards/*/objects/*]";
    assert_eq!(denied.code, 0, "{}", denied.message);
    let errors: Vec<(i32, String)> = pb::BatchObjectsReply::decode(denied.body.as_slice())
        .expect("a BatchObjectsReply")
        .errors
        .into_iter()
        .map(|e| (e.index, e.error))
        .collect();
    assert_eq!(errors, [(0, why.to_owned()), (1, why.to_owned())]);
    let search = call(&env, "/weaviate.v1.Weaviate/Search", &search_all("Foo"), Some("Bearer ro-key")).await;
    assert_eq!((search.code, titles(&search)), (0, vec![]), "nothing was stored");

    let stored = call(&env, "/weaviate.v1.Weaviate/BatchObjects", &request, Some("Bearer admin-key")).await;
    let reply = pb::BatchObjectsReply::decode(stored.body.as_slice()).expect("a BatchObjectsReply");
    assert_eq!((stored.code, reply.errors.len()), (0, 0), "no errors");
    let search = call(&env, "/weaviate.v1.Weaviate/Search", &search_all("Foo"), Some("Bearer ro-key")).await;
    assert_eq!(
        titles(&search),
        [(a.to_owned(), a.to_owned()), (b.to_owned(), b.to_owned())],
        "the batch's objects with their properties"
    );
    let listed = env.get("/v1/objects?class=Foo", Some("ro-key")).await;
    assert_eq!(listed.json()["totalResults"], 2, "REST sees the batch's objects");
}

#[tokio::test]
async fn s5_2_search_returns_rest_objects_and_aggregate_counts_them() {
    let env = Env::start(&admin_list()).await;
    for n in 0..3 {
        let created = env
            .send(
                "POST",
                "/v1/objects",
                Some("admin-key"),
                Some(json!({"class": "Foo", "properties": {"title": format!("t{n}"), "n": n}})),
            )
            .await;
        assert_eq!(created.status, 200);
    }
    let search = call(&env, "/weaviate.v1.Weaviate/Search", &search_all("Foo"), Some("Bearer ro-key")).await;
    let mut got: Vec<String> = titles(&search).into_iter().map(|(_, t)| t).collect();
    got.sort();
    assert_eq!(got, ["t0", "t1", "t2"]);
    let limited = pb::SearchRequest {
        collection: "Foo".into(),
        limit: 2,
        ..Default::default()
    };
    let limited = call(
        &env,
        "/weaviate.v1.Weaviate/Search",
        &limited.encode_to_vec(),
        Some("Bearer ro-key"),
    )
    .await;
    let limited = pb::SearchReply::decode(limited.body.as_slice()).expect("a SearchReply");
    assert_eq!(limited.results.len(), 2, "limit applies");

    let count = pb::AggregateRequest {
        collection: "Foo".into(),
        objects_count: true,
        ..Default::default()
    };
    let agg = call(
        &env,
        "/weaviate.v1.Weaviate/Aggregate",
        &count.encode_to_vec(),
        Some("Bearer ro-key"),
    )
    .await;
    assert_eq!(agg.code, 0, "{}", agg.message);
    let reply = pb::AggregateReply::decode(agg.body.as_slice()).expect("an AggregateReply");
    let Some(pb::aggregate_reply::Result::SingleResult(single)) = reply.result else {
        panic!("a single result")
    };
    assert_eq!(single.objects_count, Some(3));
}

/// Recorded from v1.38.11 with the conformance suite's grpc steps (s19): a missing collection is
/// an error after the permission check, not a count of 0.
#[tokio::test]
async fn s5_2_aggregate_on_a_missing_collection_is_unknown_after_the_permission_check() {
    let env = Env::start(&admin_list()).await;
    let count = pb::AggregateRequest {
        collection: "Missing".into(),
        objects_count: true,
        ..Default::default()
    }
    .encode_to_vec();
    let reader = call(&env, "/weaviate.v1.Weaviate/Aggregate", &count, Some("Bearer ro-key")).await;
    assert_eq!(
        (reader.code, reader.message.as_str()),
        (2, "parse params: could not find class Missing in schema")
    );
    let nobody = call(&env, "/weaviate.v1.Weaviate/Aggregate", &count, Some("Bearer other-key")).await;
    assert_eq!(nobody.code, 7, "{}", nobody.message);
}

/// A streaming call that sends `messages` and closes its side: the status and every reply message.
async fn call_stream(env: &Env, method: &str, messages: &[Vec<u8>], authorization: &str) -> (u32, String, Vec<Vec<u8>>) {
    let stream = tokio::net::TcpStream::connect(env.weaviate.grpc_addr())
        .await
        .expect("the gRPC port accepts connections");
    let (mut sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
        .await
        .expect("an HTTP/2 handshake");
    tokio::spawn(conn);
    let mut frames = Vec::new();
    for message in messages {
        frames.push(0u8);
        frames.extend_from_slice(&u32::try_from(message.len()).expect("a small message").to_be_bytes());
        frames.extend_from_slice(message);
    }
    let req = hyper::Request::post(format!("http://{}{method}", env.weaviate.grpc_addr()))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("authorization", authorization)
        .body(Full::new(Bytes::from(frames)))
        .expect("a valid request");
    let resp = sender.send_request(req).await.expect("a gRPC answer");
    let headers = resp.headers().clone();
    let collected = resp.into_body().collect().await.expect("a readable body");
    let trailers = collected.trailers().cloned().unwrap_or_default();
    let field = |name: &str| {
        trailers
            .get(name)
            .or_else(|| headers.get(name))
            .map(|v| v.to_str().unwrap_or("").to_owned())
            .unwrap_or_default()
    };
    let body = collected.to_bytes().to_vec();
    let mut replies = Vec::new();
    let mut rest = body.as_slice();
    while rest.len() >= 5 {
        let len = usize::try_from(u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]])).expect("a length");
        replies.push(rest[5..5 + len].to_vec());
        rest = &rest[5 + len..];
    }
    (
        field("grpc-status").parse().expect("a numeric status"),
        decode_message(&field("grpc-message")),
        replies,
    )
}

fn stream_message(message: pb::batch_stream_request::Message) -> Vec<u8> {
    pb::BatchStreamRequest { message: Some(message) }.encode_to_vec()
}

fn stream_data(objects: &[(&str, &str)]) -> Vec<u8> {
    let batch = pb::BatchObjectsRequest::decode(batch(objects).as_slice()).expect("a batch");
    stream_message(pb::batch_stream_request::Message::Data(pb::batch_stream_request::Data {
        objects: Some(pb::batch_stream_request::data::Objects { values: batch.objects }),
        references: None,
    }))
}

#[tokio::test]
async fn s5_2_batch_stream_acks_then_reports_each_batch_as_v1_38_11_does() {
    // Compared with v1.38.11 (raw grpcio calls): started, then acks and results per data message;
    // a value that does not fit is an error, and the last n - e uuids are listed as successes.
    let env = Env::start(&admin_list()).await;
    env.send(
        "POST",
        "/v1/schema",
        Some("admin-key"),
        Some(json!({"class": "Book", "properties": [{"name": "title", "dataType": ["int"]}]})),
    )
    .await;
    let (a, b) = ("00000000-0000-0000-0000-0000000000a1", "00000000-0000-0000-0000-0000000000a2");
    let start = stream_message(pb::batch_stream_request::Message::Start(pb::batch_stream_request::Start {}));
    let stop = stream_message(pb::batch_stream_request::Message::Stop(pb::batch_stream_request::Stop {}));
    let messages = [start.clone(), stream_data(&[(a, "Article"), (b, "Book")]), stop];
    let (code, _, replies) = call_stream(&env, "/weaviate.v1.Weaviate/BatchStream", &messages, "Bearer admin-key").await;
    assert_eq!(code, 0);
    let replies: Vec<pb::batch_stream_reply::Message> = replies
        .iter()
        .filter_map(|r| pb::BatchStreamReply::decode(r.as_slice()).expect("a reply").message)
        .collect();
    use pb::batch_stream_reply::{results, Message};
    let [Message::Started(_), Message::Acks(acks), Message::Results(results)] = replies.as_slice() else {
        panic!("started, acks, results: {replies:?}");
    };
    assert_eq!(acks.uuids, vec![a.to_owned(), b.to_owned()]);
    let error = format!("invalid integer property 'title' on class 'Book': requires an integer, the given value is '{b}'");
    assert_eq!(
        results.errors,
        vec![results::Error {
            error,
            detail: Some(results::error::Detail::Uuid(b.to_owned()))
        }]
    );
    assert_eq!(
        results.successes,
        vec![results::Success {
            detail: Some(results::success::Detail::Uuid(b.to_owned()))
        }],
        "v1.38.11 lists the last n - e uuids"
    );
    let stored = call(&env, "/weaviate.v1.Weaviate/Search", &search_all("Article"), Some("Bearer ro-key")).await;
    assert_eq!(titles(&stored), vec![(a.to_owned(), a.to_owned())]);
    // A read-only caller gets one denial per object; a stream that does not start is refused.
    let messages = [start, stream_data(&[(a, "Article")])];
    let (_, _, replies) = call_stream(&env, "/weaviate.v1.Weaviate/BatchStream", &messages, "Bearer ro-key").await;
    let last = pb::BatchStreamReply::decode(replies.last().expect("a reply").as_slice()).expect("a reply");
    let Some(Message::Results(denied)) = last.message else {
        panic!("results: {last:?}");
    };
    assert!(denied.errors[0]
        .error
        .contains("has insufficient permissions to U [data/collections/Article"));
    let (code, message, _) = call_stream(&env, "/weaviate.v1.Weaviate/BatchStream", &[stream_data(&[])], "Bearer admin-key").await;
    assert_eq!((code, message.as_str()), (2, "first message must be a start message"));
    let (code, message, _) = call_stream(&env, "/weaviate.v1.Weaviate/BatchStream", &[], "Bearer admin-key").await;
    assert_eq!((code, message.as_str()), (2, "initial stream message receive: EOF"));
}
