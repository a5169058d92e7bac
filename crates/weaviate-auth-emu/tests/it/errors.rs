//! Spec 7.1: the REST error catalogue, every row reachable without an identity provider.
//! The OIDC rows (token fails verification, claim 401/500s, `[OIDC]` method lists) need the mock
//! provider and live in `oidc.rs`.

use crate::support::{with, Env, STATIC_KEYS};
use serde_json::json;

/// A key of the right `v200` shape whose identifier no user has.
fn fake_db_key() -> String {
    use base64::Engine;
    let plain = format!("{}_{}=_v200", "A".repeat(16), "B".repeat(43));
    base64::engine::general_purpose::STANDARD.encode(plain)
}

struct Row {
    name: &'static str,
    vars: Vec<(&'static str, &'static str)>,
    method: &'static str,
    path: &'static str,
    key: Option<&'static str>,
    status: u16,
    content_type: Option<&'static str>,
    body: &'static str,
}

/// Every row compared with v1.38.11 (same configuration and request on the real server).
#[tokio::test]
async fn s7_1_rest_error_catalogue() {
    let admin = with(
        &STATIC_KEYS,
        &[
            ("AUTHORIZATION_ADMINLIST_ENABLED", "true"),
            ("AUTHORIZATION_ADMINLIST_USERS", "admin-user"),
        ],
    );
    let db_only = vec![("AUTHENTICATION_DB_USERS_ENABLED", "true")];
    let fake_db_key: &'static str = Box::leak(fake_db_key().into_boxed_str());
    let rows = vec![
        Row {
            name: "no credentials, anonymous off",
            vars: STATIC_KEYS.to_vec(),
            method: "GET",
            path: "/v1/meta",
            key: None,
            status: 401,
            content_type: Some("text/plain; charset=utf-8"),
            body: r#"{"code":401,"message": "anonymous access not enabled. Please authenticate through one of the available methods: [API-keys]" }"#,
        },
        Row {
            name: "bearer sent but no method configured",
            vars: vec![],
            method: "GET",
            path: "/v1/meta",
            key: Some("anything"),
            status: 401,
            content_type: Some("application/json"),
            body: r#"{"code":401,"message":"no authentication scheme is configured (API Key or OIDC), but an 'Authorization' header was provided. Please configure an auth scheme or remove the header for anonymous access"}"#,
        },
        Row {
            name: "wrong static key",
            vars: STATIC_KEYS.to_vec(),
            method: "GET",
            path: "/v1/meta",
            key: Some("Admin-key"),
            status: 401,
            content_type: Some("application/json"),
            body: r#"{"code":401,"message":"unauthorized: invalid api key"}"#,
        },
        Row {
            name: "unknown key with DB users only",
            vars: db_only.clone(),
            method: "GET",
            path: "/v1/meta",
            key: Some("not-a-db-key"),
            status: 401,
            content_type: Some("application/json"),
            body: r#"{"code":401,"message":"unauthorized: invalid api key"}"#,
        },
        Row {
            name: "DB-user-format key with an unknown identifier",
            vars: db_only.clone(),
            method: "GET",
            path: "/v1/meta",
            key: Some(fake_db_key),
            status: 401,
            content_type: Some("application/json"),
            body: r#"{"code":401,"message":"unauthorized: invalid api key: invalid token"}"#,
        },
        Row {
            name: "own-info as anonymous",
            vars: vec![],
            method: "GET",
            path: "/v1/users/own-info",
            key: None,
            status: 401,
            content_type: None,
            body: "",
        },
        Row {
            name: "authorization denied",
            vars: admin.clone(),
            method: "DELETE",
            path: "/v1/schema/Foo",
            key: Some("ro-key"),
            status: 403,
            content_type: Some("application/json"),
            body: "{\"error\":[{\"message\":\"adminlist: authorization, forbidden action: user 'ro-user' has insufficient permissions to D [schema/collections/Foo/shards/#]\"}]}\n",
        },
        Row {
            name: "openid-configuration with OIDC off",
            vars: STATIC_KEYS.to_vec(),
            method: "GET",
            path: "/v1/.well-known/openid-configuration",
            key: None,
            status: 404,
            content_type: None,
            body: "",
        },
        Row {
            name: "unknown route before auth",
            vars: STATIC_KEYS.to_vec(),
            method: "GET",
            path: "/v1/nope/",
            key: None,
            status: 404,
            content_type: Some("application/json"),
            body: r#"{"code":404,"message":"path /v1/nope/ was not found"}"#,
        },
        Row {
            name: "wrong method before auth",
            vars: STATIC_KEYS.to_vec(),
            method: "PUT",
            path: "/v1/meta",
            key: None,
            status: 405,
            content_type: Some("application/json"),
            body: r#"{"code":405,"message":"method PUT is not allowed, but [GET] are"}"#,
        },
    ];
    for row in rows {
        let env = Env::start(&row.vars).await;
        let answer = env.send(row.method, row.path, row.key, None).await;
        assert_eq!(answer.status, row.status, "{}: {}", row.name, answer.body);
        assert_eq!(answer.header("content-type"), row.content_type, "{}", row.name);
        assert_eq!(answer.body, row.body, "{}", row.name);
        assert_eq!(answer.header("www-authenticate"), None, "{}", row.name);
        assert_eq!(answer.header("access-control-allow-origin"), Some("*"), "{}", row.name);
    }
}

#[tokio::test]
async fn s7_1_the_same_requests_succeed_once_fixed() {
    let env = Env::start(&with(
        &STATIC_KEYS,
        &[
            ("AUTHORIZATION_ADMINLIST_ENABLED", "true"),
            ("AUTHORIZATION_ADMINLIST_USERS", "admin-user"),
        ],
    ))
    .await;
    assert_eq!(env.get("/v1/meta", Some("admin-key")).await.status, 200);
    assert_eq!(env.send("DELETE", "/v1/schema/Foo", Some("admin-key"), None).await.status, 200);
    let own = env.get("/v1/users/own-info", Some("ro-key")).await;
    assert_eq!(own.json(), json!({"groups": null, "roles": null, "username": "ro-user"}));
}

#[tokio::test]
async fn s2_1_generic_writer_escapes_html_and_keeps_the_method_list_in_allow() {
    // Compared with v1.38.11: 405 with an Allow header; the 404 path is escaped as sent.
    let env = Env::start(&STATIC_KEYS).await;
    let answer = env.send("PATCH", "/v1/users/db/x", None, None).await;
    assert_eq!(answer.status, 405);
    let mut allowed: Vec<&str> = answer.header("allow").expect("an Allow header").split(',').collect();
    allowed.sort_unstable();
    assert_eq!(allowed, vec!["DELETE", "GET", "POST"]);
    let answer = env.get("/v1/nope/%3Cx%3E&", None).await;
    assert_eq!(answer.body, r#"{"code":404,"message":"path /v1/nope/%3Cx%3E\u0026 was not found"}"#);
}
