//! Userinfo (P110-P114) and introspection (P115): what a resource server learns from a token.

use mock_idp::{MockIdp, TenantConfig, UserConfig};
use serde_json::{json, Value};

use crate::support::{claims, Env};

async fn url(env: &Env) -> String {
    env.endpoint("userinfo_endpoint").await
}

fn at(body: &Value) -> String {
    body["access_token"].as_str().expect("an access token was issued").to_owned()
}

/// A password grant for admin through `weaviate` with an explicit scope (and more fields).
async fn tokens_with(env: &Env, extra: &[(&str, &str)]) -> Value {
    let mut form = vec![
        ("grant_type", "password"),
        ("username", "admin"),
        ("password", "admin-pass"),
        ("client_id", "weaviate"),
    ];
    form.extend_from_slice(extra);
    let (status, body) = env.token(&form).await;
    assert_eq!(status, 200, "{body}");
    body
}

fn challenge(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .expect("a 401/403 carries WWW-Authenticate")
}

#[tokio::test]
async fn p110_get_and_post_take_the_bearer_header_in_any_case_and_post_takes_a_form_body() {
    let env = Env::start().await;
    let token = at(&env.password_tokens("admin", "admin-pass").await);
    let u = url(&env).await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let value = format!("{scheme} {token}");
        let get = env.http.get(&u).header("authorization", &value).send().await.unwrap();
        assert_eq!(get.status(), 200, "GET {scheme}");
        let post = env.http.post(&u).header("authorization", &value).send().await.unwrap();
        assert_eq!(post.status(), 200, "POST {scheme}");
    }
    let body = env.http.post(&u).form(&[("access_token", token.as_str())]).send().await.unwrap();
    assert_eq!(body.status(), 200);
}

#[tokio::test]
async fn p110_query_access_token_is_refused_unless_the_tenant_enables_it() {
    let env = Env::start().await;
    let token = at(&env.password_tokens("admin", "admin-pass").await);
    let resp = env
        .http
        .get(url(&env).await)
        .query(&[("access_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.json::<Value>().await.unwrap()["error"], "invalid_request");

    let enabled = Env::with(MockIdp::builder().configure(|t| t.userinfo_query_token = true).start().await);
    let token = at(&enabled.password_tokens("admin", "admin-pass").await);
    let resp = enabled
        .http
        .get(url(&enabled).await)
        .query(&[("access_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn p110_two_token_methods_at_once_are_invalid_request() {
    let env = Env::with(MockIdp::builder().configure(|t| t.userinfo_query_token = true).start().await);
    let token = at(&env.password_tokens("admin", "admin-pass").await);
    let u = url(&env).await;
    let header_and_body = env
        .http
        .post(&u)
        .bearer_auth(&token)
        .form(&[("access_token", token.as_str())])
        .send()
        .await
        .unwrap();
    let header_and_query = env
        .http
        .get(&u)
        .bearer_auth(&token)
        .query(&[("access_token", token.as_str())])
        .send()
        .await
        .unwrap();
    let body_and_query = env
        .http
        .post(&u)
        .query(&[("access_token", token.as_str())])
        .form(&[("access_token", token.as_str())])
        .send()
        .await
        .unwrap();
    for resp in [header_and_body, header_and_query, body_and_query] {
        assert_eq!(resp.status(), 400);
        assert_eq!(resp.json::<Value>().await.unwrap()["error"], "invalid_request");
    }
    assert_eq!(env.http.get(&u).bearer_auth(&token).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn p111_userinfo_gives_the_id_token_sub_and_the_claims_of_the_granted_scopes() {
    let env = Env::start().await;
    let tokens = env.password_tokens("admin", "admin-pass").await;
    let id = claims(tokens["id_token"].as_str().unwrap());
    let resp = env.http.get(url(&env).await).bearer_auth(at(&tokens)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let info: Value = resp.json().await.unwrap();
    assert_eq!(info["sub"], id["sub"]);
    assert_eq!(info["email"], "admin@example.com");
    assert_eq!(info["email_verified"], true, "a boolean (P43)");
    assert_eq!(info["name"], "Admin User");
    assert_eq!(info["preferred_username"], "admin");
    assert_eq!(info["groups"], json!(["admins"]));

    let narrow = tokens_with(&env, &[("scope", "openid")]).await;
    let info: Value = env
        .http
        .get(url(&env).await)
        .bearer_auth(at(&narrow))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info, json!({"sub": id["sub"]}), "openid alone gives only sub");
}

#[tokio::test]
async fn p111_standard_claims_of_the_user_record_follow_their_scope() {
    let mut user = UserConfig {
        username: "dana".into(),
        password: "dana-pass".into(),
        ..UserConfig::default()
    };
    user.claims.insert("locale".into(), json!("de-CH"));
    user.claims.insert("phone_number".into(), json!("+41 00 000 00 00"));
    let env = Env::with(MockIdp::builder().user(user).start().await);
    let (_, body) = env
        .token(&[
            ("grant_type", "password"),
            ("username", "dana"),
            ("password", "dana-pass"),
            ("client_id", "weaviate"),
            ("scope", "openid profile"),
        ])
        .await;
    let info: Value = env
        .http
        .get(url(&env).await)
        .bearer_auth(at(&body))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["locale"], "de-CH");
    assert!(info.get("phone_number").is_none(), "phone was not granted: {info}");
}

#[tokio::test]
async fn p112_missing_token_gets_401_with_a_bearer_realm_and_no_error() {
    let env = Env::start().await;
    let issuer = env.idp.issuer_url();
    let u = url(&env).await;
    let plain = env.http.get(&u).send().await.unwrap();
    let basic = env.http.post(&u).basic_auth("weaviate", Some("x")).send().await.unwrap();
    for resp in [plain, basic] {
        assert_eq!(resp.status(), 401);
        assert_eq!(challenge(&resp), format!("Bearer realm=\"{issuer}\""));
    }
    let token = at(&env.password_tokens("admin", "admin-pass").await);
    assert_eq!(env.http.get(&u).bearer_auth(token).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn p113_bad_tokens_get_401_invalid_token() {
    let mut other = TenantConfig::named("other");
    other.users.push(UserConfig {
        username: "admin".into(),
        password: "admin-pass".into(),
        ..UserConfig::default()
    });
    other.clients.push(mock_idp::ClientConfig {
        client_id: "weaviate".into(),
        public: true,
        ..mock_idp::ClientConfig::default()
    });
    let env = Env::with(MockIdp::builder().tenant(other).start().await);
    let issuer = env.idp.issuer_url();
    let tenant = env.idp.first_tenant();
    tenant.clock().freeze();
    let good = at(&env.password_tokens("admin", "admin-pass").await);
    let foreign = {
        let t = env.idp.tenant("other").unwrap();
        let doc: Value = reqwest::get(t.discovery_url()).await.unwrap().json().await.unwrap();
        let form = [
            ("grant_type", "password"),
            ("username", "admin"),
            ("password", "admin-pass"),
            ("client_id", "weaviate"),
        ];
        let body: Value = env
            .http
            .post(doc["token_endpoint"].as_str().unwrap())
            .form(&form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        at(&body)
    };
    let tampered = {
        let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
        let sig = parts[2].clone().into_bytes();
        let flipped: Vec<u8> = sig
            .iter()
            .enumerate()
            .map(|(i, b)| {
                if i == 10 {
                    if *b == b'A' {
                        b'B'
                    } else {
                        b'A'
                    }
                } else {
                    *b
                }
            })
            .collect();
        parts[2] = String::from_utf8(flipped).unwrap();
        parts.join(".")
    };
    let none_alg = {
        use base64::Engine;
        let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.", b64(&json!({"alg": "none"})), good.split('.').nth(1).unwrap())
    };
    let u = url(&env).await;
    let id_token = env.password_tokens("admin", "admin-pass").await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for (name, token) in [
        ("malformed", "not-a-jwt".to_owned()),
        ("tampered signature", tampered),
        ("alg none", none_alg),
        ("another tenant", foreign),
        ("an ID token", id_token),
    ] {
        let resp = env.http.get(&u).bearer_auth(&token).send().await.unwrap();
        assert_eq!(resp.status(), 401, "{name}");
        let c = challenge(&resp);
        assert!(c.starts_with(&format!("Bearer realm=\"{issuer}\"")), "{name}: {c}");
        assert!(c.contains("error=\"invalid_token\""), "{name}: {c}");
        assert!(c.contains("error_description=\""), "{name}: {c}");
    }
    // Expired on the tenant clock, and fine one second before.
    tenant.clock().advance(299.0);
    assert_eq!(env.http.get(&u).bearer_auth(&good).send().await.unwrap().status(), 200);
    tenant.clock().advance(1.0);
    let resp = env.http.get(&u).bearer_auth(&good).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert!(challenge(&resp).contains("invalid_token"));
}

#[tokio::test]
async fn p113_revoked_token_is_invalid_but_aud_is_not_checked() {
    let env = Env::start().await;
    let u = url(&env).await;
    let tokens = tokens_with(&env, &[("audience", "some-other-api")]).await;
    assert_eq!(claims(&at(&tokens))["aud"], "some-other-api");
    assert_eq!(
        env.http.get(&u).bearer_auth(at(&tokens)).send().await.unwrap().status(),
        200,
        "aud is not required"
    );
    let jti = claims(&at(&tokens))["jti"].as_str().unwrap().to_owned();
    env.idp.first_tenant().grants().revoked_jtis.insert(jti);
    let resp = env.http.get(&u).bearer_auth(at(&tokens)).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert!(challenge(&resp).contains("error=\"invalid_token\""));
}

#[tokio::test]
async fn p114_token_without_openid_gets_403_insufficient_scope() {
    let env = Env::start().await;
    let issuer = env.idp.issuer_url();
    let u = url(&env).await;
    let no_openid = tokens_with(&env, &[("scope", "profile email")]).await;
    let resp = env.http.get(&u).bearer_auth(at(&no_openid)).send().await.unwrap();
    assert_eq!(resp.status(), 403);
    let c = challenge(&resp);
    assert!(c.starts_with(&format!("Bearer realm=\"{issuer}\"")), "{c}");
    assert!(c.contains("error=\"insufficient_scope\""), "{c}");
    let with_openid = tokens_with(&env, &[("scope", "openid profile email")]).await;
    assert_eq!(env.http.get(&u).bearer_auth(at(&with_openid)).send().await.unwrap().status(), 200);
}

/// Introspects as `ci-runner` with client_secret_basic.
async fn introspect(env: &Env, token: &str) -> (u16, Value) {
    let u = env.endpoint("introspection_endpoint").await;
    let resp = env
        .http
        .post(u)
        .basic_auth("ci-runner", Some("ci-runner-secret"))
        .form(&[("token", token), ("token_type_hint", "access_token")])
        .send()
        .await
        .unwrap();
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test]
async fn p115_active_tokens_get_the_rfc7662_members() {
    let env = Env::start().await;
    let tokens = env.password_tokens("admin", "admin-pass").await;
    let access = claims(&at(&tokens));
    let (status, v) = introspect(&env, &at(&tokens)).await;
    assert_eq!(status, 200);
    assert_eq!(v["active"], true);
    assert_eq!(v["iss"], env.idp.issuer_url().as_str(), "P2: byte-identical issuer");
    for member in ["sub", "aud", "exp", "iat", "scope", "client_id"] {
        assert_eq!(v[member], access[member], "{member}");
    }
    assert_eq!(v["client_id"], "weaviate");
    assert_eq!(v["token_type"], "Bearer");

    let (status, v) = introspect(&env, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(v["active"], true);
    assert_eq!(v["sub"], access["sub"]);
    assert_eq!(v["client_id"], "weaviate");
    assert_eq!(v["scope"], tokens["scope"]);
    assert_eq!(v["token_type"], "refresh_token");
}

#[tokio::test]
async fn p115_unknown_expired_revoked_or_id_tokens_are_inactive_with_200() {
    let env = Env::start().await;
    let tenant = env.idp.first_tenant();
    tenant.clock().freeze();
    let tokens = env.password_tokens("admin", "admin-pass").await;
    let to_revoke = env.password_tokens("admin", "admin-pass").await;
    let jti = claims(&at(&to_revoke))["jti"].as_str().unwrap().to_owned();
    tenant.grants().revoked_jtis.insert(jti);
    for (name, token) in [
        ("unknown", "no-such-token".to_owned()),
        ("revoked", at(&to_revoke)),
        ("ID token", tokens["id_token"].as_str().unwrap().to_owned()),
    ] {
        let (status, v) = introspect(&env, &token).await;
        assert_eq!((status, v), (200, json!({"active": false})), "{name}");
    }
    assert_eq!(introspect(&env, &at(&tokens)).await.1["active"], true);
    tenant.clock().advance(300.0);
    assert_eq!(introspect(&env, &at(&tokens)).await, (200, json!({"active": false})), "expired");
}

#[tokio::test]
async fn p115_a_caller_that_does_not_authenticate_gets_401_invalid_client() {
    let env = Env::start().await;
    let token = at(&env.password_tokens("admin", "admin-pass").await);
    let u = env.endpoint("introspection_endpoint").await;
    let anonymous = env.http.post(&u).form(&[("token", token.as_str())]).send().await.unwrap();
    let public = env
        .http
        .post(&u)
        .form(&[("token", token.as_str()), ("client_id", "weaviate")])
        .send()
        .await
        .unwrap();
    let wrong = env
        .http
        .post(&u)
        .basic_auth("ci-runner", Some("nope"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    for resp in [anonymous, public, wrong] {
        assert_eq!(resp.status(), 401);
        assert!(resp.headers().contains_key("www-authenticate"));
        assert_eq!(resp.json::<Value>().await.unwrap()["error"], "invalid_client");
    }
    assert_eq!(introspect(&env, &token).await.0, 200);
}
