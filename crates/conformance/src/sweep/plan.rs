//! What the sweep sends, in a fixed order: the auth configurations, the kinds of credential and
//! of bad input, and for each operation of the published API the requests with plausible path
//! parameters and bodies.
//!
//! Order is part of the design. Within one operation the bad inputs come first, then the valid
//! request under every credential, the admin ones last: a denial is judged against the fixture
//! as it was set up, and only the admin may change it. After any operation that can change state
//! the fixture is put back (see [`crate::sweep::send`]), so a later operation never depends on
//! what an earlier one left behind, nor on how long the server took to do it. No request starts
//! anything asynchronous that a later one could observe: backups, exports and classifications are
//! asked of a backend that is not enabled or with a body that is refused before any work starts.

use serde_json::{json, Value};

use super::source::Operation;

/// The collection every target gets before each operation (with one object).
pub const CLASS: &str = "Sweep";
/// The collection the `unknown-class` input names instead.
pub const UNKNOWN_CLASS: &str = "SweepUnknown";
/// The fixture object's id.
pub const OBJECT_ID: &str = "00000000-0000-4000-8000-000000000001";

/// A kind of credential; the name is how reports and the known-differences file spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Credential {
    /// No `Authorization` header.
    None,
    /// A key no configuration lists.
    WrongKey,
    /// Three dot-separated parts that are not a JWT: the payload is not JSON.
    MalformedToken,
    /// The admin's token, expired a second after it was minted.
    ExpiredOidc,
    /// A valid token of `outsider`, who is on no list and has no group.
    OutsiderOidc,
    /// `viewer-key` (user `viewer-user`), read-only where the configuration has read-only users.
    ReadOnlyKey,
    /// A valid token of `viewer` (group `viewers`).
    ReadOnlyOidc,
    /// A valid token of `admin` (group `admins`).
    AdminOidc,
    /// `admin-key` (user `admin-user`).
    AdminKey,
}

impl Credential {
    /// Every kind, in the order the sweep sends them (the admin ones last).
    pub const ALL: [Credential; 9] = [
        Credential::None,
        Credential::WrongKey,
        Credential::MalformedToken,
        Credential::ExpiredOidc,
        Credential::OutsiderOidc,
        Credential::ReadOnlyKey,
        Credential::ReadOnlyOidc,
        Credential::AdminOidc,
        Credential::AdminKey,
    ];

    /// `admin-key`, `expired-oidc`, ...
    pub fn name(self) -> &'static str {
        match self {
            Credential::None => "none",
            Credential::WrongKey => "wrong-key",
            Credential::MalformedToken => "malformed-token",
            Credential::ExpiredOidc => "expired-oidc",
            Credential::OutsiderOidc => "outsider-oidc",
            Credential::ReadOnlyKey => "read-only-key",
            Credential::ReadOnlyOidc => "read-only-oidc",
            Credential::AdminOidc => "admin-oidc",
            Credential::AdminKey => "admin-key",
        }
    }

    /// The kind called `name`.
    pub fn parse(name: &str) -> Option<Credential> {
        Credential::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// What is wrong with a request, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Input {
    /// A plausible request.
    Valid,
    /// The body sent as `text/plain`.
    WrongContentType,
    /// A JSON body cut in the middle.
    InvalidJson,
    /// The collection in the path or body replaced by one that does not exist.
    UnknownClass,
}

impl Input {
    /// Every kind.
    pub const ALL: [Input; 4] = [Input::Valid, Input::WrongContentType, Input::InvalidJson, Input::UnknownClass];

    /// `valid`, `wrong-content-type`, `invalid-json`, `unknown-class`.
    pub fn name(self) -> &'static str {
        match self {
            Input::Valid => "valid",
            Input::WrongContentType => "wrong-content-type",
            Input::InvalidJson => "invalid-json",
            Input::UnknownClass => "unknown-class",
        }
    }

    /// The kind called `name`.
    pub fn parse(name: &str) -> Option<Input> {
        Input::ALL.into_iter().find(|i| i.name() == name)
    }
}

/// One auth configuration: Weaviate's variables, `{issuer}` and `{ca}` filled in at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// `admin-list`, `oidc-https`, ...
    pub name: &'static str,
    /// One line for the report.
    pub about: &'static str,
    /// The variables.
    pub env: Vec<(&'static str, &'static str)>,
    /// The provider serves HTTPS with a generated CA, given to Weaviate as
    /// `AUTHENTICATION_OIDC_CERTIFICATE` (inline PEM).
    pub https: bool,
    /// The credential that sets the fixture up and sends the bad inputs.
    pub admin: Credential,
}

const KEYS: [(&str, &str); 3] = [
    ("AUTHENTICATION_APIKEY_ENABLED", "true"),
    ("AUTHENTICATION_APIKEY_ALLOWED_KEYS", "admin-key,viewer-key"),
    ("AUTHENTICATION_APIKEY_USERS", "admin-user,viewer-user"),
];

const OIDC: [(&str, &str); 5] = [
    ("AUTHENTICATION_OIDC_ENABLED", "true"),
    ("AUTHENTICATION_OIDC_ISSUER", "{issuer}"),
    ("AUTHENTICATION_OIDC_CLIENT_ID", "weaviate"),
    ("AUTHENTICATION_OIDC_USERNAME_CLAIM", "preferred_username"),
    ("AUTHENTICATION_OIDC_GROUPS_CLAIM", "groups"),
];

const ADMIN_LIST_USERS: [(&str, &str); 3] = [
    ("AUTHORIZATION_ADMINLIST_ENABLED", "true"),
    ("AUTHORIZATION_ADMINLIST_USERS", "admin-user,admin"),
    ("AUTHORIZATION_ADMINLIST_READONLY_USERS", "viewer-user,viewer"),
];

fn env(parts: &[&[(&'static str, &'static str)]]) -> Vec<(&'static str, &'static str)> {
    parts.iter().flat_map(|p| p.iter().copied()).collect()
}

/// Every configuration, in the order the sweep plays them.
pub fn configs() -> Vec<AuthConfig> {
    vec![
        AuthConfig {
            name: "anonymous-on",
            about: "anonymous access on, API keys and OIDC, no authorization",
            env: env(&[&[("AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED", "true")], &KEYS, &OIDC]),
            https: false,
            admin: Credential::AdminKey,
        },
        AuthConfig {
            name: "anonymous-off",
            about: "anonymous access off, API keys and OIDC, no authorization",
            env: env(&[&KEYS, &OIDC]),
            https: false,
            admin: Credential::AdminKey,
        },
        AuthConfig {
            name: "admin-list",
            about: "API keys and OIDC; admin list: admin-user and admin, read-only viewer-user and viewer",
            env: env(&[&KEYS, &OIDC, &ADMIN_LIST_USERS]),
            https: false,
            admin: Credential::AdminKey,
        },
        AuthConfig {
            name: "rbac",
            about: "API keys, database users and OIDC; RBAC: root admin-user and admin, read-only viewer-user and viewer",
            env: env(&[
                &KEYS,
                &OIDC,
                &[
                    ("AUTHENTICATION_DB_USERS_ENABLED", "true"),
                    ("AUTHORIZATION_RBAC_ENABLED", "true"),
                    ("AUTHORIZATION_RBAC_ROOT_USERS", "admin-user,admin"),
                    ("EXPERIMENTAL_AUTHORIZATION_RBAC_READONLY_USERS", "viewer-user,viewer"),
                ],
            ]),
            https: false,
            admin: Credential::AdminKey,
        },
        AuthConfig {
            name: "oidc-only",
            about: "OIDC only; admin list by group: admins, read-only viewers",
            env: env(&[
                &OIDC,
                &[
                    ("AUTHORIZATION_ADMINLIST_ENABLED", "true"),
                    ("AUTHORIZATION_ADMINLIST_GROUPS", "admins"),
                    ("AUTHORIZATION_ADMINLIST_READONLY_GROUPS", "viewers"),
                ],
            ]),
            https: false,
            admin: Credential::AdminOidc,
        },
        AuthConfig {
            name: "keys-only",
            about: "API keys only; admin list: admin-user, read-only viewer-user",
            env: env(&[&KEYS, &ADMIN_LIST_USERS]),
            https: false,
            admin: Credential::AdminKey,
        },
        AuthConfig {
            name: "oidc-https",
            about: "API keys and OIDC from an HTTPS provider trusted through AUTHENTICATION_OIDC_CERTIFICATE; admin list",
            env: env(&[&KEYS, &OIDC, &[("AUTHENTICATION_OIDC_CERTIFICATE", "{ca}")], &ADMIN_LIST_USERS]),
            https: true,
            admin: Credential::AdminKey,
        },
    ]
}

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

/// A plausible value for a path parameter: the fixture's collection and object, names the
/// sweep creates and deletes, or the built-in ones.
pub fn param_value(template: &str, name: &str, unknown_class: bool) -> String {
    let class = if unknown_class { UNKNOWN_CLASS } else { CLASS };
    let v = match name {
        "className" | "collection" => class,
        "id" if template.starts_with("/v1/objects") => OBJECT_ID,
        "id" if template.starts_with("/v1/authz/roles") => "sweep-role",
        "id" if template.starts_with("/v1/authz/users") => "viewer-user",
        "id" if template.starts_with("/v1/authz/groups") => "viewers",
        "id" if template.starts_with("/v1/backups") => "sweep-backup",
        "id" if template.starts_with("/v1/export") => "sweep-export",
        "id" => "00000000-0000-4000-8000-0000000000aa",
        "user_id" => "sweep-user",
        "propertyName" => "title",
        "indexName" => "filterable",
        "vectorIndexName" => "default",
        "shardName" => "sweep-shard",
        "tenantName" => "sweep-tenant",
        "userType" => "db",
        "groupType" => "oidc",
        "aliasName" => "SweepAlias",
        "namespace_id" => "sweepnamespace",
        "backend" => "filesystem",
        _ => "sweep",
    };
    v.to_owned()
}

fn query_value(name: &str, unknown_class: bool) -> &'static str {
    match name {
        "collection" | "className" | "class" if unknown_class => UNKNOWN_CLASS,
        "collection" | "className" | "class" => CLASS,
        "replicationFactor" => "1",
        _ => "sweep",
    }
}

/// A plausible body for an operation that takes one: what a client would send (ids fixed, so
/// that answers do not carry generated ones); `{}` for those the sweep does not know.
pub fn body_for(method: &str, template: &str) -> Value {
    let beacon = format!("weaviate://localhost/{CLASS}/{OBJECT_ID}");
    let role_permission = json!({ "action": "read_collections", "collections": { "collection": CLASS } });
    match (method, template.strip_prefix("/v1").unwrap_or(template)) {
        ("POST", "/replication/replicate") => {
            json!({ "collection": CLASS, "shard": "sweep-shard", "sourceNode": "node1", "targetNode": "node2" })
        }
        ("POST", "/replication/replicate/force-delete") => json!({ "collection": CLASS, "dryRun": true }),
        ("POST", "/replication/scale") => json!({ "collection": CLASS, "replicationFactor": 1 }),
        ("POST", "/users/db/{user_id}/deactivate") => json!({ "revoke_key": false }),
        ("POST", "/authz/roles") => json!({ "name": "sweep-role", "permissions": [role_permission] }),
        ("POST", "/authz/roles/{id}/add-permissions" | "/authz/roles/{id}/remove-permissions") => {
            json!({ "permissions": [role_permission] })
        }
        ("POST", "/authz/roles/{id}/has-permission") => role_permission,
        ("POST", "/authz/users/{id}/assign" | "/authz/users/{id}/revoke") => json!({ "roles": ["viewer"], "userType": "db" }),
        ("POST", "/authz/groups/{id}/assign" | "/authz/groups/{id}/revoke") => {
            json!({ "roles": ["viewer"], "groupType": "oidc" })
        }
        ("POST", "/objects") => {
            json!({ "class": CLASS, "id": "00000000-0000-4000-8000-000000000002", "properties": { "title": "created" } })
        }
        ("PUT" | "PATCH", "/objects/{id}" | "/objects/{className}/{id}") => {
            json!({ "class": CLASS, "id": OBJECT_ID, "properties": { "title": "changed" } })
        }
        ("POST", "/objects/validate") => json!({ "class": CLASS, "properties": { "title": "valid" } }),
        ("POST" | "DELETE", "/objects/{id}/references/{propertyName}" | "/objects/{className}/{id}/references/{propertyName}") => {
            json!({ "beacon": beacon })
        }
        ("PUT", "/objects/{id}/references/{propertyName}" | "/objects/{className}/{id}/references/{propertyName}") => {
            json!([{ "beacon": beacon }])
        }
        ("POST", "/batch/objects") => json!({
            "objects": [{ "class": CLASS, "id": "00000000-0000-4000-8000-000000000003", "properties": { "title": "batch" } }]
        }),
        ("DELETE", "/batch/objects") => json!({
            "match": { "class": CLASS, "where": { "path": ["title"], "operator": "Equal", "valueText": "nothing matches" } },
            "dryRun": true
        }),
        ("POST", "/batch/references") => json!([{ "from": format!("{beacon}/title"), "to": beacon }]),
        ("POST", "/graphql") => json!({ "query": format!("{{ Get {{ {CLASS} {{ title }} }} }}") }),
        ("POST", "/graphql/batch") => json!([{ "query": format!("{{ Get {{ {CLASS} {{ title }} }} }}") }]),
        ("POST", "/tokenize") => json!({ "text": "Hello World", "tokenization": "word" }),
        ("POST", "/schema") => json!({ "class": "SweepNew", "properties": [{ "name": "title", "dataType": ["text"] }] }),
        ("PUT", "/schema/{className}") => json!({ "class": CLASS, "description": "changed" }),
        ("POST", "/schema/{className}/properties") => json!({ "name": "extra", "dataType": ["text"] }),
        ("POST", "/schema/{className}/properties/{propertyName}/tokenize") => json!({ "text": "Hello World" }),
        ("PUT", "/schema/{className}/shards/{shardName}") => json!({ "status": "READY" }),
        ("POST" | "PUT", "/schema/{className}/tenants") => json!([{ "name": "sweep-tenant" }]),
        ("DELETE", "/schema/{className}/tenants") => json!(["sweep-tenant"]),
        ("POST", "/aliases") => json!({ "alias": "SweepAlias", "class": CLASS }),
        ("PUT", "/aliases/{aliasName}") => json!({ "class": CLASS }),
        ("POST", "/backups/{backend}") => json!({ "id": "sweep-backup" }),
        ("POST", "/export/{backend}") => json!({ "id": "sweep-export" }),
        // Refused before any work starts: no property to classify.
        ("POST", "/classifications/") => json!({ "class": CLASS }),
        ("POST", "/search/{collection}/bm25" | "/search/{collection}/hybrid") => json!({ "query": "hello" }),
        ("POST", "/search/{collection}/near-object") => json!({ "id": OBJECT_ID }),
        ("POST", "/search/{collection}/near-text") => json!({ "concepts": ["hello"] }),
        _ => json!({}),
    }
}

/// The class and the object the fixture puts on every target.
pub fn fixture_class() -> Value {
    json!({ "class": CLASS, "properties": [{ "name": "title", "dataType": ["text"] }] })
}

/// The fixture's object.
pub fn fixture_object() -> Value {
    json!({ "class": CLASS, "id": OBJECT_ID, "properties": { "title": "fixture" } })
}

/// A JSON text cut before its end (at least one byte short, so never valid).
fn truncated(body: &Value) -> String {
    let text = body.to_string();
    let cut = (text.len() / 2).max(1);
    text[..cut].to_owned()
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Byte offsets where the word `Sweep` stands alone (not `SweepNew`).
fn class_words(text: &str) -> Vec<usize> {
    text.match_indices(CLASS)
        .map(|(i, _)| i)
        .filter(|&i| {
            let before = text[..i].chars().next_back().is_none_or(|c| !is_name_char(c));
            let after = text[i + CLASS.len()..].chars().next().is_none_or(|c| !is_name_char(c));
            before && after
        })
        .collect()
}

fn mentions_class(text: &str) -> bool {
    !class_words(text).is_empty()
}

/// `text` with every standalone `Sweep` replaced by the unknown class.
pub fn unknown_class(text: &str) -> String {
    let mut out = text.to_owned();
    for i in class_words(text).into_iter().rev() {
        out.replace_range(i..i + CLASS.len(), UNKNOWN_CLASS);
    }
    out
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
    fn names_are_unique_and_parse_back() {
        for c in Credential::ALL {
            assert_eq!(Credential::parse(c.name()), Some(c));
        }
        for i in Input::ALL {
            assert_eq!(Input::parse(i.name()), Some(i));
        }
        let names: std::collections::BTreeSet<&str> = configs().iter().map(|c| c.name).collect();
        assert_eq!(names.len(), configs().len());
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

    #[test]
    fn only_a_standalone_class_name_is_replaced() {
        assert_eq!(
            unknown_class(r#"{"class":"Sweep","b":"weaviate://localhost/Sweep/1","n":"SweepNew"}"#),
            r#"{"class":"SweepUnknown","b":"weaviate://localhost/SweepUnknown/1","n":"SweepNew"}"#
        );
        assert!(!mentions_class(r#"{"class":"SweepNew"}"#));
    }
}
