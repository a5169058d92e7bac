//! Provider personas (P124): each persona's own shapes, and the MUST items every persona keeps.

use mock_idp::Persona;
use mock_idp::{Config, MockIdp};
use serde_json::{json, Value};

use crate::discovery_support::{verify, REGISTERED_METADATA};
use crate::support::{claims, Env};

async fn start(persona: Option<Persona>) -> Env {
    Env::with(MockIdp::builder().configure(|t| t.persona = persona).start().await)
}

/// ID token and access token claims of `admin` (groups `admins`) by the password grant.
async fn admin_tokens(env: &Env) -> (Value, Value) {
    let (status, body) = env
        .token(&[
            ("grant_type", "password"),
            ("username", "admin"),
            ("password", "admin-pass"),
            ("client_id", "weaviate"),
            ("scope", "openid profile email groups"),
        ])
        .await;
    assert_eq!(status, 200, "{body}");
    (
        claims(body["id_token"].as_str().unwrap()),
        claims(body["access_token"].as_str().unwrap()),
    )
}

#[tokio::test]
async fn p124_every_persona_keeps_issuer_signatures_registered_claims_and_metadata() {
    // Arrange: the tenant without a persona is the reference.
    let plain = start(None).await;
    let (plain_id, _) = admin_tokens(&plain).await;
    for persona in Persona::ALL {
        let env = start(Some(persona)).await;
        let doc = env.discovery().await;
        let jwks: Value = env
            .http
            .get(doc["jwks_uri"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        // Act
        let (status, body) = env
            .token(&[
                ("grant_type", "password"),
                ("username", "admin"),
                ("password", "admin-pass"),
                ("client_id", "weaviate"),
            ])
            .await;
        // Assert
        assert_eq!(status, 200, "{persona:?}: {body}");
        let issuer = doc["issuer"].as_str().unwrap();
        assert_eq!(issuer, env.idp.issuer_url(), "{persona:?}: P2");
        for name in doc.as_object().unwrap().keys() {
            assert!(REGISTERED_METADATA.contains(&name.as_str()), "{persona:?}: P24 {name}");
        }
        for jwt in [&body["id_token"], &body["access_token"]] {
            let c = verify(jwt.as_str().unwrap(), &jwks, issuer).unwrap_or_else(|e| panic!("{persona:?}: {e}"));
            assert_eq!(c["sub"], plain_id["sub"], "{persona:?}: sub is unchanged");
            assert!(c["exp"].as_i64().unwrap() > c["iat"].as_i64().unwrap(), "{persona:?}");
        }
        let id = claims(body["id_token"].as_str().unwrap());
        assert_eq!(id["aud"], plain_id["aud"], "{persona:?}: aud is unchanged");
        // Every claim the persona adds is advertised (P19).
        let supported: Vec<&str> = doc["claims_supported"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for c in persona.claims_supported() {
            assert!(supported.contains(c), "{persona:?}: {c} not in claims_supported");
        }
    }
}

#[tokio::test]
async fn p124_keycloak_puts_groups_in_realm_access_roles() {
    // Arrange
    let env = start(Some(Persona::Keycloak)).await;
    let plain = start(None).await;
    // Act
    let (id, at) = admin_tokens(&env).await;
    let (plain_id, _) = admin_tokens(&plain).await;
    // Assert
    for c in [&id, &at] {
        assert_eq!(c["realm_access"], json!({"roles": ["admins"]}), "{c}");
        assert_eq!(c["preferred_username"], "admin");
    }
    assert!(plain_id.get("realm_access").is_none(), "only the persona adds it");
}

#[tokio::test]
async fn p124_okta_adds_ver_cid_and_uid() {
    let env = start(Some(Persona::Okta)).await;
    let (id, at) = admin_tokens(&env).await;
    assert_eq!(id["ver"], 1);
    assert_eq!(at["ver"], 1);
    assert_eq!(at["cid"], "weaviate");
    assert_eq!(at["uid"], at["sub"]);
    assert!(id.get("cid").is_none(), "cid is an access-token claim");
    assert_eq!(id["preferred_username"], "admin");
}

fn is_guid(v: &Value) -> bool {
    v.as_str().is_some_and(|s| uuid::Uuid::parse_str(s).is_ok() && s.len() == 36)
}

#[tokio::test]
async fn p124_entra_adds_tid_oid_and_turns_groups_into_guids() {
    // Arrange
    let env = start(Some(Persona::Entra)).await;
    let again = start(Some(Persona::Entra)).await;
    // Act
    let (id, at) = admin_tokens(&env).await;
    let (id_again, _) = admin_tokens(&again).await;
    // Assert
    for c in [&id, &at] {
        assert_eq!(c["ver"], "2.0");
        assert!(is_guid(&c["tid"]), "tid {}", c["tid"]);
        assert!(is_guid(&c["oid"]), "oid {}", c["oid"]);
        assert_eq!(c["preferred_username"], "admin");
    }
    let groups = id["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 1);
    assert!(is_guid(&groups[0]) && groups[0] != "admins", "{groups:?}");
    // Stable across starts, so RS configuration (admin group ids) can name them.
    assert_eq!(id["tid"], id_again["tid"]);
    assert_eq!(id["oid"], id_again["oid"]);
    assert_eq!(id["groups"], id_again["groups"]);
    // A different user gets a different oid and group id.
    let (status, viewer) = env
        .token(&[
            ("grant_type", "password"),
            ("username", "viewer"),
            ("password", "viewer-pass"),
            ("client_id", "weaviate"),
        ])
        .await;
    assert_eq!(status, 200);
    let viewer = claims(viewer["id_token"].as_str().unwrap());
    assert_ne!(viewer["oid"], id["oid"]);
    assert_ne!(viewer["groups"], id["groups"]);
    assert_eq!(viewer["tid"], id["tid"]);
}

#[tokio::test]
async fn p124_auth0_issuer_ends_in_a_slash_and_an_rp_accepts_it() {
    // Arrange
    let env = start(Some(Persona::Auth0)).await;
    // Act
    let doc = env.discovery().await;
    let (id, at) = admin_tokens(&env).await;
    // Assert
    let issuer = env.idp.issuer_url();
    assert!(issuer.ends_with("/default/"), "{issuer}");
    assert_eq!(doc["issuer"].as_str(), Some(issuer.as_str()));
    assert_eq!(id["iss"].as_str(), Some(issuer.as_str()));
    assert_eq!(at["iss"].as_str(), Some(issuer.as_str()));
    assert_eq!(id["nickname"], "admin");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    openidconnect::core::CoreProviderMetadata::discover_async(openidconnect::IssuerUrl::new(issuer).unwrap(), &http)
        .await
        .expect("an OpenID RP discovers the slash issuer");
}

#[tokio::test]
async fn p124_google_adds_hd_and_drops_groups() {
    // Arrange
    let env = start(Some(Persona::Google)).await;
    // Act
    let (id, at) = admin_tokens(&env).await;
    let doc = env.discovery().await;
    // Assert
    assert_eq!(id["hd"], "example.com");
    assert_eq!(id["email"], "admin@example.com");
    assert_eq!(id["email_verified"], true);
    assert!(id.get("groups").is_none() && at.get("groups").is_none(), "{id}");
    let supported: Vec<&str> = doc["claims_supported"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(!supported.contains(&"groups"), "a claim never emitted is not advertised");
}

#[test]
fn p124_persona_is_one_config_setting() {
    for persona in Persona::ALL {
        let text = format!("[[tenant]]\nname = \"default\"\npersona = \"{}\"\n", persona.as_str());
        let config = Config::from_toml(&text, std::path::Path::new("persona.toml")).expect("a persona parses");
        assert_eq!(config.tenants[0].persona, Some(persona));
    }
    let err = Config::from_toml(
        "[[tenant]]\nname = \"default\"\npersona = \"ping\"\n",
        std::path::Path::new("persona.toml"),
    )
    .expect_err("an unknown persona is refused");
    assert!(err.to_string().contains("ping"), "{err}");
}

#[tokio::test]
async fn p124_bad_credentials_use_the_persona_wording_for_unknown_user_and_wrong_password_alike() {
    for (persona, text) in [
        (None, "Invalid user credentials"),
        (Some(Persona::Entra), "AADSTS50126"),
        (Some(Persona::Okta), "The credentials provided were invalid."),
        (Some(Persona::Auth0), "Wrong email or password."),
    ] {
        // Arrange
        let env = start(persona).await;
        let form = |user: &'static str, pw: &'static str| {
            [
                ("grant_type", "password"),
                ("username", user),
                ("password", pw),
                ("client_id", "weaviate"),
            ]
        };
        // Act
        let (s1, wrong_pw) = env.token(&form("admin", "nope")).await;
        let (s2, unknown) = env.token(&form("nobody", "nope")).await;
        let (s3, ok) = env.token(&form("admin", "admin-pass")).await;
        // Assert
        assert_eq!((s1, s2, s3), (400, 400, 200), "{persona:?}: {ok}");
        assert_eq!(wrong_pw, unknown, "{persona:?}: P58 one answer for both");
        assert_eq!(wrong_pw["error"], "invalid_grant");
        assert!(
            wrong_pw["error_description"].as_str().unwrap().contains(text),
            "{persona:?}: {wrong_pw}"
        );
    }
}
