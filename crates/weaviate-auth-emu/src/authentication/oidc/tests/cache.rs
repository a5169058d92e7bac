//! The verification cache (`oidc/cache.rs`) changes no answer and no JWKS fetch: each property
//! is checked here against the clock, the key set and a verifier without the cache.

use std::time::Duration;

use super::*;

const BAD_SIGNATURE: &str = "unauthorized: failed to verify signature: failed to verify id token signature";

fn at(s: i64, ns: u32) -> SystemTime {
    UNIX_EPOCH + Duration::new(s as u64, ns)
}

#[tokio::test]
async fn cache_expiry_is_decided_on_every_request() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let plain = p.verifier().await.without_result_cache();
    let exp = now_s() + 60;
    let t = p.token_with(|c| {
        c.insert("exp".into(), json!(exp));
    });
    ok(v.authenticate_at(&t, at(exp - 30, 0)).await);
    ok(v.authenticate_at(&t, at(exp, 0)).await);
    assert_eq!(v.result_cache_stats(), Some((1, 1)), "the second request was a hit");
    // Cached as verified, and yet expired one nanosecond later, with go-oidc's text.
    let refused = v.authenticate_at(&t, at(exp, 1)).await;
    assert_eq!(refused, plain.authenticate_at(&t, at(exp, 1)).await);
    assert_eq!(
        message(refused),
        format!("unauthorized: oidc: token is expired (Token Expiry: {})", gotime::format_unix(exp))
    );
    ok(v.authenticate_at(&t, at(exp - 30, 0)).await);
    assert_eq!(v.signature_checks(), 1, "one verification for the four requests");
}

#[tokio::test]
async fn cache_not_before_is_decided_on_every_request() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let plain = p.verifier().await.without_result_cache();
    let nbf = now_s() + 1000;
    let t = p.token_with(|c| {
        c.insert("nbf".into(), json!(nbf));
        c.insert("exp".into(), json!(nbf + 3600));
    });
    let too_early = |m: &str| {
        m.starts_with("unauthorized: oidc: current time ")
            && m.ends_with(&format!(" before the nbf (not before) time: {}", gotime::format_unix(nbf)))
    };
    // Refused until 300 s (go-oidc's leeway) before `nbf`, then accepted, then refused again at
    // the earlier instant although the success is cached.
    for (s, ns, accepted) in [
        (nbf - 301, 999_999_999, false),
        (nbf - 300, 0, true),
        (nbf, 0, true),
        (nbf - 301, 0, false),
    ] {
        for verifier in [&v, &plain] {
            match verifier.authenticate_at(&t, at(s, ns)).await {
                Ok(id) => assert!(accepted, "accepted at {s}: {id:?}"),
                Err(f) => assert!(!accepted && too_early(&f.message), "at {s}: {}", f.message),
            }
        }
    }
    assert_eq!(v.result_cache_stats(), Some((1, 3)));
    assert_eq!(v.jwks_fetches(), plain.jwks_fetches());
}

#[tokio::test]
async fn cache_key_removed_from_the_jwks_invalidates_after_the_refetch() {
    let p = Provider::start(&[rsa_key(), attacker_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let plain = p.verifier().await.without_result_cache();
    let claims = Value::Object(p.claims()).to_string();
    let other = attacker_key().sign(&p.claims(), "JWT");
    let unknown = raw_token(rsa_key(), r#"{"alg":"RS256","kid":"nope"}"#, &claims, Alg::RS256);
    for verifier in [&v, &plain] {
        ok(verifier.authenticate(&other).await);
    }
    p.set_keys(&[rsa_key()]);
    for verifier in [&v, &plain] {
        // As in go-oidc, the removed key stays trusted until something makes the verifier
        // fetch the JWKS again...
        ok(verifier.authenticate(&other).await);
        message(verifier.authenticate(&unknown).await);
        // ...and from then on its tokens are refused, cached or not.
        assert_eq!(message(verifier.authenticate(&other).await), BAD_SIGNATURE);
        assert_eq!(message(verifier.authenticate(&other).await), BAD_SIGNATURE);
    }
    // Published again: the next refetch lets the token in.
    p.set_keys(&[rsa_key(), attacker_key()]);
    for verifier in [&v, &plain] {
        ok(verifier.authenticate(&other).await);
        ok(verifier.authenticate(&other).await);
    }
    assert_eq!(v.jwks_fetches(), plain.jwks_fetches());
    assert_eq!(v.jwks_fetches(), 5);
}

/// One step of `cache_keeps_go_oidc_fetch_counts`.
enum Step<'a> {
    Token(&'a str),
    Keys(Vec<&'static SigningKey>),
    JwksStatus(u16),
}

#[tokio::test]
async fn cache_keeps_go_oidc_fetch_counts() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let plain = p.verifier().await.without_result_cache();
    let claims = Value::Object(p.claims()).to_string();
    let valid = p.token();
    let forged = raw_token(attacker_key(), &header_for(rsa_key(), "RS256"), &claims, Alg::RS256);
    let unknown = raw_token(attacker_key(), r#"{"alg":"RS256","kid":"nope"}"#, &claims, Alg::RS256);
    let expired = p.token_with(|c| {
        c.insert("exp".into(), json!(now_s() - 10));
    });
    let wrong_issuer = p.token_with(|c| {
        c.insert("iss".into(), json!("https://elsewhere.example"));
    });
    let not_allowed = raw_token(rsa_key(), r#"{"alg":"HS256"}"#, &claims, Alg::RS256);
    let spaced = format!(" {valid}");
    let other = attacker_key().sign(&p.claims(), "JWT");
    use Step::{JwksStatus, Keys, Token};
    let steps = [
        Token(&valid),
        Token(&valid),
        Token(&forged),
        Token(&forged),
        Token(&unknown),
        Token(&valid),
        Token(&expired),
        Token(&expired),
        Token(&wrong_issuer),
        Token(&not_allowed),
        Token(&not_allowed),
        Token(&spaced),
        Token(&other),
        Keys(vec![attacker_key()]),
        Token(&valid),
        Token(&other),
        Token(&valid),
        Token(&valid),
        Token(&forged),
        JwksStatus(500),
        Token(&valid),
        Token(&other),
        JwksStatus(200),
        Keys(vec![rsa_key(), attacker_key()]),
        Token(&other),
        Token(&valid),
        Token(&valid),
        Token(&forged),
        Keys(vec![rsa_key()]),
        Token(&forged),
        Token(&other),
        Token(&valid),
        Token(&unknown),
        Token(&other),
    ];
    for (i, step) in steps.iter().enumerate() {
        match step {
            Token(t) => {
                let (cached, uncached) = (v.authenticate(t).await, plain.authenticate(t).await);
                assert_eq!(cached, uncached, "step {i}");
            }
            Keys(keys) => p.set_keys(keys),
            JwksStatus(status) => {
                let mut s = p.served.lock().unwrap();
                s.jwks_status = *status;
                s.jwks_body = (*status != 200).then(|| "down".to_owned());
            }
        }
        assert_eq!(v.jwks_fetches(), plain.jwks_fetches(), "after step {i}");
    }
    assert_eq!(v.jwks_fetches(), 16);
    assert_eq!(p.hits() as u64, 2 * v.jwks_fetches());
    let (entries, hits) = v.result_cache_stats().unwrap();
    assert_eq!((entries, hits), (8, 21));
    assert!(v.signature_checks() < plain.signature_checks());
}

#[tokio::test]
async fn cache_bad_signature_costs_the_same_refetch_every_time() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let plain = p.verifier().await.without_result_cache();
    let claims = Value::Object(p.claims()).to_string();
    let forged = raw_token(attacker_key(), &header_for(rsa_key(), "RS256"), &claims, Alg::RS256);
    for verifier in [&v, &plain] {
        ok(verifier.authenticate(&p.token()).await);
    }
    for i in 1..=5 {
        for verifier in [&v, &plain] {
            assert_eq!(message(verifier.authenticate(&forged).await), BAD_SIGNATURE);
            assert_eq!(verifier.jwks_fetches(), 1 + i, "one refetch per refused token");
        }
    }
    assert_eq!(p.hits(), 12);
    // Only the cryptography is saved: the key set is the same after each refetch, so the
    // refusal remembered for it stands (one check for the valid token, one for the forged).
    assert_eq!((v.signature_checks(), plain.signature_checks()), (2, 11));
}

#[tokio::test]
async fn cache_concurrent_bad_signatures_still_share_one_fetch() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = Arc::new(p.verifier().await);
    ok(v.authenticate(&p.token()).await);
    let claims = Value::Object(p.claims()).to_string();
    let forged = raw_token(attacker_key(), &header_for(rsa_key(), "RS256"), &claims, Alg::RS256);
    message(v.authenticate(&forged).await);
    assert_eq!(v.jwks_fetches(), 2);
    let guard = p.hold.write().await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let v = Arc::clone(&v);
        let t = forged.clone();
        tasks.push(tokio::spawn(async move { v.authenticate(&t).await }));
    }
    while v.jwks_fetches() == 2 {
        tokio::task::yield_now().await;
    }
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    drop(guard);
    for t in tasks {
        assert_eq!(message(t.await.unwrap()), BAD_SIGNATURE);
    }
    assert_eq!(v.jwks_fetches(), 3, "the cached refusals joined the one fetch in flight");
}

/// With API keys and OIDC both on, a token the verifier keeps skips the malformed-JWT rule
/// (`Authenticator::method_for`); every token still gets the check the rule gives it.
#[tokio::test]
async fn cache_kept_tokens_take_the_check_the_malformed_jwt_rule_gives() {
    use crate::authentication::{choose, Authenticator, Method2_3, StaticKeys};
    use crate::config::Config;
    use crate::db_users::DbUsers;

    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let issuer = p.issuer();
    let config = Config::from_vars([
        ("AUTHENTICATION_APIKEY_ENABLED", "true"),
        ("AUTHENTICATION_APIKEY_ALLOWED_KEYS", "static-key"),
        ("AUTHENTICATION_APIKEY_USERS", "key-user"),
        ("AUTHENTICATION_OIDC_ENABLED", "true"),
        ("AUTHENTICATION_OIDC_ISSUER", issuer.as_str()),
        ("AUTHENTICATION_OIDC_CLIENT_ID", "weaviate"),
    ])
    .expect("a valid config");
    let config = std::sync::Arc::new(config);
    let authn = Authenticator {
        static_keys: StaticKeys::new(&config.api_key),
        config: config.clone(),
        oidc: Some(p.verifier().await),
    };
    let db_users = DbUsers::new(false);
    let valid = p.token();
    let forged = raw_token(attacker_key(), &header_for(attacker_key(), "RS256"), r#"{"sub":"x"}"#, Alg::RS256);
    let tokens = [valid.as_str(), forged.as_str(), "static-key", "not-a-key", "a.b.c"];
    for round in 0..2 {
        for t in tokens {
            let answer = authn.authenticate(&db_users, t).await;
            let kept = authn.oidc.as_ref().is_some_and(|v| v.kept(t).is_some());
            assert_eq!(
                kept,
                choose(&config, t) == Method2_3::Oidc,
                "round {round}: only OIDC's tokens are kept"
            );
            assert_eq!(authn.method_for(t).0, choose(&config, t), "round {round}");
            match t {
                "static-key" => assert_eq!(answer.map(|p| p.username), Ok("key-user".to_owned())),
                _ if t == valid => assert!(answer.is_ok(), "{answer:?}"),
                _ => assert!(answer.is_err(), "{t}: {answer:?}"),
            }
        }
    }
}
