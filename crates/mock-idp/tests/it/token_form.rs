//! Token endpoint request form: method, content type, body size, repeated, empty and unknown
//! parameters (P44-P46).

use serde_json::Value;

use crate::support::Env;
use crate::token_support::{admin_password, enc, post, FORM};

#[tokio::test]
async fn p44_token_endpoint_answers_other_methods_with_405_and_allow_post() {
    let env = Env::start().await;
    let url = env.endpoint("token_endpoint").await;
    for method in [
        reqwest::Method::GET,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
        reqwest::Method::PATCH,
    ] {
        let resp = env.http.request(method.clone(), &url).send().await.unwrap();
        assert_eq!(resp.status(), 405, "{method}");
        let allow = resp
            .headers()
            .get("allow")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        assert!(allow.split(',').any(|m| m.trim() == "POST"), "{method}: Allow is {allow:?}");
    }
    let (status, _) = env.token(&admin_password()).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn p45_form_content_type_with_charset_is_accepted_and_others_are_invalid_request() {
    let env = Env::start().await;
    let url = env.endpoint("token_endpoint").await;
    let body = enc(&admin_password());
    for ct in [
        FORM,
        "application/x-www-form-urlencoded; charset=UTF-8",
        "Application/X-WWW-Form-Urlencoded;charset=utf-8",
    ] {
        let resp = post(&env, &url, Some(ct), body.clone(), None).await;
        assert_eq!(resp.status(), 200, "{ct}");
    }
    let json = serde_json::to_string(
        &serde_json::json!({"grant_type": "password", "username": "admin", "password": "admin-pass", "client_id": "weaviate"}),
    )
    .unwrap();
    for (ct, body) in [
        (Some("application/json"), json),
        (Some("text/plain"), body.clone()),
        (None, body.clone()),
    ] {
        let resp = post(&env, &url, ct, body, None).await;
        assert_eq!(resp.status(), 400, "{ct:?}");
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["error"], "invalid_request", "{ct:?}");
    }
}

#[tokio::test]
async fn p45_bodies_over_64_kib_are_refused() {
    let env = Env::start().await;
    let url = env.endpoint("token_endpoint").await;
    // Unknown parameters are ignored (P46), so padding in 4 KiB parameters stays under the
    // 8 KiB per-value limit (P157) and only the total size matters.
    let with_padding = |total: usize| {
        let mut body = enc(&admin_password());
        let mut i = 0;
        while body.len() + 4100 < total {
            body.push_str(&format!("&pad{i}={}", "x".repeat(4000)));
            i += 1;
        }
        body.push_str(&format!("&last={}", "y".repeat(total - body.len() - 6)));
        assert_eq!(body.len(), total);
        body
    };
    let resp = post(&env, &url, Some(FORM), with_padding(64 * 1024 + 1), None).await;
    let status = resp.status().as_u16();
    assert!(status == 413 || status == 400, "status {status}");
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"], "invalid_request");
    let resp = post(&env, &url, Some(FORM), with_padding(64 * 1024), None).await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn p46_repeated_parameter_is_invalid_request() {
    let env = Env::start().await;
    let mut pairs = admin_password();
    pairs.push(("username", "admin"));
    let (status, body) = env.token(&pairs).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")));
    pairs.pop();
    assert_eq!(env.token(&pairs).await.0, 200);
}

#[tokio::test]
async fn p46_empty_parameter_counts_as_absent_and_unknown_ones_are_ignored() {
    let env = Env::start().await;
    let mut pairs = admin_password();
    pairs.push(("scope", ""));
    pairs.push(("x-unknown", "whatever"));
    let (status, body) = env.token(&pairs).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["scope"], "openid profile email offline_access groups",
        "empty scope means the default"
    );
    let (status, body) = env
        .token(&[
            ("grant_type", "password"),
            ("username", "admin"),
            ("password", ""),
            ("client_id", "weaviate"),
        ])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request")),
        "empty password is a missing one"
    );
}
