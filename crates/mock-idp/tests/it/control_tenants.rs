//! Control plane, tenants (P5, P6, P127, P130): one tenant's faults and clock leave another
//! alone, tenants come and go at runtime, and reset puts a tenant back as configured.

use mock_idp::MockIdp;
use reqwest::Method;
use serde_json::json;

use crate::control_support::{call, ctl, ctl_url, password_grant, tenant_b};
use crate::support::{claims, Env};

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
    assert_eq!(env.idp.clock().mode, mock_idp::ClockMode::Real);
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
