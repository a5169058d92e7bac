//! The API-key check (spec 3.1): database users first (`db_users.rs`), then the static keys of
//! `AUTHENTICATION_APIKEY_ALLOWED_KEYS`, compared as SHA-256 digests in constant time.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::ApiKeyConfig;
use crate::db_users::{DbCheck, DbUsers};
use crate::error::Error;
use crate::principal::Principal;

/// Spec 3.1: the message of every failed key check without a more specific reason.
pub const INVALID_API_KEY: &str = "unauthorized: invalid api key";

/// SHA-256 of `value` (keys are kept and compared as digests only).
pub fn digest(value: &str) -> [u8; 32] {
    Sha256::digest(value.as_bytes()).into()
}

/// The configured static keys, as digests with their usernames.
#[derive(Clone, Default)]
pub struct StaticKeys {
    keys: Vec<([u8; 32], String)>,
}

impl std::fmt::Debug for StaticKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticKeys").field("count", &self.keys.len()).finish()
    }
}

impl StaticKeys {
    /// The keys of a validated config (empty when static keys are off).
    pub fn new(config: &ApiKeyConfig) -> Self {
        if !config.enabled {
            return StaticKeys::default();
        }
        let keys = config.allowed_keys.as_deref().unwrap_or(&[]);
        StaticKeys {
            keys: keys
                .iter()
                .enumerate()
                .map(|(i, k)| (digest(k), config.user_for(i).to_owned()))
                .collect(),
        }
    }

    /// The user of `token`, comparing against every key in constant time.
    pub fn lookup(&self, token: &str) -> Option<&str> {
        let wanted = digest(token);
        let mut found = None;
        for (key, user) in &self.keys {
            if bool::from(key.ct_eq(&wanted)) && found.is_none() {
                found = Some(user.as_str());
            }
        }
        found
    }

    /// The first static key of `user` (what an import copies), as its digest.
    pub fn digest_of_user(&self, user: &str) -> Option<[u8; 32]> {
        self.keys.iter().find(|(_, u)| u == user).map(|(d, _)| *d)
    }
}

/// Spec 3.1: DB users (decoded keys, then imported keys), then static keys.
pub fn check(static_keys: &StaticKeys, db_users: &DbUsers, token: &str) -> Result<Principal, Error> {
    match db_users.authenticate(token) {
        DbCheck::User(id) => return Ok(Principal::db(id)),
        DbCheck::Failed(reason) => return Err(Error::Unauthorized(format!("{INVALID_API_KEY}: {reason}"))),
        DbCheck::RotatedImport => return Err(Error::Unauthorized(INVALID_API_KEY.to_owned())),
        DbCheck::NotDbKey => {}
    }
    match static_keys.lookup(token) {
        Some(user) => Ok(Principal::db(user)),
        None => Err(Error::Unauthorized(INVALID_API_KEY.to_owned())),
    }
}
