//! The `/v1` route table (matched before any credential check, as go-swagger does), the media
//! type check, and `handle`, which sends each operation to its handler. Handlers live in one file
//! per resource (`meta`, `schema`, `objects`, `graphql`, `users`, `authz`); each reads its inputs
//! from `Ctx`, calls a plain function that holds the rules (`schema.rs`, `objects.rs`,
//! `db_users::rules`, `authorization::rbac`) and returns `Result<Reply, Error>`.

mod authz;
mod ctx;
mod graphql;
mod meta;
mod objects;
mod schema;
mod users;

use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::error::Error;

pub use ctx::{Ctx, Reply};
pub use meta::{openid_document, GRPC_MAX_MESSAGE_SIZE};

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
    Err(Error::UnsupportedMediaType(media))
}

/// Runs the handler of `op`.
pub async fn handle(op: Op, ctx: Ctx<'_>) -> Result<Response, Error> {
    if ctx.state().authorizer().rbac().is_none() {
        if let Some(answer) = authz::without_rbac(op, &ctx) {
            return answer.map(IntoResponse::into_response);
        }
    }
    let reply = match op {
        Op::Links => meta::links(&ctx),
        Op::Meta => meta::meta(&ctx),
        Op::OpenidConfiguration => meta::openid_configuration(&ctx),
        Op::Live => Err(Error::NotImplemented("WeaviateWellknownLiveness")),
        Op::Ready => Err(Error::NotImplemented("WeaviateWellknownReadiness")),
        Op::Nodes => meta::nodes(&ctx),
        Op::ClusterStatistics => meta::cluster_statistics(&ctx),
        Op::SchemaList => schema::list(&ctx),
        Op::SchemaCreate => schema::create(&ctx),
        Op::ClassGet => schema::get(&ctx),
        Op::ClassUpdate => schema::update(&ctx),
        Op::ClassDelete => schema::delete(&ctx),
        Op::PropertyAdd => schema::add_property(&ctx),
        Op::ObjectsList => objects::list(&ctx),
        Op::ObjectCreate => objects::create(&ctx),
        Op::ObjectGet => objects::get(&ctx),
        Op::ObjectHead => objects::head(&ctx),
        Op::ObjectReplace => objects::replace(&ctx),
        Op::ObjectMerge => objects::merge(&ctx),
        Op::ObjectDelete => objects::delete(&ctx),
        Op::ObjectGetById => objects::get_by_id(&ctx),
        Op::ObjectDeleteById => objects::delete_by_id(&ctx),
        Op::Graphql => graphql::query(&ctx),
        Op::OwnInfo => users::own_info(&ctx),
        Op::DbUsersList => users::list(&ctx),
        Op::DbUserGet => users::get(&ctx),
        Op::DbUserCreate => users::create(&ctx),
        Op::DbUserDelete => users::delete(&ctx),
        Op::DbUserRotate => users::rotate(&ctx),
        Op::DbUserActivate => users::activate(&ctx),
        Op::DbUserDeactivate => users::deactivate(&ctx),
        Op::RolesList => authz::roles_list(&ctx),
        Op::RoleCreate => authz::role_create(&ctx),
        Op::RoleGet => authz::role_get(&ctx),
        Op::RoleDelete => authz::role_delete(&ctx),
        Op::UserAssign => authz::user_assign(&ctx, true),
        Op::UserRevoke => authz::user_assign(&ctx, false),
        Op::UserRoles | Op::UserRolesDeprecated => authz::user_roles(&ctx),
        Op::GroupAssign => authz::group_assign(&ctx, true),
        Op::GroupRevoke => authz::group_assign(&ctx, false),
        Op::GroupRoles => authz::group_roles(&ctx),
    }?;
    Ok(reply.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

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
