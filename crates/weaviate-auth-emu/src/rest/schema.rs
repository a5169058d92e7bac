//! `/v1/schema` handlers: each reads its inputs and calls `crate::schema::Schema`.

use crate::error::Error;
use crate::rest::{Ctx, Reply};

/// `GET /v1/schema`.
pub fn list(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    Ok(Reply::Json(ctx.schema().list()))
}

/// `POST /v1/schema`: a body that is not JSON is refused before the permission check.
pub fn create(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    let body = ctx.json()?;
    ctx.schema().create(body).map(Reply::Json)
}

/// `GET /v1/schema/{class}`.
pub fn get(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    ctx.schema().get(ctx.param(0)).map(Reply::Json)
}

/// `PUT /v1/schema/{class}`.
pub fn update(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    ctx.schema().update(ctx.param(0), ctx.json()).map(Reply::Json)
}

/// `POST /v1/schema/{class}/properties`.
pub fn add_property(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    ctx.schema().add_property(ctx.param(0), ctx.json()).map(Reply::Json)
}

/// `DELETE /v1/schema/{class}`.
pub fn delete(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    ctx.schema().delete(ctx.param(0))?;
    Ok(Reply::Empty)
}
