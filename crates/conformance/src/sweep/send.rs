//! Plays a plan on one running Weaviate: sends each request with its credential, records the
//! whole answer (status, content type, normalized body; gRPC code and message) and puts the
//! fixture back where the plan says.
//!
//! The fixture is the admin's: delete whatever the sweep may have created (collections, alias,
//! database user, role), then create the collection `Sweep` and its one object. Its answers are
//! not compared, but a fixture that cannot be created stops the run: every later comparison
//! would measure the broken fixture rather than the auth layer.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};
use tonic::transport::Channel;
use weaviate_auth_emu::grpc::proto::weaviate as pb;
use weaviate_auth_emu::grpc::proto::weaviate::weaviate_client::WeaviateClient;

use super::plan::{self, Call, Credential, GrpcMethod, Request, Step};
use crate::grpc::{code_name, code_number, with_metadata, Method};
use crate::normalize::Normalizer;
use crate::target::Running;
use crate::Error;

/// How long one REST request or gRPC call may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// How long a `BatchStream` call waits for its first reply after the request stream ended.
const STREAM_WAIT: Duration = Duration::from_secs(5);

/// The secret each credential kind sends (none for [`Credential::None`]).
#[derive(Clone, Default)]
pub struct Secrets {
    values: BTreeMap<Credential, String>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The kinds only, never the tokens.
        f.debug_set().entries(self.values.keys().map(|c| c.name())).finish()
    }
}

impl Secrets {
    /// Stores the secret of `kind`.
    pub fn insert(&mut self, kind: Credential, secret: String) {
        self.values.insert(kind, secret);
    }

    /// The secret of `kind`, if it sends one.
    pub fn get(&self, kind: Credential) -> Option<&str> {
        self.values.get(&kind).map(String::as_str)
    }

    /// Adds every secret to `norm` as `<kind>`.
    pub fn redact_in(&self, norm: &mut Normalizer) {
        for (kind, secret) in &self.values {
            norm.add(secret.clone(), format!("<{}>", kind.name()));
        }
    }
}

/// One answer, normalized.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Answer {
    /// HTTP status, or the numeric gRPC code; 0 when no answer came (transport error).
    pub status: u16,
    /// The media type as sent (`application/json`), empty for gRPC and bodiless answers.
    pub content_type: String,
    /// The body: JSON when it parses, else its text; a gRPC failure as `{"code","message"}`.
    pub body: Value,
    /// True for gRPC answers: `status` is then a gRPC code.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub grpc: bool,
}

impl Answer {
    fn transport(error: String) -> Answer {
        Answer {
            status: 0,
            content_type: String::new(),
            body: Value::String(error),
            grpc: false,
        }
    }

    /// One line: status and the message (or the body), e.g. `401 anonymous access not enabled`
    /// or `UNKNOWN extract auth: ...`. Known differences match this line; reports shorten it.
    pub fn summary(&self) -> String {
        let status = if self.grpc {
            code_name(tonic::Code::from_i32(i32::from(self.status)))
        } else {
            self.status.to_string()
        };
        format!("{status} {}", self.message()).trim_end().to_owned()
    }

    /// The error message of a Weaviate answer, else the body (on one line, at most 2000
    /// characters).
    pub fn message(&self) -> String {
        let b = &self.body;
        let found = b
            .pointer("/error/0/message")
            .or_else(|| b.get("message"))
            .or_else(|| b.get("error").filter(|e| e.is_string()))
            .and_then(Value::as_str);
        let text = match (found, b) {
            (Some(m), _) => m.to_owned(),
            (None, Value::String(s)) if s.is_empty() => "(empty)".to_owned(),
            (None, Value::String(s)) => s.clone(),
            (None, other) => other.to_string(),
        };
        shorten(&text, 2000)
    }
}

/// `text` cut to at most `max` characters, with `…` when cut.
pub fn shorten(text: &str, max: usize) -> String {
    let one_line = text.replace('\n', " ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let cut: String = one_line.chars().take(max).collect();
    format!("{cut}…")
}

/// Replaces values that change from run to run and are not in [`Normalizer`]'s list: object
/// creation and update times, and the media types of a 415 message (Weaviate lists them from a
/// Go map, in no fixed order), which are sorted.
pub fn settle(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(sort_media_types(&s)),
        Value::Array(a) => Value::Array(a.into_iter().map(settle).collect()),
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| match (k.as_str(), &v) {
                    ("creationTimeUnix" | "lastUpdateTimeUnix", Value::Number(_)) => (k, Value::String("<time>".into())),
                    _ => (k, settle(v)),
                })
                .collect(),
        ),
        other => other,
    }
}

/// `... only [b a] are allowed` becomes `... only [a b] are allowed`.
fn sort_media_types(s: &str) -> String {
    const OPEN: &str = "only [";
    const CLOSE: &str = "] are allowed";
    let (Some(i), Some(j)) = (s.find(OPEN), s.find(CLOSE)) else {
        return s.to_owned();
    };
    let start = i + OPEN.len();
    if start > j {
        return s.to_owned();
    }
    let mut items: Vec<&str> = s[start..j].split(' ').collect();
    items.sort_unstable();
    format!("{}{}{}", &s[..start], items.join(" "), &s[j..])
}

/// Sends one plan's requests to one Weaviate.
pub struct Player<'a> {
    http: reqwest::Client,
    rest: String,
    grpc_addr: String,
    channel: Option<Channel>,
    secrets: &'a Secrets,
    norm: Normalizer,
    admin: Credential,
}

impl<'a> Player<'a> {
    /// A player for `w`; `norm` already knows the provider and the secrets.
    pub fn new(w: &Running, secrets: &'a Secrets, mut norm: Normalizer, admin: Credential) -> Result<Player<'a>, Error> {
        let rest = w.rest_url();
        norm.add(rest.clone(), "{weaviate}");
        norm.add(rest.trim_start_matches("http://").to_owned(), "{weaviate_host}");
        norm.add(w.grpc_addr(), "{weaviate_grpc}");
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| Error::Invalid(format!("http client: {e}")))?;
        Ok(Player {
            http,
            rest,
            grpc_addr: w.grpc_addr(),
            channel: None,
            secrets,
            norm,
            admin,
        })
    }

    /// Plays `steps`: one answer per [`Step::Send`], in order.
    pub async fn play(&mut self, steps: &[Step]) -> Result<Vec<Answer>, Error> {
        let mut answers = Vec::new();
        for s in steps {
            match s {
                Step::Send(r) => answers.push(self.send(r).await),
                Step::Restore => self.restore().await?,
            }
        }
        Ok(answers)
    }

    /// Deletes what the sweep may have created and creates the fixture again.
    pub async fn restore(&mut self) -> Result<(), Error> {
        let cleanup = [
            "/v1/schema/SweepNew",
            "/v1/schema/SweepUnknown",
            "/v1/schema/Sweep",
            "/v1/aliases/SweepAlias",
            "/v1/users/db/sweep-user",
            "/v1/authz/roles/sweep-role",
        ];
        for path in cleanup {
            // Whatever these answer (404 where the thing is absent or not emulated) is fine.
            self.admin_request("DELETE", path, None).await;
        }
        for (path, body) in [("/v1/schema", plan::fixture_class()), ("/v1/objects", plan::fixture_object())] {
            let a = self.admin_request("POST", path, Some(body)).await;
            if a.status != 200 {
                return Err(Error::Exchange(format!("the fixture's POST {path} answered {}", a.summary())));
            }
        }
        Ok(())
    }

    async fn admin_request(&mut self, method: &str, path: &str, body: Option<Value>) -> Answer {
        let r = Request {
            credential: self.admin,
            input: plan::Input::Valid,
            call: Call::Rest {
                method: method.to_owned(),
                template: path.to_owned(),
                path: path.to_owned(),
                body: body.map(|b| b.to_string()),
                content_type: Some("application/json"),
            },
        };
        self.send(&r).await
    }

    /// Sends one request and records its answer.
    pub async fn send(&mut self, r: &Request) -> Answer {
        let secret = self.secrets.get(r.credential).map(str::to_owned);
        match &r.call {
            Call::Rest {
                method,
                path,
                body,
                content_type,
                ..
            } => self.rest(method, path, body.as_deref(), *content_type, secret.as_deref()).await,
            Call::Grpc { method, collection } => self.grpc(*method, collection, secret.as_deref()).await,
        }
    }

    async fn rest(&self, method: &str, path: &str, body: Option<&str>, ct: Option<&str>, secret: Option<&str>) -> Answer {
        let m = match reqwest::Method::from_bytes(method.as_bytes()) {
            Ok(m) => m,
            Err(e) => return Answer::transport(format!("method {method}: {e}")),
        };
        let mut req = self.http.request(m, format!("{}{path}", self.rest));
        if let Some(s) = secret {
            req = req.header("Authorization", format!("Bearer {s}"));
        }
        if let Some(b) = body {
            req = req.header("Content-Type", ct.unwrap_or("application/json")).body(b.to_owned());
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return Answer::transport(self.norm.text(&format!("transport: {}", error_kind(&e)))),
        };
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        // An event stream (MCP) never ends; its headers are the answer.
        let raw = if content_type.starts_with("text/event-stream") {
            "<event stream>".to_owned()
        } else {
            match resp.text().await {
                Ok(t) => t,
                Err(e) => format!("body: {}", error_kind(&e)),
            }
        };
        Answer {
            status,
            content_type,
            body: settle(self.norm.body(&raw)),
            grpc: false,
        }
    }

    async fn grpc(&mut self, method: GrpcMethod, collection: &str, secret: Option<&str>) -> Answer {
        let channel = match &self.channel {
            Some(c) => c.clone(),
            None => match crate::grpc::connect(&self.grpc_addr, Duration::from_secs(10)).await {
                Ok(c) => {
                    self.channel = Some(c.clone());
                    c
                }
                Err(e) => return Answer::transport(self.norm.text(&e.to_string())),
            },
        };
        let metadata: Vec<(String, String)> = secret
            .map(|s| vec![("authorization".to_owned(), format!("Bearer {s}"))])
            .unwrap_or_default();
        let result = match tokio::time::timeout(REQUEST_TIMEOUT, call(channel, method, collection, &metadata)).await {
            Ok(r) => r,
            Err(_) => Err(Error::Exchange(format!("no answer within {} s", REQUEST_TIMEOUT.as_secs()))),
        };
        let (status, body) = match result {
            Ok(Ok(summary)) => (0, summary),
            Ok(Err(s)) => (code_number(s.code()), crate::grpc::status_json(&s)),
            Err(e) => return Answer::transport(self.norm.text(&e.to_string())),
        };
        let text = body.to_string();
        Answer {
            status,
            content_type: String::new(),
            body: settle(self.norm.body(&text)),
            grpc: true,
        }
    }
}

/// The kind of a transport failure, without the URL (which names a port).
fn error_kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "body could not be read"
    } else {
        "request failed"
    }
}

/// One gRPC call: the step client's for the methods it knows, the generated client with an
/// empty message for `BatchDelete`, `BatchReferences` and `BatchStream` (the emulation's protos
/// declare them with an empty message).
async fn call(
    channel: Channel,
    method: GrpcMethod,
    collection: &str,
    metadata: &[(String, String)],
) -> Result<Result<Value, tonic::Status>, Error> {
    let known = |m: Method| {
        let request = crate::grpc::Request {
            collection: Some(collection.to_owned()),
            limit: Some(10),
            objects: match m {
                Method::BatchObjects => vec![crate::grpc::Object {
                    collection: Some(collection.to_owned()),
                    id: Some("00000000-0000-4000-8000-000000000004".into()),
                    properties: json!({ "title": "grpc" }).as_object().cloned().unwrap_or_default(),
                }],
                _ => Vec::new(),
            },
            service: None,
        };
        (m, request)
    };
    let mut client = WeaviateClient::new(channel.clone());
    match method {
        GrpcMethod::Search => {
            let (m, r) = known(Method::Search);
            crate::grpc::call(channel, m, &r, metadata).await
        }
        GrpcMethod::BatchObjects => {
            let (m, r) = known(Method::BatchObjects);
            crate::grpc::call(channel, m, &r, metadata).await
        }
        GrpcMethod::Aggregate => {
            let (m, r) = known(Method::Aggregate);
            crate::grpc::call(channel, m, &r, metadata).await
        }
        GrpcMethod::TenantsGet => {
            let (m, r) = known(Method::TenantsGet);
            crate::grpc::call(channel, m, &r, metadata).await
        }
        GrpcMethod::HealthCheck => crate::grpc::call(channel, Method::HealthCheck, &Default::default(), metadata).await,
        GrpcMethod::HealthWatch => crate::grpc::call(channel, Method::HealthWatch, &Default::default(), metadata).await,
        GrpcMethod::BatchDelete => Ok(client.batch_delete(with_metadata(pb::Empty {}, metadata)?).await.map(|_| json!({}))),
        GrpcMethod::BatchReferences => Ok(client
            .batch_references(with_metadata(pb::Empty {}, metadata)?)
            .await
            .map(|_| json!({}))),
        GrpcMethod::BatchStream => {
            // An empty message (no start, data or stop), as the sweep has sent since before the emulation knew the stream.
            let messages = futures::stream::iter(vec![pb::BatchStreamRequest::default()]);
            match client.batch_stream(with_metadata(messages, metadata)?).await {
                Err(s) => Ok(Err(s)),
                Ok(stream) => {
                    let mut stream = stream.into_inner();
                    Ok(match tokio::time::timeout(STREAM_WAIT, stream.message()).await {
                        Ok(Ok(Some(_))) => Ok(json!({ "stream": "a first reply" })),
                        Ok(Ok(None)) => Ok(json!({ "stream": "ended without a reply" })),
                        Ok(Err(s)) => Err(s),
                        Err(_) => Ok(json!({ "stream": format!("open, no reply within {} s", STREAM_WAIT.as_secs()) })),
                    })
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_take_weaviates_message_shapes_and_grpc_code_names() {
        let a = |status, body: Value, grpc| Answer {
            status,
            content_type: String::new(),
            body,
            grpc,
        };
        assert_eq!(
            a(403, json!({"error": [{"message": "forbidden"}]}), false).summary(),
            "403 forbidden"
        );
        assert_eq!(a(401, json!({"code": 401, "message": "no"}), false).summary(), "401 no");
        assert_eq!(a(404, Value::String(String::new()), false).summary(), "404 (empty)");
        assert_eq!(
            a(2, json!({"code": "UNKNOWN", "message": "extract auth"}), true).summary(),
            "UNKNOWN extract auth"
        );
        assert_eq!(a(0, json!({"status": "SERVING"}), true).summary(), r#"OK {"status":"SERVING"}"#);
        assert_eq!(shorten("abcdef", 3), "abc…");
    }

    #[test]
    fn object_times_and_media_type_order_are_settled_and_other_values_kept() {
        let v = settle(json!({"objects": [{"creationTimeUnix": 1765000000000u64, "n": 3}]}));
        assert_eq!(v, json!({"objects": [{"creationTimeUnix": "<time>", "n": 3}]}));
        let m = settle(json!({"message": "unsupported media type \"text/plain\", only [application/yaml application/json] are allowed"}));
        assert_eq!(
            m["message"],
            "unsupported media type \"text/plain\", only [application/json application/yaml] are allowed"
        );
    }

    #[test]
    fn secrets_never_show_in_debug_and_are_redacted_by_kind() {
        let mut s = Secrets::default();
        s.insert(Credential::AdminOidc, "eyJ.secret.token".into());
        assert!(!format!("{s:?}").contains("secret"));
        let mut n = Normalizer::default();
        s.redact_in(&mut n);
        assert_eq!(n.text("bad eyJ.secret.token"), "bad <admin-oidc>");
    }
}
