//! Spec 2.1-2.3 and 3.1: outer layer, gate, bearer extraction, method choice, static keys.

use crate::support::{with, Env, STATIC_KEYS};

const NO_SCHEME: &str = "no authentication scheme is configured (API Key or OIDC), but an 'Authorization' header was provided. Please configure an auth scheme or remove the header for anonymous access";

#[tokio::test]
async fn s2_1_outer_layer_answers_before_auth_without_cors() {
    // Compared with v1.38.11 (anonymous off): `/`, live and ready answer without credentials.
    let env = Env::start(&STATIC_KEYS).await;
    let root = env.get("/", None).await;
    assert_eq!((root.status, root.header("location")), (301, Some("/v1")));
    assert_eq!(
        root.body,
        r#"{"links":{"href":"/v1","name":"api v1","documentationHref":"https://weaviate.io/developers/weaviate/current/"}}"#
    );
    for path in ["/v1/.well-known/live", "/v1/.well-known/ready"] {
        let a = env.get(path, None).await;
        assert_eq!((a.status, a.body.as_str(), a.header("content-type")), (200, "", None), "{path}");
        assert_eq!(a.header("access-control-allow-origin"), None, "{path}");
    }
    let options = env.send("OPTIONS", "/v1/schema", None, None).await;
    assert_eq!((options.status, options.body.as_str()), (200, ""));
    assert_eq!(options.header("access-control-allow-methods"), Some("*"));
    assert_eq!(options.header("vary"), None);
}

#[tokio::test]
async fn s2_1_live_with_a_query_goes_through_the_gate_then_gets_501() {
    // Compared with v1.38.11.
    let env = Env::start(&STATIC_KEYS).await;
    assert_eq!(env.get("/v1/.well-known/live?x=1", None).await.status, 401);
    let a = env.get("/v1/.well-known/ready?x=1", Some("admin-key")).await;
    assert_eq!(a.status, 501);
    assert_eq!(a.body, "\"operation WeaviateWellknownReadiness has not yet been implemented\"\n");
}

#[tokio::test]
async fn s2_1_gate_skips_only_the_exact_v1_and_openid_targets() {
    // Compared with v1.38.11: `/v1` passes, `/v1/` and a query string do not.
    let env = Env::start(&STATIC_KEYS).await;
    assert_eq!(env.get("/v1", None).await.status, 200);
    assert_eq!(env.get("/v1/.well-known/openid-configuration", None).await.status, 404);
    assert_eq!(env.get("/v1/", None).await.status, 401);
    assert_eq!(
        env.get("/v1/.well-known/openid-configuration?access_token=", None).await.status,
        401
    );
    // A bad token on an exempt target is still rejected.
    assert_eq!(env.get("/v1", Some("wrong")).await.message(), "unauthorized: invalid api key");
    assert_eq!(env.get("/v1/", Some("admin-key")).await.status, 200);
}

#[tokio::test]
async fn s2_2_bearer_extraction_over_http() {
    // Compared with v1.38.11: header forms, query token, header wins, form token on POST.
    let env = Env::start(&STATIC_KEYS).await;
    let with_header = |h: &'static str| env.http.get(env.url("/v1/meta")).header("Authorization", h);
    for (header, status) in [
        ("Bearer admin-key", 200),
        ("Bearer admin-key ", 200),
        ("bearer admin-key", 401),
        ("BEARER admin-key", 401),
        ("Basic YWRtaW4=", 401),
        ("Bearer", 401),
        ("Bearer ", 401),
    ] {
        assert_eq!(env.answer(with_header(header)).await.status, status, "{header:?}");
    }
    // `Bearer` alone is "no token": the gate's 401, not the key check's.
    assert_eq!(
        env.answer(with_header("Bearer")).await.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(
        env.answer(with_header("Bearer  admin-key")).await.message(),
        "unauthorized: invalid api key"
    );
    assert_eq!(env.get("/v1/meta?access_token=admin-key", None).await.status, 200);
    assert_eq!(env.get("/v1/meta?access_token=", None).await.status, 401);
    assert_eq!(
        env.get("/v1/meta?access_token=wrong", Some("admin-key")).await.status,
        200,
        "the header wins"
    );
    assert_eq!(
        env.get("/v1/meta?access_token=admin-key", Some("wrong")).await.status,
        401,
        "the header wins"
    );
    let form = |token: &str| {
        env.http
            .post(env.url("/v1/schema"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!("access_token={token}"))
    };
    let a = env.answer(form("admin-key")).await;
    assert_eq!(a.status, 415, "authenticated, then refused for its media type: {}", a.body);
    assert_eq!(
        a.message(),
        "unsupported media type \"application/x-www-form-urlencoded\", only [application/json application/yaml] are allowed"
    );
    assert_eq!(env.answer(form("wrong")).await.message(), "unauthorized: invalid api key");
}

#[tokio::test]
async fn s2_2_no_token_with_anonymous_on_runs_as_anonymous() {
    let env = Env::start(&with(&STATIC_KEYS, &[("AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED", "true")])).await;
    let a = env
        .answer(env.http.get(env.url("/v1/meta")).header("Authorization", "Basic abc"))
        .await;
    assert_eq!(a.status, 200);
    // Spec 3.3: a wrong key does not fall back to anonymous.
    assert_eq!(env.get("/v1/meta", Some("wrong")).await.status, 401);
}

#[tokio::test]
async fn s2_3_no_method_configured_rejects_every_token() {
    // Compared with v1.38.11 (anonymous only).
    let env = Env::start(&[]).await;
    assert_eq!(env.get("/v1/meta", None).await.status, 200);
    let a = env.get("/v1/meta", Some("k")).await;
    assert_eq!((a.status, a.message().as_str()), (401, NO_SCHEME));
    assert_eq!(
        env.get("/v1/meta?access_token=k", None).await.message(),
        NO_SCHEME,
        "a query token counts as a header"
    );
}

#[tokio::test]
async fn s2_3_api_keys_only_check_jwt_shaped_keys_as_keys() {
    // With OIDC off, a JWT-looking static key is an ordinary key (the OIDC rows wait for the verifier).
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqd3QtdXNlciJ9.c2lnbmF0dXJl";
    let env = Env::start(&[
        ("AUTHENTICATION_APIKEY_ENABLED", "true"),
        ("AUTHENTICATION_APIKEY_ALLOWED_KEYS", jwt),
        ("AUTHENTICATION_APIKEY_USERS", "jwt-user"),
    ])
    .await;
    assert_eq!(env.get("/v1/users/own-info", Some(jwt)).await.json()["username"], "jwt-user");
}

#[tokio::test]
async fn s3_1_wrong_static_key_gets_invalid_api_key() {
    // Compared with v1.38.11: exact comparison, case-sensitive, no trimming.
    let env = Env::start(&STATIC_KEYS).await;
    for wrong in ["Admin-key", "admin-ke", "admin-keyy", " admin-key"] {
        let a = env.get("/v1/meta", Some(wrong)).await;
        assert_eq!(
            (a.status, a.message().as_str()),
            (401, "unauthorized: invalid api key"),
            "{wrong:?}"
        );
    }
    assert_eq!(env.get("/v1/meta", Some("admin-key")).await.status, 200);
}

#[tokio::test]
async fn s3_1_keys_map_to_users_by_position_or_to_the_single_user() {
    // Compared with v1.38.11: a single user serves every key.
    let env = Env::start(&STATIC_KEYS).await;
    assert_eq!(
        env.get("/v1/users/own-info", Some("other-key")).await.json()["username"],
        "other-user"
    );
    let single = Env::start(&[
        ("AUTHENTICATION_APIKEY_ENABLED", "true"),
        ("AUTHENTICATION_APIKEY_ALLOWED_KEYS", "a,b,c"),
        ("AUTHENTICATION_APIKEY_USERS", "solo"),
    ])
    .await;
    assert_eq!(single.get("/v1/users/own-info", Some("c")).await.json()["username"], "solo");
}

#[tokio::test]
async fn s5_1_meta_reports_the_pinned_version_and_grpc_size() {
    // Compared with v1.38.11: keys sorted, a trailing newline.
    let env = Env::start(&STATIC_KEYS).await;
    let a = env.get("/v1/meta", Some("admin-key")).await;
    let expected = format!(
        "{{\"grpcMaxMessageSize\":104858000,\"hostname\":\"{}\",\"modules\":{{}},\"version\":\"1.38.11\"}}\n",
        env.weaviate.rest_url()
    );
    assert_eq!(a.body, expected);
}
