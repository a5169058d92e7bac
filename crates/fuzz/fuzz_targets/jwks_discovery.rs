//! The relying-party side's JSON parsers (R3): arbitrary bytes read as a JWKS with
//! `jsonwebtoken::jwk::JwkSet` (each key then turned into a `DecodingKey`, as a verifier
//! would) and as a discovery document with `openidconnect`'s `CoreProviderMetadata`.
#![no_main]

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::DecodingKey;
use libfuzzer_sys::fuzz_target;
use openidconnect::core::CoreProviderMetadata;

fuzz_target!(|data: &[u8]| {
    if let Ok(set) = serde_json::from_slice::<JwkSet>(data) {
        for jwk in &set.keys {
            let _ = DecodingKey::from_jwk(jwk);
        }
    }
    let _ = serde_json::from_slice::<CoreProviderMetadata>(data);
});
