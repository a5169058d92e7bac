//! The HTML login page and its form (P98, P152).

use axum::response::Response;

use crate::error::{Error, Result};
use crate::server::TenantRef;

/// `POST {issuer}/login`.
pub async fn handle(TenantRef(_tenant): TenantRef) -> Result<Response> {
    Err(Error::NotFound("/login is not implemented yet".into()))
}
