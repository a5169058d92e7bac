//! The login page, sessions, prompts and hints, and the login-failure flags (P98-P100, P150,
//! P152), through real HTTP against `MockIdp`.

use mock_idp::{UserConfig, UserStatus};
use reqwest::header::X_FRAME_OPTIONS;

use crate::authorize_support::*;
use crate::support::claims;

#[tokio::test]
async fn p98_login_page_round_trip_sets_a_tenant_session_cookie() {
    let idp = start(builder()).await;
    let page = idp.browse(&params(&[])).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.headers[X_FRAME_OPTIONS], "DENY");
    assert!(!page.body.contains("<script"), "no JavaScript needed");
    let (action, hidden) = hidden_inputs(&page.body);
    assert!(action.ends_with("/default/login"), "{action}");
    assert!(hidden.contains_key("csrf") && hidden.contains_key("authz"));
    assert!(page.body.contains("name=\"username\"") && page.body.contains("type=\"password\""));
    // Wrong password: the page again, with a visible error, and no redirect.
    let wrong = idp
        .submit(&page, &[("username", "admin"), ("password", "nope"), ("action", "login")])
        .await;
    assert_eq!(wrong.status, 200);
    assert!(wrong.location.is_none());
    assert!(wrong.body.contains("Invalid user credentials"), "{}", wrong.body);
    // Right password on the re-shown page: a code and a session cookie.
    let ok = idp
        .submit(&wrong, &[("username", "admin"), ("password", "admin-pass"), ("action", "login")])
        .await;
    let code = ok.param("code").unwrap_or_else(|| panic!("{ok:?}"));
    let session = ok
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("mock_idp_session="))
        .expect("a session cookie");
    assert!(
        session.contains("Path=/default") && session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    let (status, body) = idp.redeem(&code, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(idp.tenant().grants().sessions.len(), 1);
    // With the session: no page, even with prompt=none.
    let again = idp.browse(&params(&[("prompt", "none")])).await;
    assert!(again.param("code").is_some(), "{again:?}");
}

#[tokio::test]
async fn p98_login_post_without_the_csrf_cookie_is_refused() {
    let idp = start(builder()).await;
    let page = idp.browse(&params(&[])).await;
    let (action, mut form) = hidden_inputs(&page.body);
    form.insert("username".into(), "admin".into());
    form.insert("password".into(), "admin-pass".into());
    // Same form from a client without the cookie: refused, shown.
    let forged = Answer::of(idp.env.http.post(&action).form(&form).send().await.expect("answers")).await;
    assert_shown(&forged, "invalid_request");
    let ok = Answer::of(idp.browser.post(&action).form(&form).send().await.expect("answers")).await;
    assert!(ok.param("code").is_some(), "{ok:?}");
}

#[tokio::test]
async fn p98_auto_login_logs_in_without_a_page_and_login_hint_picks_the_user() {
    let idp = auto().await;
    let a = idp.get(&params(&[])).await;
    assert_eq!(a.status, 302);
    let (_, body) = idp.redeem(&a.param("code").expect("code"), &[]).await;
    assert_eq!(claims(body["id_token"].as_str().unwrap_or(""))["preferred_username"], "admin");
    let v = idp.get(&params(&[("login_hint", "viewer")])).await;
    let (_, body) = idp.redeem(&v.param("code").expect("code"), &[]).await;
    assert_eq!(claims(body["id_token"].as_str().unwrap_or(""))["preferred_username"], "viewer");
}

#[tokio::test]
async fn p99_prompt_none_login_and_max_age() {
    let idp = start(builder()).await;
    assert_redirect_error(&idp.browse(&params(&[("prompt", "none")])).await, "login_required");
    assert_redirect_error(&idp.browse(&params(&[("prompt", "none login")])).await, "invalid_request");
    let ok = idp.login(&params(&[]), "admin", "admin-pass").await;
    assert!(ok.param("code").is_some());
    assert!(idp.browse(&params(&[("prompt", "none")])).await.param("code").is_some());
    // prompt=login and max_age=0 show the page although a session exists.
    for forced in [("prompt", "login"), ("max_age", "0")] {
        let page = idp.browse(&params(&[forced])).await;
        assert_eq!(page.status, 200, "{forced:?}: {page:?}");
        assert!(page.body.contains("type=\"password\""));
        // Logging in on that page completes the request (the forced login is this one).
        idp.tenant().clock().advance(5.0);
        let done = idp
            .submit(&page, &[("username", "admin"), ("password", "admin-pass"), ("action", "login")])
            .await;
        let (status, body) = idp
            .redeem(&done.param("code").unwrap_or_else(|| panic!("{forced:?}: {done:?}")), &[])
            .await;
        assert_eq!(status, 200, "{body}");
        let auth_time = claims(body["id_token"].as_str().unwrap_or(""))["auth_time"].as_i64().unwrap_or(0);
        assert!(auth_time >= idp.tenant().clock().now() - 1, "a new login has a new auth_time");
    }
    // A session older than max_age forces a login; a younger one does not, and auth_time is sent.
    idp.tenant().clock().advance(120.0);
    let young = idp.browse(&params(&[("max_age", "3600")])).await;
    let (_, body) = idp.redeem(&young.param("code").expect("code"), &[]).await;
    assert!(claims(body["id_token"].as_str().unwrap_or("")).get("auth_time").is_some());
    let old = idp.browse(&params(&[("max_age", "60")])).await;
    assert_eq!(old.status, 200, "{old:?}");
    assert_redirect_error(
        &idp.browse(&params(&[("max_age", "60"), ("prompt", "none")])).await,
        "login_required",
    );
    assert_redirect_error(&idp.browse(&params(&[("max_age", "soon")])).await, "invalid_request");
}

#[tokio::test]
async fn p100_hints_and_locale_parameters_are_accepted_request_objects_are_not() {
    let idp = start(builder()).await;
    let page = idp.browse(&params(&[("login_hint", "viewer")])).await;
    assert!(page.body.contains("value=\"viewer\""), "login_hint prefills: {}", page.body);
    let auto = auto().await;
    let extra = [
        ("display", "popup"),
        ("ui_locales", "de en"),
        ("claims_locales", "de"),
        ("acr_values", "urn:mace:incommon:iap:silver"),
        ("frobnicate", "yes"),
    ];
    assert!(auto.get(&params(&extra)).await.param("code").is_some());
    assert_redirect_error(
        &auto.get(&params(&[("request", "eyJhbGciOiJub25lIn0.e30.")])).await,
        "request_not_supported",
    );
    assert_redirect_error(
        &auto.get(&params(&[("request_uri", "https://rp.example/r")])).await,
        "request_uri_not_supported",
    );
}

#[tokio::test]
async fn p100_id_token_hint_must_be_this_issuers_even_expired() {
    let idp = auto().await;
    let a = idp.get(&params(&[("response_type", "id_token"), ("nonce", "n")])).await;
    let hint = a.param("id_token").expect("id_token");
    idp.tenant().clock().advance(100_000.0);
    assert!(
        idp.get(&params(&[("id_token_hint", &hint)])).await.param("code").is_some(),
        "expired hint accepted"
    );
    let mut forged = hint.clone();
    forged.truncate(hint.len() - 4);
    forged.push_str("AAAA");
    assert_redirect_error(&idp.get(&params(&[("id_token_hint", &forged)])).await, "invalid_request");
    let other = start(auto_builder().configure(|t| t.key_seed = Some("another".into()))).await;
    let foreign = other
        .get(&params(&[("response_type", "id_token"), ("nonce", "n")]))
        .await
        .param("id_token")
        .expect("id_token");
    assert_redirect_error(&idp.get(&params(&[("id_token_hint", &foreign)])).await, "invalid_request");
}

#[tokio::test]
async fn p100_a_session_of_another_user_than_the_id_token_hint_does_not_count() {
    let idp = start(builder()).await;
    let implicit = params(&[("response_type", "id_token"), ("nonce", "n")]);
    let viewer_hint = idp
        .login(&implicit, "viewer", "viewer-pass")
        .await
        .param("id_token")
        .expect("id_token");
    // A new browser, logged in as admin.
    let admin = Idp { browser: browser(), ..idp };
    let admin_hint = admin
        .login(&implicit, "admin", "admin-pass")
        .await
        .param("id_token")
        .expect("id_token");
    let none = |hint: &str| params(&[("prompt", "none"), ("id_token_hint", hint)]);
    assert_redirect_error(&admin.browse(&none(&viewer_hint)).await, "login_required");
    assert!(admin.browse(&none(&admin_hint)).await.param("code").is_some());
}

fn user(name: &str, status: Option<UserStatus>) -> UserConfig {
    UserConfig {
        username: name.into(),
        password: format!("{name}-pass").into(),
        status,
        otp: Some("123456".into()),
        ..UserConfig::default()
    }
}

#[tokio::test]
async fn p152_flagged_logins_show_the_page_again_until_cancel() {
    let idp = start(
        builder()
            .user(user("locked", Some(UserStatus::Locked)))
            .user(user("disabled", Some(UserStatus::Disabled)))
            .user(user("expired", Some(UserStatus::PasswordExpired))),
    )
    .await;
    for (name, text) in [
        ("locked", "Account is locked"),
        ("disabled", "Account is disabled"),
        ("expired", "Password has expired"),
    ] {
        let a = idp.login(&params(&[]), name, &format!("{name}-pass")).await;
        assert_eq!(a.status, 200, "{name}: {a:?}");
        assert!(a.location.is_none());
        assert!(a.body.contains(text), "{name}: {}", a.body);
        let cancelled = idp.submit(&a, &[("action", "cancel")]).await;
        assert_redirect_error(&cancelled, "access_denied");
        assert_eq!(cancelled.param("state").as_deref(), Some("s-123"));
    }
    assert!(idp.login(&params(&[]), "admin", "admin-pass").await.param("code").is_some());
}

#[tokio::test]
async fn p152_mfa_step_accepts_only_the_configured_code() {
    let idp = start(builder().user(user("mfa", Some(UserStatus::MfaRequired)))).await;
    let step = idp.login(&params(&[]), "mfa", "mfa-pass").await;
    assert_eq!(step.status, 200);
    assert!(step.body.contains("name=\"otp\""), "{}", step.body);
    let wrong = idp.submit(&step, &[("otp", "000000"), ("action", "login")]).await;
    assert_eq!(wrong.status, 200);
    assert!(wrong.body.contains("one-time code is not correct"), "{}", wrong.body);
    let ok = idp.submit(&wrong, &[("otp", "123456"), ("action", "login")]).await;
    let (status, body) = idp.redeem(&ok.param("code").unwrap_or_else(|| panic!("{ok:?}")), &[]).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn p152_consent_denied_redirects_with_access_denied() {
    let idp = start(builder().user(user("refuser", Some(UserStatus::ConsentDenied)))).await;
    assert_redirect_error(&idp.login(&params(&[]), "refuser", "refuser-pass").await, "access_denied");
    assert!(idp.login(&params(&[]), "admin", "admin-pass").await.param("code").is_some());
}

#[tokio::test]
async fn p152_prompt_none_maps_flags_to_interaction_and_login_required() {
    let idp = start(builder().user(user("mfa", Some(UserStatus::MfaRequired)))).await;
    let mfa = idp.browse(&params(&[("prompt", "none"), ("login_hint", "mfa")])).await;
    assert_redirect_error(&mfa, "interaction_required");
    assert!(idp.login(&params(&[]), "admin", "admin-pass").await.param("code").is_some());
    assert!(idp.browse(&params(&[("prompt", "none")])).await.param("code").is_some());
    for status in [UserStatus::Locked, UserStatus::Disabled] {
        set_status(&idp, "admin", Some(status));
        assert_redirect_error(&idp.browse(&params(&[("prompt", "none")])).await, "login_required");
    }
    set_status(&idp, "admin", None);
    assert!(idp.browse(&params(&[("prompt", "none")])).await.param("code").is_some());
}

fn set_status(idp: &Idp, name: &str, status: Option<UserStatus>) {
    let tenant = idp.tenant();
    let mut accounts = tenant.accounts_mut();
    let u = accounts.users.get_mut(name).expect("user exists");
    u.config.status = status;
}

// ---------------------------------------------------------------- P64-P68, P55

#[tokio::test]
async fn p150_login_page_applies_fail_next_and_lockout_like_the_password_grant() {
    let mut flaky = user("flaky", None);
    flaky.fail_next = Some(1);
    let idp = start(builder().user(flaky).configure(|t| t.lockout_after = Some(2))).await;
    // prompt=login shows the page even when an earlier login left a session cookie.
    let force = params(&[("prompt", "login")]);
    // fail_next: the first correct login fails with its own text, the next one works.
    let first = idp.login(&force, "flaky", "flaky-pass").await;
    assert_eq!(first.status, 200, "{first:?}");
    assert!(
        first.location.is_none() && !first.body.contains("Invalid user credentials"),
        "{}",
        first.body
    );
    assert!(idp.login(&force, "flaky", "flaky-pass").await.param("code").is_some());
    // Lockout: two wrong passwords, then even the right one is refused on the page.
    for _ in 0..2 {
        assert!(idp.login(&force, "viewer", "wrong").await.body.contains("Invalid user credentials"));
    }
    let locked = idp.login(&force, "viewer", "viewer-pass").await;
    assert!(locked.location.is_none(), "a locked-out user must not be redirected: {locked:?}");
    assert!(idp.login(&force, "admin", "admin-pass").await.param("code").is_some());
}
