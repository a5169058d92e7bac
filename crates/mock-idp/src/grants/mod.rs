//! The grants of the token endpoint, one file each (RFC 6749 §4, §6), and what they share:
//! scope decisions, lifetimes, the grant store and `issue`, which signs and records tokens.

pub mod authorization_code;
pub mod client_credentials;
pub mod password;
pub mod refresh_token;

use std::collections::{HashMap, HashSet};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::accounts::{Client, User};
use crate::claims::{self, has_scope, IdTokenExtras, Times};
use crate::config::Alg;
use crate::error::{Error, Result};
use crate::tenant::Tenant;

/// A successful token response (RFC 6749 §5.1, P51).
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct TokenResponse {
    /// The access token (a JWT, P107).
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires; equals its `exp - iat` (P109).
    pub expires_in: i64,
    /// The granted scope, always sent.
    pub scope: String,
    /// A refresh token, when one is issued (P82).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub refresh_token: Option<String>,
    /// An ID token, when `openid` is granted and a user is involved.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub id_token: Option<String>,
}

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

/// Scopes the tenant knows (P18).
pub fn supported_scopes(tenant: &Tenant) -> Vec<String> {
    let mut s: Vec<String> = ["openid", "profile", "email", "offline_access"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    s.push(tenant.config.groups_scope.clone());
    s.extend(tenant.config.scopes.iter().cloned());
    // `dedup` alone only drops neighbours; a configured scope may repeat a built-in one.
    let mut seen = HashSet::new();
    s.retain(|w| seen.insert(w.clone()));
    s
}

/// The scope a request is granted (P56, P88): the client's default when none is asked for;
/// unknown values dropped, or refused in strict mode; values outside the client's allowed list
/// refused.
pub fn grant_scope(tenant: &Tenant, client: &Client, requested: Option<&str>) -> Result<String> {
    let requested = requested.unwrap_or(&client.config.default_scope);
    let supported = supported_scopes(tenant);
    let mut granted: Vec<&str> = Vec::new();
    for word in requested.split(' ').filter(|w| !w.is_empty()) {
        if !word
            .chars()
            .all(|c| c == '!' || ('#'..='[').contains(&c) || (']'..='~').contains(&c))
        {
            return Err(Error::InvalidScope(
                "scope contains a character RFC 6749 §3.3 does not allow".into(),
            ));
        }
        let known = supported.iter().any(|s| s == word) || client.config.allowed_scopes.iter().any(|s| s == word);
        if !client.config.allowed_scopes.is_empty() && !client.config.allowed_scopes.iter().any(|s| s == word) && word != "openid" {
            return Err(Error::InvalidScope(format!("scope {word} is not allowed for this client")));
        }
        if !known {
            if tenant.config.strict_scopes {
                return Err(Error::InvalidScope(format!("unknown scope {word}")));
            }
            continue;
        }
        if !granted.contains(&word) {
            granted.push(word);
        }
    }
    Ok(granted.join(" "))
}

/// Lifetimes in force for a client and user (P119): user over client over tenant.
pub fn lifetimes(tenant: &Tenant, client: &Client, user: Option<&User>) -> (i64, i64, i64) {
    let t = &tenant.config.lifetimes;
    let c = &client.config.lifetimes;
    let u = user.map(|u| u.config.lifetimes.clone()).unwrap_or_default();
    let pick = |u: Option<u64>, c: Option<u64>, t: u64| u.or(c).unwrap_or(t) as i64;
    (
        pick(u.id_token_s, c.id_token_s, t.id_token_s),
        pick(u.access_token_s, c.access_token_s, t.access_token_s),
        pick(u.refresh_token_s, c.refresh_token_s, t.refresh_token_s),
    )
}

/// Whether a refresh token goes with this response (P82).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshPlan {
    /// No refresh token (client credentials, or neither `offline_access` nor always-on).
    None,
    /// A refresh token opening a new family.
    NewFamily,
    /// A refresh token continuing `family` (refresh grant).
    Family(u64),
}

/// Everything `issue` needs to know.
#[derive(Debug)]
pub struct Issue<'a> {
    /// The client.
    pub client: &'a Client,
    /// The user, when one logged in.
    pub user: Option<&'a User>,
    /// Granted scope.
    pub scope: String,
    /// Access token audience.
    pub aud: Vec<String>,
    /// Time of the user's login.
    pub auth_time: Option<i64>,
    /// Nonce for the ID token.
    pub nonce: Option<String>,
    /// Issue an ID token.
    pub id_token: bool,
    /// Refresh token plan.
    pub refresh: RefreshPlan,
    /// Family the tokens belong to, when not opened here (code redemption).
    pub family: Option<u64>,
}

/// The refresh plan for a user grant (P82): offline_access or the client's always-on option.
pub fn refresh_plan_for(client: &Client, scope: &str, tenant: &Tenant) -> RefreshPlan {
    let enabled =
        tenant.grant_enabled(crate::config::GrantType::RefreshToken) && client.allows_grant(crate::config::GrantType::RefreshToken);
    if enabled && (has_scope(scope, "offline_access") || client.config.always_refresh_token) {
        RefreshPlan::NewFamily
    } else {
        RefreshPlan::None
    }
}

/// Signs the tokens of one response, records their ids in the family, and stores the refresh
/// token. Every time comes from the tenant clock (P143).
pub fn issue(tenant: &Tenant, req: Issue<'_>) -> Result<TokenResponse> {
    let now = tenant.clock.now();
    let (id_life, at_life, rt_life) = lifetimes(tenant, req.client, req.user);
    let keys = tenant.keys.read().map_err(|_| Error::Internal("key lock poisoned".into()))?;
    let key = match req.client.config.alg {
        Some(alg) => keys
            .for_alg(alg)
            .ok_or_else(|| Error::Internal(format!("no key for {}", alg.as_str())))?,
        None => keys.active(),
    };
    let at_claims = claims::access_token(
        tenant,
        req.client,
        req.user,
        &req.scope,
        &req.aud,
        Times {
            iat: now,
            exp: now + at_life,
            auth_time: req.auth_time,
        },
    );
    let at_jti = at_claims["jti"].as_str().unwrap_or_default().to_owned();
    let access_token = key.sign(&at_claims, "JWT");
    let mut jtis = vec![at_jti];
    let id_token = if req.id_token {
        let extras = IdTokenExtras {
            nonce: req.nonce.clone(),
            at_hash: Some(half_hash(key.alg(), &access_token)),
            c_hash: None,
            scope_claims: true,
        };
        let c = claims::id_token(
            tenant,
            req.client,
            req.user,
            &req.scope,
            Times {
                iat: now,
                exp: now + id_life,
                auth_time: req.auth_time,
            },
            &extras,
        );
        jtis.push(c["jti"].as_str().unwrap_or_default().to_owned());
        Some(key.sign(&c, "JWT"))
    } else {
        None
    };
    drop(keys);
    let mut store = tenant.grants.lock().map_err(|_| Error::Internal("grant lock poisoned".into()))?;
    let family = match req.refresh {
        RefreshPlan::Family(f) => Some(f),
        RefreshPlan::NewFamily => Some(req.family.unwrap_or_else(|| store.new_family(req.client.id()))),
        RefreshPlan::None => req.family,
    };
    if let Some(f) = family.and_then(|f| store.families.get_mut(&f)) {
        f.jtis.extend(jtis);
    }
    let refresh_token = match (req.refresh, family) {
        (RefreshPlan::None, _) | (_, None) => None,
        (_, Some(family)) => {
            let token = opaque_token();
            store.refresh.insert(
                store_key(&token),
                RefreshRecord {
                    client_id: req.client.id().to_owned(),
                    username: req.user.map(|u| u.username().to_owned()),
                    scope: req.scope.clone(),
                    aud: req.aud.clone(),
                    family,
                    auth_time: req.auth_time,
                    expires_at: now + rt_life,
                    used: false,
                },
            );
            Some(token)
        }
    };
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: at_life,
        scope: req.scope,
        refresh_token,
        id_token,
    })
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
