//! Makes transcripts stable and identical across targets: credentials, URLs, ports and times
//! become placeholders.

use serde_json::Value;

/// What to replace: `(literal, placeholder)`, applied longest literal first.
#[derive(Debug, Clone, Default)]
pub struct Normalizer {
    pairs: Vec<(String, String)>,
}

/// JSON keys whose values change from run to run.
const VOLATILE_KEYS: [(&str, &str); 7] = [
    // When a scheduled key operation of the provider runs (tenant time, seconds).
    ("at", "<time>"),
    // The provider's clock (`_mock/clock`).
    ("now", "<time>"),
    ("now_s", "<time>"),
    ("createdAt", "<time>"),
    ("lastUsedAt", "<time>"),
    ("apiKeyFirstLetters", "<abc>"),
    ("apikey", "<generated key>"),
];

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

    /// One string: literals, then Go's time texts.
    pub fn text(&self, s: &str) -> String {
        let mut out = s.to_owned();
        for (lit, ph) in &self.pairs {
            out = out.replace(lit.as_str(), ph);
        }
        times(&out)
    }

    /// A body: JSON (strings normalized, volatile keys replaced) or, if not JSON, the text.
    pub fn body(&self, raw: &str) -> Value {
        match serde_json::from_str::<Value>(raw) {
            Ok(v) if !raw.trim().is_empty() => self.value(v),
            _ => Value::String(self.text(raw)),
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
                        match (fixed, &v) {
                            (Some(ph), Value::String(s)) if !s.starts_with('<') => (k, Value::String(ph.into())),
                            (Some(ph), Value::Number(_)) => (k, Value::String(ph.into())),
                            _ => (k, self.value(v)),
                        }
                    })
                    .collect(),
            ),
            other => other,
        }
    }
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
    }
}
