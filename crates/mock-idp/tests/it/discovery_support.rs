//! Shared helpers of the discovery and JWKS tests: seeded keys, JSON GETs, JWT verification
//! against the served JWKS and the registered metadata names.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use mock_idp::config::KeyConfig;
use mock_idp::Alg;
use serde_json::{json, Value};

/// Keys derived from `seed`, one per algorithm (RSA generation runs once per entry).
pub(crate) fn seeded_keys(seed: &str, algs: &[Alg]) -> Vec<KeyConfig> {
    algs.iter()
        .map(|a| serde_json::from_value(json!({"alg": a.as_str(), "seed": format!("{seed}/{}", a.as_str())})).unwrap())
        .collect()
}

pub(crate) async fn get_json(http: &reqwest::Client, url: &str) -> Value {
    http.get(url)
        .send()
        .await
        .expect("the provider answers")
        .json()
        .await
        .expect("a JSON body")
}

/// Verifies `jwt` against the served `jwks` (by `kid`) with the given issuer; `Err` says why not.
pub(crate) fn verify(jwt: &str, jwks: &Value, issuer: &str) -> Result<Value, String> {
    let set: JwkSet = serde_json::from_value(jwks.clone()).map_err(|e| format!("JWKS does not parse: {e}"))?;
    let h = jsonwebtoken::decode_header(jwt).map_err(|e| e.to_string())?;
    let kid = h.kid.ok_or("no kid")?;
    let jwk = set.find(&kid).ok_or_else(|| format!("kid {kid} is not in the JWKS"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut v = Validation::new(h.alg);
    v.set_issuer(&[issuer]);
    v.validate_aud = false;
    jsonwebtoken::decode::<Value>(jwt, &key, &v)
        .map(|d| d.claims)
        .map_err(|e| e.to_string())
}

/// Top-level members registered by OpenID Connect Discovery 1.0 §3, RFC 8414 §2 (and §2.1
/// `signed_metadata`), RFC 9207 §3 and RP-Initiated Logout 1.0 §2.1 (`end_session_endpoint`).
pub(crate) const REGISTERED_METADATA: [&str; 45] = [
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "registration_endpoint",
    "scopes_supported",
    "response_types_supported",
    "response_modes_supported",
    "grant_types_supported",
    "acr_values_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
    "id_token_encryption_alg_values_supported",
    "id_token_encryption_enc_values_supported",
    "userinfo_signing_alg_values_supported",
    "userinfo_encryption_alg_values_supported",
    "userinfo_encryption_enc_values_supported",
    "request_object_signing_alg_values_supported",
    "request_object_encryption_alg_values_supported",
    "request_object_encryption_enc_values_supported",
    "token_endpoint_auth_methods_supported",
    "token_endpoint_auth_signing_alg_values_supported",
    "display_values_supported",
    "claim_types_supported",
    "claims_supported",
    "service_documentation",
    "claims_locales_supported",
    "ui_locales_supported",
    "claims_parameter_supported",
    "request_parameter_supported",
    "request_uri_parameter_supported",
    "require_request_uri_registration",
    "op_policy_uri",
    "op_tos_uri",
    "revocation_endpoint",
    "revocation_endpoint_auth_methods_supported",
    "revocation_endpoint_auth_signing_alg_values_supported",
    "introspection_endpoint",
    "introspection_endpoint_auth_methods_supported",
    "introspection_endpoint_auth_signing_alg_values_supported",
    "code_challenge_methods_supported",
    "signed_metadata",
    "authorization_response_iss_parameter_supported",
    "end_session_endpoint",
];
