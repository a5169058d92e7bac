//! Step kinds of a scenario (`http`, `grpc`, `token`, `idp`, `browser`, `client`) and the expectations a
//! step can carry.

use std::collections::BTreeMap;

use mock_idp::secret::Secret;
use serde::Deserialize;
use serde_json::Value;

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// An HTTP request to Weaviate's REST port.
    Http,
    /// A call on Weaviate's gRPC port ([`crate::grpc`]): `method` names it, `body` describes
    /// the request, the answer's status is the numeric gRPC code.
    Grpc,
    /// Get a credential (from the provider, or a literal) and store it under `name`.
    Token,
    /// An HTTP request to the provider, `path` relative to its issuer: drives the test controls
    /// (`/_mock/faults`, `/_mock/keys/rotate`, `/_mock/clock`, `/_mock/counters`...).
    Idp,
    /// A login through the provider's HTML page in a headless Chromium ([`crate::browser`]); the
    /// token from the redirect is stored under `name`.
    Browser,
    /// The official Python, TypeScript, Go and Java clients run `actions` ([`crate::client`]).
    Client,
}

/// How a `token` step gets its credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    /// Resource owner password grant at the provider's token endpoint.
    Password,
    /// Client credentials grant at the provider's token endpoint.
    ClientCredentials,
    /// Refresh token grant with the stored credential named by `refresh_token`.
    RefreshToken,
}

/// One `[[step]]`. A flat table so that unknown keys are refused; `validate` checks that the
/// fields fit the kind.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// `http`, `grpc`, `token`, `idp`, `browser` or `client`.
    pub kind: Kind,
    /// `token`: the credential's name; `http`: an optional label for the transcript.
    #[serde(default)]
    pub name: Option<String>,

    /// `http`: the method (GET by default); `grpc`: `Search`, `BatchObjects`, `Aggregate`,
    /// `TenantsGet`, `health.Check` or `health.Watch`.
    #[serde(default)]
    pub method: Option<String>,
    /// `http`: the request target, e.g. `/v1/meta`.
    #[serde(default)]
    pub path: Option<String>,
    /// `http`: extra request headers; `grpc`: literal metadata.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// `http`: a JSON body; `grpc`: the request ([`crate::grpc::Request`]).
    #[serde(default)]
    pub body: Option<Value>,
    /// `http`, `grpc`: send `Authorization: Bearer <credential named so>`.
    #[serde(default)]
    pub bearer: Option<String>,
    /// `http`: store the string at this JSON pointer of the answer as a credential named `name`.
    #[serde(default)]
    pub save: Option<String>,

    /// `token`: a literal credential (an API key).
    #[serde(default)]
    pub value: Option<Secret>,
    /// `token`: a grant at the provider's token endpoint.
    #[serde(default)]
    pub grant: Option<Grant>,
    /// `token`, password grant: the user.
    #[serde(default)]
    pub username: Option<String>,
    /// `token`, password grant: the password.
    #[serde(default)]
    pub password: Option<Secret>,
    /// `token`: the client (`weaviate` for the password grant by default).
    #[serde(default)]
    pub client_id: Option<String>,
    /// `token`: the client secret.
    #[serde(default)]
    pub client_secret: Option<Secret>,
    /// `token`: which token of the response to keep, `access_token` (default) or `id_token`.
    #[serde(default)]
    pub use_token: Option<String>,
    /// `token`: mint in process with this `_mock/mint` body (may name a `preset`).
    #[serde(default)]
    pub mint: Option<Value>,
    /// `token`, refresh_token grant: the name of the stored refresh token to send.
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// `token`, a grant: also store the answer's `refresh_token` under this name.
    #[serde(default)]
    pub save_refresh: Option<String>,

    /// `browser`: the response type (`code id_token` by default).
    #[serde(default)]
    pub response_type: Option<String>,
    /// `browser`: the response mode (`fragment` by default).
    #[serde(default)]
    pub response_mode: Option<String>,

    /// `client`: which clients run the actions (`python`, `typescript`, `go`, `java`; all by default).
    #[serde(default)]
    pub clients: Vec<crate::client::Lang>,
    /// `client`: the driver's credential, e.g. `{ kind = "api_key", key = "k" }`; with
    /// `bearer` instead, the stored credential is sent as a bearer token.
    #[serde(default)]
    pub credential: Option<Value>,
    /// `client`: the actions, each with what its result must be.
    #[serde(default)]
    pub actions: Vec<crate::client::Action>,
    /// `client`: the connection's `skip_init_checks`.
    #[serde(default)]
    pub skip_init_checks: bool,
    /// `client`: point the client at a gRPC port where nothing listens.
    #[serde(default)]
    pub grpc_unreachable: bool,
    /// `client`: the init timeout in seconds (10 by default).
    #[serde(default)]
    pub init_timeout_s: Option<u64>,

    /// What the answer must be.
    #[serde(default)]
    pub expect: Expect,
}

/// Expectations on an answer. Every field is optional; all that are set must hold.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The HTTP status (for a `token` step: the provider's status; for a `grpc` step: the
    /// numeric gRPC code, 0 for OK).
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

/// Why a step cannot be played as written.
#[derive(Debug)]
pub enum InvalidStep {
    /// Its fields do not fit its kind (`an http step needs a path`).
    Fields(&'static str),
    /// A gRPC step's method or request cannot be built.
    Grpc(crate::Error),
}

impl std::fmt::Display for InvalidStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InvalidStep::Fields(why) => f.write_str(why),
            InvalidStep::Grpc(e) => write!(f, "{e}"),
        }
    }
}

impl Step {
    /// Checks that the fields fit the kind.
    pub fn validate(&self) -> Result<(), InvalidStep> {
        match self.kind {
            Kind::Http => {
                if self.path.is_none() {
                    return Err(InvalidStep::Fields("an http step needs a path"));
                }
                if self.value.is_some() || self.grant.is_some() || self.mint.is_some() {
                    return Err(InvalidStep::Fields("value, grant and mint belong to token steps"));
                }
                if self.save.is_some() && self.name.is_none() {
                    return Err(InvalidStep::Fields("save needs a name"));
                }
            }
            Kind::Grpc => {
                if self.path.is_some() || self.save.is_some() {
                    return Err(InvalidStep::Fields("path and save belong to http steps"));
                }
                if self.value.is_some() || self.grant.is_some() || self.mint.is_some() {
                    return Err(InvalidStep::Fields("value, grant and mint belong to token steps"));
                }
                crate::grpc::call_of(self).map_err(InvalidStep::Grpc)?;
            }
            Kind::Idp => {
                if self.path.is_none() {
                    return Err(InvalidStep::Fields("an idp step needs a path"));
                }
                if self.value.is_some() || self.grant.is_some() || self.mint.is_some() || self.bearer.is_some() || self.save.is_some() {
                    return Err(InvalidStep::Fields("an idp step takes method, path, headers, body and expect only"));
                }
            }
            Kind::Token => {
                if self.name.is_none() {
                    return Err(InvalidStep::Fields("a token step needs a name"));
                }
                let sources = [self.value.is_some(), self.grant.is_some(), self.mint.is_some()];
                if sources.iter().filter(|x| **x).count() != 1 {
                    return Err(InvalidStep::Fields("a token step needs exactly one of value, grant, mint"));
                }
                if self.path.is_some() || self.bearer.is_some() {
                    return Err(InvalidStep::Fields("path and bearer belong to http steps"));
                }
                if (self.grant == Some(Grant::RefreshToken)) != self.refresh_token.is_some() {
                    return Err(InvalidStep::Fields(
                        "refresh_token goes with grant = \"refresh_token\", and it needs one",
                    ));
                }
            }
            Kind::Browser => {
                if self.name.is_none() || self.username.is_none() || self.password.is_none() {
                    return Err(InvalidStep::Fields("a browser step needs name, username and password"));
                }
                if self.path.is_some() || self.grant.is_some() || self.value.is_some() || self.mint.is_some() {
                    return Err(InvalidStep::Fields("path, grant, value and mint do not belong to browser steps"));
                }
            }
            Kind::Client => {
                if self.actions.is_empty() {
                    return Err(InvalidStep::Fields("a client step needs actions"));
                }
                if self.credential.is_some() == self.bearer.is_some() {
                    return Err(InvalidStep::Fields("a client step needs exactly one of credential, bearer"));
                }
                if self.path.is_some() || self.grant.is_some() || self.value.is_some() || self.mint.is_some() {
                    return Err(InvalidStep::Fields("path, grant, value and mint do not belong to client steps"));
                }
            }
        }
        if !matches!(self.kind, Kind::Client) && (!self.actions.is_empty() || self.credential.is_some()) {
            return Err(InvalidStep::Fields("actions and credential belong to client steps"));
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
    fn a_token_steps_password_client_secret_and_key_never_print() {
        let step: Step = serde_json::from_value(json!({
            "kind": "token", "name": "t", "grant": "password", "username": "admin",
            "password": "pw-hunter2", "client_secret": "cs-hunter2", "value": "key-hunter2",
        }))
        .unwrap();
        let printed = format!("{step:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert_eq!(step.password.as_ref().map(Secret::expose), Some("pw-hunter2"));
        assert_eq!(step.client_secret.as_ref().map(Secret::expose), Some("cs-hunter2"));
        assert_eq!(step.value.as_ref().map(Secret::expose), Some("key-hunter2"));
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
