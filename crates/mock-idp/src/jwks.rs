//! The JWKS endpoint (RFC 7517 §5, P27-P30): published keys only, public members only. The
//! serialised set is kept until the key ring changes.

use axum::response::Response;

use crate::error::{Error, Result};
use crate::extract::TenantRef;
use crate::tenant::Tenant;

/// `GET {issuer}/jwks`.
pub async fn handle(TenantRef(tenant): TenantRef) -> Result<Response> {
    answer(&tenant)
}

/// The JWKS answer of `tenant`: the handler's work, which the middleware also calls directly.
pub fn answer(tenant: &Tenant) -> Result<Response> {
    let keys = tenant.keys();
    let body = tenant.jwks_body().get_or_build(keys.generation(), || {
        serde_json::to_vec(&keys.jwks()).map_err(|e| Error::Internal(format!("JWKS serialisation: {e}")))
    })?;
    drop(keys);
    Ok(crate::discovery::json_bytes_response(body))
}
