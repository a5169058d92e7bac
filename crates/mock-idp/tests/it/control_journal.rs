//! Control plane, journal (P138-P141): counters, the ordered journal with its filters,
//! fingerprints instead of credentials, and waiting without sleeping.

use std::time::{Duration, Instant};

use mock_idp::Endpoint;
use reqwest::Method;
use serde_json::json;

use crate::control_support::{call, ctl, ctl_url, password_grant, BOUND};
use crate::support::Env;

#[tokio::test]
async fn p138_counters_count_discovery_and_jwks_fetches() {
    let env = Env::start().await;
    env.discovery().await;
    let jwks_url = env.endpoint("jwks_uri").await;
    env.http.get(&jwks_url).send().await.unwrap();
    let (s, c) = ctl(&env, Method::GET, "counters", None).await;
    assert_eq!(s, 200);
    assert_eq!((c["discovery"].as_u64(), c["jwks"].as_u64()), (Some(2), Some(1)));
    // After a rotation a verifier refetches once: the counter shows exactly that.
    ctl(&env, Method::POST, "keys/rotate", None).await;
    env.http.get(&jwks_url).send().await.unwrap();
    assert_eq!(env.idp.counters()[&Endpoint::Jwks], 2);
    // DELETE clears.
    ctl(&env, Method::DELETE, "counters", None).await;
    assert_eq!(env.idp.counters()[&Endpoint::Jwks], 0);
}

#[tokio::test]
async fn p139_journal_records_every_request_in_order_with_filters() {
    let env = Env::start().await;
    env.password_tokens("admin", "admin-pass").await;
    password_grant(&env, "default", "admin", "wrong", "weaviate").await;
    let (s, log) = ctl(&env, Method::GET, "journal?endpoint=token", None).await;
    assert_eq!(s, 200);
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{log}");
    let (ok, bad) = (&entries[0], &entries[1]);
    assert!(ok["seq"].as_u64() < bad["seq"].as_u64());
    assert_eq!(ok["method"], "POST");
    assert_eq!(ok["path"], "/default/token");
    assert_eq!(ok["status"], 200);
    assert_eq!(ok["client_id"], "weaviate");
    assert_eq!(ok["grant_type"], "password");
    assert_eq!(ok["username"], "admin");
    assert!(ok["real_time"].as_f64().is_some() && ok["virtual_time"].as_f64().is_some() && ok["duration_ms"].as_f64().is_some());
    assert_eq!(bad["status"], 400);
    assert_eq!(bad["error"], "invalid_grant");
    // since and limit; _mock/log is the same journal.
    let since = ok["seq"].as_u64().unwrap();
    let (_, later) = ctl(&env, Method::GET, &format!("log?since={since}&limit=1"), None).await;
    assert_eq!(later["entries"][0]["seq"].as_u64(), Some(since + 1));
    let (s, err) = ctl(&env, Method::GET, "log?endpoint=tokens", None).await;
    assert_eq!(s, 400);
    assert!(err["message"].as_str().unwrap().contains("endpoint"));
    // DELETE clears.
    ctl(&env, Method::DELETE, "log", None).await;
    let (_, log) = ctl(&env, Method::GET, "journal?endpoint=token", None).await;
    assert_eq!(log["entries"], json!([]));
}

#[tokio::test]
async fn p140_journal_holds_fingerprints_never_passwords_secrets_or_tokens() {
    let env = Env::start().await;
    let user_tokens = env.password_tokens("admin", "admin-pass").await;
    let (s, cc) = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "ci-runner"),
            ("client_secret", "ci-runner-secret"),
        ])
        .await;
    assert_eq!(s, 200, "{cc}");
    let basic = env
        .http
        .post(env.endpoint("token_endpoint").await)
        .basic_auth("ci-runner", Some("ci-runner-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 200);
    password_grant(&env, "default", "viewer", "not-the-viewer-pass", "weaviate").await;
    let refresh = user_tokens["refresh_token"].as_str().unwrap();
    env.token(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
        ("client_id", "weaviate"),
    ])
    .await;
    let (_, log) = ctl(&env, Method::GET, "journal", None).await;
    let text = log.to_string();
    let secrets = [
        "admin-pass",
        "ci-runner-secret",
        "not-the-viewer-pass",
        "Y2ktcnVubmVyOmNpLXJ1bm5lci1zZWNyZXQ=", // the Basic header value
        user_tokens["access_token"].as_str().unwrap(),
        user_tokens["id_token"].as_str().unwrap(),
        refresh,
        cc["access_token"].as_str().unwrap(),
    ];
    for s in secrets {
        assert!(!text.contains(s), "the journal leaks {s}");
    }
    // What identifies them is the fingerprint.
    assert!(text.contains(&mock_idp::internals::fingerprint("admin-pass")));
    assert!(text.contains(&mock_idp::internals::fingerprint(refresh)));
}

#[tokio::test]
async fn p141_wait_returns_as_soon_as_the_count_is_reached_and_408_on_timeout() {
    let env = Env::start().await;
    let wait = |count: u64, ms: u64| {
        ctl_url(
            &env.idp,
            "default",
            &format!("log/wait?endpoint=jwks&count={count}&timeout_ms={ms}"),
        )
    };
    // Nothing fetched yet: 408.
    let started = Instant::now();
    let (s, body) = call(&env.http, Method::GET, &wait(1, 100), None).await;
    assert_eq!(s, 408, "{body}");
    assert!(started.elapsed() >= Duration::from_millis(100));
    // A waiter blocks until a verifier fetches the JWKS.
    let http = env.http.clone();
    let url = wait(1, 10_000);
    let waiter = tokio::spawn(async move { call(&http, Method::GET, &url, None).await });
    env.idp.first_tenant().journal().count(Some(Endpoint::Jwks)); // nothing to do with the waiter
    let jwks_url = env.endpoint("jwks_uri").await;
    env.http.get(&jwks_url).send().await.unwrap();
    let (s, body) = tokio::time::timeout(BOUND, waiter).await.expect("the waiter wakes").unwrap();
    assert_eq!((s, body["count"].as_u64()), (200, Some(1)));
    // In process: the same wait.
    let fetch = env.http.get(&jwks_url).send();
    let (waited, _) = tokio::join!(env.idp.wait_for(Endpoint::Jwks, 2, BOUND), fetch);
    assert_eq!(waited.unwrap(), 2);
}
