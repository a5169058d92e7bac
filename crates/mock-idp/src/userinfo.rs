//! The userinfo endpoint (OIDC Core §5.3, RFC 6750; P110-P114).

use axum::response::Response;

use crate::error::{Error, Result};
use crate::server::TenantRef;

/// `GET {issuer}/userinfo`.
pub async fn handle_get(TenantRef(_tenant): TenantRef) -> Result<Response> {
    Err(Error::NotFound("/userinfo is not implemented yet".into()))
}

/// `POST {issuer}/userinfo`.
pub async fn handle_post(TenantRef(_tenant): TenantRef) -> Result<Response> {
    Err(Error::NotFound("/userinfo is not implemented yet".into()))
}
