//! Token endpoint successful response: cache headers and members, refresh-token format and
//! lifetimes (P51, P54, P109).

use std::collections::HashSet;

use mock_idp::config::LifetimeOverrides;
use mock_idp::{ClientConfig, MockIdp};
use serde_json::Value;

use crate::support::{claims, Env};
use crate::token_support::{admin_password, ci_credentials, confidential, enc, post, FORM};

#[tokio::test]
async fn p51_success_has_no_store_pragma_and_every_member() {
    let env = Env::start().await;
    let url = env.endpoint("token_endpoint").await;
    let resp = post(&env, &url, Some(FORM), enc(&admin_password()), None).await;
    assert_eq!(resp.status(), 200);
    let h = resp.headers().clone();
    assert!(h["content-type"].to_str().unwrap().starts_with("application/json"));
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["pragma"], "no-cache");
    let body: Value = resp.json().await.unwrap();
    assert!(body["access_token"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(body["token_type"], "Bearer");
    let expires_in = body["expires_in"].as_i64().expect("expires_in is an integer");
    assert!(expires_in > 0 && expires_in < 365 * 86400);
    assert!(body["scope"].is_string());
    assert!(body["refresh_token"].is_string());
    assert!(body["id_token"].is_string());
}

#[tokio::test]
async fn p54_refresh_tokens_are_base64url_with_at_least_128_bits() {
    let env = Env::start().await;
    let mut seen = HashSet::new();
    for _ in 0..3 {
        let rt = env.password_tokens("admin", "admin-pass").await["refresh_token"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(rt.len() >= 22, "22 base64url characters carry 128 bits: {}", rt.len());
        assert!(rt.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert!(seen.insert(rt));
    }
}

#[tokio::test]
async fn p109_expires_in_equals_exp_minus_iat_of_the_access_token() {
    let env = Env::with(
        MockIdp::builder()
            .client(ClientConfig {
                lifetimes: LifetimeOverrides {
                    access_token_s: Some(123),
                    ..LifetimeOverrides::default()
                },
                ..confidential("short-svc", "s")
            })
            .start()
            .await,
    );
    let check = |body: &Value| {
        let at = claims(body["access_token"].as_str().unwrap());
        let lifetime = at["exp"].as_i64().unwrap() - at["iat"].as_i64().unwrap();
        assert_eq!(body["expires_in"].as_i64().unwrap(), lifetime, "{body}");
        lifetime
    };
    let pw = env.password_tokens("admin", "admin-pass").await;
    assert_eq!(check(&pw), 300);
    let (_, cc) = env.token(&ci_credentials()).await;
    assert_eq!(check(&cc), 300);
    let (_, short) = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "short-svc"),
            ("client_secret", "s"),
        ])
        .await;
    assert_eq!(check(&short), 123);
    let (status, refreshed) = env
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", pw["refresh_token"].as_str().unwrap()),
            ("client_id", "weaviate"),
        ])
        .await;
    assert_eq!(status, 200);
    assert_eq!(check(&refreshed), 300);
}
