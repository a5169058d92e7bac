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
use mock_idp::{Alg, SigningKey};
use serde_json::{json, Map, Value};

use super::*;

mod cache;
mod claims;
mod jose;
mod keys;
mod robustness;
mod startup;
mod weaviate;

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
    assert_eq!(f.kind, OidcFailureKind::Unauthorized, "{}", f.message);
    f.message
}

fn ok(r: Result<OidcIdentity, OidcFailure>) -> OidcIdentity {
    r.unwrap_or_else(|f| panic!("the token should be accepted, got {:?} {}", f.kind, f.message))
}
