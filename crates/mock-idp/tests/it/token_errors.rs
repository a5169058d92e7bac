//! Token endpoint errors: every failure maps to one error code, as JSON, not stored (P53).

use mock_idp::config::{AuthMethod, LifetimeOverrides};
use mock_idp::{ClientConfig, GrantType, MockIdp, TenantConfig, UserConfig, UserStatus};
use serde_json::Value;

use crate::support::Env;
use crate::token_support::{basic, confidential, enc, post, public, FORM};

/// RFC 6749 §5.2: `%x20-21 / %x23-5B / %x5D-7E`.
fn in_error_charset(s: &str) -> bool {
    s.chars().all(|c| matches!(c, '\x20'..='\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E'))
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
