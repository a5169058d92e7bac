//! Clients, users and claim rules that span flows (P38-P43, P103, P104, P158).

use std::collections::BTreeMap;
use std::path::Path;

use mock_idp::config::{AudienceForm, AuthMethod, LifetimeOverrides};
use mock_idp::RotateKeys;
use mock_idp::{Alg, ClientConfig, Config, GrantType, MockIdp, UserConfig};

use serde_json::json;

use crate::support::{claims, header, Env};

#[tokio::test]
async fn p38_every_client_setting_takes_effect() {
    // Arrange: one client with every registry setting away from its default.
    let client = ClientConfig {
        client_id: "svc".into(),
        secrets: vec!["one".into(), "two".into()],
        auth_method: Some(AuthMethod::ClientSecretPost),
        grant_types: vec![GrantType::ClientCredentials],
        default_scope: "openid reports".into(),
        allowed_scopes: vec!["openid".into(), "reports".into()],
        audience: vec!["api-a".into(), "api-b".into()],
        audience_form: AudienceForm::Array,
        lifetimes: LifetimeOverrides {
            access_token_s: Some(120),
            ..LifetimeOverrides::default()
        },
        alg: Some(Alg::ES256),
        claims: BTreeMap::from([("email".to_string(), json!("svc@example.com"))]),
        ..ClientConfig::default()
    };
    let env = Env::with(
        MockIdp::builder()
            .client(client)
            .configure(|t| t.scopes.push("reports".into()))
            .start()
            .await,
    );
    // Act
    let (status, body) = env
        .token(&[("grant_type", "client_credentials"), ("client_id", "svc"), ("client_secret", "two")])
        .await;
    // Assert: second secret, default scope, audience, lifetime, algorithm and claims all apply.
    assert_eq!(status, 200, "{body}");
    let at = body["access_token"].as_str().unwrap();
    let c = claims(at);
    assert_eq!(body["scope"], "openid reports");
    assert_eq!(c["aud"], json!(["api-a", "api-b"]));
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 120);
    assert_eq!(header(at)["alg"], "ES256");
    assert_eq!(c["email"], "svc@example.com");
    // The registered method is the only one: Basic is refused, another grant is refused.
    let basic = env
        .http
        .post(env.endpoint("token_endpoint").await)
        .basic_auth("svc", Some("one"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401);
    let (status, body) = env
        .token(&[
            ("grant_type", "password"),
            ("username", "admin"),
            ("password", "admin-pass"),
            ("client_id", "svc"),
            ("client_secret", "one"),
        ])
        .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("unauthorized_client")));
    // A scope outside the allowed list is refused.
    let (status, body) = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "svc"),
            ("client_secret", "one"),
            ("scope", "openid email"),
        ])
        .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_scope")));
}

#[tokio::test]
async fn p39_strict_by_default_permissive_on_request_but_presets_still_fail() {
    let strict = Env::start().await;
    let (status, body) = strict
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "nobody"),
            ("client_secret", "x"),
        ])
        .await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
    let (status, _) = strict
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "ci-runner"),
            ("client_secret", "wrong"),
        ])
        .await;
    assert_eq!(status, 401);

    let loose = Env::with(
        MockIdp::builder()
            .user(UserConfig {
                username: "locked".into(),
                password: "pw".into(),
                status: Some(mock_idp::UserStatus::Locked),
                ..Default::default()
            })
            .configure(|t| t.permissive = true)
            .start()
            .await,
    );
    let (status, body) = loose
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "nobody"),
            ("client_secret", "x"),
        ])
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(claims(body["access_token"].as_str().unwrap())["sub"], "nobody");
    let (status, _) = loose
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "ci-runner"),
            ("client_secret", "wrong"),
        ])
        .await;
    assert_eq!(status, 200);
    // P150 presets keep failing in permissive mode.
    let (status, body) = loose
        .token(&[
            ("grant_type", "password"),
            ("username", "locked"),
            ("password", "pw"),
            ("client_id", "anything"),
        ])
        .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
}

#[tokio::test]
async fn p41_user_settings_reach_the_tokens() {
    let user = UserConfig {
        username: "carol".into(),
        password: "carol-pw".into(),
        sub: Some("user-0042".into()),
        email: Some("carol@example.com".into()),
        email_verified: Some(true),
        name: Some("Carol Example".into()),
        given_name: Some("Carol".into()),
        family_name: Some("Example".into()),
        groups: vec!["g1".into(), "g2".into()],
        claims: BTreeMap::from([("department".to_string(), json!({"id": 7}))]),
        ..UserConfig::default()
    };
    let env = Env::with(MockIdp::builder().user(user).start().await);
    let body = env.password_tokens("carol", "carol-pw").await;
    let id = claims(body["id_token"].as_str().unwrap());
    assert_eq!(id["sub"], "user-0042");
    assert_eq!(id["email"], "carol@example.com");
    assert_eq!(id["email_verified"], true);
    assert_eq!(id["name"], "Carol Example");
    assert_eq!(id["given_name"], "Carol");
    assert_eq!(id["family_name"], "Example");
    assert_eq!(id["groups"], json!(["g1", "g2"]));
    assert_eq!(id["department"], json!({"id": 7}));
    let at = claims(body["access_token"].as_str().unwrap());
    assert_eq!(at["sub"], "user-0042");
    assert_eq!(at["department"], json!({"id": 7}));
    // The password really is checked.
    let (status, _) = env
        .token(&[
            ("grant_type", "password"),
            ("username", "carol"),
            ("password", "nope"),
            ("client_id", "weaviate"),
        ])
        .await;
    assert_eq!(status, 400);
}

#[test]
fn p43_standard_claims_with_the_wrong_json_type_are_refused() {
    let base = "[[tenant]]\nname = \"t\"\n[[tenant.user]]\nusername = \"u\"\npassword = \"p\"\n[tenant.user.claims]\n";
    for bad in [
        "email_verified = \"yes\"",
        "phone_number_verified = 1",
        "updated_at = \"2024\"",
        "address = \"Main St\"",
    ] {
        let err = Config::from_toml(&format!("{base}{bad}\n"), Path::new("users.toml"))
            .expect_err(bad)
            .to_string();
        assert!(err.contains("users.toml") && err.contains("P43"), "{bad}: {err}");
    }
    for good in [
        "email_verified = true",
        "phone_number_verified = false",
        "updated_at = 1700000000",
        "address = { street_address = \"Main St\" }",
    ] {
        Config::from_toml(&format!("{base}{good}\n"), Path::new("users.toml")).unwrap_or_else(|e| panic!("{good}: {e}"));
    }
}

#[tokio::test]
async fn p103_nonce_and_hashes_only_where_they_belong() {
    // Password grant: an access token is issued with the ID token, so at_hash; no nonce, no c_hash.
    let env = Env::start().await;
    let body = env.password_tokens("admin", "admin-pass").await;
    let id = claims(body["id_token"].as_str().unwrap());
    assert!(id.get("nonce").is_none(), "{id}");
    assert!(id.get("c_hash").is_none(), "{id}");
    let at_hash = id["at_hash"].as_str().expect("at_hash present");
    // Independent computation: left half of SHA-256 of the access token, base64url.
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(body["access_token"].as_str().unwrap().as_bytes());
    assert_eq!(at_hash, base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16]));
}

#[tokio::test]
async fn p104_scope_claims_follow_the_granted_scopes() {
    let env = Env::start().await;
    let ask = |scope: &'static str| {
        let env = &env;
        async move {
            let (status, body) = env
                .token(&[
                    ("grant_type", "password"),
                    ("username", "admin"),
                    ("password", "admin-pass"),
                    ("client_id", "weaviate"),
                    ("scope", scope),
                ])
                .await;
            assert_eq!(status, 200, "{body}");
            claims(body["id_token"].as_str().unwrap())
        }
    };
    let with_profile = ask("openid profile").await;
    assert_eq!(with_profile["name"], "Admin User");
    assert!(
        with_profile.get("email_verified").is_none(),
        "email scope not granted: {with_profile}"
    );
    let with_email = ask("openid email").await;
    assert_eq!(with_email["email_verified"], true);
    assert!(with_email.get("name").is_none(), "profile scope not granted: {with_email}");
}

#[tokio::test]
async fn p158_rotation_under_concurrent_issuance_never_signs_with_an_unpublished_key() {
    // Arrange: many token requests in flight while the keys rotate several times.
    let env = Env::start().await;
    let token_url = env.endpoint("token_endpoint").await;
    let jwks_url = env.endpoint("jwks_uri").await;
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let (http, url) = (env.http.clone(), token_url.clone());
        requests.spawn(async move {
            let form = [
                ("grant_type", "client_credentials"),
                ("client_id", "ci-runner"),
                ("client_secret", "ci-runner-secret"),
            ];
            let resp = http.post(url).form(&form).send().await.expect("token endpoint answers");
            (resp.status().as_u16(), resp.json::<serde_json::Value>().await.expect("JSON body"))
        });
    }
    for _ in 0..3 {
        env.idp
            .rotate_keys(RotateKeys {
                alg: Some(Alg::ES256),
                ..RotateKeys::default()
            })
            .expect("rotation succeeds");
        tokio::task::yield_now().await;
    }
    // Assert: every token's kid is published (the overlap keeps the old keys).
    let mut answers = Vec::new();
    while let Some(done) = requests.join_next().await {
        answers.push(done.expect("request task completes"));
    }
    let jwks: serde_json::Value = env.http.get(&jwks_url).send().await.unwrap().json().await.unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(answers.len(), 40);
    for (status, body) in answers {
        assert_eq!(status, 200, "{body}");
        let kid = header(body["access_token"].as_str().unwrap())["kid"].as_str().unwrap().to_owned();
        assert!(kids.contains(&kid.as_str()), "{kid} not in {kids:?}");
    }
}

/// Status, `WWW-Authenticate` and body of a token request with `form` and an optional Basic
/// header, and how many credential digests the tenant computed for it.
async fn probe(env: &Env, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> ((u16, Option<String>, serde_json::Value), u64) {
    let tenant = env.idp.first_tenant();
    let digests = || tenant.accounts().digest_count();
    let before = digests();
    let mut req = env.http.post(env.endpoint("token_endpoint").await).form(form);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    let resp = req.send().await.expect("token endpoint answers");
    let status = resp.status().as_u16();
    let challenge = resp.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned());
    let body = resp.json().await.unwrap_or(serde_json::Value::Null);
    ((status, challenge, body), digests() - before)
}

#[tokio::test]
async fn p53_p58_unknown_client_ids_and_users_answer_and_cost_like_wrong_secrets_for_every_persona() {
    let personas = std::iter::once(None).chain(mock_idp::Persona::ALL.iter().copied().map(Some));
    for persona in personas {
        // Arrange
        let env = Env::with(MockIdp::builder().configure(|t| t.persona = persona).start().await);
        let cc =
            |id: &'static str, secret: &'static str| [("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret)];
        let cc_basic = [("grant_type", "client_credentials")];
        let no_secret = |id: &'static str| [("grant_type", "client_credentials"), ("client_id", id)];
        // Act: the same mistake with a registered and an unregistered client id.
        let (wrong_post, wrong_post_cost) = probe(&env, &cc("ci-runner", "guess"), None).await;
        let (unknown_post, unknown_post_cost) = probe(&env, &cc("nobody", "guess"), None).await;
        let (wrong_basic, wrong_basic_cost) = probe(&env, &cc_basic, Some(("ci-runner", "guess"))).await;
        let (unknown_basic, unknown_basic_cost) = probe(&env, &cc_basic, Some(("nobody", "guess"))).await;
        let (missing_known, _) = probe(&env, &no_secret("ci-runner"), None).await;
        let (missing_unknown, _) = probe(&env, &no_secret("nobody"), None).await;
        // Assert: one status, challenge, error and description for each pair.
        assert_eq!(wrong_post.0, 401, "{persona:?}: {wrong_post:?}");
        assert_eq!(wrong_post.2["error"], "invalid_client");
        assert_eq!(wrong_post, unknown_post, "{persona:?}: client_secret_post");
        assert_eq!(wrong_basic, unknown_basic, "{persona:?}: client_secret_basic");
        assert!(wrong_basic.1.as_deref().unwrap().starts_with("Basic "), "{wrong_basic:?}");
        assert_eq!(missing_known, missing_unknown, "{persona:?}: no secret");
        assert_eq!(wrong_post.2, missing_known.2, "{persona:?}: one description for every failure");
        // And one digest each, for the registered and the unregistered id alike.
        assert_eq!((wrong_post_cost, unknown_post_cost), (1, 1), "{persona:?}");
        assert_eq!((wrong_basic_cost, unknown_basic_cost), (1, 1), "{persona:?}");
        // Users: an unknown user costs one digest, as a wrong password does (P58).
        let pw = |user: &'static str, password: &'static str| {
            [
                ("grant_type", "password"),
                ("username", user),
                ("password", password),
                ("client_id", "weaviate"),
            ]
        };
        let (wrong_pw, wrong_pw_cost) = probe(&env, &pw("admin", "guess"), None).await;
        let (unknown_user, unknown_user_cost) = probe(&env, &pw("nobody", "guess"), None).await;
        assert_eq!(wrong_pw.0, 400, "{persona:?}: {wrong_pw:?}");
        assert_eq!(wrong_pw, unknown_user, "{persona:?}: P58");
        assert_eq!((wrong_pw_cost, unknown_user_cost), (1, 1), "{persona:?}");
        // The same requests succeed with the right secret and password, at the same cost.
        let (ok, ok_cost) = probe(&env, &cc("ci-runner", "ci-runner-secret"), None).await;
        assert_eq!((ok.0, ok_cost), (200, 1), "{persona:?}: {ok:?}");
        let (ok, ok_cost) = probe(&env, &pw("admin", "admin-pass"), None).await;
        assert_eq!((ok.0, ok_cost), (200, 1), "{persona:?}: {ok:?}");
    }
}
