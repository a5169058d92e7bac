//! Provider personas' paths (P124): each persona's issuer and endpoints sit where the real
//! provider puts them, discovery advertises them, the router serves them, and an independent
//! relying party (the `openidconnect` crate) completes discovery, both token flows and
//! verification against them.

use mock_idp::internals::{tenant_guid, Paths, ROUTED};
use mock_idp::{Endpoint, MockIdp, Persona};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims};
use openidconnect::{
    AuthorizationCode, ClientId, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, ResourceOwnerPassword,
    ResourceOwnerUsername, Scope, TokenResponse,
};
use serde_json::Value;

use crate::support::claims;

const REDIRECT: &str = "http://127.0.0.1/callback";

/// A provider whose default tenant has `persona` and logs `admin` in without a page (P98).
async fn start(persona: Option<Persona>) -> MockIdp {
    MockIdp::builder()
        .configure(|t| {
            t.persona = persona;
            t.auto_login = Some("admin".into());
        })
        .start()
        .await
}

fn http() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .expect("a reqwest client builds")
}

/// The issuer a persona's table gives the default tenant, spelled out per provider.
fn expected_issuer(persona: Option<Persona>, base: &str) -> String {
    match persona {
        None => format!("{base}/default"),
        Some(Persona::Keycloak) => format!("{base}/realms/default"),
        Some(Persona::Okta) => format!("{base}/oauth2/default"),
        Some(Persona::Entra) => format!("{base}/{}/v2.0", tenant_guid("default")),
        Some(Persona::Auth0) => format!("{base}/default/"),
        Some(Persona::Google) => format!("{base}/default"),
        Some(other) => panic!("no expectation for {other:?}"),
    }
}

fn personas() -> impl Iterator<Item = Option<Persona>> {
    std::iter::once(None).chain(Persona::ALL.into_iter().map(Some))
}

#[tokio::test]
async fn p124_discovery_advertises_each_personas_paths_and_only_those_are_served() {
    for persona in personas() {
        // Arrange
        let idp = start(persona).await;
        let base = idp.base_url();
        let paths = Paths::of(persona);
        let tenant = idp.first_tenant();
        let http = reqwest::Client::new();
        // Act
        let doc: Value = http.get(idp.discovery_url()).send().await.unwrap().json().await.unwrap();
        // Assert: the issuer has the provider's shape, and every endpoint is the table's.
        assert_eq!(idp.issuer_url(), expected_issuer(persona, &base), "{persona:?}");
        assert_eq!(doc["issuer"].as_str(), Some(idp.issuer_url().as_str()), "{persona:?}");
        for (field, endpoint) in [
            ("authorization_endpoint", Endpoint::Authorize),
            ("token_endpoint", Endpoint::Token),
            ("userinfo_endpoint", Endpoint::Userinfo),
            ("jwks_uri", Endpoint::Jwks),
            ("introspection_endpoint", Endpoint::Introspection),
            ("revocation_endpoint", Endpoint::Revocation),
            ("end_session_endpoint", Endpoint::EndSession),
        ] {
            let want = format!("{base}{}{}", tenant.root_path(), paths.path(endpoint).unwrap());
            assert_eq!(doc[field].as_str(), Some(want.as_str()), "{persona:?} {field}");
        }
        // RFC 8414 metadata sits between host and the issuer path (P10).
        let issuer_path = idp.issuer_url()[base.len()..].to_owned();
        let rfc8414 = http
            .get(format!("{base}/.well-known/oauth-authorization-server{issuer_path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(rfc8414.status(), 200, "{persona:?}");
        assert_eq!(rfc8414.json::<Value>().await.unwrap(), doc, "{persona:?}");
        // A plain path the persona does not use is a 404, not a second way in.
        for e in ROUTED {
            let plain = mock_idp::internals::PLAIN.path(e).unwrap();
            if paths.endpoint_at(plain).is_some() {
                continue;
            }
            for root in [tenant.root_path().to_owned(), "/default".to_owned()] {
                let resp = http.post(format!("{base}{root}{plain}")).send().await.unwrap();
                assert_eq!(resp.status(), 404, "{persona:?}: {root}{plain} is served");
            }
        }
        // The controls live under `{issuer}/_mock/`, and the journal names the endpoint.
        let jwks = http.get(doc["jwks_uri"].as_str().unwrap()).send().await.unwrap();
        assert_eq!(jwks.status(), 200, "{persona:?}");
        let counters: Value = http
            .get(format!("{}/_mock/counters", idp.issuer_url().trim_end_matches('/')))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(counters["jwks"], 1, "{persona:?}: {counters}");
    }
}

#[tokio::test]
async fn p124_openidconnect_completes_password_and_code_flows_against_each_personas_paths() {
    for persona in personas() {
        // Arrange: discovery through the crate (it checks the issuer and fetches the JWKS).
        let idp = start(persona).await;
        let http = http();
        let meta = CoreProviderMetadata::discover_async(IssuerUrl::new(idp.issuer_url()).unwrap(), &http)
            .await
            .unwrap_or_else(|e| panic!("{persona:?}: discovery refused: {e:?}"));
        let client = CoreClient::from_provider_metadata(meta, ClientId::new("weaviate".into()), None)
            .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
        let verifier = client.id_token_verifier();
        // Act: the password grant.
        let tokens = client
            .exchange_password(
                &ResourceOwnerUsername::new("admin".into()),
                &ResourceOwnerPassword::new("admin-pass".into()),
            )
            .expect("a token endpoint")
            .add_scopes(["openid", "profile"].map(|s| Scope::new(s.into())))
            .request_async(&http)
            .await
            .unwrap_or_else(|e| panic!("{persona:?}: password grant: {e:?}"));
        // Assert: the ID token verifies against the persona's JWKS and issuer.
        let id_token = tokens.id_token().expect("an ID token");
        let verified = id_token
            .claims(&verifier, |_: Option<&Nonce>| Ok::<(), String>(()))
            .unwrap_or_else(|e| panic!("{persona:?}: {e:?}"));
        assert_eq!(verified.issuer().as_str(), idp.issuer_url(), "{persona:?}");
        // Userinfo at the persona's path answers for the access token.
        let info: CoreUserInfoClaims = client
            .user_info(tokens.access_token().clone(), None)
            .expect("a userinfo endpoint")
            .request_async(&http)
            .await
            .unwrap_or_else(|e| panic!("{persona:?}: userinfo: {e:?}"));
        assert_eq!(info.subject(), verified.subject(), "{persona:?}");
        // The code flow with PKCE through the persona's authorize and token endpoints.
        let (challenge, pkce) = PkceCodeChallenge::new_random_sha256();
        let (url, _state, nonce) = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .set_pkce_challenge(challenge)
            .url();
        let resp = http.get(url).send().await.unwrap();
        assert!(resp.status().is_redirection(), "{persona:?}: authorize {}", resp.status());
        let back = openidconnect::url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
        let code = back
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("{persona:?}: no code in {back}"));
        let exchanged = client
            .exchange_code(AuthorizationCode::new(code))
            .expect("a token endpoint")
            .set_pkce_verifier(pkce)
            .request_async(&http)
            .await
            .unwrap_or_else(|e| panic!("{persona:?}: code exchange: {e:?}"));
        exchanged
            .id_token()
            .expect("an ID token")
            .claims(&verifier, &nonce)
            .unwrap_or_else(|e| panic!("{persona:?}: {e:?}"));
    }
}

#[tokio::test]
async fn p124_entra_tid_claim_is_the_guid_in_the_issuer_path() {
    // Arrange
    let idp = start(Some(Persona::Entra)).await;
    // Act
    let token = idp.mint_access_token("admin");
    // Assert
    let tid = claims(&token)["tid"].as_str().expect("a tid").to_owned();
    let path = idp.issuer_url()[idp.base_url().len()..].to_owned();
    assert_eq!(path, format!("/{tid}/v2.0"));
    assert!(uuid::Uuid::parse_str(&tid).is_ok(), "{tid}");
}

#[test]
fn p124_a_configured_issuer_must_have_the_personas_path() {
    let text = |issuer: &str| format!("[[tenant]]\nname = \"kc\"\npersona = \"keycloak\"\nissuer = \"{issuer}\"\n");
    let path = std::path::Path::new("persona.toml");
    let err = mock_idp::Config::from_toml(&text("http://idp:8080/kc"), path).expect_err("the plain path is refused");
    assert!(err.to_string().contains("/realms/kc"), "{err}");
    mock_idp::Config::from_toml(&text("http://idp:8080/realms/kc"), path).expect("the realm path is accepted");
}
