//! Database users (spec 6): `v200` keys, create, import, rotate, (de)activate, delete, and the key
//! check used by `authentication::api_key`. Who may call these, and in which order the
//! handler checks run, is `rest.rs`'s business; this module only keeps the records.
//!
//! Storage differs from Weaviate on purpose: Weaviate keeps an argon2id hash of the secret and caches a
//! cheaper digest after the first check; the emulation keeps only a SHA-256 digest of the secret
//! (never the secret) and compares in constant time. The observable behaviour is the same, including
//! why the secret is checked *before* the deactivated and revoked flags: holders of a wrong or old key
//! must learn nothing about the account's state (spec 3.1 step 1a).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use crate::authentication::api_key::digest;

/// Spec 6.1: the version marker at the end of a key's plain text.
pub const KEY_VERSION: &str = "v200";

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

/// Spec 6.2: `Err` holds the 422 message for a bad user id.
pub fn validate_user_id(id: &str) -> Result<(), String> {
    if id.chars().count() > 128 {
        return Err(format!(
            "'{id}' is not a valid user name. Name should not be longer than 128 characters"
        ));
    }
    let mut chars = id.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '@' | '.'));
    if first_ok && rest_ok {
        Ok(())
    } else {
        Err(format!("'{id}' is not a valid user name"))
    }
}

/// A decoded DB-user key (spec 6.1): identifier (16 chars) and secret (44 chars).
#[derive(PartialEq, Eq)]
pub struct DecodedKey {
    /// The 16-character identifier.
    pub identifier: String,
    /// The 44-character secret.
    pub secret: String,
}

impl std::fmt::Debug for DecodedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecodedKey")
            .field("identifier", &self.identifier)
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// Spec 6.1 decoding: standard base64, three `_` parts, `v200`, lengths 16 and 44; else `None`.
pub fn decode_key(token: &str) -> Option<DecodedKey> {
    let plain = STANDARD.decode(token).ok()?;
    let plain = String::from_utf8(plain).ok()?;
    let parts: Vec<&str> = plain.split('_').collect();
    match parts.as_slice() {
        [identifier, secret, version] if *version == KEY_VERSION && identifier.len() == 16 && secret.len() == 44 => Some(DecodedKey {
            identifier: (*identifier).to_owned(),
            secret: (*secret).to_owned(),
        }),
        _ => None,
    }
}

/// Spec 6.1 generation: a fresh identifier, secret and the 88-character key given to the user.
fn generate() -> (String, String, String) {
    let mut rng = rand::thread_rng();
    let mut id = [0u8; 12];
    let mut secret = [0u8; 32];
    rng.fill_bytes(&mut id);
    rng.fill_bytes(&mut secret);
    let identifier = STANDARD.encode(id);
    let secret = STANDARD.encode(secret);
    let key = STANDARD.encode(format!("{identifier}_{secret}_{KEY_VERSION}"));
    (identifier, secret, key)
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
    pub fn create(&self, id: &str) -> String {
        let mut inner = self.lock();
        let (identifier, secret, key) = loop {
            let drawn = generate();
            // Identifiers are unique: draw again on a collision (spec 6.1).
            if !inner.by_identifier.contains_key(&drawn.0) {
                break drawn;
            }
        };
        inner.by_identifier.insert(identifier.clone(), id.to_owned());
        inner.users.insert(
            id.to_owned(),
            Record {
                identifier: Some(identifier),
                secret_digest: digest(&secret),
                import_digest: None,
                import_rotated: false,
                first_letters: key.chars().take(3).collect(),
                active: true,
                revoked: false,
                created_at: OffsetDateTime::now_utc(),
                last_used: None,
            },
        );
        key
    }

    /// Imports a static key as user `id` (`key_digest` is the key's SHA-256, `first_letters` its first three characters).
    pub fn import(&self, id: &str, key_digest: [u8; 32], first_letters: String, created_at: Option<OffsetDateTime>) {
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
    pub fn rotate(&self, id: &str) -> Option<String> {
        let mut inner = self.lock();
        let old = inner.users.get(id)?.identifier.clone();
        if let Some(old) = old {
            inner.by_identifier.remove(&old);
        }
        let (identifier, secret, key) = loop {
            let drawn = generate();
            if !inner.by_identifier.contains_key(&drawn.0) {
                break drawn;
            }
        };
        inner.by_identifier.insert(identifier.clone(), id.to_owned());
        let record = inner.users.get_mut(id)?;
        record.identifier = Some(identifier);
        record.secret_digest = digest(&secret);
        record.import_rotated = record.import_digest.is_some();
        record.revoked = false;
        record.first_letters = key.chars().take(3).collect();
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
    fn s6_1_generated_keys_have_the_v200_shape() {
        let (identifier, secret, key) = generate();
        assert_eq!((identifier.len(), secret.len(), key.len()), (16, 44, 88));
        assert!(secret.ends_with('='));
        assert!(!key.ends_with('='));
        let decoded = decode_key(&key).expect("a generated key decodes");
        assert_eq!(decoded.identifier, identifier);
        assert_eq!(decoded.secret, secret);
    }

    #[test]
    fn s6_1_other_texts_are_not_db_keys() {
        assert!(decode_key("plain-static-key").is_none());
        assert!(decode_key(&STANDARD.encode("a_b_v200")).is_none());
        let id = "A".repeat(16);
        let secret = "B".repeat(44);
        assert!(decode_key(&STANDARD.encode(format!("{id}_{secret}_v200"))).is_some());
        assert!(decode_key(&STANDARD.encode(format!("{id}_{secret}_v201"))).is_none());
        assert!(decode_key(&STANDARD.encode(format!("{id}_{secret}_v200_x"))).is_none());
    }

    #[test]
    fn s6_2_user_ids() {
        assert!(validate_user_id("alice@example.com").is_ok());
        assert_eq!(validate_user_id("1bad"), Err("'1bad' is not a valid user name".into()));
        let long = format!("a{}", "b".repeat(128));
        assert_eq!(
            validate_user_id(&long),
            Err(format!(
                "'{long}' is not a valid user name. Name should not be longer than 128 characters"
            ))
        );
        assert!(validate_user_id(&format!("a{}", "b".repeat(127))).is_ok());
    }

    #[test]
    fn s6_3_timestamps_have_milliseconds() {
        let t = time::macros::datetime!(2026-11-23 08:56:28.252 UTC);
        assert_eq!(format_time(Some(t)), "2026-11-23T08:56:28.252Z");
        assert_eq!(format_time(None), ZERO_TIME);
    }
}
