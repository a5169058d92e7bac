//! The JWKS and signing keys: exact public members, RFC 7638 kids, every algorithm verifies,
//! client algorithms, seeded keys and rotation (P27-P35).
//!
//! Endpoint URLs come from discovery. Signatures are checked with `jsonwebtoken` against the
//! served JWKS.

use std::collections::BTreeSet;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use mock_idp::{Alg, MockIdp};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::discovery_support::{seeded_keys, verify};
use crate::support::{header, kids, Env};

/// RFC 7638 thumbprint, written here independently of the provider's own.
fn rfc7638(jwk: &Value) -> String {
    let canon = match jwk["kty"].as_str().unwrap() {
        "RSA" => json!({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}),
        "EC" => json!({"crv": jwk["crv"], "kty": "EC", "x": jwk["x"], "y": jwk["y"]}),
        _ => json!({"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]}),
    };
    // serde_json writes object keys sorted (BTreeMap) and without spaces: the RFC's form.
    B64.encode(Sha256::digest(serde_json::to_vec(&canon).unwrap()))
}

fn b64(value: &Value) -> Vec<u8> {
    B64.decode(value.as_str().expect("a string")).expect("base64url without padding")
}

#[tokio::test]
async fn p27_jwks_is_json_with_keys_and_cors() {
    let env = Env::start().await;
    let resp = env.http.get(env.endpoint("jwks_uri").await).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    let body: Value = resp.json().await.unwrap();
    assert!(!body["keys"].as_array().expect("a keys array").is_empty());
    // The set reflects a change at once.
    let count = body["keys"].as_array().unwrap().len();
    env.idp
        .first_tenant()
        .keys_mut()
        .add(mock_idp::SigningKey::from_seed("p27", Alg::ES256));
    assert_eq!(env.jwks().await["keys"].as_array().unwrap().len(), count + 1);
}

#[tokio::test]
async fn p28_to_p30_p36_key_members_are_exact_public_and_kid_is_the_thumbprint() {
    // Arrange: one key of each family from seeds.
    let env = Env::with(
        MockIdp::builder()
            .configure(|t| t.keys = seeded_keys("p28", &[Alg::RS256, Alg::ES256, Alg::ES384, Alg::EdDSA]))
            .start()
            .await,
    );
    // Act
    let jwks = env.jwks().await;
    let keys = jwks["keys"].as_array().unwrap();
    // Assert
    assert_eq!(keys.len(), 4);
    let mut kids = BTreeSet::new();
    for k in keys {
        let kid = k["kid"].as_str().expect("P30: every key has a kid");
        assert!(kids.insert(kid.to_owned()), "P30: kid {kid} is used twice");
        assert_eq!(kid, rfc7638(k), "P30: the default kid is the RFC 7638 thumbprint");
        assert_eq!(k["use"], "sig");
        assert!(k["alg"].is_string());
        for secret in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
            assert!(k.get(secret).is_none(), "P29: {secret} in {kid}");
        }
        for v in k.as_object().unwrap().values() {
            assert!(!v.as_str().unwrap_or("").contains('='), "P28: no padding");
        }
        match k["kty"].as_str().unwrap() {
            "RSA" => {
                let n = b64(&k["n"]);
                assert_ne!(n[0], 0, "P28: n has no leading zero octet");
                assert_eq!(n.len(), 256, "RSA-2048");
                assert_eq!(k["e"], "AQAB");
            }
            "EC" => {
                let want = match k["crv"].as_str().unwrap() {
                    "P-256" => 32,
                    "P-384" => 48,
                    other => panic!("P36: unexpected curve {other}"),
                };
                assert_eq!(b64(&k["x"]).len(), want, "P28: x is full length");
                assert_eq!(b64(&k["y"]).len(), want, "P28: y is full length");
            }
            "OKP" => {
                assert_eq!(k["crv"], "Ed25519", "P36");
                assert_eq!(b64(&k["x"]).len(), 32);
            }
            other => panic!("P36: unexpected kty {other}"),
        }
    }
}

#[tokio::test]
async fn p31_every_algorithm_signs_tokens_that_verify_against_the_served_jwks() {
    // Arrange: one key per algorithm (each RSA key generated once).
    let env = Env::with(
        MockIdp::builder()
            .configure(|t| t.keys = seeded_keys("p31", &Alg::ALL))
            .start()
            .await,
    );
    let jwks = env.jwks().await;
    let tenant = env.idp.first_tenant();
    let issuer = env.idp.issuer_url();
    let mut payload = serde_json::Map::new();
    payload.insert("iss".into(), json!(issuer));
    payload.insert("sub".into(), json!("p31"));
    payload.insert("exp".into(), json!(tenant.clock().now() + 300));
    for alg in Alg::ALL {
        // Act
        let jwt = {
            let ring = tenant.keys();
            let key = ring.for_alg(alg).unwrap_or_else(|| panic!("a key for {alg:?}"));
            assert_eq!(key.alg(), alg);
            key.sign(&payload, "JWT")
        };
        // Assert
        assert_eq!(header(&jwt)["alg"], alg.as_str());
        verify(&jwt, &jwks, &issuer).unwrap_or_else(|e| panic!("{alg:?} does not verify: {e}"));
        let sig = B64.decode(jwt.rsplit('.').next().unwrap()).unwrap();
        match alg {
            Alg::ES256 => assert_eq!(sig.len(), 64, "ES256 is raw R||S"),
            Alg::ES384 => assert_eq!(sig.len(), 96, "ES384 is raw R||S"),
            _ => {}
        }
        // A flipped signature byte does not verify: the check above is real.
        let mut bad = sig.clone();
        bad[0] ^= 1;
        let (signed, _) = jwt.rsplit_once('.').unwrap();
        assert!(verify(&format!("{signed}.{}", B64.encode(bad)), &jwks, &issuer).is_err(), "{alg:?}");
    }
}

#[tokio::test]
async fn p32_p33_client_algorithm_chooses_the_key_and_headers_are_clean() {
    // Arrange: the public client asks for ES256; the default signer is RS256.
    let env = Env::with(
        MockIdp::builder()
            .configure(|t| {
                if let Some(c) = t.clients.iter_mut().find(|c| c.client_id == "weaviate") {
                    c.alg = Some(Alg::ES256);
                }
            })
            .start()
            .await,
    );
    let jwks = env.jwks().await;
    // Act
    let es = env.password_tokens("admin", "admin-pass").await;
    let (_, rs) = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "ci-runner"),
            ("client_secret", "ci-runner-secret"),
        ])
        .await;
    // Assert
    for (jwt, alg) in [
        (&es["id_token"], "ES256"),
        (&es["access_token"], "ES256"),
        (&rs["access_token"], "RS256"),
    ] {
        let jwt = jwt.as_str().unwrap();
        let h = header(jwt);
        assert_eq!(h["alg"], alg);
        let names: BTreeSet<&str> = h.as_object().unwrap().keys().map(String::as_str).collect();
        assert!(names.is_subset(&["alg", "kid", "typ"].into_iter().collect()), "P33: {h}");
        verify(jwt, &jwks, &env.idp.issuer_url()).expect("the signing key is published");
    }
}

#[tokio::test]
async fn p34_same_seed_gives_the_same_kids_across_starts_and_keys_are_ready_at_start() {
    // Arrange
    let algs = [Alg::RS256, Alg::ES256, Alg::EdDSA];
    // Act
    let one = Env::with(MockIdp::builder().configure(|t| t.keys = seeded_keys("p34", &algs)).start().await);
    let first = kids(&one.jwks().await);
    drop(one);
    let two = Env::with(MockIdp::builder().configure(|t| t.keys = seeded_keys("p34", &algs)).start().await);
    let other = Env::with(
        MockIdp::builder()
            .configure(|t| t.keys = seeded_keys("p34-other", &algs))
            .start()
            .await,
    );
    // Assert
    assert_eq!(first.len(), 3, "all keys are published as soon as start returns");
    assert_eq!(kids(&two.jwks().await), first);
    let other_kids = kids(&other.jwks().await);
    assert!(other_kids.iter().all(|k| !first.contains(k)), "another seed gives other keys");
}

#[tokio::test]
async fn p35_after_a_rotation_new_tokens_use_the_new_kid_and_old_tokens_still_verify() {
    // Arrange
    let env = Env::start().await;
    let old = env.password_tokens("admin", "admin-pass").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let tenant = env.idp.first_tenant();
    let new_key = mock_idp::SigningKey::from_seed("p35", Alg::RS256);
    let new_kid = new_key.kid().as_str().to_owned();
    // Act: rotation = add, make it the signer, keep the old one published.
    {
        let mut ring = tenant.keys_mut();
        ring.add(new_key);
        assert!(ring.activate(&new_kid));
    }
    let fresh = env.password_tokens("admin", "admin-pass").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let jwks = env.jwks().await;
    // Assert
    assert_eq!(header(&fresh)["kid"], new_kid.as_str());
    assert_ne!(header(&old)["kid"], header(&fresh)["kid"]);
    verify(&fresh, &jwks, &env.idp.issuer_url()).expect("new tokens verify");
    verify(&old, &jwks, &env.idp.issuer_url()).expect("old tokens verify during the overlap");
}
