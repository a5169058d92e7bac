//! The bad-token preset catalogue (P134): one enum, each variant breaks one property.

use axum::response::Response;

use crate::error::{Error, Result};
use crate::server::TenantRef;

/// `GET {issuer}/_mock/presets`.
pub async fn list(TenantRef(_tenant): TenantRef) -> Result<Response> {
    Err(Error::NotFound("/_mock/presets is not implemented yet".into()))
}
