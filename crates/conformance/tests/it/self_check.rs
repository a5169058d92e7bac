//! P26: the self-check against a running `MockIdp`, honest and lying.

use std::net::SocketAddr;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use conformance::{self_check, Credentials, Outcome};
use mock_idp::MockIdp;
use serde_json::Value;

#[tokio::test]
async fn p26_self_check_passes_every_capability_the_built_in_provider_advertises() {
    // Arrange
    let idp = MockIdp::start().await;
    // Act
    let report = self_check(&idp.discovery_url(), &Credentials::default()).await;
    // Assert: every row passes; a skip would mean an advertised capability went unchecked.
    for row in &report.rows {
        assert_eq!(row.outcome, Outcome::Pass, "{}\n{}", row.check, report.table());
    }
    for check in [
        "discovery",
        "grant_type password",
        "grant_type client_credentials",
        "grant_type refresh_token",
        "grant_type authorization_code",
        "grant_type implicit",
        "token_endpoint_auth_method client_secret_basic",
        "token_endpoint_auth_method client_secret_post",
        "token_endpoint_auth_method none",
        "id_token_signing_alg RS256",
        "id_token_signing_alg ES256",
        "id_token_signing_alg EdDSA",
        "response_type \"code\" response_mode query",
        "response_type \"code id_token\" response_mode form_post",
        "code_challenge_method S256",
        "code_challenge_method plain",
    ] {
        assert!(report.row(check).is_some(), "no row {check}:\n{}", report.table());
    }
}

/// A front for a `MockIdp` at `target`: forwards every request unchanged, except discovery,
/// which it passes through `lie`.
#[derive(Clone)]
struct LyingFront {
    target: SocketAddr,
    http: reqwest::Client,
    lie: fn(&mut Value),
}

async fn forward(State(front): State<LyingFront>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let url = format!("http://{}{path}", front.target);
    let body = to_bytes(body, 1 << 20).await.unwrap_or_default();
    let mut out = front.http.request(parts.method.clone(), &url).body(body);
    for (k, v) in &parts.headers {
        if k != "host" {
            out = out.header(k, v);
        }
    }
    let Ok(resp) = out.send().await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let status = resp.status();
    let headers: Vec<(HeaderName, _)> = resp.headers().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let bytes = resp.bytes().await.unwrap_or_default();
    let bytes = if path.ends_with("/.well-known/openid-configuration") {
        let mut doc: Value = serde_json::from_slice(&bytes).unwrap_or_default();
        (front.lie)(&mut doc);
        serde_json::to_vec(&doc).unwrap_or_default().into()
    } else {
        bytes
    };
    let mut r = Response::builder().status(status);
    for (k, v) in headers {
        if k != "content-length" && k != "transfer-encoding" {
            r = r.header(k, v);
        }
    }
    r.body(Body::from(bytes))
        .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
}

/// A `MockIdp` whose issuer is the lying front's address, so tokens and discovery agree.
async fn lying_provider(lie: fn(&mut Value)) -> (MockIdp, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("could not bind a local port for the front");
    let front_addr = listener.local_addr().expect("the front has an address");
    let idp = MockIdp::builder().base_url(format!("http://{front_addr}")).start().await;
    let front = LyingFront {
        target: idp.address(),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a reqwest client builds"),
        lie,
    };
    let app = axum::Router::new().fallback(forward).with_state(front);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let url = idp.discovery_url();
    (idp, url)
}

fn push(doc: &mut Value, member: &str, value: &str) {
    if let Some(list) = doc[member].as_array_mut() {
        list.push(Value::String(value.into()));
    }
}

#[tokio::test]
async fn p26_self_check_fails_naming_an_advertised_alg_without_a_key_and_passes_the_real_one() {
    // Arrange: discovery claims ES384, for which the provider has no key.
    let (_idp, url) = lying_provider(|doc| push(doc, "id_token_signing_alg_values_supported", "ES384")).await;
    // Act
    let report = self_check(&url, &Credentials::default()).await;
    // Assert
    assert!(!report.passed(), "{}", report.table());
    let lie = report.row("id_token_signing_alg ES384").expect("a row for the advertised ES384");
    assert!(
        matches!(&lie.outcome, Outcome::Fail(why) if why.contains("ES384")),
        "{:?}",
        lie.outcome
    );
    // The same check of the alg that really signs passes, through the same front.
    assert_eq!(report.row("id_token_signing_alg RS256").map(|r| &r.outcome), Some(&Outcome::Pass));
    assert_eq!(report.row("grant_type password").map(|r| &r.outcome), Some(&Outcome::Pass));
}

#[tokio::test]
async fn p26_self_check_fails_when_an_advertised_auth_method_is_refused_and_passes_without_the_lie() {
    // Arrange: the confidential client's secret is wrong, so client_secret_post cannot work...
    let (_idp, url) = lying_provider(|_| {}).await;
    let wrong = Credentials {
        confidential_secret: "not-the-secret".into(),
        ..Credentials::default()
    };
    // Act
    let broken = self_check(&url, &wrong).await;
    let fixed = self_check(&url, &Credentials::default()).await;
    // Assert: the row names the method and the OAuth error; with the right secret it passes.
    let row = broken.row("token_endpoint_auth_method client_secret_post").expect("a row");
    assert!(
        matches!(&row.outcome, Outcome::Fail(why) if why.contains("invalid_client")),
        "{:?}",
        row.outcome
    );
    let row = fixed.row("token_endpoint_auth_method client_secret_post").expect("a row");
    assert_eq!(row.outcome, Outcome::Pass);
}

#[tokio::test]
async fn p26_an_advertised_capability_without_a_check_is_a_skip_never_a_pass() {
    // Arrange
    let (_idp, url) = lying_provider(|doc| {
        push(doc, "grant_types_supported", "urn:ietf:params:oauth:grant-type:device_code");
        push(doc, "token_endpoint_auth_methods_supported", "private_key_jwt");
    })
    .await;
    // Act
    let report = self_check(&url, &Credentials::default()).await;
    // Assert
    for check in [
        "grant_type urn:ietf:params:oauth:grant-type:device_code",
        "token_endpoint_auth_method private_key_jwt",
    ] {
        let row = report.row(check).expect("a row per advertised capability");
        assert!(matches!(row.outcome, Outcome::Skip(_)), "{check}: {:?}", row.outcome);
    }
}

#[tokio::test]
async fn p26_self_check_fails_naming_an_advertised_response_mode_and_type_the_provider_refuses() {
    // Arrange: discovery claims a response mode and a response type that the provider refuses.
    let (_idp, url) = lying_provider(|doc| {
        push(doc, "response_modes_supported", "web_message");
        push(doc, "response_types_supported", "code token");
    })
    .await;
    // Act
    let report = self_check(&url, &Credentials::default()).await;
    // Assert: each lie is a failed row that carries the provider's refusal; the honest
    // combinations next to them pass.
    for check in [
        "response_type \"code\" response_mode web_message",
        "response_type \"code token\" response_mode fragment",
    ] {
        let row = report.row(check).unwrap_or_else(|| panic!("no row {check}:\n{}", report.table()));
        assert!(
            matches!(&row.outcome, Outcome::Fail(why) if why.contains("error=")),
            "{check}: {:?}",
            row.outcome
        );
    }
    for check in [
        "response_type \"code\" response_mode query",
        "response_type \"code id_token\" response_mode fragment",
    ] {
        assert_eq!(
            report.row(check).map(|r| &r.outcome),
            Some(&Outcome::Pass),
            "{check}:\n{}",
            report.table()
        );
    }
}
