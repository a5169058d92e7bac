//! The request journal of a tenant (P138-P141): a bounded ring of entries, counters per
//! endpoint, and a wait-until that wakes as soon as a count is reached.
//!
//! Entries are built from typed facts gathered before the handler runs (`Facts`): names that
//! are not secret (client id, grant type, username) are kept as they are, and every credential
//! (password, client secret, code, token, PKCE verifier, `Authorization` value) is reduced to
//! its `fingerprint` at the moment it is read (P140). The path is stored without its query,
//! because some queries carry tokens (`id_token_hint`).
//!
//! An entry is pushed when its response is ready (or when a fault decides there will be none),
//! so a test that waited for `jwks` count N can read the N-th entry complete. Waiters use a
//! `tokio::sync::watch` channel carrying the last sequence number: no polling, no sleeps.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

pub use crate::endpoint::Endpoint;

/// How many entries a journal keeps before dropping the oldest (P139); the configuration's
/// default, which owns it.
pub const DEFAULT_CAPACITY: usize = crate::config::DEFAULT_JOURNAL_ENTRIES;

/// How many bytes (estimated) a journal's entries may take before the oldest are dropped.
pub const DEFAULT_BYTES: usize = crate::config::DEFAULT_JOURNAL_BYTES;

/// What is known about a request before its handler runs; secrets only as fingerprints.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// `client_id` from the form, the query or the Basic credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// `grant_type` of a token request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_type: Option<String>,
    /// `username` of a password grant or a login form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// `scope` as the request asked for it (not secret; shows which scopes a client sends).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Credential name (`password`, `authorization`, `refresh_token`...) to its fingerprint.
    #[serde(default, skip_serializing_if = "Fingerprints::is_empty")]
    pub fingerprints: Fingerprints,
}

/// Credential names and their fingerprints, in name order; a JSON object on the wire. A sorted
/// list rather than a `BTreeMap`, whose first node takes about half a kilobyte: the journal
/// keeps 10,000 entries per tenant, most with one or two fingerprints.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fingerprints(Vec<(String, String)>);

impl Fingerprints {
    /// Sets the fingerprint of `name`, replacing an earlier one.
    pub fn insert(&mut self, name: String, fingerprint: String) {
        match self.0.binary_search_by(|(k, _)| k.as_str().cmp(&name)) {
            Ok(i) => self.0[i].1 = fingerprint,
            Err(i) => self.0.insert(i, (name, fingerprint)),
        }
    }

    /// The fingerprint of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        let i = self.0.binary_search_by(|(k, _)| k.as_str().cmp(name)).ok()?;
        Some(&self.0[i].1)
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Fingerprints {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

impl<'de> Deserialize<'de> for Fingerprints {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, String>::deserialize(d)?;
        Ok(Fingerprints(map.into_iter().collect()))
    }
}

/// Form or query parameters whose values are credentials: stored as fingerprints only (P140).
pub const SECRET_PARAMS: [&str; 9] = [
    "password",
    "client_secret",
    "code",
    "refresh_token",
    "token",
    "code_verifier",
    "id_token_hint",
    "client_assertion",
    "otp",
];

impl Facts {
    /// Takes what the journal may keep from request parameters and the `Authorization` header.
    pub fn gather<K: AsRef<str>, V: AsRef<str>>(params: impl IntoIterator<Item = (K, V)>, authorization: Option<&str>) -> Facts {
        let mut facts = Facts::default();
        for (k, v) in params {
            let (k, v) = (k.as_ref(), v.as_ref());
            match k {
                "client_id" => facts.client_id = Some(v.to_owned()),
                "grant_type" => facts.grant_type = Some(v.to_owned()),
                "username" => facts.username = Some(v.to_owned()),
                "scope" => facts.scope = Some(v.to_owned()),
                k if SECRET_PARAMS.contains(&k) => {
                    facts.fingerprints.insert(k.to_owned(), crate::accounts::fingerprint(v));
                }
                _ => {}
            }
        }
        if let Some(value) = authorization {
            facts
                .fingerprints
                .insert("authorization".into(), crate::accounts::fingerprint(value));
            // The Basic user part is the client id, which is not secret; the password part is.
            if let Ok(Some((id, _secret))) = crate::form::basic_credentials_in(value) {
                facts.client_id.get_or_insert(id);
            }
        }
        facts
    }
}

/// One recorded request (P139).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Sequence number, from 1, in the order responses were decided.
    pub seq: u64,
    /// Real time the request arrived, Unix seconds.
    pub real_time: f64,
    /// Tenant clock when the request arrived (P142).
    pub virtual_time: f64,
    /// HTTP method.
    pub method: String,
    /// Path, without the query string.
    pub path: String,
    /// Endpoint name.
    pub endpoint: Endpoint,
    /// Status sent; `None` when a fault closed the connection or hangs.
    pub status: Option<u16>,
    /// Time from arrival to the response being ready, milliseconds.
    pub duration_ms: f64,
    /// Client id, grant type, username and credential fingerprints.
    #[serde(flatten)]
    pub facts: Facts,
    /// OAuth `error` code of an error response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Faults applied to this request (P146), e.g. `status:503`, `latency:200ms`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<String>,
}

/// Filters of `GET {base}/_mock/log` (P139).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Query {
    /// Only entries of this endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<Endpoint>,
    /// Only entries with a sequence number above this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<u64>,
    /// At most this many: the first ones after `since` when it is given, else the latest ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}

/// A text of an entry, shared between the entries that repeat it (method, path, client id,
/// grant type, username, scope, error code, fault label, fingerprint name and value).
type Text = Arc<str>;

/// The longest text an entry keeps, in bytes; a longer one is cut at a character boundary and
/// ends in `…`, so that one entry always fits in the smallest byte budget.
pub const MAX_TEXT: usize = 1024;

/// How an entry is kept: every text interned, the lists as boxed slices. About 200 bytes for a
/// typical token request, where `Entry` with its owned strings takes about 700.
#[derive(Debug)]
struct Stored {
    seq: u64,
    real_time: f64,
    virtual_time: f64,
    duration_ms: f64,
    method: Text,
    path: Text,
    client_id: Option<Text>,
    grant_type: Option<Text>,
    username: Option<Text>,
    scope: Option<Text>,
    error: Option<Text>,
    fingerprints: Box<[(Text, Text)]>,
    faults: Box<[Text]>,
    status: Option<u16>,
    endpoint: Endpoint,
}

/// Bytes of one heap block of `n` bytes: the request rounded up to 16, plus the allocator's
/// 8-byte header (glibc's malloc, and close to the others).
const fn block(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        n.div_ceil(16) * 16 + 8
    }
}

impl Stored {
    /// Estimated bytes of the entry itself: its slot in the ring and its own heap blocks. The
    /// texts are counted once, in the interner.
    fn cost(&self) -> usize {
        std::mem::size_of::<Stored>()
            + block(std::mem::size_of_val::<[(Text, Text)]>(&self.fingerprints))
            + block(std::mem::size_of_val::<[Text]>(&self.faults))
    }

    fn to_entry(&self) -> Entry {
        let own = |t: &Text| t.to_string();
        Entry {
            seq: self.seq,
            real_time: self.real_time,
            virtual_time: self.virtual_time,
            method: own(&self.method),
            path: own(&self.path),
            endpoint: self.endpoint,
            status: self.status,
            duration_ms: self.duration_ms,
            facts: Facts {
                client_id: self.client_id.as_ref().map(own),
                grant_type: self.grant_type.as_ref().map(own),
                username: self.username.as_ref().map(own),
                scope: self.scope.as_ref().map(own),
                fingerprints: Fingerprints(self.fingerprints.iter().map(|(k, v)| (own(k), own(v))).collect()),
            },
            error: self.error.as_ref().map(own),
            faults: self.faults.iter().map(own).collect(),
        }
    }
}

/// The texts of the kept entries, each stored once. Texts no entry uses any more are dropped
/// when the set has doubled since the last sweep, so a sweep costs O(1) per text added.
#[derive(Debug, Default)]
struct Interner {
    /// Texts come from clients (paths, client ids), so the hasher is seeded at random per set:
    /// foldhash, a few times cheaper than the standard SipHash on these short strings.
    set: HashSet<Text, foldhash::fast::RandomState>,
    bytes: usize,
    live_after_sweep: usize,
}

impl Interner {
    /// Estimated bytes of one text: its `Arc` block (two counters and the bytes) and its slot
    /// in the set (a fat pointer and a control byte).
    fn cost(text: &str) -> usize {
        block(16 + text.len()) + std::mem::size_of::<Text>() + 1
    }

    fn intern(&mut self, text: &str) -> Text {
        let marked;
        let text = if text.len() > MAX_TEXT {
            marked = format!("{}…", cut(text));
            marked.as_str()
        } else {
            text
        };
        if let Some(t) = self.set.get(text) {
            return t.clone();
        }
        let t: Text = Arc::from(text);
        self.bytes += Interner::cost(text);
        self.set.insert(t.clone());
        t
    }

    /// Whether a sweep would be worth its cost: the set has doubled since the last one.
    fn sweep_due(&self) -> bool {
        self.set.len() >= 2 * self.live_after_sweep.max(32)
    }

    /// Drops the texts only the set still holds.
    fn sweep(&mut self) {
        self.set.retain(|t| Arc::strong_count(t) > 1);
        self.bytes = self.set.iter().map(|t| Interner::cost(t)).sum();
        self.live_after_sweep = self.set.len();
    }

    fn clear(&mut self) {
        *self = Interner::default();
    }
}

/// The start of a text longer than `MAX_TEXT` that leaves room for the `…` mark.
fn cut(text: &str) -> &str {
    let mut end = MAX_TEXT - '…'.len_utf8();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[derive(Debug, Default)]
struct Ring {
    entries: VecDeque<Stored>,
    /// Sum of the entries' `cost`.
    entry_bytes: usize,
    texts: Interner,
    /// Requests per endpoint, indexed by `Endpoint as usize`.
    counters: [u64; Endpoint::ALL.len()],
    total: u64,
    last_seq: u64,
}

impl Ring {
    fn bytes(&self) -> usize {
        self.entry_bytes + self.texts.bytes
    }

    fn compact(&mut self, entry: &Entry) -> Stored {
        let texts = &mut self.texts;
        let mut text = |s: &str| texts.intern(s);
        Stored {
            seq: entry.seq,
            real_time: entry.real_time,
            virtual_time: entry.virtual_time,
            duration_ms: entry.duration_ms,
            method: text(&entry.method),
            path: text(&entry.path),
            client_id: entry.facts.client_id.as_deref().map(&mut text),
            grant_type: entry.facts.grant_type.as_deref().map(&mut text),
            username: entry.facts.username.as_deref().map(&mut text),
            scope: entry.facts.scope.as_deref().map(&mut text),
            error: entry.error.as_deref().map(&mut text),
            fingerprints: entry.facts.fingerprints.0.iter().map(|(k, v)| (text(k), text(v))).collect(),
            faults: entry.faults.iter().map(|f| text(f)).collect(),
            status: entry.status,
            endpoint: entry.endpoint,
        }
    }

    /// Takes the oldest entry out, for the caller to drop.
    fn pop_oldest(&mut self) -> Option<Stored> {
        let old = self.entries.pop_front()?;
        self.entry_bytes -= old.cost();
        Some(old)
    }
}

/// A tenant's journal. Cheap to record into; readers copy out what they ask for.
///
/// It keeps the latest entries within two bounds: a number of entries and an estimate of their
/// bytes (each entry's slot and heap blocks, plus every distinct text once); the oldest entries
/// are dropped first. The counters count every request, kept or dropped.
#[derive(Debug)]
pub struct Journal {
    ring: Mutex<Ring>,
    capacity: usize,
    max_bytes: usize,
    changed: watch::Sender<u64>,
}

impl Default for Journal {
    fn default() -> Self {
        Journal::with_budget(DEFAULT_CAPACITY, DEFAULT_BYTES)
    }
}

impl Journal {
    /// A journal that keeps the last `capacity` entries within `DEFAULT_BYTES` (counters are
    /// not bounded).
    pub fn with_capacity(capacity: usize) -> Journal {
        Journal::with_budget(capacity, DEFAULT_BYTES)
    }

    /// A journal that keeps at most `capacity` entries and about `max_bytes` bytes of them.
    pub fn with_budget(capacity: usize, max_bytes: usize) -> Journal {
        // The ring is allocated once, for as many entries as can fit: growing it by doubling
        // would leave up to half of it unused, and its old copies with the allocator. Pages
        // are only touched as entries arrive.
        let slots = capacity.clamp(1, (max_bytes / std::mem::size_of::<Stored>()).max(1));
        let ring = Ring {
            entries: VecDeque::with_capacity(slots),
            ..Ring::default()
        };
        Journal {
            ring: Mutex::new(ring),
            capacity: capacity.max(1),
            max_bytes,
            changed: watch::channel(0).0,
        }
    }

    fn ring(&self) -> std::sync::MutexGuard<'_, Ring> {
        // A panic while holding this lock cannot leave the ring inconsistent: keep serving.
        self.ring.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records an entry, giving it the next sequence number; returns that number.
    ///
    /// Both cores record at once under load, so the lock is held for the bookkeeping only: the
    /// entry's own strings and the entry it pushes out of the ring are freed after unlocking.
    pub fn record(&self, mut entry: Entry) -> u64 {
        let (seq, evicted) = {
            let mut ring = self.ring();
            ring.last_seq += 1;
            entry.seq = ring.last_seq;
            ring.counters[entry.endpoint as usize] += 1;
            ring.total += 1;
            let stored = ring.compact(&entry);
            ring.entry_bytes += stored.cost();
            ring.entries.push_back(stored);
            // At most one entry leaves per record once the ring is full; more only when a
            // large entry pushes several small ones out of the byte budget.
            let mut evicted = None;
            while ring.entries.len() > self.capacity {
                evicted = ring.pop_oldest();
            }
            while ring.bytes() > self.max_bytes {
                if ring.texts.sweep_due() {
                    ring.texts.sweep();
                } else {
                    match ring.pop_oldest() {
                        Some(old) => evicted = Some(old),
                        None => break,
                    }
                }
            }
            (ring.last_seq, evicted)
        };
        drop((entry, evicted));
        // Only `wait_for` listens, and it subscribes before it reads the counts under the ring's
        // lock: a record that sees no receiver here came after that read, or before the
        // subscription, so nothing is missed. Waking a watch costs a lock per request otherwise.
        if self.changed.receiver_count() > 0 {
            self.changed.send_replace(seq);
        }
        seq
    }

    /// The estimated bytes of the kept entries (never above the budget once a record returns).
    pub fn bytes(&self) -> usize {
        self.ring().bytes()
    }

    /// How many entries are kept.
    pub fn len(&self) -> usize {
        self.ring().entries.len()
    }

    /// Whether no entry is kept.
    pub fn is_empty(&self) -> bool {
        self.ring().entries.is_empty()
    }

    /// Entries matching `query`, oldest first.
    pub fn entries(&self, query: &Query) -> Vec<Entry> {
        let ring = self.ring();
        let matching = ring
            .entries
            .iter()
            .filter(|e| query.endpoint.is_none_or(|x| x == e.endpoint))
            .filter(|e| query.since.is_none_or(|s| e.seq > s));
        match (query.limit, query.since) {
            (Some(n), Some(_)) => matching.take(n).map(Stored::to_entry).collect(),
            (Some(n), None) => {
                let all: Vec<&Stored> = matching.collect();
                all[all.len().saturating_sub(n)..].iter().map(|e| e.to_entry()).collect()
            }
            (None, _) => matching.map(Stored::to_entry).collect(),
        }
    }

    /// Requests per endpoint since the last clear (P138); every endpoint is listed.
    pub fn counters(&self) -> BTreeMap<Endpoint, u64> {
        let ring = self.ring();
        Endpoint::ALL.into_iter().map(|e| (e, ring.counters[e as usize])).collect()
    }

    /// Requests to `endpoint` (or to any, for `None`) since the last clear.
    pub fn count(&self, endpoint: Option<Endpoint>) -> u64 {
        let ring = self.ring();
        match endpoint {
            Some(e) => ring.counters[e as usize],
            None => ring.total,
        }
    }

    /// The sequence number of the last entry (0 when none was ever recorded).
    pub fn last_seq(&self) -> u64 {
        self.ring().last_seq
    }

    /// Drops every entry and zeroes the counters. Sequence numbers keep growing, so a `since`
    /// taken before the clear stays meaningful.
    pub fn clear(&self) {
        let mut ring = self.ring();
        ring.entries.clear();
        ring.entry_bytes = 0;
        ring.texts.clear();
        ring.counters = Default::default();
        ring.total = 0;
    }

    /// Waits until `endpoint` (or any endpoint, for `None`) has been requested `count` times
    /// since the last clear (P141). Returns the count reached, or the count at the deadline.
    pub async fn wait_for(&self, endpoint: Option<Endpoint>, count: u64, timeout: Duration) -> Result<u64, u64> {
        // Subscribe before reading, so a record between the read and the wait still wakes us.
        let mut rx = self.changed.subscribe();
        let reached = async {
            loop {
                let now = self.count(endpoint);
                if now >= count {
                    return now;
                }
                if rx.changed().await.is_err() {
                    // The sender lives as long as the journal; treat its end like a timeout.
                    std::future::pending::<()>().await;
                }
            }
        };
        match tokio::time::timeout(timeout, reached).await {
            Ok(n) => Ok(n),
            Err(_) => Err(self.count(endpoint)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_indexes_its_own_counter() {
        // `Ring::counters` is indexed by `Endpoint as usize`: `ALL` lists them in that order.
        for (i, e) in Endpoint::ALL.into_iter().enumerate() {
            assert_eq!(e as usize, i, "{e:?}");
        }
        let j = Journal::with_capacity(8);
        j.record(entry(Endpoint::Other));
        j.record(entry(Endpoint::Discovery));
        j.record(entry(Endpoint::Discovery));
        let counts = j.counters();
        assert_eq!(
            (counts[&Endpoint::Discovery], counts[&Endpoint::Other], counts[&Endpoint::Jwks]),
            (2, 1, 0)
        );
        assert_eq!((j.count(Some(Endpoint::Other)), j.count(None)), (1, 3));
    }

    fn entry(endpoint: Endpoint) -> Entry {
        Entry {
            seq: 0,
            real_time: 0.0,
            virtual_time: 0.0,
            method: "GET".into(),
            path: "/t/jwks".into(),
            endpoint,
            status: Some(200),
            duration_ms: 0.0,
            facts: Facts::default(),
            error: None,
            faults: vec![],
        }
    }

    #[test]
    fn p139_ring_keeps_the_latest_entries_and_counts_all() {
        let j = Journal::with_capacity(3);
        for _ in 0..5 {
            j.record(entry(Endpoint::Jwks));
        }
        let seqs: Vec<u64> = j.entries(&Query::default()).iter().map(|e| e.seq).collect();
        assert_eq!(seqs, vec![3, 4, 5]);
        assert_eq!(j.count(Some(Endpoint::Jwks)), 5);
        let q = Query {
            since: Some(3),
            limit: Some(1),
            ..Query::default()
        };
        assert_eq!(j.entries(&q)[0].seq, 4);
    }

    #[test]
    fn p140_facts_keep_fingerprints_of_credentials_only() {
        let f = Facts::gather(
            [
                ("username", "alice"),
                ("password", "hunter2"),
                ("client_id", "c"),
                ("refresh_token", "rt-value"),
                ("scope", "openid offline_access"),
            ],
            Some("Basic YzpzM2NyZXQ="),
        );
        let text = serde_json::to_string(&f).unwrap();
        for secret in ["hunter2", "rt-value", "YzpzM2NyZXQ=", "s3cret"] {
            assert!(!text.contains(secret), "{secret} leaked into {text}");
        }
        assert_eq!(f.username.as_deref(), Some("alice"));
        assert_eq!(
            f.scope.as_deref(),
            Some("openid offline_access"),
            "the scope asked for is kept as sent"
        );
        assert_eq!(
            f.fingerprints.get("password"),
            Some(crate::accounts::fingerprint("hunter2").as_str())
        );
        let back: Facts = serde_json::from_str(&text).unwrap();
        assert_eq!(back, f, "fingerprints read back as written");
        assert!(
            text.contains(r#""fingerprints":{"authorization":"#),
            "a JSON object in name order: {text}"
        );
    }

    #[tokio::test]
    async fn p141_wait_returns_once_the_count_is_reached_and_times_out_otherwise() {
        let j = std::sync::Arc::new(Journal::default());
        let waiter = {
            let j = j.clone();
            tokio::spawn(async move { j.wait_for(Some(Endpoint::Jwks), 2, Duration::from_secs(5)).await })
        };
        j.record(entry(Endpoint::Jwks));
        j.record(entry(Endpoint::Jwks));
        assert_eq!(waiter.await.unwrap(), Ok(2));
        assert_eq!(j.wait_for(Some(Endpoint::Token), 1, Duration::from_millis(10)).await, Err(0));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn p141_a_wait_racing_the_record_that_reaches_its_count_still_returns() {
        // `record` skips the wake-up when nobody listens: each round starts a waiter and the
        // record it waits for at the same time, so any lost wake-up shows as a timeout.
        for round in 1..=300u64 {
            let j = std::sync::Arc::new(Journal::default());
            let waiter = {
                let j = j.clone();
                tokio::spawn(async move { j.wait_for(Some(Endpoint::Jwks), 1, Duration::from_secs(5)).await })
            };
            let recorder = {
                let j = j.clone();
                std::thread::spawn(move || j.record(entry(Endpoint::Jwks)))
            };
            recorder.join().unwrap();
            assert_eq!(waiter.await.unwrap(), Ok(1), "round {round}");
        }
    }

    fn token_entry(i: usize) -> Entry {
        let mut facts = Facts::gather(
            [
                ("grant_type", "refresh_token"),
                ("client_id", "weaviate"),
                ("scope", "openid offline_access"),
                ("refresh_token", format!("rt-{i}").as_str()),
            ],
            None,
        );
        facts.username = Some("admin".into());
        Entry {
            seq: 0,
            real_time: i as f64,
            virtual_time: i as f64,
            method: "POST".into(),
            path: format!("/t/token/{}", i % 7),
            endpoint: Endpoint::Token,
            status: Some(400),
            duration_ms: 0.5,
            facts,
            error: Some("invalid_grant".into()),
            faults: vec!["latency:5ms".into()],
        }
    }

    #[test]
    fn the_byte_budget_holds_after_every_record_and_the_counters_count_every_request() {
        let budget = 64 * 1024;
        let j = Journal::with_budget(1_000_000, budget);
        for i in 1..=5_000 {
            j.record(token_entry(i));
            assert!(j.bytes() <= budget, "{} bytes after {i} entries", j.bytes());
        }
        let kept = j.entries(&Query::default());
        assert!(kept.len() > 100 && kept.len() < 5_000, "{} kept", kept.len());
        let seqs: Vec<u64> = kept.iter().map(|e| e.seq).collect();
        let want: Vec<u64> = (5_001 - kept.len() as u64..=5_000).collect();
        assert_eq!(seqs, want, "the latest entries, in order");
        assert_eq!(j.count(None), 5_000);
        assert_eq!(j.count(Some(Endpoint::Token)), 5_000);
        assert_eq!(j.counters()[&Endpoint::Jwks], 0);
        assert_eq!(j.last_seq(), 5_000);
        j.clear();
        assert_eq!((j.bytes(), j.len(), j.count(None)), (0, 0, 0));
    }

    #[test]
    fn entries_read_back_as_recorded_and_repeated_texts_are_kept_once() {
        let j = Journal::with_budget(10_000, DEFAULT_BYTES);
        for i in 0..1_000 {
            j.record(token_entry(i));
        }
        let mut want = token_entry(999);
        want.seq = 1_000;
        assert_eq!(j.entries(&Query::default()).pop(), Some(want));
        // 1,000 entries with one unique text each (the token fingerprint): well under the
        // ~1 KiB each they took with owned strings.
        let per_entry = j.bytes() / 1_000;
        assert!(per_entry < 320, "{per_entry} bytes per entry");
    }

    #[test]
    fn texts_longer_than_the_limit_are_cut_and_marked() {
        let j = Journal::with_budget(10, MIN_TEST_BUDGET);
        let mut e = entry(Endpoint::Other);
        e.path = format!("/{}", "é".repeat(3 * MAX_TEXT));
        j.record(e);
        let path = j.entries(&Query::default()).remove(0).path;
        assert!(path.len() <= MAX_TEXT && path.ends_with('…'), "{} bytes", path.len());
        assert!(j.bytes() <= MIN_TEST_BUDGET);
    }

    const MIN_TEST_BUDGET: usize = 64 * 1024;
}
