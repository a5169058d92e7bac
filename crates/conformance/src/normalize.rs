//! Makes transcripts stable from run to run and identical across targets, so that whatever
//! still differs between two transcripts is a real difference of the answers.
//!
//! The rules, in the order they apply (each has a test below; the README lists them under
//! "Comparing two targets"):
//!
//! 1. **Literals the run chose**: the provider's issuer (as Weaviate and as the suite see it) →
//!    `{issuer}`, its `https` twin → `{issuer_https}`, its base URL → `{idp}`, Weaviate's REST URL
//!    → `{weaviate}` and its `HOST:PORT` → `{weaviate_host}`; every credential a step stored
//!    (API key, token, refresh token, a saved value) → `<name>`. Longest literal first.
//! 2. **Ports**: any other loopback address with a port (`127.0.0.1:PORT`, `localhost:PORT`,
//!    `[::1]:PORT`) → `…:<port>`, unless the scenario's own text has it (s16b's unreachable
//!    `127.0.0.1:1`).
//! 3. **Tokens**: any other compact JWT (`eyJ….….…`) → `<jwt>`.
//! 4. **Generated ids**: a UUID that the scenario's own text does not contain → `<uuid>` (ids a
//!    scenario chose stay, so an answer naming the wrong object still differs).
//! 5. **Times**: RFC 3339 date-times → `<time>`; go-oidc's `Token Expiry: …` and `current time …
//!    before the nbf (not before) time: …` → `<time>` and `<now>`; the values of the keys `at`,
//!    `now`, `now_s`, `createdAt`, `lastUsedAt`, `creationTimeUnix`, `lastUpdateTimeUnix` →
//!    `<time>`; `apiKeyFirstLetters` → `<abc>` and `apikey` (a generated key) → `<generated key>`.
//! 6. **Order where Weaviate's is unspecified**: the arrays under the keys of [`UNORDERED_KEYS`]
//!    and the whole answer of the list endpoints of [`UNORDERED_LISTS`] are sorted (by their
//!    JSON text). Weaviate builds these from Go maps, whose iteration order is random.
//!
//! A body that is JSON is normalized value by value (keys are kept; serde_json sorts them); any
//! other body is normalized as text.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::{Captures, Regex};
use serde_json::Value;

/// What to replace: `(literal, placeholder)`, applied longest literal first, and the ids and
/// ports the scenario chose, which stay.
#[derive(Debug, Clone, Default)]
pub struct Normalizer {
    pairs: Vec<(String, String)>,
    chosen: BTreeSet<String>,
}

/// JSON keys whose values change from run to run, and their placeholders.
pub const VOLATILE_KEYS: [(&str, &str); 9] = [
    // When a scheduled key operation of the provider runs (tenant time, seconds).
    ("at", "<time>"),
    // The provider's clock (`_mock/clock`).
    ("now", "<time>"),
    ("now_s", "<time>"),
    // Database users.
    ("createdAt", "<time>"),
    ("lastUsedAt", "<time>"),
    ("apiKeyFirstLetters", "<abc>"),
    ("apikey", "<generated key>"),
    // Objects.
    ("creationTimeUnix", "<time>"),
    ("lastUpdateTimeUnix", "<time>"),
];

/// Keys whose array values Weaviate fills in no particular order (from Go maps): sorted.
pub const UNORDERED_KEYS: [&str; 3] = ["groups", "roles", "permissions"];

/// Requests (`METHOD path` prefixes) whose answer is a top-level array in no particular order.
pub const UNORDERED_LISTS: [&str; 4] = [
    "GET /v1/users/db",
    "GET /v1/authz/roles",
    "GET /v1/authz/users/",
    "GET /v1/authz/groups/",
];

static PORT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(127\.0\.0\.1|localhost|\[::1\]):[0-9]{1,5}\b").expect("a valid pattern"));
static JWT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*").expect("a valid pattern"));
static UUID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b").expect("a valid pattern")
});
static RFC3339: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})").expect("a valid pattern")
});

impl Normalizer {
    /// Replace `literal` by `placeholder` (empty literals are ignored).
    pub fn add(&mut self, literal: impl Into<String>, placeholder: impl Into<String>) {
        let literal = literal.into();
        if literal.is_empty() {
            return;
        }
        self.pairs.push((literal, placeholder.into()));
        self.pairs.sort_by_key(|p| std::cmp::Reverse(p.0.len()));
    }

    /// Keeps every UUID and loopback `HOST:PORT` found in `text` (the scenario's own): only
    /// the others become `<uuid>` and `<port>`.
    pub fn keep_chosen(&mut self, text: &str) {
        self.chosen.extend(UUID.find_iter(text).map(|m| m.as_str().to_ascii_lowercase()));
        self.chosen.extend(PORT.find_iter(text).map(|m| m.as_str().to_owned()));
    }

    /// One string: literals, ports, tokens, generated ids, then times.
    pub fn text(&self, s: &str) -> String {
        let mut out = s.to_owned();
        for (lit, ph) in &self.pairs {
            out = out.replace(lit.as_str(), ph);
        }
        let out = PORT.replace_all(&out, |c: &Captures| {
            if self.chosen.contains(&c[0]) {
                c[0].to_owned()
            } else {
                format!("{}:<port>", &c[1])
            }
        });
        let out = JWT.replace_all(&out, "<jwt>");
        let out = UUID.replace_all(&out, |c: &Captures| {
            let id = &c[0];
            if self.chosen.contains(&id.to_ascii_lowercase()) {
                id.to_owned()
            } else {
                "<uuid>".to_owned()
            }
        });
        let out = RFC3339.replace_all(&out, "<time>");
        times(&out)
    }

    /// A body: JSON (strings normalized, volatile keys replaced, unordered arrays sorted) or,
    /// if not JSON, the text.
    pub fn body(&self, raw: &str) -> Value {
        match serde_json::from_str::<Value>(raw) {
            Ok(v) if !raw.trim().is_empty() => self.value(v),
            _ => Value::String(self.text(raw)),
        }
    }

    /// The answer to `request` (`GET /v1/users/db`): [`Normalizer::body`], and the top-level
    /// array of an [`UNORDERED_LISTS`] request sorted.
    pub fn answer(&self, request: &str, raw: &str) -> Value {
        let v = self.body(raw);
        let unordered = UNORDERED_LISTS.iter().any(|p| request.starts_with(p));
        match v {
            Value::Array(a) if unordered => Value::Array(sorted(a)),
            v => v,
        }
    }

    fn value(&self, v: Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.text(&s)),
            Value::Array(a) => Value::Array(a.into_iter().map(|x| self.value(x)).collect()),
            Value::Object(o) => Value::Object(
                o.into_iter()
                    .map(|(k, v)| {
                        let fixed = VOLATILE_KEYS.iter().find(|(n, _)| *n == k).map(|(_, ph)| *ph);
                        let v = match (fixed, v) {
                            (Some(ph), Value::String(s)) if !s.starts_with('<') => Value::String(ph.into()),
                            (Some(ph), Value::Number(_)) => Value::String(ph.into()),
                            (_, v) => self.value(v),
                        };
                        match v {
                            Value::Array(a) if UNORDERED_KEYS.contains(&k.as_str()) => (k, Value::Array(sorted(a))),
                            v => (k, v),
                        }
                    })
                    .collect(),
            ),
            other => other,
        }
    }
}

/// The array's items in the order of their JSON texts.
fn sorted(mut a: Vec<Value>) -> Vec<Value> {
    a.sort_by_cached_key(|v| v.to_string());
    a
}

/// Replaces the times of go-oidc's messages: `Token Expiry: <time>)` and
/// `current time <now> before the nbf (not before) time: <time>`.
pub fn times(s: &str) -> String {
    let mut out = s.to_owned();
    const EXP: &str = "Token Expiry: ";
    if let Some(i) = out.find(EXP) {
        let start = i + EXP.len();
        let end = out[start..].find(')').map(|j| start + j).unwrap_or(out.len());
        out.replace_range(start..end, "<time>");
    }
    const NOW: &str = "current time ";
    const NBF: &str = " before the nbf (not before) time: ";
    if let (Some(i), Some(j)) = (out.find(NOW), out.find(NBF)) {
        if i < j {
            let tail_start = j + NBF.len();
            let tail_end = out[tail_start..].find('"').map(|k| tail_start + k).unwrap_or(out.len());
            out.replace_range(tail_start..tail_end, "<time>");
            out.replace_range(i + NOW.len()..j, "<now>");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn go_oidc_times_become_placeholders() {
        assert_eq!(
            times("unauthorized: oidc: token is expired (Token Expiry: 2026-11-23 08:54:32 +0000 UTC)"),
            "unauthorized: oidc: token is expired (Token Expiry: <time>)"
        );
        assert_eq!(
            times("oidc: current time 2026-11-23 08:55:33.6 +0000 UTC m=+9.49 before the nbf (not before) time: 2026-11-23 09:05:32 +0000 UTC"),
            "oidc: current time <now> before the nbf (not before) time: <time>"
        );
    }

    #[test]
    fn credentials_and_volatile_keys_are_replaced() {
        let mut n = Normalizer::default();
        n.add("http://127.0.0.1:4242", "{weaviate}");
        n.add("secret-key", "<key:admin>");
        let v = n.body(r#"{"hostname":"http://127.0.0.1:4242","m":"bad secret-key","createdAt":"2026-01-01T00:00:00.000Z"}"#);
        assert_eq!(v["hostname"], "{weaviate}");
        assert_eq!(v["m"], "bad <key:admin>");
        assert_eq!(v["createdAt"], "<time>");
        let v = n.body(r#"{"scheduled":[{"at":1795436897.4494698,"op":"retire"}]}"#);
        assert_eq!(v["scheduled"][0]["at"], "<time>");
        let v = n.body(r#"{"creationTimeUnix":1795436897449,"lastUpdateTimeUnix":1795436897449,"class":"C"}"#);
        assert_eq!(v, json!({"creationTimeUnix":"<time>","lastUpdateTimeUnix":"<time>","class":"C"}));
    }

    #[test]
    fn the_longest_literal_wins() {
        let mut n = Normalizer::default();
        n.add("http://127.0.0.1:4242", "{idp}");
        n.add("http://127.0.0.1:4242/default", "{issuer}");
        assert_eq!(
            n.text("iss http://127.0.0.1:4242/default at http://127.0.0.1:4242"),
            "iss {issuer} at {idp}"
        );
    }

    #[test]
    fn other_loopback_ports_become_placeholders() {
        let n = Normalizer::default();
        assert_eq!(
            n.text("dial tcp 127.0.0.1:38211: connection refused; localhost:8080 and [::1]:50051"),
            "dial tcp 127.0.0.1:<port>: connection refused; localhost:<port> and [::1]:<port>"
        );
        assert_eq!(n.text("version 1.38.11"), "version 1.38.11");
        let mut chosen = Normalizer::default();
        chosen.keep_chosen("AUTHENTICATION_OIDC_ISSUER = \"http://127.0.0.1:1/realms/gone\"");
        assert_eq!(
            chosen.text("dial tcp 127.0.0.1:1: refused, 127.0.0.1:18"),
            "dial tcp 127.0.0.1:1: refused, 127.0.0.1:<port>"
        );
    }

    #[test]
    fn tokens_not_stored_as_a_credential_become_jwt() {
        let mut n = Normalizer::default();
        n.add("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln", "<admin>");
        assert_eq!(
            n.text("a eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln b eyJhbGciOiJub25lIn0.eyJzdWIiOiJiIn0. c"),
            "a <admin> b <jwt> c"
        );
    }

    #[test]
    fn generated_ids_become_uuid_and_the_scenarios_own_ids_stay() {
        let mut n = Normalizer::default();
        n.keep_chosen(r#"body = { id = "00000000-0000-4000-8000-000000000001" }"#);
        let v = n.body(
            r#"{"id":"E54E4646-4fa9-4f16-b414-933551664b64","ref":"00000000-0000-4000-8000-000000000001","m":"object 4b0a3e2c-9a57-4b4e-8d8c-2f1f2a3b4c5d"}"#,
        );
        assert_eq!(
            v,
            json!({"id":"<uuid>","ref":"00000000-0000-4000-8000-000000000001","m":"object <uuid>"})
        );
    }

    #[test]
    fn rfc3339_times_in_any_string_become_time() {
        let n = Normalizer::default();
        assert_eq!(
            n.text("at 2026-12-06T01:02:03Z, 2026-12-06T01:02:03.123456789+01:00 and 2026-12-06"),
            "at <time>, <time> and 2026-12-06"
        );
    }

    #[test]
    fn arrays_in_no_particular_order_are_sorted_and_others_keep_their_order() {
        let n = Normalizer::default();
        let v = n.body(r#"{"roles":["viewer","admin"],"groups":["b","a"],"errors":[{"index":1},{"index":0}]}"#);
        assert_eq!(
            v,
            json!({"roles":["admin","viewer"],"groups":["a","b"],"errors":[{"index":1},{"index":0}]})
        );
        let list = r#"[{"userId":"zed"},{"userId":"amy"}]"#;
        assert_eq!(n.answer("GET /v1/users/db", list), json!([{"userId":"amy"},{"userId":"zed"}]));
        assert_eq!(n.answer("GET /v1/objects", list), json!([{"userId":"zed"},{"userId":"amy"}]));
    }

    #[test]
    fn a_body_that_is_not_json_is_normalized_as_text() {
        let mut n = Normalizer::default();
        n.add("k-123", "<k>");
        assert_eq!(n.body("bad key k-123\n"), json!("bad key <k>\n"));
        assert_eq!(n.body(""), json!(""));
    }
}
