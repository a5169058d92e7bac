//! `/v1/authz` handlers: roles, and role assignments of users and OIDC groups, over
//! `authorization::Rbac`. Without RBAC, `without_rbac` answers instead, as v1.38.11 does.

use serde_json::{json, Value};

use crate::authorization::rbac::RoleError;
use crate::authorization::{Rbac, Resource};
use crate::error::Error;
use crate::principal::UserKind;
use crate::rest::{Ctx, Op, Reply};

/// Recorded on v1.38.11: with RBAC off, `/v1/authz` acts as an empty role store that accepts
/// writes without keeping them (a 200 with an empty body, even for the role lists of a subject).
/// `None` for operations outside `/v1/authz`.
pub fn without_rbac(op: Op, ctx: &Ctx<'_>) -> Option<Result<Reply, Error>> {
    let answer = match op {
        Op::RolesList => Ok(Reply::Json(json!([]))),
        Op::RoleCreate | Op::RoleDelete | Op::UserRoles | Op::UserRolesDeprecated | Op::GroupRoles => Ok(Reply::Empty),
        Op::RoleGet | Op::GroupAssign | Op::GroupRevoke => Err(Error::EmptyNotFound),
        Op::UserAssign | Op::UserRevoke => match ctx.json() {
            Err(e) => Err(e),
            Ok(body) if roles_in(body.as_ref()).is_empty() => Err(Error::NoRoles),
            Ok(_) => Err(Error::RolesMissing),
        },
        Op::Links
        | Op::Meta
        | Op::OpenidConfiguration
        | Op::Live
        | Op::Ready
        | Op::SchemaList
        | Op::SchemaCreate
        | Op::ClassGet
        | Op::ClassUpdate
        | Op::ClassDelete
        | Op::PropertyAdd
        | Op::ObjectsList
        | Op::ObjectCreate
        | Op::ObjectGet
        | Op::ObjectHead
        | Op::ObjectReplace
        | Op::ObjectMerge
        | Op::ObjectDelete
        | Op::ObjectGetById
        | Op::ObjectDeleteById
        | Op::Graphql
        | Op::Nodes
        | Op::ClusterStatistics
        | Op::OwnInfo
        | Op::DbUsersList
        | Op::DbUserGet
        | Op::DbUserCreate
        | Op::DbUserDelete
        | Op::DbUserRotate
        | Op::DbUserActivate
        | Op::DbUserDeactivate
        | Op::NotEmulated(_) => return None,
    };
    Some(answer)
}

/// The `roles` member of an assignment body (strings only).
fn roles_in(body: Option<&Value>) -> Vec<String> {
    body.and_then(|b| b["roles"].as_array())
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str().map(str::to_owned))
        .collect()
}

/// RBAC; `handle` answers every `/v1/authz` operation through `without_rbac` when it is off, so
/// the `EmptyNotFound` here is never sent.
fn rbac<'a>(ctx: &'a Ctx<'_>) -> Result<&'a Rbac, Error> {
    ctx.state().authorizer().rbac().ok_or(Error::EmptyNotFound)
}

/// `GET /v1/authz/roles`: the roles the caller may read; `root` only to listed root users.
pub fn roles_list(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    let rbac = rbac(ctx)?;
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
    Ok(Reply::Json(Value::Array(roles)))
}

/// `POST /v1/authz/roles`.
pub fn role_create(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    let rbac = rbac(ctx)?;
    let body = ctx.json()?.unwrap_or(Value::Null);
    let name = body["name"].as_str().unwrap_or("").to_owned();
    rbac.authorize(ctx.principal(), "create_roles", &Resource::Roles(name.clone()))
        .map_err(|e| Error::RoleDenied(e.to_string()))?;
    let permissions = body["permissions"].as_array().cloned().unwrap_or_default();
    rbac.create_role(&name, permissions)?;
    Ok(Reply::EmptyCreated)
}

/// `GET /v1/authz/roles/{name}`: `root` only to listed root users.
pub fn role_get(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    let rbac = rbac(ctx)?;
    let name = ctx.param(0);
    rbac.authorize(ctx.principal(), "read_roles", &Resource::Roles(name.to_owned()))
        .map_err(|e| Error::RoleDenied(e.to_string()))?;
    match rbac.role(name) {
        Some(permissions) if name != "root" || rbac.is_listed_root(ctx.principal()) => {
            Ok(Reply::Json(json!({"name": name, "permissions": permissions})))
        }
        _ => Err(Error::EmptyNotFound),
    }
}

/// `DELETE /v1/authz/roles/{name}`.
pub fn role_delete(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    let rbac = rbac(ctx)?;
    let name = ctx.param(0);
    rbac.authorize(ctx.principal(), "delete_roles", &Resource::Roles(name.to_owned()))?;
    rbac.delete_role(name)?;
    Ok(Reply::NoContent)
}

fn user_kind(value: Option<&str>) -> UserKind {
    if value == Some("oidc") {
        UserKind::Oidc
    } else {
        UserKind::Db
    }
}

/// `POST /v1/authz/users/{id}/assign` (`assign`) and `…/revoke`.
pub fn user_assign(ctx: &Ctx<'_>, assign: bool) -> Result<Reply, Error> {
    let rbac = rbac(ctx)?;
    let user = ctx.param(0);
    rbac.authorize(ctx.principal(), "assign_and_revoke_users", &Resource::Users(user.to_owned()))?;
    let body = ctx.json()?;
    let roles = roles_in(body.as_ref());
    if roles.is_empty() {
        return Err(Error::NoRoles);
    }
    let kind = user_kind(body.as_ref().and_then(|b| b["userType"].as_str()));
    rbac.assign(Some(kind), user, &roles, assign)?;
    Ok(Reply::Empty)
}

/// `POST /v1/authz/groups/{id}/assign` (`assign`) and `…/revoke`. Recorded on v1.38.11: only
/// OIDC groups exist (a missing type is a 400), and an unknown role is an empty 404 here (a
/// texted one for users).
pub fn group_assign(ctx: &Ctx<'_>, assign: bool) -> Result<Reply, Error> {
    let rbac = rbac(ctx)?;
    let group = ctx.param(0);
    rbac.authorize(ctx.principal(), "assign_and_revoke_groups", &Resource::Groups(group.to_owned()))?;
    let body = ctx.json()?;
    let group_type = body.as_ref().and_then(|b| b["groupType"].as_str()).unwrap_or("");
    if group_type != "oidc" {
        return Err(Error::UnknownGroupType(group_type.to_owned()));
    }
    match rbac.assign(None, group, &roles_in(body.as_ref()), assign) {
        Ok(()) => Ok(Reply::Empty),
        Err(RoleError::Missing) => Err(Error::EmptyNotFound),
        Err(e @ (RoleError::Exists(_) | RoleError::BuiltIn(_) | RoleError::EnvOnly { .. })) => Err(e.into()),
    }
}

/// `GET /v1/authz/groups/{id}/roles/{type}`. Recorded on v1.38.11: a caller without
/// `read_groups` gets `[]`, not a denial.
pub fn group_roles(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    let rbac = rbac(ctx)?;
    let group = ctx.param(0);
    if rbac
        .authorize(ctx.principal(), "read_groups", &Resource::Groups(group.to_owned()))
        .is_err()
    {
        return Ok(Reply::Json(json!([])));
    }
    let roles: Vec<Value> = rbac
        .roles_of_group(group)
        .into_iter()
        .map(|name| json!({"name": name, "permissions": Value::Null}))
        .collect();
    Ok(Reply::Json(Value::Array(roles)))
}

/// `GET /v1/authz/users/{id}/roles[/{type}]`. Recorded on v1.38.11: permissions are `null`
/// unless `includeFullRoles=true`.
pub fn user_roles(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    let rbac = rbac(ctx)?;
    let user = ctx.param(0);
    rbac.authorize(ctx.principal(), "read_users", &Resource::Users(user.to_owned()))?;
    let kind = user_kind(Some(ctx.param(1)));
    let full = ctx.query_value("includeFullRoles").is_some_and(|v| v == "true");
    let roles: Vec<Value> = rbac
        .roles_of_user(kind, user)
        .into_iter()
        .map(|name| json!({"name": name, "permissions": if full { json!(rbac.role(&name)) } else { Value::Null }}))
        .collect();
    Ok(Reply::Json(Value::Array(roles)))
}
