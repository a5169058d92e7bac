//! Database users (spec 6): the records (create, import, rotate, (de)activate, delete) and the key
//! check used by `authentication::api_key`. The keys themselves are in `key.rs`; who may do what,
//! and in which order the checks run, in `rules.rs` (`UserAdmin`), which the REST handlers call.
//!
//! Storage differs from Weaviate on purpose: Weaviate keeps an argon2id hash of the secret and caches a
//! cheaper digest after the first check; the emulation keeps only a SHA-256 digest of the secret
//! (never the secret) and compares in constant time. The observable behaviour is the same, including
//! why the secret is checked *before* the deactivated and revoked flags: holders of a wrong or old key
//! must learn nothing about the account's state (spec 3.1 step 1a).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use crate::authentication::api_key::digest;

pub mod key;
pub mod rules;

pub use key::{decode_key, ApiKey, DecodedKey, KEY_VERSION};
pub use rules::UserAdmin;

/// The zero date Weaviate prints for unset timestamps.
pub const ZERO_TIME: &str = "0001-01-01T00:00:00.000Z";

/// A timestamp as Weaviate prints it: UTC with milliseconds, e.g. `2026-11-23T08:56:28.252Z`.
pub fn format_time(t: Option<OffsetDateTime>) -> String {
    let Some(t) = t else {
        return ZERO_TIME.to_owned();
    };
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// The outcome of checking a token against DB users (spec 3.1 step 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbCheck {
    /// The token is this user's current key.
    User(String),
    /// 401 `unauthorized: invalid api key: <reason>`.
    Failed(&'static str),
    /// An imported static key whose user has rotated since: plain `unauthorized: invalid api key` (1c).
    RotatedImport,
    /// Not a DB-user key: the static keys get their turn.
    NotDbKey,
}

/// One database user.
#[derive(Debug, Clone)]
struct Record {
    identifier: Option<String>,
    secret_digest: [u8; 32],
    import_digest: Option<[u8; 32]>,
    import_rotated: bool,
    first_letters: String,
    active: bool,
    revoked: bool,
    created_at: OffsetDateTime,
    last_used: Option<OffsetDateTime>,
}

/// What `GET /v1/users/db` shows of a user, before roles and visibility are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// The user id.
    pub id: String,
    /// Whether the user may authenticate.
    pub active: bool,
    /// Creation time (`None` prints as the zero date).
    pub created_at: Option<OffsetDateTime>,
    /// Last successful authentication.
    pub last_used: Option<OffsetDateTime>,
    /// First three characters of the current key.
    pub first_letters: String,
}

/// Why `set_active` did nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateError {
    /// No such user (404).
    Unknown,
    /// Already in the requested state (409).
    Unchanged,
}

#[derive(Debug, Default)]
struct Inner {
    users: BTreeMap<String, Record>,
    by_identifier: HashMap<String, String>,
}

impl Inner {
    /// A new key whose identifier no user has: draws again on a collision (spec 6.1).
    fn draw_key(&self) -> key::NewKey {
        loop {
            let drawn = key::generate();
            if !self.by_identifier.contains_key(&drawn.identifier) {
                return drawn;
            }
        }
    }
}

/// The database users of one server.
#[derive(Debug, Default)]
pub struct DbUsers {
    enabled: bool,
    inner: Mutex<Inner>,
}

impl DbUsers {
    /// An empty store; `enabled` is `AUTHENTICATION_DB_USERS_ENABLED`.
    pub fn new(enabled: bool) -> Self {
        DbUsers {
            enabled,
            inner: Mutex::default(),
        }
    }

    /// Whether DB users are on.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock only means another request panicked mid-update; the maps stay usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Spec 3.1 step 1: checks `token` as a DB-user key or an imported static key.
    pub fn authenticate(&self, token: &str) -> DbCheck {
        if !self.enabled {
            return DbCheck::NotDbKey;
        }
        let mut inner = self.lock();
        let now = OffsetDateTime::now_utc();
        if let Some(key) = decode_key(token) {
            let Some(id) = inner.by_identifier.get(&key.identifier).cloned() else {
                return DbCheck::Failed("invalid token");
            };
            let Some(record) = inner.users.get_mut(&id) else {
                return DbCheck::Failed("invalid token");
            };
            // The secret first: only its holder may learn that the user is deactivated or revoked.
            if !bool::from(record.secret_digest.ct_eq(&digest(&key.secret))) {
                return DbCheck::Failed("invalid token");
            }
            return state_check(&id, record, now);
        }
        let wanted = digest(token);
        let found = inner
            .users
            .iter()
            .find(|(_, r)| r.import_digest.is_some_and(|d| bool::from(d.ct_eq(&wanted))))
            .map(|(id, _)| id.clone());
        let Some(id) = found else {
            return DbCheck::NotDbKey;
        };
        let Some(record) = inner.users.get_mut(&id) else {
            return DbCheck::NotDbKey;
        };
        if record.import_rotated {
            return DbCheck::RotatedImport;
        }
        state_check(&id, record, now)
    }

    /// Whether `id` is a DB user.
    pub fn exists(&self, id: &str) -> bool {
        self.lock().users.contains_key(id)
    }

    /// Creates `id` with a fresh key and returns the key (the caller checked that `id` is free).
    pub fn create(&self, id: &str) -> ApiKey {
        let mut inner = self.lock();
        let key::NewKey { identifier, secret, key } = inner.draw_key();
        inner.by_identifier.insert(identifier.clone(), id.to_owned());
        inner.users.insert(
            id.to_owned(),
            Record {
                identifier: Some(identifier),
                secret_digest: digest(&secret),
                import_digest: None,
                import_rotated: false,
                first_letters: key.first_letters(),
                active: true,
                revoked: false,
                created_at: OffsetDateTime::now_utc(),
                last_used: None,
            },
        );
        key
    }

    /// Imports the static `key` as user `id` (only its digest and first three characters are kept).
    pub fn import(&self, id: &str, key: &ApiKey, created_at: Option<OffsetDateTime>) {
        let (key_digest, first_letters) = (digest(key.expose()), key.first_letters());
        self.lock().users.insert(
            id.to_owned(),
            Record {
                identifier: None,
                secret_digest: [0; 32],
                import_digest: Some(key_digest),
                import_rotated: false,
                first_letters,
                active: true,
                revoked: false,
                created_at: created_at.unwrap_or_else(OffsetDateTime::now_utc),
                last_used: None,
            },
        );
    }

    /// Gives `id` a new key; the old one stops working at once and revocation is cleared.
    pub fn rotate(&self, id: &str) -> Option<ApiKey> {
        let mut inner = self.lock();
        let old = inner.users.get(id)?.identifier.clone();
        if let Some(old) = old {
            inner.by_identifier.remove(&old);
        }
        let key::NewKey { identifier, secret, key } = inner.draw_key();
        inner.by_identifier.insert(identifier.clone(), id.to_owned());
        let record = inner.users.get_mut(id)?;
        record.identifier = Some(identifier);
        record.secret_digest = digest(&secret);
        record.import_rotated = record.import_digest.is_some();
        record.revoked = false;
        record.first_letters = key.first_letters();
        Some(key)
    }

    /// Activates or deactivates `id`; `revoke` also revokes the key (deactivate only).
    pub fn set_active(&self, id: &str, active: bool, revoke: bool) -> Result<(), StateError> {
        let mut inner = self.lock();
        let record = inner.users.get_mut(id).ok_or(StateError::Unknown)?;
        if record.active == active {
            return Err(StateError::Unchanged);
        }
        record.active = active;
        if !active && revoke {
            record.revoked = true;
        }
        Ok(())
    }

    /// Deletes `id`; false if unknown.
    pub fn delete(&self, id: &str) -> bool {
        let mut inner = self.lock();
        let Some(record) = inner.users.remove(id) else {
            return false;
        };
        if let Some(identifier) = record.identifier {
            inner.by_identifier.remove(&identifier);
        }
        true
    }

    /// The record of `id`.
    pub fn get(&self, id: &str) -> Option<UserRecord> {
        self.lock().users.get(id).map(|r| to_record(id, r))
    }

    /// Every record, ordered by id.
    pub fn list(&self) -> Vec<UserRecord> {
        self.lock().users.iter().map(|(id, r)| to_record(id, r)).collect()
    }
}

fn to_record(id: &str, r: &Record) -> UserRecord {
    UserRecord {
        id: id.to_owned(),
        active: r.active,
        created_at: Some(r.created_at),
        last_used: r.last_used,
        first_letters: r.first_letters.clone(),
    }
}

fn state_check(id: &str, record: &mut Record, now: OffsetDateTime) -> DbCheck {
    if !record.active {
        return DbCheck::Failed("user deactivated");
    }
    if record.revoked {
        return DbCheck::Failed("key is revoked");
    }
    record.last_used = Some(now);
    DbCheck::User(id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s6_3_timestamps_have_milliseconds() {
        let t = time::macros::datetime!(2026-11-23 08:56:28.252 UTC);
        assert_eq!(format_time(Some(t)), "2026-11-23T08:56:28.252Z");
        assert_eq!(format_time(None), ZERO_TIME);
    }
}
