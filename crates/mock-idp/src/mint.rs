//! Token minting without a login (P131-P133): `TokenBuilder` in Rust, `POST {issuer}/_mock/mint`.

use axum::response::Response;

use crate::error::{Error, Result};
use crate::server::TenantRef;

/// `POST {issuer}/_mock/mint`.
pub async fn handle(TenantRef(_tenant): TenantRef) -> Result<Response> {
    Err(Error::NotFound("/_mock/mint is not implemented yet".into()))
}
