//! The grant store of a tenant: authorization codes, refresh-token families, login sessions and
//! revocations, with the digests they are stored under. The grant types that fill it live in
//! `grant_types/`.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet};

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
    /// When the last token issued in the family (refresh, access or ID token) expires, on the
    /// tenant clock; `i64::MAX` until its first tokens are recorded. The family, its refresh
    /// tokens and the codes that opened it are dropped then: nothing in it can be used anymore.
    pub until: i64,
    /// Digests of its refresh tokens, so that dropping the family finds them.
    refresh_keys: Vec<String>,
    /// Its estimated bytes with its refresh records.
    bytes: usize,
    /// Its stamp in the store's order of use.
    last_use: u64,
    /// The `until` it is filed under in the store's order of expiry (`until` may have grown).
    filed_until: Option<i64>,
    /// When its last access or ID token expires: its `until` once it is revoked.
    tokens_until: i64,
}

/// A browser login session (P98).
#[derive(Debug, Clone)]
pub struct Session {
    /// Who is logged in.
    pub username: String,
    /// When they logged in.
    pub auth_time: i64,
}

/// The default byte budget of a tenant's token families and refresh tokens (the configuration's
/// default, which owns it).
pub const DEFAULT_GRANT_BYTES: usize = crate::config::DEFAULT_GRANT_BYTES;

/// Per-tenant grant state.
///
/// Token families and their refresh tokens are kept as long as something in them can still be
/// used: a family is dropped, with its refresh tokens, when the last token issued in it expires
/// (on the tenant clock), checked lazily whenever tokens are recorded. Their estimated bytes are
/// bounded too: when a new grant takes them over the budget, the least recently used family
/// (the one whose last token was issued longest ago) is dropped first, its refresh tokens then
/// answered like unknown ones (`invalid_grant`). The family just used is never dropped this way.
#[derive(Debug)]
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
    /// Estimated bytes of the families and refresh records.
    bytes: usize,
    max_bytes: usize,
    /// Families by last use, oldest first: stamp to family.
    by_use: BTreeMap<u64, u64>,
    stamp: u64,
    /// Families by `until`, earliest first; re-filed when reached, as `until` only grows.
    by_expiry: BTreeSet<(i64, u64)>,
    /// Token ids revoked one by one (RFC 7009), by their token's expiry.
    revoked_by_expiry: BinaryHeap<Reverse<(i64, String)>>,
    evicted: u64,
}

impl Default for GrantStore {
    fn default() -> Self {
        GrantStore::with_budget(DEFAULT_GRANT_BYTES)
    }
}

/// Bytes of one heap block of `n` bytes, with the allocator's rounding and header.
fn block(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        n.div_ceil(16) * 16 + 8
    }
}

/// Estimated bytes of a family's slot and bookkeeping: its map slot, counted twice since a
/// hash table is between 7/16 and 7/8 full, and its entries in the two orders.
const FAMILY_COST: usize = 2 * (std::mem::size_of::<(u64, Family)>() + 1) + 48 + 24;

fn strings_cost<'a>(items: impl IntoIterator<Item = &'a String>) -> usize {
    items.into_iter().map(|s| std::mem::size_of::<String>() + block(s.len())).sum()
}

/// Estimated bytes of a refresh record under `key`, with the key's copy in its family.
fn record_cost(key: &str, r: &RefreshRecord) -> usize {
    2 * (std::mem::size_of::<(String, RefreshRecord)>() + 1)
        + 2 * (std::mem::size_of::<String>() + block(key.len()))
        + block(r.client_id.len())
        + r.username.as_ref().map_or(0, |u| block(u.len()))
        + block(r.scope.len())
        + strings_cost(&r.aud)
}

impl GrantStore {
    /// An empty store whose families and refresh tokens may take about `max_bytes`.
    pub fn with_budget(max_bytes: usize) -> GrantStore {
        GrantStore {
            codes: HashMap::new(),
            refresh: HashMap::new(),
            families: HashMap::new(),
            revoked_jtis: HashSet::new(),
            sessions: HashMap::new(),
            mfa_pending: HashMap::new(),
            next_family: 0,
            bytes: 0,
            max_bytes,
            by_use: BTreeMap::new(),
            stamp: 0,
            by_expiry: BTreeSet::new(),
            revoked_by_expiry: BinaryHeap::new(),
            evicted: 0,
        }
    }

    /// The estimated bytes of the families and refresh tokens.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The byte budget of the families and refresh tokens.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// How many families were dropped to stay within the budget (not counting expired ones).
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Opens a new family for `client_id`.
    pub fn new_family(&mut self, client_id: &str) -> u64 {
        self.next_family += 1;
        let id = self.next_family;
        self.stamp += 1;
        let bytes = FAMILY_COST + block(client_id.len());
        self.bytes += bytes;
        self.by_use.insert(self.stamp, id);
        self.families.insert(
            id,
            Family {
                client_id: client_id.to_owned(),
                until: i64::MAX,
                bytes,
                last_use: self.stamp,
                ..Family::default()
            },
        );
        id
    }

    /// Marks `family` as just used and pushes its `until` out to `until`.
    fn touch(&mut self, family: u64, until: i64, bytes: usize) {
        let Some(f) = self.families.get_mut(&family) else {
            return;
        };
        self.stamp += 1;
        self.by_use.remove(&f.last_use);
        self.by_use.insert(self.stamp, family);
        f.last_use = self.stamp;
        f.bytes += bytes;
        self.bytes += bytes;
        if f.filed_until.is_none() {
            f.filed_until = Some(until);
            self.by_expiry.insert((until, family));
            f.until = until;
        } else {
            f.until = f.until.max(until);
        }
    }

    /// Records the `jtis` of tokens issued in `family` that expire at `until`, then sweeps at
    /// `now` (expired families, then the budget).
    pub fn record_tokens(&mut self, family: u64, jtis: Vec<String>, until: i64, now: i64) {
        let Some(f) = self.families.get_mut(&family) else {
            return;
        };
        let bytes = strings_cost(&jtis);
        f.jtis.extend(jtis);
        f.tokens_until = f.tokens_until.max(until);
        self.touch(family, until, bytes);
        self.sweep(now);
    }

    /// Stores a refresh token's record under `key` (its digest, `store_key`), then sweeps at
    /// `now` (expired families, then the budget). The record's family must exist.
    pub fn insert_refresh(&mut self, key: String, record: RefreshRecord, now: i64) {
        let family = record.family;
        let Some(f) = self.families.get_mut(&family) else {
            return;
        };
        let bytes = record_cost(&key, &record);
        f.refresh_keys.push(key.clone());
        let until = record.expires_at;
        self.refresh.insert(key, record);
        self.touch(family, until, bytes);
        self.sweep(now);
    }

    /// Drops what can no longer be used at `now`, then the least recently used families while
    /// over budget.
    pub fn sweep(&mut self, now: i64) {
        while let Some(&(until, family)) = self.by_expiry.first() {
            if until > now {
                break;
            }
            self.by_expiry.pop_first();
            match self.families.get_mut(&family) {
                Some(f) if f.until > now => {
                    f.filed_until = Some(f.until);
                    self.by_expiry.insert((f.until, family));
                }
                Some(f) => {
                    f.filed_until = None;
                    self.drop_family(family, true);
                }
                None => {}
            }
        }
        while let Some(Reverse((exp, _))) = self.revoked_by_expiry.peek() {
            if *exp > now {
                break;
            }
            if let Some(Reverse((_, jti))) = self.revoked_by_expiry.pop() {
                self.revoked_jtis.remove(&jti);
            }
        }
        while self.bytes > self.max_bytes && self.by_use.len() > 1 {
            let Some((_, family)) = self.by_use.pop_first() else {
                break;
            };
            self.drop_family(family, false);
            self.evicted += 1;
            tracing::debug!(family, "grant store over its byte budget: least recently used family dropped");
        }
    }

    /// Drops the codes that can no longer be used at `now`: an unredeemed code once expired; a
    /// redeemed one once its family is gone, since a second use (P66) has nothing left to
    /// revoke. It visits every code: call it where a code is added.
    pub fn sweep_codes(&mut self, now: i64) {
        let families = &self.families;
        self.codes.retain(|_, c| match c.redeemed_family {
            Some(f) => families.contains_key(&f),
            None => c.expires_at > now,
        });
    }

    /// Removes a family and its refresh records. `expired`: its tokens have all expired, so
    /// the revocations of its token ids can go too; otherwise they stay until the tokens expire.
    fn drop_family(&mut self, family: u64, expired: bool) {
        let Some(f) = self.families.remove(&family) else {
            return;
        };
        self.by_use.remove(&f.last_use);
        if let Some(until) = f.filed_until {
            self.by_expiry.remove(&(until, family));
        }
        self.bytes = self.bytes.saturating_sub(f.bytes);
        for key in &f.refresh_keys {
            self.refresh.remove(key);
        }
        if f.revoked {
            for jti in f.jtis {
                if expired {
                    self.revoked_jtis.remove(&jti);
                } else {
                    self.revoked_by_expiry.push(Reverse((f.until, jti)));
                }
            }
        }
    }

    /// Revokes one token id (RFC 7009) until its token expires at `exp`.
    pub fn revoke_jti(&mut self, jti: String, exp: i64) {
        if self.revoked_jtis.insert(jti.clone()) {
            self.revoked_by_expiry.push(Reverse((exp, jti)));
        }
    }

    /// Revokes a family: its refresh tokens and every token id issued in it. It is kept, for
    /// its revoked token ids, until its last access or ID token expires.
    pub fn revoke_family(&mut self, family: u64) {
        if let Some(f) = self.families.get_mut(&family) {
            f.revoked = true;
            for j in &f.jtis {
                self.revoked_jtis.insert(j.clone());
            }
            if let Some(filed) = f.filed_until {
                if f.tokens_until < f.until {
                    self.by_expiry.remove(&(filed, family));
                    self.by_expiry.insert((f.tokens_until, family));
                    f.filed_until = Some(f.tokens_until);
                    f.until = f.tokens_until;
                }
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

    fn record(family: u64, expires_at: i64) -> RefreshRecord {
        RefreshRecord {
            client_id: "weaviate".into(),
            username: Some("admin".into()),
            scope: "openid offline_access".into(),
            aud: vec!["weaviate".into()],
            family,
            auth_time: Some(0),
            expires_at,
            used: false,
        }
    }

    /// Opens a family with two token ids and one refresh token, as a password grant does.
    fn grant(store: &mut GrantStore, now: i64, token_life: i64, refresh_life: i64) -> (u64, String) {
        let family = store.new_family("weaviate");
        let jtis = vec![crate::claims::new_jti(), crate::claims::new_jti()];
        store.record_tokens(family, jtis, now + token_life, now);
        let key = store_key(&opaque_token());
        store.insert_refresh(key.clone(), record(family, now + refresh_life), now);
        (family, key)
    }

    #[test]
    fn usable_refresh_tokens_are_all_kept_while_under_budget() {
        let mut store = GrantStore::with_budget(DEFAULT_GRANT_BYTES);
        let keys: Vec<String> = (0..1_500).map(|i| grant(&mut store, i, 3600, 86_400).1).collect();
        assert!(store.bytes() < store.max_bytes(), "{} bytes", store.bytes());
        assert!(keys.iter().all(|k| store.refresh.contains_key(k)));
        assert_eq!((store.families.len(), store.evicted()), (1_500, 0));
        let per_family = store.bytes() / 1_500;
        assert!((600..1_500).contains(&per_family), "{per_family} bytes per family");
    }

    #[test]
    fn a_family_is_dropped_once_its_last_token_expired_and_not_before() {
        let mut store = GrantStore::default();
        let (family, key) = grant(&mut store, 0, 3600, 86_400);
        store.revoke_family(family);
        assert!(store.revoked_jtis.len() == 2);
        // The refresh token was revoked, but its access tokens live an hour: the revocation
        // stays until then, even though a sweep runs.
        let _ = grant(&mut store, 3_599, 3600, 86_400);
        assert!(store.families.contains_key(&family) && store.revoked_jtis.len() == 2);
        let (other, other_key) = grant(&mut store, 86_399, 60, 60);
        assert!(!store.families.contains_key(&family), "everything in it expired at 3600");
        assert!(store.revoked_jtis.is_empty(), "its tokens have expired: nothing left to revoke");
        assert!(!store.refresh.contains_key(&key));
        // A refresh extends its family: the later refresh token keeps it.
        let (_, later) = {
            store.record_tokens(other, vec![], 86_399 + 60, 86_399);
            let k = store_key(&opaque_token());
            store.insert_refresh(k.clone(), record(other, 86_399 + 500), 86_399);
            (other, k)
        };
        store.sweep(86_399 + 100);
        assert!(store.refresh.contains_key(&later) && store.refresh.contains_key(&other_key));
        store.sweep(86_399 + 500);
        assert!(!store.refresh.contains_key(&later));
        store.sweep(3_599 + 86_400);
        assert!(store.families.is_empty() && store.refresh.is_empty());
        assert_eq!(store.bytes(), 0, "every byte counted in was counted out");
    }

    #[test]
    fn over_budget_the_least_recently_used_family_goes_first() {
        let mut store = GrantStore::with_budget(64 * 1024);
        let (first, first_key) = grant(&mut store, 0, 3600, 86_400);
        let (second, second_key) = grant(&mut store, 0, 3600, 86_400);
        for i in 0..1_000 {
            // The first family keeps being refreshed; the second is left alone.
            store.record_tokens(first, vec![], 3600, i);
            let _ = grant(&mut store, i, 3600, 86_400);
            assert!(store.bytes() <= store.max_bytes(), "{} bytes", store.bytes());
        }
        assert!(store.refresh.contains_key(&first_key), "recently used: kept");
        assert!(!store.refresh.contains_key(&second_key), "least recently used: dropped");
        assert!(!store.families.contains_key(&second));
        assert!(store.evicted() > 900, "{}", store.evicted());
        assert!(store.families.len() > 40, "{} families fit", store.families.len());
    }

    #[test]
    fn codes_go_once_unusable() {
        let mut store = GrantStore::default();
        let code = |expires_at, redeemed_family| CodeRecord {
            client_id: "c".into(),
            redirect_uri: None,
            scope: "openid".into(),
            nonce: None,
            pkce: None,
            username: "admin".into(),
            auth_time: 0,
            expires_at,
            redeemed_family,
        };
        let (family, _) = grant(&mut store, 0, 60, 60);
        store.codes.insert("fresh".into(), code(100, None));
        store.codes.insert("stale".into(), code(50, None));
        store.codes.insert("redeemed".into(), code(50, Some(family)));
        store.codes.insert("orphan".into(), code(50, Some(family + 100)));
        store.sweep_codes(50);
        let mut left: Vec<&str> = store.codes.keys().map(String::as_str).collect();
        left.sort_unstable();
        assert_eq!(left, ["fresh", "redeemed"]);
    }
}
