//! Tests for the control plane (P5, P6, P35, P37, P125-P130, P135-P149), used the way a Weaviate
//! test uses them: break or move one thing, then watch what a client sees.

use std::time::{Duration, Instant};

use mock_idp::config::ServerConfig;
use mock_idp::journal::Endpoint;
use mock_idp::rotation::{AddKey, KeyAction, RotateKeys, When};
use mock_idp::FaultSpec;
use mock_idp::{ClientConfig, Config, MockIdp, TenantConfig, UserConfig};
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{claims, header, Env};

/// Upper bound for anything that should be quick; a hung test fails instead of blocking CI.
const BOUND: Duration = Duration::from_secs(10);

/// `{base}/_mock/{path}` of the tenant `name`.
fn ctl_url(idp: &MockIdp, name: &str, path: &str) -> String {
    let issuer = idp.issuer_url_of(name).expect("the tenant exists");
    format!("{}/_mock/{path}", issuer.trim_end_matches('/'))
}

/// Sends a control request and returns status and JSON body (Null when not JSON).
async fn call(http: &reqwest::Client, method: Method, url: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = http.request(method, url);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = tokio::time::timeout(BOUND, req.send())
        .await
        .expect("control request within the bound")
        .expect("control request answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn ctl(env: &Env, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    call(&env.http, method, &ctl_url(&env.idp, "default", path), body).await
}

/// Discovery of the tenant `name`.
async fn discovery_of(env: &Env, name: &str) -> Value {
    let url = env.idp.tenant(name).expect("tenant").discovery_url();
    env.http
        .get(url)
        .send()
        .await
        .expect("discovery answers")
        .json()
        .await
        .expect("discovery is JSON")
}

/// A password grant against the tenant `name` through its discovered token endpoint.
async fn password_grant(env: &Env, name: &str, user: &str, pw: &str, client: &str) -> (u16, Value) {
    let token_url = discovery_of(env, name).await["token_endpoint"]
        .as_str()
        .expect("token_endpoint")
        .to_owned();
    let form = [
        ("grant_type", "password"),
        ("username", user),
        ("password", pw),
        ("client_id", client),
    ];
    let resp = env.http.post(token_url).form(&form).send().await.expect("token endpoint answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// The JWKS of the default tenant, read through discovery.
async fn jwks(env: &Env) -> Value {
    let url = env.endpoint("jwks_uri").await;
    env.http
        .get(url)
        .send()
        .await
        .expect("jwks answers")
        .json()
        .await
        .expect("jwks is JSON")
}

fn kids(jwks: &Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

/// Verifies a token's signature against the served JWKS, as a relying party would.
async fn verifies(env: &Env, token: &str) -> bool {
    let set = jwks(env).await;
    let kid = header(token)["kid"].as_str().unwrap_or_default().to_owned();
    let Some(jwk) = set["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid.as_str()) else {
        return false;
    };
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone()).expect("a served JWK parses");
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).expect("a served JWK is a key");
    let alg: jsonwebtoken::Algorithm = header(token)["alg"].as_str().unwrap().parse().unwrap();
    let mut v = jsonwebtoken::Validation::new(alg);
    v.validate_aud = false;
    v.validate_exp = false;
    v.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(token, &key, &v).is_ok()
}

fn tenant_b() -> TenantConfig {
    let mut b = TenantConfig::named("b");
    b.users.push(UserConfig {
        username: "bob".into(),
        password: "bob-pass".into(),
        ..Default::default()
    });
    b.clients.push(ClientConfig {
        client_id: "app".into(),
        public: true,
        ..Default::default()
    });
    b
}

// ------------------------------------------------------------------------------------------------
// Tenants

#[tokio::test]
async fn p5_fault_and_clock_of_one_tenant_leave_the_other_alone() {
    // Arrange: two tenants on one listener.
    let env = Env::with(MockIdp::builder().tenant(tenant_b()).start().await);
    // Act: discovery of "default" goes down and its clock jumps a day ahead.
    let (s, _) = ctl(
        &env,
        Method::POST,
        "faults",
        Some(json!({"endpoint": "discovery", "kind": "status", "status": 503})),
    )
    .await;
    assert_eq!(s, 201);
    let (s, _) = ctl(&env, Method::POST, "clock", Some(json!({"advance_s": 86400}))).await;
    assert_eq!(s, 200);
    // Assert: default is broken, b is not, and b's iat is real time.
    let url = env.idp.tenant("default").unwrap().discovery_url();
    assert_eq!(env.http.get(url).send().await.unwrap().status(), 503);
    let (status, body) = password_grant(&env, "b", "bob", "bob-pass", "app").await;
    assert_eq!(status, 200, "{body}");
    let iat = claims(body["access_token"].as_str().unwrap())["iat"].as_i64().unwrap();
    let real = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (real - iat).abs() < 60,
        "b's iat {iat} follows real time {real}, not default's clock"
    );
    let (_, b_faults) = call(&env.http, Method::GET, &ctl_url(&env.idp, "b", "faults"), None).await;
    assert_eq!(b_faults["faults"], json!([]));
    // The same request to default works once its fault is cleared.
    ctl(&env, Method::DELETE, "faults", None).await;
    let url = env.idp.tenant("default").unwrap().discovery_url();
    assert_eq!(env.http.get(url).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn p6_p130_tenant_created_at_runtime_serves_then_answers_404_once_deleted() {
    let env = Env::start().await;
    let issuers_url = format!("{}/_mock/issuers", env.idp.base_url());
    let mut config = serde_json::to_value(tenant_b()).unwrap();
    config["name"] = json!("run-1");
    // Create.
    let (s, created) = call(&env.http, Method::POST, &issuers_url, Some(config.clone())).await;
    assert_eq!(s, 201, "{created}");
    assert_eq!(created["issuer"], format!("{}/run-1", env.idp.base_url()));
    let (_, list) = call(&env.http, Method::GET, &issuers_url, None).await;
    assert!(list["issuers"].as_array().unwrap().iter().any(|i| i["name"] == "run-1"));
    // Use: a password grant against the new issuer.
    let (status, body) = password_grant(&env, "run-1", "bob", "bob-pass", "app").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(claims(body["access_token"].as_str().unwrap())["iss"], created["issuer"]);
    // A second tenant with the same name is refused.
    let (s, err) = call(&env.http, Method::POST, &issuers_url, Some(config)).await;
    assert_eq!(s, 400, "{err}");
    // Delete: discovery answers 404.
    let discovery = created["discovery"].as_str().unwrap().to_owned();
    let (s, _) = call(&env.http, Method::DELETE, &format!("{issuers_url}/run-1"), None).await;
    assert_eq!(s, 200);
    assert_eq!(env.http.get(&discovery).send().await.unwrap().status(), 404);
    let (s, _) = call(&env.http, Method::DELETE, &format!("{issuers_url}/run-1"), None).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn p127_reset_puts_keys_clock_faults_journal_and_users_back() {
    let env = Env::start().await;
    let before = env.idp.keys().unwrap();
    // Change everything a test might change.
    ctl(
        &env,
        Method::POST,
        "keys/rotate",
        Some(json!({"alg": "RS256", "publish_old": false})),
    )
    .await;
    ctl(&env, Method::POST, "clock", Some(json!({"advance_s": 3600}))).await;
    ctl(
        &env,
        Method::POST,
        "faults",
        Some(json!({"endpoint": "jwks", "kind": "status", "status": 500})),
    )
    .await;
    ctl(
        &env,
        Method::POST,
        "users",
        Some(json!({"username": "temp", "password": "temp-pass"})),
    )
    .await;
    ctl(&env, Method::DELETE, "users/viewer", None).await;
    let tokens = env.password_tokens("admin", "admin-pass").await;
    assert_ne!(env.idp.keys().unwrap(), before);
    // Act.
    let (s, _) = ctl(&env, Method::POST, "reset", None).await;
    assert_eq!(s, 200);
    // Assert.
    assert_eq!(env.idp.keys().unwrap(), before, "keys are as configured");
    assert_eq!(env.idp.clock().mode, mock_idp::clock::ClockMode::Real);
    assert!(env.idp.faults().is_empty());
    let entries = env.idp.journal(&Default::default());
    assert_eq!(entries.len(), 1, "only the reset itself is in the journal: {entries:?}");
    assert_eq!(entries[0].path, "/default/_mock/reset");
    assert!(
        env.idp.first_tenant().grants().refresh.is_empty(),
        "issued refresh tokens are forgotten"
    );
    let (s, _) = password_grant(&env, "default", "temp", "temp-pass", "weaviate").await;
    assert_eq!(s, 400, "the runtime user is gone");
    let (s, _) = password_grant(&env, "default", "viewer", "viewer-pass", "weaviate").await;
    assert_eq!(s, 200, "the deleted configured user is back");
    assert!(tokens["refresh_token"].is_string());
}

// ------------------------------------------------------------------------------------------------
// Keys

#[tokio::test]
async fn p135_rotate_makes_a_new_signer_and_every_operation_returns_the_key_list() {
    let env = Env::start().await;
    let old = env.idp.keys().unwrap().active().unwrap().to_owned();
    let (s, list) = ctl(
        &env,
        Method::POST,
        "keys/rotate",
        Some(json!({"alg": "RS256", "publish_old": true, "overlap_s": 60})),
    )
    .await;
    assert_eq!(s, 200, "{list}");
    let new = list["keys"].as_array().unwrap().iter().find(|k| k["active"] == true).unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new, old);
    for k in list["keys"].as_array().unwrap() {
        for field in ["kid", "alg", "published", "active"] {
            assert!(k.get(field).is_some(), "{k} lacks {field}");
        }
    }
    assert_eq!(list["scheduled"][0]["op"], "retire");
    assert_eq!(list["scheduled"][0]["kid"], old.as_str());
    let token = env.password_tokens("admin", "admin-pass").await;
    assert_eq!(header(token["access_token"].as_str().unwrap())["kid"], new.as_str());
    // Delete: refused for the signer, allowed for another key.
    let (s, err) = ctl(&env, Method::DELETE, &format!("keys/{new}"), None).await;
    assert_eq!(s, 400, "{err}");
    let (s, list) = ctl(&env, Method::DELETE, &format!("keys/{old}"), None).await;
    assert_eq!(s, 200, "{list}");
    assert!(!kids(&jwks(&env).await).contains(&old));
    let (s, _) = ctl(&env, Method::POST, "keys/no-such-kid/publish", None).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn p136_active_unpublished_key_signs_and_publishing_it_lets_verifiers_recover() {
    let env = Env::start().await;
    let (s, list) = ctl(
        &env,
        Method::POST,
        "keys",
        Some(json!({"alg": "RS256", "seed": "p136", "published": false, "activate": true})),
    )
    .await;
    assert_eq!(s, 200, "{list}");
    let kid = list["keys"].as_array().unwrap().iter().find(|k| k["active"] == true).unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = env.password_tokens("admin", "admin-pass").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(header(&token)["kid"], kid.as_str());
    assert!(!kids(&jwks(&env).await).contains(&kid));
    assert!(!verifies(&env, &token).await, "the kid is unknown to a verifier");
    // Publish: the same token now verifies.
    let (s, _) = ctl(&env, Method::POST, &format!("keys/{kid}/publish"), None).await;
    assert_eq!(s, 200);
    assert!(verifies(&env, &token).await);
}

#[tokio::test]
async fn p35_old_key_stays_in_the_jwks_until_the_overlap_ends_on_the_tenant_clock() {
    let env = Env::start().await;
    let old_token = env.password_tokens("admin", "admin-pass").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let old_kid = header(&old_token)["kid"].as_str().unwrap().to_owned();
    let (s, _) = ctl(&env, Method::POST, "keys/rotate", Some(json!({"overlap_s": 600}))).await;
    assert_eq!(s, 200);
    let new_token = env.password_tokens("admin", "admin-pass").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(header(&new_token)["kid"], old_kid.as_str());
    // During the overlap both verify.
    ctl(&env, Method::POST, "clock", Some(json!({"advance_s": 599}))).await;
    assert!(verifies(&env, &old_token).await, "old key still served at 599 s");
    assert!(verifies(&env, &new_token).await);
    // After it, the old key has left the JWKS.
    ctl(&env, Method::POST, "clock", Some(json!({"advance_s": 2}))).await;
    assert!(!kids(&jwks(&env).await).contains(&old_kid));
    assert!(!verifies(&env, &old_token).await);
    assert!(verifies(&env, &new_token).await);
}

#[tokio::test]
async fn p137_scheduled_rotation_runs_at_its_tenant_time() {
    let env = Env::start().await;
    let old = env.idp.keys().unwrap().active().unwrap().to_owned();
    let (s, list) = ctl(
        &env,
        Method::POST,
        "keys/rotate",
        Some(json!({"after_s": 30, "publish_old": false})),
    )
    .await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["scheduled"][0]["op"], "rotate");
    let token = env.password_tokens("admin", "admin-pass").await;
    assert_eq!(header(token["access_token"].as_str().unwrap())["kid"], old.as_str(), "not yet");
    env.idp.first_tenant().clock().advance(30.0);
    let token = env.password_tokens("admin", "admin-pass").await;
    assert_ne!(
        header(token["access_token"].as_str().unwrap())["kid"],
        old.as_str(),
        "rotated on the next request"
    );
    assert!(
        !kids(&jwks(&env).await).contains(&old),
        "publish_old = false retires the old key at once"
    );
}

#[tokio::test]
async fn p37_private_key_export_only_when_enabled() {
    let env = Env::start().await;
    let kid = env.idp.keys().unwrap().active().unwrap().to_owned();
    let (s, err) = ctl(&env, Method::GET, &format!("keys/{kid}/export"), None).await;
    assert_eq!(s, 403, "{err}");
    assert!(!err.to_string().contains("PRIVATE KEY"));
    // Enabled: a test signs its own token and the served JWKS verifies it.
    let env = Env::with(MockIdp::builder().configure(|t| t.export_keys = true).start().await);
    let (s, exported) = ctl(&env, Method::GET, &format!("keys/{kid}/export"), None).await;
    assert_eq!(s, 200);
    let pem = exported["private_pem"].as_str().unwrap();
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).expect("the export is a PEM RSA key");
    let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    h.kid = Some(kid);
    let own = jsonwebtoken::encode(&h, &json!({"sub": "self-signed"}), &key).unwrap();
    assert!(verifies(&env, &own).await);
}

// ------------------------------------------------------------------------------------------------
// Journal

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
    assert!(text.contains(&mock_idp::accounts::fingerprint("admin-pass")));
    assert!(text.contains(&mock_idp::accounts::fingerprint(refresh)));
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

// ------------------------------------------------------------------------------------------------
// Clock

#[tokio::test]
async fn p142_p143_frozen_clock_drives_iat_and_advancing_it_expires_the_token() {
    let env = Env::start().await;
    let (s, frozen) = ctl(&env, Method::POST, "clock", Some(json!({"at": 1_800_000_000.0}))).await;
    assert_eq!(s, 200, "{frozen}");
    assert_eq!(frozen["mode"], "frozen");
    let token = env.password_tokens("admin", "admin-pass").await;
    let c = claims(token["access_token"].as_str().unwrap());
    assert_eq!(c["iat"], 1_800_000_000i64);
    let exp = c["exp"].as_i64().unwrap();
    // The clock stands still...
    let (_, clock) = ctl(&env, Method::GET, "clock", None).await;
    assert_eq!(clock["now_s"], 1_800_000_000i64);
    assert!(clock["now_s"].as_i64().unwrap() < exp, "valid while frozen");
    // ...until advanced past the lifetime.
    let (_, clock) = ctl(&env, Method::POST, "clock", Some(json!({"advance_s": 301}))).await;
    assert!(clock["now_s"].as_i64().unwrap() > exp, "expired on the tenant clock");
    // Offset and back to real time.
    let (_, clock) = ctl(&env, Method::POST, "clock", Some(json!({"offset_s": -3600}))).await;
    assert_eq!(clock["mode"], "offset");
    let (_, clock) = ctl(&env, Method::POST, "clock", Some(json!({"real": true}))).await;
    assert_eq!(clock["mode"], "real");
    // Freeze at the current reading.
    let (_, clock) = ctl(&env, Method::POST, "clock", Some(json!({"freeze": true}))).await;
    assert_eq!(clock["mode"], "frozen");
}

// ------------------------------------------------------------------------------------------------
// Faults

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
    let log = env.idp.journal(&mock_idp::journal::Query {
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
    let normal = jwks(&env).await;
    arm(&env, json!({"endpoint": "jwks", "kind": "jwks_empty", "times": 1})).await;
    assert_eq!(jwks(&env).await, json!({"keys": []}));
    arm(&env, json!({"endpoint": "jwks", "kind": "jwks_unsupported_key", "times": 1})).await;
    let set = jwks(&env).await;
    assert_eq!(set["keys"].as_array().unwrap().len(), normal["keys"].as_array().unwrap().len() + 1);
    assert!(set["keys"].as_array().unwrap().iter().any(|k| k["crv"] == "Ed448"));
    arm(&env, json!({"endpoint": "jwks", "kind": "jwks_wrong_key_type", "times": 1})).await;
    let set = jwks(&env).await;
    for k in set["keys"].as_array().unwrap() {
        let rsa_alg = k["alg"].as_str().unwrap().starts_with("RS") || k["alg"].as_str().unwrap().starts_with("PS");
        assert_eq!(k["kty"] == "RSA", !rsa_alg, "{k}");
    }
    assert_eq!(jwks(&env).await, normal);
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

// ------------------------------------------------------------------------------------------------
// Admin surface

fn with_server(server: ServerConfig) -> Config {
    let mut c = Config::builtin();
    c.server = server;
    c
}

#[tokio::test]
async fn p125_controls_can_be_disabled_and_never_appear_in_discovery() {
    let idp = MockIdp::builder()
        .config(with_server(ServerConfig {
            control: Some(false),
            ..Default::default()
        }))
        .start()
        .await;
    let http = reqwest::Client::new();
    assert_eq!(http.get(ctl_url(&idp, "default", "clock")).send().await.unwrap().status(), 404);
    assert_eq!(
        http.get(format!("{}/_mock/issuers", idp.base_url())).send().await.unwrap().status(),
        404
    );
    assert_eq!(
        http.get(format!("{}/_mock/ready", idp.base_url())).send().await.unwrap().status(),
        200
    );
    let doc = http.get(idp.discovery_url()).send().await.unwrap().text().await.unwrap();
    assert!(!doc.contains("_mock"));
    // Enabled (the default), the same route answers.
    let env = Env::start().await;
    assert_eq!(ctl(&env, Method::GET, "clock", None).await.0, 200);
}

#[tokio::test]
async fn p125_bad_control_input_is_a_400_naming_the_field() {
    let env = Env::start().await;
    let cases = [
        (
            "faults",
            json!({"endpoint": "jwks", "kind": "status", "status": 503, "bogus": 1}),
            "bogus",
        ),
        ("faults", json!({"endpoint": "jwks", "kind": "status", "status": 418}), "status"),
        ("faults", json!({"endpoint": "jwks", "kind": "teapot"}), "kind"),
        ("faults", json!({"endpoint": "token", "kind": "jwks_empty"}), "endpoint"),
        ("faults", json!({"endpoint": "jwks", "kind": "latency", "ms": 1, "mib": 2}), "mib"),
        ("clock", json!({"advance_s": "soon"}), "advance_s"),
        ("clock", json!({"advance_s": 1, "real": true}), "real"),
        ("keys/rotate", json!({"overlap_s": -1}), "overlap_s"),
        ("keys", json!({"alg": "HS256"}), "alg"),
        ("users", json!({"username": "", "password": "x"}), "username"),
        (
            "users",
            json!({"username": "x", "password": "x", "claims": {"iss": "me"}}),
            "claims.iss",
        ),
    ];
    for (path, body, field) in cases {
        let (s, err) = ctl(&env, Method::POST, path, Some(body.clone())).await;
        assert_eq!(s, 400, "{path} {body}: {err}");
        assert!(err["error"].is_string(), "{err}");
        assert!(
            err["message"].as_str().unwrap().contains(field),
            "{path} {body}: {err} should name {field}"
        );
    }
    assert!(env.idp.faults().is_empty(), "nothing was half-applied");
    // Fixed, the same request is accepted.
    let (s, _) = ctl(
        &env,
        Method::POST,
        "faults",
        Some(json!({"endpoint": "jwks", "kind": "status", "status": 503})),
    )
    .await;
    assert_eq!(s, 201);
    // Unknown things are 404.
    assert_eq!(ctl(&env, Method::DELETE, "users/nobody", None).await.0, 404);
    assert_eq!(ctl(&env, Method::DELETE, "faults/999", None).await.0, 404);
    let r = env
        .http
        .get(format!("{}/nowhere/_mock/clock", env.idp.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn p129_users_and_clients_change_at_runtime() {
    let env = Env::start().await;
    let (s, user) = ctl(
        &env,
        Method::POST,
        "users",
        Some(json!({"username": "carol", "password": "carol-pass", "groups": ["ops"]})),
    )
    .await;
    assert_eq!(s, 200, "{user}");
    assert!(user.get("password").is_none());
    let (s, body) = password_grant(&env, "default", "carol", "carol-pass", "weaviate").await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(claims(body["access_token"].as_str().unwrap())["groups"], json!(["ops"]));
    let (_, users) = ctl(&env, Method::GET, "users", None).await;
    assert!(!users.to_string().contains("carol-pass"));
    assert_eq!(ctl(&env, Method::DELETE, "users/carol", None).await.0, 200);
    assert_eq!(password_grant(&env, "default", "carol", "carol-pass", "weaviate").await.0, 400);
    // A client, then a replacement with another secret.
    let client = json!({"client_id": "svc", "secrets": ["svc-secret-1"], "grant_types": ["client_credentials"]});
    assert_eq!(ctl(&env, Method::POST, "clients", Some(client)).await.0, 200);
    let cc = |secret: &'static str| {
        [
            ("grant_type", "client_credentials"),
            ("client_id", "svc"),
            ("client_secret", secret),
        ]
    };
    assert_eq!(env.token(&cc("svc-secret-1")).await.0, 200);
    let client = json!({"client_id": "svc", "secrets": ["svc-secret-2"], "grant_types": ["client_credentials"]});
    assert_eq!(ctl(&env, Method::POST, "clients", Some(client)).await.0, 200);
    assert_eq!(env.token(&cc("svc-secret-1")).await.0, 401);
    assert_eq!(env.token(&cc("svc-secret-2")).await.0, 200);
    let (_, clients) = ctl(&env, Method::GET, "clients", None).await;
    assert!(!clients.to_string().contains("svc-secret"));
    assert_eq!(ctl(&env, Method::DELETE, "clients/svc", None).await.0, 200);
    assert_eq!(env.token(&cc("svc-secret-2")).await.0, 401);
}

#[tokio::test]
async fn p126_every_operation_is_also_a_rust_method() {
    let env = Env::start().await;
    let idp = &env.idp;
    // Keys.
    let old = idp.keys().unwrap().active().unwrap().to_owned();
    let list = idp
        .rotate_keys(RotateKeys {
            overlap_s: Some(10.0),
            ..Default::default()
        })
        .unwrap();
    assert_ne!(list.active().unwrap(), old);
    let added = idp
        .add_key(AddKey {
            seed: Some("p126".into()),
            published: Some(false),
            ..Default::default()
        })
        .unwrap();
    let hidden = added.keys.iter().find(|k| !k.published).unwrap().kid.clone();
    idp.key_action(&hidden, KeyAction::Publish, When::default()).unwrap();
    assert!(kids(&jwks(&env).await).contains(&hidden));
    // Clock drives the scheduled retirement.
    idp.advance_clock(11.0);
    assert!(!kids(&jwks(&env).await).contains(&old));
    // Faults, journal, users, tenants.
    idp.clear_journal();
    idp.add_fault(FaultSpec::status(Endpoint::Discovery, 504).times(1)).unwrap();
    assert_eq!(env.http.get(idp.discovery_url()).send().await.unwrap().status(), 504);
    assert!(idp.add_fault(FaultSpec::status(Endpoint::Discovery, 404)).is_err());
    assert_eq!(idp.counters()[&Endpoint::Discovery], 1);
    idp.add_user(UserConfig {
        username: "dave".into(),
        password: "dave-pass".into(),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(password_grant(&env, "default", "dave", "dave-pass", "weaviate").await.0, 200);
    idp.remove_user("dave").unwrap();
    let issuer = idp.create_issuer(tenant_b()).unwrap();
    assert!(idp.issuers().iter().any(|i| i.issuer == issuer));
    idp.delete_issuer("b").unwrap();
    assert!(idp.delete_issuer("b").is_err());
    idp.reset();
    assert_eq!(idp.keys().unwrap().active().unwrap(), old);
}

#[tokio::test]
async fn p140_user_listing_shows_neither_passwords_nor_one_time_codes() {
    let idp = mock_idp::MockIdp::builder()
        .user(mock_idp::UserConfig {
            username: "mfa".into(),
            password: "pw-secret".into(),
            otp: Some("314159".into()),
            ..Default::default()
        })
        .start()
        .await;
    let url = format!("{}/_mock/users", idp.issuer_url());
    let body = reqwest::get(&url).await.expect("users answers").text().await.expect("a body");
    assert!(body.contains("\"mfa\""), "the user is listed: {body}");
    assert!(!body.contains("pw-secret") && !body.contains("314159"), "{body}");
}
