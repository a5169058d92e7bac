//! Client credentials grant: who may use it, refresh and ID tokens, subject and audience
//! (P60-P63).

use mock_idp::{ClientConfig, MockIdp};
use serde_json::Value;

use crate::support::{claims, Env};
use crate::token_support::{ci_credentials, confidential, public};

#[tokio::test]
async fn p60_public_client_gets_unauthorized_client_for_client_credentials() {
    let env = Env::with(MockIdp::builder().client(public("spa")).start().await);
    let (status, body) = env.token(&[("grant_type", "client_credentials"), ("client_id", "spa")]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("unauthorized_client")));
    assert_eq!(env.token(&ci_credentials()).await.0, 200);
}

#[tokio::test]
async fn p60_client_credentials_without_authentication_is_invalid_client() {
    let env = Env::start().await;
    let (status, body) = env.token(&[("grant_type", "client_credentials")]).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
    assert_eq!(env.token(&ci_credentials()).await.0, 200);
}

#[tokio::test]
async fn p61_client_credentials_gives_no_refresh_token_and_an_id_token_only_on_request() {
    let env = Env::with(
        MockIdp::builder()
            .client(ClientConfig {
                id_token_for_client_credentials: true,
                ..confidential("svc-with-id", "s")
            })
            .start()
            .await,
    );
    let (status, body) = env.token(&[&ci_credentials()[..], &[("scope", "openid")]].concat()).await;
    assert_eq!(status, 200);
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert!(body.get("id_token").is_none(), "{body}");
    let (status, body) = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "svc-with-id"),
            ("client_secret", "s"),
            ("scope", "openid offline_access"),
        ])
        .await;
    assert_eq!(status, 200);
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert_eq!(
        claims(body["id_token"].as_str().expect("the option gives an ID token"))["sub"],
        "svc-with-id"
    );
}

#[tokio::test]
async fn p62_client_credentials_subject_is_the_client_id_with_configured_username_and_groups() {
    let env = Env::start().await;
    let (_, body) = env.token(&ci_credentials()).await;
    let at = claims(body["access_token"].as_str().unwrap());
    assert_eq!(at["sub"], "ci-runner");
    assert_eq!(at["client_id"], "ci-runner");
    assert_eq!(at["preferred_username"], "ci-runner");
    assert_eq!(at["groups"], serde_json::json!(["ci"]));
}

#[tokio::test]
async fn p63_audience_comes_from_the_parameter_then_the_client_default_then_the_client_id() {
    let env = Env::with(
        MockIdp::builder()
            .client(confidential("plain-svc", "s"))
            .client(ClientConfig {
                audience: vec!["https://api.example".into()],
                ..confidential("aud-svc", "s")
            })
            .client(ClientConfig {
                audience_parameter: false,
                ..confidential("fixed-svc", "s")
            })
            .start()
            .await,
    );
    let aud = |body: &Value| claims(body["access_token"].as_str().unwrap())["aud"].clone();
    let (_, b) = env.token(&[&ci_credentials()[..], &[("audience", "api://chosen")]].concat()).await;
    assert_eq!(aud(&b), "api://chosen");
    let (_, b) = env
        .token(&[&ci_credentials()[..], &[("resource", "https://rs.example/")]].concat())
        .await;
    assert_eq!(aud(&b), "https://rs.example/");
    let (_, b) = env.token(&ci_credentials()).await;
    assert_eq!(aud(&b), serde_json::json!(["ci-runner", "weaviate"]));
    let cc = |id: &'static str| vec![("grant_type", "client_credentials"), ("client_id", id), ("client_secret", "s")];
    let (_, b) = env.token(&cc("aud-svc")).await;
    assert_eq!(aud(&b), "https://api.example");
    let (_, b) = env.token(&cc("plain-svc")).await;
    assert_eq!(aud(&b), "plain-svc");
    // A client not allowed to choose its audience is refused when it tries, and served without.
    let (status, _) = env.token(&[&cc("fixed-svc")[..], &[("audience", "api://chosen")]].concat()).await;
    assert_eq!(status, 400);
    let (status, b) = env.token(&cc("fixed-svc")).await;
    assert_eq!((status, aud(&b)), (200, Value::from("fixed-svc")));
}
