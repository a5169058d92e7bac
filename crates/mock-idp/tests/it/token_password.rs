//! Password grant (P56-P59) and its login-failure presets: status flags, fail-next and lockout
//! (P150-P151).

use std::collections::HashSet;

use mock_idp::{ClientConfig, GrantType, MockIdp, UserConfig, UserStatus};
use serde_json::Value;

use crate::support::{claims, Env};
use crate::token_support::{admin_password, confidential};

fn flagged(name: &str, status: Option<UserStatus>) -> UserConfig {
    UserConfig {
        username: name.into(),
        password: format!("{name}-pass").into(),
        status,
        ..UserConfig::default()
    }
}

async fn login(env: &Env, user: &str, password: &str) -> (u16, Value) {
    env.token(&[
        ("grant_type", "password"),
        ("username", user),
        ("password", password),
        ("client_id", "weaviate"),
    ])
    .await
}

#[tokio::test]
async fn p56_password_grant_uses_the_client_default_scope_when_none_is_asked() {
    let env = Env::start().await;
    let body = env.password_tokens("admin", "admin-pass").await;
    assert_eq!(body["scope"], "openid profile email offline_access groups");
    let mut pairs = admin_password();
    pairs.push(("scope", "openid email"));
    let (status, body) = env.token(&pairs).await;
    assert_eq!(status, 200);
    assert_eq!(body["scope"], "openid email");
    assert_eq!(claims(body["access_token"].as_str().unwrap())["scope"], "openid email");
}

#[tokio::test]
async fn p57_password_id_token_has_no_nonce_and_the_auth_time_of_the_request() {
    let env = Env::start().await;
    let tenant = env.idp.first_tenant();
    tenant.clock().freeze();
    tenant.clock().advance(1000.0);
    let now = tenant.clock().now();
    let body = env.password_tokens("admin", "admin-pass").await;
    let id = claims(body["id_token"].as_str().unwrap());
    assert_eq!(id["auth_time"], now);
    assert_eq!(id["iat"], now);
    assert!(id.get("nonce").is_none());
    assert!(body["access_token"].is_string());
    // Without openid there is no ID token.
    let mut pairs = admin_password();
    pairs.push(("scope", "profile email"));
    let (status, body) = env.token(&pairs).await;
    assert_eq!(status, 200);
    assert!(body.get("id_token").is_none(), "{body}");
}

#[tokio::test]
async fn p58_unknown_user_and_wrong_password_get_the_same_invalid_grant() {
    let env = Env::start().await;
    let try_login = |user: &'static str, pw: &'static str| {
        let env = &env;
        async move {
            env.token(&[
                ("grant_type", "password"),
                ("username", user),
                ("password", pw),
                ("client_id", "weaviate"),
            ])
            .await
        }
    };
    let (s1, wrong_pw) = try_login("admin", "not-the-password").await;
    let (s2, unknown) = try_login("nobody-here", "not-the-password").await;
    assert_eq!((s1, s2), (400, 400));
    assert_eq!(wrong_pw["error"], "invalid_grant");
    assert_eq!(wrong_pw, unknown, "the answers must not reveal which usernames exist");
    assert_eq!(try_login("admin", "admin-pass").await.0, 200);
}

#[tokio::test]
async fn p59_password_grant_not_allowed_for_the_client_is_unauthorized_client() {
    let env = Env::with(
        MockIdp::builder()
            .client(ClientConfig {
                grant_types: vec![GrantType::Password],
                ..confidential("pw-app", "pw-secret")
            })
            .start()
            .await,
    );
    let user = [("grant_type", "password"), ("username", "admin"), ("password", "admin-pass")];
    let (status, body) = env
        .token(&[&user[..], &[("client_id", "ci-runner"), ("client_secret", "ci-runner-secret")]].concat())
        .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("unauthorized_client")));
    let (status, body) = env
        .token(&[&user[..], &[("client_id", "pw-app"), ("client_secret", "pw-secret")]].concat())
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn p59_password_grant_disabled_for_the_tenant_is_unsupported_grant_type() {
    let off = Env::with(
        MockIdp::builder()
            .configure(|t| t.grant_types.retain(|g| *g != GrantType::Password))
            .start()
            .await,
    );
    let (status, body) = off.token(&admin_password()).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("unsupported_grant_type")));
    assert!(!off.discovery().await["grant_types_supported"]
        .as_array()
        .unwrap()
        .contains(&Value::from("password")));
    let on = Env::start().await;
    assert_eq!(on.token(&admin_password()).await.0, 200);
}

#[tokio::test]
async fn p150_p151_every_status_flag_gives_invalid_grant_with_a_distinct_description() {
    let flags = [
        ("locked", UserStatus::Locked),
        ("disabled", UserStatus::Disabled),
        ("mfa", UserStatus::MfaRequired),
        ("expired", UserStatus::PasswordExpired),
        ("consent", UserStatus::ConsentDenied),
        ("wrongpw", UserStatus::WrongPassword),
    ];
    let mut builder = MockIdp::builder();
    for (name, status) in flags {
        builder = builder.user(flagged(name, Some(status)));
    }
    let env = Env::with(builder.start().await);
    let (_, bad_credentials) = login(&env, "admin", "nope").await;
    let mut descriptions = HashSet::new();
    for (name, status) in flags {
        let (code, body) = login(&env, name, &format!("{name}-pass")).await;
        assert_eq!((code, body["error"].as_str()), (400, Some("invalid_grant")), "{name}");
        let d = body["error_description"].as_str().unwrap().to_owned();
        assert!(descriptions.insert(d.clone()), "{name}: description {d:?} is not distinct");
        if status == UserStatus::WrongPassword {
            assert_eq!(body, bad_credentials, "wrong_password looks exactly like a wrong password");
        }
    }
    // Clearing a flag makes the same login work.
    let tenant = env.idp.first_tenant();
    tenant.accounts_mut().users.get_mut("locked").unwrap().config.status = None;
    assert_eq!(login(&env, "locked", "locked-pass").await.0, 200);
}

#[tokio::test]
async fn p150_fail_next_fails_the_next_n_logins_then_logins_work_again() {
    let user = UserConfig {
        fail_next: Some(2),
        ..flagged("flaky", None)
    };
    let env = Env::with(MockIdp::builder().user(user).start().await);
    for i in 0..2 {
        let (status, body) = login(&env, "flaky", "flaky-pass").await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "attempt {i}");
        assert_eq!(body["error_description"], mock_idp::internals::FAIL_NEXT);
    }
    assert_eq!(login(&env, "flaky", "flaky-pass").await.0, 200);
    assert_eq!(login(&env, "flaky", "flaky-pass").await.0, 200);
    // Re-armed from Rust.
    let tenant = env.idp.first_tenant();
    assert!(tenant.accounts_mut().set_fail_next("flaky", 1));
    assert_eq!(login(&env, "flaky", "flaky-pass").await.0, 400);
    assert_eq!(login(&env, "flaky", "flaky-pass").await.0, 200);
}

#[tokio::test]
async fn p150_lockout_after_n_wrong_passwords_until_reset() {
    let env = Env::with(MockIdp::builder().configure(|t| t.lockout_after = Some(3)).start().await);
    // Two wrong passwords, then the right one: the count starts again.
    for _ in 0..2 {
        assert_eq!(login(&env, "viewer", "wrong").await.0, 400);
    }
    assert_eq!(login(&env, "viewer", "viewer-pass").await.0, 200);
    for _ in 0..3 {
        let (_, body) = login(&env, "viewer", "wrong").await;
        assert_eq!(body["error_description"], mock_idp::internals::BAD_CREDENTIALS);
    }
    let (status, body) = login(&env, "viewer", "viewer-pass").await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(body["error_description"], mock_idp::internals::LOCKED_OUT);
    // Other users are not affected; a reset unlocks.
    assert_eq!(login(&env, "admin", "admin-pass").await.0, 200);
    let tenant = env.idp.first_tenant();
    assert!(tenant.accounts_mut().reset_login_failures("viewer"));
    assert_eq!(login(&env, "viewer", "viewer-pass").await.0, 200);
}
