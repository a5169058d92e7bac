//! Claims and shape of flow-issued and minted tokens (P101-P109, P118-P123).

use std::collections::HashSet;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use mock_idp::config::{AudienceForm, ClientConfig, LifetimeOverrides, TenantConfig, UserConfig};
use mock_idp::{MockIdp, TokenBuilder};
use serde_json::{json, Value};

use crate::mint::*;
use crate::support::{claims, header, Env};

// ---------------------------------------------------------------------------------------------
// P101-P109: claims of flow-issued tokens
// ---------------------------------------------------------------------------------------------

async fn client_credentials(env: &Env, extra: &[(&str, &str)]) -> Value {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_id", "ci-runner"),
        ("client_secret", "ci-runner-secret"),
    ];
    form.extend_from_slice(extra);
    let (status, body) = env.token(&form).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn p101_id_token_has_the_registered_claims() {
    let env = Env::start().await;
    let issuer = env.idp.issuer_url();
    let body = env.password_tokens("admin", "admin-pass").await;
    let c = claims(&s(&body, "id_token"));
    assert_eq!(c["iss"].as_str(), Some(issuer.as_str()), "iss byte for byte");
    assert!(c["sub"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(c["aud"], "weaviate");
    for t in ["exp", "iat", "auth_time"] {
        assert!(c[t].is_i64(), "{t} is an integer NumericDate: {c}");
    }
    assert!(c["exp"].as_i64() > c["iat"].as_i64());
    assert!(c["iat"].as_i64().unwrap() < 10_000_000_000, "seconds, not milliseconds");
    assert!(c.get("azp").is_none(), "one audience equal to the client id: no azp by default");
}

#[tokio::test]
async fn p101_azp_when_aud_has_several_values_or_always() {
    let idp = MockIdp::builder()
        .client(ClientConfig {
            client_id: "multi".into(),
            public: true,
            extra_audiences: vec!["api".into()],
            ..ClientConfig::default()
        })
        .client(ClientConfig {
            client_id: "always".into(),
            public: true,
            always_azp: true,
            ..ClientConfig::default()
        })
        .start()
        .await;
    let env = Env::with(idp);
    for (client, aud, azp) in [
        ("multi", json!(["multi", "api"]), Some("multi")),
        ("always", json!("always"), Some("always")),
        ("weaviate", json!("weaviate"), None),
    ] {
        let (status, body) = env
            .token(&[
                ("grant_type", "password"),
                ("username", "admin"),
                ("password", "admin-pass"),
                ("client_id", client),
            ])
            .await;
        assert_eq!(status, 200, "{body}");
        let c = claims(&s(&body, "id_token"));
        assert_eq!(c["aud"], aud, "{client}");
        assert_eq!(c.get("azp").and_then(Value::as_str), azp, "{client}");
    }
    // The access token of a client whose audience is not only itself carries azp too.
    let c = claims(&s(&client_credentials(&env, &[]).await, "access_token"));
    assert_eq!(c["aud"], json!(["ci-runner", "weaviate"]));
    assert_eq!(c["azp"], "ci-runner");
}

#[tokio::test]
async fn p102_nbf_equals_iat_by_default_and_can_be_switched_off() {
    let env = Env::start().await;
    let body = env.password_tokens("admin", "admin-pass").await;
    for kind in ["id_token", "access_token"] {
        let c = claims(&s(&body, kind));
        assert_eq!(c["nbf"], c["iat"], "{kind}");
    }
    let env = Env::with(MockIdp::builder().configure(|t| t.nbf = false).start().await);
    let body = env.password_tokens("admin", "admin-pass").await;
    for kind in ["id_token", "access_token"] {
        assert!(claims(&s(&body, kind)).get("nbf").is_none(), "{kind}");
    }
}

#[tokio::test]
async fn p105_iat_is_tenant_now_and_exp_at_most_50_years_ahead() {
    let env = Env::start().await;
    env.idp
        .first_tenant()
        .clock()
        .set(mock_idp::ClockMode::Frozen { at: 1_800_000_000.9 });
    let body = env.password_tokens("admin", "admin-pass").await;
    for kind in ["id_token", "access_token"] {
        let c = claims(&s(&body, kind));
        assert_eq!(c["iat"].as_i64(), Some(1_800_000_000), "{kind}");
        assert!(c["exp"].as_i64().unwrap() - 1_800_000_000 <= 50 * 366 * 86_400, "{kind}");
    }
    // A configured lifetime beyond 50 years is refused at start, naming the key.
    let err = MockIdp::builder()
        .configure(|t| t.lifetimes.access_token_s = 60 * 365 * 86_400)
        .try_start()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("access_token_s"), "{err}");
    let err = MockIdp::builder()
        .client(ClientConfig {
            client_id: "long".into(),
            public: true,
            lifetimes: LifetimeOverrides {
                id_token_s: Some(60 * 365 * 86_400),
                ..LifetimeOverrides::default()
            },
            ..ClientConfig::default()
        })
        .try_start()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("id_token_s"), "{err}");
    // 49 years is fine.
    MockIdp::builder()
        .configure(|t| t.lifetimes.access_token_s = 49 * 365 * 86_400)
        .try_start()
        .await
        .expect("49 years is allowed");
}

#[tokio::test]
async fn p106_tokens_are_compact_jws_without_padding_or_duplicate_keys() {
    let env = Env::start().await;
    let pw = env.password_tokens("admin", "admin-pass").await;
    let cc = client_credentials(&env, &[]).await;
    let minted = mint_ok(&env, json!({})).await;
    for t in [
        s(&pw, "id_token"),
        s(&pw, "access_token"),
        s(&cc, "access_token"),
        s(&minted, "access_token"),
        s(&minted, "id_token"),
    ] {
        let parts: Vec<&str> = t.split('.').collect();
        assert_eq!(parts.len(), 3, "{t}");
        for p in &parts {
            assert!(
                !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                "base64url without padding: {p}"
            );
        }
        for p in &parts[..2] {
            let bytes = B64.decode(p).unwrap();
            let m = members(&bytes).expect("a JSON object");
            let names: HashSet<&String> = m.iter().map(|(k, _)| k).collect();
            assert_eq!(names.len(), m.len(), "no duplicate keys");
        }
    }
}

#[tokio::test]
async fn p107_access_token_is_a_jwt_typ_jwt_verifiable_with_the_jwks() {
    let env = Env::start().await;
    let (issuer, keys) = issuer_and_jwks(&env).await;
    let pw = env.password_tokens("admin", "admin-pass").await;
    let cc = client_credentials(&env, &[]).await;
    for t in [s(&pw, "access_token"), s(&cc, "access_token"), s(&pw, "id_token")] {
        assert_eq!(header(&t)["typ"], "JWT");
        rs_verify(&t, &keys, &issuer, "weaviate").expect("verifies with the JWKS");
    }
}

#[tokio::test]
async fn p108_access_token_claims() {
    let env = Env::start().await;
    let issuer = env.idp.issuer_url();
    let pw = env.password_tokens("admin", "admin-pass").await;
    let at = claims(&s(&pw, "access_token"));
    let id = claims(&s(&pw, "id_token"));
    for c in [
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "jti",
        "client_id",
        "scope",
        "auth_time",
        "preferred_username",
        "email",
        "groups",
    ] {
        assert!(at.get(c).is_some(), "{c} in {at}");
    }
    assert_eq!(at["iss"].as_str(), Some(issuer.as_str()));
    assert_eq!(at["client_id"], "weaviate");
    assert_eq!(at["scope"], pw["scope"], "space-separated granted scope");
    assert_eq!(at["groups"], json!(["admins"]));
    assert_eq!(at["sub"], id["sub"]);
    let pw2 = env.password_tokens("admin", "admin-pass").await;
    let jtis: HashSet<String> = [&at, &id, &claims(&s(&pw2, "access_token")), &claims(&s(&pw2, "id_token"))]
        .iter()
        .map(|c| s(c, "jti"))
        .collect();
    assert_eq!(jtis.len(), 4, "jti unique per token");
    // Client credentials: the client is the subject, no auth_time, and the configured claims.
    let cc = claims(&s(&client_credentials(&env, &[("scope", "openid")]).await, "access_token"));
    assert_eq!(
        (cc["sub"].as_str(), cc["client_id"].as_str(), cc["scope"].as_str()),
        (Some("ci-runner"), Some("ci-runner"), Some("openid"))
    );
    assert!(cc.get("auth_time").is_none());
    assert_eq!(cc["preferred_username"], "ci-runner");
    assert!(cc["jti"].is_string());
}

#[tokio::test]
async fn p109_expires_in_equals_exp_minus_iat() {
    let env = Env::start().await;
    for body in [
        env.password_tokens("viewer", "viewer-pass").await,
        client_credentials(&env, &[]).await,
        mint_ok(&env, json!({"lifetime_s": 77})).await,
    ] {
        let c = claims(&s(&body, "access_token"));
        assert_eq!(
            body["expires_in"].as_i64(),
            Some(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap()),
            "{body}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// P118-P123: shaping
// ---------------------------------------------------------------------------------------------

fn public_client(id: &str, form: AudienceForm, extra: &[&str]) -> ClientConfig {
    ClientConfig {
        client_id: id.into(),
        public: true,
        audience_form: form,
        extra_audiences: extra.iter().map(|s| s.to_string()).collect(),
        ..ClientConfig::default()
    }
}

#[tokio::test]
async fn p118_audience_forms_and_a_verifier_accepting_only_its_client_id() {
    // A JWT verifier (jsonwebtoken) pinned to one audience accepts the client's own tokens and
    // refuses them for another client id; Weaviate's reading of string and array forms is
    // played by the `aud-*` presets on the emulation and the real server (root `tests/it/presets.rs`).
    let idp = MockIdp::builder()
        .client(public_client("c-auto", AudienceForm::Auto, &[]))
        .client(public_client("c-auto-2", AudienceForm::Auto, &["api"]))
        .client(public_client("c-string", AudienceForm::String, &[]))
        .client(public_client("c-array", AudienceForm::Array, &[]))
        .start()
        .await;
    let env = Env::with(idp);
    let (issuer, keys) = issuer_and_jwks(&env).await;
    for (client, aud) in [
        ("c-auto", json!("c-auto")),
        ("c-auto-2", json!(["c-auto-2", "api"])),
        ("c-string", json!("c-string")),
        ("c-array", json!(["c-array"])),
    ] {
        let (status, body) = env
            .token(&[
                ("grant_type", "password"),
                ("username", "viewer"),
                ("password", "viewer-pass"),
                ("client_id", client),
            ])
            .await;
        assert_eq!(status, 200, "{body}");
        for kind in ["id_token", "access_token"] {
            let t = s(&body, kind);
            assert_eq!(claims(&t)["aud"], aud, "{client} {kind}");
            rs_verify(&t, &keys, &issuer, client).unwrap_or_else(|e| panic!("{client} {kind}: {e}"));
            assert!(rs_verify(&t, &keys, &issuer, "someone-else").is_err(), "{client} {kind}");
        }
    }
    // A string form with several audiences is a configuration error.
    let err = MockIdp::builder()
        .client(public_client("bad", AudienceForm::String, &["api"]))
        .try_start()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("audience_form"), "{err}");
    // A mint request chooses the form by the JSON type; the ID token keeps the client id.
    let minted = mint_ok(&env, json!({"aud": ["weaviate"]})).await;
    assert_eq!(claims(&s(&minted, "access_token"))["aud"], json!(["weaviate"]));
    let minted = mint_ok(&env, json!({"aud": "api"})).await;
    assert_eq!(claims(&s(&minted, "access_token"))["aud"], "api");
    assert_eq!(claims(&s(&minted, "access_token"))["azp"], "weaviate");
    assert_eq!(claims(&s(&minted, "id_token"))["aud"], json!(["weaviate", "api"]));
    assert_eq!(claims(&s(&minted, "id_token"))["azp"], "weaviate");
    // A requested audience replaces the client id in the access token (P63).
    let cc = claims(&s(&client_credentials(&env, &[("audience", "api")]).await, "access_token"));
    assert_eq!(cc["aud"], "api");
}

#[tokio::test]
async fn p119_lifetimes_per_tenant_client_user_and_mint() {
    let idp = MockIdp::builder()
        .configure(|t| {
            t.lifetimes.access_token_s = 1000;
            t.lifetimes.id_token_s = 900;
            t.lifetimes.refresh_token_s = 5000;
        })
        .client(ClientConfig {
            client_id: "short".into(),
            public: true,
            lifetimes: LifetimeOverrides {
                access_token_s: Some(500),
                ..LifetimeOverrides::default()
            },
            ..ClientConfig::default()
        })
        .user(UserConfig {
            username: "brief".into(),
            password: "brief-pass".into(),
            lifetimes: LifetimeOverrides {
                access_token_s: Some(200),
                id_token_s: Some(100),
                ..LifetimeOverrides::default()
            },
            ..UserConfig::default()
        })
        .start()
        .await;
    let env = Env::with(idp);
    let life = |t: &str| {
        let c = claims(t);
        c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap()
    };
    for (client, user, pw, at, id) in [
        ("weaviate", "viewer", "viewer-pass", 1000, 900),
        ("short", "viewer", "viewer-pass", 500, 900),
        ("short", "brief", "brief-pass", 200, 100),
    ] {
        let (status, body) = env
            .token(&[
                ("grant_type", "password"),
                ("username", user),
                ("password", pw),
                ("client_id", client),
            ])
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            (life(&s(&body, "access_token")), life(&s(&body, "id_token"))),
            (at, id),
            "{client}/{user}"
        );
    }
    let minted = mint_ok(&env, json!({"user": "brief", "client_id": "short", "lifetime_s": 42})).await;
    assert_eq!((life(&s(&minted, "access_token")), life(&s(&minted, "id_token"))), (42, 42));
    // The refresh token's lifetime is the tenant's, on the tenant clock.
    let tenant = env.idp.first_tenant();
    tenant.clock().freeze();
    let now = tenant.clock().now();
    let rt = s(
        &mint_ok(&env, json!({"user": "viewer", "tokens": ["refresh_token"]})).await,
        "refresh_token",
    );
    let expires_at = tenant.grants().refresh[&mock_idp::internals::store_key(&rt)].expires_at;
    assert_eq!(expires_at, now + 5000);
    // The minimum is 1 s.
    let err = MockIdp::builder()
        .configure(|t| t.lifetimes.id_token_s = 0)
        .try_start()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("id_token_s"), "{err}");
}

#[tokio::test]
async fn p120_claim_merge_order_and_registered_claims() {
    let idp = MockIdp::builder()
        .configure(|t| {
            t.claims.insert("tier".into(), json!("tenant"));
            t.claims.insert("from_tenant".into(), json!(true));
        })
        .client(ClientConfig {
            client_id: "layered".into(),
            public: true,
            claims: [("tier".to_owned(), json!("client")), ("from_client".to_owned(), json!(1))]
                .into_iter()
                .collect(),
            ..ClientConfig::default()
        })
        .user(UserConfig {
            username: "layer".into(),
            password: "layer-pass".into(),
            claims: [("tier".to_owned(), json!("user"))].into_iter().collect(),
            ..UserConfig::default()
        })
        .start()
        .await;
    let env = Env::with(idp);
    let (status, body) = env
        .token(&[
            ("grant_type", "password"),
            ("username", "layer"),
            ("password", "layer-pass"),
            ("client_id", "layered"),
        ])
        .await;
    assert_eq!(status, 200, "{body}");
    for kind in ["id_token", "access_token"] {
        let c = claims(&s(&body, kind));
        assert_eq!(
            (&c["tier"], &c["from_tenant"], &c["from_client"]),
            (&json!("user"), &json!(true), &json!(1)),
            "{kind}: user over client over tenant"
        );
    }
    let (status, body) = env
        .token(&[
            ("grant_type", "password"),
            ("username", "viewer"),
            ("password", "viewer-pass"),
            ("client_id", "layered"),
        ])
        .await;
    assert_eq!(status, 200);
    assert_eq!(claims(&s(&body, "access_token"))["tier"], "client");
    // A mint request comes last, and may even change registered claims.
    let minted = mint_ok(
        &env,
        json!({"user": "layer", "client_id": "layered", "claims": {"tier": "mint", "iss": "https://elsewhere.invalid"}}),
    )
    .await;
    let c = claims(&s(&minted, "access_token"));
    assert_eq!(
        (c["tier"].as_str(), c["iss"].as_str()),
        (Some("mint"), Some("https://elsewhere.invalid"))
    );
    // Configuration may not set a registered claim.
    for level in ["tenant", "client", "user"] {
        let b = MockIdp::builder();
        let b = match level {
            "tenant" => b.configure(|t| {
                t.claims.insert("iss".into(), json!("x"));
            }),
            "client" => b.client(ClientConfig {
                client_id: "c".into(),
                public: true,
                claims: [("sub".to_owned(), json!("x"))].into_iter().collect(),
                ..ClientConfig::default()
            }),
            _ => b.user(UserConfig {
                username: "u".into(),
                password: "p".into(),
                claims: [("exp".to_owned(), json!(1))].into_iter().collect(),
                ..UserConfig::default()
            }),
        };
        let err = b.try_start().await.unwrap_err();
        assert!(err.to_string().contains("registered claim"), "{level}: {err}");
    }
}

#[tokio::test]
async fn p121_username_claims_for_several_choices() {
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
        let env = Env::with(
            MockIdp::builder()
                .configure(|t| t.username_claims = vec![claim.into()])
                .user(user.clone())
                .start()
                .await,
        );
        let (issuer, keys) = issuer_and_jwks(&env).await;
        let body = env.password_tokens("alice", "alice-pass").await;
        for kind in ["id_token", "access_token"] {
            let t = s(&body, kind);
            assert_eq!(claims(&t)[claim], expected, "{claim} in {kind}");
            assert!(claims(&t)["sub"].is_string(), "sub is always present");
            let verified = rs_verify(&t, &keys, &issuer, "weaviate").unwrap_or_else(|e| panic!("{claim} {kind}: {e}"));
            assert_eq!(verified[claim], expected, "{claim} {kind}: the signed claims carry the username");
        }
        // `username-missing` removes the configured claim and nothing that verification needs
        // (Weaviate's 500 for it: `weaviate-auth-emu`'s `s3_2_username_claim_chosen_by_the_provider_tenant`).
        let minted = mint_ok(&env, json!({"user": "alice", "preset": "username-missing"})).await;
        let verified = rs_verify(&s(&minted, "access_token"), &keys, &issuer, "weaviate").unwrap_or_else(|e| panic!("{claim}: {e}"));
        assert!(verified.get(claim).is_none(), "{claim} removed: {verified}");
        assert!(verified["sub"].is_string(), "{claim}: sub kept");
    }
}

#[tokio::test]
async fn p122_groups_claim_name_empty_array_and_omit_option() {
    let users = |b: mock_idp::MockIdpBuilder| {
        b.user(UserConfig {
            username: "many".into(),
            password: "many-pass".into(),
            groups: vec!["a".into(), "b".into()],
            ..UserConfig::default()
        })
        .user(UserConfig {
            username: "none".into(),
            password: "none-pass".into(),
            ..UserConfig::default()
        })
    };
    let env = Env::with(
        users(MockIdp::builder().configure(|t| t.groups_claim = "roles".into()))
            .start()
            .await,
    );
    let (issuer, keys) = issuer_and_jwks(&env).await;
    let many = env.password_tokens("many", "many-pass").await;
    let none = env.password_tokens("none", "none-pass").await;
    for kind in ["id_token", "access_token"] {
        assert_eq!(claims(&s(&many, kind))["roles"], json!(["a", "b"]), "{kind}");
        assert!(claims(&s(&many, kind)).get("groups").is_none(), "{kind}: only the configured name");
        assert_eq!(claims(&s(&none, kind))["roles"], json!([]), "{kind}: empty array, not missing");
    }
    // Signed as shown (how Weaviate reads a groups claim named `roles`, string or array:
    // `weaviate-auth-emu`'s `s3_2_groups_claim_named_by_the_provider_tenant`).
    let verified = rs_verify(&s(&many, "access_token"), &keys, &issuer, "weaviate").expect("verifies");
    assert_eq!(verified["roles"], json!(["a", "b"]));
    let as_string = mint_ok(&env, json!({"user": "many", "preset": "groups-as-string"})).await;
    assert_eq!(claims(&s(&as_string, "access_token"))["roles"], "a");
    let verified = rs_verify(&s(&as_string, "access_token"), &keys, &issuer, "weaviate").expect("verifies");
    assert_eq!(verified["roles"], "a", "the first group, as one string, signed");
    // The tenant option leaves an empty groups claim out.
    let env = Env::with(users(MockIdp::builder().configure(|t| t.omit_empty_groups = true)).start().await);
    let none = env.password_tokens("none", "none-pass").await;
    let many = env.password_tokens("many", "many-pass").await;
    for kind in ["id_token", "access_token"] {
        assert!(claims(&s(&none, kind)).get("groups").is_none(), "{kind}");
        assert_eq!(claims(&s(&many, kind))["groups"], json!(["a", "b"]), "{kind}");
    }
}

#[tokio::test]
async fn p123_two_tenants_shape_tokens_independently() {
    let mut other = TenantConfig::named("other");
    other.groups_claim = "roles".into();
    other.username_claims = vec!["email".into()];
    other.nbf = false;
    other.lifetimes.access_token_s = 120;
    other.users = vec![UserConfig {
        username: "admin".into(),
        password: "admin-pass".into(),
        email: Some("root@other.example".into()),
        groups: vec!["ops".into()],
        ..UserConfig::default()
    }];
    other.clients = vec![ClientConfig {
        client_id: "weaviate".into(),
        public: true,
        audience_form: AudienceForm::Array,
        ..ClientConfig::default()
    }];
    let env = Env::with(MockIdp::builder().tenant(other).start().await);
    let first = env.password_tokens("admin", "admin-pass").await;
    let other_issuer = env.idp.issuer_url_of("other").unwrap();
    let token_url = format!("{other_issuer}/token");
    let second: Value = env
        .http
        .post(&token_url)
        .form(&[
            ("grant_type", "password"),
            ("username", "admin"),
            ("password", "admin-pass"),
            ("client_id", "weaviate"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (a, b) = (claims(&s(&first, "access_token")), claims(&s(&second, "access_token")));
    assert_eq!(a["iss"].as_str(), Some(env.idp.issuer_url().as_str()));
    assert_eq!(b["iss"].as_str(), Some(other_issuer.as_str()));
    assert_eq!((a["groups"].clone(), b["roles"].clone()), (json!(["admins"]), json!(["ops"])));
    assert!(a.get("roles").is_none() && b.get("groups").is_none());
    assert!(a.get("preferred_username").is_some() && b.get("preferred_username").is_none());
    assert_eq!(b["email"], "root@other.example");
    assert!(a.get("nbf").is_some() && b.get("nbf").is_none());
    assert_eq!((a["aud"].clone(), b["aud"].clone()), (json!("weaviate"), json!(["weaviate"])));
    assert_eq!(b["exp"].as_i64().unwrap() - b["iat"].as_i64().unwrap(), 120);
    assert_ne!(a["sub"], b["sub"], "subjects are per tenant");
    assert_ne!(
        header(&s(&first, "access_token"))["kid"],
        header(&s(&second, "access_token"))["kid"],
        "keys are per tenant"
    );
    // Minting follows each tenant's shape too, and a token of one tenant does not verify at the other.
    let m = env.idp.mint_in("other", TokenBuilder::new()).unwrap();
    let mc = claims(m.access_token.as_deref().unwrap());
    assert_eq!(
        (mc["iss"].as_str(), mc["roles"].clone()),
        (Some(other_issuer.as_str()), json!(["ops"]))
    );
    let other_jwks: Value = env
        .http
        .get(format!("{other_issuer}/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(rs_verify(&s(&first, "access_token"), &other_jwks, &other_issuer, "weaviate").is_err());
    rs_verify(&s(&second, "access_token"), &other_jwks, &other_issuer, "weaviate").expect("verifies at its own tenant");
}
