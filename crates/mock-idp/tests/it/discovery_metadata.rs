//! The discovery document: JSON with CORS, required and optional members, the lists that follow
//! configuration, registered names only, stability (P11-P25).

use std::collections::BTreeSet;

use mock_idp::{Alg, GrantType, MockIdp};
use serde_json::{json, Value};

use crate::discovery_support::REGISTERED_METADATA;
use crate::support::Env;

const OPTIONAL: [(&str, &str); 3] = [
    ("introspection_endpoint", "introspection_endpoint_auth_methods_supported"),
    ("revocation_endpoint", "revocation_endpoint_auth_methods_supported"),
    ("end_session_endpoint", ""),
];

fn as_set(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|s| s.as_str().expect("strings").to_owned())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn p11_discovery_is_a_json_object_with_cors() {
    let env = Env::start().await;
    let resp = env.http.get(env.idp.discovery_url()).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    let body: Value = resp.json().await.unwrap();
    assert!(body.is_object());
}

#[tokio::test]
async fn p12_p13_required_members_are_present_and_endpoints_absolute() {
    let doc = Env::start().await.discovery().await;
    for m in [
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "response_types_supported",
        "subject_types_supported",
        "id_token_signing_alg_values_supported",
        "userinfo_endpoint",
    ] {
        assert!(!doc[m].is_null(), "{m} is missing");
    }
    assert_eq!(doc["subject_types_supported"], json!(["public"]));
    for (k, v) in doc.as_object().unwrap() {
        if k.ends_with("_endpoint") || k == "jwks_uri" || k == "issuer" {
            let url = reqwest::Url::parse(v.as_str().unwrap()).unwrap_or_else(|e| panic!("{k} = {v}: {e}"));
            assert!(url.scheme() == "http" || url.scheme() == "https", "{k}");
            assert!(url.host_str().is_some(), "{k}");
        }
    }
}

#[tokio::test]
async fn p14_optional_endpoints_are_listed_only_when_enabled_and_404_when_not() {
    // Arrange
    let on = Env::start().await;
    let off = Env::with(MockIdp::builder().configure(|t| t.optional_endpoints = false).start().await);
    let (doc_on, doc_off) = (on.discovery().await, off.discovery().await);
    for (endpoint, methods) in OPTIONAL {
        // Assert: listed with its auth methods when on; absent when off.
        assert!(doc_on[endpoint].is_string(), "{endpoint} listed when enabled");
        assert!(doc_off.get(endpoint).is_none(), "{endpoint} absent when disabled");
        if !methods.is_empty() {
            assert!(doc_on[methods].is_array(), "{methods}");
            assert!(doc_off.get(methods).is_none(), "{methods}");
        }
        // Act: the disabled route answers 404; the enabled one is not the disabled answer.
        let path = doc_on[endpoint]
            .as_str()
            .unwrap()
            .strip_prefix(&on.idp.base_url())
            .unwrap()
            .to_owned();
        let method = if endpoint == "end_session_endpoint" {
            reqwest::Method::GET
        } else {
            reqwest::Method::POST
        };
        let resp = off
            .http
            .request(method.clone(), format!("{}{path}", off.idp.base_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 404, "{endpoint} must not be served when disabled");
        let body: Value = resp.json().await.unwrap();
        assert!(body["message"].as_str().unwrap_or("").contains("disabled"), "{body}");
        let resp = on
            .http
            .request(method, format!("{}{path}", on.idp.base_url()))
            .send()
            .await
            .unwrap();
        let text = resp.text().await.unwrap();
        assert!(!text.contains("disabled for this tenant"), "{endpoint} enabled: {text}");
    }
}

#[tokio::test]
async fn p15_p16_response_types_and_modes() {
    let doc = Env::start().await.discovery().await;
    assert_eq!(
        as_set(&doc["response_types_supported"]),
        set(&["code", "id_token", "code id_token"])
    );
    assert_eq!(doc["response_modes_supported"], json!(["query", "fragment", "form_post"]));
    // Without the implicit grant the front-channel ID token types go away with it.
    let no_implicit = Env::with(
        MockIdp::builder()
            .configure(|t| t.grant_types.retain(|g| *g != GrantType::Implicit))
            .start()
            .await,
    );
    assert_eq!(as_set(&no_implicit.discovery().await["response_types_supported"]), set(&["code"]));
}

#[tokio::test]
async fn p17_grant_list_follows_configuration_and_a_disabled_grant_is_refused() {
    // Arrange
    let on = Env::start().await;
    let off = Env::with(
        MockIdp::builder()
            .configure(|t| t.grant_types.retain(|g| *g != GrantType::Password))
            .start()
            .await,
    );
    let form = [
        ("grant_type", "password"),
        ("username", "admin"),
        ("password", "admin-pass"),
        ("client_id", "weaviate"),
    ];
    // Act
    let (status_off, body_off) = off.token(&form).await;
    let (status_on, body_on) = on.token(&form).await;
    // Assert
    assert_eq!(
        as_set(&on.discovery().await["grant_types_supported"]),
        set(&["authorization_code", "implicit", "password", "client_credentials", "refresh_token"])
    );
    assert!(!as_set(&off.discovery().await["grant_types_supported"]).contains("password"));
    assert_eq!(
        (status_off, body_off["error"].as_str()),
        (400, Some("unsupported_grant_type")),
        "{body_off}"
    );
    assert_eq!(status_on, 200, "{body_on}");
}

#[tokio::test]
async fn p18_p19_scopes_and_claims_include_the_configured_ones() {
    let env = Env::with(
        MockIdp::builder()
            .configure(|t| {
                t.scopes.push("weaviate:read".into());
                t.groups_claim = "roles".into();
                t.groups_scope = "roles".into();
                t.username_claims = vec!["preferred_username".into(), "upn".into()];
                t.claims.insert("department".into(), json!("qa"));
            })
            .start()
            .await,
    );
    let doc = env.discovery().await;
    let scopes = as_set(&doc["scopes_supported"]);
    for s in ["openid", "profile", "email", "offline_access", "roles", "weaviate:read"] {
        assert!(scopes.contains(s), "scope {s}: {scopes:?}");
    }
    let claims = as_set(&doc["claims_supported"]);
    for c in [
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "email",
        "email_verified",
        "preferred_username",
        "upn",
        "roles",
        "department",
    ] {
        assert!(claims.contains(c), "claim {c}: {claims:?}");
    }
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

#[tokio::test]
async fn p20_signing_algorithms_list_every_key_and_rs256_and_nothing_symmetric() {
    let env = Env::start().await;
    let doc = env.discovery().await;
    let algs = as_set(&doc["id_token_signing_alg_values_supported"]);
    assert!(algs.contains("RS256"));
    for bad in ["none", "HS256", "HS384", "HS512"] {
        assert!(!algs.contains(bad), "{bad}");
    }
    for key in env.jwks().await["keys"].as_array().unwrap() {
        assert!(
            algs.contains(key["alg"].as_str().unwrap()),
            "{} is published but not listed",
            key["alg"]
        );
    }
}

#[tokio::test]
async fn p21_p22_auth_methods_and_pkce_methods_follow_configuration() {
    let doc = Env::start().await.discovery().await;
    assert_eq!(
        as_set(&doc["token_endpoint_auth_methods_supported"]),
        set(&["client_secret_basic", "client_secret_post", "none"])
    );
    assert_eq!(as_set(&doc["code_challenge_methods_supported"]), set(&["S256", "plain"]));
    let strict = Env::with(MockIdp::builder().configure(|t| t.pkce_plain = false).start().await);
    assert_eq!(strict.discovery().await["code_challenge_methods_supported"], json!(["S256"]));
}

#[tokio::test]
async fn p23_missing_capabilities_are_declared_false() {
    let doc = Env::start().await.discovery().await;
    for m in [
        "request_parameter_supported",
        "request_uri_parameter_supported",
        "claims_parameter_supported",
    ] {
        assert_eq!(doc[m], json!(false), "{m}");
    }
    assert_eq!(doc["authorization_response_iss_parameter_supported"], json!(true));
    let off = Env::with(MockIdp::builder().configure(|t| t.authorization_response_iss = false).start().await);
    assert_eq!(
        off.discovery().await["authorization_response_iss_parameter_supported"],
        json!(false)
    );
}

#[tokio::test]
async fn p24_only_registered_member_names() {
    let doc = Env::start().await.discovery().await;
    for name in doc.as_object().unwrap().keys() {
        assert!(
            REGISTERED_METADATA.contains(&name.as_str()),
            "{name} is not a registered metadata member"
        );
    }
}

#[tokio::test]
async fn p25_document_is_stable_until_the_key_set_changes() {
    // Arrange
    let env = Env::start().await;
    let url = env.idp.discovery_url();
    // Act
    let first = env.http.get(&url).send().await.unwrap().bytes().await.unwrap();
    let second = env.http.get(&url).send().await.unwrap().bytes().await.unwrap();
    let added = mock_idp::SigningKey::from_seed("p25", Alg::ES384);
    env.idp.first_tenant().keys_mut().add(added);
    let third: Value = env.http.get(&url).send().await.unwrap().json().await.unwrap();
    // Assert
    assert_eq!(first, second, "two GETs give the same bytes");
    assert!(
        as_set(&third["id_token_signing_alg_values_supported"]).contains("ES384"),
        "a key change shows"
    );
}
