//! Token revocation (RFC 7009, P116).

use axum::response::Response;

use crate::error::{Error, Result};
use crate::server::TenantRef;

/// `POST {issuer}/revoke`.
pub async fn handle(TenantRef(_tenant): TenantRef) -> Result<Response> {
    Err(Error::NotFound("/revoke is not implemented yet".into()))
}
