//! What the sweep sends, in a fixed order: for each auth configuration and each operation of the
//! published API, the requests under every kind of credential and of bad input. The axes live in
//! [`crate::sweep::matrix`], the parameters and bodies in [`crate::sweep::bodies`]; the names
//! callers use are re-exported here.
//!
//! Order is part of the design. Within one operation the bad inputs come first, then the valid
//! request under every credential, the admin ones last: a denial is judged against the fixture
//! as it was set up, and only the admin may change it. After any operation that can change state
//! the fixture is put back (see [`crate::sweep::send`]), so a later operation never depends on
//! what an earlier one left behind, nor on how long the server took to do it. No request starts
//! anything asynchronous that a later one could observe: backups, exports and classifications are
//! asked of a backend that is not enabled or with a body that is refused before any work starts.

use serde_json::Value;

use super::bodies::{body_for, mentions_class, param_value, query_value, truncated, unknown_class, CLASS, UNKNOWN_CLASS};
pub use super::bodies::{fixture_class, fixture_object, OBJECT_ID};
pub use super::matrix::{configs, AuthConfig, Credential, Input};
use super::source::Operation;

/// A gRPC method of those the official clients call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GrpcMethod {
    /// `weaviate.v1.Weaviate/Search`.
    Search,
    /// `weaviate.v1.Weaviate/BatchObjects`.
    BatchObjects,
    /// `weaviate.v1.Weaviate/BatchDelete`.
    BatchDelete,
    /// `weaviate.v1.Weaviate/BatchReferences`.
    BatchReferences,
    /// `weaviate.v1.Weaviate/Aggregate`.
    Aggregate,
    /// `weaviate.v1.Weaviate/TenantsGet`.
    TenantsGet,
    /// `weaviate.v1.Weaviate/BatchStream` (bidirectional; the first reply or the status).
    BatchStream,
    /// `grpc.health.v1.Health/Check`.
    HealthCheck,
    /// `grpc.health.v1.Health/Watch` (its first message).
    HealthWatch,
}

impl GrpcMethod {
    /// Every method, in the order the sweep calls them.
    pub const ALL: [GrpcMethod; 9] = [
        GrpcMethod::Search,
        GrpcMethod::BatchObjects,
        GrpcMethod::BatchDelete,
        GrpcMethod::BatchReferences,
        GrpcMethod::Aggregate,
        GrpcMethod::TenantsGet,
        GrpcMethod::BatchStream,
        GrpcMethod::HealthCheck,
        GrpcMethod::HealthWatch,
    ];

    /// The full method name: `weaviate.v1.Weaviate/Search`.
    pub fn path(self) -> &'static str {
        match self {
            GrpcMethod::Search => "weaviate.v1.Weaviate/Search",
            GrpcMethod::BatchObjects => "weaviate.v1.Weaviate/BatchObjects",
            GrpcMethod::BatchDelete => "weaviate.v1.Weaviate/BatchDelete",
            GrpcMethod::BatchReferences => "weaviate.v1.Weaviate/BatchReferences",
            GrpcMethod::Aggregate => "weaviate.v1.Weaviate/Aggregate",
            GrpcMethod::TenantsGet => "weaviate.v1.Weaviate/TenantsGet",
            GrpcMethod::BatchStream => "weaviate.v1.Weaviate/BatchStream",
            GrpcMethod::HealthCheck => "grpc.health.v1.Health/Check",
            GrpcMethod::HealthWatch => "grpc.health.v1.Health/Watch",
        }
    }

    /// The method name within its service (`Search`, `Check`).
    pub fn name(self) -> &'static str {
        self.path().rsplit('/').next().unwrap_or_default()
    }

    /// Whether the request names a collection (and so has an `unknown-class` variant).
    pub fn names_collection(self) -> bool {
        matches!(
            self,
            GrpcMethod::Search | GrpcMethod::BatchObjects | GrpcMethod::Aggregate | GrpcMethod::TenantsGet
        )
    }

    /// Whether an admin's call may change what the server holds.
    pub fn writes(self) -> bool {
        matches!(
            self,
            GrpcMethod::BatchObjects | GrpcMethod::BatchDelete | GrpcMethod::BatchReferences | GrpcMethod::BatchStream
        )
    }
}

/// What one request does on the wire.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    /// A REST request.
    Rest {
        /// `GET`, ...
        method: String,
        /// The operation's path template, `/v1/schema/{className}`.
        template: String,
        /// The path sent, with its query: `/v1/schema/Sweep`.
        path: String,
        /// The body bytes, if any.
        body: Option<String>,
        /// The `Content-Type` sent with the body.
        content_type: Option<&'static str>,
    },
    /// A gRPC call.
    Grpc {
        /// The method.
        method: GrpcMethod,
        /// The collection the request names (empty when none).
        collection: String,
    },
}

impl Call {
    /// `GET` or `grpc`: what a known difference's `method` matches.
    pub fn method(&self) -> &str {
        match self {
            Call::Rest { method, .. } => method,
            Call::Grpc { .. } => "grpc",
        }
    }

    /// The REST path template or the gRPC method's full name: what `path` matches.
    pub fn template(&self) -> &str {
        match self {
            Call::Rest { template, .. } => template,
            Call::Grpc { method, .. } => method.path(),
        }
    }

    /// `GET /v1/schema/{className}` or `grpc weaviate.v1.Weaviate/Search`.
    pub fn label(&self) -> String {
        format!("{} {}", self.method(), self.template())
    }
}

/// One request of the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The credential sent.
    pub credential: Credential,
    /// What is wrong with it, if anything.
    pub input: Input,
    /// The call.
    pub call: Call,
}

/// A step of the plan: a request, or putting the fixture back.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Send, record, compare.
    Send(Request),
    /// Put the fixture back (the admin's requests; answers not compared).
    Restore,
}

/// Which operations and methods a run covers.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only REST operations whose `METHOD /path` label contains one of these (all when empty).
    pub only: Vec<String>,
    /// Leave the gRPC methods out.
    pub no_grpc: bool,
    /// Only these credentials (all when empty).
    pub credentials: Vec<Credential>,
}

impl Selection {
    fn keeps(&self, label: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| label.contains(o.as_str()))
    }

    fn credentials(&self) -> Vec<Credential> {
        if self.credentials.is_empty() {
            Credential::ALL.to_vec()
        } else {
            Credential::ALL.into_iter().filter(|c| self.credentials.contains(c)).collect()
        }
    }

    /// True when nothing is left out.
    pub fn is_everything(&self) -> bool {
        self.only.is_empty() && !self.no_grpc && self.credentials.is_empty()
    }
}

/// The plan for one configuration: the fixture first, then every operation and method.
pub fn plan(config: &AuthConfig, operations: &[Operation], selection: &Selection) -> Vec<Step> {
    let creds = selection.credentials();
    let bad_creds: Vec<Credential> = [Credential::None, config.admin].into_iter().filter(|c| creds.contains(c)).collect();
    let mut steps = vec![Step::Restore];
    for op in operations.iter().filter(|op| selection.keeps(&op.label())) {
        let mut group = Vec::new();
        let body = op.takes_body.then(|| body_for(&op.method, &op.path));
        if let Some(b) = &body {
            for &credential in &bad_creds {
                group.push(rest(
                    op,
                    credential,
                    Input::WrongContentType,
                    false,
                    Some(b.to_string()),
                    "text/plain",
                ));
                group.push(rest(
                    op,
                    credential,
                    Input::InvalidJson,
                    false,
                    Some(truncated(b)),
                    "application/json",
                ));
            }
        }
        let names_class = op.path_params.iter().any(|p| p == "className" || p == "collection")
            || body.as_ref().is_some_and(|b| mentions_class(&b.to_string()));
        if names_class {
            for &credential in &bad_creds {
                let b = body.as_ref().map(|b| unknown_class(&b.to_string()));
                group.push(rest(op, credential, Input::UnknownClass, true, b, "application/json"));
            }
        }
        for &credential in &creds {
            group.push(rest(
                op,
                credential,
                Input::Valid,
                false,
                body.as_ref().map(Value::to_string),
                "application/json",
            ));
        }
        steps.extend(group.into_iter().map(Step::Send));
        if !matches!(op.method.as_str(), "GET" | "HEAD") {
            steps.push(Step::Restore);
        }
    }
    if !selection.no_grpc {
        for m in GrpcMethod::ALL {
            if m.names_collection() {
                for &credential in &bad_creds {
                    steps.push(grpc(m, credential, Input::UnknownClass, UNKNOWN_CLASS));
                }
            }
            for &credential in &creds {
                steps.push(grpc(m, credential, Input::Valid, if m.names_collection() { CLASS } else { "" }));
            }
            if m.writes() {
                steps.push(Step::Restore);
            }
        }
    }
    steps
}

fn grpc(method: GrpcMethod, credential: Credential, input: Input, collection: &str) -> Step {
    Step::Send(Request {
        credential,
        input,
        call: Call::Grpc {
            method,
            collection: collection.to_owned(),
        },
    })
}

fn rest(op: &Operation, credential: Credential, input: Input, unknown: bool, body: Option<String>, ct: &'static str) -> Request {
    let mut path = op.path.clone();
    for name in &op.path_params {
        path = path.replace(&format!("{{{name}}}"), &param_value(&op.path, name, unknown));
    }
    let query: Vec<String> = op
        .required_query
        .iter()
        .map(|q| format!("{q}={}", query_value(q, unknown)))
        .collect();
    if !query.is_empty() {
        path = format!("{path}?{}", query.join("&"));
    }
    Request {
        credential,
        input,
        call: Call::Rest {
            method: op.method.clone(),
            template: op.path.clone(),
            path,
            content_type: body.as_ref().map(|_| ct),
            body,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(method: &str, path: &str, params: &[&str], body: bool) -> Operation {
        Operation {
            method: method.into(),
            path: path.into(),
            path_params: params.iter().map(|p| p.to_string()).collect(),
            required_query: Vec::new(),
            takes_body: body,
        }
    }

    #[test]
    fn a_write_gets_bad_inputs_first_then_every_credential_admins_last_then_a_restore() {
        let cfg = &configs()[2];
        let steps = plan(
            cfg,
            &[op("PUT", "/v1/schema/{className}", &["className"], true)],
            &Selection {
                no_grpc: true,
                ..Default::default()
            },
        );
        assert_eq!(steps.first(), Some(&Step::Restore));
        assert_eq!(steps.last(), Some(&Step::Restore));
        let sends: Vec<&Request> = steps
            .iter()
            .filter_map(|s| match s {
                Step::Send(r) => Some(r),
                Step::Restore => None,
            })
            .collect();
        // 2 credentials x (wrong content type, invalid JSON, unknown class) + 9 valid.
        assert_eq!(sends.len(), 6 + 9);
        assert_eq!(sends[0].input, Input::WrongContentType);
        let unknown = sends
            .iter()
            .find(|r| r.input == Input::UnknownClass)
            .expect("an unknown-class request");
        match &unknown.call {
            Call::Rest { path, body, .. } => {
                assert_eq!(path, "/v1/schema/SweepUnknown");
                assert_eq!(body.as_deref(), Some(r#"{"class":"SweepUnknown","description":"changed"}"#));
            }
            other => panic!("a REST call, not {other:?}"),
        }
        assert_eq!(sends.last().map(|r| r.credential), Some(Credential::AdminKey));
        let invalid = sends.iter().find(|r| r.input == Input::InvalidJson).expect("invalid JSON");
        if let Call::Rest { body: Some(b), .. } = &invalid.call {
            assert!(serde_json::from_str::<Value>(b).is_err(), "{b}");
        }
    }

    #[test]
    fn reads_get_no_restore_and_grpc_writes_do() {
        let cfg = &configs()[0];
        let steps = plan(cfg, &[op("GET", "/v1/meta", &[], false)], &Selection::default());
        let restores = steps.iter().filter(|s| **s == Step::Restore).count();
        // The initial one, and one after each of the four writing gRPC methods.
        assert_eq!(restores, 1 + 4);
        let sends = steps.len() - restores;
        // meta: 9; gRPC: 9 methods x 9 credentials + 4 collection methods x 2 unknown-class.
        assert_eq!(sends, 9 + 81 + 8);
    }
}
