//! Database-user keys (spec 6.1): the `v200` format, its decoding and the generation of new keys,
//! and `ApiKey`, the secret newtype in which a key leaves this crate (its `Debug` redacts it).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;

/// Spec 6.1: the version marker at the end of a key's plain text.
pub const KEY_VERSION: &str = "v200";

/// An API key handed to a caller (a new or rotated DB-user key, or an imported static key).
/// `Debug` prints `[redacted]` and there is no `Display`: the key is read with `expose`, where it
/// goes into the answer and nowhere else.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }

    /// The key itself.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Its first three characters (`apiKeyFirstLetters`, shown to root callers).
    pub fn first_letters(&self) -> String {
        self.0.chars().take(3).collect()
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey([redacted])")
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

/// A freshly drawn key: its identifier, its secret and the 88-character key given to the user.
pub(crate) struct NewKey {
    pub(crate) identifier: String,
    pub(crate) secret: String,
    pub(crate) key: ApiKey,
}

/// Spec 6.1 generation: a fresh identifier, secret and key.
pub(crate) fn generate() -> NewKey {
    let mut rng = rand::thread_rng();
    let mut id = [0u8; 12];
    let mut secret = [0u8; 32];
    rng.fill_bytes(&mut id);
    rng.fill_bytes(&mut secret);
    let identifier = STANDARD.encode(id);
    let secret = STANDARD.encode(secret);
    let key = ApiKey(STANDARD.encode(format!("{identifier}_{secret}_{KEY_VERSION}")));
    NewKey { identifier, secret, key }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s6_1_generated_keys_have_the_v200_shape() {
        let NewKey { identifier, secret, key } = generate();
        let key = key.expose();
        assert_eq!((identifier.len(), secret.len(), key.len()), (16, 44, 88));
        assert!(secret.ends_with('='));
        assert!(!key.ends_with('='));
        let decoded = decode_key(key).expect("a generated key decodes");
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
    fn keys_never_show_in_debug_output() {
        let key = generate().key;
        assert_eq!(format!("{key:?}"), "ApiKey([redacted])");
        let decoded = decode_key(key.expose()).expect("a generated key decodes");
        assert!(!format!("{decoded:?}").contains(&decoded.secret));
    }
}
