//! Refresh token grant (P55, P76-P83) and revocation (P116), which ends refresh families.

use mock_idp::config::Alg;
use mock_idp::SigningKey;
use mock_idp::{ClientConfig, MockIdp, UserConfig, UserStatus};
use serde_json::Value;

use crate::support::{claims, header, Env};

fn public(id: &str) -> ClientConfig {
    ClientConfig {
        client_id: id.into(),
        public: true,
        ..ClientConfig::default()
    }
}

/// Refreshes `token` as the public client `client`, optionally asking for `scope`.
async fn refresh(env: &Env, client: &str, token: &str, scope: Option<&str>) -> (u16, Value) {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", token), ("client_id", client)];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    env.token(&form).await
}

fn rt(body: &Value) -> String {
    body["refresh_token"].as_str().expect("a refresh token was issued").to_owned()
}

fn at(body: &Value) -> String {
    body["access_token"].as_str().expect("an access token was issued").to_owned()
}

/// GETs userinfo with a bearer token; returns the status.
async fn userinfo_status(env: &Env, token: &str) -> u16 {
    let url = env.endpoint("userinfo_endpoint").await;
    env.http.get(url).bearer_auth(token).send().await.unwrap().status().as_u16()
}

/// POSTs to the revocation endpoint as `client` (public: client_id only).
async fn revoke(env: &Env, form: &[(&str, &str)]) -> (u16, String) {
    let url = env.endpoint("revocation_endpoint").await;
    let resp = env.http.post(url).form(form).send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// Introspects `token` as the confidential `ci-runner`; returns `active`.
async fn active(env: &Env, token: &str) -> bool {
    let url = env.endpoint("introspection_endpoint").await;
    let form = [("token", token), ("client_id", "ci-runner"), ("client_secret", "ci-runner-secret")];
    let v: Value = env.http.post(url).form(&form).send().await.unwrap().json().await.unwrap();
    v["active"].as_bool().expect("introspection answers active")
}

#[tokio::test]
async fn p76_refresh_may_narrow_the_scope_and_wider_gets_invalid_scope() {
    let env = Env::start().await;
    let first = env.password_tokens("admin", "admin-pass").await;
    let original = first["scope"].as_str().unwrap().to_owned();
    let (status, body) = refresh(&env, "weaviate", &rt(&first), Some("openid phone")).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_scope")));
    // The refused request did not use the token up.
    let (status, narrowed) = refresh(&env, "weaviate", &rt(&first), Some("email openid")).await;
    assert_eq!(status, 200, "{narrowed}");
    assert_eq!(narrowed["scope"], "openid email");
    assert_eq!(claims(&at(&narrowed))["scope"], "openid email");
    // The rotated token keeps the original grant (RFC 6749 §6), so the full scope is still allowed.
    let (status, full) = refresh(&env, "weaviate", &rt(&narrowed), Some(&original)).await;
    assert_eq!(status, 200, "{full}");
    assert_eq!(full["scope"], original.as_str());
}

#[tokio::test]
async fn p77_refresh_token_of_another_client_is_invalid_grant() {
    let env = Env::with(MockIdp::builder().client(public("other-app")).start().await);
    let first = env.password_tokens("admin", "admin-pass").await;
    let (status, body) = refresh(&env, "other-app", &rt(&first), None).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(refresh(&env, "weaviate", &rt(&first), None).await.0, 200);
}

#[tokio::test]
async fn p78_rotation_gives_a_new_token_and_reuse_revokes_the_whole_family() {
    let env = Env::start().await;
    let first = env.password_tokens("admin", "admin-pass").await;
    let (status, second) = refresh(&env, "weaviate", &rt(&first), None).await;
    assert_eq!(status, 200);
    assert_ne!(rt(&second), rt(&first));
    assert_eq!(userinfo_status(&env, &at(&first)).await, 200);
    assert_eq!(userinfo_status(&env, &at(&second)).await, 200);
    assert!(active(&env, &rt(&second)).await);

    let (status, body) = refresh(&env, "weaviate", &rt(&first), None).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));

    let (status, body) = refresh(&env, "weaviate", &rt(&second), None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "the family is revoked"
    );
    for token in [at(&first), at(&second)] {
        assert_eq!(userinfo_status(&env, &token).await, 401);
        assert!(!active(&env, &token).await);
    }
    assert!(!active(&env, &rt(&second)).await);
    // Another family of the same user is untouched.
    let other = env.password_tokens("admin", "admin-pass").await;
    assert_eq!(refresh(&env, "weaviate", &rt(&other), None).await.0, 200);
}

#[tokio::test]
async fn p78_without_rotation_the_same_refresh_token_keeps_working() {
    let client = ClientConfig {
        rotate_refresh_tokens: false,
        ..public("steady-app")
    };
    let env = Env::with(MockIdp::builder().client(client).start().await);
    let (_, first) = env
        .token(&[
            ("grant_type", "password"),
            ("username", "admin"),
            ("password", "admin-pass"),
            ("client_id", "steady-app"),
        ])
        .await;
    for _ in 0..2 {
        let (status, body) = refresh(&env, "steady-app", &rt(&first), None).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("refresh_token").is_none(), "no new refresh token without rotation: {body}");
    }
}

#[tokio::test]
async fn p79_unknown_or_forged_refresh_token_is_invalid_grant() {
    let env = Env::start().await;
    let real = rt(&env.password_tokens("admin", "admin-pass").await);
    let mut forged = real.clone().into_bytes();
    forged[5] = if forged[5] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    for bogus in ["made-up", forged.as_str(), "eyJhbGciOiJub25lIn0.e30."] {
        let (status, body) = refresh(&env, "weaviate", bogus, None).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{bogus}");
    }
    assert_eq!(refresh(&env, "weaviate", &real, None).await.0, 200);
}

#[tokio::test]
async fn p80_expired_refresh_token_is_invalid_grant_on_the_tenant_clock() {
    let env = Env::start().await;
    let tenant = env.idp.first_tenant();
    tenant.clock().freeze();
    let first = env.password_tokens("admin", "admin-pass").await;
    tenant.clock().advance(86_400.0);
    let (status, body) = refresh(&env, "weaviate", &rt(&first), None).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    tenant.clock().advance(-1.0);
    assert_eq!(
        refresh(&env, "weaviate", &rt(&first), None).await.0,
        200,
        "valid one second earlier"
    );
}

#[tokio::test]
async fn p80_deleted_locked_or_disabled_user_gets_invalid_grant() {
    let env = Env::start().await;
    let tenant = env.idp.first_tenant();
    let first = env.password_tokens("viewer", "viewer-pass").await;
    for status in [UserStatus::Locked, UserStatus::Disabled] {
        tenant.accounts_mut().users.get_mut("viewer").unwrap().config.status = Some(status);
        let (code, body) = refresh(&env, "weaviate", &rt(&first), None).await;
        assert_eq!((code, body["error"].as_str()), (400, Some("invalid_grant")), "{status:?}");
        tenant.accounts_mut().users.get_mut("viewer").unwrap().config.status = None;
    }
    let removed = tenant.accounts_mut().users.remove("viewer").unwrap();
    let (code, body) = refresh(&env, "weaviate", &rt(&first), None).await;
    assert_eq!((code, body["error"].as_str()), (400, Some("invalid_grant")), "deleted");
    tenant.accounts_mut().users.insert("viewer".into(), removed);
    assert_eq!(
        refresh(&env, "weaviate", &rt(&first), None).await.0,
        200,
        "the token was not used up"
    );
}

#[tokio::test]
async fn p81_refreshed_id_token_keeps_identity_and_rereads_the_user() {
    let client = ClientConfig {
        always_azp: true,
        default_scope: "openid profile email groups".into(),
        ..public("azp-app")
    };
    let env = Env::with(MockIdp::builder().client(client).start().await);
    let tenant = env.idp.first_tenant();
    tenant.clock().freeze();
    let (_, first) = env
        .token(&[
            ("grant_type", "password"),
            ("username", "admin"),
            ("password", "admin-pass"),
            ("client_id", "azp-app"),
        ])
        .await;
    let before = claims(first["id_token"].as_str().unwrap());
    tenant.clock().advance(100.0);
    {
        let mut accounts = tenant.accounts_mut();
        let admin = accounts.users.get_mut("admin").unwrap();
        admin.config.groups = vec!["admins".into(), "auditors".into()];
        admin.config.name = Some("Renamed Admin".into());
    }
    let (status, second) = refresh(&env, "azp-app", &rt(&first), None).await;
    assert_eq!(status, 200, "{second}");
    let after = claims(second["id_token"].as_str().expect("openid was granted"));
    for kept in ["iss", "sub", "aud", "azp", "auth_time"] {
        assert!(before.get(kept).is_some(), "{kept} present");
        assert_eq!(after[kept], before[kept], "{kept}");
    }
    assert_eq!(after["iat"], before["iat"].as_i64().unwrap() + 100);
    assert_eq!(after["exp"], before["exp"].as_i64().unwrap() + 100);
    assert_ne!(after["jti"], before["jti"]);
    assert!(after.get("nonce").is_none());
    assert_eq!(after["groups"], serde_json::json!(["admins", "auditors"]));
    assert_eq!(after["name"], "Renamed Admin");
    assert_eq!(claims(&at(&second))["groups"], serde_json::json!(["admins", "auditors"]));
}

#[tokio::test]
async fn p82_refresh_token_only_with_offline_access_or_the_always_option() {
    let client = ClientConfig {
        always_refresh_token: false,
        ..public("offline-app")
    };
    let env = Env::with(MockIdp::builder().client(client).start().await);
    let login = |scope: &'static str| {
        let env = &env;
        async move {
            env.token(&[
                ("grant_type", "password"),
                ("username", "admin"),
                ("password", "admin-pass"),
                ("client_id", "offline-app"),
                ("scope", scope),
            ])
            .await
            .1
        }
    };
    assert!(login("openid email").await.get("refresh_token").is_none());
    assert!(login("openid email offline_access").await["refresh_token"].is_string());
}

#[tokio::test]
async fn p83_refresh_after_key_rotation_verifies_with_the_new_key() {
    let env = Env::start().await;
    let first = env.password_tokens("admin", "admin-pass").await;
    let old_kid = header(first["id_token"].as_str().unwrap())["kid"].as_str().unwrap().to_owned();
    let tenant = env.idp.first_tenant();
    let new_key = SigningKey::from_seed("p83-rotated-key", Alg::RS256);
    let new_kid = new_key.kid().as_str().to_owned();
    {
        let mut ring = tenant.keys_mut();
        ring.add(new_key);
        assert!(ring.activate(&new_kid));
    }
    let (status, second) = refresh(&env, "weaviate", &rt(&first), None).await;
    assert_eq!(status, 200, "{second}");
    let jwks: Value = env
        .http
        .get(env.endpoint("jwks_uri").await)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert!(keys.iter().any(|k| k["kid"] == old_kid.as_str()), "the old key stays published");
    for token in [second["id_token"].as_str().unwrap(), second["access_token"].as_str().unwrap()] {
        assert_eq!(header(token)["kid"], new_kid.as_str());
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(
            keys.iter()
                .find(|k| k["kid"] == new_kid.as_str())
                .expect("the new key is published")
                .clone(),
        )
        .unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_audience(&["weaviate"]);
        validation.set_issuer(&[env.idp.issuer_url()]);
        jsonwebtoken::decode::<Value>(token, &jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap(), &validation)
            .expect("the refreshed token verifies with the new key from the JWKS");
    }
    // The old access token still verifies at userinfo: keys overlap.
    assert_eq!(userinfo_status(&env, &at(&first)).await, 200);
}

#[tokio::test]
async fn p55_concurrent_use_of_one_rotating_refresh_token_has_exactly_one_winner() {
    let env = Env::start().await;
    let token = rt(&env.password_tokens("admin", "admin-pass").await);
    let url = env.endpoint("token_endpoint").await;
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let (http, url, token) = (env.http.clone(), url.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let form = [
                ("grant_type", "refresh_token"),
                ("refresh_token", token.as_str()),
                ("client_id", "weaviate"),
            ];
            let resp = http.post(url).form(&form).send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap())
        }));
    }
    let mut ok = 0;
    let mut invalid_grant = 0;
    for t in tasks {
        match t.await.unwrap() {
            (200, _) => ok += 1,
            (400, body) if body["error"] == "invalid_grant" => invalid_grant += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!((ok, invalid_grant), (1, 99));
}

#[tokio::test]
async fn p116_revoking_a_refresh_token_revokes_its_family_and_derived_access_tokens() {
    let env = Env::start().await;
    let first = env.password_tokens("admin", "admin-pass").await;
    let (_, second) = refresh(&env, "weaviate", &rt(&first), None).await;
    assert_eq!(userinfo_status(&env, &at(&second)).await, 200);
    let (status, body) = revoke(
        &env,
        &[
            ("token", &rt(&second)),
            ("token_type_hint", "refresh_token"),
            ("client_id", "weaviate"),
        ],
    )
    .await;
    assert_eq!((status, body.as_str()), (200, ""));
    assert_eq!(refresh(&env, "weaviate", &rt(&second), None).await.1["error"], "invalid_grant");
    for token in [at(&first), at(&second)] {
        assert_eq!(userinfo_status(&env, &token).await, 401);
        assert!(!active(&env, &token).await);
    }
}

#[tokio::test]
async fn p116_revoking_an_access_token_ends_only_that_token() {
    let env = Env::start().await;
    let tokens = env.password_tokens("admin", "admin-pass").await;
    assert_eq!(userinfo_status(&env, &at(&tokens)).await, 200);
    // A wrong hint is only a hint.
    let (status, body) = revoke(
        &env,
        &[
            ("token", &at(&tokens)),
            ("token_type_hint", "refresh_token"),
            ("client_id", "weaviate"),
        ],
    )
    .await;
    assert_eq!((status, body.as_str()), (200, ""));
    assert_eq!(userinfo_status(&env, &at(&tokens)).await, 401);
    assert_eq!(refresh(&env, "weaviate", &rt(&tokens), None).await.0, 200);
}

#[tokio::test]
async fn p116_unknown_token_and_unknown_hint_get_an_empty_200() {
    let env = Env::start().await;
    for form in [
        vec![("token", "no-such-token"), ("client_id", "weaviate")],
        vec![
            ("token", "no-such-token"),
            ("token_type_hint", "made_up_hint"),
            ("client_id", "weaviate"),
        ],
    ] {
        let (status, body) = revoke(&env, &form).await;
        assert_eq!((status, body.as_str()), (200, ""), "{form:?}");
    }
    let tokens = env.password_tokens("admin", "admin-pass").await;
    let (status, _) = revoke(
        &env,
        &[
            ("token", &rt(&tokens)),
            ("token_type_hint", "made_up_hint"),
            ("client_id", "weaviate"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        refresh(&env, "weaviate", &rt(&tokens), None).await.0,
        400,
        "revoked despite the unknown hint"
    );
}

#[tokio::test]
async fn p116_a_token_of_another_client_is_refused_and_stays_valid() {
    let env = Env::with(MockIdp::builder().client(public("other-app")).start().await);
    let tokens = env.password_tokens("admin", "admin-pass").await;
    for token in [rt(&tokens), at(&tokens)] {
        let (status, body) = revoke(&env, &[("token", &token), ("client_id", "other-app")]).await;
        assert_eq!(status, 400, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert!(v["error"].is_string());
    }
    let (status, _) = revoke(
        &env,
        &[
            ("token", &at(&tokens)),
            ("client_id", "ci-runner"),
            ("client_secret", "ci-runner-secret"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(userinfo_status(&env, &at(&tokens)).await, 200);
    assert_eq!(refresh(&env, "weaviate", &rt(&tokens), None).await.0, 200);
}

#[tokio::test]
async fn p116_revocation_requires_client_authentication() {
    let env = Env::start().await;
    let tokens = env.password_tokens("admin", "admin-pass").await;
    for form in [
        vec![("token", rt(&tokens))],
        vec![("token", rt(&tokens)), ("client_id", "nobody".into())],
    ] {
        let (status, body) = revoke(&env, &form.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["error"], "invalid_client");
    }
    assert_eq!(refresh(&env, "weaviate", &rt(&tokens), None).await.0, 200, "nothing was revoked");
}

#[tokio::test]
async fn p80_lockout_since_the_grant_ends_refresh() {
    let user = UserConfig {
        username: "carol".into(),
        password: "carol-pass".into(),
        ..UserConfig::default()
    };
    let env = Env::with(MockIdp::builder().user(user).configure(|t| t.lockout_after = Some(1)).start().await);
    let tokens = env.password_tokens("carol", "carol-pass").await;
    let (status, _) = env
        .token(&[
            ("grant_type", "password"),
            ("username", "carol"),
            ("password", "wrong"),
            ("client_id", "weaviate"),
        ])
        .await;
    assert_eq!(status, 400);
    assert_eq!(refresh(&env, "weaviate", &rt(&tokens), None).await.1["error"], "invalid_grant");
    assert!(env.idp.first_tenant().accounts_mut().reset_login_failures("carol"));
    assert_eq!(refresh(&env, "weaviate", &rt(&tokens), None).await.0, 200);
}

#[tokio::test]
async fn memory_a_refresh_family_is_kept_while_usable_and_dropped_once_expired() {
    // Arrange: two password grants a day apart on the frozen tenant clock.
    let env = Env::start().await;
    let tenant = env.idp.first_tenant();
    tenant.clock().freeze();
    let first = env.password_tokens("admin", "admin-pass").await;
    let stored = |token: &str| {
        let store = tenant.grants();
        store.refresh.contains_key(&mock_idp::internals::store_key(token))
    };
    let families = || tenant.grants().families.len();
    tenant.clock().advance(86_399.0);
    // Act: a grant one second before the first refresh token expires sweeps the store.
    env.password_tokens("admin", "admin-pass").await;
    // Assert: still usable, so kept.
    assert!(stored(&rt(&first)) && families() == 2);
    // Act: once it has expired (its access and ID tokens long before), the next grant sweeps.
    tenant.clock().advance(1.0);
    env.password_tokens("admin", "admin-pass").await;
    // Assert: gone with its family, and answered like any expired token.
    assert!(!stored(&rt(&first)));
    assert_eq!(families(), 2, "the second and third families are left");
    let (status, body) = refresh(&env, "weaviate", &rt(&first), None).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
}
