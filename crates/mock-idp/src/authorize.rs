//! The authorization endpoint (OIDC Core §3.1.2, §3.2.2, §3.3.2; P84-P100).

use axum::response::Response;

use crate::error::{Error, Result};
use crate::server::TenantRef;

/// `GET {issuer}/authorize`.
pub async fn handle_get(TenantRef(_tenant): TenantRef) -> Result<Response> {
    Err(Error::NotFound("/authorize is not implemented yet".into()))
}

/// `POST {issuer}/authorize`.
pub async fn handle_post(TenantRef(_tenant): TenantRef) -> Result<Response> {
    Err(Error::NotFound("/authorize is not implemented yet".into()))
}
