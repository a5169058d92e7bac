//! The `openidconnect` crate as an independent relying party against a running `MockIdp`.
//!
//! Nothing here decodes a token by hand: discovery, the token requests, the ID token's
//! signature (through the provider's JWKS), issuer, audience, nonce, `at_hash` and `c_hash` are
//! all checked by the crate. If it accepts what we serve, real relying parties will too.
//! The browser flows use the headless login (`auto_login`, P98): the test GETs the authorization
//! URL without following redirects and reads the response from `Location`.

use mock_idp::{Alg, ClientConfig, MockIdp};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreErrorResponseType, CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKey, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreResponseType, CoreTokenResponse,
};
use openidconnect::url::Url;
use openidconnect::{
    AccessTokenHash, AuthType, AuthorizationCode, AuthorizationCodeHash, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, JsonWebKey, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, ResourceOwnerPassword, ResourceOwnerUsername, Scope, TokenResponse,
};

/// A client built from discovery: authorization URL set, token and userinfo URLs maybe set.
type DiscoveredClient = CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// The redirect URI registered for the built-in `weaviate` client.
const REDIRECT: &str = "http://127.0.0.1/callback";

/// An HTTP client that never follows redirects (the crate's own advice against SSRF, and how the
/// tests read `Location`).
fn http() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .expect("a reqwest client builds")
}

/// Discovery through the crate, which also fetches and parses the JWKS.
async fn discover(idp: &MockIdp, http: &openidconnect::reqwest::Client) -> CoreProviderMetadata {
    let issuer = IssuerUrl::new(idp.issuer_url()).expect("the issuer is a URL");
    CoreProviderMetadata::discover_async(issuer, http)
        .await
        .unwrap_or_else(|e| panic!("openidconnect refused our discovery document: {e:?}"))
}

/// The public `weaviate` client, with its registered redirect URI.
async fn weaviate(idp: &MockIdp, http: &openidconnect::reqwest::Client) -> DiscoveredClient {
    let meta = discover(idp, http).await;
    CoreClient::from_provider_metadata(meta, ClientId::new("weaviate".into()), None)
        .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).expect("a redirect URL"))
}

/// A provider whose authorize endpoint logs `admin` in without a page (P98).
async fn headless() -> MockIdp {
    MockIdp::builder().configure(|t| t.auto_login = Some("admin".into())).start().await
}

/// A nonce verifier that demands the ID token carry no nonce (P57, P81).
fn no_nonce(nonce: Option<&Nonce>) -> Result<(), String> {
    match nonce {
        None => Ok(()),
        Some(n) => Err(format!("unexpected nonce {}", n.secret())),
    }
}

/// Password grant with the given user through `client`.
async fn password(
    client: &DiscoveredClient,
    http: &openidconnect::reqwest::Client,
    user: &str,
    pw: &str,
    scope: &str,
) -> CoreTokenResponse {
    let user = ResourceOwnerUsername::new(user.into());
    let pw = ResourceOwnerPassword::new(pw.into());
    client
        .exchange_password(&user, &pw)
        .expect("discovery gave a token endpoint")
        .add_scopes(scope.split(' ').map(|s| Scope::new(s.into())))
        .request_async(http)
        .await
        .unwrap_or_else(|e| panic!("the password grant failed: {e:?}"))
}

/// Checks `at_hash` the crate's way: hash of the access token with the ID token's alg and key.
fn assert_at_hash(
    id_token: &CoreIdToken,
    verifier: &CoreIdTokenVerifier<'_>,
    tokens: &CoreTokenResponse,
    nonce: impl openidconnect::NonceVerifier,
) {
    let claims = id_token.claims(verifier, nonce).expect("the ID token verifies");
    let alg = id_token.signing_alg().expect("a signing alg");
    let key = id_token.signing_key(verifier).expect("the JWKS has the signing key");
    let expected = AccessTokenHash::from_token(tokens.access_token(), alg, key).expect("the crate hashes for this alg");
    assert_eq!(
        claims.access_token_hash(),
        Some(&expected),
        "at_hash does not match the access token"
    );
}

/// GETs an authorization URL and returns the redirect it answers with.
async fn follow_once(http: &openidconnect::reqwest::Client, url: Url) -> Url {
    let resp = http.get(url).send().await.expect("the authorization endpoint answers");
    let status = resp.status();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("authorize answered {status} without Location"));
    assert!(status.is_redirection(), "authorize answered {status}");
    Url::parse(&location).expect("Location is an absolute URL")
}

/// The parameters of a redirect, from its query or its fragment.
fn params(part: Option<&str>) -> std::collections::HashMap<String, String> {
    form_urlencoded::parse(part.unwrap_or("").as_bytes()).into_owned().collect()
}

#[tokio::test]
async fn p12_openidconnect_accepts_the_discovery_document_and_jwks() {
    // Arrange
    let idp = MockIdp::start().await;
    let http = http();
    // Act
    let meta = discover(&idp, &http).await;
    // Assert: the crate checked that `issuer` equals the URL it asked for (P2); read back the rest.
    assert_eq!(meta.issuer().as_str(), idp.issuer_url());
    assert!(meta.token_endpoint().is_some());
    assert!(meta.userinfo_endpoint().is_some());
    let algs = meta.id_token_signing_alg_values_supported();
    for alg in [
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        CoreJwsSigningAlgorithm::EdDsa,
    ] {
        assert!(algs.contains(&alg), "{alg:?} missing from {algs:?}");
    }
    assert_eq!(meta.jwks().keys().len(), 3, "one JWK per configured key");
    let types = meta.response_types_supported();
    for rt in [
        vec![CoreResponseType::Code],
        vec![CoreResponseType::IdToken],
        vec![CoreResponseType::Code, CoreResponseType::IdToken],
    ] {
        assert!(types.iter().any(|t| t.as_slice() == rt.as_slice()), "{rt:?} missing from {types:?}");
    }
}

#[tokio::test]
async fn p57_openidconnect_verifies_the_password_grant_id_token_and_at_hash() {
    // Arrange
    let idp = MockIdp::start().await;
    let http = http();
    let client = weaviate(&idp, &http).await;
    // Act
    let tokens = password(&client, &http, "admin", "admin-pass", "openid profile email").await;
    // Assert: signature via JWKS, iss, aud = weaviate, exp, no nonce, at_hash.
    let id_token = tokens.id_token().expect("openid was granted, so an ID token comes back");
    let verifier = client.id_token_verifier();
    let claims = id_token.claims(&verifier, no_nonce).expect("the ID token verifies");
    assert_eq!(claims.issuer().as_str(), idp.issuer_url());
    assert!(claims.audiences().iter().any(|a| a.as_str() == "weaviate"));
    assert_eq!(claims.preferred_username().map(|u| u.as_str()), Some("admin"));
    assert!(claims.auth_time().is_some(), "P57: auth_time is the time of this request");
    assert_at_hash(id_token, &verifier, &tokens, no_nonce);
}

#[tokio::test]
async fn p58_openidconnect_sees_invalid_grant_for_a_wrong_password_and_success_with_the_right_one() {
    // Arrange
    let idp = MockIdp::start().await;
    let http = http();
    let client = weaviate(&idp, &http).await;
    let user = ResourceOwnerUsername::new("admin".into());
    // Act
    let wrong = client
        .exchange_password(&user, &ResourceOwnerPassword::new("not-the-password".into()))
        .expect("a token endpoint")
        .request_async(&http)
        .await;
    // Assert: the crate parses our RFC 6749 §5.2 error body.
    match wrong {
        Err(RequestTokenError::ServerResponse(e)) => assert_eq!(e.error(), &CoreErrorResponseType::InvalidGrant),
        other => panic!("expected invalid_grant, got {other:?}"),
    }
    // The same request with the right password succeeds.
    password(&client, &http, "admin", "admin-pass", "openid").await;
}

#[tokio::test]
async fn p32_openidconnect_verifies_id_tokens_signed_with_every_advertised_alg() {
    // Arrange: one password client per algorithm the built-in tenant has a key for.
    let mut builder = MockIdp::builder();
    let algs = [
        (Alg::RS256, CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256),
        (Alg::ES256, CoreJwsSigningAlgorithm::EcdsaP256Sha256),
        (Alg::EdDSA, CoreJwsSigningAlgorithm::EdDsa),
    ];
    for (alg, _) in &algs {
        builder = builder.client(ClientConfig {
            client_id: format!("rp-{}", alg.as_str()),
            public: true,
            grant_types: vec![mock_idp::GrantType::Password],
            alg: Some(*alg),
            ..ClientConfig::default()
        });
    }
    let idp = builder.start().await;
    let http = http();
    let meta = discover(&idp, &http).await;
    for (alg, expected) in algs {
        let client: DiscoveredClient =
            CoreClient::from_provider_metadata(meta.clone(), ClientId::new(format!("rp-{}", alg.as_str())), None);
        // Act
        let tokens = password(&client, &http, "viewer", "viewer-pass", "openid").await;
        // Assert: signed with the client's alg, verified by the crate, at_hash with that alg's hash (P97).
        let id_token = tokens.id_token().expect("an ID token");
        assert_eq!(id_token.signing_alg().expect("an alg"), &expected);
        assert_at_hash(id_token, &client.id_token_verifier(), &tokens, no_nonce);
    }
}

#[tokio::test]
async fn p61_openidconnect_client_credentials_for_ci_runner_gives_a_verifiable_access_token_only() {
    // Arrange
    let idp = MockIdp::start().await;
    let http = http();
    let meta = discover(&idp, &http).await;
    for auth in [AuthType::BasicAuth, AuthType::RequestBody] {
        let client: DiscoveredClient = CoreClient::from_provider_metadata(
            meta.clone(),
            ClientId::new("ci-runner".into()),
            Some(ClientSecret::new("ci-runner-secret".into())),
        )
        .set_auth_type(auth.clone());
        // Act
        let tokens = client
            .exchange_client_credentials()
            .expect("a token endpoint")
            .request_async(&http)
            .await
            .unwrap_or_else(|e| panic!("client credentials with {auth:?} failed: {e:?}"));
        // Assert: no refresh token and no ID token (P61).
        assert!(tokens.refresh_token().is_none());
        assert!(tokens.id_token().is_none());
        // The access token is a JWT signed with a key from the JWKS, for this issuer and ci-runner
        // (plus the trusted extra audience `weaviate`); the crate's JWT verifier checks all three.
        let at: CoreIdToken = tokens.access_token().secret().parse().expect("the access token is a JWT");
        let verifier = client
            .id_token_verifier()
            .set_other_audience_verifier_fn(|aud| aud.as_str() == "weaviate");
        let claims = at.claims(&verifier, no_nonce).expect("the access token verifies against the JWKS");
        assert_eq!(claims.subject().as_str(), "ci-runner", "P62: sub is the client id");
    }
}

#[tokio::test]
async fn p81_openidconnect_refreshes_and_verifies_the_new_id_token() {
    // Arrange
    let idp = MockIdp::start().await;
    let http = http();
    let client = weaviate(&idp, &http).await;
    let first = password(&client, &http, "admin", "admin-pass", "openid profile offline_access").await;
    let verifier = client.id_token_verifier();
    let original = first
        .id_token()
        .expect("an ID token")
        .claims(&verifier, no_nonce)
        .expect("verifies")
        .clone();
    let refresh = first.refresh_token().expect("P82: offline_access gives a refresh token");
    // Act
    let second = client
        .exchange_refresh_token(refresh)
        .expect("a token endpoint")
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("the refresh failed: {e:?}"));
    // Assert: a new, verifiable ID token with the same iss, sub, aud, auth_time and no nonce.
    let id_token = second.id_token().expect("a refreshed ID token");
    let claims = id_token.claims(&verifier, no_nonce).expect("the refreshed ID token verifies");
    assert_eq!(claims.issuer(), original.issuer());
    assert_eq!(claims.subject(), original.subject());
    assert_eq!(claims.audiences(), original.audiences());
    assert_eq!(claims.auth_time(), original.auth_time());
    assert_at_hash(id_token, &verifier, &second, no_nonce);
    let rotated = second.refresh_token().expect("P78: rotation returns a new refresh token");
    assert_ne!(rotated.secret(), refresh.secret());
}

#[tokio::test]
async fn p75_openidconnect_code_flow_with_pkce_s256_verifies_nonce_and_at_hash() {
    // Arrange
    let idp = headless().await;
    let http = http();
    let client = weaviate(&idp, &http).await;
    let (challenge, pkce_verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    // Act
    let back = follow_once(&http, url).await;
    let q = params(back.query());
    // Assert: the code comes back in the query (P91) with our state (P90) and iss (P95).
    assert_eq!(format!("{}{}", back.origin().ascii_serialization(), back.path()), REDIRECT);
    assert_eq!(q.get("state"), Some(state.secret()));
    assert_eq!(q.get("iss").map(String::as_str), Some(idp.issuer_url().as_str()));
    let code = q.get("code").expect("a code in the query").clone();
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .expect("a token endpoint")
        .set_pkce_verifier(pkce_verifier)
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("the code exchange failed: {e:?}"));
    let id_token = tokens.id_token().expect("an ID token");
    let verifier = client.id_token_verifier();
    let claims = id_token
        .claims(&verifier, &nonce)
        .expect("P68: the ID token verifies with our nonce");
    assert_eq!(claims.preferred_username().map(|u| u.as_str()), Some("admin"));
    assert_at_hash(id_token, &verifier, &tokens, &nonce);
}

#[tokio::test]
async fn p72_openidconnect_wrong_pkce_verifier_gets_invalid_grant_and_the_right_one_succeeds() {
    // Arrange: two codes for the same challenge; the first is redeemed with a wrong verifier.
    let idp = headless().await;
    let http = http();
    let client = weaviate(&idp, &http).await;
    let verifier_text = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"; // RFC 7636 Appendix B (P74)
    let mut codes = Vec::new();
    for _ in 0..2 {
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(verifier_text.into()));
        assert_eq!(challenge.as_str(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        let (url, _, _) = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .set_pkce_challenge(challenge)
            .url();
        let back = follow_once(&http, url).await;
        codes.push(params(back.query()).get("code").expect("a code").clone());
    }
    // Act
    let wrong = client
        .exchange_code(AuthorizationCode::new(codes[0].clone()))
        .expect("a token endpoint")
        .set_pkce_verifier(PkceCodeVerifier::new("x".repeat(43)))
        .request_async(&http)
        .await;
    // Assert
    match wrong {
        Err(RequestTokenError::ServerResponse(e)) => assert_eq!(e.error(), &CoreErrorResponseType::InvalidGrant),
        other => panic!("expected invalid_grant for a wrong verifier, got {other:?}"),
    }
    let right = client
        .exchange_code(AuthorizationCode::new(codes[1].clone()))
        .expect("a token endpoint")
        .set_pkce_verifier(PkceCodeVerifier::new(verifier_text.into()))
        .request_async(&http)
        .await;
    assert!(right.is_ok(), "the right verifier must succeed: {right:?}");
}

#[tokio::test]
async fn p94_openidconnect_hybrid_code_id_token_checks_c_hash_and_matches_the_back_channel_id_token() {
    // Arrange
    let idp = headless().await;
    let http = http();
    let client = weaviate(&idp, &http).await;
    let (challenge, pkce_verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::Hybrid(vec![CoreResponseType::Code, CoreResponseType::IdToken]),
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge)
        .url();
    // Act
    let back = follow_once(&http, url).await;
    // Assert: everything in the fragment (P91), nothing in the query.
    assert_eq!(back.query(), None, "P91: a fragment-mode response puts nothing in the query");
    let f = params(back.fragment());
    assert_eq!(f.get("state"), Some(state.secret()));
    let code = AuthorizationCode::new(f.get("code").expect("a code in the fragment").clone());
    let front: CoreIdToken = f.get("id_token").expect("an ID token in the fragment").parse().expect("a JWT");
    let verifier = client.id_token_verifier();
    let front_claims = front.claims(&verifier, &nonce).expect("the front-channel ID token verifies");
    let expected = AuthorizationCodeHash::from_code(
        &code,
        front.signing_alg().expect("an alg"),
        front.signing_key::<CoreJsonWebKey>(&verifier).expect("the signing key"),
    )
    .expect("the crate hashes for this alg");
    assert_eq!(front_claims.code_hash(), Some(&expected), "P94: c_hash is required and must match");
    assert_eq!(front_claims.access_token_hash(), None, "P94: no at_hash without an access token");
    let tokens = client
        .exchange_code(code)
        .expect("a token endpoint")
        .set_pkce_verifier(pkce_verifier)
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("the code exchange failed: {e:?}"));
    let back_token = tokens.id_token().expect("an ID token from the token endpoint");
    let back_claims = back_token.claims(&verifier, &nonce).expect("P68: verifies, with the same nonce");
    assert_eq!(back_claims.issuer(), front_claims.issuer(), "P68: same iss");
    assert_eq!(back_claims.subject(), front_claims.subject(), "P68: same sub");
    assert_at_hash(back_token, &verifier, &tokens, &nonce);
}

#[tokio::test]
async fn p4_openidconnect_refuses_an_id_token_of_another_tenant_for_its_issuer_and_its_keys() {
    // Arrange: a second tenant with the same users and clients but its own keys.
    let mut other = mock_idp::Config::builtin().tenants[0].clone();
    other.name = "other".into();
    other.keys.clear();
    other.key_seed = Some("oracle-other-tenant".into());
    let idp = MockIdp::builder().tenant(other).start().await;
    let http = http();
    let client = weaviate(&idp, &http).await;
    let other_issuer = IssuerUrl::new(idp.issuer_url_of("other").expect("tenant other exists")).expect("a URL");
    let other_meta = CoreProviderMetadata::discover_async(other_issuer, &http)
        .await
        .expect("tenant other discovers");
    let other_client: DiscoveredClient = CoreClient::from_provider_metadata(other_meta, ClientId::new("weaviate".into()), None);
    // Act: a token from the default tenant.
    let tokens = password(&client, &http, "admin", "admin-pass", "openid").await;
    let id_token = tokens.id_token().expect("an ID token");
    // Assert: the other tenant's relying party refuses it, for the issuer and, with the issuer
    // check off, for the signature (the kid is not in its JWKS).
    assert!(id_token.claims(&other_client.id_token_verifier(), no_nonce).is_err());
    let keys_only = other_client.id_token_verifier().require_issuer_match(false);
    assert!(id_token.claims(&keys_only, no_nonce).is_err(), "tenant keys must differ (P4)");
    // The issuing tenant's relying party accepts the same token.
    assert!(id_token.claims(&client.id_token_verifier(), no_nonce).is_ok());
}

#[tokio::test]
async fn p83_openidconnect_refreshes_after_key_rotation_and_verifies_against_the_new_jwks_only() {
    // Arrange: tokens under the original key, then a rotation that also unpublishes it.
    let idp = MockIdp::start().await;
    let http = http();
    let before = weaviate(&idp, &http).await;
    let first = password(&before, &http, "admin", "admin-pass", "openid offline_access").await;
    let old_kid = first
        .id_token()
        .expect("an ID token")
        .signing_key(&before.id_token_verifier())
        .map(|k| k.key_id().cloned());
    idp.rotate_keys(mock_idp::RotateKeys {
        publish_old: Some(false),
        seed: Some("oracle-p83".into()),
        ..Default::default()
    })
    .expect("the tenant rotates its key");
    // Act: refresh, then discover again as a relying party would after a kid miss.
    let second = before
        .exchange_refresh_token(first.refresh_token().expect("a refresh token"))
        .expect("a token endpoint")
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("P83: refresh after rotation failed: {e:?}"));
    let after = weaviate(&idp, &http).await;
    // Assert: the refreshed ID token is signed with a key the old JWKS does not have, and
    // verifies (signature, iss, aud, at_hash) against the new JWKS.
    let id_token = second.id_token().expect("a refreshed ID token");
    assert!(
        id_token.claims(&before.id_token_verifier(), no_nonce).is_err(),
        "the old JWKS must not verify the new key"
    );
    assert_at_hash(id_token, &after.id_token_verifier(), &second, no_nonce);
    let new_kid = id_token.signing_key(&after.id_token_verifier()).map(|k| k.key_id().cloned());
    assert_ne!(new_kid.ok(), old_kid.ok(), "the signing kid changed");
}
