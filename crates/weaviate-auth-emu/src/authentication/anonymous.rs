//! Anonymous callers (spec 3.3): no principal at all; authorizers call them `anonymous`.
//! The gate that refuses them when anonymous access is off lives in `mod.rs`.

use crate::error::Error;
use crate::principal::Principal;

/// The principal of an endpoint that needs one (own-info): anonymous gets a 401 with an empty body.
pub fn require(principal: Option<&Principal>) -> Result<&Principal, Error> {
    principal.ok_or(Error::EmptyUnauthorized)
}
