//! Steps 18-21 of go-oidc-verifier.md: the JWKS cache, the one shared refetch and the key set's
//! decoding rules.

use super::*;

#[tokio::test]
async fn step18_no_kid_tries_every_key_and_jwk_alg_does_not_filter() {
    let p = Provider::start(&[es_key(), ed_key(), rsa_key()], &["RS256", "PS256", "ES256", "EdDSA"]).await;
    let v = p.verifier().await;
    let claims = Value::Object(p.claims()).to_string();
    // real: tokens without kid accepted; a PS256 token verified by a JWK marked "alg":"RS256".
    let no_kid = raw_token(rsa_key(), r#"{"alg":"RS256"}"#, &claims, Alg::RS256);
    ok(v.authenticate(&no_kid).await);
    let ps = raw_token(rsa_key(), &header_for(rsa_key(), "PS256"), &claims, Alg::PS256);
    ok(v.authenticate(&ps).await);
    ok(v.authenticate(&ed_key().sign(&p.claims(), "JWT")).await);
    // A5: ES256 with the RSA key's kid does not verify.
    let es = raw_token(es_key(), &header_for(rsa_key(), "ES256"), &claims, Alg::ES256);
    assert_eq!(
        message(v.authenticate(&es).await),
        "unauthorized: failed to verify signature: failed to verify id token signature"
    );
    assert_eq!(p.hits(), 2);
}

#[tokio::test]
async fn step19_unknown_kid_refetches_once_then_fails() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    ok(v.authenticate(&p.token()).await);
    assert_eq!(p.hits(), 1);
    let claims = Value::Object(p.claims()).to_string();
    let unknown = raw_token(attacker_key(), r#"{"alg":"RS256","kid":"nope"}"#, &claims, Alg::RS256);
    assert_eq!(
        message(v.authenticate(&unknown).await),
        "unauthorized: failed to verify signature: failed to verify id token signature"
    );
    assert_eq!(p.hits(), 2);
    // No negative cache (step 20): the same token costs another fetch.
    message(v.authenticate(&unknown).await);
    assert_eq!(p.hits(), 3);
    // A6: forged signature under the real kid also refetches once.
    let forged = raw_token(attacker_key(), &header_for(rsa_key(), "RS256"), &claims, Alg::RS256);
    message(v.authenticate(&forged).await);
    assert_eq!((p.hits(), v.jwks_fetches()), (4, 4));
    // A9: kid injection is only a lookup.
    for kid in ["../../../../dev/null", "' OR 1=1 --", "\u{0}", &"k".repeat(8000)] {
        let h = json!({"alg": "RS256", "kid": kid}).to_string();
        let t = raw_token(attacker_key(), &h, &claims, Alg::RS256);
        message(v.authenticate(&t).await);
    }
    // Once the provider publishes a new key, the refetch lets its tokens in; "nope" stays out.
    let new_key = attacker_key().sign(&p.claims(), "JWT");
    message(v.authenticate(&new_key).await);
    p.set_keys(&[rsa_key(), attacker_key()]);
    ok(v.authenticate(&new_key).await);
    message(v.authenticate(&unknown).await);
}

#[tokio::test]
async fn step19_concurrent_failures_share_one_fetch() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = Arc::new(p.verifier().await);
    let claims = Value::Object(p.claims()).to_string();
    let unknown = raw_token(attacker_key(), r#"{"alg":"RS256","kid":"nope"}"#, &claims, Alg::RS256);
    // Stall the JWKS answer so that every caller is waiting on the same fetch.
    let guard = p.hold.write().await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let v = Arc::clone(&v);
        let t = unknown.clone();
        tasks.push(tokio::spawn(async move { v.authenticate(&t).await }));
    }
    while v.jwks_fetches() == 0 {
        tokio::task::yield_now().await;
    }
    // Let every task reach the in-flight fetch before the provider answers.
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    drop(guard);
    for t in tasks {
        message(t.await.unwrap());
    }
    assert_eq!(v.jwks_fetches(), 1, "all callers share the one fetch in flight");
    assert_eq!(p.hits() as u64, v.jwks_fetches());
}

#[tokio::test]
async fn step19_failed_fetch_keeps_cache_and_success_replaces_it() {
    let p = Provider::start(&[rsa_key(), attacker_key()], &["RS256"]).await;
    let v = p.verifier().await;
    ok(v.authenticate(&p.token()).await);
    {
        let mut s = p.served.lock().unwrap();
        s.jwks_status = 500;
        s.jwks_body = Some("boom".into());
    }
    let claims = Value::Object(p.claims()).to_string();
    let unknown = raw_token(rsa_key(), r#"{"alg":"RS256","kid":"nope"}"#, &claims, Alg::RS256);
    assert_eq!(
        message(v.authenticate(&unknown).await),
        "unauthorized: failed to verify signature: fetching keys oidc: get keys failed: 500 Internal Server Error boom"
    );
    // real: cache kept after a failed (HTTP 500) fetch.
    ok(v.authenticate(&p.token()).await);
    let old = attacker_key().sign(&p.claims(), "JWT");
    ok(v.authenticate(&old).await);
    {
        let mut s = p.served.lock().unwrap();
        s.jwks_status = 200;
        s.jwks_body = None;
    }
    // A37: drop the attacker key at the provider; it stays trusted until a refetch.
    p.set_keys(&[rsa_key()]);
    ok(v.authenticate(&old).await);
    message(v.authenticate(&unknown).await);
    // real: after a successful refetch a token signed by the dropped key is refused.
    assert_eq!(
        message(v.authenticate(&old).await),
        "unauthorized: failed to verify signature: failed to verify id token signature"
    );
    ok(v.authenticate(&p.token()).await);
}

#[tokio::test]
async fn step21_one_unsupported_key_fails_the_whole_set_and_size_is_capped() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let mut jwks = json!({ "keys": [rsa_key().public_jwk(), {"kty": "XYZ", "kid": "x"}] });
    p.served.lock().unwrap().jwks = jwks.clone();
    let m = message(v.authenticate(&p.token()).await);
    assert!(
        m.starts_with("unauthorized: failed to verify signature: fetching keys oidc: failed to decode keys: got Content-Type = application/json, but could not unmarshal as JSON: go-jose/go-jose: unsupported key type/format {"),
        "{m}"
    );
    jwks["keys"].as_array_mut().unwrap().pop();
    p.served.lock().unwrap().jwks = jwks;
    ok(v.authenticate(&p.token()).await);
    let v2 = p.verifier().await;
    p.served.lock().unwrap().jwks_body = Some(format!(r#"{{"keys":[],"pad":"{}"}}"#, "x".repeat(MAX_JWKS_BYTES)));
    assert_eq!(
        message(v2.authenticate(&p.token()).await),
        "unauthorized: failed to verify signature: fetching keys oidc: get keys failed: JWKS body larger than 1048576 bytes"
    );
}

#[tokio::test]
async fn step21_undecodable_jwks_keeps_the_cache_and_names_the_content_type() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    ok(v.authenticate(&p.token()).await);
    let claims = Value::Object(p.claims()).to_string();
    let unknown = raw_token(rsa_key(), r#"{"alg":"RS256","kid":"nope"}"#, &claims, Alg::RS256);
    // real: X25519 keys are as unsupported as an unknown kty; the cache survives.
    let body = json!({"keys": [rsa_key().public_jwk(), {"kty": "OKP", "crv": "X25519", "kid": "x", "x": "MDAw"}]}).to_string();
    p.served.lock().unwrap().jwks_body = Some(body.clone());
    assert_eq!(
        message(v.authenticate(&unknown).await),
        format!("unauthorized: failed to verify signature: fetching keys oidc: failed to decode keys: got Content-Type = application/json, but could not unmarshal as JSON: go-jose/go-jose: unsupported key type/format {body}")
    );
    ok(v.authenticate(&p.token()).await);
    p.served.lock().unwrap().jwks_body = Some("not json".into());
    assert!(message(v.authenticate(&unknown).await).ends_with(
        "failed to decode keys: got Content-Type = application/json, but could not unmarshal as JSON: invalid character 'o' in literal null (expecting 'u') not json"
    ));
    // (with `text/plain` the real server says `expected Content-Type = application/json, got "text/plain": ...`)
    assert_eq!(
        unmarshal_resp_error(Some("text/plain"), "x"),
        "expected Content-Type = application/json, got \"text/plain\": x"
    );
}

#[tokio::test]
async fn step21_jwks_transport_failure_and_404_texts() {
    // real: `fetching keys oidc: get keys failed Get "<url>": dial tcp <host:port>: connect:
    // connection refused` (no colon after "failed") and `get keys failed: 404 Not Found ` (empty body).
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut s = p.settings();
    s.jwks_url = Some(format!("http://127.0.0.1:{port}/jwks"));
    let v = OidcVerifier::start(s.clone()).await.unwrap();
    assert_eq!(
        message(v.authenticate(&p.token()).await),
        format!("unauthorized: failed to verify signature: fetching keys oidc: get keys failed Get \"http://127.0.0.1:{port}/jwks\": dial tcp 127.0.0.1:{port}: connect: connection refused")
    );
    s.jwks_url = Some(format!("{}/nothing", p.issuer()));
    let v = OidcVerifier::start(s.clone()).await.unwrap();
    assert_eq!(
        message(v.authenticate(&p.token()).await),
        "unauthorized: failed to verify signature: fetching keys oidc: get keys failed: 404 Not Found "
    );
    s.jwks_url = Some(format!("{}/jwks", p.issuer()));
    ok(OidcVerifier::start(s).await.unwrap().authenticate(&p.token()).await);
}

#[tokio::test]
async fn step19_cancelled_caller_does_not_cancel_the_shared_fetch() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = Arc::new(p.verifier().await);
    let guard = p.hold.write().await;
    let first = {
        let v = Arc::clone(&v);
        let t = p.token();
        tokio::spawn(async move { v.authenticate(&t).await })
    };
    while v.jwks_fetches() == 0 {
        tokio::task::yield_now().await;
    }
    first.abort();
    assert!(first.await.unwrap_err().is_cancelled());
    drop(guard);
    // The fetch the cancelled caller started still fills the cache.
    while p.hits() == 0 || v.keys.inflight.lock().unwrap().is_some() {
        tokio::task::yield_now().await;
    }
    ok(v.authenticate(&p.token()).await);
    assert_eq!(v.jwks_fetches(), 1);
}
