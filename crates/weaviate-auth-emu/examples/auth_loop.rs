//! Answers one kind of request N times in process, through the emulation's router and without
//! sockets (only the provider's discovery and JWKS go over loopback, once), so that
//! `valgrind --tool=callgrind` can count instructions per request (docs/benchmarks.md):
//!
//! ```sh
//! cargo build --release -p weaviate-auth-emu --example auth_loop
//! valgrind --tool=callgrind target/release/examples/auth_loop valid 200
//! ```
//!
//! Kinds: `health` (`/v1/.well-known/ready`, no credentials), `valid` (`GET /v1/schema` with a
//! valid RS256 token from the cached JWKS), `api-key`, `expired` (refused before the signature
//! is checked) and `bad-signature` (refused after the one JWKS refetch go-oidc makes per
//! failing token). Run it with two counts and divide the difference of the instruction counts
//! by the difference of the counts.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use mock_idp::{MockIdp, Preset, TokenBuilder, TokenKind};
use tower::ServiceExt;
use weaviate_auth_emu::{AppState, Config};

const API_KEY: &str = "bench-key";

fn token(idp: &MockIdp, builder: TokenBuilder) -> String {
    let minted = idp.mint(builder.user("admin").tokens([TokenKind::AccessToken])).expect("mint");
    minted.access_token.expect("an access token")
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let kind = args.next().unwrap_or_else(|| "valid".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(100);
    let idp = MockIdp::start().await;
    let issuer = idp.issuer_url();
    let vars = [
        ("AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED", "false"),
        ("AUTHENTICATION_OIDC_ENABLED", "true"),
        ("AUTHENTICATION_OIDC_ISSUER", issuer.as_str()),
        ("AUTHENTICATION_OIDC_CLIENT_ID", "weaviate"),
        ("AUTHENTICATION_OIDC_USERNAME_CLAIM", "preferred_username"),
        ("AUTHENTICATION_OIDC_GROUPS_CLAIM", "groups"),
        ("AUTHENTICATION_APIKEY_ENABLED", "true"),
        ("AUTHENTICATION_APIKEY_ALLOWED_KEYS", API_KEY),
        ("AUTHENTICATION_APIKEY_USERS", "admin"),
        ("AUTHORIZATION_ADMINLIST_ENABLED", "true"),
        ("AUTHORIZATION_ADMINLIST_USERS", "admin"),
    ];
    let config = Config::from_vars(vars).expect("config");
    let app = weaviate_auth_emu::router(AppState::start(config, "http://127.0.0.1:8080").await.expect("start"));
    let (path, bearer, expect) = match kind.as_str() {
        "health" => ("/v1/.well-known/ready", None, StatusCode::OK),
        "valid" => ("/v1/schema", Some(token(&idp, TokenBuilder::new())), StatusCode::OK),
        "api-key" => ("/v1/schema", Some(API_KEY.to_owned()), StatusCode::OK),
        "expired" => (
            "/v1/schema",
            Some(token(&idp, TokenBuilder::new().preset(Preset::Expired))),
            StatusCode::UNAUTHORIZED,
        ),
        "bad-signature" => (
            "/v1/schema",
            Some(token(&idp, TokenBuilder::new().preset(Preset::BadSignature))),
            StatusCode::UNAUTHORIZED,
        ),
        other => panic!("unknown kind {other}"),
    };
    // Fill the JWKS cache first, as a server that has seen one token has.
    let warm = token(&idp, TokenBuilder::new());
    let request = |bearer: Option<&str>| {
        let mut r = Request::get(path);
        if let Some(t) = bearer {
            r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        r.body(Body::empty()).expect("request")
    };
    let resp = app.clone().oneshot(request(Some(&warm))).await.expect("infallible");
    assert_eq!(resp.status(), StatusCode::OK, "warm-up");
    for _ in 0..n {
        let resp = app.clone().oneshot(request(bearer.as_deref())).await.expect("infallible");
        assert_eq!(resp.status(), expect, "{kind}");
        axum::body::to_bytes(resp.into_body(), usize::MAX).await.expect("body");
    }
    eprintln!("{n} x {kind}");
}
