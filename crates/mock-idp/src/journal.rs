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

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

pub use crate::endpoint::Endpoint;

/// How many entries a journal keeps before dropping the oldest (P139).
pub const DEFAULT_CAPACITY: usize = 10_000;

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
    pub fn gather<'a>(params: impl Iterator<Item = (&'a str, &'a str)>, authorization: Option<&str>) -> Facts {
        let mut facts = Facts::default();
        for (k, v) in params {
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
            let mut headers = axum::http::HeaderMap::new();
            if let Ok(v) = axum::http::HeaderValue::from_str(value) {
                headers.insert(axum::http::header::AUTHORIZATION, v);
            }
            // The Basic user part is the client id, which is not secret; the password part is.
            if let Ok(Some((id, _secret))) = crate::form::basic_credentials(&headers) {
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

#[derive(Debug, Default)]
struct Ring {
    entries: VecDeque<Entry>,
    counters: BTreeMap<Endpoint, u64>,
    total: u64,
    last_seq: u64,
}

/// A tenant's journal. Cheap to record into; readers copy out what they ask for.
#[derive(Debug)]
pub struct Journal {
    ring: Mutex<Ring>,
    capacity: usize,
    changed: watch::Sender<u64>,
}

impl Default for Journal {
    fn default() -> Self {
        Journal::with_capacity(DEFAULT_CAPACITY)
    }
}

impl Journal {
    /// A journal that keeps the last `capacity` entries (counters are not bounded).
    pub fn with_capacity(capacity: usize) -> Journal {
        Journal {
            ring: Mutex::new(Ring::default()),
            capacity: capacity.max(1),
            changed: watch::channel(0).0,
        }
    }

    fn ring(&self) -> std::sync::MutexGuard<'_, Ring> {
        // A panic while holding this lock cannot leave the ring inconsistent: keep serving.
        self.ring.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records an entry, giving it the next sequence number; returns that number.
    pub fn record(&self, mut entry: Entry) -> u64 {
        let seq = {
            let mut ring = self.ring();
            ring.last_seq += 1;
            entry.seq = ring.last_seq;
            *ring.counters.entry(entry.endpoint).or_default() += 1;
            ring.total += 1;
            if ring.entries.len() == self.capacity {
                ring.entries.pop_front();
            }
            ring.entries.push_back(entry);
            ring.last_seq
        };
        self.changed.send_replace(seq);
        seq
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
            (Some(n), Some(_)) => matching.take(n).cloned().collect(),
            (Some(n), None) => {
                let all: Vec<&Entry> = matching.collect();
                all[all.len().saturating_sub(n)..].iter().map(|e| (*e).clone()).collect()
            }
            (None, _) => matching.cloned().collect(),
        }
    }

    /// Requests per endpoint since the last clear (P138); every endpoint is listed.
    pub fn counters(&self) -> BTreeMap<Endpoint, u64> {
        let ring = self.ring();
        Endpoint::ALL
            .into_iter()
            .map(|e| (e, ring.counters.get(&e).copied().unwrap_or(0)))
            .collect()
    }

    /// Requests to `endpoint` (or to any, for `None`) since the last clear.
    pub fn count(&self, endpoint: Option<Endpoint>) -> u64 {
        let ring = self.ring();
        match endpoint {
            Some(e) => ring.counters.get(&e).copied().unwrap_or(0),
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
        ring.counters.clear();
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
            ]
            .into_iter(),
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
}
