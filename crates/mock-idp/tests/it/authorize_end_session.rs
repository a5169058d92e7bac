//! End session (P117), through real HTTP against `MockIdp`.

use crate::authorize_support::*;

#[tokio::test]
async fn p117_end_session_redirects_to_a_registered_uri_with_state_and_ends_the_session() {
    let idp = start(builder()).await;
    let logout = idp.env.endpoint("end_session_endpoint").await;
    let ok = idp
        .login(&params(&[("response_type", "id_token"), ("nonce", "n")]), "admin", "admin-pass")
        .await;
    let hint = ok.param("id_token").expect("id_token");
    assert!(idp.browse(&params(&[("prompt", "none")])).await.param("code").is_some());
    // Unregistered: an error page, no redirect, and the session stays.
    let bad = [
        ("id_token_hint", hint.as_str()),
        ("post_logout_redirect_uri", "http://evil.example/"),
        ("state", "st"),
    ];
    let refused = Answer::of(idp.browser.get(&logout).query(&bad).send().await.expect("answers")).await;
    assert_shown(&refused, "invalid_request");
    assert!(idp.browse(&params(&[("prompt", "none")])).await.param("code").is_some());
    // Registered: redirect with state, session gone, cookie expired.
    let good = [
        ("id_token_hint", hint.as_str()),
        ("post_logout_redirect_uri", "http://127.0.0.1/"),
        ("state", "st 1"),
    ];
    let out = Answer::of(idp.browser.get(&logout).query(&good).send().await.expect("answers")).await;
    assert_eq!(out.status, 302, "{out:?}");
    assert!(out.location.as_deref().is_some_and(|l| l.starts_with("http://127.0.0.1/?")));
    assert_eq!(out.query.get("state").map(String::as_str), Some("st 1"));
    assert!(out
        .cookies()
        .iter()
        .any(|c| c.starts_with("mock_idp_session=;") && c.contains("Max-Age=0")));
    assert!(idp.tenant().grants().sessions.is_empty());
    assert_redirect_error(&idp.browse(&params(&[("prompt", "none")])).await, "login_required");
}

#[tokio::test]
async fn p117_end_session_by_client_id_via_post_and_the_signed_out_page() {
    let idp = start(builder()).await;
    let logout = idp.env.endpoint("end_session_endpoint").await;
    let form = [("client_id", WEB), ("post_logout_redirect_uri", "https://app.example/bye")];
    let out = Answer::of(idp.browser.post(&logout).form(&form).send().await.expect("answers")).await;
    assert_eq!(out.location.as_deref(), Some("https://app.example/bye"));
    let wrong_client = [("client_id", "weaviate"), ("post_logout_redirect_uri", "https://app.example/bye")];
    let refused = Answer::of(idp.browser.post(&logout).form(&wrong_client).send().await.expect("answers")).await;
    assert_shown(&refused, "invalid_request");
    let page = Answer::of(idp.browser.get(&logout).send().await.expect("answers")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Signed out"));
}

// ---------------------------------------------------------------- P15, P16
