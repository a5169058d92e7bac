//! Control plane, faults (P144-P149): each fault kind as a client sees it, its scope, and
//! faults armed from the configuration.

use std::time::{Duration, Instant};

use mock_idp::Endpoint;
use mock_idp::{FaultSpec, MockIdp};
use reqwest::Method;
use serde_json::{json, Value};

use crate::control_support::{ctl, password_grant, BOUND};
use crate::support::Env;

async fn arm(env: &Env, fault: Value) -> Value {
    let (s, body) = ctl(env, Method::POST, "faults", Some(fault)).await;
    assert_eq!(s, 201, "{body}");
    body
}

#[tokio::test]
async fn p144_p146_status_fault_hits_the_next_n_requests_of_its_target_only() {
    let env = Env::start().await;
    let jwks_url = env.endpoint("jwks_uri").await;
    arm(
        &env,
        json!({"endpoint": "jwks", "kind": "status", "status": 502, "body": "bad gateway text", "times": 2}),
    )
    .await;
    for _ in 0..2 {
        let r = env.http.get(&jwks_url).send().await.unwrap();
        assert_eq!(r.status(), 502);
        assert_eq!(r.text().await.unwrap(), "bad gateway text");
    }
    assert_eq!(
        env.http.get(&jwks_url).send().await.unwrap().status(),
        200,
        "the third request is normal"
    );
    // The journal says which requests were faulted.
    let log = env.idp.journal(&mock_idp::JournalQuery {
        endpoint: Some(Endpoint::Jwks),
        ..Default::default()
    });
    let faulted: Vec<bool> = log.iter().map(|e| e.faults == ["status:502"]).collect();
    assert_eq!(faulted, [true, true, false]);
    // `all` targets every protocol endpoint but never the controls.
    arm(&env, json!({"endpoint": "all", "kind": "status", "status": 500})).await;
    assert_eq!(env.http.get(env.idp.discovery_url()).send().await.unwrap().status(), 500);
    let (s, _) = ctl(&env, Method::GET, "faults", None).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn p145_latency_fault_delays_the_answer() {
    let env = Env::start().await;
    let jwks_url = env.endpoint("jwks_uri").await;
    arm(
        &env,
        json!({"endpoint": "jwks", "kind": "latency", "ms": 300, "jitter_ms": 50, "seed": 1, "times": 1}),
    )
    .await;
    let started = Instant::now();
    let r = tokio::time::timeout(BOUND, env.http.get(&jwks_url).send())
        .await
        .expect("answered")
        .unwrap();
    assert_eq!(r.status(), 200);
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(300), "took {took:?}");
    assert!(r.json::<Value>().await.unwrap()["keys"].is_array(), "the answer itself is normal");
}

#[tokio::test]
async fn p145_body_faults_truncate_relabel_empty_and_inflate_the_answer() {
    let env = Env::start().await;
    let disc_url = env.idp.discovery_url();
    let jwks_url = env.endpoint("jwks_uri").await;
    let normal = env.http.get(&jwks_url).send().await.unwrap().bytes().await.unwrap();
    // Truncated JSON: half the bytes, unparseable.
    arm(&env, json!({"endpoint": "jwks", "kind": "truncated_json", "times": 1})).await;
    let body = env.http.get(&jwks_url).send().await.unwrap().bytes().await.unwrap();
    assert!(body.len() < normal.len() && normal.starts_with(&body));
    assert!(serde_json::from_slice::<Value>(&body).is_err());
    // Wrong content type.
    arm(&env, json!({"endpoint": "discovery", "kind": "wrong_content_type", "times": 1})).await;
    let r = env.http.get(&disc_url).send().await.unwrap();
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    // Empty body, status kept.
    arm(&env, json!({"endpoint": "jwks", "kind": "empty_body", "times": 1})).await;
    let r = env.http.get(&jwks_url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.unwrap().is_empty());
    // Oversized: 2 MiB, still valid JSON, so only a size limit notices.
    arm(&env, json!({"endpoint": "jwks", "kind": "oversized_body", "mib": 2, "times": 1})).await;
    let body = env.http.get(&jwks_url).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(body.len(), 2 * 1024 * 1024);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        serde_json::from_slice::<Value>(&normal).unwrap()
    );
    // Every fault was used up: the next answer is normal.
    assert_eq!(env.http.get(&jwks_url).send().await.unwrap().bytes().await.unwrap(), normal);
}

#[tokio::test]
async fn p145_connection_closed_fault_is_a_client_error_without_a_response() {
    let env = Env::start().await;
    let token_url = env.endpoint("token_endpoint").await;
    arm(&env, json!({"endpoint": "token", "kind": "connection_closed", "times": 1})).await;
    let form = [
        ("grant_type", "password"),
        ("username", "admin"),
        ("password", "admin-pass"),
        ("client_id", "weaviate"),
    ];
    let result = tokio::time::timeout(BOUND, env.http.post(&token_url).form(&form).send())
        .await
        .expect("fails fast");
    let err = result.expect_err("no response at all");
    assert!(!err.is_timeout() && err.status().is_none(), "{err:?}");
    // The same request works once the fault is used up.
    assert_eq!(env.http.post(&token_url).form(&form).send().await.unwrap().status(), 200);
    let entry = env
        .idp
        .journal(&Default::default())
        .into_iter()
        .find(|e| e.endpoint == Endpoint::Token)
        .unwrap();
    assert_eq!(
        (entry.status, entry.faults.as_slice()),
        (None, ["connection_closed".to_owned()].as_slice())
    );
}

#[tokio::test]
async fn p145_hang_answers_nothing_until_the_client_gives_up_or_faults_are_cleared() {
    let env = Env::start().await;
    let jwks_url = env.endpoint("jwks_uri").await;
    arm(&env, json!({"endpoint": "jwks", "kind": "hang"})).await;
    // The client gives up after its own timeout.
    let r = tokio::time::timeout(BOUND, env.http.get(&jwks_url).timeout(Duration::from_millis(200)).send())
        .await
        .expect("bounded");
    assert!(r.expect_err("no answer").is_timeout());
    // A request hanging while the faults are cleared ends at once, without waiting for max_ms.
    let http = env.http.clone();
    let url = jwks_url.clone();
    let hung = tokio::spawn(async move { http.get(&url).send().await.map(|r| r.status()) });
    env.idp
        .wait_for(Endpoint::Jwks, 2, BOUND)
        .await
        .expect("the second request reached the fault");
    ctl(&env, Method::DELETE, "faults", None).await;
    let result = tokio::time::timeout(BOUND, hung).await.expect("released").unwrap();
    assert!(result.is_err(), "the hung request is closed, not answered: {result:?}");
    assert_eq!(env.http.get(&jwks_url).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn p146_duration_runs_on_the_tenant_clock_and_probability_is_reproducible() {
    let env = Env::start().await;
    let jwks_url = env.endpoint("jwks_uri").await;
    arm(&env, json!({"endpoint": "jwks", "kind": "status", "status": 503, "for_s": 10})).await;
    assert_eq!(env.http.get(&jwks_url).send().await.unwrap().status(), 503);
    env.idp.first_tenant().clock().advance(10.0);
    assert_eq!(env.http.get(&jwks_url).send().await.unwrap().status(), 200);
    assert!(env.idp.faults().is_empty(), "expired faults are not listed");
    // Probability: the same seed gives the same pattern, with hits and misses.
    let mut patterns = Vec::new();
    for _ in 0..2 {
        let info = arm(
            &env,
            json!({"endpoint": "jwks", "kind": "status", "status": 503, "probability": 0.5, "seed": 42}),
        )
        .await;
        let mut pattern = Vec::new();
        for _ in 0..20 {
            pattern.push(env.http.get(&jwks_url).send().await.unwrap().status() == 503);
        }
        ctl(&env, Method::DELETE, &format!("faults/{}", info["id"]), None).await;
        patterns.push(pattern);
    }
    assert_eq!(patterns[0], patterns[1]);
    assert!(patterns[0].contains(&true) && patterns[0].contains(&false), "{:?}", patterns[0]);
}

#[tokio::test]
async fn p147_discovery_down_then_back_and_down_at_startup_from_config() {
    let env = Env::start().await;
    let url = env.idp.discovery_url();
    arm(&env, json!({"endpoint": "discovery", "kind": "status", "status": 503})).await;
    for _ in 0..3 {
        assert_eq!(env.http.get(&url).send().await.unwrap().status(), 503, "down until cleared");
    }
    ctl(&env, Method::DELETE, "faults", None).await;
    assert_eq!(env.http.get(&url).send().await.unwrap().status(), 200, "back");
    // Configured: down for the first 5 s of the tenant's life.
    let idp = MockIdp::builder()
        .configure(|t| t.faults.push(FaultSpec::status(Endpoint::Discovery, 503).for_s(5.0)))
        .start()
        .await;
    let http = reqwest::Client::new();
    assert_eq!(http.get(idp.discovery_url()).send().await.unwrap().status(), 503);
    idp.advance_clock(5.0);
    assert_eq!(http.get(idp.discovery_url()).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn p148_jwks_content_faults() {
    let env = Env::start().await;
    let normal = env.jwks().await;
    arm(&env, json!({"endpoint": "jwks", "kind": "jwks_empty", "times": 1})).await;
    assert_eq!(env.jwks().await, json!({"keys": []}));
    arm(&env, json!({"endpoint": "jwks", "kind": "jwks_unsupported_key", "times": 1})).await;
    let set = env.jwks().await;
    assert_eq!(set["keys"].as_array().unwrap().len(), normal["keys"].as_array().unwrap().len() + 1);
    assert!(set["keys"].as_array().unwrap().iter().any(|k| k["crv"] == "Ed448"));
    arm(&env, json!({"endpoint": "jwks", "kind": "jwks_wrong_key_type", "times": 1})).await;
    let set = env.jwks().await;
    for k in set["keys"].as_array().unwrap() {
        let rsa_alg = k["alg"].as_str().unwrap().starts_with("RS") || k["alg"].as_str().unwrap().starts_with("PS");
        assert_eq!(k["kty"] == "RSA", !rsa_alg, "{k}");
    }
    assert_eq!(env.jwks().await, normal);
}

#[tokio::test]
async fn p148_discovery_content_faults() {
    let env = Env::start().await;
    let issuer = env.idp.issuer_url();
    arm(
        &env,
        json!({"endpoint": "discovery", "kind": "discovery_issuer_mismatch", "times": 1}),
    )
    .await;
    assert_ne!(env.discovery().await["issuer"], issuer.as_str());
    arm(&env, json!({"endpoint": "discovery", "kind": "discovery_alg_omitted", "times": 1})).await;
    let algs = env.discovery().await["id_token_signing_alg_values_supported"].clone();
    assert!(!algs.as_array().unwrap().contains(&json!("RS256")), "{algs}");
    arm(
        &env,
        json!({"endpoint": "discovery", "kind": "discovery_jwks_unreachable", "times": 1}),
    )
    .await;
    let jwks_uri = env.discovery().await["jwks_uri"].as_str().unwrap().to_owned();
    let fetch = tokio::time::timeout(BOUND, env.http.get(&jwks_uri).send())
        .await
        .expect("refused quickly");
    assert!(fetch.is_err(), "{jwks_uri} must be unreachable");
    let doc = env.discovery().await;
    assert_eq!(doc["issuer"], issuer.as_str());
    assert!(doc["id_token_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("RS256")));
}

#[tokio::test]
async fn p149_token_endpoint_answers_the_chosen_oauth_error_for_the_next_n_requests() {
    let env = Env::start().await;
    arm(
        &env,
        json!({"endpoint": "token", "kind": "oauth_error", "error": "temporarily_unavailable", "status": 503,
               "error_description": "try later", "times": 2}),
    )
    .await;
    for _ in 0..2 {
        let (s, body) = password_grant(&env, "default", "admin", "admin-pass", "weaviate").await;
        assert_eq!(s, 503);
        assert_eq!(body, json!({"error": "temporarily_unavailable", "error_description": "try later"}));
    }
    let (s, _) = password_grant(&env, "default", "admin", "admin-pass", "weaviate").await;
    assert_eq!(s, 200);
    let errors: Vec<Option<String>> = env
        .idp
        .journal(&Default::default())
        .into_iter()
        .filter(|e| e.endpoint == Endpoint::Token)
        .map(|e| e.error)
        .collect();
    assert_eq!(
        errors,
        [Some("temporarily_unavailable".into()), Some("temporarily_unavailable".into()), None]
    );
}

#[tokio::test]
async fn plain_gets_answered_before_the_routes_equal_the_routes_answers() {
    // Without a fault the middleware answers a GET of the JWKS or of discovery itself; a latency
    // fault sends the same request on through the internal routes. Both must be the same answer.
    let env = Env::start().await;
    let answer = |url: String| {
        let http = env.http.clone();
        async move {
            let r = http.get(&url).send().await.unwrap();
            let headers: Vec<(String, String)> = ["content-type", "access-control-allow-origin", "content-length"]
                .iter()
                .map(|h| (h.to_string(), r.headers().get(*h).map_or("", |v| v.to_str().unwrap()).to_owned()))
                .collect();
            (r.status().as_u16(), headers, r.bytes().await.unwrap())
        }
    };
    for (endpoint, url) in [("jwks", env.endpoint("jwks_uri").await), ("discovery", env.idp.discovery_url())] {
        let direct = answer(url.clone()).await;
        arm(&env, json!({"endpoint": endpoint, "kind": "latency", "ms": 1, "times": 1})).await;
        let routed = answer(url.clone()).await;
        assert_eq!(direct, routed, "{endpoint}");
        assert_eq!(direct.0, 200, "{endpoint}");
        let (_, entries) = ctl(&env, Method::GET, &format!("journal?endpoint={endpoint}"), None).await;
        // The last two entries are the two requests above (discovery was also read for its URL).
        let faults: Vec<Value> = entries["entries"].as_array().unwrap().iter().map(|e| e["faults"].clone()).collect();
        let [.., first, second] = faults.as_slice() else {
            panic!("{endpoint}: both requests are in the journal: {entries}")
        };
        assert_eq!(first, &Value::Null, "{endpoint}: the direct answer had no fault");
        assert_eq!(second, &json!(["latency:1ms"]), "{endpoint}: the second went through the routes");
    }
}
