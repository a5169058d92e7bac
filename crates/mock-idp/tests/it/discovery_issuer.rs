//! Issuers and base URLs: validation, the byte-identical issuer, trailing slashes, front- and
//! back-channel bases, Host headers, unknown paths and the RFC 8414 location (P1-P3, P7-P10).
//!
//! Endpoint URLs come from discovery; issuer matching is checked with the `openidconnect` crate
//! as an independent RP.

use axum::body::Body;
use axum::http::Request;
use mock_idp::{Config, MockIdp};
use serde_json::Value;
use tower::ServiceExt;

use crate::support::{claims, Env};

fn config_with_issuer(issuer: &str) -> String {
    format!("[[tenant]]\nname = \"default\"\nissuer = {issuer:?}\n")
}

/// Sends one request to the router in process and returns status and JSON body.
async fn oneshot(app: &axum::Router, req: Request<Body>) -> (u16, Value) {
    let resp = app.clone().oneshot(req).await.expect("the router answers");
    let status = resp.status().as_u16();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn discover(issuer: &str) -> Result<(), String> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = openidconnect::IssuerUrl::new(issuer.to_owned()).map_err(|e| e.to_string())?;
    openidconnect::core::CoreProviderMetadata::discover_async(url, &http)
        .await
        .map(|_| ())
        .map_err(|e| format!("{e}: {:?}", std::error::Error::source(&e).map(|s| s.to_string())))
}

#[test]
fn p1_issuers_with_query_fragment_or_no_host_are_refused_quoting_the_value() {
    for bad in [
        "http://127.0.0.1:8080/default?x=1",
        "http://127.0.0.1:8080/default#f",
        "ftp://127.0.0.1/default",
        "http:///default",
        "127.0.0.1:8080/default",
    ] {
        // Act
        let err = Config::from_toml(&config_with_issuer(bad), std::path::Path::new("p1.toml"))
            .expect_err(bad)
            .to_string();
        // Assert
        assert!(err.contains(bad), "the error must quote {bad:?}: {err}");
        assert!(err.contains("p1.toml") && err.contains("issuer"), "names file and key: {err}");
    }
    // The same issuer without the broken part loads.
    Config::from_toml(
        &config_with_issuer("http://127.0.0.1:8080/default"),
        std::path::Path::new("p1.toml"),
    )
    .expect("a valid issuer loads");
}

#[test]
fn p1_base_urls_with_a_query_or_fragment_are_refused_naming_the_field_and_the_value() {
    // The issuer and the endpoints are built on these bases, so they obey the issuer's syntax.
    for (toml, field, bad) in [
        (
            "[server]\nbase_url = \"http://127.0.0.1:8080?x=1\"\n[[tenant]]\nname = \"default\"\n",
            "server.base_url",
            "http://127.0.0.1:8080?x=1",
        ),
        (
            "[[tenant]]\nname = \"default\"\nfront_channel_base = \"http://localhost:8080#f\"\n",
            "front_channel_base",
            "http://localhost:8080#f",
        ),
        (
            "[[tenant]]\nname = \"default\"\nback_channel_base = \"http://idp:8080/?q\"\n",
            "back_channel_base",
            "http://idp:8080/?q",
        ),
    ] {
        // Act
        let err = Config::from_toml(toml, std::path::Path::new("p1.toml")).expect_err(bad).to_string();
        // Assert
        assert!(err.contains(bad) && err.contains(field), "names {field} and quotes {bad:?}: {err}");
        assert!(err.contains("query or a fragment"), "says why: {err}");
    }
    // The same bases without the broken part load.
    Config::from_toml(
        "[server]\nbase_url = \"http://127.0.0.1:8080\"\n[[tenant]]\nname = \"default\"\n\
         front_channel_base = \"http://localhost:8080\"\nback_channel_base = \"http://idp:8080/\"\n",
        std::path::Path::new("p1.toml"),
    )
    .expect("valid bases load");
}

#[tokio::test]
async fn p2_issuer_is_byte_identical_in_discovery_and_tokens_and_never_normalised() {
    // Arrange: upper case, a default port and a trailing slash would all be "normalised" away.
    let issuer = "http://IdP.Example:80/default/";
    let mut config = Config::builtin();
    config.tenants[0].issuer = Some(issuer.into());
    let app = mock_idp::router(mock_idp::AppState::new(&config, "http://unused").unwrap());
    // Act
    let (_, doc) = oneshot(
        &app,
        Request::get("/default/.well-known/openid-configuration")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let form = "grant_type=password&username=admin&password=admin-pass&client_id=weaviate&scope=openid";
    let (status, tokens) = oneshot(
        &app,
        Request::post("/default/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(form))
            .unwrap(),
    )
    .await;
    // Assert
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(doc["issuer"].as_str(), Some(issuer));
    assert_eq!(claims(tokens["id_token"].as_str().unwrap())["iss"].as_str(), Some(issuer));
    assert_eq!(claims(tokens["access_token"].as_str().unwrap())["iss"].as_str(), Some(issuer));
}

#[tokio::test]
async fn p2_every_token_carries_the_discovery_issuer() {
    let env = Env::start().await;
    let issuer = env.discovery().await["issuer"].as_str().unwrap().to_owned();
    assert_eq!(issuer, env.idp.issuer_url());
    let user = env.password_tokens("admin", "admin-pass").await;
    let (status, service) = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "ci-runner"),
            ("client_secret", "ci-runner-secret"),
        ])
        .await;
    assert_eq!(status, 200, "{service}");
    for jwt in [&user["id_token"], &user["access_token"], &service["access_token"]] {
        assert_eq!(claims(jwt.as_str().unwrap())["iss"].as_str(), Some(issuer.as_str()));
    }
}

#[tokio::test]
async fn p3_trailing_slash_issuer_is_served_exactly_and_the_other_form_is_refused_by_an_rp() {
    // Arrange: one provider per form.
    let slash = Env::with(MockIdp::builder().configure(|t| t.trailing_slash = true).start().await);
    let plain = Env::start().await;
    let with_slash = slash.idp.issuer_url();
    let without = plain.idp.issuer_url();
    assert!(
        with_slash.ends_with("/default/") && !without.ends_with('/'),
        "{with_slash} {without}"
    );
    // Act + Assert: discovery is at issuer-without-slash + /.well-known and echoes its own form.
    assert_eq!(
        slash.idp.discovery_url(),
        format!("{}/.well-known/openid-configuration", with_slash.trim_end_matches('/'))
    );
    assert_eq!(slash.discovery().await["issuer"].as_str(), Some(with_slash.as_str()));
    assert_eq!(plain.discovery().await["issuer"].as_str(), Some(without.as_str()));
    let tokens = slash.password_tokens("admin", "admin-pass").await;
    assert_eq!(
        claims(tokens["id_token"].as_str().unwrap())["iss"].as_str(),
        Some(with_slash.as_str())
    );
    // An independent RP accepts each form as configured, and refuses the other form.
    discover(&with_slash).await.expect("the slash form discovers");
    discover(&without).await.expect("the plain form discovers");
    let other = with_slash.trim_end_matches('/').to_owned();
    assert!(
        discover(&other).await.is_err(),
        "an RP configured without the slash must refuse {with_slash}"
    );
}

#[tokio::test]
async fn p7_front_and_back_channel_bases_split_the_endpoints_and_keep_the_issuer() {
    // Arrange
    let env = Env::with(
        MockIdp::builder()
            .configure(|t| {
                t.front_channel_base = Some("http://localhost:8080/default".into());
                t.back_channel_base = Some("http://idp:8080/default".into());
            })
            .start()
            .await,
    );
    // Act
    let doc = env.discovery().await;
    // Assert
    assert_eq!(doc["issuer"].as_str(), Some(env.idp.issuer_url().as_str()));
    for front in ["authorization_endpoint", "end_session_endpoint"] {
        assert!(
            doc[front].as_str().unwrap().starts_with("http://localhost:8080/default/"),
            "{front}: {}",
            doc[front]
        );
    }
    for back in [
        "token_endpoint",
        "jwks_uri",
        "userinfo_endpoint",
        "introspection_endpoint",
        "revocation_endpoint",
    ] {
        assert!(
            doc[back].as_str().unwrap().starts_with("http://idp:8080/default/"),
            "{back}: {}",
            doc[back]
        );
    }
    // Without the bases every endpoint hangs off the issuer.
    let plain = Env::start().await.discovery().await;
    assert!(plain["jwks_uri"].as_str().unwrap().starts_with(plain["issuer"].as_str().unwrap()));
}

#[tokio::test]
async fn p8_host_and_forwarded_headers_never_change_the_document() {
    // Arrange
    let env = Env::start().await;
    let url = env.idp.discovery_url();
    let honest = env.http.get(&url).send().await.unwrap().bytes().await.unwrap();
    // Act
    let spoofed = env
        .http
        .get(&url)
        .header("host", "evil.example")
        .header("x-forwarded-host", "evil.example")
        .header("x-forwarded-proto", "https")
        .header("forwarded", "host=evil.example;proto=https")
        .send()
        .await
        .unwrap();
    // Assert
    assert_eq!(spoofed.status(), 200);
    let spoofed = spoofed.bytes().await.unwrap();
    assert_eq!(spoofed, honest);
    assert!(!String::from_utf8_lossy(&spoofed).contains("evil.example"));
}

#[tokio::test]
async fn p9_unknown_path_is_a_json_404_and_wrong_method_a_405_with_allow() {
    let env = Env::start().await;
    let base = env.idp.base_url();
    // Unknown path under a real tenant, and at the root.
    for path in ["/default/no-such-endpoint", "/", "/_mock/no-such-control"] {
        let resp = env.http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{path}");
        assert!(
            resp.headers()["content-type"].to_str().unwrap().starts_with("application/json"),
            "{path}"
        );
        let body: Value = resp.json().await.unwrap();
        assert!(body["error"].is_string(), "{path}: {body}");
    }
    // Known paths, wrong method.
    let token = env.endpoint("token_endpoint").await;
    let resp = env.http.get(&token).send().await.unwrap();
    assert_eq!(resp.status(), 405);
    assert!(resp.headers()["allow"].to_str().unwrap().contains("POST"));
    let resp = env.http.delete(env.idp.discovery_url()).send().await.unwrap();
    assert_eq!(resp.status(), 405);
    assert!(resp.headers()["allow"].to_str().unwrap().contains("GET"));
    // The right method is served.
    assert_eq!(env.http.get(env.idp.discovery_url()).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn p10_rfc8414_metadata_sits_between_host_and_issuer_path() {
    for slash in [false, true] {
        // Arrange
        let env = Env::with(MockIdp::builder().configure(|t| t.trailing_slash = slash).start().await);
        let issuer = env.idp.issuer_url();
        let path = issuer.strip_prefix(&env.idp.base_url()).unwrap();
        // Act
        let url = format!("{}/.well-known/oauth-authorization-server{path}", env.idp.base_url());
        let resp = env.http.get(&url).send().await.unwrap();
        // Assert
        assert_eq!(resp.status(), 200, "{url}");
        let doc: Value = resp.json().await.unwrap();
        assert_eq!(doc["issuer"].as_str(), Some(issuer.as_str()));
        assert_eq!(doc, env.discovery().await);
    }
}
