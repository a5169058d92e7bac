//! The verification cache: what a token's verification gives that depends on neither the clock
//! nor the keys, kept per token so that a repeated token skips the parsing, the JSON decoding
//! and (while the key set is the same) the signature's cryptography.
//!
//! # What an entry holds, and why no answer changes
//! The entry is keyed by the exact token text (no normalisation: two spellings of one token are
//! two entries) and holds, each computed on first need:
//! - the outcome of steps 7 to 11 (payload decoding, issuer, audience): a function of the token
//!   and the settings, which never change for one verifier;
//! - `exp` and `nbf` only: the time checks themselves run on every request, with the request's
//!   clock and go-oidc's leeway, exactly as without the cache;
//! - the outcome of go-jose's parser (a function of the token and the allowlist);
//! - the signature outcome against one key-set generation. It is used only while the verifier
//!   holds that very generation; the key set's generation changes whenever a fetch brings
//!   different keys. The refetch itself is never skipped: a token whose signature failed against
//!   the cached keys still makes the verifier fetch the JWKS (sharing the fetch in flight), as
//!   go-oidc does, and only the cryptography against an unchanged set is saved;
//! - what follows a verified signature (the payload comparison and Weaviate's claim rules,
//!   including its 500s): a function of the token and the settings.
//!
//! # Bounds
//! Tokens over `MAX_TOKEN_BYTES` are verified without being kept. The cache holds at most
//! `MAX_ENTRIES` entries and about `MAX_BYTES` (an estimate of four copies of each token plus
//! a fixed overhead); when either bound would be passed it is emptied and starts again.
//!
//! Tokens are secrets: nothing here implements `Debug` with a token in it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use super::jose::Jws;
use super::{OidcFailure, OidcIdentity, Times};

/// Tokens longer than this are not kept (go-oidc has no length cap; see the module docs of
/// `oidc`).
const MAX_TOKEN_BYTES: usize = 64 * 1024;
/// At most this many tokens.
const MAX_ENTRIES: usize = 4096;
/// At most about this many bytes of entries.
const MAX_BYTES: usize = 16 * 1024 * 1024;
/// The estimated size of an entry besides the four copies of its token.
const ENTRY_OVERHEAD: usize = 512;

/// The time- and key-independent outcome of one token.
pub(super) struct Entry {
    times: Result<Times, String>,
    jws: OnceLock<Result<Jws, String>>,
    /// `generation << 1 | verified`, 0 while no key set has been tried (generations start at 1).
    signature: AtomicU64,
    outcome: OnceLock<Result<OidcIdentity, OidcFailure>>,
}

impl Entry {
    fn new(times: Result<Times, String>) -> Entry {
        Entry {
            times,
            jws: OnceLock::new(),
            signature: AtomicU64::new(0),
            outcome: OnceLock::new(),
        }
    }

    /// Steps 7 to 11: `exp` and `nbf`, or the refusal.
    pub(super) fn times(&self) -> &Result<Times, String> {
        &self.times
    }

    /// go-jose's parse of the token, computed by `parse` the first time.
    pub(super) fn jws(&self, parse: impl FnOnce() -> Result<Jws, String>) -> &Result<Jws, String> {
        self.jws.get_or_init(parse)
    }

    /// Whether the key set of `generation` verifies this token, if that was computed.
    pub(super) fn signature_outcome(&self, generation: u64) -> Option<bool> {
        let known = self.signature.load(Ordering::Acquire);
        (known != 0 && known >> 1 == generation).then_some(known & 1 == 1)
    }

    /// Remembers the signature outcome against the key set of `generation`.
    pub(super) fn remember_signature(&self, generation: u64, verified: bool) {
        self.signature.store(generation << 1 | u64::from(verified), Ordering::Release);
    }

    /// What a verified token gives, computed by `decide` the first time.
    pub(super) fn outcome(&self, decide: impl FnOnce() -> Result<OidcIdentity, OidcFailure>) -> &Result<OidcIdentity, OidcFailure> {
        self.outcome.get_or_init(decide)
    }
}

/// Tokens come from clients, so the table's hasher is seeded at random: foldhash (hashbrown's
/// default), randomly initialised per map and, in its authors' words, minimally DoS-resistant.
/// It hashes a 1 KB token in a fraction of std SipHash's instructions; the bounds above cap what
/// a collision search could cost.
#[derive(Default)]
struct Map {
    entries: HashMap<Box<str>, Arc<Entry>, foldhash::fast::RandomState>,
    bytes: usize,
}

/// The bounded map from token text to `Entry`.
#[derive(Default)]
pub(super) struct ResultCache {
    map: Mutex<Map>,
    hits: AtomicU64,
}

impl std::fmt::Debug for ResultCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (entries, hits) = self.stats();
        f.debug_struct("ResultCache")
            .field("entries", &entries)
            .field("hits", &hits)
            .finish()
    }
}

impl ResultCache {
    /// The entry of `token`; a new one (with `claims` computed) when there is none.
    pub(super) fn entry(&self, token: &str, claims: impl FnOnce(&str) -> Result<Times, String>) -> Arc<Entry> {
        if let Some(e) = self.lock().entries.get(token) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Arc::clone(e);
        }
        // Decoded outside the lock; two requests racing on a new token may both decode it.
        let entry = Arc::new(Entry::new(claims(token)));
        if token.len() <= MAX_TOKEN_BYTES {
            let cost = 4 * token.len() + ENTRY_OVERHEAD;
            let mut map = self.lock();
            if map.entries.len() >= MAX_ENTRIES || map.bytes + cost > MAX_BYTES {
                map.entries.clear();
                map.bytes = 0;
            }
            if map.entries.insert(token.into(), Arc::clone(&entry)).is_none() {
                map.bytes += cost;
            }
        }
        entry
    }

    /// The entry of `token` if there is one (a hit), without making one.
    pub(super) fn get(&self, token: &str) -> Option<Arc<Entry>> {
        let found = self.lock().entries.get(token).map(Arc::clone);
        if found.is_some() {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        found
    }

    /// Entries held and lookups answered from the cache.
    pub(super) fn stats(&self) -> (usize, u64) {
        (self.lock().entries.len(), self.hits.load(Ordering::Relaxed))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Map> {
        match self.map.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_by_entries_and_by_bytes_and_long_tokens_are_not_kept() {
        let c = ResultCache::default();
        let times = |_: &str| Ok(Times { exp: None, nbf: None });
        for i in 0..MAX_ENTRIES {
            c.entry(&format!("t{i}"), times);
        }
        assert_eq!(c.stats(), (MAX_ENTRIES, 0));
        c.entry("t0", times);
        assert_eq!(c.stats(), (MAX_ENTRIES, 1), "a hit");
        c.entry("one more", times);
        assert_eq!(c.stats().0, 1, "full: emptied, then the new token kept");
        c.entry(&"x".repeat(MAX_TOKEN_BYTES + 1), times);
        assert_eq!(c.stats().0, 1, "a token over the cap is not kept");
        let big = "y".repeat(MAX_TOKEN_BYTES);
        let per = 4 * MAX_TOKEN_BYTES + ENTRY_OVERHEAD;
        for i in 0..MAX_BYTES / per + 1 {
            c.entry(&format!("{big}{i}")[i.to_string().len()..], times);
        }
        assert!(c.lock().bytes <= MAX_BYTES);
        assert!(c.stats().0 <= MAX_BYTES / per);
    }

    #[test]
    fn a_signature_outcome_holds_for_its_generation_only() {
        let e = Entry::new(Err("x".into()));
        assert_eq!(e.signature_outcome(1), None);
        e.remember_signature(1, false);
        assert_eq!((e.signature_outcome(1), e.signature_outcome(2)), (Some(false), None));
        e.remember_signature(2, true);
        assert_eq!((e.signature_outcome(1), e.signature_outcome(2)), (None, Some(true)));
    }

    #[test]
    fn debug_shows_no_token() {
        let c = ResultCache::default();
        c.entry("secret-token-text", |_| Err("x".into()));
        let shown = format!("{c:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }
}
