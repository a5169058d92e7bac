//! HTTPS mode (P153-P156): a generated CA and server certificate, or your own PEM files, and
//! `serve_tls`, the HTTPS twin of `server::serve`.
//!
//! Why a CA and not one self-signed certificate: a relying party such as Weaviate takes one
//! custom CA file and then trusts whatever the provider serves, so the CA PEM written here (and
//! served at `/_mock/ca.pem`) is the only file a test hands over. The CA key comes from a seed
//! when one is given, so CI can pin the CA across restarts without committing a key, or from a
//! directory where it is kept between runs. Certificate validity follows real time (never the
//! tenant clock): TLS libraries check it against the wall clock.
//!
//! The fault presets (P156) keep the good CA as the one written and served, and change only
//! what the server presents, so a client that trusts the CA sees exactly one broken property.

use std::future::Future;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rcgen::{BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tokio::net::TcpListener;

use crate::error::ConfigError;
use crate::state::AppState;

/// Host names every generated server certificate covers, besides the configured ones (P154).
pub const ALWAYS_COVERED: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// Path of the CA certificate on an HTTPS provider (P154).
pub use crate::endpoint::CA_PATH;

/// How long a TLS handshake may take before the connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long shutdown waits for in-flight requests after the drain (P159: exit within 5 s).
const DRAIN_TIMEOUT: Duration = Duration::from_secs(3);

/// Subject of the generated CA; fixed, so a CA rebuilt from a persisted key issues certificates
/// that chain to the persisted CA certificate.
const CA_NAME: &str = "oidc-harness test CA (never trust outside tests)";

/// A TLS fault preset (P156): the server presents a certificate with one broken property.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TlsFault {
    /// The server certificate's validity ended yesterday.
    ExpiredCertificate,
    /// The server certificate names only `wrong-host.invalid`.
    WrongHostname,
    /// The server certificate is issued by a CA other than the one written and served.
    UntrustedCa,
}

impl TlsFault {
    /// Every preset.
    pub const ALL: [TlsFault; 3] = [TlsFault::ExpiredCertificate, TlsFault::WrongHostname, TlsFault::UntrustedCa];

    /// The spelling used in flags and configuration.
    pub fn as_str(self) -> &'static str {
        crate::serde_name::name(&self)
    }

    /// Parses the spelling of `as_str`.
    pub fn parse(s: &str) -> Option<TlsFault> {
        crate::serde_name::parse(s)
    }
}

/// Where the certificate comes from and what it covers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TlsOptions {
    /// Host names (or IP addresses) the server certificate covers, besides `ALWAYS_COVERED`.
    pub hosts: Vec<String>,
    /// Derive the CA key from this seed: the same seed gives the same CA key (P154).
    pub ca_seed: Option<String>,
    /// Keep the CA (`ca.pem`, `ca-key.pem`) in this directory and reuse it on the next start.
    pub ca_dir: Option<PathBuf>,
    /// Write the CA certificate PEM to this file.
    pub ca_out: Option<PathBuf>,
    /// Serve this PEM certificate chain and key instead of generating (P155).
    pub certificate: Option<PemFiles>,
    /// Serve a broken certificate (P156).
    pub fault: Option<TlsFault>,
}

/// A PEM certificate chain and its private key (P155).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PemFiles {
    /// Certificate chain, leaf first.
    pub cert: PathBuf,
    /// Private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// The certificate chain and key a server presents, and the CA a client should trust.
pub struct TlsMaterial {
    ca_pem: Option<String>,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl std::fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("TlsMaterial")
            .field("ca_pem", &self.ca_pem.is_some())
            .field("chain_len", &self.chain.len())
            .finish_non_exhaustive()
    }
}

impl Clone for TlsMaterial {
    fn clone(&self) -> Self {
        TlsMaterial {
            ca_pem: self.ca_pem.clone(),
            chain: self.chain.clone(),
            key: self.key.clone_key(),
        }
    }
}

fn tls_err(what: impl Into<String>, reason: impl std::fmt::Display) -> ConfigError {
    ConfigError::Tls {
        what: what.into(),
        reason: reason.to_string(),
    }
}

impl TlsMaterial {
    /// Generates (or loads) what `options` describe, and writes the CA PEM to `ca_out`.
    pub fn build(options: &TlsOptions) -> Result<TlsMaterial, ConfigError> {
        let material = match &options.certificate {
            Some(files) => TlsMaterial::from_pem_files(&files.cert, &files.key)?,
            None => generate(options)?,
        };
        if let (Some(out), Some(pem)) = (&options.ca_out, &material.ca_pem) {
            std::fs::write(out, pem).map_err(|e| tls_err(format!("writing the CA to {}", out.display()), e))?;
        }
        Ok(material)
    }

    /// Loads a PEM certificate chain and private key (P155). No CA is known then.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<TlsMaterial, ConfigError> {
        let chain = CertificateDer::pem_file_iter(cert)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|e| tls_err(format!("certificate {}", cert.display()), e))?;
        if chain.is_empty() {
            return Err(tls_err(
                format!("certificate {}", cert.display()),
                "no CERTIFICATE block in the file",
            ));
        }
        let key = PrivateKeyDer::from_pem_file(key).map_err(|e| tls_err(format!("key {}", key.display()), e))?;
        let material = TlsMaterial { ca_pem: None, chain, key };
        material.server_config()?; // refuse a key that does not match at start, not at handshake
        Ok(material)
    }

    /// The CA certificate a client should trust, as PEM; `None` for your own certificate.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The server certificate chain, leaf first.
    pub fn chain(&self) -> &[CertificateDer<'static>] {
        &self.chain
    }

    /// A rustls server configuration (HTTP/1.1 and HTTP/2 by ALPN).
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, ConfigError> {
        // An explicit provider: the process default is ambiguous when several are compiled in.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_err("protocol versions", e))?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .map_err(|e| tls_err("certificate and key", e))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// A key pair for `rcgen`: from a seed (deterministic P-256), else random.
fn key_pair(seed: Option<&str>, purpose: &str) -> Result<KeyPair, ConfigError> {
    match seed {
        Some(seed) => {
            let mut h = Sha256::new();
            h.update(b"oidc-harness tls v1\0");
            h.update(purpose.as_bytes());
            h.update(b"\0");
            h.update(seed.as_bytes());
            let mut rng = ChaCha20Rng::from_seed(h.finalize().into());
            let secret = p256::SecretKey::random(&mut rng);
            let der = p256::pkcs8::EncodePrivateKey::to_pkcs8_der(&secret).map_err(|e| tls_err("seeded key", e))?;
            KeyPair::try_from(der.as_bytes()).map_err(|e| tls_err("seeded key", e))
        }
        None => KeyPair::generate().map_err(|e| tls_err("key generation", e)),
    }
}

fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    dn.push(DnType::OrganizationName, "oidc-harness");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let now = OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(3650);
    params
}

/// The CA key pair and certificate (the certificate that is written and served).
struct Ca {
    key: KeyPair,
    cert: rcgen::Certificate,
    pem: String,
}

fn ca(options: &TlsOptions) -> Result<Ca, ConfigError> {
    let Some(dir) = &options.ca_dir else {
        let key = key_pair(options.ca_seed.as_deref(), "ca")?;
        let cert = ca_params(CA_NAME).self_signed(&key).map_err(|e| tls_err("CA certificate", e))?;
        let pem = cert.pem();
        return Ok(Ca { key, cert, pem });
    };
    let (cert_file, key_file) = (dir.join("ca.pem"), dir.join("ca-key.pem"));
    if cert_file.exists() && key_file.exists() {
        let key_pem = std::fs::read_to_string(&key_file).map_err(|e| tls_err(format!("reading {}", key_file.display()), e))?;
        let pem = std::fs::read_to_string(&cert_file).map_err(|e| tls_err(format!("reading {}", cert_file.display()), e))?;
        let key = KeyPair::from_pem(&key_pem).map_err(|e| tls_err(format!("CA key {}", key_file.display()), e))?;
        // Same subject and key as the kept certificate: what it signs chains to the kept file.
        let cert = ca_params(CA_NAME).self_signed(&key).map_err(|e| tls_err("CA certificate", e))?;
        return Ok(Ca { key, cert, pem });
    }
    std::fs::create_dir_all(dir).map_err(|e| tls_err(format!("creating {}", dir.display()), e))?;
    let key = key_pair(options.ca_seed.as_deref(), "ca")?;
    let cert = ca_params(CA_NAME).self_signed(&key).map_err(|e| tls_err("CA certificate", e))?;
    let pem = cert.pem();
    std::fs::write(&key_file, key.serialize_pem()).map_err(|e| tls_err(format!("writing {}", key_file.display()), e))?;
    std::fs::write(&cert_file, &pem).map_err(|e| tls_err(format!("writing {}", cert_file.display()), e))?;
    Ok(Ca { key, cert, pem })
}

/// The names a generated server certificate covers: configured hosts, then `ALWAYS_COVERED`.
pub fn subject_alt_names(hosts: &[String]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for h in hosts.iter().map(String::as_str).chain(ALWAYS_COVERED) {
        // `[::1]` as typed in a URL is the address `::1`.
        let h = h.trim_start_matches('[').trim_end_matches(']').to_owned();
        if !h.is_empty() && !names.contains(&h) {
            names.push(h);
        }
    }
    names
}

fn generate(options: &TlsOptions) -> Result<TlsMaterial, ConfigError> {
    let good_ca = ca(options)?;
    let names = match options.fault {
        Some(TlsFault::WrongHostname) => vec!["wrong-host.invalid".to_owned()],
        _ => subject_alt_names(&options.hosts),
    };
    for n in &names {
        if n.parse::<IpAddr>().is_err() && !n.chars().all(|c| c.is_ascii_alphanumeric() || "-.*".contains(c)) {
            return Err(tls_err("host names", format!("{n:?} is neither a DNS name nor an IP address")));
        }
    }
    let mut params = CertificateParams::new(names.clone()).map_err(|e| tls_err("host names", e))?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, names.first().cloned().unwrap_or_else(|| "localhost".into()));
    params.distinguished_name = dn;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let now = OffsetDateTime::now_utc();
    if options.fault == Some(TlsFault::ExpiredCertificate) {
        params.not_before = now - time::Duration::days(30);
        params.not_after = now - time::Duration::days(1);
    } else {
        params.not_before = now - time::Duration::hours(1);
        params.not_after = now + time::Duration::days(365);
    }
    let leaf_key = key_pair(options.ca_seed.as_deref(), "server")?;
    let rogue;
    let (issuer_cert, issuer_key) = if options.fault == Some(TlsFault::UntrustedCa) {
        let key = key_pair(None, "rogue ca")?;
        let cert = ca_params("oidc-harness untrusted CA (fault preset)")
            .self_signed(&key)
            .map_err(|e| tls_err("untrusted CA", e))?;
        rogue = (cert, key);
        (&rogue.0, &rogue.1)
    } else {
        (&good_ca.cert, &good_ca.key)
    };
    let leaf = params
        .signed_by(&leaf_key, issuer_cert, issuer_key)
        .map_err(|e| tls_err("server certificate", e))?;
    let key = PrivateKeyDer::try_from(leaf_key.serialize_der()).map_err(|e| tls_err("server key", e))?;
    Ok(TlsMaterial {
        ca_pem: Some(good_ca.pem),
        chain: vec![leaf.der().clone()],
        key,
    })
}

/// Adds `GET /_mock/ca.pem` to a finished router (P154); 404 when no CA is known.
pub fn with_ca_route(app: Router, ca_pem: Option<String>) -> Router {
    app.route(
        CA_PATH,
        get(move || {
            let pem = ca_pem.clone();
            async move { ca_response(pem) }
        }),
    )
}

fn ca_response(pem: Option<String>) -> Response {
    match pem {
        Some(pem) => {
            let mut resp = pem.into_response();
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-pem-file"));
            resp
        }
        None => crate::error::Error::NotFound(format!("{CA_PATH} (the certificate was supplied, not generated)")).into_response(),
    }
}

/// Serves `state` over HTTPS on `listener` until `shutdown` resolves, then closes the listener,
/// drains HTTP/1.1 keep-alive connections for up to `http_drain::DRAIN_WINDOW` (R12) and lets
/// in-flight requests finish (P153, P159).
pub async fn serve_tls(
    listener: TcpListener,
    state: AppState,
    tls: TlsMaterial,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let config = tls.server_config().map_err(std::io::Error::other)?;
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let drain = http_drain::Drain::new();
    let app = drain.layer(with_ca_route(crate::server::router(state), tls.ca_pem.clone()));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let tcp = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _peer)) => tcp,
                Err(e) => {
                    // Out of file descriptors and the like: keep serving the others.
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        // Counted from the accept, so a connection still in its handshake holds the drain too.
        let tcp = drain.track(tcp);
        let acceptor = acceptor.clone();
        let app = app.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    tracing::debug!(error = %e, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!("TLS handshake timed out");
                    return;
                }
            };
            let builder = auto::Builder::new(TokioExecutor::new());
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(app));
            if let Err(e) = watcher.watch(conn.into_owned()).await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener); // new connections are refused from here on
    drain.drain(http_drain::DRAIN_WINDOW).await;
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await.is_err() {
        tracing::warn!("in-flight requests did not finish in time; stopping anyway");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p154_names_cover_configured_hosts_and_loopback_once() {
        let names = subject_alt_names(&["idp".into(), "localhost".into(), "[::1]".into()]);
        assert_eq!(names, ["idp", "localhost", "::1", "127.0.0.1"]);
    }

    #[test]
    fn p154_same_seed_gives_the_same_ca_key() {
        let a = key_pair(Some("s"), "ca").unwrap().public_key_der();
        let b = key_pair(Some("s"), "ca").unwrap().public_key_der();
        let c = key_pair(Some("t"), "ca").unwrap().public_key_der();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn p156_fault_spellings_round_trip() {
        for f in TlsFault::ALL {
            assert_eq!(TlsFault::parse(f.as_str()), Some(f));
            assert_eq!(serde_json::to_value(f).unwrap(), f.as_str());
        }
    }
}
