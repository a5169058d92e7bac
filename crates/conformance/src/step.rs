//! Step kinds of a scenario (`http`, `token`, `idp`) and the expectations a step can carry.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// An HTTP request to Weaviate's REST port.
    Http,
    /// Get a credential (from the provider, or a literal) and store it under `name`.
    Token,
    /// An HTTP request to the provider, `path` relative to its issuer: drives the test controls
    /// (`/_mock/faults`, `/_mock/keys/rotate`, `/_mock/clock`, `/_mock/counters`...).
    Idp,
}

/// How a `token` step gets its credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    /// Resource owner password grant at the provider's token endpoint.
    Password,
    /// Client credentials grant at the provider's token endpoint.
    ClientCredentials,
}

/// One `[[step]]`. A flat table so that unknown keys are refused; `validate` checks that the
/// fields fit the kind.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// `http`, `token` or `idp`.
    pub kind: Kind,
    /// `token`: the credential's name; `http`: an optional label for the transcript.
    #[serde(default)]
    pub name: Option<String>,

    /// `http`: the method (GET by default).
    #[serde(default)]
    pub method: Option<String>,
    /// `http`: the request target, e.g. `/v1/meta`.
    #[serde(default)]
    pub path: Option<String>,
    /// `http`: extra request headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// `http`: a JSON body.
    #[serde(default)]
    pub body: Option<Value>,
    /// `http`: send `Authorization: Bearer <credential named so>`.
    #[serde(default)]
    pub bearer: Option<String>,
    /// `http`: store the string at this JSON pointer of the answer as a credential named `name`.
    #[serde(default)]
    pub save: Option<String>,

    /// `token`: a literal credential (an API key).
    #[serde(default)]
    pub value: Option<String>,
    /// `token`: a grant at the provider's token endpoint.
    #[serde(default)]
    pub grant: Option<Grant>,
    /// `token`, password grant: the user.
    #[serde(default)]
    pub username: Option<String>,
    /// `token`, password grant: the password.
    #[serde(default)]
    pub password: Option<String>,
    /// `token`: the client (`weaviate` for the password grant by default).
    #[serde(default)]
    pub client_id: Option<String>,
    /// `token`: the client secret.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// `token`: which token of the response to keep, `access_token` (default) or `id_token`.
    #[serde(default)]
    pub use_token: Option<String>,
    /// `token`: mint in process with this `_mock/mint` body (may name a `preset`).
    #[serde(default)]
    pub mint: Option<Value>,

    /// What the answer must be.
    #[serde(default)]
    pub expect: Expect,
}

/// Expectations on an answer. Every field is optional; all that are set must hold.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The HTTP status (for a `token` step: the provider's status).
    #[serde(default)]
    pub status: Option<u16>,
    /// The JSON body contains this value (objects: a subset, arrays and scalars: equal).
    #[serde(default)]
    pub body_contains: Option<Value>,
    /// The raw body, byte for byte.
    #[serde(default)]
    pub body: Option<String>,
    /// The error message (`message`, or `error[0].message`, or an OAuth `error`) exactly.
    #[serde(default)]
    pub message: Option<String>,
    /// The error message starts with this.
    #[serde(default)]
    pub message_prefix: Option<String>,
}

impl Step {
    /// Checks that the fields fit the kind.
    pub fn validate(&self) -> Result<(), String> {
        match self.kind {
            Kind::Http => {
                if self.path.is_none() {
                    return Err("an http step needs a path".into());
                }
                if self.value.is_some() || self.grant.is_some() || self.mint.is_some() {
                    return Err("value, grant and mint belong to token steps".into());
                }
                if self.save.is_some() && self.name.is_none() {
                    return Err("save needs a name".into());
                }
            }
            Kind::Idp => {
                if self.path.is_none() {
                    return Err("an idp step needs a path".into());
                }
                if self.value.is_some() || self.grant.is_some() || self.mint.is_some() || self.bearer.is_some() || self.save.is_some() {
                    return Err("an idp step takes method, path, headers, body and expect only".into());
                }
            }
            Kind::Token => {
                if self.name.is_none() {
                    return Err("a token step needs a name".into());
                }
                let sources = [self.value.is_some(), self.grant.is_some(), self.mint.is_some()];
                if sources.iter().filter(|x| **x).count() != 1 {
                    return Err("a token step needs exactly one of value, grant, mint".into());
                }
                if self.path.is_some() || self.bearer.is_some() {
                    return Err("path and bearer belong to http steps".into());
                }
            }
        }
        Ok(())
    }
}

/// The message of an error body: Weaviate's `{"code","message"}` or `{"error":[{"message"}]}`,
/// or an OAuth error's `error`.
pub fn message_of(body: &Value) -> Option<String> {
    if let Some(m) = body.get("message").and_then(Value::as_str) {
        return Some(m.to_owned());
    }
    if let Some(m) = body.pointer("/error/0/message").and_then(Value::as_str) {
        return Some(m.to_owned());
    }
    body.get("error").and_then(Value::as_str).map(str::to_owned)
}

/// True when `actual` contains `expected`: objects by subset (recursively), other values equal.
pub fn contains(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => e.iter().all(|(k, ev)| a.get(k).is_some_and(|av| contains(av, ev))),
        _ => actual == expected,
    }
}

impl Expect {
    /// The failed expectations for an answer, one sentence each. `body` is compared with the
    /// raw answer; `body_contains` and the messages with the normalized one, so that expected
    /// values can say `{issuer}` or `{weaviate}`.
    pub fn check(&self, status: u16, raw: &str, normalized: &str) -> Vec<String> {
        let mut out = Vec::new();
        let json: Option<Value> = serde_json::from_str(normalized).ok();
        if let Some(s) = self.status {
            if s != status {
                out.push(format!("status: expected {s}, got {status}"));
            }
        }
        if let Some(b) = &self.body {
            if b != raw {
                out.push(format!("body: expected {b:?}, got {raw:?}"));
            }
        }
        if let Some(c) = &self.body_contains {
            if !json.as_ref().is_some_and(|j| contains(j, c)) {
                out.push(format!("body_contains: {c} not in {normalized}"));
            }
        }
        let msg = json.as_ref().and_then(message_of);
        if let Some(m) = &self.message {
            if msg.as_deref() != Some(m.as_str()) {
                out.push(format!("message: expected {m:?}, got {msg:?}"));
            }
        }
        if let Some(p) = &self.message_prefix {
            if !msg.as_deref().is_some_and(|x| x.starts_with(p.as_str())) {
                out.push(format!("message_prefix: expected {p:?}, got {msg:?}"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn body_contains_is_a_recursive_object_subset() {
        let a = json!({"a": 1, "b": {"c": [1, 2], "d": "x"}});
        assert!(contains(&a, &json!({"b": {"d": "x"}})));
        assert!(!contains(&a, &json!({"b": {"d": "y"}})));
        assert!(!contains(&a, &json!({"b": {"c": [1]}})));
    }

    #[test]
    fn message_is_read_from_both_weaviate_error_shapes() {
        let e = Expect {
            message: Some("m".into()),
            ..Expect::default()
        };
        assert!(e.check(401, "", r#"{"code":401,"message":"m"}"#).is_empty());
        assert!(e.check(403, "", r#"{"error":[{"message":"m"}]}"#).is_empty());
        assert_eq!(e.check(403, "", r#"{"error":[{"message":"n"}]}"#).len(), 1);
    }
}
