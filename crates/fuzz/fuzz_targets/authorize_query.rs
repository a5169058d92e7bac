//! The authorization endpoint's parameter handling (R3): the query string is parsed with
//! `Form::parse`, exactly as `GET {issuer}/authorize` does, then checked by
//! `authorize::validate` against the built-in tenant. Never a panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mock_idp::internals::validate;
use mock_idp::internals::Form;

fuzz_target!(|data: &[u8]| {
    let tenant = oidc_harness_fuzz::tenant();
    if let Ok(form) = Form::parse(data) {
        let _ = validate(&tenant, &form);
    }
});
