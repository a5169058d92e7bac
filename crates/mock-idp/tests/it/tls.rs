//! HTTPS mode (P153-P156): generated CA, server certificate names, your own certificate, and
//! the TLS fault presets. Handshakes are checked with rustls directly where the exact TLS error
//! matters, and with reqwest (a real client) for whole requests.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use mock_idp::tls::{PemFiles, TlsFault, TlsOptions};
use mock_idp::MockIdp;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::CertificateError;
use serde_json::Value;

/// A fresh folder under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let p = std::env::temp_dir().join(format!("mock-idp-tls-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&p).expect("a temp folder can be created");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Test files only; a leftover folder is harmless.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn start_tls(options: TlsOptions) -> MockIdp {
    MockIdp::builder().tls(options).start().await
}

fn trusting(ca_pem: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).expect("the CA PEM parses"))
        .build()
        .expect("a reqwest client builds")
}

/// A TLS handshake to `addr` that asks for `name`, trusting only `roots_pem`.
async fn handshake(addr: SocketAddr, roots_pem: &str, name: &str) -> Result<(), rustls::Error> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(roots_pem.as_bytes()) {
        roots.add(cert.expect("a root parses")).expect("a root is accepted");
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("default versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("the provider accepts TCP");
    let server_name = ServerName::try_from(name.to_owned()).expect("a valid server name");
    match connector.connect(server_name, tcp).await {
        Ok(_) => Ok(()),
        Err(e) => Err(e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .cloned()
            .unwrap_or_else(|| rustls::Error::General(e.to_string()))),
    }
}

#[tokio::test]
async fn p153_discovery_over_https_with_the_generated_ca_as_root() {
    // Arrange
    let idp = start_tls(TlsOptions::default()).await;
    let ca = idp.ca_pem().expect("a generated CA").to_owned();
    // Act
    let resp = trusting(&ca)
        .get(idp.discovery_url())
        .send()
        .await
        .expect("HTTPS discovery answers");
    // Assert
    assert_eq!(resp.status(), 200);
    let doc: Value = resp.json().await.unwrap();
    assert!(idp.issuer_url().starts_with("https://127.0.0.1:"), "{}", idp.issuer_url());
    assert_eq!(doc["issuer"], idp.issuer_url());
    for (k, v) in doc.as_object().unwrap() {
        if k.ends_with("_endpoint") || k == "jwks_uri" {
            assert!(v.as_str().unwrap().starts_with("https://"), "{k} = {v}");
        }
    }
    // The JWKS and the token endpoint work over the same TLS connection setup.
    let jwks: Value = trusting(&ca)
        .get(doc["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!jwks["keys"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn p153_without_the_ca_the_https_request_fails() {
    // Arrange
    let idp = start_tls(TlsOptions::default()).await;
    let untrusting = reqwest::Client::builder().build().unwrap();
    // Act
    let refused = untrusting.get(idp.discovery_url()).send().await;
    let accepted = trusting(idp.ca_pem().unwrap()).get(idp.discovery_url()).send().await;
    // Assert
    assert!(refused.is_err(), "a client without the CA must not connect");
    assert_eq!(accepted.expect("the same request with the CA works").status(), 200);
}

#[tokio::test]
async fn p154_certificate_names_the_configured_hosts_and_loopback() {
    // Arrange
    let idp = start_tls(TlsOptions {
        hosts: vec!["idp.test".into(), "weaviate-idp".into()],
        ..Default::default()
    })
    .await;
    let ca = idp.ca_pem().unwrap();
    // Act + Assert: every configured name, and localhost, 127.0.0.1 and ::1.
    for name in ["idp.test", "weaviate-idp", "localhost", "127.0.0.1", "::1"] {
        handshake(idp.address(), ca, name)
            .await
            .unwrap_or_else(|e| panic!("{name} must be covered by the certificate: {e}"));
    }
    let other = handshake(idp.address(), ca, "other.test").await;
    assert!(
        matches!(
            other,
            Err(rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext { .. }))
        ),
        "{other:?}"
    );
    // A real client, reaching the provider by a configured name.
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.as_bytes()).unwrap())
        .resolve("idp.test", idp.address())
        .build()
        .unwrap();
    let url = format!("https://idp.test:{}/_mock/ready", idp.address().port());
    assert_eq!(client.get(url).send().await.expect("reachable by host name").status(), 200);
}

#[tokio::test]
async fn p154_ca_is_written_to_the_chosen_file_and_served_at_mock_ca_pem() {
    // Arrange
    let dir = TempDir::new();
    let out = dir.0.join("ca.pem");
    let idp = start_tls(TlsOptions {
        ca_out: Some(out.clone()),
        ..Default::default()
    })
    .await;
    // Act
    let written = std::fs::read_to_string(&out).expect("the CA file is written before start returns");
    let url = format!("{}/_mock/ca.pem", idp.base_url());
    let served = trusting(&written).get(url).send().await.expect("ca.pem answers");
    // Assert
    assert_eq!(served.status(), 200);
    assert_eq!(served.text().await.unwrap(), written);
    assert_eq!(idp.ca_pem(), Some(written.as_str()));
    assert!(written.starts_with("-----BEGIN CERTIFICATE-----"));
}

#[tokio::test]
async fn p154_same_seed_gives_a_ca_that_trusts_the_next_start() {
    // Arrange
    let seeded = |seed: &str| TlsOptions {
        ca_seed: Some(seed.into()),
        ..Default::default()
    };
    let first = start_tls(seeded("ci-seed")).await;
    let ca_of_first = first.ca_pem().unwrap().to_owned();
    drop(first);
    // Act
    let same = start_tls(seeded("ci-seed")).await;
    let other = start_tls(seeded("another-seed")).await;
    // Assert
    handshake(same.address(), &ca_of_first, "localhost")
        .await
        .expect("the CA of the first start trusts a restart with the same seed");
    let refused = handshake(other.address(), &ca_of_first, "localhost").await;
    assert!(
        matches!(
            refused,
            Err(rustls::Error::InvalidCertificate(CertificateError::BadSignature))
                | Err(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer))
        ),
        "{refused:?}"
    );
}

#[tokio::test]
async fn p154_ca_kept_in_a_directory_is_reused() {
    // Arrange
    let dir = TempDir::new();
    let kept = |d: &PathBuf| TlsOptions {
        ca_dir: Some(d.clone()),
        ..Default::default()
    };
    let first = start_tls(kept(&dir.0)).await;
    let ca_of_first = first.ca_pem().unwrap().to_owned();
    drop(first);
    // Act
    let second = start_tls(kept(&dir.0)).await;
    // Assert
    assert_eq!(second.ca_pem(), Some(ca_of_first.as_str()), "the kept CA file is served again");
    handshake(second.address(), &ca_of_first, "localhost")
        .await
        .expect("the kept CA trusts the new certificate");
    let fresh = start_tls(TlsOptions::default()).await;
    assert!(
        handshake(fresh.address(), &ca_of_first, "localhost").await.is_err(),
        "a fresh CA differs"
    );
}

#[tokio::test]
async fn p155_own_pem_certificate_and_key_are_served() {
    // Arrange: a self-signed certificate made outside the provider.
    let dir = TempDir::new();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["own.test".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let (cert_file, key_file) = (dir.0.join("cert.pem"), dir.0.join("key.pem"));
    std::fs::write(&cert_file, cert.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    // Act
    let idp = start_tls(TlsOptions {
        certificate: Some(PemFiles {
            cert: cert_file.clone(),
            key: key_file.clone(),
        }),
        ..Default::default()
    })
    .await;
    // Assert
    handshake(idp.address(), &cert.pem(), "own.test")
        .await
        .expect("the supplied certificate is presented");
    assert_eq!(idp.ca_pem(), None, "no CA is generated for a supplied certificate");
    let mismatched = mock_idp::tls::TlsMaterial::from_pem_files(&cert_file, &dir.0.join("missing.pem"));
    assert!(mismatched.is_err(), "a missing key file is refused at start");
}

#[tokio::test]
async fn p156_fault_presets_break_one_property_each() {
    // Arrange: the healthy server is the control (the same client and name succeed).
    let healthy = start_tls(TlsOptions::default()).await;
    handshake(healthy.address(), healthy.ca_pem().unwrap(), "localhost")
        .await
        .expect("the healthy certificate verifies");
    for fault in TlsFault::ALL {
        // Act
        let idp = start_tls(TlsOptions {
            fault: Some(fault),
            ..Default::default()
        })
        .await;
        let result = handshake(idp.address(), idp.ca_pem().unwrap(), "localhost").await;
        // Assert
        let ok = match fault {
            TlsFault::ExpiredCertificate => matches!(
                result,
                Err(rustls::Error::InvalidCertificate(CertificateError::ExpiredContext { .. }))
                    | Err(rustls::Error::InvalidCertificate(CertificateError::Expired))
            ),
            TlsFault::WrongHostname => {
                matches!(
                    result,
                    Err(rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext { .. }))
                )
            }
            TlsFault::UntrustedCa => {
                matches!(result, Err(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)))
            }
            _ => false,
        };
        assert!(ok, "{fault:?} gave {result:?}");
    }
}

#[tokio::test]
async fn p159_https_shutdown_finishes_the_request_in_flight_and_refuses_new_connections() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // Arrange: serve_tls on port 0 with a shutdown we trigger.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a local port");
    let addr = listener.local_addr().unwrap();
    let material = mock_idp::tls::TlsMaterial::build(&TlsOptions::default()).unwrap();
    let ca = material.ca_pem().unwrap().to_owned();
    let state = mock_idp::AppState::new(&mock_idp::Config::builtin(), &format!("https://{addr}")).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(mock_idp::tls::serve_tls(listener, state, material, async {
        let _ = stopped.await;
    }));
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(ca.as_bytes()).unwrap()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut conn = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("the handshake succeeds");
    // The handler is reading the body once the server sends 100 Continue: provably in flight.
    let body = "grant_type=password&username=admin&password=admin-pass&client_id=weaviate";
    let head = format!(
        "POST /default/token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let mut seen = Vec::new();
    let mut chunk = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("100 Continue") {
        let n = conn.read(&mut chunk).await.unwrap();
        assert!(n > 0, "closed before 100 Continue");
        seen.extend_from_slice(&chunk[..n]);
    }
    // Act
    stop.send(()).unwrap();
    let refused = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            match tokio::net::TcpStream::connect(addr).await {
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => break,
                _ => tokio::task::yield_now().await,
            }
        }
    })
    .await;
    conn.write_all(body.as_bytes()).await.unwrap();
    let answer = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        let mut seen = Vec::new();
        while !String::from_utf8_lossy(&seen).contains("access_token") {
            let n = conn.read(&mut chunk).await.unwrap();
            assert!(n > 0, "closed before the answer: {}", String::from_utf8_lossy(&seen));
            seen.extend_from_slice(&chunk[..n]);
        }
        String::from_utf8_lossy(&seen).into_owned()
    })
    .await
    .expect("the in-flight request completes within 5 s");
    let finished = tokio::time::timeout(std::time::Duration::from_secs(5), server).await;
    // Assert
    assert!(refused.is_ok(), "new connections are refused within 5 s");
    assert!(answer.contains("200 OK"), "{answer}");
    finished
        .expect("serve_tls returns within 5 s")
        .unwrap()
        .expect("serve_tls ends cleanly");
}
