//! `/v1/users/own-info` and the `/v1/users/db` handlers: each reads its inputs (path, query
//! booleans, body fields bound as go-openapi binds them) and calls `db_users::UserAdmin`.

use serde_json::{json, Value};

use crate::authentication::anonymous;
use crate::db_users::rules::CreateRequest;
use crate::error::Error;
use crate::rest::{Ctx, Reply};

/// `GET /v1/users/own-info`: the caller's name, groups and (RBAC) roles; an empty 401 for anonymous.
pub fn own_info(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    let principal = anonymous::require(ctx.principal())?;
    let roles = ctx
        .state()
        .authorizer()
        .rbac()
        .and_then(|rbac| rbac.role_objects(&rbac.roles_of(principal)));
    let groups = if principal.groups.is_empty() {
        Value::Null
    } else {
        json!(principal.groups)
    };
    Ok(Reply::Json(
        json!({"groups": groups, "roles": roles, "username": principal.username}),
    ))
}

/// `GET /v1/users/db`.
pub fn list(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    Ok(Reply::Json(Value::Array(ctx.user_admin().list(include_last_used(ctx)))))
}

/// `GET /v1/users/db/{id}`.
pub fn get(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    ctx.user_admin().get(ctx.param(0), include_last_used(ctx)).map(Reply::Json)
}

/// `POST /v1/users/db/{id}`: 201 with the new (or imported) key.
pub fn create(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    let request = ctx.json().map(|body| create_request(body.as_ref()));
    let key = ctx.user_admin().create(ctx.param(0), request)?;
    Ok(Reply::Created(json!({"apikey": key.expose()})))
}

/// `POST /v1/users/db/{id}/rotate-key`.
pub fn rotate(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    let key = ctx.user_admin().rotate(ctx.param(0))?;
    Ok(Reply::Json(json!({"apikey": key.expose()})))
}

/// `POST /v1/users/db/{id}/activate`.
pub fn activate(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    ctx.user_admin().set_active(ctx.param(0), true, Ok(false))?;
    Ok(Reply::Empty)
}

/// `POST /v1/users/db/{id}/deactivate` with an optional `{"revoke_key": bool}`.
pub fn deactivate(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    let revoke = ctx.json().and_then(|body| revoke_key(body.as_ref()));
    ctx.user_admin().set_active(ctx.param(0), false, revoke)?;
    Ok(Reply::Empty)
}

/// `DELETE /v1/users/db/{id}`.
pub fn delete(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    ctx.user_admin().delete(ctx.param(0))?;
    Ok(Reply::NoContent)
}

/// The create body: `import` (a boolean, else false) and `createTime` (RFC 3339, else now).
fn create_request(body: Option<&Value>) -> CreateRequest {
    CreateRequest {
        import: body.and_then(|b| b["import"].as_bool()).unwrap_or(false),
        created_at: body
            .and_then(|b| b["createTime"].as_str())
            .and_then(|t| time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()),
    }
}

/// The deactivate body's `revoke_key`. Recorded on v1.38.11: a wrongly typed field gets
/// go-openapi's binding error.
fn revoke_key(body: Option<&Value>) -> Result<bool, Error> {
    match body.and_then(|b| b.get("revoke_key")) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(Error::InvalidBody(format!(
            "json: cannot unmarshal {} into Go struct field DeactivateUserBody.revoke_key of type bool",
            go_json_kind(other)
        ))),
    }
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

/// Go's `strconv.ParseBool` (how query booleans are bound); anything else counts as false here.
fn go_query_bool(value: &str) -> bool {
    matches!(value, "1" | "t" | "T" | "TRUE" | "true" | "True")
}

/// Recorded on v1.38.11: `includeLastUsedTime=1` also counts.
fn include_last_used(ctx: &Ctx<'_>) -> bool {
    ctx.query_value("includeLastUsedTime").is_some_and(|v| go_query_bool(&v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s6_3_query_booleans_follow_go() {
        assert!(go_query_bool("1") && go_query_bool("True") && !go_query_bool("yes"));
    }

    #[test]
    fn s6_3_a_wrongly_typed_revoke_key_is_a_binding_error() {
        assert_eq!(revoke_key(None), Ok(false));
        assert_eq!(revoke_key(Some(&json!({"revoke_key": true}))), Ok(true));
        assert_eq!(
            revoke_key(Some(&json!({"revoke_key": "yes"}))),
            Err(Error::InvalidBody(
                "json: cannot unmarshal string into Go struct field DeactivateUserBody.revoke_key of type bool".into()
            ))
        );
    }
}
