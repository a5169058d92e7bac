//! The emulation's bearer extraction (`extract_bearer`: header, `access_token` query, form body)
//! and the malformed-JWT rule that picks API key or OIDC: any bytes as the Authorization header,
//! the query and the body give a token or none, never a panic; a found token is non-empty.
#![no_main]

use axum::http::{HeaderMap, HeaderValue, Method};
use libfuzzer_sys::fuzz_target;
use weaviate_auth_emu::authentication::{extract_bearer, is_malformed_jwt};

fuzz_target!(|data: &[u8]| {
    // Split the input into header value, query and body at the first two NUL bytes.
    let mut parts = data.splitn(3, |b| *b == 0);
    let header = parts.next().unwrap_or_default();
    let query = parts.next().map(String::from_utf8_lossy);
    let body = parts.next().unwrap_or_default();
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_bytes(header) {
        headers.insert(axum::http::header::AUTHORIZATION, v);
    }
    for method in [Method::GET, Method::POST] {
        if let Some(token) = extract_bearer(&method, &headers, query.as_deref(), body) {
            assert!(!token.is_empty(), "an empty token was extracted");
            let _ = is_malformed_jwt(&token);
        }
    }
});
