//! Token introspection (RFC 7662, P115).

use axum::response::Response;

use crate::error::{Error, Result};
use crate::server::TenantRef;

/// `POST {issuer}/introspect`.
pub async fn handle(TenantRef(_tenant): TenantRef) -> Result<Response> {
    Err(Error::NotFound("/introspect is not implemented yet".into()))
}
