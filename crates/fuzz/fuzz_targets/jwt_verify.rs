//! The provider's own JWT verification path (`verify_own_token`, used by userinfo,
//! introspection and revocation; R3): arbitrary strings against the built-in tenant's keys
//! must be refused (a forgery would need a signature) and must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mock_idp::internals::verify_own_token;

fuzz_target!(|data: &[u8]| {
    let tenant = oidc_harness_fuzz::tenant();
    let text = String::from_utf8_lossy(data);
    assert!(
        verify_own_token(&tenant, &text).is_err(),
        "an arbitrary input verified as a token of the built-in tenant"
    );
});
