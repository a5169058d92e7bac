//! The `/v1` route table (matched before any credential check, as go-swagger does) and thin
//! handlers: meta, well-known, schema, objects, GraphQL, own-info, DB users and `/v1/authz`.
//! Each handler reads its inputs from `Ctx`, authorizes through `state.authorizer`, calls
//! `store.rs`, `db_users.rs` or `authorization::rbac`, and returns `Result<Response, Error>`.

use axum::body::Bytes;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::authentication::anonymous;
use crate::authorization::{Authorizer, Resource, Verb};
use crate::db_users::{format_time, validate_user_id, StateError, ZERO_TIME};
use crate::error::Error;
use crate::principal::{Principal, UserKind};
use crate::server::AppState;
use crate::store::StoreError;

/// The largest gRPC message Weaviate announces by default (from `/v1/meta` of v1.38.11).
pub const GRPC_MAX_MESSAGE_SIZE: u64 = 104_858_000;

/// One operation of the route table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Op {
    Links,
    Meta,
    OpenidConfiguration,
    Live,
    Ready,
    SchemaList,
    SchemaCreate,
    ClassGet,
    ClassUpdate,
    ClassDelete,
    PropertyAdd,
    ObjectsList,
    ObjectCreate,
    ObjectGet,
    ObjectHead,
    ObjectReplace,
    ObjectMerge,
    ObjectDelete,
    ObjectGetById,
    ObjectDeleteById,
    Graphql,
    Nodes,
    ClusterStatistics,
    OwnInfo,
    DbUsersList,
    DbUserGet,
    DbUserCreate,
    DbUserDelete,
    DbUserRotate,
    DbUserActivate,
    DbUserDeactivate,
    RolesList,
    RoleCreate,
    RoleGet,
    RoleDelete,
    UserAssign,
    UserRevoke,
    UserRoles,
    UserRolesDeprecated,
    GroupAssign,
    GroupRevoke,
    GroupRoles,
}

/// A path pattern (`{}` is a parameter) and its methods. The order of the methods is the order of the
/// `Allow` header; v1.38.11 lists them in a random order that changes between requests (a Go map).
struct Route {
    pattern: &'static str,
    methods: &'static [(&'static str, Op)],
}

const ROUTES: &[Route] = &[
    Route {
        pattern: "/v1",
        methods: &[("GET", Op::Links)],
    },
    Route {
        pattern: "/v1/meta",
        methods: &[("GET", Op::Meta)],
    },
    Route {
        pattern: "/v1/.well-known/openid-configuration",
        methods: &[("GET", Op::OpenidConfiguration)],
    },
    Route {
        pattern: "/v1/.well-known/live",
        methods: &[("GET", Op::Live)],
    },
    Route {
        pattern: "/v1/.well-known/ready",
        methods: &[("GET", Op::Ready)],
    },
    Route {
        pattern: "/v1/schema",
        methods: &[("GET", Op::SchemaList), ("POST", Op::SchemaCreate)],
    },
    Route {
        pattern: "/v1/schema/{}",
        methods: &[("DELETE", Op::ClassDelete), ("GET", Op::ClassGet), ("PUT", Op::ClassUpdate)],
    },
    Route {
        pattern: "/v1/schema/{}/properties",
        methods: &[("POST", Op::PropertyAdd)],
    },
    Route {
        pattern: "/v1/objects",
        methods: &[("GET", Op::ObjectsList), ("POST", Op::ObjectCreate)],
    },
    Route {
        pattern: "/v1/objects/{}/{}",
        methods: &[
            ("DELETE", Op::ObjectDelete),
            ("GET", Op::ObjectGet),
            ("HEAD", Op::ObjectHead),
            ("PATCH", Op::ObjectMerge),
            ("PUT", Op::ObjectReplace),
        ],
    },
    Route {
        pattern: "/v1/objects/{}",
        methods: &[("DELETE", Op::ObjectDeleteById), ("GET", Op::ObjectGetById)],
    },
    Route {
        pattern: "/v1/graphql",
        methods: &[("POST", Op::Graphql)],
    },
    Route {
        pattern: "/v1/nodes",
        methods: &[("GET", Op::Nodes)],
    },
    Route {
        pattern: "/v1/cluster/statistics",
        methods: &[("GET", Op::ClusterStatistics)],
    },
    Route {
        pattern: "/v1/users/own-info",
        methods: &[("GET", Op::OwnInfo)],
    },
    Route {
        pattern: "/v1/users/db",
        methods: &[("GET", Op::DbUsersList)],
    },
    Route {
        pattern: "/v1/users/db/{}",
        methods: &[("DELETE", Op::DbUserDelete), ("GET", Op::DbUserGet), ("POST", Op::DbUserCreate)],
    },
    Route {
        pattern: "/v1/users/db/{}/rotate-key",
        methods: &[("POST", Op::DbUserRotate)],
    },
    Route {
        pattern: "/v1/users/db/{}/activate",
        methods: &[("POST", Op::DbUserActivate)],
    },
    Route {
        pattern: "/v1/users/db/{}/deactivate",
        methods: &[("POST", Op::DbUserDeactivate)],
    },
    Route {
        pattern: "/v1/authz/roles",
        methods: &[("GET", Op::RolesList), ("POST", Op::RoleCreate)],
    },
    Route {
        pattern: "/v1/authz/roles/{}",
        methods: &[("DELETE", Op::RoleDelete), ("GET", Op::RoleGet)],
    },
    Route {
        pattern: "/v1/authz/users/{}/assign",
        methods: &[("POST", Op::UserAssign)],
    },
    Route {
        pattern: "/v1/authz/users/{}/revoke",
        methods: &[("POST", Op::UserRevoke)],
    },
    Route {
        pattern: "/v1/authz/users/{}/roles/{}",
        methods: &[("GET", Op::UserRoles)],
    },
    Route {
        pattern: "/v1/authz/users/{}/roles",
        methods: &[("GET", Op::UserRolesDeprecated)],
    },
    Route {
        pattern: "/v1/authz/groups/{}/assign",
        methods: &[("POST", Op::GroupAssign)],
    },
    Route {
        pattern: "/v1/authz/groups/{}/revoke",
        methods: &[("POST", Op::GroupRevoke)],
    },
    Route {
        pattern: "/v1/authz/groups/{}/roles/{}",
        methods: &[("GET", Op::GroupRoles)],
    },
];

/// The outcome of routing: an operation with its decoded path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    /// The operation.
    pub op: Op,
    /// Percent-decoded path parameters, in order.
    pub params: Vec<String>,
}

fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
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

fn match_pattern(pattern: &str, path: &str) -> Option<Vec<String>> {
    let want: Vec<&str> = pattern.split('/').collect();
    let got: Vec<&str> = path.split('/').collect();
    if want.len() != got.len() {
        return None;
    }
    let mut params = Vec::new();
    for (w, g) in want.iter().zip(&got) {
        if *w == "{}" {
            if g.is_empty() {
                return None;
            }
            params.push(percent_decode(g));
        } else if w != g {
            return None;
        }
    }
    Some(params)
}

/// Spec 2.1 step 2: the operation for `method` on `path`, or Weaviate's 404/405. One trailing `/`
/// is ignored for matching; the 404 names the path as sent.
pub fn route(method: &str, path: &str) -> Result<Matched, Error> {
    let trimmed = if path.len() > 1 {
        path.strip_suffix('/').unwrap_or(path)
    } else {
        path
    };
    for r in ROUTES {
        if let Some(params) = match_pattern(r.pattern, trimmed) {
            return match r.methods.iter().find(|(m, _)| *m == method) {
                Some((_, op)) => Ok(Matched { op: *op, params }),
                None => Err(Error::MethodNotAllowed {
                    method: method.to_owned(),
                    allowed: r.methods.iter().map(|(m, _)| *m).collect(),
                }),
            };
        }
    }
    Err(Error::RouteNotFound(path.to_owned()))
}

/// Spec 2.2 (recorded on v1.38.11): operations with a JSON body refuse other media types with 415,
/// after authentication, when a body is present. A missing Content-Type counts as Go's default.
pub fn check_media_type(op: Op, headers: &axum::http::HeaderMap, body: &[u8]) -> Result<(), Error> {
    let takes_body = matches!(
        op,
        Op::SchemaCreate
            | Op::ClassUpdate
            | Op::PropertyAdd
            | Op::ObjectCreate
            | Op::ObjectReplace
            | Op::ObjectMerge
            | Op::Graphql
            | Op::DbUserCreate
            | Op::DbUserDeactivate
            | Op::RoleCreate
            | Op::UserAssign
            | Op::UserRevoke
            | Op::GroupAssign
            | Op::GroupRevoke
    );
    if !takes_body || body.is_empty() {
        return Ok(());
    }
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    if media == "application/json" || media == "application/yaml" {
        return Ok(());
    }
    Err(Error::Coded {
        status: 415,
        message: format!("unsupported media type {media:?}, only [application/json application/yaml] are allowed"),
    })
}

/// What a handler gets: state, caller, path parameters, query string and body.
pub struct Ctx<'a> {
    /// Server state.
    pub state: &'a AppState,
    /// The caller; `None` is anonymous.
    pub principal: Option<Principal>,
    /// Decoded path parameters.
    pub params: Vec<String>,
    /// The raw query string.
    pub query: Option<String>,
    /// The request body.
    pub body: Bytes,
}

impl Ctx<'_> {
    fn param(&self, i: usize) -> &str {
        self.params.get(i).map(String::as_str).unwrap_or("")
    }

    fn query_value(&self, name: &str) -> Option<String> {
        let q = self.query.as_deref()?;
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    fn principal(&self) -> Option<&Principal> {
        self.principal.as_ref()
    }

    fn authorize(&self, verb: Verb, resource: Resource) -> Result<(), Error> {
        self.state.authorizer().authorize(self.principal(), verb, &resource)
    }

    /// The JSON body; an empty body is `None`. Bad JSON gets go-openapi's 400.
    fn json(&self) -> Result<Option<Value>, Error> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        serde_json::from_slice(&self.body).map(Some).map_err(|e| Error::Coded {
            status: 400,
            message: format!("parsing body body from \"\" failed, because {e}"),
        })
    }
}

/// A handler body: JSON with sorted keys and a trailing newline, as Weaviate's JSON producer writes it.
pub fn json_response(status: StatusCode, value: &Value) -> Response {
    let mut response = (status, format!("{value}\n")).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn ok(value: Value) -> Result<Response, Error> {
    Ok(json_response(StatusCode::OK, &value))
}

fn empty(status: StatusCode) -> Result<Response, Error> {
    let mut response = Response::new(axum::body::Body::empty());
    *response.status_mut() = status;
    Ok(response)
}

/// Runs the handler of `op`.
pub async fn handle(op: Op, ctx: Ctx<'_>) -> Result<Response, Error> {
    if ctx.state.authorizer().rbac().is_none() {
        if let Some(answer) = authz_without_rbac(op, &ctx) {
            return answer;
        }
    }
    match op {
        Op::Links => links(),
        Op::Meta => meta(&ctx),
        Op::OpenidConfiguration => openid_configuration(&ctx),
        Op::Live => Err(Error::NotImplemented("WeaviateWellknownLiveness")),
        Op::Ready => Err(Error::NotImplemented("WeaviateWellknownReadiness")),
        Op::SchemaList => schema_list(&ctx),
        Op::SchemaCreate => schema_create(&ctx),
        Op::ClassGet => class_get(&ctx),
        Op::ClassUpdate => class_update(&ctx),
        Op::ClassDelete => class_delete(&ctx),
        Op::PropertyAdd => property_add(&ctx),
        Op::ObjectsList => objects_list(&ctx),
        Op::ObjectCreate => object_create(&ctx),
        Op::ObjectGet | Op::ObjectHead => object_get(&ctx, op == Op::ObjectHead),
        Op::ObjectReplace | Op::ObjectMerge => object_update(&ctx),
        Op::ObjectDelete => object_delete(&ctx),
        Op::ObjectGetById => object_get_by_id(&ctx),
        Op::ObjectDeleteById => object_delete_by_id(&ctx),
        Op::Graphql => graphql(&ctx),
        Op::Nodes => nodes(&ctx),
        Op::ClusterStatistics => cluster_statistics(&ctx),
        Op::OwnInfo => own_info(&ctx),
        Op::DbUsersList => db_users_list(&ctx),
        Op::DbUserGet => db_user_get(&ctx),
        Op::DbUserCreate => db_user_create(&ctx),
        Op::DbUserDelete => db_user_delete(&ctx),
        Op::DbUserRotate => db_user_rotate(&ctx),
        Op::DbUserActivate => db_user_set_active(&ctx, true),
        Op::DbUserDeactivate => db_user_set_active(&ctx, false),
        Op::RolesList => roles_list(&ctx),
        Op::RoleCreate => role_create(&ctx),
        Op::RoleGet => role_get(&ctx),
        Op::RoleDelete => role_delete(&ctx),
        Op::UserAssign => user_assign(&ctx, true),
        Op::UserRevoke => user_assign(&ctx, false),
        Op::UserRoles | Op::UserRolesDeprecated => user_roles(&ctx),
        Op::GroupAssign => group_assign(&ctx, true),
        Op::GroupRevoke => group_assign(&ctx, false),
        Op::GroupRoles => group_roles(&ctx),
    }
}

// ---- meta and well-known -------------------------------------------------------------------

fn links() -> Result<Response, Error> {
    // Recorded from v1.38.11.
    let doc = "https://weaviate.io/developers/weaviate/api/rest#tag/";
    ok(json!({"links": [
        {"href": "/v1/meta", "name": "Meta information about this instance/cluster"},
        {"documentationHref": format!("{doc}schema/get/schema"), "href": "/v1/schema", "name": "view complete schema"},
        {"documentationHref": format!("{doc}schema/put/schema/{{className}}"), "href": "/v1/schema{/:className}", "name": "CRUD schema"},
        {"documentationHref": format!("{doc}objects/"), "href": "/v1/objects{/:id}", "name": "CRUD objects"},
        {"documentationHref": format!("{doc}classifications"), "href": "/v1/classifications{/:id}", "name": "trigger and view status of classifications"},
        {"documentationHref": format!("{doc}well-known/get/.well-known/live"), "href": "/v1/.well-known/live", "name": "check if Weaviate is live (returns 200 on GET when live)"},
        {"documentationHref": format!("{doc}well-known/get/.well-known/ready"), "href": "/v1/.well-known/ready", "name": "check if Weaviate is ready (returns 200 on GET when ready)"},
        {"documentationHref": format!("{doc}well-known/get/.well-known/openid-configuration"), "href": "/v1/.well-known/openid-configuration", "name": "view link to openid configuration (returns 404 on GET if no openid is configured)"},
    ]}))
}

fn meta(ctx: &Ctx<'_>) -> Result<Response, Error> {
    ok(json!({
        "grpcMaxMessageSize": GRPC_MAX_MESSAGE_SIZE,
        "hostname": ctx.state.hostname(),
        "modules": {},
        "version": crate::WEAVIATE_VERSION,
    }))
}

fn openid_configuration(ctx: &Ctx<'_>) -> Result<Response, Error> {
    openid_document(&ctx.state.config().oidc).map_or(Err(Error::EmptyNotFound), ok)
}

/// Spec 5.1: Weaviate's `/v1/.well-known/openid-configuration` document, `None` (404) with OIDC off.
/// Only `clientId`, `href` and `scopes`, each left out when empty: clients assert their types.
pub fn openid_document(oidc: &crate::config::OidcConfig) -> Option<Value> {
    if !oidc.enabled {
        return None;
    }
    let mut doc = serde_json::Map::new();
    if let Some(client_id) = &oidc.client_id {
        doc.insert("clientId".into(), json!(client_id));
    }
    if let Some(issuer) = &oidc.issuer {
        // Joined as paths: trailing slashes of the issuer are not doubled. The issuer is used
        // even when a JWKS URL is set.
        doc.insert(
            "href".into(),
            json!(format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'))),
        );
    }
    if let Some(scopes) = &oidc.scopes {
        doc.insert("scopes".into(), json!(scopes));
    }
    Some(Value::Object(doc))
}

fn nodes(ctx: &Ctx<'_>) -> Result<Response, Error> {
    ctx.authorize(Verb::Read, Resource::Nodes)?;
    ok(json!({"nodes": [{"gitHash": "", "name": "node1", "status": "HEALTHY", "version": crate::WEAVIATE_VERSION}]}))
}

fn cluster_statistics(ctx: &Ctx<'_>) -> Result<Response, Error> {
    ctx.authorize(Verb::Read, Resource::Cluster)?;
    ok(json!({"statistics": [], "synchronized": true}))
}

// ---- schema --------------------------------------------------------------------------------

fn schema_list(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let classes = ctx.state.store().classes();
    let authorizer = ctx.state.authorizer();
    if let Authorizer::AdminList(list) = authorizer {
        // Recorded on v1.38.11: a caller on no list gets `null` when classes exist, `[]` when none.
        if !list.lists(ctx.principal()) {
            return ok(json!({"classes": if classes.is_empty() { json!([]) } else { Value::Null }}));
        }
    }
    let visible: Vec<Value> = classes
        .into_iter()
        .filter(|c| {
            let name = c["class"].as_str().unwrap_or("").to_owned();
            authorizer.allows(ctx.principal(), Verb::Read, &Resource::Collections(name))
        })
        .collect();
    ok(json!({"classes": visible}))
}

fn class_name(body: &Option<Value>) -> String {
    body.as_ref().and_then(|b| b["class"].as_str()).unwrap_or("").to_owned()
}

fn schema_create(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let body = ctx.json()?;
    let name = class_name(&body);
    ctx.authorize(Verb::Create, Resource::Collections(name.clone()))?;
    if name.is_empty() {
        return Err(Error::Unprocessable("'' is not a valid class name".into()));
    }
    match ctx.state.store().create_class(&name, body.unwrap_or(Value::Null)) {
        Ok(created) => ok(created),
        // Recorded on v1.38.11: this 422 carries an extra `"allowed":null`.
        Err(StoreError::Exists(m)) => Ok(json_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({"allowed": null, "error": [{"message": m}]}),
        )),
        Err(StoreError::Missing) => Err(Error::Internal("class vanished".into())),
    }
}

fn class_get(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let name = ctx.param(0);
    ctx.authorize(Verb::Read, Resource::Collections(name.to_owned()))?;
    ctx.state.store().class(name).map_or(Err(Error::EmptyNotFound), ok)
}

fn class_update(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let name = ctx.param(0);
    ctx.authorize(Verb::Update, Resource::Collections(name.to_owned()))?;
    let body = ctx.json()?.unwrap_or(Value::Null);
    ctx.state
        .store()
        .update_class(name, body)
        .map_err(|_| Error::EmptyNotFound)
        .and_then(ok)
}

fn property_add(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let name = ctx.param(0);
    ctx.authorize(Verb::Update, Resource::Collections(name.to_owned()))?;
    let body = ctx.json()?.unwrap_or(Value::Null);
    ctx.state
        .store()
        .add_property(name, body)
        .map_err(|_| Error::EmptyNotFound)
        .and_then(ok)
}

fn class_delete(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let name = ctx.param(0);
    // Authorization comes before existence (spec 4.1).
    ctx.authorize(Verb::Delete, Resource::Collections(name.to_owned()))?;
    ctx.state.store().delete_class(name);
    empty(StatusCode::OK)
}

// ---- objects -------------------------------------------------------------------------------

fn objects_list(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let class = ctx.query_value("class").filter(|c| !c.is_empty());
    match &class {
        Some(c) => {
            // Recorded on v1.38.11: with a class, the denial comes wrapped as "msg:… code:403 err:…".
            ctx.authorize(Verb::Read, Resource::Data(c.clone()))
                .map_err(|e| Error::Forbidden(format!("msg:{e} code:403 err:{e}")))?;
        }
        None => ctx.authorize(Verb::Read, Resource::Data("*".into()))?,
    }
    let objects: Vec<Value> = ctx
        .state
        .store()
        .objects(class.as_deref())
        .into_iter()
        .map(|mut o| {
            o["vectorWeights"] = Value::Null;
            o
        })
        .collect();
    let total = objects.len();
    ok(json!({"deprecations": if class.is_some() { json!([]) } else { Value::Null }, "objects": objects, "totalResults": total}))
}

fn object_create(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let body = ctx.json()?.unwrap_or(Value::Null);
    let class = class_name(&Some(body.clone()));
    ctx.authorize(Verb::Create, Resource::Data(class.clone()))?;
    if class.is_empty() {
        return Err(Error::Unprocessable("invalid object: the given class is empty".into()));
    }
    let id = body["id"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let properties = body.get("properties").cloned().unwrap_or(json!({}));
    ctx.state
        .store()
        .put_object(&class, &id, properties, true)
        .map_err(|e| match e {
            StoreError::Exists(m) => Error::Unprocessable(m),
            StoreError::Missing => Error::Internal("object vanished".into()),
        })
        .and_then(ok)
}

fn object_get(ctx: &Ctx<'_>, head: bool) -> Result<Response, Error> {
    let (class, id) = (ctx.param(0), ctx.param(1));
    ctx.authorize(Verb::Read, Resource::Data(class.to_owned()))?;
    match ctx.state.store().object(class, id) {
        Some(_) if head => empty(StatusCode::NO_CONTENT),
        Some(o) => ok(o),
        None => Err(Error::EmptyNotFound),
    }
}

fn object_update(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let (class, id) = (ctx.param(0), ctx.param(1));
    ctx.authorize(Verb::Update, Resource::Data(class.to_owned()))?;
    let body = ctx.json()?.unwrap_or(Value::Null);
    let properties = body.get("properties").cloned().unwrap_or(json!({}));
    ctx.state
        .store()
        .put_object(class, id, properties, false)
        .map_err(|_| Error::EmptyNotFound)
        .and_then(ok)
}

fn object_delete(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let (class, id) = (ctx.param(0), ctx.param(1));
    ctx.authorize(Verb::Delete, Resource::Data(class.to_owned()))?;
    if ctx.state.store().delete_object(class, id) {
        empty(StatusCode::NO_CONTENT)
    } else {
        Err(Error::EmptyNotFound)
    }
}

fn object_get_by_id(ctx: &Ctx<'_>) -> Result<Response, Error> {
    ctx.authorize(Verb::Read, Resource::Data("*".into()))?;
    ctx.state.store().object_by_id(ctx.param(0)).map_or(Err(Error::EmptyNotFound), ok)
}

fn object_delete_by_id(ctx: &Ctx<'_>) -> Result<Response, Error> {
    ctx.authorize(Verb::Delete, Resource::Data("*".into()))?;
    let Some(object) = ctx.state.store().object_by_id(ctx.param(0)) else {
        return Err(Error::EmptyNotFound);
    };
    ctx.state
        .store()
        .delete_object(object["class"].as_str().unwrap_or(""), ctx.param(0));
    empty(StatusCode::NO_CONTENT)
}

// ---- GraphQL -------------------------------------------------------------------------------

fn graphql(ctx: &Ctx<'_>) -> Result<Response, Error> {
    // Recorded on v1.38.11: the introspection check comes first, with this prefix.
    ctx.authorize(Verb::Read, Resource::Collections("*".into())).map_err(|e| {
        Error::Forbidden(format!(
            "due to GraphQL introspection, this role must have the permission to `read_collections` on `*` (all) collections: {e}"
        ))
    })?;
    // No query engine: an authorized query gets an empty result.
    ok(json!({"data": {}}))
}

// ---- users ---------------------------------------------------------------------------------

fn own_info(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let principal = anonymous::require(ctx.principal())?;
    let roles = ctx
        .state
        .authorizer()
        .rbac()
        .and_then(|rbac| rbac.role_objects(&rbac.roles_of(principal)));
    let groups = if principal.groups.is_empty() {
        Value::Null
    } else {
        json!(principal.groups)
    };
    ok(json!({"groups": groups, "roles": roles, "username": principal.username}))
}

/// Whether the caller is root (RBAC only; there is no root with the admin list or allow-all).
fn is_root(ctx: &Ctx<'_>) -> bool {
    ctx.state.authorizer().rbac().is_some_and(|r| r.is_root(ctx.principal()))
}

/// Whether `id` is an RBAC root user (by name, as Weaviate's checks compare names).
fn is_root_user(ctx: &Ctx<'_>, id: &str) -> bool {
    ctx.state.authorizer().rbac().is_some() && ctx.state.config().rbac.root_users.iter().any(|u| u == id)
}

fn is_static_user(ctx: &Ctx<'_>, id: &str) -> bool {
    ctx.state.config().api_key.has_user(id)
}

fn user_roles_list(ctx: &Ctx<'_>, id: &str) -> Vec<String> {
    ctx.state
        .authorizer()
        .rbac()
        .map(|r| r.roles_of_user(UserKind::Db, id).into_iter().collect())
        .unwrap_or_default()
}

fn user_info(ctx: &Ctx<'_>, id: &str, env: bool, include_last_used: bool) -> Option<Value> {
    let mut info = serde_json::Map::new();
    if env {
        info.insert("active".into(), json!(true));
        info.insert("createdAt".into(), json!(ZERO_TIME));
        info.insert("dbUserType".into(), json!("db_env_user"));
        info.insert("lastUsedAt".into(), json!(ZERO_TIME));
        // Recorded on v1.38.11: static users show no apiKeyFirstLetters, even to root callers.
    } else {
        let record = ctx.state.db_users().get(id)?;
        info.insert("active".into(), json!(record.active));
        info.insert("createdAt".into(), json!(format_time(record.created_at)));
        info.insert("dbUserType".into(), json!("db_user"));
        info.insert(
            "lastUsedAt".into(),
            json!(if include_last_used {
                format_time(record.last_used)
            } else {
                ZERO_TIME.to_owned()
            }),
        );
        if is_root(ctx) {
            info.insert("apiKeyFirstLetters".into(), json!(record.first_letters));
        }
    }
    info.insert("roles".into(), json!(user_roles_list(ctx, id)));
    info.insert("userId".into(), json!(id));
    Some(Value::Object(info))
}

/// Go's `strconv.ParseBool` (how query booleans are bound); anything else counts as false here.
fn go_query_bool(value: &str) -> bool {
    matches!(value, "1" | "t" | "T" | "TRUE" | "true" | "True")
}

fn include_last_used(ctx: &Ctx<'_>) -> bool {
    // Recorded on v1.38.11: `includeLastUsedTime=1` also counts.
    ctx.query_value("includeLastUsedTime").is_some_and(|v| go_query_bool(&v))
}

fn require_db_users(ctx: &Ctx<'_>) -> Result<(), Error> {
    if ctx.state.db_users().enabled() {
        Ok(())
    } else {
        Err(Error::Unprocessable("db user management is not enabled".into()))
    }
}

/// Static users not imported as DB users, in configuration order without repeats.
fn env_users(ctx: &Ctx<'_>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let config = ctx.state.config();
    if config.api_key.enabled {
        for user in config.api_key.users.as_deref().unwrap_or(&[]) {
            if !out.contains(user) && !ctx.state.db_users().exists(user) {
                out.push(user.clone());
            }
        }
    }
    out
}

fn db_users_list(ctx: &Ctx<'_>) -> Result<Response, Error> {
    if !ctx.state.db_users().enabled() {
        return ok(json!([]));
    }
    let last = include_last_used(ctx);
    let authorizer = ctx.state.authorizer();
    let mut out = Vec::new();
    // v1.38.11 lists DB users in no fixed order (observed: not alphabetical); here by id.
    for record in ctx.state.db_users().list() {
        if authorizer.allows(ctx.principal(), Verb::Read, &Resource::Users(record.id.clone())) {
            out.extend(user_info(ctx, &record.id, false, last));
        }
    }
    if is_root(ctx) {
        // Recorded on v1.38.11: root callers also see static users, after the DB users, in
        // configuration order.
        for user in env_users(ctx) {
            out.extend(user_info(ctx, &user, true, last));
        }
    }
    ok(Value::Array(out))
}

fn db_user_get(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let id = ctx.param(0);
    ctx.authorize(Verb::Read, Resource::Users(id.to_owned()))?;
    require_db_users(ctx)?;
    let last = include_last_used(ctx);
    if ctx.state.db_users().exists(id) {
        return user_info(ctx, id, false, last).map_or(Err(Error::EmptyNotFound), ok);
    }
    if is_root(ctx) && env_users(ctx).iter().any(|u| u == id) {
        return user_info(ctx, id, true, last).map_or(Err(Error::EmptyNotFound), ok);
    }
    Err(Error::EmptyNotFound)
}

fn db_user_create(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let id = ctx.param(0);
    validate_user_id(id).map_err(Error::Unprocessable)?;
    ctx.authorize(Verb::Create, Resource::Users(id.to_owned()))?;
    require_db_users(ctx)?;
    let body = ctx.json()?;
    let import = body.as_ref().and_then(|b| b["import"].as_bool()).unwrap_or(false);
    let db = ctx.state.db_users();
    if import {
        if ctx.state.authorizer().rbac().is_some() && !is_root(ctx) {
            return Err(Error::Forbidden("only root users can import static api keys".into()));
        }
        if db.exists(id) {
            return Err(Error::Conflict(format!("user '{id}' already exists")));
        }
        let config = ctx.state.config();
        let key = config
            .api_key
            .allowed_keys
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .enumerate()
            .find(|(i, _)| config.api_key.enabled && config.api_key.user_for(*i) == id)
            .map(|(_, k)| k.clone());
        let Some(key) = key else {
            return Err(Error::NotFound(format!("static user {id} does not exist")));
        };
        let created = body
            .as_ref()
            .and_then(|b| b["createTime"].as_str())
            .and_then(|t| time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok());
        db.import(
            id,
            crate::authentication::api_key::digest(&key),
            key.chars().take(3).collect(),
            created,
        );
        return Ok(json_response(StatusCode::CREATED, &json!({"apikey": key})));
    }
    if db.exists(id) || is_static_user(ctx, id) {
        return Err(Error::Conflict(format!("user '{id}' already exists")));
    }
    if is_root_user(ctx, id) {
        return Err(Error::Unprocessable("cannot create db user with root user name".into()));
    }
    let key = db.create(id);
    tracing::info!(user = id, "db user created");
    Ok(json_response(StatusCode::CREATED, &json!({"apikey": key})))
}

fn db_user_rotate(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let id = ctx.param(0);
    ctx.authorize(Verb::Update, Resource::Users(id.to_owned()))?;
    require_db_users(ctx)?;
    // No root check here (spec 6.3): a root user that is not a DB user gets 404.
    if is_static_user(ctx, id) && !ctx.state.db_users().exists(id) {
        return Err(Error::Unprocessable(format!("user '{id}' is static user")));
    }
    let key = ctx.state.db_users().rotate(id).ok_or(Error::EmptyNotFound)?;
    tracing::info!(user = id, "db user key rotated");
    ok(json!({"apikey": key}))
}

/// Spec 6.3: own user, root user, static user, then existence.
fn lifecycle_checks(ctx: &Ctx<'_>, id: &str, verb: &str) -> Result<(), Error> {
    if verb != "activate" && ctx.principal().is_some_and(|p| p.username == id) {
        return Err(Error::Unprocessable(format!("cannot {verb} its own user \"{id}\"")));
    }
    if is_root_user(ctx, id) {
        return Err(Error::Unprocessable(format!("cannot {verb} root user")));
    }
    if is_static_user(ctx, id) && !ctx.state.db_users().exists(id) {
        return Err(Error::Unprocessable(format!("user '{id}' is static user")));
    }
    Ok(())
}

fn db_user_set_active(ctx: &Ctx<'_>, active: bool) -> Result<Response, Error> {
    let id = ctx.param(0);
    ctx.authorize(Verb::Update, Resource::Users(id.to_owned()))?;
    require_db_users(ctx)?;
    lifecycle_checks(ctx, id, if active { "activate" } else { "deactivate" })?;
    let revoke = if active {
        false
    } else {
        match ctx.json()?.as_ref().and_then(|b| b.get("revoke_key")) {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            // Recorded on v1.38.11: go-openapi's binding error for a wrongly typed field.
            Some(other) => {
                return Err(Error::Coded {
                    status: 400,
                    message: format!(
                        "parsing body body from \"\" failed, because json: cannot unmarshal {} into Go struct field DeactivateUserBody.revoke_key of type bool",
                        go_json_kind(other)
                    ),
                })
            }
        }
    };
    match ctx.state.db_users().set_active(id, active, revoke) {
        Ok(()) => empty(StatusCode::OK),
        Err(StateError::Unknown) => Err(Error::EmptyNotFound),
        Err(StateError::Unchanged) => Err(Error::EmptyConflict),
    }
}

fn db_user_delete(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let id = ctx.param(0);
    ctx.authorize(Verb::Delete, Resource::Users(id.to_owned()))?;
    require_db_users(ctx)?;
    lifecycle_checks(ctx, id, "delete")?;
    if !ctx.state.db_users().delete(id) {
        return Err(Error::EmptyNotFound);
    }
    if let Some(rbac) = ctx.state.authorizer().rbac() {
        rbac.forget(UserKind::Db, id);
    }
    empty(StatusCode::NO_CONTENT)
}

/// The JSON kind Go's decoder names in "cannot unmarshal <kind> into …".
fn go_json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

// ---- /v1/authz -----------------------------------------------------------------------------

/// Recorded on v1.38.11: role creation and reading prefix their denial with this text.
const ROLE_DENIAL_PREFIX: &str = "can only create roles with less or equal permissions as the current user: ";

fn roles_list(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let Some(rbac) = ctx.state.authorizer().rbac() else {
        return ok(json!([]));
    };
    let show_root = rbac.is_listed_root(ctx.principal());
    let roles: Vec<Value> = rbac
        .role_names()
        .into_iter()
        .filter(|name| name != "root" || show_root)
        .filter(|name| {
            rbac.authorize(ctx.principal(), "read_roles", &Resource::Roles(name.clone()))
                .is_ok()
        })
        .map(|name| json!({"name": name, "permissions": rbac.role(&name)}))
        .collect();
    ok(Value::Array(roles))
}

/// Recorded on v1.38.11: with RBAC off, `/v1/authz` acts as an empty role store that accepts
/// writes without keeping them (a 200 with an empty body, even for the role lists of a subject).
fn authz_without_rbac(op: Op, ctx: &Ctx<'_>) -> Option<Result<Response, Error>> {
    let answer = match op {
        Op::RolesList => ok(json!([])),
        Op::RoleCreate | Op::RoleDelete | Op::UserRoles | Op::UserRolesDeprecated | Op::GroupRoles => empty(StatusCode::OK),
        Op::RoleGet | Op::GroupAssign | Op::GroupRevoke => Err(Error::EmptyNotFound),
        Op::UserAssign | Op::UserRevoke => match ctx.json() {
            Err(e) => Err(e),
            Ok(body) if body.as_ref().map(roles_in).unwrap_or_default().is_empty() => {
                Err(Error::BadRequest("roles can not be empty".into()))
            }
            Ok(_) => Err(Error::NotFound("one or more of the roles requested doesn't exist".into())),
        },
        _ => return None,
    };
    Some(answer)
}

fn roles_in(body: &Value) -> Vec<String> {
    body["roles"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str().map(str::to_owned))
        .collect()
}

fn rbac_of<'a>(ctx: &'a Ctx<'_>) -> Result<&'a crate::authorization::Rbac, Error> {
    // Unreachable: `handle` answers the authz operations itself when RBAC is off.
    ctx.state
        .authorizer()
        .rbac()
        .ok_or_else(|| Error::BadRequest("rbac is not enabled".into()))
}

fn role_create(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let rbac = rbac_of(ctx)?;
    let body = ctx.json()?.unwrap_or(Value::Null);
    let name = body["name"].as_str().unwrap_or("").to_owned();
    rbac.authorize(ctx.principal(), "create_roles", &Resource::Roles(name.clone()))
        .map_err(|e| Error::Forbidden(format!("{ROLE_DENIAL_PREFIX}{e}")))?;
    let permissions = body["permissions"].as_array().cloned().unwrap_or_default();
    rbac.create_role(&name, permissions)?;
    empty(StatusCode::CREATED)
}

fn role_get(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let rbac = rbac_of(ctx)?;
    let name = ctx.param(0);
    rbac.authorize(ctx.principal(), "read_roles", &Resource::Roles(name.to_owned()))
        .map_err(|e| Error::Forbidden(format!("{ROLE_DENIAL_PREFIX}{e}")))?;
    match rbac.role(name) {
        Some(permissions) if name != "root" || rbac.is_listed_root(ctx.principal()) => {
            ok(json!({"name": name, "permissions": permissions}))
        }
        _ => Err(Error::EmptyNotFound),
    }
}

fn role_delete(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let rbac = rbac_of(ctx)?;
    let name = ctx.param(0);
    rbac.authorize(ctx.principal(), "delete_roles", &Resource::Roles(name.to_owned()))?;
    rbac.delete_role(name)?;
    empty(StatusCode::NO_CONTENT)
}

fn user_kind(value: Option<&str>) -> UserKind {
    if value == Some("oidc") {
        UserKind::Oidc
    } else {
        UserKind::Db
    }
}

fn user_assign(ctx: &Ctx<'_>, assign: bool) -> Result<Response, Error> {
    let rbac = rbac_of(ctx)?;
    let user = ctx.param(0);
    rbac.authorize(ctx.principal(), "assign_and_revoke_users", &Resource::Users(user.to_owned()))?;
    let body = ctx.json()?.unwrap_or(Value::Null);
    let roles: Vec<String> = body["roles"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str().map(str::to_owned))
        .collect();
    if roles.is_empty() {
        return Err(Error::BadRequest("roles can not be empty".into()));
    }
    rbac.assign(Some(user_kind(body["userType"].as_str())), user, &roles, assign)?;
    empty(StatusCode::OK)
}

fn group_assign(ctx: &Ctx<'_>, assign: bool) -> Result<Response, Error> {
    let rbac = rbac_of(ctx)?;
    let group = ctx.param(0);
    rbac.authorize(ctx.principal(), "assign_and_revoke_groups", &Resource::Groups(group.to_owned()))?;
    let body = ctx.json()?.unwrap_or(Value::Null);
    // Recorded on v1.38.11: only OIDC groups exist; a missing type is a 400.
    let group_type = body["groupType"].as_str().unwrap_or("");
    if group_type != "oidc" {
        return Err(Error::BadRequest(format!("unknown groupType: {group_type}")));
    }
    let roles: Vec<String> = body["roles"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str().map(str::to_owned))
        .collect();
    match rbac.assign(None, group, &roles, assign) {
        // Recorded on v1.38.11: an unknown role is an empty 404 for groups (a texted one for users).
        Err(crate::authorization::rbac::RoleError::Missing) => Err(Error::EmptyNotFound),
        other => other.map_err(Error::from),
    }?;
    empty(StatusCode::OK)
}

fn group_roles(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let rbac = rbac_of(ctx)?;
    let group = ctx.param(0);
    // Recorded on v1.38.11: a caller without `read_groups` gets `[]`, not a denial.
    if rbac
        .authorize(ctx.principal(), "read_groups", &Resource::Groups(group.to_owned()))
        .is_err()
    {
        return ok(json!([]));
    }
    let roles: Vec<Value> = rbac
        .roles_of_group(group)
        .into_iter()
        .map(|name| json!({"name": name, "permissions": Value::Null}))
        .collect();
    ok(Value::Array(roles))
}

fn user_roles(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let rbac = rbac_of(ctx)?;
    let user = ctx.param(0);
    rbac.authorize(ctx.principal(), "read_users", &Resource::Users(user.to_owned()))?;
    let kind = user_kind(ctx.params.get(1).map(String::as_str));
    // Recorded on v1.38.11: permissions are `null` unless `includeFullRoles=true`.
    let full = ctx.query_value("includeFullRoles").is_some_and(|v| v == "true");
    let roles: Vec<Value> = rbac
        .roles_of_user(kind, user)
        .into_iter()
        .map(|name| json!({"name": name, "permissions": if full { json!(rbac.role(&name)) } else { Value::Null }}))
        .collect();
    ok(Value::Array(roles))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::OidcConfig;

    #[test]
    fn s5_1_openid_document_has_only_the_set_fields() {
        assert_eq!(openid_document(&OidcConfig::default()), None);
        let oidc = OidcConfig {
            enabled: true,
            issuer: Some("http://idp/realms/x/".into()),
            client_id: Some("weaviate".into()),
            jwks_url: Some("http://elsewhere/jwks".into()),
            ..OidcConfig::default()
        };
        assert_eq!(
            openid_document(&oidc),
            Some(json!({"clientId": "weaviate", "href": "http://idp/realms/x/.well-known/openid-configuration"}))
        );
        let with_scopes = OidcConfig {
            scopes: Some(vec!["openid".into(), "email".into()]),
            client_id: None,
            ..oidc
        };
        assert_eq!(
            openid_document(&with_scopes),
            Some(json!({"href": "http://idp/realms/x/.well-known/openid-configuration", "scopes": ["openid", "email"]}))
        );
    }

    #[test]
    fn s6_3_query_booleans_follow_go() {
        assert!(go_query_bool("1") && go_query_bool("True") && !go_query_bool("yes"));
    }

    #[test]
    fn s2_1_router_ignores_one_trailing_slash_and_names_the_sent_path() {
        assert_eq!(route("GET", "/v1/meta/").map(|m| m.op), Ok(Op::Meta));
        assert_eq!(route("GET", "/v1/nope/"), Err(Error::RouteNotFound("/v1/nope/".into())));
        assert_eq!(
            route("PUT", "/v1/schema"),
            Err(Error::MethodNotAllowed {
                method: "PUT".into(),
                allowed: vec!["GET", "POST"]
            })
        );
        let m = route("GET", "/v1/users/db/%3Cx%3E").expect("a route");
        assert_eq!(m.params, vec!["<x>".to_owned()]);
    }
}
