//! The grant store of a tenant: authorization codes, refresh-token families, login sessions and
//! revocations, with the digests they are stored under. The grant types that fill it live in
//! `grant_types/`.

use std::collections::{HashMap, HashSet};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::config::Alg;

/// An authorization code waiting for redemption (P65).
#[derive(Debug, Clone)]
pub struct CodeRecord {
    /// Client the code was issued to.
    pub client_id: String,
    /// `redirect_uri` of the authorization request, if it had one.
    pub redirect_uri: Option<String>,
    /// Granted scope.
    pub scope: String,
    /// Nonce of the authorization request.
    pub nonce: Option<String>,
    /// PKCE challenge and method (`S256` or `plain`).
    pub pkce: Option<(String, String)>,
    /// The user who logged in.
    pub username: String,
    /// Time of that login.
    pub auth_time: i64,
    /// Expiry on the tenant clock.
    pub expires_at: i64,
    /// Set on first redemption: the family of the tokens issued then (P66).
    pub redeemed_family: Option<u64>,
}

/// A refresh token (stored under its digest, never in plain text).
#[derive(Debug, Clone)]
pub struct RefreshRecord {
    /// Client it was issued to (P77).
    pub client_id: String,
    /// The user, when a user is involved.
    pub username: Option<String>,
    /// Granted scope; a refresh may only narrow it (P76).
    pub scope: String,
    /// Access token audience.
    pub aud: Vec<String>,
    /// Family: everything that descends from one original grant (P78).
    pub family: u64,
    /// Time of the original login (P81).
    pub auth_time: Option<i64>,
    /// Expiry on the tenant clock (P80).
    pub expires_at: i64,
    /// Already rotated away (P78).
    pub used: bool,
}

/// A token family: revoked as a whole on reuse or revocation (P66, P78, P116).
#[derive(Debug, Clone, Default)]
pub struct Family {
    /// Client of the family.
    pub client_id: String,
    /// Revoked.
    pub revoked: bool,
    /// `jti`s of access and ID tokens issued in the family.
    pub jtis: Vec<String>,
}

/// A browser login session (P98).
#[derive(Debug, Clone)]
pub struct Session {
    /// Who is logged in.
    pub username: String,
    /// When they logged in.
    pub auth_time: i64,
}

/// Per-tenant grant state.
#[derive(Debug, Default)]
pub struct GrantStore {
    /// Codes by digest.
    pub codes: HashMap<String, CodeRecord>,
    /// Refresh tokens by digest.
    pub refresh: HashMap<String, RefreshRecord>,
    /// Families by id.
    pub families: HashMap<u64, Family>,
    /// Revoked token ids.
    pub revoked_jtis: HashSet<String>,
    /// Login sessions by cookie digest.
    pub sessions: HashMap<String, Session>,
    /// Password-checked logins awaiting their one-time code (P152), by ticket digest.
    pub mfa_pending: HashMap<String, Session>,
    next_family: u64,
}

impl GrantStore {
    /// Opens a new family for `client_id`.
    pub fn new_family(&mut self, client_id: &str) -> u64 {
        self.next_family += 1;
        self.families.insert(
            self.next_family,
            Family {
                client_id: client_id.to_owned(),
                ..Family::default()
            },
        );
        self.next_family
    }

    /// Revokes a family: its refresh tokens and every token id issued in it.
    pub fn revoke_family(&mut self, family: u64) {
        if let Some(f) = self.families.get_mut(&family) {
            f.revoked = true;
            for j in &f.jtis {
                self.revoked_jtis.insert(j.clone());
            }
        }
        self.refresh.retain(|_, r| r.family != family);
    }
}

/// Digest under which a code, refresh token or session id is stored (never the value itself).
pub fn store_key(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// A fresh opaque value with 256 bits from the OS generator, base64url (P54).
pub fn opaque_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    B64.encode(b)
}

/// `at_hash` / `c_hash` (P97): left half of the hash that belongs to `alg`, base64url.
pub fn half_hash(alg: Alg, value: &str) -> String {
    let digest: Vec<u8> = match alg {
        Alg::RS256 | Alg::PS256 | Alg::ES256 => Sha256::digest(value.as_bytes()).to_vec(),
        Alg::RS384 | Alg::PS384 | Alg::ES384 => Sha384::digest(value.as_bytes()).to_vec(),
        Alg::RS512 | Alg::PS512 | Alg::EdDSA => Sha512::digest(value.as_bytes()).to_vec(),
    };
    B64.encode(&digest[..digest.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p97_half_hash_known_answer_from_oidc_core() {
        // OIDC Core appendix A.3/A.4 example: access token and its at_hash with RS256.
        assert_eq!(
            half_hash(Alg::RS256, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
        // c_hash of the code in the same appendix.
        assert_eq!(
            half_hash(Alg::RS256, "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"),
            "LDktKdoQak3Pk0cnXxCltA"
        );
    }

    #[test]
    fn p54_opaque_tokens_carry_256_bits_in_base64url() {
        let t = opaque_token();
        assert_eq!(t.len(), 43);
        assert!(t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_ne!(t, opaque_token());
    }
}
