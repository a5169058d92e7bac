//! RP-Initiated Logout 1.0 (P117).

use axum::response::Response;

use crate::error::{Error, Result};
use crate::server::TenantRef;

/// `GET {issuer}/logout`.
pub async fn handle_get(TenantRef(_tenant): TenantRef) -> Result<Response> {
    Err(Error::NotFound("/logout is not implemented yet".into()))
}

/// `POST {issuer}/logout`.
pub async fn handle_post(TenantRef(_tenant): TenantRef) -> Result<Response> {
    Err(Error::NotFound("/logout is not implemented yet".into()))
}
