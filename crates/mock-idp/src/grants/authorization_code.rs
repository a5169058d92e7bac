//! Authorization code redemption (RFC 6749 §4.1.3, P64-P68) with PKCE (RFC 7636, P72-P75).

use crate::error::{Error, Result};
use crate::grants::TokenResponse;
use crate::tenant::Tenant;
use crate::token::{ClientAuth, Form};

/// Runs the authorization code grant.
pub fn grant(_tenant: &Tenant, _auth: &ClientAuth, _form: &Form) -> Result<TokenResponse> {
    Err(Error::UnsupportedGrantType("authorization_code is not implemented yet".into()))
}
