//! Token endpoint: common rules (P44-P55), password (P56-P59), client credentials (P60-P63),
//! lifetimes (P109) and the login-failure presets of the password grant (P150-P151).

use std::collections::HashSet;

use base64::Engine;
use mock_idp::config::{AuthMethod, LifetimeOverrides};
use mock_idp::{ClientConfig, GrantType, MockIdp, TenantConfig, UserConfig, UserStatus};
use serde_json::Value;

use crate::support::{claims, Env};

const FORM: &str = "application/x-www-form-urlencoded";

/// Form-encodes pairs (RFC 6749 Appendix B).
fn enc(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// An HTTP Basic header value for a client, encoded as RFC 6749 §2.3.1 asks.
fn basic(id: &str, secret: &str) -> String {
    let e = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let raw = format!("{}:{}", e(id), e(secret));
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw))
}

/// POSTs a raw body to `url`.
async fn post(env: &Env, url: &str, content_type: Option<&str>, body: String, auth: Option<&str>) -> reqwest::Response {
    let mut req = env.http.post(url).body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    req.send().await.expect("the token endpoint answers")
}

/// POSTs a form to the token endpoint, optionally with a Basic header; status and JSON body.
async fn token_with(env: &Env, pairs: &[(&str, &str)], auth: Option<&str>) -> (u16, Value) {
    let url = env.endpoint("token_endpoint").await;
    let resp = post(env, &url, Some(FORM), enc(pairs), auth).await;
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn admin_password() -> Vec<(&'static str, &'static str)> {
    vec![
        ("grant_type", "password"),
        ("username", "admin"),
        ("password", "admin-pass"),
        ("client_id", "weaviate"),
    ]
}

fn ci_credentials() -> Vec<(&'static str, &'static str)> {
    vec![
        ("grant_type", "client_credentials"),
        ("client_id", "ci-runner"),
        ("client_secret", "ci-runner-secret"),
    ]
}

fn confidential(id: &str, secret: &str) -> ClientConfig {
    ClientConfig {
        client_id: id.into(),
        secrets: vec![secret.into()],
        ..ClientConfig::default()
    }
}

fn public(id: &str) -> ClientConfig {
    ClientConfig {
        client_id: id.into(),
        public: true,
        ..ClientConfig::default()
    }
}

/// RFC 6749 §5.2: `%x20-21 / %x23-5B / %x5D-7E`.
fn in_error_charset(s: &str) -> bool {
    s.chars().all(|c| matches!(c, '\x20'..='\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E'))
}

#[tokio::test]
async fn p44_token_endpoint_answers_other_methods_with_405_and_allow_post() {
    let env = Env::start().await;
    let url = env.endpoint("token_endpoint").await;
    for method in [
        reqwest::Method::GET,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
        reqwest::Method::PATCH,
    ] {
        let resp = env.http.request(method.clone(), &url).send().await.unwrap();
        assert_eq!(resp.status(), 405, "{method}");
        let allow = resp
            .headers()
            .get("allow")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        assert!(allow.split(',').any(|m| m.trim() == "POST"), "{method}: Allow is {allow:?}");
    }
    let (status, _) = env.token(&admin_password()).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn p45_form_content_type_with_charset_is_accepted_and_others_are_invalid_request() {
    let env = Env::start().await;
    let url = env.endpoint("token_endpoint").await;
    let body = enc(&admin_password());
    for ct in [
        FORM,
        "application/x-www-form-urlencoded; charset=UTF-8",
        "Application/X-WWW-Form-Urlencoded;charset=utf-8",
    ] {
        let resp = post(&env, &url, Some(ct), body.clone(), None).await;
        assert_eq!(resp.status(), 200, "{ct}");
    }
    let json = serde_json::to_string(
        &serde_json::json!({"grant_type": "password", "username": "admin", "password": "admin-pass", "client_id": "weaviate"}),
    )
    .unwrap();
    for (ct, body) in [
        (Some("application/json"), json),
        (Some("text/plain"), body.clone()),
        (None, body.clone()),
    ] {
        let resp = post(&env, &url, ct, body, None).await;
        assert_eq!(resp.status(), 400, "{ct:?}");
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["error"], "invalid_request", "{ct:?}");
    }
}

#[tokio::test]
async fn p45_bodies_over_64_kib_are_refused() {
    let env = Env::start().await;
    let url = env.endpoint("token_endpoint").await;
    // Unknown parameters are ignored (P46), so padding in 4 KiB parameters stays under the
    // 8 KiB per-value limit (P157) and only the total size matters.
    let with_padding = |total: usize| {
        let mut body = enc(&admin_password());
        let mut i = 0;
        while body.len() + 4100 < total {
            body.push_str(&format!("&pad{i}={}", "x".repeat(4000)));
            i += 1;
        }
        body.push_str(&format!("&last={}", "y".repeat(total - body.len() - 6)));
        assert_eq!(body.len(), total);
        body
    };
    let resp = post(&env, &url, Some(FORM), with_padding(64 * 1024 + 1), None).await;
    let status = resp.status().as_u16();
    assert!(status == 413 || status == 400, "status {status}");
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"], "invalid_request");
    let resp = post(&env, &url, Some(FORM), with_padding(64 * 1024), None).await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn p46_repeated_parameter_is_invalid_request() {
    let env = Env::start().await;
    let mut pairs = admin_password();
    pairs.push(("username", "admin"));
    let (status, body) = env.token(&pairs).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")));
    pairs.pop();
    assert_eq!(env.token(&pairs).await.0, 200);
}

#[tokio::test]
async fn p46_empty_parameter_counts_as_absent_and_unknown_ones_are_ignored() {
    let env = Env::start().await;
    let mut pairs = admin_password();
    pairs.push(("scope", ""));
    pairs.push(("x-unknown", "whatever"));
    let (status, body) = env.token(&pairs).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["scope"], "openid profile email offline_access groups",
        "empty scope means the default"
    );
    let (status, body) = env
        .token(&[
            ("grant_type", "password"),
            ("username", "admin"),
            ("password", ""),
            ("client_id", "weaviate"),
        ])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request")),
        "empty password is a missing one"
    );
}

#[tokio::test]
async fn p47_client_secret_basic_round_trips_special_characters() {
    let id = "svc:a%b+c d-\u{e9}";
    let secret = "s:e%c+r t-\u{fc}\u{4e16}";
    let idp = MockIdp::builder().client(confidential(id, secret)).start().await;
    let env = Env::with(idp);
    let (status, body) = token_with(&env, &[("grant_type", "client_credentials")], Some(&basic(id, secret))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(claims(body["access_token"].as_str().unwrap())["client_id"], id);
    // The same client with client_secret_post, and a near-miss secret that must fail.
    let (status, _) = env
        .token(&[("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret)])
        .await;
    assert_eq!(status, 200);
    let (status, body) = token_with(&env, &[("grant_type", "client_credentials")], Some(&basic(id, "s:e%c+r t-u"))).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
}

#[tokio::test]
async fn p47_undecodable_basic_credentials_are_invalid_request() {
    let env = Env::start().await;
    for bad in ["Basic !!!not-base64!!!", "Basic Y2ktcnVubmVy"] {
        let (status, body) = token_with(&env, &[("grant_type", "client_credentials")], Some(bad)).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")), "{bad}");
    }
    let (status, _) = token_with(
        &env,
        &[("grant_type", "client_credentials")],
        Some(&basic("ci-runner", "ci-runner-secret")),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn p48_client_secret_post_authenticates() {
    let env = Env::start().await;
    let (status, body) = env.token(&ci_credentials()).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "ci-runner"),
            ("client_secret", "wrong"),
        ])
        .await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
}

#[tokio::test]
async fn p49_only_public_clients_may_send_client_id_alone() {
    let env = Env::start().await;
    assert_eq!(env.token(&admin_password()).await.0, 200);
    let (status, body) = env.token(&[("grant_type", "client_credentials"), ("client_id", "ci-runner")]).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
}

#[tokio::test]
async fn p50_basic_and_body_secret_together_are_invalid_request() {
    let env = Env::start().await;
    let auth = basic("ci-runner", "ci-runner-secret");
    let (status, body) = token_with(
        &env,
        &[("grant_type", "client_credentials"), ("client_secret", "ci-runner-secret")],
        Some(&auth),
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")));
    // The same body client_id as the Basic one is allowed.
    let (status, _) = token_with(
        &env,
        &[("grant_type", "client_credentials"), ("client_id", "ci-runner")],
        Some(&auth),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn p50_body_client_id_differing_from_basic_is_invalid_request() {
    let env = Env::start().await;
    let auth = basic("ci-runner", "ci-runner-secret");
    let (status, body) = token_with(
        &env,
        &[("grant_type", "client_credentials"), ("client_id", "weaviate")],
        Some(&auth),
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")));
}

#[tokio::test]
async fn p50_method_other_than_registered_is_invalid_client() {
    let client = ClientConfig {
        auth_method: Some(AuthMethod::ClientSecretBasic),
        ..confidential("basic-only", "bo-secret")
    };
    let env = Env::with(MockIdp::builder().client(client).start().await);
    let (status, body) = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "basic-only"),
            ("client_secret", "bo-secret"),
        ])
        .await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
    let (status, _) = token_with(
        &env,
        &[("grant_type", "client_credentials")],
        Some(&basic("basic-only", "bo-secret")),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn p51_success_has_no_store_pragma_and_every_member() {
    let env = Env::start().await;
    let url = env.endpoint("token_endpoint").await;
    let resp = post(&env, &url, Some(FORM), enc(&admin_password()), None).await;
    assert_eq!(resp.status(), 200);
    let h = resp.headers().clone();
    assert!(h["content-type"].to_str().unwrap().starts_with("application/json"));
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["pragma"], "no-cache");
    let body: Value = resp.json().await.unwrap();
    assert!(body["access_token"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(body["token_type"], "Bearer");
    let expires_in = body["expires_in"].as_i64().expect("expires_in is an integer");
    assert!(expires_in > 0 && expires_in < 365 * 86400);
    assert!(body["scope"].is_string());
    assert!(body["refresh_token"].is_string());
    assert!(body["id_token"].is_string());
}

#[tokio::test]
async fn p52_invalid_client_after_basic_gets_401_with_a_basic_challenge() {
    let env = Env::start().await;
    let issuer = env.idp.issuer_url();
    let url = env.endpoint("token_endpoint").await;
    let body = enc(&[("grant_type", "client_credentials")]);
    let resp = post(&env, &url, Some(FORM), body.clone(), Some(&basic("ci-runner", "nope"))).await;
    assert_eq!(resp.status(), 401);
    let challenge = resp.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(challenge.starts_with(&format!("Basic realm=\"{issuer}\"")), "{challenge}");
    assert!(challenge.contains("error=\"invalid_client\""), "{challenge}");
    // Without the header the 401 still carries a challenge (RFC 9110 §15.5.2).
    let resp = post(
        &env,
        &url,
        Some(FORM),
        enc(&[
            ("grant_type", "client_credentials"),
            ("client_id", "nobody"),
            ("client_secret", "x"),
        ]),
        None,
    )
    .await;
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().contains_key("www-authenticate"));
    let resp = post(&env, &url, Some(FORM), body, Some(&basic("ci-runner", "ci-runner-secret"))).await;
    assert_eq!(resp.status(), 200);
}

struct Row {
    name: &'static str,
    url: String,
    content_type: Option<&'static str>,
    body: String,
    auth: Option<String>,
    status: u16,
    error: &'static str,
}

#[tokio::test]
async fn p53_every_failure_maps_to_one_error_code_with_json_and_no_store() {
    // Arrange: clients for the rows, a locked user, a second tenant without the password grant
    // and with strict scopes.
    let mut other = TenantConfig::named("strict");
    other.grant_types.retain(|g| *g != GrantType::Password);
    other.strict_scopes = true;
    other.clients.push(confidential("svc", "svc-secret"));
    let idp = MockIdp::builder()
        .client(ClientConfig {
            auth_method: Some(AuthMethod::ClientSecretBasic),
            ..confidential("basic-only", "bo-secret")
        })
        .client(ClientConfig {
            allowed_scopes: vec!["openid".into()],
            ..public("narrow-app")
        })
        .client(public("other-app"))
        .client(ClientConfig {
            lifetimes: LifetimeOverrides {
                refresh_token_s: Some(1),
                ..LifetimeOverrides::default()
            },
            ..public("short-app")
        })
        .user(UserConfig {
            username: "locked".into(),
            password: "locked-pass".into(),
            status: Some(UserStatus::Locked),
            ..UserConfig::default()
        })
        .tenant(other)
        .start()
        .await;
    let strict_token_url = {
        let t = idp.tenant("strict").unwrap();
        let doc: Value = reqwest::get(t.discovery_url()).await.unwrap().json().await.unwrap();
        doc["token_endpoint"].as_str().unwrap().to_owned()
    };
    let env = Env::with(idp);
    let url = env.endpoint("token_endpoint").await;
    let rt = |v: &Value| v["refresh_token"].as_str().unwrap().to_owned();
    let for_reuse = rt(&env.password_tokens("admin", "admin-pass").await);
    let (status, _) = env
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &for_reuse),
            ("client_id", "weaviate"),
        ])
        .await;
    assert_eq!(status, 200, "the first use of a refresh token works");
    let live = rt(&env.password_tokens("admin", "admin-pass").await);
    let (_, short) = env
        .token(&[
            ("grant_type", "password"),
            ("username", "admin"),
            ("password", "admin-pass"),
            ("client_id", "short-app"),
        ])
        .await;
    let expired = rt(&short);
    env.idp.first_tenant().clock().advance(5.0);

    let f = |pairs: &[(&str, &str)]| enc(pairs);
    let form_row = |name, pairs: &[(&str, &str)], status, error| Row {
        name,
        url: url.clone(),
        content_type: Some(FORM),
        body: f(pairs),
        auth: None,
        status,
        error,
    };
    let pw = |client: &'static str, user: &'static str, password: &'static str| {
        vec![
            ("grant_type", "password"),
            ("username", user),
            ("password", password),
            ("client_id", client),
        ]
    };
    let refresh = |client: &'static str, token: &str| -> String {
        f(&[("grant_type", "refresh_token"), ("refresh_token", token), ("client_id", client)])
    };
    let basic_ci = Some(basic("ci-runner", "ci-runner-secret"));
    let rows = vec![
        // invalid_request
        form_row("missing grant_type", &[("client_id", "weaviate")], 400, "invalid_request"),
        form_row(
            "missing username",
            &[("grant_type", "password"), ("password", "x"), ("client_id", "weaviate")],
            400,
            "invalid_request",
        ),
        Row {
            body: f(&pw("weaviate", "admin", "admin-pass")) + "&username=admin",
            ..form_row("repeated parameter", &[], 400, "invalid_request")
        },
        Row {
            content_type: Some("application/json"),
            body: r#"{"grant_type":"password"}"#.into(),
            ..form_row("wrong content type", &[], 400, "invalid_request")
        },
        Row {
            auth: basic_ci.clone(),
            ..form_row(
                "Basic and client_secret",
                &[("grant_type", "client_credentials"), ("client_secret", "ci-runner-secret")],
                400,
                "invalid_request",
            )
        },
        Row {
            auth: Some("Basic %%%".into()),
            ..form_row("malformed Basic", &[("grant_type", "client_credentials")], 400, "invalid_request")
        },
        Row {
            auth: basic_ci.clone(),
            ..form_row(
                "body client_id differs from Basic",
                &[("grant_type", "client_credentials"), ("client_id", "weaviate")],
                400,
                "invalid_request",
            )
        },
        // invalid_client
        form_row(
            "unknown client",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "nobody"),
                ("client_secret", "x"),
            ],
            401,
            "invalid_client",
        ),
        form_row(
            "wrong secret",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "ci-runner"),
                ("client_secret", "x"),
            ],
            401,
            "invalid_client",
        ),
        Row {
            auth: Some(basic("ci-runner", "x")),
            ..form_row(
                "wrong secret with Basic",
                &[("grant_type", "client_credentials")],
                401,
                "invalid_client",
            )
        },
        form_row(
            "confidential client without a secret",
            &[("grant_type", "client_credentials"), ("client_id", "ci-runner")],
            401,
            "invalid_client",
        ),
        form_row("no client at all", &[("grant_type", "client_credentials")], 401, "invalid_client"),
        form_row(
            "method other than the registered one",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "basic-only"),
                ("client_secret", "bo-secret"),
            ],
            401,
            "invalid_client",
        ),
        // invalid_grant
        Row {
            body: refresh("weaviate", "forged-refresh-token"),
            ..form_row("unknown refresh token", &[], 400, "invalid_grant")
        },
        Row {
            body: refresh("short-app", &expired),
            ..form_row("expired refresh token", &[], 400, "invalid_grant")
        },
        Row {
            body: refresh("other-app", &live),
            ..form_row("refresh token of another client", &[], 400, "invalid_grant")
        },
        Row {
            body: refresh("weaviate", &for_reuse),
            ..form_row("reused refresh token", &[], 400, "invalid_grant")
        },
        form_row("wrong password", &pw("weaviate", "admin", "nope"), 400, "invalid_grant"),
        form_row("unknown user", &pw("weaviate", "ghost", "nope"), 400, "invalid_grant"),
        form_row(
            "login-failure preset",
            &pw("weaviate", "locked", "locked-pass"),
            400,
            "invalid_grant",
        ),
        // unauthorized_client
        form_row(
            "grant not allowed for the client",
            &[
                ("grant_type", "password"),
                ("username", "admin"),
                ("password", "admin-pass"),
                ("client_id", "ci-runner"),
                ("client_secret", "ci-runner-secret"),
            ],
            400,
            "unauthorized_client",
        ),
        // unsupported_grant_type
        form_row(
            "unknown grant_type",
            &[("grant_type", "urn:example:nope"), ("client_id", "weaviate")],
            400,
            "unsupported_grant_type",
        ),
        form_row(
            "implicit at the token endpoint",
            &[("grant_type", "implicit"), ("client_id", "weaviate")],
            400,
            "unsupported_grant_type",
        ),
        Row {
            url: strict_token_url.clone(),
            ..form_row(
                "grant disabled for the tenant",
                &[
                    ("grant_type", "password"),
                    ("username", "a"),
                    ("password", "b"),
                    ("client_id", "svc"),
                    ("client_secret", "svc-secret"),
                ],
                400,
                "unsupported_grant_type",
            )
        },
        // invalid_scope
        Row {
            url: strict_token_url.clone(),
            ..form_row(
                "unknown scope in strict mode",
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", "svc"),
                    ("client_secret", "svc-secret"),
                    ("scope", "openid made-up"),
                ],
                400,
                "invalid_scope",
            )
        },
        form_row(
            "scope not allowed for the client",
            &[
                ("grant_type", "password"),
                ("username", "admin"),
                ("password", "admin-pass"),
                ("client_id", "narrow-app"),
                ("scope", "openid email"),
            ],
            400,
            "invalid_scope",
        ),
        Row {
            body: f(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", &live),
                ("client_id", "weaviate"),
                ("scope", "openid phone"),
            ]),
            ..form_row("wider scope on refresh", &[], 400, "invalid_scope")
        },
    ];

    for row in rows {
        let resp = post(&env, &row.url, row.content_type, row.body, row.auth.as_deref()).await;
        let h = resp.headers().clone();
        assert_eq!(resp.status().as_u16(), row.status, "{}: status", row.name);
        assert!(
            h["content-type"].to_str().unwrap().starts_with("application/json"),
            "{}: content type",
            row.name
        );
        assert_eq!(h["cache-control"], "no-store", "{}", row.name);
        assert_eq!(h["pragma"], "no-cache", "{}", row.name);
        if row.status == 401 {
            assert!(h.contains_key("www-authenticate"), "{}: a 401 has a challenge", row.name);
        }
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], row.error, "{}: {body}", row.name);
        let description = body["error_description"].as_str().unwrap_or("");
        assert!(in_error_charset(description), "{}: description {description:?}", row.name);
    }
}

#[tokio::test]
async fn p54_refresh_tokens_are_base64url_with_at_least_128_bits() {
    let env = Env::start().await;
    let mut seen = HashSet::new();
    for _ in 0..3 {
        let rt = env.password_tokens("admin", "admin-pass").await["refresh_token"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(rt.len() >= 22, "22 base64url characters carry 128 bits: {}", rt.len());
        assert!(rt.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert!(seen.insert(rt));
    }
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
async fn p60_public_client_gets_unauthorized_client_for_client_credentials() {
    let env = Env::with(MockIdp::builder().client(public("spa")).start().await);
    let (status, body) = env.token(&[("grant_type", "client_credentials"), ("client_id", "spa")]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("unauthorized_client")));
    assert_eq!(env.token(&ci_credentials()).await.0, 200);
}

#[tokio::test]
async fn p60_client_credentials_without_authentication_is_invalid_client() {
    let env = Env::start().await;
    let (status, body) = env.token(&[("grant_type", "client_credentials")]).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
    assert_eq!(env.token(&ci_credentials()).await.0, 200);
}

#[tokio::test]
async fn p61_client_credentials_gives_no_refresh_token_and_an_id_token_only_on_request() {
    let env = Env::with(
        MockIdp::builder()
            .client(ClientConfig {
                id_token_for_client_credentials: true,
                ..confidential("svc-with-id", "s")
            })
            .start()
            .await,
    );
    let (status, body) = env.token(&[&ci_credentials()[..], &[("scope", "openid")]].concat()).await;
    assert_eq!(status, 200);
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert!(body.get("id_token").is_none(), "{body}");
    let (status, body) = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "svc-with-id"),
            ("client_secret", "s"),
            ("scope", "openid offline_access"),
        ])
        .await;
    assert_eq!(status, 200);
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert_eq!(
        claims(body["id_token"].as_str().expect("the option gives an ID token"))["sub"],
        "svc-with-id"
    );
}

#[tokio::test]
async fn p62_client_credentials_subject_is_the_client_id_with_configured_username_and_groups() {
    let env = Env::start().await;
    let (_, body) = env.token(&ci_credentials()).await;
    let at = claims(body["access_token"].as_str().unwrap());
    assert_eq!(at["sub"], "ci-runner");
    assert_eq!(at["client_id"], "ci-runner");
    assert_eq!(at["preferred_username"], "ci-runner");
    assert_eq!(at["groups"], serde_json::json!(["ci"]));
}

#[tokio::test]
async fn p63_audience_comes_from_the_parameter_then_the_client_default_then_the_client_id() {
    let env = Env::with(
        MockIdp::builder()
            .client(confidential("plain-svc", "s"))
            .client(ClientConfig {
                audience: vec!["https://api.example".into()],
                ..confidential("aud-svc", "s")
            })
            .client(ClientConfig {
                audience_parameter: false,
                ..confidential("fixed-svc", "s")
            })
            .start()
            .await,
    );
    let aud = |body: &Value| claims(body["access_token"].as_str().unwrap())["aud"].clone();
    let (_, b) = env.token(&[&ci_credentials()[..], &[("audience", "api://chosen")]].concat()).await;
    assert_eq!(aud(&b), "api://chosen");
    let (_, b) = env
        .token(&[&ci_credentials()[..], &[("resource", "https://rs.example/")]].concat())
        .await;
    assert_eq!(aud(&b), "https://rs.example/");
    let (_, b) = env.token(&ci_credentials()).await;
    assert_eq!(aud(&b), serde_json::json!(["ci-runner", "weaviate"]));
    let cc = |id: &'static str| vec![("grant_type", "client_credentials"), ("client_id", id), ("client_secret", "s")];
    let (_, b) = env.token(&cc("aud-svc")).await;
    assert_eq!(aud(&b), "https://api.example");
    let (_, b) = env.token(&cc("plain-svc")).await;
    assert_eq!(aud(&b), "plain-svc");
    // A client not allowed to choose its audience is refused when it tries, and served without.
    let (status, _) = env.token(&[&cc("fixed-svc")[..], &[("audience", "api://chosen")]].concat()).await;
    assert_eq!(status, 400);
    let (status, b) = env.token(&cc("fixed-svc")).await;
    assert_eq!((status, aud(&b)), (200, Value::from("fixed-svc")));
}

#[tokio::test]
async fn p109_expires_in_equals_exp_minus_iat_of_the_access_token() {
    let env = Env::with(
        MockIdp::builder()
            .client(ClientConfig {
                lifetimes: LifetimeOverrides {
                    access_token_s: Some(123),
                    ..LifetimeOverrides::default()
                },
                ..confidential("short-svc", "s")
            })
            .start()
            .await,
    );
    let check = |body: &Value| {
        let at = claims(body["access_token"].as_str().unwrap());
        let lifetime = at["exp"].as_i64().unwrap() - at["iat"].as_i64().unwrap();
        assert_eq!(body["expires_in"].as_i64().unwrap(), lifetime, "{body}");
        lifetime
    };
    let pw = env.password_tokens("admin", "admin-pass").await;
    assert_eq!(check(&pw), 300);
    let (_, cc) = env.token(&ci_credentials()).await;
    assert_eq!(check(&cc), 300);
    let (_, short) = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "short-svc"),
            ("client_secret", "s"),
        ])
        .await;
    assert_eq!(check(&short), 123);
    let (status, refreshed) = env
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", pw["refresh_token"].as_str().unwrap()),
            ("client_id", "weaviate"),
        ])
        .await;
    assert_eq!(status, 200);
    assert_eq!(check(&refreshed), 300);
}

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
        assert_eq!(body["error_description"], mock_idp::grant_types::password::FAIL_NEXT);
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
        assert_eq!(body["error_description"], mock_idp::grant_types::password::BAD_CREDENTIALS);
    }
    let (status, body) = login(&env, "viewer", "viewer-pass").await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(body["error_description"], mock_idp::grant_types::password::LOCKED_OUT);
    // Other users are not affected; a reset unlocks.
    assert_eq!(login(&env, "admin", "admin-pass").await.0, 200);
    let tenant = env.idp.first_tenant();
    assert!(tenant.accounts_mut().reset_login_failures("viewer"));
    assert_eq!(login(&env, "viewer", "viewer-pass").await.0, 200);
}

#[tokio::test]
async fn p18_a_configured_scope_that_repeats_a_built_in_one_is_listed_once() {
    let env = Env::with(
        MockIdp::builder()
            .configure(|t| t.scopes = vec!["openid".into(), "weaviate:read".into()])
            .start()
            .await,
    );
    let scopes = env.discovery().await["scopes_supported"].clone();
    let list: Vec<&str> = scopes.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(list.iter().filter(|s| **s == "openid").count(), 1, "{list:?}");
    assert!(list.contains(&"weaviate:read"));
}
