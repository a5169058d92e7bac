//! The preset catalogue (P134): complete, one property changed each, deterministic, and a listing
//! that carries a relying party's expectations only when the embedding program supplies them.
//! What Weaviate answers to each preset is checked against the emulation and the real server
//! (the root `tests/it/presets.rs`, with the conformance crate's outcome table).

use std::collections::{BTreeMap, HashSet};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey};
use mock_idp::{MockIdp, Preset, TokenBuilder, TokenKind};
use serde_json::{json, Map, Value};

use crate::mint::*;
use crate::support::{claims, header, Env};

// ---------------------------------------------------------------------------------------------
// P134: the preset catalogue
// ---------------------------------------------------------------------------------------------

async fn listing(env: &Env) -> Vec<Value> {
    let url = mock_url(env, "presets").await;
    let body: Value = env.http.get(url).send().await.unwrap().json().await.unwrap();
    body["presets"].as_array().expect("a presets array").clone()
}

#[tokio::test]
async fn p134_listing_is_complete_and_names_are_unique() {
    let env = Env::start().await;
    let list = listing(&env).await;
    let names: Vec<String> = list.iter().map(|p| s(p, "name")).collect();
    let unique: HashSet<&String> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "names are unique");
    assert_eq!(
        names,
        Preset::ALL.iter().map(|p| p.name()).collect::<Vec<_>>(),
        "every preset is listed, in order"
    );
    for p in &list {
        assert!(!s(p, "description").is_empty() && !s(p, "attack").is_empty(), "{p}");
        // The provider knows no relying party: no expectations unless the program supplies them.
        let keys: Vec<&String> = p.as_object().expect("an object").keys().collect();
        assert_eq!(keys, ["aliases", "attack", "description", "name"], "{p}");
    }
    // The minimum set of P134 is there.
    for required in [
        "expired",
        "expires-soon",
        "exp-missing",
        "exp-null",
        "exp-string",
        "exp-float",
        "exp-huge",
        "not-yet-valid",
        "nbf-within-skew",
        "nbf-string",
        "iat-future",
        "wrong-issuer",
        "issuer-slash-toggled",
        "issuer-case",
        "issuer-scheme",
        "iss-missing",
        "wrong-audience",
        "aud-missing",
        "aud-array-with-client",
        "aud-array-without-client",
        "aud-empty-array",
        "aud-number",
        "azp-mismatch",
        "bad-signature",
        "signature-truncated",
        "signature-padded",
        "payload-tampered",
        "alg-none",
        "hs256-public-key",
        "alg-not-advertised",
        "alg-key-mismatch",
        "forged-key-real-kid",
        "unknown-kid",
        "kid-missing",
        "jku",
        "x5u",
        "embedded-jwk",
        "x5c",
        "two-parts",
        "four-parts",
        "empty-signature",
        "username-missing",
        "username-not-string",
        "groups-as-string",
        "groups-missing",
        "sub-missing",
        "duplicate-claim",
        "duplicate-header",
        "es256-der",
        "es256-high-s",
        "es256-zero",
        "oversized",
        "retired-key",
        "at-jwt",
    ] {
        assert!(names.iter().any(|n| n == required), "{required} is missing");
    }
    assert!(names.iter().any(|n| n.starts_with("kid-injection")) && names.iter().any(|n| n.starts_with("crit")));
    // The snake_case aliases of the issue text work as input.
    for alias in [
        "expired",
        "not_yet_valid",
        "wrong_issuer",
        "wrong_audience",
        "bad_signature",
        "unknown_kid",
        "alg_none",
        "hs256_with_public_key",
        "missing_username_claim",
        "groups_as_string",
    ] {
        mint_ok(&env, json!({ "preset": alias })).await;
    }
}

#[tokio::test]
async fn p134_listing_carries_the_expectations_the_program_supplies() {
    let env = Env::with(
        MockIdp::builder()
            .preset_expectations(|p| {
                let mut m = Map::new();
                m.insert("expected_status".into(), json!(if p == Preset::ExpiresSoon { 200 } else { 401 }));
                m.insert("expected".into(), json!(format!("outcome of {p}")));
                m
            })
            .start()
            .await,
    );
    let list = listing(&env).await;
    assert_eq!(list.len(), Preset::ALL.len());
    for (entry, p) in list.iter().zip(Preset::ALL) {
        assert_eq!(s(entry, "name"), p.name());
        assert_eq!(s(entry, "description"), p.spec().description, "the catalogue's members are kept");
        assert_eq!(s(entry, "expected"), format!("outcome of {p}"));
        let want = if p == Preset::ExpiresSoon { 200 } else { 401 };
        assert_eq!(entry["expected_status"], want, "{entry}");
    }
}

#[derive(Clone, Copy, Debug)]
enum Sig {
    /// Verifies with the tenant's real key (under the token's own RSA algorithm).
    Real,
    /// Does not verify with the real key.
    NotReal,
    /// Checked by hand below.
    Custom,
}

/// What each preset changes: header members, claims, and what becomes of the signature.
fn one_property_table() -> BTreeMap<&'static str, (&'static [&'static str], &'static [&'static str], Sig)> {
    use Sig::*;
    let none: &[&str] = &[];
    BTreeMap::from([
        ("expired", (none, &["exp"][..], Real)),
        ("expires-soon", (none, &["exp"][..], Real)),
        ("exp-missing", (none, &["exp"][..], Real)),
        ("exp-null", (none, &["exp"][..], Real)),
        ("exp-string", (none, &["exp"][..], Real)),
        ("exp-float", (none, &["exp"][..], Real)),
        ("exp-huge", (none, &["exp"][..], Real)),
        ("not-yet-valid", (none, &["nbf"][..], Real)),
        ("nbf-within-skew", (none, &["nbf"][..], Real)),
        ("nbf-string", (none, &["nbf"][..], Real)),
        ("iat-future", (none, &["iat"][..], Real)),
        ("wrong-issuer", (none, &["iss"][..], Real)),
        ("issuer-slash-toggled", (none, &["iss"][..], Real)),
        ("issuer-case", (none, &["iss"][..], Real)),
        ("issuer-scheme", (none, &["iss"][..], Real)),
        ("iss-missing", (none, &["iss"][..], Real)),
        ("wrong-audience", (none, &["aud"][..], Real)),
        ("aud-missing", (none, &["aud"][..], Real)),
        ("aud-array-with-client", (none, &["aud"][..], Real)),
        ("aud-array-without-client", (none, &["aud"][..], Real)),
        ("aud-empty-array", (none, &["aud"][..], Real)),
        ("aud-number", (none, &["aud"][..], Real)),
        ("azp-mismatch", (none, &["aud", "azp"][..], Real)),
        ("bad-signature", (none, none, Custom)),
        ("signature-truncated", (none, none, Custom)),
        ("signature-padded", (none, none, Custom)),
        ("payload-tampered", (none, &["groups"][..], Custom)),
        ("alg-none", (&["alg"][..], none, Custom)),
        ("alg-none-capitalized", (&["alg"][..], none, Custom)),
        ("alg-none-upper", (&["alg"][..], none, Custom)),
        ("alg-none-mixed", (&["alg"][..], none, Custom)),
        ("alg-none-signed", (&["alg"][..], none, Custom)),
        ("hs256-public-key", (&["alg"][..], none, Custom)),
        ("hs256-public-key-der", (&["alg"][..], none, Custom)),
        ("hs256-public-key-n", (&["alg"][..], none, Custom)),
        ("alg-not-advertised", (&["alg"][..], none, Real)),
        ("alg-key-mismatch", (&["alg"][..], none, NotReal)),
        ("forged-key-real-kid", (none, none, NotReal)),
        ("unknown-kid", (&["kid"][..], none, NotReal)),
        ("kid-missing", (&["kid"][..], none, Real)),
        ("kid-injection-path", (&["kid"][..], none, Real)),
        ("kid-injection-sql", (&["kid"][..], none, Real)),
        ("kid-injection-huge", (&["kid"][..], none, Real)),
        ("kid-injection-binary", (&["kid"][..], none, Real)),
        ("kid-injection-object", (&["kid"][..], none, Real)),
        ("jku", (&["jku", "kid"][..], none, NotReal)),
        ("x5u", (&["kid", "x5u"][..], none, NotReal)),
        ("embedded-jwk", (&["jwk", "kid"][..], none, NotReal)),
        ("x5c", (&["kid", "x5c"][..], none, NotReal)),
        ("crit-exp", (&["crit"][..], none, Real)),
        ("crit-unknown", (&["crit", "x-unknown"][..], none, Real)),
        ("crit-empty", (&["crit"][..], none, Real)),
        ("crit-b64", (&["b64", "crit"][..], none, Real)),
        ("two-parts", (none, none, Custom)),
        ("four-parts", (none, none, Custom)),
        ("empty-signature", (none, none, Custom)),
        ("username-missing", (none, &["email", "preferred_username"][..], Real)),
        ("username-not-string", (none, &["email", "preferred_username"][..], Real)),
        ("groups-as-string", (none, &["groups"][..], Real)),
        ("groups-missing", (none, &["groups"][..], Real)),
        ("sub-missing", (none, &["sub"][..], Real)),
        ("duplicate-claim", (none, &["preferred_username"][..], Real)),
        ("duplicate-header", (&["alg"][..], none, Real)),
        ("es256-der", (none, none, Custom)),
        ("es256-high-s", (none, none, Custom)),
        ("es256-zero", (none, none, Custom)),
        ("oversized", (none, &["pad"][..], Real)),
        ("retired-key", (&["kid"][..], none, NotReal)),
        ("at-jwt", (&["typ"][..], none, Real)),
    ])
}

fn lenient_object(segment: &str) -> Map<String, Value> {
    let bytes = B64.decode(segment.trim_end_matches('=')).unwrap_or_default();
    members(&bytes).map(|m| m.into_iter().collect()).unwrap_or_default()
}

fn changed(a: &Map<String, Value>, b: &Map<String, Value>) -> Vec<String> {
    let mut out: Vec<String> = a.keys().chain(b.keys()).filter(|k| a.get(*k) != b.get(*k)).cloned().collect();
    out.sort();
    out.dedup();
    out
}

fn verifies(token: &str, key: &DecodingKey, alg: Algorithm) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    parts.len() == 3
        && jsonwebtoken::crypto::verify(
            parts[2].trim_end_matches('='),
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            key,
            alg,
        )
        .unwrap_or(false)
}

#[tokio::test]
async fn p134_every_preset_changes_one_property_and_keeps_the_rest() {
    let env = Env::start().await;
    let tenant = env.idp.first_tenant();
    tenant.clock().freeze();
    let keys = env.jwks().await;
    let key_of = |kid: &Value| -> DecodingKey {
        let jwk = keys["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| &k["kid"] == kid)
            .expect("kid in JWKS");
        DecodingKey::from_jwk(&serde_json::from_value(jwk.clone()).unwrap()).unwrap()
    };
    // jti is random per token: fix it, so that the baseline and the preset token are comparable.
    let request = |preset: Option<&str>, alg: &str| {
        let mut b = json!({"tokens": ["access_token"], "claims": {"jti": "fixed-jti"}, "alg": alg});
        if let Some(p) = preset {
            b["preset"] = json!(p);
        }
        b
    };
    let table = one_property_table();
    let (pem, der, n) = {
        let ring = tenant.keys();
        let k = ring.active();
        (
            k.public_pem().into_bytes(),
            k.public_der(),
            B64.decode(k.public_jwk()["n"].as_str().unwrap()).unwrap(),
        )
    };
    for entry in listing(&env).await {
        let name = s(&entry, "name");
        let (hdr, cls, sig) = *table
            .get(name.as_str())
            .unwrap_or_else(|| panic!("preset {name} has no one-property check"));
        let alg = if name.starts_with("es256") { "ES256" } else { "RS256" };
        let base = s(&mint_ok(&env, request(None, alg)).await, "access_token");
        let bad = s(&mint_ok(&env, request(Some(&name), alg)).await, "access_token");
        let b: Vec<&str> = base.split('.').collect();
        let x: Vec<&str> = bad.split('.').collect();
        let (bh, bc) = (lenient_object(b[0]), lenient_object(b[1]));
        let (xh, xc) = (lenient_object(x[0]), lenient_object(x.get(1).copied().unwrap_or("")));
        assert_eq!(changed(&bh, &xh), hdr, "{name}: header members changed");
        assert_eq!(changed(&bc, &xc), cls, "{name}: claims changed");
        let real = key_of(&bh["kid"]);
        let own_alg = xh.get("alg").and_then(Value::as_str).and_then(|a| a.parse::<Algorithm>().ok());
        let rsa_alg = own_alg.filter(|a| {
            matches!(
                a,
                Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512 | Algorithm::PS256 | Algorithm::PS384 | Algorithm::PS512
            )
        });
        let check_alg = if alg == "ES256" {
            Algorithm::ES256
        } else {
            rsa_alg.unwrap_or(Algorithm::RS256)
        };
        match sig {
            Sig::Real => assert!(verifies(&bad, &real, check_alg), "{name}: the real key signs it"),
            Sig::NotReal => assert!(!verifies(&bad, &real, check_alg), "{name}: the real key does not sign it"),
            Sig::Custom => {}
        }
        let bsig = B64.decode(b[2]).unwrap();
        let xsig = x
            .get(2)
            .map(|s| B64.decode(s.trim_end_matches('=')).unwrap_or_default())
            .unwrap_or_default();
        match name.as_str() {
            "bad-signature" => {
                assert_eq!((x[0], x[1]), (b[0], b[1]), "{name}");
                let bits: u32 = bsig.iter().zip(&xsig).map(|(p, q)| (p ^ q).count_ones()).sum();
                assert_eq!((bits, bsig.len()), (1, xsig.len()), "{name}: one bit flipped");
            }
            "signature-truncated" => {
                assert_eq!((x[0], x[1]), (b[0], b[1]), "{name}");
                assert_eq!(xsig, bsig[..bsig.len() - 1], "{name}: the last byte cut");
            }
            "signature-padded" => assert_eq!(bad, format!("{base}="), "{name}"),
            "payload-tampered" => assert_eq!((x[0], x[2]), (b[0], b[2]), "{name}: header and signature kept"),
            "alg-none" | "alg-none-capitalized" | "alg-none-upper" | "alg-none-mixed" => assert_eq!(x[2], "", "{name}"),
            "alg-none-signed" => assert_eq!(x[2], b[2], "{name}: the original signature kept"),
            "hs256-public-key" | "hs256-public-key-der" | "hs256-public-key-n" => {
                let secret = match name.as_str() {
                    "hs256-public-key" => &pem,
                    "hs256-public-key-der" => &der,
                    _ => &n,
                };
                assert!(
                    verifies(&bad, &DecodingKey::from_secret(secret), Algorithm::HS256),
                    "{name}: HMAC under the public key"
                );
                assert!(!verifies(&bad, &DecodingKey::from_secret(b"other"), Algorithm::HS256));
            }
            "two-parts" => assert_eq!(bad, format!("{}.{}", b[0], b[1]), "{name}"),
            "four-parts" => assert_eq!((x.len(), &x[..3]), (4, &b[..]), "{name}"),
            "empty-signature" => assert_eq!(bad, format!("{}.{}.", b[0], b[1]), "{name}"),
            "es256-der" => {
                assert!(!verifies(&bad, &real, Algorithm::ES256));
                let der = p256::ecdsa::Signature::from_der(&xsig).expect("a DER ECDSA signature");
                let raw = base.replace(b[2], &B64.encode(der.to_bytes()));
                assert!(verifies(&raw, &real, Algorithm::ES256), "{name}: the DER holds the real signature");
            }
            "es256-high-s" => {
                assert!(verifies(&bad, &real, Algorithm::ES256), "{name}: still a valid signature");
                let high = p256::ecdsa::Signature::from_slice(&xsig).unwrap();
                assert!(high.normalize_s().is_some(), "{name}: s is the high one");
            }
            "es256-zero" => assert_eq!(xsig, vec![0u8; 64], "{name}"),
            "duplicate-claim" => {
                let payload = String::from_utf8(B64.decode(x[1]).unwrap()).unwrap();
                assert_eq!(payload.matches("\"preferred_username\"").count(), 2, "{name}: {payload}");
            }
            "duplicate-header" => {
                let h = String::from_utf8(B64.decode(x[0]).unwrap()).unwrap();
                assert_eq!(h.matches("\"alg\"").count(), 2, "{name}: {h}");
            }
            "oversized" => assert!((17 * 1024..17 * 1024 + 8).contains(&bad.len()), "{name}: {} bytes", bad.len()),
            _ => {}
        }
    }
}

#[tokio::test]
async fn p134_preset_parameters_and_the_retired_key() {
    let env = Env::start().await;
    let tenant = env.idp.first_tenant();
    tenant.clock().freeze();
    let now = idp_now(&env.idp);
    let c = claims(&s(
        &mint_ok(&env, json!({"preset": "expired", "preset_seconds": 30})).await,
        "access_token",
    ));
    assert_eq!(c["exp"].as_i64(), Some(now - 30));
    let c = claims(&s(
        &mint_ok(&env, json!({"preset": "expires-soon", "preset_seconds": 7})).await,
        "access_token",
    ));
    assert_eq!(c["exp"].as_i64(), Some(now + 7));
    let t = s(
        &mint_ok(&env, json!({"preset": "oversized", "preset_size": 40_000})).await,
        "access_token",
    );
    assert!((40_000..40_008).contains(&t.len()), "{}", t.len());
    let t = s(
        &mint_ok(&env, json!({"preset": "jku", "preset_url": "http://127.0.0.1:9/keys"})).await,
        "access_token",
    );
    assert_eq!(header(&t)["jku"], "http://127.0.0.1:9/keys");
    // With a key of the tenant left out of the JWKS, retired-key signs with that one.
    let hidden = {
        let mut k = mock_idp::SigningKey::from_seed("p134 retired", mock_idp::Alg::RS256);
        k.published = false;
        let kid = k.kid().as_str().to_owned();
        tenant.keys_mut().add(k);
        kid
    };
    let t = s(&mint_ok(&env, json!({"preset": "retired-key"})).await, "access_token");
    assert_eq!(header(&t)["kid"], hidden.as_str());
    assert!(env.jwks().await["keys"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k["kid"] != hidden.as_str()));
    // es256-* need an ES256 key: a tenant without one gets a 400 naming the preset.
    let rsa_only = Env::with(
        MockIdp::builder()
            .configure(|t| t.keys.retain(|k| k.alg == mock_idp::Alg::RS256))
            .start()
            .await,
    );
    let (status, body) = mint(&rsa_only, json!({"preset": "es256-zero"})).await;
    assert_eq!(status, 400, "{body}");
    mint_ok(&rsa_only, json!({"preset": "expired"})).await;
}

#[tokio::test]
async fn p134_presets_are_deterministic() {
    let env = Env::start().await;
    env.idp.first_tenant().clock().freeze();
    for p in Preset::ALL {
        if p.name().starts_with("es256") || p == Preset::AlgNotAdvertised || p == Preset::AlgKeyMismatch {
            continue; // ECDSA nonces and RSA-PSS salts are random; their shape is checked above.
        }
        let req = || TokenBuilder::new().tokens([TokenKind::AccessToken]).claim("jti", "j").preset(p);
        let a = env.idp.mint(req()).unwrap().access_token;
        let b = env.idp.mint(req()).unwrap().access_token;
        assert_eq!(a, b, "{p}");
    }
}
