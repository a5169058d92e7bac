//! The JWKS endpoint (RFC 7517 §5, P27-P30): published keys only, public members only.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use crate::error::{Error, Result};
use crate::server::TenantRef;

/// `GET {issuer}/jwks`.
pub async fn handle(TenantRef(tenant): TenantRef) -> Result<Response> {
    let body = tenant.keys.read().map_err(|_| Error::Internal("key lock poisoned".into()))?.jwks();
    let mut resp = axum::Json(body).into_response();
    resp.headers_mut()
        .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*")); // P11
    Ok(resp)
}
