//! Token-endpoint form body and HTTP Basic client credentials (R3): `Form::parse` and
//! `basic_credentials` on arbitrary bytes must answer `Ok` or a protocol error, never panic.
#![no_main]

use axum::http::{header, HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use mock_idp::internals::{basic_credentials, Form};

fuzz_target!(|data: &[u8]| {
    if let Ok(form) = Form::parse(data) {
        // Every value the parser kept is non-empty and within the P157 limit.
        for (_, v) in form.iter() {
            assert!(!v.is_empty() && v.len() <= mock_idp::internals::MAX_PARAM_BYTES);
        }
    }
    // The same bytes as the Authorization header value, raw and behind a Basic scheme.
    for value in [data.to_vec(), [b"Basic ".as_slice(), data].concat()] {
        if let Ok(v) = HeaderValue::from_bytes(&value) {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, v);
            let _ = basic_credentials(&headers);
        }
    }
});
