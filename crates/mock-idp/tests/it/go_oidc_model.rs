//! A small go-oidc verifier written from `go-oidc-verifier.md` (steps 7-26), the reference the
//! preset catalogue's listed outcomes and the shaped tokens are compared with. It knows nothing
//! of the provider's code: it sees only the token, the JWKS and the discovery algorithms.

use std::collections::HashSet;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};

use crate::mint::{jwks, s};
use crate::support::Env;

/// Weaviate's answer to one bearer token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Verdict {
    pub(crate) status: u16,
    pub(crate) message: String,
    pub(crate) username: Option<String>,
    pub(crate) groups: Vec<String>,
}

pub(crate) fn reject(status: u16, message: impl Into<String>) -> Verdict {
    Verdict {
        status,
        message: message.into(),
        username: None,
        groups: vec![],
    }
}

pub(crate) struct GoOidc<'a> {
    pub(crate) issuer: &'a str,
    pub(crate) client_id: &'a str,
    /// Discovery algorithms filtered to the asymmetric ones (step 3).
    pub(crate) allow: Vec<String>,
    pub(crate) jwks: &'a Value,
    pub(crate) username_claim: &'a str,
    pub(crate) groups_claim: &'a str,
    /// The RS's "now" (fractional seconds).
    pub(crate) now: f64,
}

/// Go's `time.Unix(0,0)` zero value seconds (0001-01-01).
pub(crate) const GO_ZERO_TIME: i64 = -62_135_596_800;

pub(crate) fn go_time_text(t: i64) -> String {
    if t == GO_ZERO_TIME {
        return "0001-01-01 00:00:00 +0000 UTC".into();
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] +0000 UTC");
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(&fmt).ok())
        .unwrap_or_else(|| t.to_string())
}

/// go-oidc's `jsonTime`: a JSON number or quoted numeral; int64 first, else float64 truncated.
pub(crate) fn go_json_time(field: &str, v: &Value) -> Result<i64, String> {
    let from_text = |t: &str| -> Result<i64, String> {
        if let Ok(i) = t.parse::<i64>() {
            return Ok(i);
        }
        let f: f64 = t
            .parse()
            .map_err(|_| format!("strconv.ParseFloat: parsing {t:?}: invalid syntax"))?;
        // Go's float-to-int64 conversion of an out-of-range value gives MinInt64 on amd64.
        Ok(if f.is_finite() && f.abs() < 9.2e18 {
            f.trunc() as i64
        } else {
            i64::MIN
        })
    };
    match v {
        Value::Null => from_text(""),
        Value::Number(n) => from_text(&n.to_string()),
        Value::String(t) => {
            if t.parse::<f64>().is_err() {
                return Err(format!(
                    "json: invalid number literal, trying to unmarshal {:?} into Number",
                    format!("\"{t}\"")
                ));
            }
            from_text(t)
        }
        Value::Bool(_) => Err(format!(
            "json: cannot unmarshal bool into Go struct field idToken.{field} of type json.Number"
        )),
        Value::Array(_) => Err(format!(
            "json: cannot unmarshal array into Go struct field idToken.{field} of type json.Number"
        )),
        Value::Object(_) => Err(format!(
            "json: cannot unmarshal object into Go struct field idToken.{field} of type json.Number"
        )),
    }
}

pub(crate) fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// JSON object members in order, with repeats (serde_json keeps only the last).
pub(crate) fn members(bytes: &[u8]) -> Option<Vec<(String, Value)>> {
    struct Members(Vec<(String, Value)>);
    impl<'de> serde::Deserialize<'de> for Members {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Members;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Members, A::Error> {
                    let mut out = Vec::new();
                    while let Some((k, v)) = m.next_entry::<String, Value>()? {
                        out.push((k, v));
                    }
                    Ok(Members(out))
                }
            }
            d.deserialize_map(V)
        }
    }
    let text = String::from_utf8_lossy(bytes);
    serde_json::from_str::<Members>(&text).ok().map(|m| m.0)
}

pub(crate) fn jwt_alg(name: &str) -> Option<Algorithm> {
    name.parse().ok()
}

impl GoOidc<'_> {
    pub(crate) fn verify(&self, token: &str) -> Verdict {
        // Step 7: split, decode the payload without padding.
        let parts: Vec<&str> = token.split('.').collect();
        if parts.len() < 2 {
            return reject(401, "oidc: malformed jwt: oidc: malformed jwt, expected 3 parts got 1");
        }
        let payload = match B64.decode(parts[1]) {
            Ok(p) => p,
            Err(e) => return reject(401, format!("oidc: malformed jwt: oidc: malformed jwt payload: {e}")),
        };
        // Step 8: typed claims.
        let claims: Map<String, Value> = match serde_json::from_slice(&payload) {
            Ok(Value::Object(m)) => m,
            Ok(_) => return reject(401, "oidc: failed to unmarshal claims: not an object"),
            Err(e) => return reject(401, format!("oidc: failed to unmarshal claims: {e}")),
        };
        let unmarshal = |e: String| reject(401, format!("oidc: failed to unmarshal claims: {e}"));
        for f in ["iss", "sub"] {
            if let Some(v) = claims.get(f).filter(|v| !v.is_null() && !v.is_string()) {
                let kind = if v.is_array() {
                    "array"
                } else if v.is_number() {
                    "number"
                } else {
                    "object"
                };
                return unmarshal(format!(
                    "json: cannot unmarshal {kind} into Go struct field idToken.{f} of type string"
                ));
            }
        }
        let aud: Vec<String> = match claims.get("aud") {
            None | Some(Value::Null) => vec![],
            Some(Value::String(a)) => vec![a.clone()],
            Some(Value::Array(a)) if a.iter().all(Value::is_string) => a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect(),
            Some(Value::Number(_)) => {
                return unmarshal("json: cannot unmarshal number into Go struct field idToken.aud of type []string".into())
            }
            Some(_) => return unmarshal("json: cannot unmarshal into Go struct field idToken.aud of type []string".into()),
        };
        let exp = match claims.get("exp") {
            None => GO_ZERO_TIME,
            Some(v) => match go_json_time("exp", v) {
                Ok(t) => t,
                Err(e) => return unmarshal(e),
            },
        };
        let nbf = match claims.get("nbf") {
            None | Some(Value::Null) => None,
            Some(v) => match go_json_time("nbf", v) {
                Ok(t) => Some(t),
                Err(e) => return unmarshal(e),
            },
        };
        // Step 10: issuer, byte for byte.
        let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
        if iss != self.issuer {
            return reject(
                401,
                format!(
                    "oidc: id token issued by a different provider, expected {:?} got {iss:?}",
                    self.issuer
                ),
            );
        }
        // Step 11: audience.
        if !aud.iter().any(|a| a == self.client_id) {
            let got: Vec<String> = aud.iter().map(|a| format!("{a:?}")).collect();
            return reject(401, format!("oidc: expected audience {:?} got [{}]", self.client_id, got.join(" ")));
        }
        // Step 12: expiry, no leeway, sub-second now.
        if (exp as f64) < self.now {
            return reject(401, format!("oidc: token is expired (Token Expiry: {})", go_time_text(exp)));
        }
        // Step 13: nbf with 5 minutes.
        if let Some(nbf) = nbf {
            if self.now + 300.0 < nbf as f64 {
                return reject(
                    401,
                    format!(
                        "oidc: current time {} before the nbf (not before) time: {}",
                        self.now,
                        go_time_text(nbf)
                    ),
                );
            }
        }
        // Steps 15-16: JWS parsing (go-jose).
        if parts.len() != 3 {
            return reject(
                401,
                "oidc: malformed jwt: go-jose/go-jose: compact JWS format must have three parts",
            );
        }
        // go-jose decodes each segment as strict unpadded base64url.
        let Ok(hbytes) = B64.decode(parts[0]) else {
            return reject(401, "oidc: malformed jwt: illegal base64 data at input byte (header)");
        };
        let sig_text = parts[2];
        if B64.decode(sig_text).is_err() {
            return reject(401, "oidc: malformed jwt: illegal base64 data at input byte (signature)");
        }
        let Some(hmembers) = members(&hbytes) else {
            return reject(401, "oidc: malformed jwt: invalid header JSON");
        };
        let names: HashSet<&str> = hmembers.iter().map(|(k, _)| k.as_str()).collect();
        if names.len() != hmembers.len() {
            return reject(401, "oidc: malformed jwt: duplicate member in the protected header");
        }
        let h: Map<String, Value> = hmembers.into_iter().collect();
        let alg = h.get("alg").and_then(Value::as_str).unwrap_or("");
        if !self.allow.iter().any(|a| a == alg) {
            let list: Vec<String> = self.allow.iter().map(|a| format!("{a:?}")).collect();
            return reject(
                401,
                format!(
                    "oidc: malformed jwt: unexpected signature algorithm {alg:?}; expected [{}]",
                    list.join(" ")
                ),
            );
        }
        let kid = match h.get("kid") {
            None => None,
            Some(Value::String(k)) => Some(k.clone()),
            Some(_) => return reject(401, "oidc: malformed jwt: go-jose/go-jose: invalid kid"),
        };
        // crit naming anything but b64 fails against every key (step 16).
        let crit: Vec<String> = h
            .get("crit")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(|x| x.as_str().unwrap_or("?").to_owned()).collect())
            .unwrap_or_default();
        let crit_ok = crit.iter().all(|c| c == "b64");
        // Steps 17-19: keys by kid, or all; one refetch of the same set changes nothing here.
        // With b64=false, go-jose signs the header segment, '.', and the *decoded* payload bytes.
        let unencoded = h.get("b64") == Some(&Value::Bool(false));
        let mut input = format!("{}.", parts[0]).into_bytes();
        input.extend_from_slice(if unencoded { &payload } else { parts[1].as_bytes() });
        let verified = crit_ok
            && jwt_alg(alg).is_some_and(|a| {
                self.jwks["keys"].as_array().into_iter().flatten().any(|k| {
                    if kid.as_ref().is_some_and(|kid| k["kid"] != kid.as_str()) {
                        return false;
                    }
                    let Ok(jwk) = serde_json::from_value::<jsonwebtoken::jwk::Jwk>(k.clone()) else {
                        return false;
                    };
                    let Ok(key) = DecodingKey::from_jwk(&jwk) else { return false };
                    jsonwebtoken::crypto::verify(sig_text, &input, &key, a).unwrap_or(false)
                })
            });
        if !verified {
            return reject(401, "failed to verify signature: failed to verify id token signature");
        }
        // Step 22 (payload cross-check) always holds here: go-jose returns the payload decoded above.
        // Steps 25-26: Weaviate reads the username and groups.
        let username = match claims.get(self.username_claim) {
            None => return reject(500, format!("oidc: token doesn't contain required claim '{}'", self.username_claim)),
            Some(Value::String(u)) => u.clone(),
            Some(other) => {
                return reject(
                    500,
                    format!("oidc: claim '{}' is not a string, but {}", self.username_claim, go_type(other)),
                )
            }
        };
        let groups = match claims.get(self.groups_claim) {
            Some(Value::Array(a)) => a.iter().filter_map(|g| g.as_str().map(str::to_owned)).collect(),
            Some(Value::String(g)) => vec![g.clone()],
            _ => vec![],
        };
        Verdict {
            status: 200,
            message: String::new(),
            username: Some(username),
            groups,
        }
    }
}

/// The reference verifier for a tenant: discovery, JWKS, the given client id and username claim.
pub(crate) async fn go_oidc_parts(env: &Env) -> (String, Vec<String>, Value) {
    let doc = env.discovery().await;
    let allowed = [
        "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
    ];
    let mut allow: Vec<String> = doc["id_token_signing_alg_values_supported"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_str())
        .filter(|a| allowed.contains(a))
        .map(str::to_owned)
        .collect();
    if allow.is_empty() {
        allow.push("RS256".into());
    }
    (s(&doc, "issuer"), allow, jwks(env).await)
}

pub(crate) fn real_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
