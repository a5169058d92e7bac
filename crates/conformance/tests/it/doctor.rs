//! `doctor` against the emulation and the mock provider: a healthy setup, and each typical
//! failure named at its layer.

use conformance::doctor::{diagnose, Credential, Diagnosis, Options, Status};
use mock_idp::{MockIdp, Preset, TokenBuilder};
use weaviate_auth_emu::EmbeddedWeaviate;

async fn weaviate(issuer: &str) -> EmbeddedWeaviate {
    EmbeddedWeaviate::builder()
        .env("AUTHENTICATION_APIKEY_ENABLED", "true")
        .env("AUTHENTICATION_APIKEY_ALLOWED_KEYS", "admin-key")
        .env("AUTHENTICATION_APIKEY_USERS", "admin-user")
        .env("AUTHENTICATION_OIDC_ENABLED", "true")
        .env("AUTHENTICATION_OIDC_ISSUER", issuer)
        .env("AUTHENTICATION_OIDC_CLIENT_ID", "weaviate")
        .env("AUTHENTICATION_OIDC_USERNAME_CLAIM", "preferred_username")
        .env("AUTHENTICATION_OIDC_GROUPS_CLAIM", "groups")
        .start()
        .await
        .expect("the emulation starts")
}

async fn doctor(w: &EmbeddedWeaviate, credential: Credential) -> Diagnosis {
    diagnose(&Options {
        url: w.rest_url(),
        grpc: Some(w.grpc_addr().to_string()),
        credential,
    })
    .await
}

fn status(d: &Diagnosis, layer: &str) -> Status {
    d.layer(layer).unwrap_or_else(|| panic!("no {layer} layer:\n{}", d.text())).status
}

fn minted(idp: &MockIdp, preset: Option<Preset>) -> String {
    let mut b = TokenBuilder::new().user("admin");
    if let Some(p) = preset {
        b = b.preset(p);
    }
    idp.mint(b).expect("mints").access_token.expect("an access token")
}

#[tokio::test]
async fn doctor_passes_every_layer_for_a_good_key_a_good_token_and_a_password_login() {
    // Arrange
    let idp = MockIdp::start().await;
    let w = weaviate(&idp.issuer_url()).await;
    let password = Credential::Password {
        username: "admin".into(),
        password: "admin-pass".into(),
        client_id: None,
    };
    for credential in [
        Credential::ApiKey("admin-key".into()),
        Credential::Bearer(minted(&idp, None).into()),
        password,
    ] {
        // Act
        let d = doctor(&w, credential).await;
        // Assert
        assert!(!d.failed(), "{}", d.text());
        for layer in [
            "rest",
            "grpc",
            "oidc-config",
            "provider-discovery",
            "provider-jwks",
            "credential",
            "own-info",
            "grpc-auth",
        ] {
            assert_eq!(status(&d, layer), Status::Ok, "{layer}:\n{}", d.text());
        }
        let grpc = d.layer("grpc").expect("grpc");
        assert!(grpc.detail.ends_with("Health/Check SERVING"), "{}", d.text());
        // TenantsGet on the probe collection: authentication passed, then "class not found".
        let auth = d.layer("grpc-auth").expect("grpc-auth");
        assert!(auth.detail.contains("class not found"), "{}", d.text());
    }
}

#[tokio::test]
async fn doctor_names_the_own_info_layer_for_a_wrong_key_and_the_credential_layer_for_bad_tokens() {
    // Arrange
    let idp = MockIdp::start().await;
    let w = weaviate(&idp.issuer_url()).await;
    // Act
    let wrong_key = doctor(&w, Credential::ApiKey("not-the-key".into())).await;
    let expired = doctor(&w, Credential::Bearer(minted(&idp, Some(Preset::Expired)).into())).await;
    let audience = doctor(&w, Credential::Bearer(minted(&idp, Some(Preset::WrongAudience)).into())).await;
    // Assert
    assert!(wrong_key.failed());
    assert_eq!(status(&wrong_key, "credential"), Status::Ok, "{}", wrong_key.text());
    let own = wrong_key.layer("own-info").expect("own-info");
    assert_eq!(own.status, Status::Fail);
    assert!(
        own.detail.contains("invalid api key") && own.hint.as_deref().unwrap_or("").contains("ALLOWED_KEYS"),
        "{}",
        wrong_key.text()
    );

    let grpc_auth = wrong_key.layer("grpc-auth").expect("grpc-auth");
    assert_eq!(grpc_auth.status, Status::Fail, "{}", wrong_key.text());
    assert!(
        grpc_auth.detail.contains("UNKNOWN \"extract auth: unauthorized: invalid api key\"")
            && grpc_auth.hint.as_deref().unwrap_or("").contains("ALLOWED_KEYS"),
        "{}",
        wrong_key.text()
    );

    let cred = expired.layer("credential").expect("credential");
    assert_eq!(cred.status, Status::Fail, "{}", expired.text());
    assert!(cred.detail.contains("expired"), "{}", expired.text());
    assert!(
        expired.layer("own-info").expect("own-info").detail.contains("token is expired"),
        "{}",
        expired.text()
    );

    let cred = audience.layer("credential").expect("credential");
    assert_eq!(cred.status, Status::Fail, "{}", audience.text());
    assert!(
        cred.detail.contains("aud") && !cred.detail.contains("expired"),
        "{}",
        audience.text()
    );
    assert!(audience.text().contains("first failing layer: credential"), "{}", audience.text());
}

#[tokio::test]
async fn doctor_names_the_provider_when_it_is_down_and_grpc_when_its_port_is_closed() {
    // Arrange: Weaviate started while the provider ran; the provider has stopped since.
    let idp = MockIdp::start().await;
    let w = weaviate(&idp.issuer_url()).await;
    drop(idp);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a local port binds");
    let closed_addr = closed.local_addr().expect("an address").to_string();
    drop(closed);
    // Act
    let down = doctor(&w, Credential::ApiKey("admin-key".into())).await;
    let no_grpc = diagnose(&Options {
        url: w.rest_url(),
        grpc: Some(closed_addr),
        credential: Credential::ApiKey("admin-key".into()),
    })
    .await;
    // Assert
    assert_eq!(status(&down, "provider-discovery"), Status::Fail, "{}", down.text());
    assert_eq!(status(&down, "own-info"), Status::Ok, "API keys still work:\n{}", down.text());
    assert_eq!(status(&no_grpc, "grpc"), Status::Fail, "{}", no_grpc.text());
    assert!(
        no_grpc
            .layer("grpc")
            .expect("grpc")
            .hint
            .as_deref()
            .unwrap_or("")
            .contains("GRPC_PORT"),
        "{}",
        no_grpc.text()
    );
    assert_eq!(status(&no_grpc, "grpc-auth"), Status::Skip, "{}", no_grpc.text());
    assert_eq!(status(&no_grpc, "rest"), Status::Ok);
    assert!(no_grpc.failed());
}

#[tokio::test]
async fn doctor_tells_a_port_that_accepts_connections_but_is_not_grpc_and_an_anonymous_grpc_refusal() {
    // Arrange: the REST port given as the gRPC address.
    let idp = MockIdp::start().await;
    let w = weaviate(&idp.issuer_url()).await;
    let rest_addr = w.rest_url().trim_start_matches("http://").to_owned();
    // Act
    let wrong_port = diagnose(&Options {
        url: w.rest_url(),
        grpc: Some(rest_addr),
        credential: Credential::ApiKey("admin-key".into()),
    })
    .await;
    let anonymous = doctor(&w, Credential::None).await;
    // Assert
    let grpc = wrong_port.layer("grpc").expect("grpc");
    assert_eq!(grpc.status, Status::Fail, "{}", wrong_port.text());
    assert!(
        grpc.hint.as_deref().unwrap_or("").contains("not Weaviate's gRPC service"),
        "{}",
        wrong_port.text()
    );
    assert_eq!(status(&anonymous, "grpc"), Status::Ok, "{}", anonymous.text());
    let auth = anonymous.layer("grpc-auth").expect("grpc-auth");
    assert_eq!(auth.status, Status::Fail, "{}", anonymous.text());
    assert!(
        auth.detail.contains("extract auth: unauthorized: invalid api key")
            && auth.hint.as_deref().unwrap_or("").contains("anonymous access is off"),
        "{}",
        anonymous.text()
    );
}

#[tokio::test]
async fn doctor_stops_at_rest_when_nothing_listens() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a local port binds");
    let url = format!("http://{}", closed.local_addr().expect("an address"));
    drop(closed);
    let d = diagnose(&Options { url, ..Options::default() }).await;
    assert_eq!(d.findings.len(), 1, "{}", d.text());
    assert_eq!(status(&d, "rest"), Status::Fail);
}
