//! Tenants on one port: separate issuers, keys, clocks and users; unknown prefixes; the first
//! tenant (P4-P5).

use jsonwebtoken::{DecodingKey, Validation};
use mock_idp::{Alg, Config, MockIdp, TenantConfig};
use serde_json::Value;

use crate::discovery_support::{get_json, seeded_keys, verify};
use crate::support::{claims, header, Env};

/// The password grant of `admin` at the tenant called `name`, through its own discovery.
async fn password_at(env: &Env, name: &str) -> (u16, Value) {
    let tenant = env.idp.tenant(name).expect("the tenant exists");
    let doc = get_json(&env.http, &tenant.discovery_url()).await;
    let form = [
        ("grant_type", "password"),
        ("username", "admin"),
        ("password", "admin-pass"),
        ("client_id", "weaviate"),
    ];
    let resp = env
        .http
        .post(doc["token_endpoint"].as_str().unwrap())
        .form(&form)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn p4_two_tenants_on_one_port_keep_issuers_and_keys_apart() {
    // Arrange
    let env = Env::with(MockIdp::builder().tenant(TenantConfig::named("b")).start().await);
    let a = env.idp.tenant("default").unwrap();
    let b = env.idp.tenant("b").unwrap();
    let doc_b = get_json(&env.http, &b.discovery_url()).await;
    let jwks_b = get_json(&env.http, doc_b["jwks_uri"].as_str().unwrap()).await;
    assert_eq!(doc_b["issuer"].as_str(), Some(b.issuer().as_str()));
    assert_ne!(a.issuer(), b.issuer());
    assert!(doc_b["token_endpoint"].as_str().unwrap().starts_with(b.issuer().as_str()));
    // Act
    let doc_a = get_json(&env.http, &a.discovery_url()).await;
    let jwks_a = get_json(&env.http, doc_a["jwks_uri"].as_str().unwrap()).await;
    let form = [
        ("grant_type", "password"),
        ("username", "admin"),
        ("password", "admin-pass"),
        ("client_id", "weaviate"),
    ];
    let resp = env
        .http
        .post(doc_a["token_endpoint"].as_str().unwrap())
        .form(&form)
        .send()
        .await
        .unwrap();
    let tokens: Value = resp.json().await.unwrap();
    let jwt = tokens["access_token"].as_str().expect("tenant A issues a token").to_owned();
    // Assert: B refuses A's token (issuer and keys differ); A accepts it.
    let against_b = verify(&jwt, &jwks_b, b.issuer().as_str());
    assert!(against_b.is_err(), "tenant B must not verify tenant A's token");
    for jwk in jwks_b["keys"].as_array().unwrap() {
        // Even ignoring the kid, no key of B verifies the signature.
        let key = DecodingKey::from_jwk(&serde_json::from_value(jwk.clone()).unwrap()).unwrap();
        let mut strict = Validation::new(jsonwebtoken::decode_header(&jwt).unwrap().alg);
        strict.validate_aud = false;
        assert!(
            jsonwebtoken::decode::<Value>(&jwt, &key, &strict).is_err(),
            "B's key {} verifies A's token",
            jwk["kid"]
        );
    }
    verify(&jwt, &jwks_a, a.issuer().as_str()).expect("tenant A verifies its own token");
}

#[tokio::test]
async fn p4_unknown_tenant_prefix_gets_a_json_404_naming_it() {
    let env = Env::start().await;
    let base = env.idp.base_url();
    for path in ["/nope/.well-known/openid-configuration", "/nope/token", "/nope/anything/else"] {
        let resp = env.http.get(format!("{base}{path}")).send().await.unwrap();
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.expect("a JSON body");
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["error"], "unknown_tenant", "{path}: {body}");
        assert!(body["message"].as_str().unwrap().contains("nope"), "{path}: {body}");
    }
    // The same path under the real tenant is served.
    let ok = env
        .http
        .get(format!("{base}/default/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn p4_first_tenant_is_the_first_configured_not_the_first_by_name() {
    // "alpha" sorts before "default": the handle must follow config order, not names.
    let idp = mock_idp::MockIdp::builder()
        .tenant(mock_idp::TenantConfig::named("alpha"))
        .start()
        .await;
    assert!(idp.issuer_url().ends_with("/default"), "{}", idp.issuer_url());
    assert!(idp.issuer_url_of("alpha").is_some());
}

#[tokio::test]
async fn p5_clock_users_and_keys_belong_to_one_tenant() {
    // Arrange: tenant "twin" has the same users and clients as "default", and its own clock.
    let mut twin = Config::builtin().tenants.remove(0);
    twin.name = "twin".into();
    twin.keys = seeded_keys("p5", &[Alg::RS256]);
    let empty = TenantConfig::named("empty");
    let env = Env::with(MockIdp::builder().tenant(twin).tenant(empty).start().await);
    let (a, b) = (env.idp.tenant("default").unwrap(), env.idp.tenant("twin").unwrap());
    let start = mock_idp::ClockMode::Frozen { at: 1_800_000_000.0 };
    a.clock().set(start);
    b.clock().set(start);
    // Act: only A's clock moves.
    a.clock().advance(10_000.0);
    let (sa, ta) = password_at(&env, "default").await;
    let (sb, tb) = password_at(&env, "twin").await;
    let (s_empty, t_empty) = password_at(&env, "empty").await;
    // Assert
    assert_eq!((sa, sb), (200, 200), "{ta} {tb}");
    let (ca, cb) = (
        claims(ta["access_token"].as_str().unwrap()),
        claims(tb["access_token"].as_str().unwrap()),
    );
    assert_eq!(ca["iat"].as_i64().unwrap(), 1_800_010_000, "A's iat follows A's clock");
    assert_eq!(cb["iat"].as_i64().unwrap(), 1_800_000_000, "B's iat is unchanged");
    assert_ne!(
        header(ta["access_token"].as_str().unwrap())["kid"],
        header(tb["access_token"].as_str().unwrap())["kid"]
    );
    assert_eq!(s_empty, 401, "users and clients of other tenants do not exist here: {t_empty}");
}
