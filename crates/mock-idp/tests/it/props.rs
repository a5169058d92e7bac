//! Property tests (attacks.md R4, with proptest): minted tokens verify, single-bit damage is
//! refused, parsers never panic on arbitrary input, `at_hash` / `c_hash` / PKCE S256 agree
//! with a computation written here, and the `exp` boundary is go-oidc's.
//!
//! Each property runs `PROPTEST_CASES` cases (256 when unset, so the suite stays quick on two
//! cores; R4 asks for 10,000 in CI: `PROPTEST_CASES=10000 cargo test -p mock-idp --test it
//! props`). The random source is seeded with a fixed value, so a failure repeats on every run;
//! set `PROPTEST_RNG_SEED` (a number) to explore other inputs. Providers and keys are made once
//! per test, never per case.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Request};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use mock_idp::internals::half_hash;
use mock_idp::internals::{authorize, reply_params, Outcome};
use mock_idp::internals::{basic_credentials, exchange, Form, MAX_PARAM_BYTES};
use mock_idp::internals::{bearer_token, verify_own_token};
use mock_idp::{Alg, ClockMode, Config, MockIdp, Tenant, TokenBuilder, TokenKind};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config as RunnerConfig, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};
use sha2::{Digest, Sha256, Sha384, Sha512};
use tower::ServiceExt;

use crate::support::Env;

/// Cases per property when `PROPTEST_CASES` is not set.
const DEFAULT_CASES: u32 = 256;

/// A runner with the case count of the module doc and a fixed seed.
fn runner() -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    let seed: u64 = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x6f69_6463_2d68_6172); // "oidc-har"
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = RunnerConfig {
        cases,
        failure_persistence: None,
        ..RunnerConfig::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

/// Runs `test` over `strategy` and fails the Rust test with proptest's minimal input.
fn check<S: Strategy>(strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    if let Err(e) = runner().run(&strategy, test) {
        panic!("{e}");
    }
}

/// A runtime for the few async steps (start, HTTP); property cases themselves are sync.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime for the property tests builds")
}

/// Every algorithm a key of the built-in tenant signs with (ES384 has no key there).
fn signing_algs() -> Vec<Alg> {
    vec![
        Alg::RS256,
        Alg::RS384,
        Alg::RS512,
        Alg::PS256,
        Alg::PS384,
        Alg::PS512,
        Alg::ES256,
        Alg::EdDSA,
    ]
}

/// Arbitrary JSON: null, booleans, integers, fractions, any string (unicode, controls,
/// quotes), nested arrays and objects up to depth 3. Fractions keep to 15 significant digits:
/// serde_json without `float_roundtrip` may read a 17-digit float back one ULP off, which is
/// the test decoder's rounding, not the provider's (it prints shortest round-trip digits).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-(1i64 << 40)..(1i64 << 40)).prop_map(|n| Value::from(n as f64 / 8.0)),
        any::<String>().prop_map(Value::String),
        "\\PC{0,24}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A claim name the test can set freely: not a registered claim and not the groups claim,
/// whose values the test checks separately.
fn claim_name() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z][a-z0-9_]{0,10}", "\\PC{1,10}", any::<String>()].prop_filter("a registered or checked claim", |n| {
        !mock_idp::internals::REGISTERED.contains(&n.as_str()) && n != "groups"
    })
}

/// What case (a) mints: custom claims, groups, audiences, subject and algorithm.
#[derive(Debug, Clone)]
struct Minted {
    claims: BTreeMap<String, Value>,
    groups: Vec<String>,
    audiences: Vec<String>,
    sub: String,
    alg: Alg,
}

fn minted() -> impl Strategy<Value = Minted> {
    (
        prop::collection::btree_map(claim_name(), json_value(), 0..6),
        prop::collection::vec(any::<String>(), 0..5),
        prop::collection::vec(any::<String>(), 1..4),
        "\\PC{1,40}",
        prop::sample::select(signing_algs()),
    )
        .prop_map(|(claims, groups, audiences, sub, alg)| Minted {
            claims,
            groups,
            audiences,
            sub,
            alg,
        })
}

/// The JWKS as served (fetched over HTTP once), and the issuer.
fn served_jwks(rt: &tokio::runtime::Runtime, env: &Env) -> JwkSet {
    rt.block_on(async {
        let url = env.endpoint("jwks_uri").await;
        let body: Value = reqwest::get(url).await.expect("jwks answers").json().await.expect("jwks is JSON");
        serde_json::from_value(body).expect("the served JWKS parses as a jsonwebtoken JwkSet")
    })
}

/// Verifies `token` with jsonwebtoken against the served key named by its `kid`.
fn jsonwebtoken_verify(jwks: &JwkSet, token: &str, alg: Alg, issuer: &str, aud: &[String]) -> Result<Value, String> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
    let kid = header.kid.ok_or("no kid")?;
    let jwk = jwks.find(&kid).ok_or("kid not in the served JWKS")?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut v = Validation::new(mock_idp::internals::to_jwt_alg(alg));
    v.set_issuer(&[issuer]);
    v.set_audience(aud);
    jsonwebtoken::decode::<Value>(token, &key, &v)
        .map(|d| d.claims)
        .map_err(|e| e.to_string())
}

#[test]
fn r4a_p131_tokens_minted_with_arbitrary_valid_claims_verify_here_and_with_jsonwebtoken() {
    let rt = runtime();
    let env = rt.block_on(Env::start());
    let jwks = served_jwks(&rt, &env);
    let tenant = env.idp.first_tenant();
    let issuer = env.idp.issuer_url();
    check(minted(), |m| {
        let mut b = TokenBuilder::new()
            .user("admin")
            .subject(m.sub.clone())
            .audiences(m.audiences.clone())
            .groups(m.groups.clone())
            .alg(m.alg)
            .tokens([TokenKind::AccessToken, TokenKind::IdToken]);
        for (k, v) in &m.claims {
            b = b.claim(k.clone(), v.clone());
        }
        let tokens = env.idp.mint(b).map_err(|e| TestCaseError::fail(format!("mint refused: {e}")))?;
        let at = tokens.access_token.expect("an access token was asked for");
        let id = tokens.id_token.expect("an ID token was asked for");
        let client_aud = vec!["weaviate".to_owned()];
        for (name, token, aud) in [("access", &at, &m.audiences), ("id", &id, &client_aud)] {
            let ours = verify_own_token(&tenant, token).map_err(|e| TestCaseError::fail(format!("{name} token refused: {e}")))?;
            let theirs = jsonwebtoken_verify(&jwks, token, m.alg, &issuer, aud)
                .map_err(|e| TestCaseError::fail(format!("{name} token refused by jsonwebtoken: {e}")))?;
            prop_assert_eq!(&ours, theirs.as_object().expect("claims are an object"));
            for (k, v) in &m.claims {
                prop_assert_eq!(ours.get(k), Some(v), "{} token, claim {:?}", name, k);
            }
            prop_assert_eq!(ours.get("sub"), Some(&json!(m.sub)));
            match ours.get("groups") {
                Some(g) => prop_assert_eq!(g, &json!(m.groups)),
                None => prop_assert!(m.groups.is_empty(), "groups were dropped"),
            }
        }
        prop_assert_eq!(verify_own_token(&tenant, &at).map(|c| c["aud"].clone()), Ok(json!(m.audiences)));
        Ok(())
    });
}

/// One valid access token per key family of the built-in tenant, checked to verify.
fn valid_tokens(idp: &MockIdp, tenant: &Tenant) -> Vec<String> {
    [Alg::RS256, Alg::ES256, Alg::EdDSA]
        .into_iter()
        .map(|alg| {
            let t = idp
                .mint(TokenBuilder::new().user("admin").alg(alg).tokens([TokenKind::AccessToken]))
                .expect("a plain mint works")
                .access_token
                .expect("an access token");
            assert!(verify_own_token(tenant, &t).is_ok(), "the undamaged {alg:?} token verifies");
            t
        })
        .collect()
}

#[test]
fn r4b_a14_a15_flipping_any_bit_of_the_compact_token_is_refused() {
    let rt = runtime();
    let idp = rt.block_on(MockIdp::start());
    let tenant = idp.first_tenant();
    let tokens = valid_tokens(&idp, &tenant);
    check((0..tokens.len(), any::<Index>(), 0..8u32), |(t, at, bit)| {
        let mut bytes = tokens[t].clone().into_bytes();
        let i = at.index(bytes.len());
        bytes[i] ^= 1 << bit;
        // A byte above 0x7f cannot travel in a header; the lossy text still differs.
        let damaged = String::from_utf8_lossy(&bytes);
        prop_assert!(verify_own_token(&tenant, &damaged).is_err(), "byte {} bit {} accepted", i, bit);
        Ok(())
    });
}

#[test]
fn r4b_a14_a15_flipping_any_bit_of_a_decoded_segment_is_refused() {
    let rt = runtime();
    let idp = rt.block_on(MockIdp::start());
    let tenant = idp.first_tenant();
    let tokens = valid_tokens(&idp, &tenant);
    check((0..tokens.len(), 0..3usize, any::<Index>(), 0..8u32), |(t, seg, at, bit)| {
        let mut parts: Vec<String> = tokens[t].split('.').map(str::to_owned).collect();
        let mut decoded = URL_SAFE_NO_PAD.decode(&parts[seg]).expect("a minted segment is base64url");
        let i = at.index(decoded.len());
        decoded[i] ^= 1 << bit;
        parts[seg] = URL_SAFE_NO_PAD.encode(&decoded);
        let damaged = parts.join(".");
        prop_assert!(
            verify_own_token(&tenant, &damaged).is_err(),
            "segment {} byte {} bit {} accepted",
            seg,
            i,
            bit
        );
        Ok(())
    });
}

#[test]
fn r4c_p46_p157_form_parse_never_panics_and_keeps_what_was_sent() {
    // Arbitrary bytes: a form or invalid_request, and what is kept obeys P46/P157.
    check(prop::collection::vec(any::<u8>(), 0..1024), |bytes| {
        if let Ok(form) = Form::parse(&bytes) {
            for (_, v) in form.iter() {
                prop_assert!(!v.is_empty() && v.len() <= MAX_PARAM_BYTES);
            }
        }
        Ok(())
    });
    // Distinct names with arbitrary values round-trip; empty values count as absent (P46).
    check(prop::collection::btree_map(any::<String>(), any::<String>(), 0..8), |sent| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &sent {
            s.append_pair(k, v);
        }
        let form = Form::parse(s.finish().as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let kept: BTreeMap<String, String> = form.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
        let expected: BTreeMap<String, String> = sent.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        prop_assert_eq!(kept, expected);
        Ok(())
    });
}

fn authorization(value: &[u8]) -> Option<HeaderMap> {
    let v = HeaderValue::from_bytes(value).ok()?;
    let mut h = HeaderMap::new();
    h.insert(header::AUTHORIZATION, v);
    Some(h)
}

#[test]
fn r4c_p47_basic_credentials_never_panic_and_round_trip_form_encoded_ids_and_secrets() {
    check(prop::collection::vec(any::<u8>(), 0..256), |bytes| {
        for value in [bytes.clone(), [b"Basic ".as_slice(), &bytes].concat()] {
            if let Some(h) = authorization(&value) {
                let _ = basic_credentials(&h);
            }
        }
        Ok(())
    });
    // RFC 6749 §2.3.1: id and secret are form-encoded, joined by ':', then base64.
    check((any::<String>(), any::<String>()), |(id, secret)| {
        let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let value = format!("Basic {}", STANDARD.encode(format!("{}:{}", enc(&id), enc(&secret))));
        let h = authorization(value.as_bytes()).expect("base64 is a valid header value");
        prop_assert_eq!(basic_credentials(&h).map_err(|e| e.to_string()), Ok(Some((id, secret))));
        Ok(())
    });
}

#[test]
fn r4c_p110_bearer_parsing_and_verification_never_panic_on_arbitrary_input() {
    let rt = runtime();
    let idp = rt.block_on(MockIdp::start());
    let tenant = idp.first_tenant();
    let input = (
        prop::collection::vec(any::<u8>(), 0..300),
        prop::option::of(any::<String>()),
        prop::option::of(prop::collection::vec(any::<u8>(), 0..200)),
        any::<bool>(),
    );
    check(input, |(header_bytes, query, body, with_scheme)| {
        let value = if with_scheme {
            [b"Bearer ".as_slice(), &header_bytes].concat()
        } else {
            header_bytes
        };
        let headers = authorization(&value).unwrap_or_default();
        let form = body.and_then(|b| Form::parse(&b).ok());
        if let Ok(token) = bearer_token(&tenant, &headers, query.as_deref(), form.as_ref()) {
            prop_assert!(verify_own_token(&tenant, &token).is_err(), "arbitrary input verified");
        }
        Ok(())
    });
    // Structured garbage: three base64url segments, a real kid and a listed alg in the header.
    let kids: Vec<String> = tenant.keys().jwks()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    let alg_names: Vec<&'static str> = Alg::ALL.iter().map(|a| a.as_str()).chain(["none", "HS256"]).collect();
    let input = (
        prop::sample::select(kids),
        prop::sample::select(alg_names),
        json_value(),
        prop::collection::vec(any::<u8>(), 0..300),
    );
    check(input, |(kid, alg, payload, sig)| {
        let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
        let header = json!({"alg": alg, "kid": kid, "typ": "JWT"}).to_string();
        let token = format!("{}.{}.{}", b64(header.as_bytes()), b64(payload.to_string().as_bytes()), b64(&sig));
        prop_assert!(verify_own_token(&tenant, &token).is_err());
        Ok(())
    });
}

#[test]
fn r4c_config_from_toml_never_panics_on_arbitrary_or_damaged_text() {
    let origin = std::path::Path::new("props.toml");
    check(any::<String>(), |text| {
        let _ = Config::from_toml(&text, origin);
        Ok(())
    });
    // Damaged copies of the built-in file reach the validation step, not only the TOML parser.
    let base = mock_idp::config::DEFAULT_CONFIG_TOML;
    check(
        (any::<Index>(), 0..64usize, "\\PC{0,16}|[\\[\\]=\"\\n#.,{}0-9a-z_ -]{0,16}"),
        |(at, cut, insert)| {
            let mut start = at.index(base.len());
            while !base.is_char_boundary(start) {
                start -= 1;
            }
            let mut end = (start + cut).min(base.len());
            while !base.is_char_boundary(end) {
                end -= 1;
            }
            let text = format!("{}{}{}", &base[..start], insert, &base[end..]);
            let _ = Config::from_toml(&text, origin);
            Ok(())
        },
    );
}

/// A query string of authorize parameter names with valid, hostile or random values.
fn authorize_query() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec![
        "client_id",
        "redirect_uri",
        "response_type",
        "response_mode",
        "scope",
        "state",
        "nonce",
        "code_challenge",
        "code_challenge_method",
        "prompt",
        "max_age",
        "login_hint",
        "id_token_hint",
        "request",
        "ui_locales",
    ])
    .prop_map(str::to_owned);
    let value = prop_oneof![
        prop::sample::select(vec![
            "weaviate",
            "ci-runner",
            "http://127.0.0.1:5555/callback",
            "http://localhost/callback#x",
            "code",
            "id_token",
            "code id_token",
            "token",
            "none",
            "openid",
            "openid profile email offline_access",
            "S256",
            "plain",
            "login",
            "0",
            "-1",
            "99999999999999999999",
            "form_post",
            "fragment",
            "admin",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ])
        .prop_map(str::to_owned),
        any::<String>(),
    ];
    let pairs = prop::collection::vec((prop_oneof![name, any::<String>()], value), 0..10).prop_map(|pairs| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &pairs {
            s.append_pair(k, v);
        }
        s.finish()
    });
    // Raw text too: stray '%', '&', '=' and separators the serializer would have escaped.
    prop_oneof![pairs, "[A-Za-z0-9%&=+._~:/?@!$'()*,;-]{0,200}"]
}

#[test]
fn r4c_p84_authorize_never_answers_5xx_on_arbitrary_query_strings() {
    let rt = runtime();
    let idp = rt.block_on(MockIdp::start());
    let app = mock_idp::router(idp.state().clone());
    check(authorize_query(), |query| {
        let Ok(req) = Request::get(format!("/default/authorize?{query}")).body(Body::empty()) else {
            return Ok(()); // not a URI at all: the HTTP layer's business, not the endpoint's
        };
        let status = rt
            .block_on(app.clone().oneshot(req))
            .map_err(|e| TestCaseError::fail(format!("router error: {e}")))?
            .status();
        prop_assert!(!status.is_server_error(), "{} for ?{}", status, query);
        Ok(())
    });
}

/// The left half of the digest of `value`, base64url without padding, with the hash chosen
/// from the algorithm's *name* as OIDC Core §3.1.3.6 says (EdDSA over Ed25519: SHA-512), and
/// the encoding done by hand, so neither the provider's table nor its base64 crate is reused.
fn reference_half_hash(alg_name: &str, value: &str) -> String {
    let digest: Vec<u8> = if alg_name.ends_with("256") {
        Sha256::digest(value.as_bytes()).to_vec()
    } else if alg_name.ends_with("384") {
        Sha384::digest(value.as_bytes()).to_vec()
    } else if alg_name.ends_with("512") || alg_name == "EdDSA" {
        Sha512::digest(value.as_bytes()).to_vec()
    } else {
        panic!("no hash for {alg_name}")
    };
    reference_base64url(&digest[..digest.len() / 2])
}

/// RFC 4648 §5 without padding.
fn reference_base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

#[test]
fn r4d_p97_half_hash_matches_an_independent_computation_for_every_alg() {
    // The reference encoder itself, against RFC 4648 §10 (base64url spelling).
    assert_eq!(reference_base64url(b"foobar"), "Zm9vYmFy");
    assert_eq!(reference_base64url(b"fooba"), "Zm9vYmE");
    assert_eq!(reference_base64url(&[0xfb, 0xff]), "-_8");
    check((prop::sample::select(Alg::ALL.to_vec()), any::<String>()), |(alg, value)| {
        prop_assert_eq!(half_hash(alg, &value), reference_half_hash(alg.as_str(), &value));
        Ok(())
    });
}

#[test]
fn r4d_p97_minted_at_hash_matches_the_independent_computation_for_every_signing_alg() {
    let rt = runtime();
    let idp = rt.block_on(MockIdp::start());
    check(prop::sample::select(signing_algs()), |alg| {
        let t = idp
            .mint(
                TokenBuilder::new()
                    .user("admin")
                    .alg(alg)
                    .tokens([TokenKind::AccessToken, TokenKind::IdToken]),
            )
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let (at, id) = (t.access_token.unwrap(), t.id_token.unwrap());
        prop_assert_eq!(&crate::support::header(&id)["alg"], &json!(alg.as_str()));
        let expected = reference_half_hash(alg.as_str(), &at);
        prop_assert_eq!(&crate::support::claims(&id)["at_hash"], &json!(expected));
        Ok(())
    });
}

/// A code verifier of RFC 7636 §4.1: 43 to 128 unreserved characters.
const VERIFIER: &str = "[A-Za-z0-9._~-]{43,128}";

/// A verifier the token endpoint must refuse even when its challenge matches: wrong length,
/// or the right length with one character outside the unreserved set.
fn bad_verifier() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9._~-]{1,42}",
        "[A-Za-z0-9._~-]{129,200}",
        ("[A-Za-z0-9._~-]{42,127}", any::<Index>(), "[^A-Za-z0-9._~-]").prop_map(|(v, at, c)| {
            let i = at.index(v.len() + 1);
            format!("{}{}{}", &v[..i], c, &v[i..])
        }),
    ]
}

/// Runs the hybrid authorize step (auto-login) with an S256 challenge; returns code and ID token.
fn hybrid_code(tenant: &Tenant, challenge: &str) -> (String, String) {
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.append_pair("client_id", "weaviate")
        .append_pair("redirect_uri", "http://127.0.0.1/callback")
        .append_pair("response_type", "code id_token")
        .append_pair("scope", "openid")
        .append_pair("nonce", "n-0S6_WzA2Mj")
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256");
    let form = Form::parse(s.finish().as_bytes()).expect("a valid authorize form");
    let Outcome::Reply { reply, .. } = authorize(tenant, &form, None) else {
        panic!("auto-login answers with a reply");
    };
    let params: BTreeMap<String, String> = reply_params(tenant, &reply).into_iter().collect();
    let get = |k: &str| params.get(k).cloned().unwrap_or_else(|| panic!("no {k} in {params:?}"));
    (get("code"), get("id_token"))
}

fn redeem(tenant: &Tenant, code: &str, verifier: &str) -> Result<mock_idp::internals::TokenResponse, mock_idp::Error> {
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.append_pair("grant_type", "authorization_code")
        .append_pair("client_id", "weaviate")
        .append_pair("redirect_uri", "http://127.0.0.1/callback")
        .append_pair("code", code)
        .append_pair("code_verifier", verifier);
    exchange(tenant, &HeaderMap::new(), &Form::parse(s.finish().as_bytes())?)
}

#[test]
fn r4f_p72_p73_p97_s256_round_trips_for_every_valid_verifier_and_refuses_any_other() {
    let rt = runtime();
    let idp = rt.block_on(MockIdp::builder().configure(|t| t.auto_login = Some("admin".into())).start());
    let tenant = idp.first_tenant();
    let input = (VERIFIER, prop_oneof![VERIFIER.boxed(), bad_verifier().boxed()], any::<bool>());
    check(input, |(verifier, other, challenge_of_other)| {
        prop_assume!(other != verifier);
        let challenge = reference_base64url(&Sha256::digest(verifier.as_bytes()));
        prop_assert_eq!(mock_idp::internals::s256_challenge(&verifier), challenge.clone());
        // A malformed verifier is refused even when the challenge was made from it.
        let malformed = !(43..=128).contains(&other.len()) || !other.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
        let sent_challenge = if challenge_of_other && malformed {
            reference_base64url(&Sha256::digest(other.as_bytes()))
        } else {
            challenge.clone()
        };
        let (code, id_token) = hybrid_code(&tenant, &sent_challenge);
        // c_hash of the front-channel ID token (OIDC Core §3.3.2.11), against the reference.
        prop_assert_eq!(
            &crate::support::claims(&id_token)["c_hash"],
            &json!(reference_half_hash("RS256", &code))
        );
        match redeem(&tenant, &code, &other) {
            Err(mock_idp::Error::InvalidGrant(_)) => {}
            other => return Err(TestCaseError::fail(format!("another verifier was not invalid_grant: {other:?}"))),
        }
        if sent_challenge == challenge {
            // The same code, with the right verifier, redeems (a failed check does not burn it).
            let tokens = redeem(&tenant, &code, &verifier).map_err(|e| TestCaseError::fail(format!("right verifier refused: {e}")))?;
            let v = serde_json::to_value(&tokens).expect("a token response serialises");
            let at = v["access_token"].as_str().expect("an access token");
            let id = v["id_token"].as_str().expect("an ID token");
            prop_assert_eq!(&crate::support::claims(id)["at_hash"], &json!(reference_half_hash("RS256", at)));
        }
        Ok(())
    });
}

/// Freezes the tenant clock at `now` and mints an access token whose `exp` claim is `exp`.
fn token_expiring_at(idp: &MockIdp, tenant: &Tenant, now: f64, exp: Value) -> String {
    tenant.clock().set(ClockMode::Frozen { at: now });
    idp.mint(TokenBuilder::new().user("admin").claim("exp", exp).tokens([TokenKind::AccessToken]))
        .expect("a mint with an explicit exp works")
        .access_token
        .expect("an access token")
}

#[test]
fn r4e_a16_a19_exp_boundary_is_go_oidc_s_on_a_frozen_clock() {
    let rt = runtime();
    let idp = rt.block_on(MockIdp::start());
    let tenant = idp.first_tenant();
    let fraction = prop_oneof![Just(0.0), (1u32..1000).prop_map(|m| f64::from(m) / 1000.0)];
    let exp_fraction = prop_oneof![Just(None), (1u32..4).prop_map(|q| Some(f64::from(q) / 4.0))];
    let input = (1_700_000_000i64..4_000_000_000, fraction, -3i64..=3, exp_fraction);
    check(input, |(second, fraction, delta, exp_fraction)| {
        let now = second as f64 + fraction;
        let exp = match exp_fraction {
            None => json!(second + delta),
            Some(f) => json!((second + delta) as f64 + f),
        };
        let token = token_expiring_at(&idp, &tenant, now, exp.clone());
        // go-oidc: exp cut to whole seconds; expired exactly when that instant is before now.
        let expired = ((second + delta) as f64) < now;
        let verdict = verify_own_token(&tenant, &token);
        prop_assert_eq!(verdict.is_err(), expired, "now {} exp {}: {:?}", now, exp, verdict);
        Ok(())
    });
}

#[tokio::test]
async fn a16_exp_equal_to_the_current_whole_second_is_expired_once_the_second_has_begun() {
    let env = Env::start().await;
    let tenant = env.idp.first_tenant();
    let userinfo = env.endpoint("userinfo_endpoint").await;
    let second = 1_900_000_000i64;
    let status = |token: String| {
        let req = env.http.get(&userinfo).bearer_auth(token);
        async move { req.send().await.expect("userinfo answers").status().as_u16() }
    };
    // Now has a fraction (as a real clock almost always does): exp == now's second is expired.
    let token = token_expiring_at(&env.idp, &tenant, second as f64 + 0.5, json!(second));
    assert_eq!(status(token).await, 401, "exp equal to the current whole second, now .5 past it");
    // Fixed: one second later it is fine.
    let token = token_expiring_at(&env.idp, &tenant, second as f64 + 0.5, json!(second + 1));
    assert_eq!(status(token).await, 200, "exp one second ahead");
    // At exactly the instant of exp, go-oidc's `Expiry.Before(now)` is false: still valid.
    let token = token_expiring_at(&env.idp, &tenant, second as f64, json!(second));
    assert_eq!(status(token).await, 200, "exp equal to a whole-second now");
    // A fractional exp counts from its whole second (A19): exp .9 with now .5 is expired.
    let token = token_expiring_at(&env.idp, &tenant, second as f64 + 0.5, json!(second as f64 + 0.9));
    assert_eq!(status(token).await, 401, "fractional exp cut to whole seconds");
}

/// Found by the `jwt_verify` fuzz target (crates/fuzz), from its exp-huge seed: the built-in
/// tenant's own RS256 token with `"exp": 1e+300`, minted with the clock frozen in 2001.
const FUZZ_EXP_HUGE_TOKEN: &str = concat!(
    "eyJhbGciOiJSUzI1NiIsImtpZCI6IkVsZ1BhVUNfOV9TVVY5UkZzNkhCVzZmTWhYc3YwQnYzY3RVbXgyMmltYWciLCJ0eXAiOiJK",
    "V1QifQ.eyJhdWQiOiJ3ZWF2aWF0ZSIsImF1dGhfdGltZSI6MTAwMDAwMDAwMCwiY2xpZW50X2lkIjoid2VhdmlhdGUiLCJlbWFpb",
    "CI6ImFkbWluQGV4YW1wbGUuY29tIiwiZXhwIjoxZSszMDAsImdyb3VwcyI6WyJhZG1pbnMiXSwiaWF0IjoxMDAwMDAwMDAwLCJpc",
    "3MiOiJodHRwOi8vMTI3LjAuMC4xOjgwODAvZGVmYXVsdCIsImp0aSI6IjhlOGJlMmIyLWM5ZDMtNDcyYi1iZGY1LWJhNGRmZjM2O",
    "TkyMyIsIm5iZiI6MTAwMDAwMDAwMCwicHJlZmVycmVkX3VzZXJuYW1lIjoiYWRtaW4iLCJzY29wZSI6Im9wZW5pZCBwcm9maWxlI",
    "GVtYWlsIG9mZmxpbmVfYWNjZXNzIGdyb3VwcyIsInN1YiI6Ijk2MmFhNDI4LWY4NTMtODFjZS1mNTJhLWFlYzIyZmJhMmNjYiJ9.",
    "Xiaq7x_4Jpy1O_TbU9jxEmMY2XLsoJvUhIHOhW3amB7dWk8wjNNehYQ-CxJCxRCglOpUt76-pA-8kVyUr1quoEzHPoXRuD9YZiTx",
    "4I8B21L2nJlNsVVDPH2AihMiTj_qTI-X9bs9dc1Qnw-bb2YlpTWCM5b-GUlwLvHi1URIrv3LYN7n8Y5d7VcBY7a89SL1LhR2I2e0",
    "w39l0x1b7Po8b7EcJdQQoSvhLbm4XdOlVMsZFTAB6zl5aJHsN56rNF5pAz3wYvaSW0MnQ6PTAraeAnH1Zgou1jJrLzD8Zv-mycbH",
    "nyKlzqviBSEa1W3-JMN-NKsa1LIIWl0Wh1HZ_MjXBQ",
);

#[tokio::test]
async fn a19_fuzz_regression_exp_beyond_go_s_last_second_is_expired() {
    // The crash input itself, against a provider with the issuer the fuzz target uses.
    let idp = MockIdp::builder().base_url("http://127.0.0.1:8080").start().await;
    let tenant = idp.first_tenant();
    assert_eq!(crate::support::claims(FUZZ_EXP_HUGE_TOKEN)["exp"], json!(1e300));
    assert_eq!(
        verify_own_token(&tenant, FUZZ_EXP_HUGE_TOKEN),
        Err("the token has expired".to_owned())
    );
    let mint = |exp: Value| {
        idp.mint(TokenBuilder::new().user("admin").claim("exp", exp).tokens([TokenKind::AccessToken]))
            .expect("a mint with an explicit exp works")
            .access_token
            .expect("an access token")
    };
    // Out of go-oidc's range: float overflow, 2^63, int64::MAX (its Unix-to-internal offset wraps).
    for exp in [json!(1e300), json!(9_223_372_036_854_775_808u64), json!(i64::MAX)] {
        assert!(verify_own_token(&tenant, &mint(exp.clone())).is_err(), "exp {exp} accepted");
    }
    // Fixed: a far but representable exp (the last second of year 9999) verifies.
    assert!(verify_own_token(&tenant, &mint(json!(253_402_300_799i64))).is_ok());
}
