//! Token endpoint client authentication: Basic and body credentials, public clients, the
//! registered method and the 401 challenge (P47-P50, P52).

use mock_idp::config::AuthMethod;
use mock_idp::{ClientConfig, MockIdp};
use serde_json::Value;

use crate::support::{claims, Env};
use crate::token_support::{admin_password, basic, ci_credentials, confidential, enc, post, FORM};

/// POSTs a form to the token endpoint, optionally with a Basic header; status and JSON body.
async fn token_with(env: &Env, pairs: &[(&str, &str)], auth: Option<&str>) -> (u16, Value) {
    let url = env.endpoint("token_endpoint").await;
    let resp = post(env, &url, Some(FORM), enc(pairs), auth).await;
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn p47_client_secret_basic_round_trips_special_characters() {
    let id = "svc:a%b+c d-\u{e9}";
    let secret = "s:e%c+r t-\u{fc}\u{4e16}";
    let idp = MockIdp::builder().client(confidential(id, secret)).start().await;
    let env = Env::with(idp);
    let (status, body) = token_with(&env, &[("grant_type", "client_credentials")], Some(&basic(id, secret))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(claims(body["access_token"].as_str().unwrap())["client_id"], id);
    // The same client with client_secret_post, and a near-miss secret that must fail.
    let (status, _) = env
        .token(&[("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret)])
        .await;
    assert_eq!(status, 200);
    let (status, body) = token_with(&env, &[("grant_type", "client_credentials")], Some(&basic(id, "s:e%c+r t-u"))).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
}

#[tokio::test]
async fn p47_undecodable_basic_credentials_are_invalid_request() {
    let env = Env::start().await;
    for bad in ["Basic !!!not-base64!!!", "Basic Y2ktcnVubmVy"] {
        let (status, body) = token_with(&env, &[("grant_type", "client_credentials")], Some(bad)).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")), "{bad}");
    }
    let (status, _) = token_with(
        &env,
        &[("grant_type", "client_credentials")],
        Some(&basic("ci-runner", "ci-runner-secret")),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn p48_client_secret_post_authenticates() {
    let env = Env::start().await;
    let (status, body) = env.token(&ci_credentials()).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "ci-runner"),
            ("client_secret", "wrong"),
        ])
        .await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
}

#[tokio::test]
async fn p49_only_public_clients_may_send_client_id_alone() {
    let env = Env::start().await;
    assert_eq!(env.token(&admin_password()).await.0, 200);
    let (status, body) = env.token(&[("grant_type", "client_credentials"), ("client_id", "ci-runner")]).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
}

#[tokio::test]
async fn p50_basic_and_body_secret_together_are_invalid_request() {
    let env = Env::start().await;
    let auth = basic("ci-runner", "ci-runner-secret");
    let (status, body) = token_with(
        &env,
        &[("grant_type", "client_credentials"), ("client_secret", "ci-runner-secret")],
        Some(&auth),
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")));
    // The same body client_id as the Basic one is allowed.
    let (status, _) = token_with(
        &env,
        &[("grant_type", "client_credentials"), ("client_id", "ci-runner")],
        Some(&auth),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn p50_body_client_id_differing_from_basic_is_invalid_request() {
    let env = Env::start().await;
    let auth = basic("ci-runner", "ci-runner-secret");
    let (status, body) = token_with(
        &env,
        &[("grant_type", "client_credentials"), ("client_id", "weaviate")],
        Some(&auth),
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")));
}

#[tokio::test]
async fn p50_method_other_than_registered_is_invalid_client() {
    let client = ClientConfig {
        auth_method: Some(AuthMethod::ClientSecretBasic),
        ..confidential("basic-only", "bo-secret")
    };
    let env = Env::with(MockIdp::builder().client(client).start().await);
    let (status, body) = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "basic-only"),
            ("client_secret", "bo-secret"),
        ])
        .await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
    let (status, _) = token_with(
        &env,
        &[("grant_type", "client_credentials")],
        Some(&basic("basic-only", "bo-secret")),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn p52_invalid_client_after_basic_gets_401_with_a_basic_challenge() {
    let env = Env::start().await;
    let issuer = env.idp.issuer_url();
    let url = env.endpoint("token_endpoint").await;
    let body = enc(&[("grant_type", "client_credentials")]);
    let resp = post(&env, &url, Some(FORM), body.clone(), Some(&basic("ci-runner", "nope"))).await;
    assert_eq!(resp.status(), 401);
    let challenge = resp.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(challenge.starts_with(&format!("Basic realm=\"{issuer}\"")), "{challenge}");
    assert!(challenge.contains("error=\"invalid_client\""), "{challenge}");
    // Without the header the 401 still carries a challenge (RFC 9110 §15.5.2).
    let resp = post(
        &env,
        &url,
        Some(FORM),
        enc(&[
            ("grant_type", "client_credentials"),
            ("client_id", "nobody"),
            ("client_secret", "x"),
        ]),
        None,
    )
    .await;
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().contains_key("www-authenticate"));
    let resp = post(&env, &url, Some(FORM), body, Some(&basic("ci-runner", "ci-runner-secret"))).await;
    assert_eq!(resp.status(), 200);
}
