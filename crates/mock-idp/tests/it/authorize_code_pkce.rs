//! Code redemption and PKCE (P55, P64-P75), through real HTTP against `MockIdp`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::authorize_support::*;
use crate::support::claims;

#[tokio::test]
async fn p64_p67_redirect_uri_must_be_identical_at_the_token_endpoint() {
    let idp = auto().await;
    let code = idp.code(&[]).await;
    for (changes, why) in [
        (vec![("redirect_uri", "")], "missing"),
        (vec![("redirect_uri", "http://127.0.0.1:4568/callback")], "different"),
    ] {
        let (status, body) = idp.redeem(&code, &changes).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{why}: {body}");
    }
    let (status, body) = idp.redeem(&code, &[]).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn p67_code_is_bound_to_its_client() {
    let idp = auto().await;
    let code = idp.get(&idp.web(&[])).await.param("code").expect("code");
    let (status, body) = idp.redeem(&code, &[("code_verifier", "")]).await; // weaviate presents web's code
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    let (status, body) = idp.redeem_web(&code, &[("client_secret", "wrong")]).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "{body}");
    let (status, body) = idp.redeem_web(&code, &[]).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn p65_code_expires_on_the_tenant_clock() {
    let idp = auto().await;
    let fresh = idp.code(&[]).await;
    let stale = idp.code(&[]).await;
    idp.tenant().clock().advance(59.0);
    assert_eq!(idp.redeem(&fresh, &[]).await.0, 200);
    idp.tenant().clock().advance(2.0);
    let (status, body) = idp.redeem(&stale, &[]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    let (status, body) = idp.redeem("not-a-code", &[]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
}

#[tokio::test]
async fn p66_code_reuse_gets_invalid_grant_and_revokes_the_first_tokens() {
    let idp = auto().await;
    let code = idp.code(&[]).await;
    let (status, first) = idp.redeem(&code, &[]).await;
    assert_eq!(status, 200, "{first}");
    assert!(first.get("refresh_token").is_some());
    let at_jti = claims(first["access_token"].as_str().unwrap_or(""))["jti"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let id_jti = claims(first["id_token"].as_str().unwrap_or(""))["jti"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert!(!idp.tenant().grants().revoked_jtis.contains(&at_jti));
    let (status, second) = idp.redeem(&code, &[]).await;
    assert_eq!((status, second["error"].as_str()), (400, Some("invalid_grant")), "{second}");
    let store_ref = idp.tenant();
    let store = store_ref.grants();
    assert!(store.revoked_jtis.contains(&at_jti) && store.revoked_jtis.contains(&id_jti));
    assert!(store.refresh.is_empty(), "the refresh token of the first redemption is gone");
}

/// R11: 100 concurrent redemptions of one code: exactly one success, 99 `invalid_grant`, every
/// request answered once.
#[tokio::test]
async fn p55_r11_a_hundred_parallel_redemptions_of_one_code_give_one_success() {
    let idp = auto().await;
    let code = idp.code(&[]).await;
    let url = idp.env.endpoint("token_endpoint").await;
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let (http, url, code) = (idp.env.http.clone(), url.clone(), code.clone());
        set.spawn(async move {
            let form = [
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", CB),
                ("client_id", "weaviate"),
                ("code_verifier", VERIFIER),
            ];
            let resp = http.post(url).form(&form).send().await.expect("token answers");
            let status = resp.status().as_u16();
            let body: serde_json::Value = resp.json().await.expect("a JSON answer");
            (status, body)
        });
    }
    let mut answers = Vec::new();
    while let Some(a) = set.join_next().await {
        answers.push(a.expect("task finished"));
    }
    assert_eq!(answers.len(), 100);
    let wins: Vec<_> = answers.iter().filter(|(s, _)| *s == 200).collect();
    assert_eq!(wins.len(), 1, "{answers:?}");
    assert!(wins[0].1["access_token"].is_string(), "{:?}", wins[0]);
    let refused = answers.iter().filter(|(s, b)| *s == 400 && b["error"] == "invalid_grant").count();
    assert_eq!(refused, 99, "{answers:?}");
}

// ---------------------------------------------------------------- P69-P75

#[tokio::test]
async fn p69_p70_p71_challenge_checks_at_authorize() {
    let idp = auto().await;
    let plain = "p".repeat(43);
    for changes in [
        vec![("code_challenge_method", "S512")],
        vec![("code_challenge", "short")],
        vec![("code_challenge", &*format!("{}!", "a".repeat(43)))],
        vec![("code_challenge", &*"a".repeat(129))],
        vec![("code_challenge", ""), ("code_challenge_method", "")], // P71: public client
        vec![("code_challenge", "")],
    ] {
        assert_redirect_error(&idp.get(&params(&changes)).await, "invalid_request");
    }
    // Missing method means plain (RFC 7636 §4.3), accepted while plain is enabled.
    let code = idp.code(&[("code_challenge", &plain), ("code_challenge_method", "")]).await;
    assert_eq!(idp.redeem(&code, &[("code_verifier", &plain)]).await.0, 200);
    // A confidential client that does not require PKCE may go without.
    let code = idp.get(&idp.web(&[])).await.param("code").expect("code");
    assert_eq!(idp.redeem_web(&code, &[]).await.0, 200);
    // Plain disabled: refused; S256 still fine.
    let strict = start(auto_builder().configure(|t| t.pkce_plain = false)).await;
    let a = strict
        .get(&params(&[("code_challenge", &plain), ("code_challenge_method", "plain")]))
        .await;
    assert_redirect_error(&a, "invalid_request");
    assert!(strict.get(&params(&[])).await.param("code").is_some());
}

#[tokio::test]
async fn p72_verifier_syntax_and_match() {
    let idp = auto().await;
    let code = idp.code(&[]).await;
    let bad_char = format!("{}+", &VERIFIER[..42]);
    for v in [&VERIFIER[..42], bad_char.as_str(), "a".repeat(129).as_str(), &"x".repeat(43)] {
        let (status, body) = idp.redeem(&code, &[("code_verifier", v)]).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{v}: {body}");
    }
    assert_eq!(idp.redeem(&code, &[]).await.0, 200);
    // plain: the verifier must equal the challenge.
    let plain = "~".repeat(60);
    let code = idp.code(&[("code_challenge", &plain), ("code_challenge_method", "plain")]).await;
    assert_eq!(idp.redeem(&code, &[("code_verifier", &"~".repeat(61))]).await.0, 400);
    assert_eq!(idp.redeem(&code, &[("code_verifier", &plain)]).await.0, 200);
}

#[tokio::test]
async fn p73_downgrades_are_refused() {
    let idp = auto().await;
    let code = idp.code(&[]).await;
    let (status, body) = idp.redeem(&code, &[("code_verifier", "")]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    assert_eq!(idp.redeem(&code, &[]).await.0, 200);
    let code = idp.get(&idp.web(&[])).await.param("code").expect("code");
    let (status, body) = idp.redeem_web(&code, &[("code_verifier", VERIFIER)]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    assert_eq!(idp.redeem_web(&code, &[]).await.0, 200);
}

#[tokio::test]
async fn p74_rfc7636_appendix_b_pair_round_trips() {
    assert_eq!(B64.encode(Sha256::digest(VERIFIER.as_bytes())), CHALLENGE);
    let idp = auto().await;
    let code = idp.code(&[("code_challenge", CHALLENGE), ("code_challenge_method", "S256")]).await;
    let (status, body) = idp.redeem(&code, &[("code_verifier", VERIFIER)]).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn p75_valid_pkce_works_for_a_client_that_does_not_require_it() {
    let idp = auto().await;
    let code = idp
        .get(&idp.web(&[("code_challenge", CHALLENGE), ("code_challenge_method", "S256")]))
        .await
        .param("code")
        .expect("code");
    let (status, body) = idp.redeem_web(&code, &[("code_verifier", VERIFIER)]).await;
    assert_eq!(status, 200, "{body}");
}

// ---------------------------------------------------------------- P117
