//! Tests of the verifier, one per step of go-oidc-verifier.md (named `stepN_...`), each
//! rejection next to its success counterpart. A small in-test provider serves discovery and
//! the JWKS so that tests can count fetches and break the JWKS; keys and signing come from
//! `mock_idp`. `realNN` comments record what was observed on Weaviate v1.38.11.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use mock_idp::keys::SigningKey;
use mock_idp::Alg;
use serde_json::{json, Map, Value};

use super::*;

const CLIENT: &str = "weaviate";

fn rsa_key() -> &'static SigningKey {
    static K: OnceLock<SigningKey> = OnceLock::new();
    K.get_or_init(|| SigningKey::from_seed("verifier-tests-rsa", Alg::RS256))
}
fn attacker_key() -> &'static SigningKey {
    static K: OnceLock<SigningKey> = OnceLock::new();
    K.get_or_init(|| SigningKey::from_seed("verifier-tests-attacker", Alg::RS256))
}
fn es_key() -> &'static SigningKey {
    static K: OnceLock<SigningKey> = OnceLock::new();
    K.get_or_init(|| SigningKey::from_seed("verifier-tests-es", Alg::ES256))
}
fn ed_key() -> &'static SigningKey {
    static K: OnceLock<SigningKey> = OnceLock::new();
    K.get_or_init(|| SigningKey::from_seed("verifier-tests-ed", Alg::EdDSA))
}

/// What the in-test provider serves.
struct Served {
    issuer_override: Option<String>,
    algs: Vec<String>,
    jwks: Value,
    jwks_status: u16,
    jwks_body: Option<String>,
    /// Replaces the discovery answer: body and Content-Type.
    discovery_body: Option<(String, &'static str)>,
}

/// A provider on 127.0.0.1:0 that counts JWKS requests.
struct Provider {
    addr: SocketAddr,
    served: Arc<Mutex<Served>>,
    jwks_hits: Arc<AtomicUsize>,
    /// Write-locking this stalls JWKS answers.
    hold: Arc<tokio::sync::RwLock<()>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

#[derive(Clone)]
struct PState {
    served: Arc<Mutex<Served>>,
    hold: Arc<tokio::sync::RwLock<()>>,
    hits: Arc<AtomicUsize>,
    base: String,
}

async fn discovery(State(s): State<PState>) -> Response {
    let served = s.served.lock().unwrap();
    if let Some((body, ct)) = &served.discovery_body {
        return (StatusCode::OK, [("content-type", *ct)], body.clone()).into_response();
    }
    let issuer = served.issuer_override.clone().unwrap_or_else(|| s.base.clone());
    axum::Json(json!({
        "issuer": issuer,
        "jwks_uri": format!("{}/jwks", s.base),
        "id_token_signing_alg_values_supported": served.algs,
    }))
    .into_response()
}

async fn jwks(State(s): State<PState>) -> Response {
    s.hits.fetch_add(1, Ordering::SeqCst);
    let _gate = s.hold.read().await;
    let served = s.served.lock().unwrap();
    let status = StatusCode::from_u16(served.jwks_status).unwrap();
    let body = served.jwks_body.clone().unwrap_or_else(|| served.jwks.to_string());
    (status, [("content-type", "application/json")], body).into_response()
}

impl Provider {
    async fn start(keys: &[&SigningKey], algs: &[&str]) -> Provider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("could not bind a local port for the test provider");
        let addr = listener.local_addr().unwrap();
        let keys_json: Vec<Value> = keys.iter().map(|k| k.public_jwk().clone()).collect();
        let served = Arc::new(Mutex::new(Served {
            issuer_override: None,
            algs: algs.iter().map(|s| s.to_string()).collect(),
            jwks: json!({ "keys": keys_json }),
            jwks_status: 200,
            jwks_body: None,
            discovery_body: None,
        }));
        let hits = Arc::new(AtomicUsize::new(0));
        let hold = Arc::new(tokio::sync::RwLock::new(()));
        let state = PState {
            hold: Arc::clone(&hold),
            served: Arc::clone(&served),
            hits: Arc::clone(&hits),
            base: format!("http://{addr}"),
        };
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .with_state(state);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Provider {
            addr,
            served,
            jwks_hits: hits,
            hold,
            _stop: tx,
        }
    }

    fn issuer(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn settings(&self) -> OidcSettings {
        OidcSettings {
            issuer: self.issuer(),
            client_id: Some(CLIENT.into()),
            username_claim: "email".into(),
            groups_claim: Some("groups".into()),
            ..OidcSettings::default()
        }
    }

    async fn verifier(&self) -> OidcVerifier {
        OidcVerifier::start(self.settings())
            .await
            .expect("verifier starts against the test provider")
    }

    fn set_keys(&self, keys: &[&SigningKey]) {
        let jwks: Vec<Value> = keys.iter().map(|k| k.public_jwk().clone()).collect();
        self.served.lock().unwrap().jwks = json!({ "keys": jwks });
    }

    fn hits(&self) -> usize {
        self.jwks_hits.load(Ordering::SeqCst)
    }

    /// The baseline claims of attacks.md: valid for an hour.
    fn claims(&self) -> Map<String, Value> {
        let now = now_s();
        let v = json!({
            "iss": self.issuer(), "sub": "user-1", "aud": [CLIENT], "exp": now + 3600, "iat": now,
            "email": "alice@example.com", "groups": ["admins", "readers"],
        });
        v.as_object().unwrap().clone()
    }

    fn token(&self) -> String {
        rsa_key().sign(&self.claims(), "JWT")
    }

    fn token_with(&self, f: impl FnOnce(&mut Map<String, Value>)) -> String {
        let mut c = self.claims();
        f(&mut c);
        rsa_key().sign(&c, "JWT")
    }
}

fn now_s() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// A compact JWS with exactly these header and payload bytes, signed by `key` as `alg`.
fn raw_token(key: &SigningKey, header: &str, payload: &str, alg: Alg) -> String {
    key.sign_raw(header.as_bytes(), payload.as_bytes(), alg)
}

fn header_for(key: &SigningKey, alg: &str) -> String {
    format!(r#"{{"alg":"{alg}","kid":"{}","typ":"JWT"}}"#, key.kid().as_str())
}

fn segments(t: &str) -> Vec<String> {
    t.split('.').map(str::to_owned).collect()
}

fn message(r: Result<OidcIdentity, OidcFailure>) -> String {
    let f = r.expect_err("the token should be refused");
    assert_eq!(f.status, 401, "{}", f.message);
    f.message
}

fn ok(r: Result<OidcIdentity, OidcFailure>) -> OidcIdentity {
    r.unwrap_or_else(|f| panic!("the token should be accepted, got {} {}", f.status, f.message))
}

// ---------------------------------------------------------------- A. startup

#[tokio::test]
async fn step1_discovery_url_drops_one_trailing_slash_and_unreachable_issuer_fails() {
    // real: `could not setup provider: Get "<issuer>/.well-known/openid-configuration": dial tcp
    // <host:port>: connect: connection refused`.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let s = OidcSettings {
        issuer: format!("http://127.0.0.1:{port}/x/"),
        client_id: Some(CLIENT.into()),
        username_claim: "sub".into(),
        ..OidcSettings::default()
    };
    let err = OidcVerifier::start(s).await.unwrap_err();
    assert_eq!(
        err,
        format!("could not setup provider: Get \"http://127.0.0.1:{port}/x/.well-known/openid-configuration\": dial tcp 127.0.0.1:{port}: connect: connection refused")
    );
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    assert!(OidcVerifier::start(p.settings()).await.is_ok());
}

#[tokio::test]
async fn step1_discovery_404_reports_status_and_body() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let mut s = p.settings();
    s.issuer = format!("{}/nowhere", p.issuer());
    let err = OidcVerifier::start(s).await.unwrap_err();
    assert!(err.starts_with("could not setup provider: 404 Not Found: "), "{err}");
    assert!(OidcVerifier::start(p.settings()).await.is_ok());
}

#[tokio::test]
async fn step2_issuer_must_match_exactly_at_startup() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let mut s = p.settings();
    s.issuer = format!("{}/", p.issuer());
    assert_eq!(
        OidcVerifier::start(s).await.unwrap_err(),
        format!(
            "could not setup provider: oidc: issuer did not match the issuer returned by provider, expected \"{0}/\" got \"{0}\"",
            p.issuer()
        )
    );
    p.served.lock().unwrap().issuer_override = Some(format!("{}/", p.issuer()));
    assert_eq!(
        OidcVerifier::start(p.settings()).await.unwrap_err(),
        format!(
            "could not setup provider: oidc: issuer did not match the issuer returned by provider, expected \"{0}\" got \"{0}/\"",
            p.issuer()
        )
    );
    p.served.lock().unwrap().issuer_override = None;
    assert!(OidcVerifier::start(p.settings()).await.is_ok());
}

#[tokio::test]
async fn step3_allowlist_filters_discovery_to_asymmetric_algs() {
    let p = Provider::start(&[rsa_key()], &["RS256", "PS256", "HS256", "none"]).await;
    let v = p.verifier().await;
    assert_eq!(v.algorithms(), ["RS256", "PS256"]);
    let hs = raw_token(rsa_key(), r#"{"alg":"HS256"}"#, &Value::Object(p.claims()).to_string(), Alg::RS256);
    assert_eq!(
        message(v.authenticate(&hs).await),
        r#"unauthorized: oidc: malformed jwt: unexpected signature algorithm "HS256"; expected ["RS256" "PS256"]"#
    );
    let p2 = Provider::start(&[rsa_key()], &["HS256", "none"]).await;
    assert_eq!(p2.verifier().await.algorithms(), ["RS256"]);
    ok(v.authenticate(&p.token()).await);
}

#[tokio::test]
async fn step4_keys_load_lazily_and_cached_keys_fetch_nothing() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    assert_eq!((p.hits(), v.jwks_fetches()), (0, 0));
    ok(v.authenticate(&p.token()).await);
    assert_eq!((p.hits(), v.jwks_fetches()), (1, 1));
    ok(v.authenticate(&p.token()).await);
    assert_eq!(p.hits(), 1);
}

#[tokio::test]
async fn step5_explicit_jwks_url_skips_discovery_and_allows_rs256_only() {
    let p = Provider::start(&[rsa_key(), es_key()], &["RS256", "ES256"]).await;
    let s = OidcSettings {
        issuer: p.issuer(),
        client_id: Some(CLIENT.into()),
        username_claim: "email".into(),
        jwks_url: Some(format!("{}/jwks", p.issuer())),
        ..OidcSettings::default()
    };
    let mut unreachable = s.clone();
    unreachable.issuer = "http://127.0.0.1:9".into();
    assert!(OidcVerifier::start(unreachable).await.is_ok());
    let v = OidcVerifier::start(s).await.unwrap();
    assert_eq!(v.algorithms(), ["RS256"]);
    ok(v.authenticate(&p.token()).await);
    let es = es_key().sign(&p.claims(), "JWT");
    assert_eq!(
        message(v.authenticate(&es).await),
        r#"unauthorized: oidc: malformed jwt: unexpected signature algorithm "ES256"; expected ["RS256"]"#
    );
}

#[tokio::test]
async fn step6_certificate_and_insecure_are_exclusive_and_url_forms_unsupported() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let mut s = p.settings();
    s.certificate = Some("-----BEGIN CERTIFICATE-----".into());
    s.insecure_skip_tls_verify = true;
    assert_eq!(
        OidcVerifier::start(s.clone()).await.unwrap_err(),
        "invalid config: custom OIDC certificate and insecure_skip_tls_verify are mutually exclusive: remove the certificate or disable insecure_skip_tls_verify"
    );
    s.insecure_skip_tls_verify = false;
    s.certificate = Some("s3://bucket/ca.pem".into());
    assert!(OidcVerifier::start(s.clone()).await.unwrap_err().contains("not supported"));
    s.certificate = None;
    s.insecure_skip_tls_verify = true;
    assert!(OidcVerifier::start(s).await.is_ok());
}

// ---------------------------------------------------------------- B. one token

#[tokio::test]
async fn step7_fewer_than_two_segments_and_bad_payload_base64() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    assert_eq!(
        message(v.authenticate("abc").await),
        "unauthorized: oidc: malformed jwt: oidc: malformed jwt, expected 3 parts got 1"
    );
    let t = p.token();
    let s = segments(&t);
    let padded = format!("{}.{}=.{}", s[0], s[1], s[2]);
    assert_eq!(
        message(v.authenticate(&padded).await),
        format!(
            "unauthorized: oidc: malformed jwt: oidc: malformed jwt payload: illegal base64 data at input byte {}",
            s[1].len()
        )
    );
    assert_eq!(p.hits(), 0, "nothing is fetched before the claims pass");
    ok(v.authenticate(&t).await);
}

#[tokio::test]
async fn step8_claim_types_are_checked_before_the_signature() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let cases: [(&str, Value, &str); 5] = [
        (
            "aud",
            json!(1),
            "json: cannot unmarshal number into Go struct field idToken.aud of type []string",
        ),
        (
            "exp",
            json!(true),
            "json: cannot unmarshal bool into Go struct field idToken.exp of type json.Number",
        ),
        (
            "exp",
            json!("tomorrow"),
            r#"json: invalid number literal, trying to unmarshal "\"tomorrow\"" into Number"#,
        ),
        ("exp", Value::Null, r#"strconv.ParseFloat: parsing "": invalid syntax"#),
        (
            "sub",
            json!(5),
            "json: cannot unmarshal number into Go struct field idToken.sub of type string",
        ),
    ];
    for (claim, value, text) in cases {
        let t = p.token_with(|c| {
            c.insert(claim.into(), value.clone());
        });
        assert_eq!(
            message(v.authenticate(&t).await),
            format!("unauthorized: oidc: failed to unmarshal claims: {text}")
        );
    }
    let not_json = raw_token(rsa_key(), &header_for(rsa_key(), "RS256"), "hello", Alg::RS256);
    assert_eq!(
        message(v.authenticate(&not_json).await),
        "unauthorized: oidc: failed to unmarshal claims: invalid character 'h' looking for beginning of value"
    );
    // real: a quoted future exp passes; a fractional exp passes; "nbf": null counts as absent.
    let future = (now_s() + 600).to_string();
    ok(v.authenticate(&p.token_with(|c| {
        c.insert("exp".into(), json!(future));
    }))
    .await);
    ok(v.authenticate(&p.token_with(|c| {
        c.insert("exp".into(), json!(now_s() as f64 + 60.5));
        c.insert("nbf".into(), Value::Null);
    }))
    .await);
    assert_eq!(p.hits(), 1);
}

#[tokio::test]
async fn step8_quoted_past_exp_is_expired_and_duplicate_claim_last_wins() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let past = now_s() - 10;
    let t = p.token_with(|c| {
        c.insert("exp".into(), json!(past.to_string()));
    });
    assert_eq!(
        message(v.authenticate(&t).await),
        format!("unauthorized: oidc: token is expired (Token Expiry: {})", gotime::format_unix(past))
    );
    let payload = format!(
        r#"{{"iss":"{}","aud":"{CLIENT}","exp":{},"email":"alice@example.com","email":"admin@example.com"}}"#,
        p.issuer(),
        now_s() + 60
    );
    let dup = raw_token(rsa_key(), &header_for(rsa_key(), "RS256"), &payload, Alg::RS256);
    assert_eq!(ok(v.authenticate(&dup).await).username, "admin@example.com");
}

#[tokio::test]
async fn step9_distributed_claim_without_source_is_refused() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let t = p.token_with(|c| {
        c.insert("_claim_names".into(), json!({"groups": "src1"}));
    });
    assert_eq!(message(v.authenticate(&t).await), "unauthorized: oidc: source does not exist");
    let t = p.token_with(|c| {
        c.insert("_claim_names".into(), json!({"groups": "src1"}));
        c.insert("_claim_sources".into(), json!({"src1": {"endpoint": "http://127.0.0.1:9/never"}}));
    });
    ok(v.authenticate(&t).await);
}

#[tokio::test]
async fn step10_issuer_is_compared_byte_for_byte() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let iss = format!("{}/", p.issuer());
    let t = p.token_with(|c| {
        c.insert("iss".into(), json!(iss));
    });
    assert_eq!(
        message(v.authenticate(&t).await),
        format!(
            "unauthorized: oidc: id token issued by a different provider, expected \"{0}\" got \"{0}/\"",
            p.issuer()
        )
    );
    let t = p.token_with(|c| {
        c.remove("iss");
    });
    assert_eq!(
        message(v.authenticate(&t).await),
        format!(
            "unauthorized: oidc: id token issued by a different provider, expected \"{}\" got \"\"",
            p.issuer()
        )
    );
    ok(v.authenticate(&p.token()).await);
}

#[tokio::test]
async fn step11_audience_must_contain_the_client_id_unless_skipped() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let other = p.token_with(|c| {
        c.insert("aud".into(), json!(["a", "b"]));
    });
    assert_eq!(
        message(v.authenticate(&other).await),
        "unauthorized: oidc: expected audience \"weaviate\" got [\"a\" \"b\"]"
    );
    let none = p.token_with(|c| {
        c.remove("aud");
    });
    assert_eq!(
        message(v.authenticate(&none).await),
        "unauthorized: oidc: expected audience \"weaviate\" got []"
    );
    let both = p.token_with(|c| {
        c.insert("aud".into(), json!(["other", CLIENT]));
        c.insert("azp".into(), json!("other"));
    });
    ok(v.authenticate(&both).await);
    let mut s = p.settings();
    s.skip_client_id_check = true;
    s.client_id = None;
    let skip = OidcVerifier::start(s).await.unwrap();
    ok(skip.authenticate(&other).await);
    ok(skip.authenticate(&none).await);
    let numeric = p.token_with(|c| {
        c.insert("aud".into(), json!(1));
    });
    assert!(message(skip.authenticate(&numeric).await).contains("idToken.aud of type []string"));
}

#[tokio::test]
async fn step12_expiry_has_no_leeway_and_missing_exp_is_the_zero_time() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let past = now_s() - 1;
    let t = p.token_with(|c| {
        c.insert("exp".into(), json!(past));
    });
    assert_eq!(
        message(v.authenticate(&t).await),
        format!("unauthorized: oidc: token is expired (Token Expiry: {})", gotime::format_unix(past))
    );
    let t = p.token_with(|c| {
        c.remove("exp");
    });
    assert_eq!(
        message(v.authenticate(&t).await),
        "unauthorized: oidc: token is expired (Token Expiry: 0001-01-01 00:00:00 +0000 UTC)"
    );
    let t = p.token_with(|c| {
        c.insert("exp".into(), json!(now_s() + 2));
    });
    ok(v.authenticate(&t).await);
}

#[tokio::test]
async fn step12_exp_equal_to_now_is_already_expired() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let token = p.token_with(|c| {
        c.insert("exp".into(), json!(1_795_251_272));
    });
    // The same second with nanoseconds is after `exp`; the whole second itself is not.
    let at = |ns: u32| UNIX_EPOCH + std::time::Duration::new(1_795_251_272, ns);
    assert_eq!(
        v.verify(&token, at(1)).await.unwrap_err(),
        "oidc: token is expired (Token Expiry: 2026-11-21 08:54:32 +0000 UTC)"
    );
    assert!(v.verify(&token, at(0)).await.is_ok());
}

#[tokio::test]
async fn step12_extreme_exp_values_never_panic() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    // Go turns an overflowing float into i64::MIN and wraps i64::MAX: both are expired.
    for (raw, shown) in [
        ("1e300", "292277026596-12-04 15:30:08 +0000 UTC"),
        ("9223372036854775808", "292277026596-12-04 15:30:08 +0000 UTC"),
        ("9223372036854775807", "292277026596-12-04 15:30:07 +0000 UTC"),
        ("-1", "1969-12-31 23:59:59 +0000 UTC"),
    ] {
        let payload = format!(r#"{{"iss":"{}","aud":"{CLIENT}","exp":{raw},"email":"a"}}"#, p.issuer());
        let t = raw_token(rsa_key(), &header_for(rsa_key(), "RS256"), &payload, Alg::RS256);
        assert_eq!(
            message(v.authenticate(&t).await),
            format!("unauthorized: oidc: token is expired (Token Expiry: {shown})")
        );
    }
    let payload = format!(r#"{{"iss":"{}","aud":"{CLIENT}","exp":1e400,"email":"a"}}"#, p.issuer());
    let t = raw_token(rsa_key(), &header_for(rsa_key(), "RS256"), &payload, Alg::RS256);
    assert_eq!(
        message(v.authenticate(&t).await),
        r#"unauthorized: oidc: failed to unmarshal claims: strconv.ParseFloat: parsing "1e400": value out of range"#
    );
}

#[tokio::test]
async fn step13_nbf_has_five_minutes_of_leeway() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let nbf = now_s() + 600;
    let t = p.token_with(|c| {
        c.insert("nbf".into(), json!(nbf));
    });
    let m = message(v.authenticate(&t).await);
    let suffix = format!(" before the nbf (not before) time: {}", gotime::format_unix(nbf));
    assert!(m.starts_with("unauthorized: oidc: current time 20") && m.ends_with(&suffix), "{m}");
    let now_part = &m["unauthorized: oidc: current time ".len()..m.len() - suffix.len()];
    let (wall, mono) = now_part.split_once(" +0000 UTC m=+").expect("Go's time.Now() shape");
    assert!(
        wall.len() >= 19 && mono.split_once('.').is_some_and(|(_, ns)| ns.len() == 9),
        "{now_part}"
    );
    ok(v.authenticate(&p.token_with(|c| {
        c.insert("nbf".into(), json!(now_s() + 120));
    }))
    .await);
    // A quoted nbf is read as a number (A21): far in the future, refused.
    let t = p.token_with(|c| {
        c.insert("nbf".into(), json!("99999999999"));
    });
    assert!(message(v.authenticate(&t).await).contains("before the nbf (not before) time"));
}

#[tokio::test]
async fn step14_unchecked_claims_iat_sub_typ_azp() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let t = p.token_with(|c| {
        c.insert("iat".into(), json!(now_s() + 86_400));
        c.remove("sub");
        c.insert("nonce".into(), json!("n"));
    });
    ok(v.authenticate(&t).await);
    let payload = Value::Object(p.claims()).to_string();
    let at = raw_token(
        rsa_key(),
        &format!(r#"{{"alg":"RS256","kid":"{}","typ":"at+jwt"}}"#, rsa_key().kid().as_str()),
        &payload,
        Alg::RS256,
    );
    ok(v.authenticate(&at).await);
}

#[tokio::test]
async fn step15_alg_outside_allowlist_and_claims_first() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let claims = Value::Object(p.claims()).to_string();
    let t = format!("{}.{}.", B64.encode(r#"{"alg":"none"}"#), B64.encode(&claims));
    assert_eq!(
        message(v.authenticate(&t).await),
        r#"unauthorized: oidc: malformed jwt: unexpected signature algorithm "none"; expected ["RS256"]"#
    );
    // An expired `none` token is reported as expired.
    let expired = p.token_with(|c| {
        c.insert("exp".into(), json!(now_s() - 100));
    });
    let e = format!("{}.{}.", B64.encode(r#"{"alg":"none"}"#), segments(&expired)[1]);
    assert!(message(v.authenticate(&e).await).contains("token is expired"));
    let bad_header = format!("{}.{}.{}", B64.encode("hello"), B64.encode(&claims), segments(&p.token())[2]);
    assert_eq!(
        message(v.authenticate(&bad_header).await),
        "unauthorized: oidc: malformed jwt: invalid character 'h' looking for beginning of value"
    );
    // A4: PS256 with the real RSA key while discovery lists only RS256.
    let ps = raw_token(rsa_key(), &header_for(rsa_key(), "PS256"), &claims, Alg::PS256);
    assert!(message(v.authenticate(&ps).await).contains(r#"unexpected signature algorithm "PS256""#));
    assert_eq!(p.hits(), 0);
    ok(v.authenticate(&p.token()).await);
}

#[tokio::test]
async fn step16_three_parts_duplicate_header_members_and_embedded_keys() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let t = p.token();
    let s = segments(&t);
    let three = "unauthorized: oidc: malformed jwt: go-jose/go-jose: compact JWS format must have three parts";
    assert_eq!(message(v.authenticate(&format!("{}.{}", s[0], s[1])).await), three);
    assert_eq!(message(v.authenticate(&format!("{t}.x")).await), three);
    let claims = Value::Object(p.claims()).to_string();
    let dup = raw_token(rsa_key(), r#"{"alg":"RS256","alg":"none"}"#, &claims, Alg::RS256);
    assert_eq!(
        message(v.authenticate(&dup).await),
        "unauthorized: oidc: malformed jwt: json: duplicate key 'alg' in object"
    );
    // A10/A11: jku, x5u and an embedded jwk never select a key; nothing is fetched from them.
    let trap = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    trap.set_nonblocking(true).unwrap();
    let trap_url = format!("http://{}", trap.local_addr().unwrap());
    let header = format!(
        r#"{{"alg":"RS256","kid":"{}","jku":"{trap_url}/jwks","x5u":"{trap_url}/c","jwk":{}}}"#,
        rsa_key().kid().as_str(),
        attacker_key().public_jwk()
    );
    let forged = raw_token(attacker_key(), &header, &claims, Alg::RS256);
    assert_eq!(
        message(v.authenticate(&forged).await),
        "unauthorized: failed to verify signature: failed to verify id token signature"
    );
    let nothing = trap.accept().map(|_| ()).map_err(|e| e.kind());
    assert_eq!(
        nothing,
        Err(std::io::ErrorKind::WouldBlock),
        "no connection reached the jku/x5u listener"
    );
    ok(v.authenticate(&t).await);
}

#[tokio::test]
async fn step16_crit_other_than_b64_never_verifies_and_refetches() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    ok(v.authenticate(&p.token()).await);
    let claims = Value::Object(p.claims()).to_string();
    let kid = rsa_key().kid().as_str().to_owned();
    // real: `"crit":["exp"]` gives 401 and one JWKS fetch per token.
    for crit in [r#"["exp"]"#, r#"["x-unknown"]"#, r#""b64""#] {
        let before = p.hits();
        let t = raw_token(
            rsa_key(),
            &format!(r#"{{"alg":"RS256","kid":"{kid}","crit":{crit}}}"#),
            &claims,
            Alg::RS256,
        );
        assert_eq!(
            message(v.authenticate(&t).await),
            "unauthorized: failed to verify signature: failed to verify id token signature"
        );
        assert_eq!(p.hits(), before + 1);
    }
    for crit in ["[]", r#"["b64"]"#, "null"] {
        let t = raw_token(
            rsa_key(),
            &format!(r#"{{"alg":"RS256","kid":"{kid}","crit":{crit}}}"#),
            &claims,
            Alg::RS256,
        );
        ok(v.authenticate(&t).await);
    }
}

#[tokio::test]
async fn step16_es256_needs_raw_r_s_of_64_bytes() {
    let p = Provider::start(&[rsa_key(), es_key()], &["RS256", "ES256"]).await;
    let v = p.verifier().await;
    let t = es_key().sign(&p.claims(), "JWT");
    ok(v.authenticate(&t).await);
    let s = segments(&t);
    let sig = B64.decode(&s[2]).unwrap();
    assert_eq!(sig.len(), 64);
    let der = der_signature(&sig);
    let d = format!("{}.{}.{}", s[0], s[1], B64.encode(der));
    assert_eq!(
        message(v.authenticate(&d).await),
        "unauthorized: failed to verify signature: failed to verify id token signature"
    );
    let zero = format!("{}.{}.{}", s[0], s[1], B64.encode([0u8; 64]));
    assert_eq!(
        message(v.authenticate(&zero).await),
        "unauthorized: failed to verify signature: failed to verify id token signature"
    );
}

fn der_signature(raw: &[u8]) -> Vec<u8> {
    let int = |b: &[u8]| {
        let mut v: Vec<u8> = b.iter().copied().skip_while(|x| *x == 0).collect();
        if v.first().is_some_and(|x| x & 0x80 != 0) {
            v.insert(0, 0);
        }
        let mut out = vec![0x02, v.len() as u8];
        out.extend(v);
        out
    };
    let mut body = int(&raw[..32]);
    body.extend(int(&raw[32..]));
    let mut out = vec![0x30, body.len() as u8];
    out.extend(body);
    out
}

#[tokio::test]
async fn step18_no_kid_tries_every_key_and_jwk_alg_does_not_filter() {
    let p = Provider::start(&[es_key(), ed_key(), rsa_key()], &["RS256", "PS256", "ES256", "EdDSA"]).await;
    let v = p.verifier().await;
    let claims = Value::Object(p.claims()).to_string();
    // real: tokens without kid accepted; a PS256 token verified by a JWK marked "alg":"RS256".
    let no_kid = raw_token(rsa_key(), r#"{"alg":"RS256"}"#, &claims, Alg::RS256);
    ok(v.authenticate(&no_kid).await);
    let ps = raw_token(rsa_key(), &header_for(rsa_key(), "PS256"), &claims, Alg::PS256);
    ok(v.authenticate(&ps).await);
    ok(v.authenticate(&ed_key().sign(&p.claims(), "JWT")).await);
    // A5: ES256 with the RSA key's kid does not verify.
    let es = raw_token(es_key(), &header_for(rsa_key(), "ES256"), &claims, Alg::ES256);
    assert_eq!(
        message(v.authenticate(&es).await),
        "unauthorized: failed to verify signature: failed to verify id token signature"
    );
    assert_eq!(p.hits(), 2);
}

#[tokio::test]
async fn step19_unknown_kid_refetches_once_then_fails() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    ok(v.authenticate(&p.token()).await);
    assert_eq!(p.hits(), 1);
    let claims = Value::Object(p.claims()).to_string();
    let unknown = raw_token(attacker_key(), r#"{"alg":"RS256","kid":"nope"}"#, &claims, Alg::RS256);
    assert_eq!(
        message(v.authenticate(&unknown).await),
        "unauthorized: failed to verify signature: failed to verify id token signature"
    );
    assert_eq!(p.hits(), 2);
    // No negative cache (step 20): the same token costs another fetch.
    message(v.authenticate(&unknown).await);
    assert_eq!(p.hits(), 3);
    // A6: forged signature under the real kid also refetches once.
    let forged = raw_token(attacker_key(), &header_for(rsa_key(), "RS256"), &claims, Alg::RS256);
    message(v.authenticate(&forged).await);
    assert_eq!((p.hits(), v.jwks_fetches()), (4, 4));
    // A9: kid injection is only a lookup.
    for kid in ["../../../../dev/null", "' OR 1=1 --", "\u{0}", &"k".repeat(8000)] {
        let h = json!({"alg": "RS256", "kid": kid}).to_string();
        let t = raw_token(attacker_key(), &h, &claims, Alg::RS256);
        message(v.authenticate(&t).await);
    }
    // Once the provider publishes a new key, the refetch lets its tokens in; "nope" stays out.
    let new_key = attacker_key().sign(&p.claims(), "JWT");
    message(v.authenticate(&new_key).await);
    p.set_keys(&[rsa_key(), attacker_key()]);
    ok(v.authenticate(&new_key).await);
    message(v.authenticate(&unknown).await);
}

#[tokio::test]
async fn step19_concurrent_failures_share_one_fetch() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = Arc::new(p.verifier().await);
    let claims = Value::Object(p.claims()).to_string();
    let unknown = raw_token(attacker_key(), r#"{"alg":"RS256","kid":"nope"}"#, &claims, Alg::RS256);
    // Stall the JWKS answer so that every caller is waiting on the same fetch.
    let guard = p.hold.write().await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let v = Arc::clone(&v);
        let t = unknown.clone();
        tasks.push(tokio::spawn(async move { v.authenticate(&t).await }));
    }
    while v.jwks_fetches() == 0 {
        tokio::task::yield_now().await;
    }
    // Let every task reach the in-flight fetch before the provider answers.
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    drop(guard);
    for t in tasks {
        message(t.await.unwrap());
    }
    assert_eq!(v.jwks_fetches(), 1, "all callers share the one fetch in flight");
    assert_eq!(p.hits() as u64, v.jwks_fetches());
}

#[tokio::test]
async fn step19_failed_fetch_keeps_cache_and_success_replaces_it() {
    let p = Provider::start(&[rsa_key(), attacker_key()], &["RS256"]).await;
    let v = p.verifier().await;
    ok(v.authenticate(&p.token()).await);
    {
        let mut s = p.served.lock().unwrap();
        s.jwks_status = 500;
        s.jwks_body = Some("boom".into());
    }
    let claims = Value::Object(p.claims()).to_string();
    let unknown = raw_token(rsa_key(), r#"{"alg":"RS256","kid":"nope"}"#, &claims, Alg::RS256);
    assert_eq!(
        message(v.authenticate(&unknown).await),
        "unauthorized: failed to verify signature: fetching keys oidc: get keys failed: 500 Internal Server Error boom"
    );
    // real: cache kept after a failed (HTTP 500) fetch.
    ok(v.authenticate(&p.token()).await);
    let old = attacker_key().sign(&p.claims(), "JWT");
    ok(v.authenticate(&old).await);
    {
        let mut s = p.served.lock().unwrap();
        s.jwks_status = 200;
        s.jwks_body = None;
    }
    // A37: drop the attacker key at the provider; it stays trusted until a refetch.
    p.set_keys(&[rsa_key()]);
    ok(v.authenticate(&old).await);
    message(v.authenticate(&unknown).await);
    // real: after a successful refetch a token signed by the dropped key is refused.
    assert_eq!(
        message(v.authenticate(&old).await),
        "unauthorized: failed to verify signature: failed to verify id token signature"
    );
    ok(v.authenticate(&p.token()).await);
}

#[tokio::test]
async fn step21_one_unsupported_key_fails_the_whole_set_and_size_is_capped() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let mut jwks = json!({ "keys": [rsa_key().public_jwk(), {"kty": "XYZ", "kid": "x"}] });
    p.served.lock().unwrap().jwks = jwks.clone();
    let m = message(v.authenticate(&p.token()).await);
    assert!(
        m.starts_with("unauthorized: failed to verify signature: fetching keys oidc: failed to decode keys: got Content-Type = application/json, but could not unmarshal as JSON: go-jose/go-jose: unsupported key type/format {"),
        "{m}"
    );
    jwks["keys"].as_array_mut().unwrap().pop();
    p.served.lock().unwrap().jwks = jwks;
    ok(v.authenticate(&p.token()).await);
    let v2 = p.verifier().await;
    p.served.lock().unwrap().jwks_body = Some(format!(r#"{{"keys":[],"pad":"{}"}}"#, "x".repeat(MAX_JWKS_BYTES)));
    assert_eq!(
        message(v2.authenticate(&p.token()).await),
        "unauthorized: failed to verify signature: fetching keys oidc: get keys failed: JWKS body larger than 1048576 bytes"
    );
}

#[tokio::test]
async fn step22_b64_false_signs_the_raw_payload() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let claims = Value::Object(p.claims()).to_string();
    let header = format!(
        r#"{{"alg":"RS256","kid":"{}","b64":false,"crit":["b64"]}}"#,
        rsa_key().kid().as_str()
    );
    // Signed over the raw payload: go-jose verifies it, and the payload still matches.
    let input = format!("{}.{}", B64.encode(&header), claims);
    let tok = rsa_key().sign_raw(header.as_bytes(), claims.as_bytes(), Alg::RS256);
    let s = segments(&tok);
    let sig = jsonwebtoken::crypto::sign(
        input.as_bytes(),
        &jsonwebtoken::EncodingKey::from_rsa_pem(rsa_key().private_pem().as_bytes()).unwrap(),
        jsonwebtoken::Algorithm::RS256,
    )
    .unwrap();
    let raw_signed = format!("{}.{}.{sig}", s[0], s[1]);
    ok(v.authenticate(&raw_signed).await);
    // Signed the usual way, the b64:false token does not verify.
    assert_eq!(
        message(v.authenticate(&tok).await),
        "unauthorized: failed to verify signature: failed to verify id token signature"
    );
}

// ---------------------------------------------------------------- C. Weaviate around it

#[tokio::test]
async fn step25_username_claim_missing_or_not_string_is_a_500() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let t = p.token_with(|c| {
        c.remove("email");
    });
    let f = v.authenticate(&t).await.unwrap_err();
    assert_eq!(
        (f.status, f.message.as_str()),
        (500, "oidc: token doesn't contain required claim 'email'")
    );
    for (value, ty) in [
        (json!(42), "float64"),
        (json!(true), "bool"),
        (json!([1]), "[]interface {}"),
        (json!({}), "map[string]interface {}"),
        (Value::Null, "<nil>"),
    ] {
        let t = p.token_with(|c| {
            c.insert("email".into(), value.clone());
        });
        let f = v.authenticate(&t).await.unwrap_err();
        assert_eq!(
            (f.status, f.message),
            (500, format!("oidc: claim 'email' is not a string, but {ty}"))
        );
    }
    let t = p.token_with(|c| {
        c.insert("email".into(), json!(""));
    });
    assert_eq!(ok(v.authenticate(&t).await).username, "");
    assert_eq!(ok(v.authenticate(&p.token()).await).username, "alice@example.com");
}

#[tokio::test]
async fn step25_sub_as_username_is_typed_by_the_library() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let mut s = p.settings();
    s.username_claim = "sub".into();
    let v = OidcVerifier::start(s).await.unwrap();
    let t = p.token_with(|c| {
        c.insert("sub".into(), json!(7));
    });
    assert_eq!(
        message(v.authenticate(&t).await),
        "unauthorized: oidc: failed to unmarshal claims: json: cannot unmarshal number into Go struct field idToken.sub of type string"
    );
    let t = p.token_with(|c| {
        c.insert("sub".into(), Value::Null);
    });
    let f = v.authenticate(&t).await.unwrap_err();
    assert_eq!(
        (f.status, f.message.as_str()),
        (500, "oidc: claim 'sub' is not a string, but <nil>")
    );
    assert_eq!(ok(v.authenticate(&p.token()).await).username, "user-1");
}

#[tokio::test]
async fn step26_groups_claim_rules() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let cases: [(Option<Value>, Vec<&str>); 5] = [
        (Some(json!(["a", 1, "b", null])), vec!["a", "b"]),
        (Some(json!("solo")), vec!["solo"]),
        (Some(json!(5)), vec![]),
        (Some(json!({"a": 1})), vec![]),
        (None, vec![]),
    ];
    for (value, want) in cases {
        let t = p.token_with(|c| match &value {
            Some(v) => {
                c.insert("groups".into(), v.clone());
            }
            None => {
                c.remove("groups");
            }
        });
        assert_eq!(ok(v.authenticate(&t).await).groups, want);
    }
}

#[tokio::test]
async fn step24_float_overflow_anywhere_is_a_500_after_verification() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let payload = format!(
        r#"{{"iss":"{}","aud":"{CLIENT}","exp":{},"email":"a","x":1e400}}"#,
        p.issuer(),
        now_s() + 60
    );
    let t = raw_token(rsa_key(), &header_for(rsa_key(), "RS256"), &payload, Alg::RS256);
    let f = v.authenticate(&t).await.unwrap_err();
    assert_eq!(
        (f.status, f.message.as_str()),
        (
            500,
            "oidc: could not extract claims from token: json: cannot unmarshal number 1e400 into Go value of type float64"
        )
    );
    let payload = payload.replace("1e400", "1e300");
    let t = raw_token(rsa_key(), &header_for(rsa_key(), "RS256"), &payload, Alg::RS256);
    ok(v.authenticate(&t).await);
}

#[tokio::test]
async fn hardening_oversized_token_is_refused_before_splitting() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let dots = ".".repeat(100_000);
    assert_eq!(
        message(v.authenticate(&dots).await),
        "unauthorized: oidc: malformed jwt: token is larger than 16384 bytes"
    );
    let t = p.token_with(|c| {
        c.insert("pad".into(), json!("x".repeat(6000)));
    });
    assert!(t.len() > 8 * 1024 && t.len() < MAX_TOKEN_BYTES);
    ok(v.authenticate(&t).await);
}

#[tokio::test]
async fn a14_damaged_signature_and_edited_payload_are_refused() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let t = p.token();
    let s = segments(&t);
    let mut sig = B64.decode(&s[2]).unwrap();
    sig[10] ^= 1;
    let flipped = format!("{}.{}.{}", s[0], s[1], B64.encode(&sig));
    assert_eq!(
        message(v.authenticate(&flipped).await),
        "unauthorized: failed to verify signature: failed to verify id token signature"
    );
    let edited = p.token_with(|c| {
        c.insert("email".into(), json!("admin@example.com"));
    });
    let forged = format!("{}.{}.{}", s[0], segments(&edited)[1], s[2]);
    assert_eq!(
        message(v.authenticate(&forged).await),
        "unauthorized: failed to verify signature: failed to verify id token signature"
    );
    ok(v.authenticate(&t).await);
}

#[tokio::test]
async fn mock_idp_password_token_verifies_end_to_end() {
    let idp = mock_idp::MockIdp::start().await;
    let settings = OidcSettings {
        issuer: idp.issuer_url(),
        client_id: Some(CLIENT.into()),
        username_claim: "email".into(),
        groups_claim: Some("groups".into()),
        ..OidcSettings::default()
    };
    let v = OidcVerifier::start(settings).await.unwrap();
    let token_url = format!("{}/token", idp.issuer_url());
    let resp: Value = reqwest::Client::new()
        .post(token_url)
        .form(&[
            ("grant_type", "password"),
            ("client_id", CLIENT),
            ("username", "admin"),
            ("password", "admin-pass"),
            ("scope", "openid email groups"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = ok(v.authenticate(resp["id_token"].as_str().expect("an id_token")).await);
    assert_eq!(id.username, "admin@example.com");
    assert_eq!(id.groups, ["admins"]);
    let _unused: AtomicU64 = AtomicU64::new(0);
}

// ---------------------------------------------------------------- confirmed on v1.38.11 (real)

#[tokio::test]
async fn step15_header_member_types_and_shapes_use_go_jose_texts() {
    // real: every text below was observed on Weaviate v1.38.11 (go-jose v4.1.4).
    let p = Provider::start(&[rsa_key()], &["RS256", "PS256"]).await;
    let v = p.verifier().await;
    let claims = Value::Object(p.claims()).to_string();
    let kid = rsa_key().kid().as_str().to_owned();
    let cases = [
        (
            r#"{"alg":"RS256","kid":123}"#.to_owned(),
            r#"failed to unmarshal key ID: json: cannot unmarshal number into Go value of type string: "123""#,
        ),
        (
            r#"{"alg":1,"kid":"k1"}"#.to_owned(),
            r#"failed to unmarshal algorithm: json: cannot unmarshal number into Go value of type string: "1""#,
        ),
        (
            "[1]".to_owned(),
            "json: cannot unmarshal array into Go value of type jose.rawHeader",
        ),
        (
            "null".to_owned(),
            r#"unexpected signature algorithm ""; expected ["RS256" "PS256"]"#,
        ),
        (
            format!(r#"{{"alg":"RS256","kid":"{kid}","x5c":["AAAA"]}}"#),
            r#"failed to unmarshal x5c header: x509: malformed certificate: "[\"AAAA\"]""#,
        ),
        (
            format!(r#"{{"alg":"RS256","kid":"{kid}","x5c":["!!"]}}"#),
            r#"failed to unmarshal x5c header: illegal base64 data at input byte 0: "[\"!!\"]""#,
        ),
        (
            format!(r#"{{"alg":"RS256","kid":"{kid}","jwk":{{"kty":"oct","k":"AAAA"}}}}"#),
            "go-jose/go-jose: invalid embedded jwk, must be public key",
        ),
    ];
    for (header, text) in cases {
        let t = raw_token(rsa_key(), &header, &claims, Alg::RS256);
        assert_eq!(
            message(v.authenticate(&t).await),
            format!("unauthorized: oidc: malformed jwt: {text}"),
            "{header}"
        );
    }
    assert_eq!(p.hits(), 0);
    ok(v.authenticate(&raw_token(
        rsa_key(),
        &format!(r#"{{"alg":"RS256","kid":"{kid}","x5c":[]}}"#),
        &claims,
        Alg::RS256,
    ))
    .await);
}

#[tokio::test]
async fn step8_field_names_fold_case_and_null_aud_is_one_empty_string() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let exp = now_s() + 600;
    // real: `ISS` and `iſs` (long s) both fill `iss`; a null payload has issuer "".
    for key in ["ISS", "i\u{17f}s"] {
        let payload = format!(r#"{{"{key}":"{}","aud":"{CLIENT}","exp":{exp},"email":"a"}}"#, p.issuer());
        ok(
            v.authenticate(&raw_token(rsa_key(), &header_for(rsa_key(), "RS256"), &payload, Alg::RS256))
                .await,
        );
    }
    let t = raw_token(rsa_key(), &header_for(rsa_key(), "RS256"), "null", Alg::RS256);
    assert_eq!(
        message(v.authenticate(&t).await),
        format!(
            "unauthorized: oidc: id token issued by a different provider, expected \"{}\" got \"\"",
            p.issuer()
        )
    );
    // real: `"aud": null` decodes as [""].
    let t = p.token_with(|c| {
        c.insert("aud".into(), Value::Null);
    });
    assert_eq!(
        message(v.authenticate(&t).await),
        "unauthorized: oidc: expected audience \"weaviate\" got [\"\"]"
    );
    // real: `"iat": null` and `"exp": ""` fail to decode.
    let t = p.token_with(|c| {
        c.insert("iat".into(), Value::Null);
    });
    assert_eq!(
        message(v.authenticate(&t).await),
        r#"unauthorized: oidc: failed to unmarshal claims: strconv.ParseFloat: parsing "": invalid syntax"#
    );
    let t = p.token_with(|c| {
        c.insert("exp".into(), json!(""));
    });
    assert_eq!(
        message(v.authenticate(&t).await),
        r#"unauthorized: oidc: failed to unmarshal claims: json: invalid number literal, trying to unmarshal "\"\"" into Number"#
    );
}

#[tokio::test]
async fn step16_whitespace_inside_the_signature_is_stripped_by_go_jose() {
    // real: `h.p.<sig with a space inside>` is accepted (go-jose strips whitespace; go-oidc's
    // own payload split never sees the third segment).
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let t = p.token();
    let spaced = format!("{} {}", &t[..t.len() - 10], &t[t.len() - 10..]);
    ok(v.authenticate(&spaced).await);
    let s = segments(&t);
    let in_payload = format!("{}.{} {}.{}", s[0], &s[1][..4], &s[1][4..], s[2]);
    assert_eq!(
        message(v.authenticate(&in_payload).await),
        "unauthorized: oidc: malformed jwt: oidc: malformed jwt payload: illegal base64 data at input byte 4"
    );
}

#[tokio::test]
async fn step21_undecodable_jwks_keeps_the_cache_and_names_the_content_type() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    ok(v.authenticate(&p.token()).await);
    let claims = Value::Object(p.claims()).to_string();
    let unknown = raw_token(rsa_key(), r#"{"alg":"RS256","kid":"nope"}"#, &claims, Alg::RS256);
    // real: X25519 keys are as unsupported as an unknown kty; the cache survives.
    let body = json!({"keys": [rsa_key().public_jwk(), {"kty": "OKP", "crv": "X25519", "kid": "x", "x": "MDAw"}]}).to_string();
    p.served.lock().unwrap().jwks_body = Some(body.clone());
    assert_eq!(
        message(v.authenticate(&unknown).await),
        format!("unauthorized: failed to verify signature: fetching keys oidc: failed to decode keys: got Content-Type = application/json, but could not unmarshal as JSON: go-jose/go-jose: unsupported key type/format {body}")
    );
    ok(v.authenticate(&p.token()).await);
    p.served.lock().unwrap().jwks_body = Some("not json".into());
    assert!(message(v.authenticate(&unknown).await).ends_with(
        "failed to decode keys: got Content-Type = application/json, but could not unmarshal as JSON: invalid character 'o' in literal null (expecting 'u') not json"
    ));
    // (with `text/plain` the real server says `expected Content-Type = application/json, got "text/plain": ...`)
    assert_eq!(
        unmarshal_resp_error(Some("text/plain"), "x"),
        "expected Content-Type = application/json, got \"text/plain\": x"
    );
}

#[tokio::test]
async fn step21_jwks_transport_failure_and_404_texts() {
    // real: `fetching keys oidc: get keys failed Get "<url>": dial tcp <host:port>: connect:
    // connection refused` (no colon after "failed") and `get keys failed: 404 Not Found ` (empty body).
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut s = p.settings();
    s.jwks_url = Some(format!("http://127.0.0.1:{port}/jwks"));
    let v = OidcVerifier::start(s.clone()).await.unwrap();
    assert_eq!(
        message(v.authenticate(&p.token()).await),
        format!("unauthorized: failed to verify signature: fetching keys oidc: get keys failed Get \"http://127.0.0.1:{port}/jwks\": dial tcp 127.0.0.1:{port}: connect: connection refused")
    );
    s.jwks_url = Some(format!("{}/nothing", p.issuer()));
    let v = OidcVerifier::start(s.clone()).await.unwrap();
    assert_eq!(
        message(v.authenticate(&p.token()).await),
        "unauthorized: failed to verify signature: fetching keys oidc: get keys failed: 404 Not Found "
    );
    s.jwks_url = Some(format!("{}/jwks", p.issuer()));
    ok(OidcVerifier::start(s).await.unwrap().authenticate(&p.token()).await);
}

#[tokio::test]
async fn step27_dotted_claim_names_are_flat_keys() {
    // real: with USERNAME_CLAIM=a.b and GROUPS_CLAIM=g.h, {"a":{"b":..}} is "doesn't contain"
    // (500) and {"a.b":"flat","g.h":["y"]} gives username "flat", groups ["y"].
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let mut s = p.settings();
    s.username_claim = "a.b".into();
    s.groups_claim = Some("g.h".into());
    let v = OidcVerifier::start(s).await.unwrap();
    let nested = p.token_with(|c| {
        c.insert("a".into(), json!({"b": "nested"}));
        c.insert("g".into(), json!({"h": ["x"]}));
    });
    let f = v.authenticate(&nested).await.unwrap_err();
    assert_eq!(
        (f.status, f.message.as_str()),
        (500, "oidc: token doesn't contain required claim 'a.b'")
    );
    let flat = p.token_with(|c| {
        c.insert("a.b".into(), json!("flat"));
        c.insert("g.h".into(), json!(["y"]));
    });
    assert_eq!(
        ok(v.authenticate(&flat).await),
        OidcIdentity {
            username: "flat".into(),
            groups: vec!["y".into()]
        }
    );
}

#[tokio::test]
async fn step16_json_serialization_gets_go_syntax_errors() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let s = segments(&p.token());
    let t = format!("{{\"x\":1}}.{}.{}", s[1], s[2]);
    assert_eq!(
        message(v.authenticate(&t).await),
        "unauthorized: oidc: malformed jwt: invalid character '.' after top-level value"
    );
    ok(v.authenticate(&p.token()).await);
}

#[tokio::test]
async fn step19_cancelled_caller_does_not_cancel_the_shared_fetch() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = Arc::new(p.verifier().await);
    let guard = p.hold.write().await;
    let first = {
        let v = Arc::clone(&v);
        let t = p.token();
        tokio::spawn(async move { v.authenticate(&t).await })
    };
    while v.jwks_fetches() == 0 {
        tokio::task::yield_now().await;
    }
    first.abort();
    assert!(first.await.unwrap_err().is_cancelled());
    drop(guard);
    // The fetch the cancelled caller started still fills the cache.
    while p.hits() == 0 || v.keys.inflight.lock().unwrap().is_some() {
        tokio::task::yield_now().await;
    }
    ok(v.authenticate(&p.token()).await);
    assert_eq!(v.jwks_fetches(), 1);
}

#[tokio::test]
async fn a29_mutated_tokens_and_random_bytes_never_panic() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let t = p.token();
    let now = SystemTime::now();
    let bytes = t.as_bytes();
    let replacements = [b'.', b'=', b'+', b'/', b'A', b'_', b' ', b'{'];
    for i in 0..bytes.len() {
        for r in replacements {
            let mut m = bytes.to_vec();
            m[i] = r;
            let m = String::from_utf8(m).unwrap();
            let _ = v.check_claims(&m, now);
            let _ = jose::parse_compact(&m, v.algorithms());
        }
    }
    // A small LCG feeds arbitrary bytes to the JSON scanner and the JWK/JWKS decoders.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..3000 {
        let len = (x % 40) as usize;
        let mut buf = Vec::with_capacity(len);
        for _ in 0..len {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let alphabet = b"{}[]\":,0123456789.eE+-tfnrulsa \\u\xff";
            buf.push(alphabet[(x >> 33) as usize % alphabet.len()]);
        }
        let _ = gojson::parse(&buf);
        let _ = jose::parse_key_set(&buf);
    }
    ok(v.authenticate(&t).await);
}

#[tokio::test]
async fn a29_deeply_nested_claims_under_the_size_cap_verify_without_stack_overflow() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let depth = 5_000;
    let payload = format!(
        r#"{{"iss":"{}","aud":"{CLIENT}","exp":{},"email":"a","x":{}{}}}"#,
        p.issuer(),
        now_s() + 60,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let header = format!(
        r#"{{"alg":"RS256","kid":"{}","y":{}1{}}}"#,
        rsa_key().kid().as_str(),
        "{\"a\":".repeat(300),
        "}".repeat(300)
    );
    let t = raw_token(rsa_key(), &header, &payload, Alg::RS256);
    assert!(t.len() < MAX_TOKEN_BYTES);
    assert_eq!(ok(v.authenticate(&t).await).username, "a");
}

// ---------------------------------------------------------------- TLS to the provider

/// Test-only CA and server certificate (for 127.0.0.1), generated for these tests; never a real
/// secret. Valid for 100 years.
const TEST_CA_PEM: &str = "-----BEGIN CERTIFICATE-----\nMIIBpjCCAUugAwIBAgIURgr1bLaKQV1DXpbCT3Hfj0G634cwCgYIKoZIzj0EAwIw\nHzEdMBsGA1UEAwwUb2lkYy1oYXJuZXNzIHRlc3QgQ0EwIBcNMjYxMTIzMTEwNzQ5\nWhgPMjEyNjEwMzAxMTA3NDlaMB8xHTAbBgNVBAMMFG9pZGMtaGFybmVzcyB0ZXN0\nIENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEJTx6bFvyFcCeP3oDxAOedTM\nlEWBHlfU7IGsqDrWoKJsp52XfFrCBzIY4t5ljBfERwJiam9UIuUY7l7Xup3TU6Nj\nMGEwHQYDVR0OBBYEFFmENNgH0y4K5J4jAgr+8iLQ9f2yMB8GA1UdIwQYMBaAFFmE\nNNgH0y4K5J4jAgr+8iLQ9f2yMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQD\nAgIEMAoGCCqGSM49BAMCA0kAMEYCIQDSicLyzA3Xecr++E7CJjcdPh//6O3ZraiG\noS7EslALwgIhAKGTZEN7ulCQt24RFSAHmX6LsQR93hQdKdMVUp8aEOj3\n-----END CERTIFICATE-----";
const TEST_SERVER_CERT_DER_B64: &str = "MIIBqjCCAVCgAwIBAgIUBjI6DafzP44ZWi+4qEzixs+2kTMwCgYIKoZIzj0EAwIwHzEdMBsGA1UEAwwUb2lkYy1oYXJuZXNzIHRlc3QgQ0EwIBcNMjYxMTIzMTEwNzQ5WhgPMjEyNjEwMzAxMTA3NDlaMBQxEjAQBgNVBAMMCTEyNy4wLjAuMTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABCBHEXhWXHcHEtQeGHe93XsuPk8jScfc+DEeXPLRD4dbHUCDun1ZnYhqguGoqoqnVA2dKFAZEJ0v5F2+8Eazlz2jczBxMA8GA1UdEQQIMAaHBH8AAAEwCQYDVR0TBAIwADATBgNVHSUEDDAKBggrBgEFBQcDATAdBgNVHQ4EFgQUOz4YD+p0MRs6xNFViN2dSfrTBLcwHwYDVR0jBBgwFoAUWYQ02AfTLgrkniMCCv7yItD1/bIwCgYIKoZIzj0EAwIDSAAwRQIgGner1c9XhuLZqF/DiQ3poof1Kv2laFUvIni+M4hSw9UCIQDW1NctHyXLmrajOqTCmnPp7zXq+vV19Gv+HLCr7WZqXw==";
const TEST_SERVER_KEY_PKCS8_B64: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgWmM2XoDJMfDVfo0rpwNUVcYYo8LwxQRkcjbeT0ZsQNOhRANCAAQgRxF4Vlx3BxLUHhh3vd17Lj5PI0nH3PgxHlzy0Q+HWx1Ag7p9WZ2IaoLhqKqKp1QNnShQGRCdL+RdvvBGs5c9";

/// An HTTPS provider on 127.0.0.1:0 that answers discovery and the JWKS, one request per
/// connection.
async fn tls_provider(keys: &[&SigningKey]) -> SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let cert = CertificateDer::from(base64::engine::general_purpose::STANDARD.decode(TEST_SERVER_CERT_DER_B64).unwrap());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        base64::engine::general_purpose::STANDARD.decode(TEST_SERVER_KEY_PKCS8_B64).unwrap(),
    ));
    let config = tokio_rustls::rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("could not bind a local port for the TLS provider");
    let addr = listener.local_addr().unwrap();
    let jwks = json!({"keys": keys.iter().map(|k| k.public_jwk().clone()).collect::<Vec<_>>()}).to_string();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let jwks = jwks.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut req = Vec::new();
                let mut buf = [0u8; 1024];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                let path = String::from_utf8_lossy(&req).split(' ').nth(1).unwrap_or("").to_owned();
                let body = match path.as_str() {
                    "/.well-known/openid-configuration" => json!({
                        "issuer": format!("https://{addr}"), "jwks_uri": format!("https://{addr}/jwks"),
                        "id_token_signing_alg_values_supported": ["RS256"],
                    })
                    .to_string(),
                    _ => jwks,
                };
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(resp.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn step6_custom_certificate_is_an_extra_root_and_insecure_skips_checks() {
    let addr = tls_provider(&[rsa_key()]).await;
    let issuer = format!("https://{addr}");
    let base = OidcSettings {
        issuer: issuer.clone(),
        client_id: Some(CLIENT.into()),
        username_claim: "email".into(),
        ..OidcSettings::default()
    };
    let err = OidcVerifier::start(base.clone()).await.unwrap_err();
    assert!(
        err.starts_with(&format!(
            "could not setup provider: Get \"{issuer}/.well-known/openid-configuration\": "
        )),
        "{err}"
    );
    let claims = json!({"iss": issuer, "aud": CLIENT, "exp": now_s() + 60, "email": "tls@example.com"});
    let token = rsa_key().sign(claims.as_object().unwrap(), "JWT");
    let with_ca = OidcVerifier::start(OidcSettings {
        certificate: Some(TEST_CA_PEM.into()),
        ..base.clone()
    })
    .await
    .unwrap();
    assert_eq!(ok(with_ca.authenticate(&token).await).username, "tls@example.com");
    let insecure = OidcVerifier::start(OidcSettings {
        insecure_skip_tls_verify: true,
        ..base.clone()
    })
    .await
    .unwrap();
    ok(insecure.authenticate(&token).await);
    let bad = OidcVerifier::start(OidcSettings {
        certificate: Some("not a pem".into()),
        ..base
    })
    .await
    .unwrap_err();
    assert!(bad.starts_with("could not setup provider: invalid certificate"), "{bad}");
}

#[tokio::test]
async fn step1_undecodable_discovery_texts() {
    // real: all three startup failures below, as logged by v1.38.11 after "oidc init: ".
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let issuer = p.issuer();
    let cases = [
        ("hello".to_owned(), "text/plain", r#"expected Content-Type = application/json, got "text/plain": invalid character 'h' looking for beginning of value"#),
        (r#"{"issuer": 5}"#.to_owned(), "application/json", "got Content-Type = application/json, but could not unmarshal as JSON: json: cannot unmarshal number into Go struct field providerJSON.issuer of type string"),
        (
            format!(r#"{{"issuer": "{issuer}", "jwks_uri": "x", "id_token_signing_alg_values_supported": "RS256"}}"#),
            "application/json",
            "got Content-Type = application/json, but could not unmarshal as JSON: json: cannot unmarshal string into Go struct field providerJSON.id_token_signing_alg_values_supported of type []string",
        ),
    ];
    for (body, ct, text) in cases {
        p.served.lock().unwrap().discovery_body = Some((body, ct));
        assert_eq!(
            OidcVerifier::start(p.settings()).await.unwrap_err(),
            format!("could not setup provider: oidc: failed to decode provider discovery object: {text}")
        );
    }
    p.served.lock().unwrap().discovery_body = None;
    assert!(OidcVerifier::start(p.settings()).await.is_ok());
}

#[tokio::test]
async fn a34_ecdsa_high_s_is_still_a_valid_signature() {
    // P-256 group order n; replacing s by n - s gives another valid signature (Go accepts it).
    const N: [u8; 32] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17,
        0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
    ];
    let p = Provider::start(&[es_key()], &["ES256"]).await;
    let v = p.verifier().await;
    let t = es_key().sign(&p.claims(), "JWT");
    let s = segments(&t);
    let sig = B64.decode(&s[2]).unwrap();
    let mut flipped = sig[..32].to_vec();
    let mut borrow = 0i16;
    let mut neg = [0u8; 32];
    for i in (0..32).rev() {
        let d = N[i] as i16 - sig[32 + i] as i16 - borrow;
        borrow = i16::from(d < 0);
        neg[i] = d.rem_euclid(256) as u8;
    }
    flipped.extend_from_slice(&neg);
    ok(v.authenticate(&format!("{}.{}.{}", s[0], s[1], B64.encode(&flipped))).await);
    ok(v.authenticate(&t).await);
}

#[tokio::test]
async fn a2_a13_none_spellings_and_empty_signature_are_refused() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let t = p.token();
    let s = segments(&t);
    for alg in ["None", "NONE", "nOnE"] {
        let h = B64.encode(format!(r#"{{"alg":"{alg}"}}"#));
        assert_eq!(
            message(v.authenticate(&format!("{h}.{}.{}", s[1], s[2])).await),
            format!("unauthorized: oidc: malformed jwt: unexpected signature algorithm \"{alg}\"; expected [\"RS256\"]")
        );
    }
    assert_eq!(
        message(v.authenticate(&format!("{}.{}.", s[0], s[1])).await),
        "unauthorized: failed to verify signature: failed to verify id token signature"
    );
    ok(v.authenticate(&t).await);
}
