//! Steps 1-6 of go-oidc-verifier.md: discovery, the issuer at startup, the allowlist, lazy keys,
//! an explicit JWKS URL and the HTTP client (custom certificate, TLS to the provider).

use super::*;

#[tokio::test]
async fn step1_discovery_url_drops_one_trailing_slash_and_unreachable_issuer_fails() {
    // real: `could not setup provider: Get "<issuer>/.well-known/openid-configuration": dial tcp
    // <host:port>: connect: connection refused`.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let s = OidcSettings {
        issuer: format!("http://127.0.0.1:{port}/x/"),
        client_id: Some(CLIENT.into()),
        username_claim: "sub".into(),
        ..OidcSettings::default()
    };
    let err = OidcVerifier::start(s).await.unwrap_err();
    assert_eq!(
        err,
        format!("could not setup provider: Get \"http://127.0.0.1:{port}/x/.well-known/openid-configuration\": dial tcp 127.0.0.1:{port}: connect: connection refused")
    );
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    assert!(OidcVerifier::start(p.settings()).await.is_ok());
}

#[tokio::test]
async fn step1_discovery_404_reports_status_and_body() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let mut s = p.settings();
    s.issuer = format!("{}/nowhere", p.issuer());
    let err = OidcVerifier::start(s).await.unwrap_err();
    assert!(err.starts_with("could not setup provider: 404 Not Found: "), "{err}");
    assert!(OidcVerifier::start(p.settings()).await.is_ok());
}

#[tokio::test]
async fn step2_issuer_must_match_exactly_at_startup() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let mut s = p.settings();
    s.issuer = format!("{}/", p.issuer());
    assert_eq!(
        OidcVerifier::start(s).await.unwrap_err(),
        format!(
            "could not setup provider: oidc: issuer did not match the issuer returned by provider, expected \"{0}/\" got \"{0}\"",
            p.issuer()
        )
    );
    p.served.lock().unwrap().issuer_override = Some(format!("{}/", p.issuer()));
    assert_eq!(
        OidcVerifier::start(p.settings()).await.unwrap_err(),
        format!(
            "could not setup provider: oidc: issuer did not match the issuer returned by provider, expected \"{0}\" got \"{0}/\"",
            p.issuer()
        )
    );
    p.served.lock().unwrap().issuer_override = None;
    assert!(OidcVerifier::start(p.settings()).await.is_ok());
}

#[tokio::test]
async fn step3_allowlist_filters_discovery_to_asymmetric_algs() {
    let p = Provider::start(&[rsa_key()], &["RS256", "PS256", "HS256", "none"]).await;
    let v = p.verifier().await;
    assert_eq!(v.algorithms(), ["RS256", "PS256"]);
    let hs = raw_token(rsa_key(), r#"{"alg":"HS256"}"#, &Value::Object(p.claims()).to_string(), Alg::RS256);
    assert_eq!(
        message(v.authenticate(&hs).await),
        r#"unauthorized: oidc: malformed jwt: unexpected signature algorithm "HS256"; expected ["RS256" "PS256"]"#
    );
    let p2 = Provider::start(&[rsa_key()], &["HS256", "none"]).await;
    assert_eq!(p2.verifier().await.algorithms(), ["RS256"]);
    ok(v.authenticate(&p.token()).await);
}

#[tokio::test]
async fn step4_keys_load_lazily_and_cached_keys_fetch_nothing() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    assert_eq!((p.hits(), v.jwks_fetches()), (0, 0));
    ok(v.authenticate(&p.token()).await);
    assert_eq!((p.hits(), v.jwks_fetches()), (1, 1));
    ok(v.authenticate(&p.token()).await);
    assert_eq!(p.hits(), 1);
}

#[tokio::test]
async fn step5_explicit_jwks_url_skips_discovery_and_allows_rs256_only() {
    let p = Provider::start(&[rsa_key(), es_key()], &["RS256", "ES256"]).await;
    let s = OidcSettings {
        issuer: p.issuer(),
        client_id: Some(CLIENT.into()),
        username_claim: "email".into(),
        jwks_url: Some(format!("{}/jwks", p.issuer())),
        ..OidcSettings::default()
    };
    let mut unreachable = s.clone();
    unreachable.issuer = "http://127.0.0.1:9".into();
    assert!(OidcVerifier::start(unreachable).await.is_ok());
    let v = OidcVerifier::start(s).await.unwrap();
    assert_eq!(v.algorithms(), ["RS256"]);
    ok(v.authenticate(&p.token()).await);
    let es = es_key().sign(&p.claims(), "JWT");
    assert_eq!(
        message(v.authenticate(&es).await),
        r#"unauthorized: oidc: malformed jwt: unexpected signature algorithm "ES256"; expected ["RS256"]"#
    );
}

#[tokio::test]
async fn step6_certificate_and_insecure_are_exclusive_and_url_forms_unsupported() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let mut s = p.settings();
    s.certificate = Some("-----BEGIN CERTIFICATE-----".into());
    s.insecure_skip_tls_verify = true;
    assert_eq!(
        OidcVerifier::start(s.clone()).await.unwrap_err(),
        "invalid config: custom OIDC certificate and insecure_skip_tls_verify are mutually exclusive: remove the certificate or disable insecure_skip_tls_verify"
    );
    s.insecure_skip_tls_verify = false;
    s.certificate = Some("s3://bucket/ca.pem".into());
    assert!(OidcVerifier::start(s.clone()).await.unwrap_err().contains("not supported"));
    s.certificate = None;
    s.insecure_skip_tls_verify = true;
    assert!(OidcVerifier::start(s).await.is_ok());
}

/// Test-only CA and server certificate (for 127.0.0.1), generated for these tests; never a real
/// secret. Valid for 100 years.
const TEST_CA_PEM: &str = "-----BEGIN CERTIFICATE-----\nMIIBpjCCAUugAwIBAgIURgr1bLaKQV1DXpbCT3Hfj0G634cwCgYIKoZIzj0EAwIw\nHzEdMBsGA1UEAwwUb2lkYy1oYXJuZXNzIHRlc3QgQ0EwIBcNMjYxMTIzMTEwNzQ5\nWhgPMjEyNjEwMzAxMTA3NDlaMB8xHTAbBgNVBAMMFG9pZGMtaGFybmVzcyB0ZXN0\nIENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEJTx6bFvyFcCeP3oDxAOedTM\nlEWBHlfU7IGsqDrWoKJsp52XfFrCBzIY4t5ljBfERwJiam9UIuUY7l7Xup3TU6Nj\nMGEwHQYDVR0OBBYEFFmENNgH0y4K5J4jAgr+8iLQ9f2yMB8GA1UdIwQYMBaAFFmE\nNNgH0y4K5J4jAgr+8iLQ9f2yMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQD\nAgIEMAoGCCqGSM49BAMCA0kAMEYCIQDSicLyzA3Xecr++E7CJjcdPh//6O3ZraiG\noS7EslALwgIhAKGTZEN7ulCQt24RFSAHmX6LsQR93hQdKdMVUp8aEOj3\n-----END CERTIFICATE-----";
const TEST_SERVER_CERT_DER_B64: &str = "MIIBqjCCAVCgAwIBAgIUBjI6DafzP44ZWi+4qEzixs+2kTMwCgYIKoZIzj0EAwIwHzEdMBsGA1UEAwwUb2lkYy1oYXJuZXNzIHRlc3QgQ0EwIBcNMjYxMTIzMTEwNzQ5WhgPMjEyNjEwMzAxMTA3NDlaMBQxEjAQBgNVBAMMCTEyNy4wLjAuMTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABCBHEXhWXHcHEtQeGHe93XsuPk8jScfc+DEeXPLRD4dbHUCDun1ZnYhqguGoqoqnVA2dKFAZEJ0v5F2+8Eazlz2jczBxMA8GA1UdEQQIMAaHBH8AAAEwCQYDVR0TBAIwADATBgNVHSUEDDAKBggrBgEFBQcDATAdBgNVHQ4EFgQUOz4YD+p0MRs6xNFViN2dSfrTBLcwHwYDVR0jBBgwFoAUWYQ02AfTLgrkniMCCv7yItD1/bIwCgYIKoZIzj0EAwIDSAAwRQIgGner1c9XhuLZqF/DiQ3poof1Kv2laFUvIni+M4hSw9UCIQDW1NctHyXLmrajOqTCmnPp7zXq+vV19Gv+HLCr7WZqXw==";
const TEST_SERVER_KEY_PKCS8_B64: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgWmM2XoDJMfDVfo0rpwNUVcYYo8LwxQRkcjbeT0ZsQNOhRANCAAQgRxF4Vlx3BxLUHhh3vd17Lj5PI0nH3PgxHlzy0Q+HWx1Ag7p9WZ2IaoLhqKqKp1QNnShQGRCdL+RdvvBGs5c9";

/// An HTTPS provider on 127.0.0.1:0 that answers discovery and the JWKS, one request per
/// connection.
async fn tls_provider(keys: &[&SigningKey]) -> SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let cert = CertificateDer::from(base64::engine::general_purpose::STANDARD.decode(TEST_SERVER_CERT_DER_B64).unwrap());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        base64::engine::general_purpose::STANDARD.decode(TEST_SERVER_KEY_PKCS8_B64).unwrap(),
    ));
    let config = tokio_rustls::rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("could not bind a local port for the TLS provider");
    let addr = listener.local_addr().unwrap();
    let jwks = json!({"keys": keys.iter().map(|k| k.public_jwk().clone()).collect::<Vec<_>>()}).to_string();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let jwks = jwks.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut req = Vec::new();
                let mut buf = [0u8; 1024];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                let path = String::from_utf8_lossy(&req).split(' ').nth(1).unwrap_or("").to_owned();
                let body = match path.as_str() {
                    "/.well-known/openid-configuration" => json!({
                        "issuer": format!("https://{addr}"), "jwks_uri": format!("https://{addr}/jwks"),
                        "id_token_signing_alg_values_supported": ["RS256"],
                    })
                    .to_string(),
                    _ => jwks,
                };
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(resp.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn step6_custom_certificate_is_an_extra_root_and_insecure_skips_checks() {
    let addr = tls_provider(&[rsa_key()]).await;
    let issuer = format!("https://{addr}");
    let base = OidcSettings {
        issuer: issuer.clone(),
        client_id: Some(CLIENT.into()),
        username_claim: "email".into(),
        ..OidcSettings::default()
    };
    let err = OidcVerifier::start(base.clone()).await.unwrap_err();
    assert!(
        err.starts_with(&format!(
            "could not setup provider: Get \"{issuer}/.well-known/openid-configuration\": "
        )),
        "{err}"
    );
    let claims = json!({"iss": issuer, "aud": CLIENT, "exp": now_s() + 60, "email": "tls@example.com"});
    let token = rsa_key().sign(claims.as_object().unwrap(), "JWT");
    let with_ca = OidcVerifier::start(OidcSettings {
        certificate: Some(TEST_CA_PEM.into()),
        ..base.clone()
    })
    .await
    .unwrap();
    assert_eq!(ok(with_ca.authenticate(&token).await).username, "tls@example.com");
    let insecure = OidcVerifier::start(OidcSettings {
        insecure_skip_tls_verify: true,
        ..base.clone()
    })
    .await
    .unwrap();
    ok(insecure.authenticate(&token).await);
    let bad = OidcVerifier::start(OidcSettings {
        certificate: Some("not a pem".into()),
        ..base
    })
    .await
    .unwrap_err();
    assert!(bad.starts_with("could not setup provider: invalid certificate"), "{bad}");
}

#[tokio::test]
async fn step1_undecodable_discovery_texts() {
    // real: all three startup failures below, as logged by v1.38.11 after "oidc init: ".
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let issuer = p.issuer();
    let cases = [
        ("hello".to_owned(), "text/plain", r#"expected Content-Type = application/json, got "text/plain": invalid character 'h' looking for beginning of value"#),
        (r#"{"issuer": 5}"#.to_owned(), "application/json", "got Content-Type = application/json, but could not unmarshal as JSON: json: cannot unmarshal number into Go struct field providerJSON.issuer of type string"),
        (
            format!(r#"{{"issuer": "{issuer}", "jwks_uri": "x", "id_token_signing_alg_values_supported": "RS256"}}"#),
            "application/json",
            "got Content-Type = application/json, but could not unmarshal as JSON: json: cannot unmarshal string into Go struct field providerJSON.id_token_signing_alg_values_supported of type []string",
        ),
    ];
    for (body, ct, text) in cases {
        p.served.lock().unwrap().discovery_body = Some((body, ct));
        assert_eq!(
            OidcVerifier::start(p.settings()).await.unwrap_err(),
            format!("could not setup provider: oidc: failed to decode provider discovery object: {text}")
        );
    }
    p.served.lock().unwrap().discovery_body = None;
    assert!(OidcVerifier::start(p.settings()).await.is_ok());
}
