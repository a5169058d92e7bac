//! `/v1/objects` handlers: each reads its inputs and calls `crate::objects::Objects`.

use serde_json::Value;

use crate::error::Error;
use crate::rest::{Ctx, Reply};

/// `GET /v1/objects[?class=C]` (an empty `class` counts as none).
pub fn list(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    let class = ctx.query_value("class").filter(|c| !c.is_empty());
    ctx.objects().list(class.as_deref()).map(Reply::Json)
}

/// `POST /v1/objects`: a body that is not JSON is refused before the permission check.
pub fn create(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    let body = ctx.json()?.unwrap_or(Value::Null);
    ctx.objects().create(&body).map(Reply::Json)
}

/// `GET /v1/objects/{class}/{id}`.
pub fn get(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    ctx.objects().get(ctx.param(0), ctx.param(1)).map(Reply::Json)
}

/// `HEAD /v1/objects/{class}/{id}`: 204 when it exists.
pub fn head(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    ctx.objects().get(ctx.param(0), ctx.param(1))?;
    Ok(Reply::NoContent)
}

/// `PUT /v1/objects/{class}/{id}`.
pub fn replace(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    ctx.objects().replace(ctx.param(0), ctx.param(1), ctx.json()).map(Reply::Json)
}

/// `PATCH /v1/objects/{class}/{id}`: 204 when merged.
pub fn merge(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    ctx.objects().merge(ctx.param(0), ctx.param(1), ctx.json())?;
    Ok(Reply::NoContent)
}

/// `DELETE /v1/objects/{class}/{id}`.
pub fn delete(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    ctx.objects().delete(ctx.param(0), ctx.param(1))?;
    Ok(Reply::NoContent)
}

/// `GET /v1/objects/{id}`.
pub fn get_by_id(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    ctx.objects().get_by_id(ctx.param(0)).map(Reply::Json)
}

/// `DELETE /v1/objects/{id}`.
pub fn delete_by_id(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    ctx.objects().delete_by_id(ctx.param(0))?;
    Ok(Reply::NoContent)
}
