//! Spec 1.6, 2.3, 3.2, 4, 5.1 and 7.1: the OIDC rows, end to end through `EmbeddedWeaviate` and
//! the in-process mock provider (`mock_idp::MockIdp`). "Compared with v1.38.11" marks texts the
//! spec records from the real server; the provider's journal shows what the emulation fetched.

use std::time::{SystemTime, UNIX_EPOCH};

use mock_idp::{ClockChange, Endpoint, Fault, FaultSpec, MockIdp, Preset, RotateKeys, TokenBuilder, TokenKind, UserConfig};
use serde_json::{json, Value};
use weaviate_auth_emu::{EmbeddedWeaviate, StartupError, StartupStage};

use crate::support::{Answer, Env};

/// Weaviate's OIDC variables for the provider's default tenant: client `weaviate`, username
/// claim `preferred_username`, groups claim `groups`, anonymous off.
fn oidc_vars(idp: &MockIdp) -> Vec<(&'static str, String)> {
    vec![
        ("AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED", "false".into()),
        ("AUTHENTICATION_OIDC_ENABLED", "true".into()),
        ("AUTHENTICATION_OIDC_ISSUER", idp.issuer_url()),
        ("AUTHENTICATION_OIDC_CLIENT_ID", "weaviate".into()),
        ("AUTHENTICATION_OIDC_USERNAME_CLAIM", "preferred_username".into()),
        ("AUTHENTICATION_OIDC_GROUPS_CLAIM", "groups".into()),
    ]
}

/// `base` with `more` set on top (a later value of a name wins).
fn plus(base: Vec<(&'static str, String)>, more: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    base.into_iter().chain(more.iter().map(|(k, v)| (*k, v.to_string()))).collect()
}

async fn try_start(vars: &[(&'static str, String)]) -> Result<EmbeddedWeaviate, StartupError> {
    EmbeddedWeaviate::builder()
        .envs(vars.iter().map(|(k, v)| (k.to_string(), v.clone())))
        .start()
        .await
}

async fn start(vars: &[(&'static str, String)]) -> Env {
    let refs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Env::start(&refs).await
}

fn startup_error(result: Result<EmbeddedWeaviate, StartupError>) -> StartupError {
    match result {
        Ok(w) => panic!("the emulation started at {} but should have refused", w.rest_url()),
        Err(e) => e,
    }
}

/// The access token of a mint request.
fn token(idp: &MockIdp, builder: TokenBuilder) -> String {
    let minted = idp
        .mint(builder.tokens([TokenKind::AccessToken]))
        .unwrap_or_else(|e| panic!("the provider could not mint: {e}"));
    minted.access_token.expect("an access token was minted")
}

fn jwks_fetches(idp: &MockIdp) -> u64 {
    idp.counters().get(&Endpoint::Jwks).copied().unwrap_or(0)
}

fn discovery_fetches(idp: &MockIdp) -> u64 {
    idp.counters().get(&Endpoint::Discovery).copied().unwrap_or(0)
}

fn now_s() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// A loopback URL on a port nobody listens on.
fn closed_port_url() -> (String, u16) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a local port");
    let port = listener.local_addr().expect("an address").port();
    drop(listener);
    (format!("http://127.0.0.1:{port}"), port)
}

fn assert_401(answer: &Answer, message: &str) {
    assert_eq!(answer.status, 401, "{}", answer.body);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(answer.header("www-authenticate"), None);
    assert_eq!(answer.message(), message);
}

// ---------------------------------------------------------------------------------------------
// 1.6: startup with OIDC

#[tokio::test]
async fn s1_6_oidc_startup_fetches_discovery_once_and_no_jwks() {
    let idp = MockIdp::start().await;
    let env = start(&oidc_vars(&idp)).await;
    assert_eq!((discovery_fetches(&idp), jwks_fetches(&idp)), (1, 0));
    let answer = env.get("/v1/meta", Some(&idp.mint_access_token("admin"))).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

#[tokio::test]
async fn s1_6_oidc_provider_unreachable_refuses_start_with_gos_dial_error() {
    let idp = MockIdp::start().await;
    let (base, port) = closed_port_url();
    let issuer = format!("{base}/default");
    let vars = plus(oidc_vars(&idp), &[("AUTHENTICATION_OIDC_ISSUER", &issuer)]);
    let e = startup_error(try_start(&vars).await);
    assert_eq!(e.stage, StartupStage::OidcInit);
    assert_eq!(
        e.message,
        format!(
            "oidc client could not start up: oidc init: could not setup provider: Get \"{issuer}/.well-known/openid-configuration\": dial tcp 127.0.0.1:{port}: connect: connection refused"
        )
    );
    // Fixed: the provider's own issuer starts.
    try_start(&oidc_vars(&idp)).await.expect("the right issuer starts");
}

#[tokio::test]
async fn s1_6_oidc_discovery_404_refuses_start_with_status_and_body() {
    let idp = MockIdp::start().await;
    let issuer = format!("{}/no-such-tenant", idp.base_url());
    let body = reqwest::get(format!("{issuer}/.well-known/openid-configuration"))
        .await
        .expect("the provider answers")
        .text()
        .await
        .expect("a body");
    let vars = plus(oidc_vars(&idp), &[("AUTHENTICATION_OIDC_ISSUER", &issuer)]);
    let e = startup_error(try_start(&vars).await);
    assert_eq!(e.stage, StartupStage::OidcInit);
    assert_eq!(
        e.message,
        format!("oidc client could not start up: oidc init: could not setup provider: 404 Not Found: {body}")
    );
}

#[tokio::test]
async fn s1_6_oidc_issuer_with_trailing_slash_does_not_match_the_document() {
    // Compared with v1.38.11: one trailing slash is removed for the fetch, not for the match.
    let idp = MockIdp::start().await;
    let issuer = idp.issuer_url();
    let slashed = format!("{issuer}/");
    let vars = plus(oidc_vars(&idp), &[("AUTHENTICATION_OIDC_ISSUER", &slashed)]);
    let e = startup_error(try_start(&vars).await);
    assert_eq!(
        e.message,
        format!(
            "oidc client could not start up: oidc init: could not setup provider: oidc: issuer did not match the issuer returned by provider, expected \"{slashed}\" got \"{issuer}\""
        )
    );
    assert_eq!(discovery_fetches(&idp), 1, "the slash-less URL was fetched");
}

#[tokio::test]
async fn s1_6_oidc_document_issuer_with_extra_slash_does_not_match() {
    let idp = MockIdp::start().await;
    let issuer = idp.issuer_url();
    let slashed = format!("{issuer}/");
    idp.add_fault(FaultSpec::new(
        Endpoint::Discovery,
        Fault::DiscoveryIssuerMismatch {
            issuer: Some(slashed.clone()),
        },
    ))
    .expect("the fault is armed");
    let e = startup_error(try_start(&oidc_vars(&idp)).await);
    assert_eq!(
        e.message,
        format!(
            "oidc client could not start up: oidc init: could not setup provider: oidc: issuer did not match the issuer returned by provider, expected \"{issuer}\" got \"{slashed}\""
        )
    );
    idp.clear_faults();
    try_start(&oidc_vars(&idp)).await.expect("the matching document starts");
}

#[tokio::test]
async fn s1_6_jwks_url_set_fetches_nothing_at_start_even_with_the_issuer_unreachable() {
    let idp = MockIdp::start().await;
    let discovery: Value = reqwest::get(idp.discovery_url())
        .await
        .expect("discovery answers")
        .json()
        .await
        .expect("discovery is JSON");
    let jwks_uri = discovery["jwks_uri"].as_str().expect("a jwks_uri").to_owned();
    idp.clear_journal();
    let vars = plus(oidc_vars(&idp), &[("AUTHENTICATION_OIDC_JWKS_URL", &jwks_uri)]);
    let env = start(&vars).await;
    assert_eq!((discovery_fetches(&idp), jwks_fetches(&idp)), (0, 0));
    let answer = env.get("/v1/users/own-info", Some(&idp.mint_access_token("admin"))).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!((discovery_fetches(&idp), jwks_fetches(&idp)), (0, 1), "keys on first use");

    let (base, _) = closed_port_url();
    let vars = plus(vars, &[("AUTHENTICATION_OIDC_ISSUER", &format!("{base}/default"))]);
    try_start(&vars).await.expect("an unreachable issuer does not stop the start");
}

// ---------------------------------------------------------------------------------------------
// 5.1: the openid-configuration document

#[tokio::test]
async fn s5_1_openid_configuration_with_oidc_on() {
    let idp = MockIdp::start().await;
    let issuer = idp.issuer_url();
    let env = start(&oidc_vars(&idp)).await;
    let answer = env.get("/v1/.well-known/openid-configuration", None).await;
    assert_eq!(answer.status, 200, "anonymous gate skipped: {}", answer.body);
    assert_eq!(
        answer.json(),
        json!({"clientId": "weaviate", "href": format!("{issuer}/.well-known/openid-configuration")}),
        "no scopes when unset"
    );

    let vars = plus(
        oidc_vars(&idp),
        &[
            ("AUTHENTICATION_OIDC_SCOPES", "openid,email"),
            ("AUTHENTICATION_OIDC_ISSUER", &format!("{issuer}/")),
            ("AUTHENTICATION_OIDC_SKIP_CLIENT_ID_CHECK", "true"),
            ("AUTHENTICATION_OIDC_CLIENT_ID", ""),
            ("AUTHENTICATION_OIDC_JWKS_URL", &format!("{issuer}/jwks")),
        ],
    );
    let env = start(&vars).await;
    let answer = env.get("/v1/.well-known/openid-configuration", None).await;
    assert_eq!(
        answer.json(),
        json!({"href": format!("{issuer}/.well-known/openid-configuration"), "scopes": ["openid", "email"]}),
        "no clientId when empty; the slash is not doubled; href from the issuer with a JWKS URL"
    );
}

#[tokio::test]
async fn s5_1_openid_configuration_404_with_oidc_off() {
    let env = start(&[
        ("AUTHENTICATION_APIKEY_ENABLED", "true".into()),
        ("AUTHENTICATION_APIKEY_ALLOWED_KEYS", "k".into()),
        ("AUTHENTICATION_APIKEY_USERS", "u".into()),
    ])
    .await;
    let answer = env.get("/v1/.well-known/openid-configuration", None).await;
    assert_eq!(
        (answer.status, answer.body.as_str(), answer.header("content-type")),
        (404, "", None)
    );
}

// ---------------------------------------------------------------------------------------------
// 7.1 and 3.2: OIDC rows of the error catalogue

#[tokio::test]
async fn s7_1_oidc_verification_failures_are_401_with_the_library_reason() {
    let idp = MockIdp::start().await;
    let issuer = idp.issuer_url();
    let env = start(&oidc_vars(&idp)).await;
    let wrong_iss = token(&idp, TokenBuilder::new().user("admin").claim("iss", "https://issuer.invalid/other"));
    assert_401(
        &env.get("/v1/meta", Some(&wrong_iss)).await,
        &format!("unauthorized: oidc: id token issued by a different provider, expected \"{issuer}\" got \"https://issuer.invalid/other\""),
    );
    let wrong_aud = token(&idp, TokenBuilder::new().user("admin").audiences(["a", "b"]));
    assert_401(
        &env.get("/v1/meta", Some(&wrong_aud)).await,
        "unauthorized: oidc: expected audience \"weaviate\" got [\"a\" \"b\"]",
    );
    let exp = now_s() - 10;
    let expired = token(&idp, TokenBuilder::new().user("admin").iat(exp - 60).exp(exp));
    let answer = env.get("/v1/meta", Some(&expired)).await;
    assert_eq!(answer.status, 401);
    assert!(
        answer
            .message()
            .starts_with("unauthorized: oidc: token is expired (Token Expiry: 20"),
        "{}",
        answer.body
    );
    assert!(answer.message().ends_with(" +0000 UTC)"), "{}", answer.body);
    let no_aud = token(&idp, TokenBuilder::new().user("admin").remove("aud"));
    assert_401(
        &env.get("/v1/meta", Some(&no_aud)).await,
        "unauthorized: oidc: expected audience \"weaviate\" got []",
    );
    // nbf more than 5 minutes ahead: Go's time with nanoseconds and the monotonic suffix.
    let nbf = token(&idp, TokenBuilder::new().user("admin").nbf(now_s() + 3600));
    let message = env.get("/v1/meta", Some(&nbf)).await.message();
    assert!(message.starts_with("unauthorized: oidc: current time 20"), "{message}");
    assert!(message.contains(" +0000 UTC m=+"), "{message}");
    assert!(message.contains(" before the nbf (not before) time: 20"), "{message}");
    let within = token(&idp, TokenBuilder::new().user("admin").nbf(now_s() + 60));
    assert_eq!(env.get("/v1/meta", Some(&within)).await.status, 200, "5 minutes of leeway on nbf");
    // Fixed: the same user with a valid token.
    let good = env.get("/v1/meta", Some(&idp.mint_access_token("admin"))).await;
    assert_eq!(good.status, 200, "{}", good.body);
}

#[tokio::test]
async fn s7_1_expired_preset_and_exp_equal_to_now_are_rejected_without_leeway() {
    // The emulation uses real time, as Weaviate does: `exp` exactly now is already past by the
    // time the request arrives (Go compares with nanoseconds), and `exp` a minute ahead passes.
    let idp = MockIdp::start().await;
    let env = start(&oidc_vars(&idp)).await;
    let preset = token(&idp, TokenBuilder::new().preset(Preset::Expired));
    let answer = env.get("/v1/meta", Some(&preset)).await;
    assert_eq!(answer.status, 401);
    assert!(
        answer.message().starts_with("unauthorized: oidc: token is expired (Token Expiry: "),
        "{}",
        answer.body
    );
    let now = now_s();
    let at_now = token(&idp, TokenBuilder::new().user("admin").iat(now - 60).exp(now));
    let answer = env.get("/v1/meta", Some(&at_now)).await;
    assert_eq!(answer.status, 401, "{}", answer.body);
    assert!(
        answer.message().starts_with("unauthorized: oidc: token is expired"),
        "{}",
        answer.body
    );
    let ahead = token(&idp, TokenBuilder::new().user("admin").iat(now).exp(now + 60));
    assert_eq!(env.get("/v1/meta", Some(&ahead)).await.status, 200);
}

#[tokio::test]
async fn s7_1_sub_as_username_claim_typed_by_the_library_is_401() {
    let idp = MockIdp::start().await;
    let env = start(&plus(oidc_vars(&idp), &[("AUTHENTICATION_OIDC_USERNAME_CLAIM", "sub")])).await;
    let number = token(&idp, TokenBuilder::new().user("admin").claim("sub", 42));
    assert_401(
        &env.get("/v1/meta", Some(&number)).await,
        "unauthorized: oidc: failed to unmarshal claims: json: cannot unmarshal number into Go struct field idToken.sub of type string",
    );
    let array = token(&idp, TokenBuilder::new().user("admin").claim("sub", json!(["x"])));
    assert_401(
        &env.get("/v1/meta", Some(&array)).await,
        "unauthorized: oidc: failed to unmarshal claims: json: cannot unmarshal array into Go struct field idToken.sub of type string",
    );
    // `"sub": null` passes the library and fails in Weaviate: 500.
    let null = token(&idp, TokenBuilder::new().user("admin").claim("sub", Value::Null));
    let answer = env.get("/v1/meta", Some(&null)).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (
            500,
            r#"{"code":500,"message":"oidc: claim 'sub' is not a string, but \u003cnil\u003e"}"#
        )
    );
    let fixed = token(&idp, TokenBuilder::new().user("admin").claim("sub", "admin-sub"));
    let own = env.get("/v1/users/own-info", Some(&fixed)).await;
    assert_eq!(own.json()["username"], "admin-sub");
}

#[tokio::test]
async fn s7_1_missing_or_non_string_username_claim_is_500() {
    let idp = MockIdp::start().await;
    let env = start(&oidc_vars(&idp)).await;
    let missing = token(&idp, TokenBuilder::new().user("admin").remove("preferred_username"));
    let answer = env.get("/v1/meta", Some(&missing)).await;
    assert_eq!(answer.status, 500, "{}", answer.body);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(
        answer.body,
        r#"{"code":500,"message":"oidc: token doesn't contain required claim 'preferred_username'"}"#
    );
    for (value, type_name) in [
        (json!(42), "float64"),
        (json!(true), "bool"),
        (json!(["a"]), "[]interface {}"),
        (json!({"a": 1}), "map[string]interface {}"),
        (Value::Null, "\\u003cnil\\u003e"),
    ] {
        let t = token(&idp, TokenBuilder::new().user("admin").claim("preferred_username", value.clone()));
        let answer = env.get("/v1/meta", Some(&t)).await;
        assert_eq!(
            (answer.status, answer.body.clone()),
            (
                500,
                format!(r#"{{"code":500,"message":"oidc: claim 'preferred_username' is not a string, but {type_name}"}}"#)
            ),
            "{value}"
        );
    }
    // An empty string is a username (compared with v1.38.11).
    let empty = token(&idp, TokenBuilder::new().user("admin").claim("preferred_username", ""));
    let own = env.get("/v1/users/own-info", Some(&empty)).await;
    assert_eq!((own.status, own.json()["username"].clone()), (200, json!("")));
}

// ---------------------------------------------------------------------------------------------
// 2.1 / 2.3: the anonymous gate's method list and the per-token choice with both methods on

#[tokio::test]
async fn s2_1_gate_lists_oidc_and_both_methods() {
    let idp = MockIdp::start().await;
    let env = start(&oidc_vars(&idp)).await;
    let answer = env.get("/v1/meta", None).await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(
        answer.body,
        r#"{"code":401,"message": "anonymous access not enabled. Please authenticate through one of the available methods: [OIDC]" }"#
    );
    let both = plus(
        oidc_vars(&idp),
        &[
            ("AUTHENTICATION_APIKEY_ENABLED", "true"),
            ("AUTHENTICATION_APIKEY_ALLOWED_KEYS", "k"),
            ("AUTHENTICATION_APIKEY_USERS", "u"),
        ],
    );
    let env = start(&both).await;
    assert_eq!(
        env.get("/v1/meta", None).await.body,
        r#"{"code":401,"message": "anonymous access not enabled. Please authenticate through one of the available methods: [API-keys, OIDC]" }"#
    );
    assert_eq!(env.get("/v1/meta", Some("k")).await.status, 200, "the fixed request");
}

#[tokio::test]
async fn s2_3_both_methods_malformed_jwts_go_to_the_api_key_check() {
    let idp = MockIdp::start().await;
    let issuer = idp.issuer_url();
    let jwt_key = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqd3QtdXNlciJ9.c2lnbmF0dXJl";
    let vars = plus(
        oidc_vars(&idp),
        &[
            ("AUTHENTICATION_APIKEY_ENABLED", "true"),
            ("AUTHENTICATION_APIKEY_ALLOWED_KEYS", &format!("plain-key,{jwt_key}")),
            ("AUTHENTICATION_APIKEY_USERS", "plain-user,jwt-user"),
        ],
    );
    let env = start(&vars).await;
    let minted = idp.mint_access_token("admin");
    let (h, p, _) = {
        let mut it = minted.split('.');
        (it.next().unwrap_or(""), it.next().unwrap_or(""), it.next())
    };
    for malformed in [
        "one",
        "aaa.bbb.ccc",
        &format!("{h}.{p}"),
        &format!("{h}.{p}=.x"),
        &format!("{minted}.x"),
    ] {
        assert_401(&env.get("/v1/meta", Some(malformed)).await, "unauthorized: invalid api key");
    }
    assert_eq!(
        env.get("/v1/users/own-info", Some("plain-key")).await.json()["username"],
        "plain-user"
    );
    assert_eq!(env.get("/v1/users/own-info", Some(&minted)).await.json()["username"], "admin");
    // A configured key that looks like a JWT is only ever checked as OIDC (compared with v1.38.11).
    assert_401(
        &env.get("/v1/meta", Some(jwt_key)).await,
        &format!("unauthorized: oidc: id token issued by a different provider, expected \"{issuer}\" got \"\""),
    );
    assert_eq!(
        idp.counters().get(&Endpoint::Jwks).copied().unwrap_or(0),
        1,
        "only the minted token needed keys"
    );
}

// ---------------------------------------------------------------------------------------------
// 3.2 steps 3-4 and 4.2: username and groups claims feeding the admin list

#[tokio::test]
async fn s3_2_groups_claim_array_string_missing_and_mixed() {
    let idp = MockIdp::start().await;
    let env = start(&oidc_vars(&idp)).await;
    let own = |groups: Option<Value>| {
        let b = TokenBuilder::new().user("admin");
        let b = match groups {
            Some(g) => b.claim("groups", g),
            None => b.remove("groups"),
        };
        token(&idp, b)
    };
    let cases = [
        (Some(json!(["a", "b"])), json!(["a", "b"])),
        (Some(json!("solo")), json!(["solo"])),
        (None, Value::Null),
        (Some(json!(["a", 1, null, true, {"x": 1}, ["y"], "b"])), json!(["a", "b"])),
        (Some(json!(7)), Value::Null),
        (Some(json!({"a": "b"})), Value::Null),
    ];
    for (groups, want) in cases {
        let answer = env.get("/v1/users/own-info", Some(&own(groups.clone()))).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(
            answer.json(),
            json!({"groups": want, "roles": null, "username": "admin"}),
            "{groups:?}"
        );
    }
    // A different username claim: `email`.
    let env = start(&plus(oidc_vars(&idp), &[("AUTHENTICATION_OIDC_USERNAME_CLAIM", "email")])).await;
    let answer = env.get("/v1/users/own-info", Some(&idp.mint_access_token("viewer"))).await;
    assert_eq!(answer.json()["username"], "viewer@example.com");
}

/// The username claim a provider tenant is configured with (P121), read by the emulation set to
/// the same claim: the claim's value is the username in access and ID tokens alike, and the
/// `username-missing` preset (the claim removed) verifies, then fails with Weaviate's 500.
#[tokio::test]
async fn s3_2_username_claim_chosen_by_the_provider_tenant() {
    let user = UserConfig {
        username: "alice".into(),
        password: "alice-pass".into(),
        email: Some("alice@example.com".into()),
        name: Some("Alice Liddell".into()),
        preferred_username: Some("ally".into()),
        claims: [("login".to_owned(), json!("a.liddell"))].into_iter().collect(),
        ..UserConfig::default()
    };
    for (claim, expected) in [
        ("preferred_username", "ally"),
        ("email", "alice@example.com"),
        ("name", "Alice Liddell"),
        ("login", "a.liddell"),
    ] {
        let idp = MockIdp::builder()
            .configure(|t| t.username_claims = vec![claim.into()])
            .user(user.clone())
            .start()
            .await;
        let env = start(&plus(oidc_vars(&idp), &[("AUTHENTICATION_OIDC_USERNAME_CLAIM", claim)])).await;
        let minted = idp
            .mint(
                TokenBuilder::new()
                    .user("alice")
                    .tokens([TokenKind::AccessToken, TokenKind::IdToken]),
            )
            .unwrap_or_else(|e| panic!("the provider could not mint: {e}"));
        for (kind, t) in [("access", minted.access_token), ("id", minted.id_token)] {
            let t = t.unwrap_or_else(|| panic!("an {kind} token was minted"));
            let own = env.get("/v1/users/own-info", Some(&t)).await;
            assert_eq!(
                (own.status, own.json()["username"].clone()),
                (200, json!(expected)),
                "{claim} {kind}: {}",
                own.body
            );
        }
        let missing = token(&idp, TokenBuilder::new().user("alice").preset(Preset::UsernameMissing));
        let answer = env.get("/v1/users/own-info", Some(&missing)).await;
        assert_eq!(
            (answer.status, answer.message()),
            (500, format!("oidc: token doesn't contain required claim '{claim}'")),
            "{claim}: {}",
            answer.body
        );
    }
}

/// A provider tenant whose groups claim is `roles` (P122), read by the emulation set to the same
/// claim: an array is the groups, and the `groups-as-string` preset's one string is one group.
#[tokio::test]
async fn s3_2_groups_claim_named_by_the_provider_tenant() {
    let idp = MockIdp::builder()
        .configure(|t| t.groups_claim = "roles".into())
        .user(UserConfig {
            username: "many".into(),
            password: "many-pass".into(),
            groups: vec!["a".into(), "b".into()],
            ..UserConfig::default()
        })
        .start()
        .await;
    let env = start(&plus(oidc_vars(&idp), &[("AUTHENTICATION_OIDC_GROUPS_CLAIM", "roles")])).await;
    let many = token(&idp, TokenBuilder::new().user("many"));
    let own = env.get("/v1/users/own-info", Some(&many)).await;
    assert_eq!((own.status, own.json()["groups"].clone()), (200, json!(["a", "b"])), "{}", own.body);
    let as_string = token(&idp, TokenBuilder::new().user("many").preset(Preset::GroupsAsString));
    let own = env.get("/v1/users/own-info", Some(&as_string)).await;
    assert_eq!(
        (own.status, own.json()["groups"].clone()),
        (200, json!(["a"])),
        "one string is one group: {}",
        own.body
    );
}

fn adminlist_denial(user: &str, groups: &str, action: &str, resource: &str) -> String {
    format!("adminlist: authorization, forbidden action: user '{user}'{groups} has insufficient permissions to {action} [{resource}]")
}

#[tokio::test]
async fn s4_2_admin_list_with_oidc_users_and_groups() {
    let idp = MockIdp::start().await;
    let vars = plus(
        oidc_vars(&idp),
        &[
            ("AUTHORIZATION_ADMINLIST_ENABLED", "true"),
            ("AUTHORIZATION_ADMINLIST_USERS", "admin"),
            ("AUTHORIZATION_ADMINLIST_GROUPS", "ops"),
            ("AUTHORIZATION_ADMINLIST_READONLY_GROUPS", "readers"),
        ],
    );
    let env = start(&vars).await;
    let class = |name: &str| Some(json!({"class": name}));
    // By user name.
    let admin = idp.mint_access_token("admin");
    assert_eq!(env.send("POST", "/v1/schema", Some(&admin), class("ByName")).await.status, 200);
    // By admin group, from a mixed-type array.
    let ops = token(&idp, TokenBuilder::new().user("viewer").claim("groups", json!([1, "ops"])));
    assert_eq!(env.send("POST", "/v1/schema", Some(&ops), class("ByGroup")).await.status, 200);
    // A read-only group reads, and is denied writes with the group in the text.
    let reader = token(&idp, TokenBuilder::new().user("viewer").claim("groups", "readers"));
    assert_eq!(env.get("/v1/schema/ByName", Some(&reader)).await.status, 200);
    let denied = env.send("POST", "/v1/schema", Some(&reader), class("Nope")).await;
    assert_eq!(
        (denied.status, denied.error()),
        (
            403,
            adminlist_denial("viewer", " (of group 'readers')", "C", "schema/collections/Nope/shards/#")
        )
    );
    // Two groups, neither listed: denied reads too, both groups named.
    let none = token(&idp, TokenBuilder::new().user("viewer").groups(["g1", "g2"]));
    let denied = env.get("/v1/schema/ByName", Some(&none)).await;
    assert_eq!(
        (denied.status, denied.error()),
        (
            403,
            adminlist_denial("viewer", " (of groups 'g1', 'g2')", "R", "schema/collections/ByName/shards/#")
        )
    );
}

// ---------------------------------------------------------------------------------------------
// 4.3: RBAC root and admin assignments from the environment apply to the oidc user type

#[tokio::test]
async fn s4_3_rbac_env_roles_for_oidc_users_and_groups_not_db_users_of_the_same_name() {
    let idp = MockIdp::start().await;
    let vars = plus(
        oidc_vars(&idp),
        &[
            ("AUTHORIZATION_RBAC_ENABLED", "true"),
            ("AUTHORIZATION_RBAC_ROOT_USERS", "admin"),
            ("AUTHORIZATION_RBAC_ROOT_GROUPS", "ops"),
            ("EXPERIMENTAL_AUTHORIZATION_RBAC_ADMIN_USERS", "dave"),
            ("AUTHENTICATION_DB_USERS_ENABLED", "true"),
        ],
    );
    let env = start(&vars).await;
    let class = |name: &str| Some(json!({"class": name}));
    let root = idp.mint_access_token("admin");
    assert_eq!(env.send("POST", "/v1/schema", Some(&root), class("RootMade")).await.status, 200);
    let viewer = idp.mint_access_token("viewer");
    let denied = env.send("POST", "/v1/schema", Some(&viewer), class("Denied")).await;
    assert_eq!(
        (denied.status, denied.error()),
        (
            403,
            "rbac: authorization, forbidden action: user 'viewer' (of group 'viewers') has insufficient permissions to create_collections [[Domain: collections, Collection: Denied]]".to_owned()
        )
    );
    let in_root_group = token(&idp, TokenBuilder::new().user("viewer").groups(["ops"]));
    assert_eq!(
        env.send("POST", "/v1/schema", Some(&in_root_group), class("GroupMade"))
            .await
            .status,
        200
    );

    // `dave` from the environment is an admin as an OIDC user; the DB user `dave` is not.
    let dave = token(&idp, TokenBuilder::new().user("admin").claim("preferred_username", "dave"));
    assert_eq!(env.send("POST", "/v1/schema", Some(&dave), class("DaveMade")).await.status, 200);
    let created = env.send("POST", "/v1/users/db/dave", Some(&root), None).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let db_dave = created.json()["apikey"].as_str().expect("an api key").to_owned();
    let denied = env.send("POST", "/v1/schema", Some(&db_dave), class("DbDave")).await;
    assert_eq!(denied.status, 403, "{}", denied.body);
    assert_eq!(env.get("/v1/users/own-info", Some(&db_dave)).await.json()["roles"], Value::Null);
    // A DB user cannot take the root user's name at all.
    let refused = env.send("POST", "/v1/users/db/admin", Some(&root), None).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
}

// ---------------------------------------------------------------------------------------------
// 3.2 step 1: the JWKS cache, observed through the provider's journal

#[tokio::test]
async fn s3_2_jwks_fetched_on_first_use_then_cached_and_refetched_once_per_unknown_kid() {
    let idp = MockIdp::start().await;
    let env = start(&oidc_vars(&idp)).await;
    assert_eq!(jwks_fetches(&idp), 0, "nothing at start");
    let admin = idp.mint_access_token("admin");
    assert_eq!(env.get("/v1/meta", Some(&admin)).await.status, 200);
    assert_eq!(jwks_fetches(&idp), 1, "first token");
    for user in ["admin", "viewer"] {
        assert_eq!(env.get("/v1/meta", Some(&idp.mint_access_token(user))).await.status, 200);
    }
    assert_eq!(jwks_fetches(&idp), 1, "later tokens use the cache");
    let unknown = token(&idp, TokenBuilder::new().preset(Preset::UnknownKid));
    assert_401(
        &env.get("/v1/meta", Some(&unknown)).await,
        "unauthorized: failed to verify signature: failed to verify id token signature",
    );
    assert_eq!(jwks_fetches(&idp), 2, "one refetch for the unknown kid");
    assert_eq!(env.get("/v1/meta", Some(&unknown)).await.status, 401);
    assert_eq!(jwks_fetches(&idp), 3, "each such token costs one fetch");
}

#[tokio::test]
async fn s3_2_jwks_500_keeps_the_cache() {
    let idp = MockIdp::start().await;
    let env = start(&oidc_vars(&idp)).await;
    assert_eq!(env.get("/v1/meta", Some(&idp.mint_access_token("admin"))).await.status, 200);
    idp.add_fault(FaultSpec::new(
        Endpoint::Jwks,
        Fault::Status {
            status: 500,
            body: Some("jwks down".into()),
            content_type: None,
        },
    ))
    .expect("the fault is armed");
    assert_eq!(
        env.get("/v1/meta", Some(&idp.mint_access_token("viewer"))).await.status,
        200,
        "cached key"
    );
    assert_eq!(jwks_fetches(&idp), 1);
    let unknown = token(&idp, TokenBuilder::new().preset(Preset::UnknownKid));
    assert_401(
        &env.get("/v1/meta", Some(&unknown)).await,
        "unauthorized: failed to verify signature: fetching keys oidc: get keys failed: 500 Internal Server Error jwks down",
    );
    assert_eq!(jwks_fetches(&idp), 2);
    assert_eq!(
        env.get("/v1/meta", Some(&idp.mint_access_token("admin"))).await.status,
        200,
        "the failed fetch left the cache as it was"
    );
    assert_eq!(jwks_fetches(&idp), 2);
}

#[tokio::test]
async fn s3_2_key_rotation_costs_at_most_one_fetch() {
    let idp = MockIdp::start().await;
    let env = start(&oidc_vars(&idp)).await;
    assert_eq!(env.get("/v1/meta", Some(&idp.mint_access_token("admin"))).await.status, 200);
    assert_eq!(jwks_fetches(&idp), 1);
    idp.rotate_keys(RotateKeys::default()).expect("the keys rotate");
    for user in ["admin", "viewer", "admin"] {
        let answer = env.get("/v1/meta", Some(&idp.mint_access_token(user))).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    assert_eq!(jwks_fetches(&idp), 2, "one fetch for the new kid, then cached");
}

/// The provider's virtual clock drives the token's times; the emulation keeps real time, as
/// Weaviate does. A token whose `exp` is one second behind real time is refused, one whose `exp`
/// is a few seconds ahead passes: no leeway in either direction.
#[tokio::test]
async fn s7_1_token_one_second_past_expiry_on_the_virtual_clock_is_refused() {
    let idp = MockIdp::start().await;
    let env = start(&oidc_vars(&idp)).await;
    let lifetime = idp.first_tenant().config().lifetimes.access_token_s as f64;
    let minted_with_offset = |offset_s: f64| {
        idp.set_clock(ClockChange::Offset(offset_s)).expect("the clock takes an offset");
        token(&idp, TokenBuilder::new().user("admin"))
    };
    // exp = real now - 1 s.
    let expired = minted_with_offset(-(lifetime + 1.0));
    let answer = env.get("/v1/meta", Some(&expired)).await;
    assert_eq!(answer.status, 401, "{}", answer.body);
    assert!(
        answer.message().starts_with("unauthorized: oidc: token is expired (Token Expiry: "),
        "{}",
        answer.body
    );
    // exp = real now + 5 s: the same token shape passes.
    let fresh = minted_with_offset(-(lifetime - 5.0));
    assert_eq!(env.get("/v1/meta", Some(&fresh)).await.status, 200);
}
