//! Spec 1.6 and 3.2 against the provider's personas (oidc-provider.md P124): with
//! `AUTHENTICATION_OIDC_ISSUER` set to a persona's issuer (a Keycloak realm, an Entra v2.0
//! tenant, an Okta authorization server, an Auth0 slash issuer, Google), the emulation discovers
//! the provider at the persona's paths and accepts a token obtained from its token endpoint.

use mock_idp::{Endpoint, MockIdp, Persona};
use serde_json::Value;

use crate::support::Env;

#[tokio::test]
async fn s3_2_a_token_of_each_persona_is_accepted_through_the_personas_paths() {
    for persona in Persona::ALL {
        // Arrange: Weaviate configured with the persona's issuer, as a deployment would be.
        let idp = MockIdp::builder().configure(|t| t.persona = Some(persona)).start().await;
        let issuer = idp.issuer_url();
        let env = Env::start(&[
            ("AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED", "false"),
            ("AUTHENTICATION_OIDC_ENABLED", "true"),
            ("AUTHENTICATION_OIDC_ISSUER", &issuer),
            ("AUTHENTICATION_OIDC_CLIENT_ID", "weaviate"),
            ("AUTHENTICATION_OIDC_USERNAME_CLAIM", "email"),
            ("AUTHENTICATION_OIDC_GROUPS_CLAIM", "groups"),
        ])
        .await;
        // A password-grant access token from the token endpoint that discovery advertises.
        let http = reqwest::Client::new();
        let doc: Value = http.get(idp.discovery_url()).send().await.unwrap().json().await.unwrap();
        let token_url = doc["token_endpoint"].as_str().unwrap();
        let body: Value = http
            .post(token_url)
            .form(&[
                ("grant_type", "password"),
                ("username", "admin"),
                ("password", "admin-pass"),
                ("client_id", "weaviate"),
                ("scope", "openid profile email"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = body["access_token"].as_str().unwrap_or_else(|| panic!("{persona:?}: {body}"));
        // Act
        let answer = env.get("/v1/meta", Some(token)).await;
        let forged = env.get("/v1/meta", Some(&format!("{token}x"))).await;
        // Assert: accepted, with the keys fetched from the persona's JWKS path (journal).
        assert_eq!(answer.status, 200, "{persona:?} ({issuer}): {}", answer.body);
        assert_eq!(forged.status, 401, "{persona:?}: a bad signature is still refused");
        let counters = idp.counters();
        // Discovery: once by the emulation at start, once by this test for the token endpoint.
        assert_eq!(counters.get(&Endpoint::Discovery).copied(), Some(2), "{persona:?}: {counters:?}");
        assert!(
            counters.get(&Endpoint::Jwks).copied().unwrap_or(0) >= 1,
            "{persona:?}: {counters:?}"
        );
        let jwks_paths: Vec<String> = idp
            .journal(&Default::default())
            .into_iter()
            .filter(|e| e.endpoint == Endpoint::Jwks)
            .map(|e| e.path)
            .collect();
        let jwks_uri = doc["jwks_uri"].as_str().unwrap();
        assert!(
            jwks_paths.iter().all(|p| jwks_uri.ends_with(p.as_str())),
            "{persona:?}: {jwks_paths:?} vs {jwks_uri}"
        );
    }
}
