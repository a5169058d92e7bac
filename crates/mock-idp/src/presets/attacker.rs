//! The attacker's material for the presets (P134): keys from fixed seeds, made once per process
//! and never published by any tenant, and a self-signed certificate for the RSA one (`x5c`).

use std::sync::OnceLock;

use sha2::{Digest, Sha256};

use crate::config::Alg;
use crate::error::{Error, Result};
use crate::keys::SigningKey;

/// Attacker keys: fixed seeds, made once per process, never published by any tenant.
pub(super) fn attacker_rsa() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::from_seed("oidc-harness attacker key", Alg::RS256))
}

pub(super) fn attacker_p256() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::from_seed("oidc-harness attacker key", Alg::ES256))
}

pub(super) fn never_published_rsa() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::from_seed("oidc-harness retired key", Alg::RS256))
}

/// A self-signed X.509 certificate for the attacker key, DER, built by hand (fixed serial and
/// validity, so it is the same bytes at every run).
pub(super) fn attacker_certificate() -> Result<Vec<u8>> {
    static CERT: OnceLock<Vec<u8>> = OnceLock::new();
    if let Some(c) = CERT.get() {
        return Ok(c.clone());
    }
    let key = attacker_rsa();
    let tlv = |tag: u8, content: &[u8]| -> Vec<u8> {
        let mut out = vec![tag];
        let n = content.len();
        if n < 0x80 {
            out.push(n as u8);
        } else if n < 0x100 {
            out.extend_from_slice(&[0x81, n as u8]);
        } else {
            out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
        }
        out.extend_from_slice(content);
        out
    };
    let seq = |parts: &[&[u8]]| tlv(0x30, &parts.concat());
    // sha256WithRSAEncryption, NULL parameters.
    let alg_id = seq(&[&tlv(0x06, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]), &[0x05, 0x00]]);
    // Name: CN=oidc-harness attacker.
    let cn = seq(&[&tlv(0x06, &[0x55, 0x04, 0x03]), &tlv(0x0c, b"oidc-harness attacker")]);
    let name = seq(&[&tlv(0x31, &cn)]);
    let validity = seq(&[&tlv(0x17, b"260101000000Z"), &tlv(0x17, b"361231235959Z")]);
    let version = tlv(0xa0, &tlv(0x02, &[0x02]));
    let serial = tlv(0x02, &[0x01]);
    let spki = key.public_der();
    let tbs = seq(&[&version, &serial, &alg_id, &name, &validity, &name, &spki]);
    let private = <rsa::RsaPrivateKey as rsa::pkcs8::DecodePrivateKey>::from_pkcs8_pem(&key.private_pem())
        .map_err(|e| Error::Internal(format!("attacker key: {e}")))?;
    let digest = Sha256::digest(&tbs);
    let sig = private
        .sign(rsa::Pkcs1v15Sign::new::<Sha256>(), &digest)
        .map_err(|e| Error::Internal(format!("attacker certificate: {e}")))?;
    let mut bits = vec![0u8];
    bits.extend_from_slice(&sig);
    let cert = seq(&[&tbs, &alg_id, &tlv(0x03, &bits)]);
    Ok(CERT.get_or_init(|| cert).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p134_attacker_certificate_is_stable_der() {
        let a = attacker_certificate().unwrap();
        assert_eq!(a, attacker_certificate().unwrap());
        assert_eq!(a[0], 0x30);
    }
}
