//! The operations of `/v1` (the route table that finds them, before any credential check as
//! go-swagger does, is `routes.rs`), the media type check, and `handle`, which sends each
//! operation to its handler. Handlers live in one file
//! per resource (`meta`, `schema`, `objects`, `graphql`, `users`, `authz`); each reads its inputs
//! from `Ctx`, calls a plain function that holds the rules (`schema.rs`, `objects.rs`,
//! `db_users::rules`, `authorization::rbac`) and returns `Result<Reply, Error>`.

mod authz;
mod ctx;
mod graphql;
mod meta;
mod objects;
mod routes;
mod schema;
mod users;

use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::error::Error;

pub use ctx::{Ctx, Reply};
pub use routes::{route, Matched};

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
    /// A documented operation of v1.38.11 that the emulation does not serve: authenticated like
    /// every other, then answered 501 naming its path pattern (`routes::NOT_EMULATED`).
    NotEmulated(&'static str),
}

/// A failed credential check as `op` answers it: v1.38.11's REST search and aggregate operations
/// (not emulated past authentication) write the 401 in the `{"error":[...]}` shape, every other
/// route in the generic one (recorded by the parity sweep).
pub fn refusal_of(op: Op, e: Error) -> Error {
    match (op, e) {
        (Op::NotEmulated(pattern), Error::Unauthorized(message))
            if pattern.starts_with("/v1/search/") || pattern.starts_with("/v1/aggregate/") =>
        {
            Error::SearchUnauthorized(message)
        }
        (_, e) => e,
    }
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
        Op::NotEmulated(pattern) => Err(Error::NotEmulated(pattern)),
    }?;
    Ok(reply.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_rest_search_and_aggregate_refuse_a_credential_in_the_error_list_shape() {
        let bad = || Error::Unauthorized("unauthorized: invalid api key".into());
        let search = route("POST", "/v1/search/Sweep/bm25").expect("routed").op;
        let aggregate = route("POST", "/v1/aggregate/Sweep").expect("routed").op;
        for op in [search, aggregate] {
            assert_eq!(
                refusal_of(op, bad()),
                Error::SearchUnauthorized("unauthorized: invalid api key".into())
            );
        }
        assert_eq!(refusal_of(Op::SchemaList, bad()), bad());
        assert_eq!(refusal_of(route("GET", "/v1/backups/s3").expect("routed").op, bad()), bad());
        assert_eq!(refusal_of(search, Error::EmptyUnauthorized), Error::EmptyUnauthorized);
    }
}
