//! Refresh token grant (RFC 6749 §6, P76-P83): rotation, reuse detection, family revocation.

use crate::error::{Error, Result};
use crate::grants::TokenResponse;
use crate::tenant::Tenant;
use crate::token::{ClientAuth, Form};

/// Runs the refresh token grant.
pub fn grant(_tenant: &Tenant, _auth: &ClientAuth, _form: &Form) -> Result<TokenResponse> {
    Err(Error::UnsupportedGrantType("refresh_token is not implemented yet".into()))
}
