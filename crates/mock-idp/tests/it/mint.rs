//! Minting (P131-P133), the preset catalogue (P134) and token shaping on flow-issued tokens
//! (P101-P109, P118-P123).
//!
//! `GoOidc` below is a small verifier written from `go-oidc-verifier.md` (steps 7-26), used as
//! the reference the preset catalogue's listed outcomes are compared with. It knows nothing of
//! the provider's code: it sees only the token, the JWKS and the discovery algorithms.

use std::collections::{BTreeMap, HashSet};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use mock_idp::config::{AudienceForm, ClientConfig, LifetimeOverrides, TenantConfig, UserConfig};
use mock_idp::{MockIdp, Preset, TokenBuilder, TokenKind};
use serde_json::{json, Map, Value};

use crate::support::{claims, header, Env};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// `{issuer base}/_mock/{path}` of the first tenant (the `_mock` routes are not in discovery).
async fn mock_url(env: &Env, path: &str) -> String {
    let issuer = env.discovery().await["issuer"]
        .as_str()
        .expect("discovery has an issuer")
        .to_owned();
    format!("{}/_mock/{path}", issuer.trim_end_matches('/'))
}

async fn mint(env: &Env, body: Value) -> (u16, Value) {
    let url = mock_url(env, "mint").await;
    let resp = env.http.post(url).json(&body).send().await.expect("mint answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn mint_ok(env: &Env, body: Value) -> Value {
    let (status, resp) = mint(env, body.clone()).await;
    assert_eq!(status, 200, "mint {body} failed: {resp}");
    resp
}

async fn jwks(env: &Env) -> Value {
    let url = env.endpoint("jwks_uri").await;
    env.http
        .get(url)
        .send()
        .await
        .expect("jwks answers")
        .json()
        .await
        .expect("jwks is JSON")
}

fn s(v: &Value, field: &str) -> String {
    v[field].as_str().unwrap_or_else(|| panic!("no string {field} in {v}")).to_owned()
}

/// Verifies a JWT with `jsonwebtoken` and the JWKS key of its `kid`: signature, `iss`, `aud`, `exp`.
fn rs_verify(token: &str, jwks: &Value, issuer: &str, aud: &str) -> Result<Value, String> {
    let h = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
    let kid = h.kid.ok_or("no kid")?;
    let jwk = jwks["keys"]
        .as_array()
        .and_then(|ks| ks.iter().find(|k| k["kid"] == kid.as_str()))
        .ok_or("kid not in JWKS")?;
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone()).map_err(|e| e.to_string())?;
    let key = DecodingKey::from_jwk(&jwk).map_err(|e| e.to_string())?;
    let mut v = Validation::new(h.alg);
    v.set_issuer(&[issuer]);
    v.set_audience(&[aud]);
    v.set_required_spec_claims(&["exp", "iss", "aud"]);
    v.leeway = 0;
    jsonwebtoken::decode::<Value>(token, &key, &v)
        .map(|d| d.claims)
        .map_err(|e| e.to_string())
}

fn idp_now(idp: &MockIdp) -> i64 {
    idp.first_tenant().clock().now()
}

// ---------------------------------------------------------------------------------------------
// A go-oidc verifier, from go-oidc-verifier.md (the reference for P134's listed outcomes)
// ---------------------------------------------------------------------------------------------

/// Weaviate's answer to one bearer token.
#[derive(Debug, Clone, PartialEq)]
struct Verdict {
    status: u16,
    message: String,
    username: Option<String>,
    groups: Vec<String>,
}

fn reject(status: u16, message: impl Into<String>) -> Verdict {
    Verdict {
        status,
        message: message.into(),
        username: None,
        groups: vec![],
    }
}

struct GoOidc<'a> {
    issuer: &'a str,
    client_id: &'a str,
    /// Discovery algorithms filtered to the asymmetric ones (step 3).
    allow: Vec<String>,
    jwks: &'a Value,
    username_claim: &'a str,
    groups_claim: &'a str,
    /// The RS's "now" (fractional seconds).
    now: f64,
}

/// Go's `time.Unix(0,0)` zero value seconds (0001-01-01).
const GO_ZERO_TIME: i64 = -62_135_596_800;

fn go_time_text(t: i64) -> String {
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
fn go_json_time(field: &str, v: &Value) -> Result<i64, String> {
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

fn go_type(v: &Value) -> &'static str {
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
fn members(bytes: &[u8]) -> Option<Vec<(String, Value)>> {
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

fn jwt_alg(name: &str) -> Option<Algorithm> {
    name.parse().ok()
}

impl GoOidc<'_> {
    fn verify(&self, token: &str) -> Verdict {
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
async fn go_oidc_parts(env: &Env) -> (String, Vec<String>, Value) {
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

fn real_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

// ---------------------------------------------------------------------------------------------
// P131-P133: minting
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn p131_default_mint_verifies_for_the_default_client() {
    let env = Env::start().await;
    let body = mint_ok(&env, json!({})).await;
    let (issuer, _, keys) = go_oidc_parts(&env).await;
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_i64().is_some_and(|e| e > 0), "{body}");
    assert!(
        body["scope"].as_str().is_some_and(|s| s.split(' ').any(|w| w == "openid")),
        "{body}"
    );
    for kind in ["access_token", "id_token"] {
        let c = rs_verify(&s(&body, kind), &keys, &issuer, "weaviate").unwrap_or_else(|e| panic!("{kind} does not verify: {e}"));
        assert_eq!(
            c["preferred_username"], "admin",
            "{kind}: the default user is the tenant's default_user"
        );
    }
    // The same check against another client id fails: the audience is really checked.
    assert!(rs_verify(&s(&body, "access_token"), &keys, &issuer, "someone-else").is_err());
}

#[tokio::test]
async fn p131_minted_tokens_look_like_flow_issued_ones() {
    let env = Env::start().await;
    let flow = env.password_tokens("admin", "admin-pass").await;
    let minted = mint_ok(&env, json!({"user": "admin", "client_id": "weaviate"})).await;
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    for kind in ["access_token", "id_token"] {
        let (f, m) = (s(&flow, kind), s(&minted, kind));
        assert_eq!(keys(&claims(&f)), keys(&claims(&m)), "{kind} claim names");
        assert_eq!(header(&f), header(&m), "{kind} header");
        for same in ["iss", "sub", "aud", "scope", "preferred_username", "email", "groups", "client_id"] {
            assert_eq!(claims(&f).get(same), claims(&m).get(same), "{kind}.{same}");
        }
    }
    assert_eq!(flow["scope"], minted["scope"]);
    assert_eq!(flow["refresh_token"].is_string(), minted["refresh_token"].is_string());
}

#[tokio::test]
async fn p131_minted_refresh_token_is_stored_and_redeems() {
    let env = Env::start().await;
    let body = mint_ok(&env, json!({"user": "viewer", "tokens": ["access_token", "refresh_token"]})).await;
    let rt = s(&body, "refresh_token");
    assert!(body.get("id_token").is_none(), "only the asked tokens: {body}");
    // The record is stored like grants::issue stores it (under its digest, never in plain text).
    {
        let tenant = env.idp.first_tenant();
        let store = tenant.grants();
        let rec = store
            .refresh
            .get(&mock_idp::grants::store_key(&rt))
            .expect("the minted refresh token is stored");
        assert_eq!(rec.client_id, "weaviate");
        assert_eq!(rec.username.as_deref(), Some("viewer"));
        assert!(!rec.used);
        assert!(store.families.contains_key(&rec.family));
        assert!(!store.refresh.contains_key(&rt), "never stored in plain text");
    }
    let (status, resp) = env
        .token(&[("grant_type", "refresh_token"), ("refresh_token", &rt), ("client_id", "weaviate")])
        .await;
    assert_eq!(status, 200, "{resp}");
    assert_eq!(claims(&s(&resp, "access_token"))["preferred_username"], "viewer");
    // And a token the provider never issued does not redeem.
    let (status, _) = env
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "never-issued"),
            ("client_id", "weaviate"),
        ])
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn p131_refresh_token_for_a_client_without_the_grant_is_refused() {
    let env = Env::start().await;
    let (status, body) = mint(&env, json!({"client_id": "ci-runner", "tokens": ["refresh_token"]})).await;
    assert_eq!(status, 400, "{body}");
    assert!(s(&body, "message").contains("`tokens`"), "{body}");
    let body = mint_ok(&env, json!({"client_id": "ci-runner"})).await;
    assert!(
        body.get("refresh_token").is_none() && body.get("id_token").is_none(),
        "like client credentials: {body}"
    );
    assert_eq!(claims(&s(&body, "access_token"))["sub"], "ci-runner");
}

#[tokio::test]
async fn p131_rust_api_mints_the_same_tokens() {
    let env = Env::start().await;
    let idp = &env.idp;
    let minted = idp
        .mint(idp.token_builder().user("viewer").scope("openid email"))
        .expect("mint works");
    let at = minted.access_token.clone().expect("an access token");
    assert_eq!(claims(&at)["email"], "viewer@example.com");
    assert_eq!(claims(&at)["scope"], "openid email");
    let (issuer, _, keys) = go_oidc_parts(&env).await;
    rs_verify(&idp.mint_access_token("viewer"), &keys, &issuer, "weaviate").expect("mint_access_token verifies");
    let e = idp.mint(TokenBuilder::new().user("ghost")).unwrap_err();
    assert!(e.to_string().contains("`user`"), "{e}");
}

#[tokio::test]
async fn p131_sub_alone_mints_for_a_subject_without_an_account() {
    let env = Env::start().await;
    let c = claims(&s(&mint_ok(&env, json!({"sub": "svc-123"})).await, "access_token"));
    assert_eq!(
        (c["sub"].as_str(), c["preferred_username"].as_str()),
        (Some("svc-123"), Some("svc-123"))
    );
    assert_eq!(c["groups"], json!([]));
    // With a user, `sub` only replaces the subject.
    let c = claims(&s(
        &mint_ok(&env, json!({"user": "viewer", "sub": "other-sub"})).await,
        "access_token",
    ));
    assert_eq!(
        (c["sub"].as_str(), c["preferred_username"].as_str()),
        (Some("other-sub"), Some("viewer"))
    );
    assert_eq!(c["groups"], json!(["viewers"]));
    // A refresh token needs an account to redeem against.
    let (status, body) = mint(&env, json!({"sub": "svc-123", "tokens": ["refresh_token"]})).await;
    assert_eq!(status, 400, "{body}");
    mint_ok(&env, json!({"user": "viewer", "sub": "other-sub", "tokens": ["refresh_token"]})).await;
}

#[tokio::test]
async fn p131_bad_fields_get_400_naming_the_field() {
    let env = Env::start().await;
    for (body, field) in [
        (json!({"nope": 1}), "nope"),
        (json!({"user": "ghost"}), "user"),
        (json!({"user": 5}), "user"),
        (json!({"client_id": "ghost"}), "client_id"),
        (json!({"aud": 5}), "aud"),
        (json!({"scope": "openid bad\\scope"}), "scope"),
        (json!({"groups": "admins"}), "groups"),
        (json!({"claims": [1]}), "claims"),
        (json!({"remove": "email"}), "remove"),
        (json!({"lifetime_s": -1}), "lifetime_s"),
        (json!({"lifetime_s": 0}), "lifetime_s"),
        (json!({"lifetime_s": 60, "exp": 1}), "lifetime_s"),
        (json!({"lifetime_s": 3_000_000_000u64}), "lifetime_s"),
        (json!({"exp": "soon"}), "exp"),
        (json!({"alg": "XX256"}), "alg"),
        (json!({"kid": "no-such-kid"}), "kid"),
        (json!({"typ": 1}), "typ"),
        (json!({"tokens": ["session_token"]}), "tokens"),
        (json!({"tokens": []}), "tokens"),
        (json!({"preset": "no-such-preset"}), "preset"),
        (json!({"preset_seconds": 5}), "preset_seconds"),
    ] {
        let (status, resp) = mint(&env, body.clone()).await;
        assert_eq!(status, 400, "{body}: {resp}");
        assert!(resp["error"].is_string(), "{body}: {resp}");
        assert!(
            s(&resp, "message").contains(&format!("`{field}`")),
            "{body}: message should name {field}: {resp}"
        );
    }
    // Fixed, the same fields work.
    mint_ok(&env, json!({"user": "viewer", "client_id": "weaviate", "aud": "weaviate", "lifetime_s": 60, "alg": "ES256", "typ": "JWT", "tokens": ["id_token"], "preset": "expired", "preset_seconds": 5})).await;
    let url = mock_url(&env, "mint").await;
    let resp = env.http.post(url).body("{not json").send().await.unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn p131_mint_takes_times_from_the_tenant_clock_and_the_request() {
    let env = Env::start().await;
    let tenant = env.idp.first_tenant();
    tenant.clock().set(mock_idp::clock::ClockMode::Frozen { at: 2_000_000_000.25 });
    let c = claims(&s(&mint_ok(&env, json!({"lifetime_s": 90})).await, "access_token"));
    assert_eq!(
        (c["iat"].as_i64(), c["exp"].as_i64(), c["nbf"].as_i64()),
        (Some(2_000_000_000), Some(2_000_000_090), Some(2_000_000_000))
    );
    let c = claims(&s(
        &mint_ok(&env, json!({"iat": 1_900_000_000, "exp": 1_900_000_500, "nbf": 1_900_000_100})).await,
        "access_token",
    ));
    assert_eq!(
        (c["iat"].as_i64(), c["exp"].as_i64(), c["nbf"].as_i64()),
        (Some(1_900_000_000), Some(1_900_000_500), Some(1_900_000_100))
    );
}

#[tokio::test]
async fn p131_alg_and_kid_choose_the_signing_key() {
    let env = Env::start().await;
    let keys = jwks(&env).await;
    let es = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["alg"] == "ES256")
        .expect("an ES256 key");
    let t = s(&mint_ok(&env, json!({"alg": "ES256"})).await, "access_token");
    assert_eq!(header(&t)["alg"], "ES256");
    assert_eq!(header(&t)["kid"], es["kid"]);
    let t = s(&mint_ok(&env, json!({"kid": es["kid"]})).await, "access_token");
    assert_eq!(header(&t)["alg"], "ES256");
    let (issuer, _, keys) = go_oidc_parts(&env).await;
    rs_verify(&t, &keys, &issuer, "weaviate").expect("an ES256 minted token verifies");
}

#[tokio::test]
async fn p132_null_is_emitted_and_remove_drops_the_claim() {
    let env = Env::start().await;
    let t = s(
        &mint_ok(&env, json!({"claims": {"exp": null, "email": null}})).await,
        "access_token",
    );
    let c = claims(&t);
    assert!(
        c.as_object().unwrap().contains_key("exp") && c["exp"].is_null(),
        "exp is a literal null: {c}"
    );
    assert!(c.as_object().unwrap().contains_key("email") && c["email"].is_null(), "{c}");
    let payload = String::from_utf8(B64.decode(t.split('.').nth(1).unwrap()).unwrap()).unwrap();
    assert!(payload.contains("\"exp\":null"), "{payload}");
    let c = claims(&s(&mint_ok(&env, json!({"remove": ["exp", "email"]})).await, "access_token"));
    assert!(
        !c.as_object().unwrap().contains_key("exp") && !c.as_object().unwrap().contains_key("email"),
        "{c}"
    );
    assert!(c["iss"].is_string(), "only the named claims go: {c}");
    // Asking for both at once is a contradiction.
    let (status, body) = mint(&env, json!({"claims": {"exp": null}, "remove": ["exp"]})).await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn p133_unsafe_headers_only_through_presets() {
    let env = Env::start().await;
    for f in ["jku", "x5u", "jwk", "x5c", "crit", "header"] {
        let (status, body) = mint(&env, json!({ f: "http://attacker.invalid/" })).await;
        assert_eq!(status, 400, "{f}: {body}");
        assert_eq!(body["error"], "unsafe_header", "{f}: {body}");
    }
    for alg in ["none", "None", "HS256", "hs512"] {
        let (status, body) = mint(&env, json!({ "alg": alg })).await;
        assert_eq!(status, 400, "{alg}: {body}");
        assert!(s(&body, "message").contains("preset"), "{body}");
    }
    // A normal token's header has alg, kid and typ only (P33)...
    let t = s(&mint_ok(&env, json!({})).await, "access_token");
    let mut names: Vec<String> = header(&t).as_object().unwrap().keys().cloned().collect();
    names.sort();
    assert_eq!(names, ["alg", "kid", "typ"]);
    // ...and the named presets do produce the unsafe headers.
    for (preset, member) in [
        ("jku", "jku"),
        ("x5u", "x5u"),
        ("embedded-jwk", "jwk"),
        ("x5c", "x5c"),
        ("crit-exp", "crit"),
    ] {
        let t = s(&mint_ok(&env, json!({ "preset": preset })).await, "access_token");
        assert!(header(&t).get(member).is_some(), "{preset}");
    }
    let t = s(&mint_ok(&env, json!({"preset": "alg-none"})).await, "access_token");
    assert_eq!(header(&t)["alg"], "none");
}

// ---------------------------------------------------------------------------------------------
// P134: the preset catalogue
// ---------------------------------------------------------------------------------------------

async fn listing(env: &Env) -> Vec<Value> {
    let url = mock_url(env, "presets").await;
    let body: Value = env.http.get(url).send().await.unwrap().json().await.unwrap();
    body["presets"].as_array().expect("a presets array").clone()
}

#[tokio::test]
async fn p134_listing_is_complete_and_names_are_unique() {
    let env = Env::start().await;
    let list = listing(&env).await;
    let names: Vec<String> = list.iter().map(|p| s(p, "name")).collect();
    let unique: HashSet<&String> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "names are unique");
    assert_eq!(
        names,
        Preset::ALL.iter().map(|p| p.name()).collect::<Vec<_>>(),
        "every preset is listed, in order"
    );
    for p in &list {
        assert!(
            !s(p, "description").is_empty() && !s(p, "attack").is_empty() && !s(p, "expected").is_empty(),
            "{p}"
        );
        assert!([200, 401, 500].contains(&p["expected_status"].as_u64().unwrap()), "{p}");
    }
    // The minimum set of P134 is there.
    for required in [
        "expired",
        "expires-soon",
        "exp-missing",
        "exp-null",
        "exp-string",
        "exp-float",
        "exp-huge",
        "not-yet-valid",
        "nbf-within-skew",
        "nbf-string",
        "iat-future",
        "wrong-issuer",
        "issuer-slash-toggled",
        "issuer-case",
        "issuer-scheme",
        "iss-missing",
        "wrong-audience",
        "aud-missing",
        "aud-array-with-client",
        "aud-array-without-client",
        "aud-empty-array",
        "aud-number",
        "azp-mismatch",
        "bad-signature",
        "signature-truncated",
        "signature-padded",
        "payload-tampered",
        "alg-none",
        "hs256-public-key",
        "alg-not-advertised",
        "alg-key-mismatch",
        "forged-key-real-kid",
        "unknown-kid",
        "kid-missing",
        "jku",
        "x5u",
        "embedded-jwk",
        "x5c",
        "two-parts",
        "four-parts",
        "empty-signature",
        "username-missing",
        "username-not-string",
        "groups-as-string",
        "groups-missing",
        "sub-missing",
        "duplicate-claim",
        "duplicate-header",
        "es256-der",
        "es256-high-s",
        "es256-zero",
        "oversized",
        "retired-key",
        "at-jwt",
    ] {
        assert!(names.iter().any(|n| n == required), "{required} is missing");
    }
    assert!(names.iter().any(|n| n.starts_with("kid-injection")) && names.iter().any(|n| n.starts_with("crit")));
    // The snake_case aliases of the issue text work as input.
    for alias in [
        "expired",
        "not_yet_valid",
        "wrong_issuer",
        "wrong_audience",
        "bad_signature",
        "unknown_kid",
        "alg_none",
        "hs256_with_public_key",
        "missing_username_claim",
        "groups_as_string",
    ] {
        mint_ok(&env, json!({ "preset": alias })).await;
    }
}

#[tokio::test]
async fn p134_every_preset_meets_its_listed_go_oidc_outcome() {
    let env = Env::start().await;
    let (issuer, allow, keys) = go_oidc_parts(&env).await;
    let rs = GoOidc {
        issuer: &issuer,
        client_id: "weaviate",
        allow,
        jwks: &keys,
        username_claim: "preferred_username",
        groups_claim: "groups",
        now: real_now(),
    };
    // The baseline (the broken property fixed) is accepted.
    let base = s(&mint_ok(&env, json!({})).await, "access_token");
    let ok = rs.verify(&base);
    assert_eq!((ok.status, ok.username.as_deref()), (200, Some("admin")), "{ok:?}");
    for entry in listing(&env).await {
        let name = s(&entry, "name");
        let body = mint_ok(&env, json!({ "preset": name })).await;
        for kind in ["access_token", "id_token"] {
            let token = s(&body, kind);
            let v = GoOidc {
                now: real_now(),
                ..rs.clone_ref()
            }
            .verify(&token);
            assert_eq!(
                v.status as u64,
                entry["expected_status"].as_u64().unwrap(),
                "{name} ({kind}): {v:?}, listed {entry}"
            );
            if let Some(e) = entry["expected_error"].as_str() {
                assert!(v.message.starts_with(e), "{name} ({kind}): got {:?}, listed {e:?}", v.message);
            }
        }
    }
}

impl GoOidc<'_> {
    fn clone_ref(&self) -> GoOidc<'_> {
        GoOidc {
            issuer: self.issuer,
            client_id: self.client_id,
            allow: self.allow.clone(),
            jwks: self.jwks,
            username_claim: self.username_claim,
            groups_claim: self.groups_claim,
            now: self.now,
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Sig {
    /// Verifies with the tenant's real key (under the token's own RSA algorithm).
    Real,
    /// Does not verify with the real key.
    NotReal,
    /// Checked by hand below.
    Custom,
}

/// What each preset changes: header members, claims, and what becomes of the signature.
fn one_property_table() -> BTreeMap<&'static str, (&'static [&'static str], &'static [&'static str], Sig)> {
    use Sig::*;
    let none: &[&str] = &[];
    BTreeMap::from([
        ("expired", (none, &["exp"][..], Real)),
        ("expires-soon", (none, &["exp"][..], Real)),
        ("exp-missing", (none, &["exp"][..], Real)),
        ("exp-null", (none, &["exp"][..], Real)),
        ("exp-string", (none, &["exp"][..], Real)),
        ("exp-float", (none, &["exp"][..], Real)),
        ("exp-huge", (none, &["exp"][..], Real)),
        ("not-yet-valid", (none, &["nbf"][..], Real)),
        ("nbf-within-skew", (none, &["nbf"][..], Real)),
        ("nbf-string", (none, &["nbf"][..], Real)),
        ("iat-future", (none, &["iat"][..], Real)),
        ("wrong-issuer", (none, &["iss"][..], Real)),
        ("issuer-slash-toggled", (none, &["iss"][..], Real)),
        ("issuer-case", (none, &["iss"][..], Real)),
        ("issuer-scheme", (none, &["iss"][..], Real)),
        ("iss-missing", (none, &["iss"][..], Real)),
        ("wrong-audience", (none, &["aud"][..], Real)),
        ("aud-missing", (none, &["aud"][..], Real)),
        ("aud-array-with-client", (none, &["aud"][..], Real)),
        ("aud-array-without-client", (none, &["aud"][..], Real)),
        ("aud-empty-array", (none, &["aud"][..], Real)),
        ("aud-number", (none, &["aud"][..], Real)),
        ("azp-mismatch", (none, &["aud", "azp"][..], Real)),
        ("bad-signature", (none, none, Custom)),
        ("signature-truncated", (none, none, Custom)),
        ("signature-padded", (none, none, Custom)),
        ("payload-tampered", (none, &["groups"][..], Custom)),
        ("alg-none", (&["alg"][..], none, Custom)),
        ("alg-none-capitalized", (&["alg"][..], none, Custom)),
        ("alg-none-upper", (&["alg"][..], none, Custom)),
        ("alg-none-mixed", (&["alg"][..], none, Custom)),
        ("alg-none-signed", (&["alg"][..], none, Custom)),
        ("hs256-public-key", (&["alg"][..], none, Custom)),
        ("hs256-public-key-der", (&["alg"][..], none, Custom)),
        ("hs256-public-key-n", (&["alg"][..], none, Custom)),
        ("alg-not-advertised", (&["alg"][..], none, Real)),
        ("alg-key-mismatch", (&["alg"][..], none, NotReal)),
        ("forged-key-real-kid", (none, none, NotReal)),
        ("unknown-kid", (&["kid"][..], none, NotReal)),
        ("kid-missing", (&["kid"][..], none, Real)),
        ("kid-injection-path", (&["kid"][..], none, Real)),
        ("kid-injection-sql", (&["kid"][..], none, Real)),
        ("kid-injection-huge", (&["kid"][..], none, Real)),
        ("kid-injection-binary", (&["kid"][..], none, Real)),
        ("kid-injection-object", (&["kid"][..], none, Real)),
        ("jku", (&["jku", "kid"][..], none, NotReal)),
        ("x5u", (&["kid", "x5u"][..], none, NotReal)),
        ("embedded-jwk", (&["jwk", "kid"][..], none, NotReal)),
        ("x5c", (&["kid", "x5c"][..], none, NotReal)),
        ("crit-exp", (&["crit"][..], none, Real)),
        ("crit-unknown", (&["crit", "x-unknown"][..], none, Real)),
        ("crit-empty", (&["crit"][..], none, Real)),
        ("crit-b64", (&["b64", "crit"][..], none, Real)),
        ("two-parts", (none, none, Custom)),
        ("four-parts", (none, none, Custom)),
        ("empty-signature", (none, none, Custom)),
        ("username-missing", (none, &["email", "preferred_username"][..], Real)),
        ("username-not-string", (none, &["email", "preferred_username"][..], Real)),
        ("groups-as-string", (none, &["groups"][..], Real)),
        ("groups-missing", (none, &["groups"][..], Real)),
        ("sub-missing", (none, &["sub"][..], Real)),
        ("duplicate-claim", (none, &["preferred_username"][..], Real)),
        ("duplicate-header", (&["alg"][..], none, Real)),
        ("es256-der", (none, none, Custom)),
        ("es256-high-s", (none, none, Custom)),
        ("es256-zero", (none, none, Custom)),
        ("oversized", (none, &["pad"][..], Real)),
        ("retired-key", (&["kid"][..], none, NotReal)),
        ("at-jwt", (&["typ"][..], none, Real)),
    ])
}

fn lenient_object(segment: &str) -> Map<String, Value> {
    let bytes = B64.decode(segment.trim_end_matches('=')).unwrap_or_default();
    members(&bytes).map(|m| m.into_iter().collect()).unwrap_or_default()
}

fn changed(a: &Map<String, Value>, b: &Map<String, Value>) -> Vec<String> {
    let mut out: Vec<String> = a.keys().chain(b.keys()).filter(|k| a.get(*k) != b.get(*k)).cloned().collect();
    out.sort();
    out.dedup();
    out
}

fn verifies(token: &str, key: &DecodingKey, alg: Algorithm) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    parts.len() == 3
        && jsonwebtoken::crypto::verify(
            parts[2].trim_end_matches('='),
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            key,
            alg,
        )
        .unwrap_or(false)
}

#[tokio::test]
async fn p134_every_preset_changes_one_property_and_keeps_the_rest() {
    let env = Env::start().await;
    let tenant = env.idp.first_tenant();
    tenant.clock().freeze();
    let keys = jwks(&env).await;
    let key_of = |kid: &Value| -> DecodingKey {
        let jwk = keys["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| &k["kid"] == kid)
            .expect("kid in JWKS");
        DecodingKey::from_jwk(&serde_json::from_value(jwk.clone()).unwrap()).unwrap()
    };
    // jti is random per token: fix it, so that the baseline and the preset token are comparable.
    let request = |preset: Option<&str>, alg: &str| {
        let mut b = json!({"tokens": ["access_token"], "claims": {"jti": "fixed-jti"}, "alg": alg});
        if let Some(p) = preset {
            b["preset"] = json!(p);
        }
        b
    };
    let table = one_property_table();
    let (pem, der, n) = {
        let ring = tenant.keys();
        let k = ring.active();
        (
            k.public_pem().into_bytes(),
            k.public_der(),
            B64.decode(k.public_jwk()["n"].as_str().unwrap()).unwrap(),
        )
    };
    for entry in listing(&env).await {
        let name = s(&entry, "name");
        let (hdr, cls, sig) = *table
            .get(name.as_str())
            .unwrap_or_else(|| panic!("preset {name} has no one-property check"));
        let alg = if name.starts_with("es256") { "ES256" } else { "RS256" };
        let base = s(&mint_ok(&env, request(None, alg)).await, "access_token");
        let bad = s(&mint_ok(&env, request(Some(&name), alg)).await, "access_token");
        let b: Vec<&str> = base.split('.').collect();
        let x: Vec<&str> = bad.split('.').collect();
        let (bh, bc) = (lenient_object(b[0]), lenient_object(b[1]));
        let (xh, xc) = (lenient_object(x[0]), lenient_object(x.get(1).copied().unwrap_or("")));
        assert_eq!(changed(&bh, &xh), hdr, "{name}: header members changed");
        assert_eq!(changed(&bc, &xc), cls, "{name}: claims changed");
        let real = key_of(&bh["kid"]);
        let own_alg = xh.get("alg").and_then(Value::as_str).and_then(|a| a.parse::<Algorithm>().ok());
        let rsa_alg = own_alg.filter(|a| {
            matches!(
                a,
                Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512 | Algorithm::PS256 | Algorithm::PS384 | Algorithm::PS512
            )
        });
        let check_alg = if alg == "ES256" {
            Algorithm::ES256
        } else {
            rsa_alg.unwrap_or(Algorithm::RS256)
        };
        match sig {
            Sig::Real => assert!(verifies(&bad, &real, check_alg), "{name}: the real key signs it"),
            Sig::NotReal => assert!(!verifies(&bad, &real, check_alg), "{name}: the real key does not sign it"),
            Sig::Custom => {}
        }
        let bsig = B64.decode(b[2]).unwrap();
        let xsig = x
            .get(2)
            .map(|s| B64.decode(s.trim_end_matches('=')).unwrap_or_default())
            .unwrap_or_default();
        match name.as_str() {
            "bad-signature" => {
                assert_eq!((x[0], x[1]), (b[0], b[1]), "{name}");
                let bits: u32 = bsig.iter().zip(&xsig).map(|(p, q)| (p ^ q).count_ones()).sum();
                assert_eq!((bits, bsig.len()), (1, xsig.len()), "{name}: one bit flipped");
            }
            "signature-truncated" => {
                assert_eq!((x[0], x[1]), (b[0], b[1]), "{name}");
                assert_eq!(xsig, bsig[..bsig.len() - 1], "{name}: the last byte cut");
            }
            "signature-padded" => assert_eq!(bad, format!("{base}="), "{name}"),
            "payload-tampered" => assert_eq!((x[0], x[2]), (b[0], b[2]), "{name}: header and signature kept"),
            "alg-none" | "alg-none-capitalized" | "alg-none-upper" | "alg-none-mixed" => assert_eq!(x[2], "", "{name}"),
            "alg-none-signed" => assert_eq!(x[2], b[2], "{name}: the original signature kept"),
            "hs256-public-key" | "hs256-public-key-der" | "hs256-public-key-n" => {
                let secret = match name.as_str() {
                    "hs256-public-key" => &pem,
                    "hs256-public-key-der" => &der,
                    _ => &n,
                };
                assert!(
                    verifies(&bad, &DecodingKey::from_secret(secret), Algorithm::HS256),
                    "{name}: HMAC under the public key"
                );
                assert!(!verifies(&bad, &DecodingKey::from_secret(b"other"), Algorithm::HS256));
            }
            "two-parts" => assert_eq!(bad, format!("{}.{}", b[0], b[1]), "{name}"),
            "four-parts" => assert_eq!((x.len(), &x[..3]), (4, &b[..]), "{name}"),
            "empty-signature" => assert_eq!(bad, format!("{}.{}.", b[0], b[1]), "{name}"),
            "es256-der" => {
                assert!(!verifies(&bad, &real, Algorithm::ES256));
                let der = p256::ecdsa::Signature::from_der(&xsig).expect("a DER ECDSA signature");
                let raw = base.replace(b[2], &B64.encode(der.to_bytes()));
                assert!(verifies(&raw, &real, Algorithm::ES256), "{name}: the DER holds the real signature");
            }
            "es256-high-s" => {
                assert!(verifies(&bad, &real, Algorithm::ES256), "{name}: still a valid signature");
                let high = p256::ecdsa::Signature::from_slice(&xsig).unwrap();
                assert!(high.normalize_s().is_some(), "{name}: s is the high one");
            }
            "es256-zero" => assert_eq!(xsig, vec![0u8; 64], "{name}"),
            "duplicate-claim" => {
                let payload = String::from_utf8(B64.decode(x[1]).unwrap()).unwrap();
                assert_eq!(payload.matches("\"preferred_username\"").count(), 2, "{name}: {payload}");
            }
            "duplicate-header" => {
                let h = String::from_utf8(B64.decode(x[0]).unwrap()).unwrap();
                assert_eq!(h.matches("\"alg\"").count(), 2, "{name}: {h}");
            }
            "oversized" => assert!((17 * 1024..17 * 1024 + 8).contains(&bad.len()), "{name}: {} bytes", bad.len()),
            _ => {}
        }
    }
}

#[tokio::test]
async fn p134_preset_parameters_and_the_retired_key() {
    let env = Env::start().await;
    let tenant = env.idp.first_tenant();
    tenant.clock().freeze();
    let now = idp_now(&env.idp);
    let c = claims(&s(
        &mint_ok(&env, json!({"preset": "expired", "preset_seconds": 30})).await,
        "access_token",
    ));
    assert_eq!(c["exp"].as_i64(), Some(now - 30));
    let c = claims(&s(
        &mint_ok(&env, json!({"preset": "expires-soon", "preset_seconds": 7})).await,
        "access_token",
    ));
    assert_eq!(c["exp"].as_i64(), Some(now + 7));
    let t = s(
        &mint_ok(&env, json!({"preset": "oversized", "preset_size": 40_000})).await,
        "access_token",
    );
    assert!((40_000..40_008).contains(&t.len()), "{}", t.len());
    let t = s(
        &mint_ok(&env, json!({"preset": "jku", "preset_url": "http://127.0.0.1:9/keys"})).await,
        "access_token",
    );
    assert_eq!(header(&t)["jku"], "http://127.0.0.1:9/keys");
    // With a key of the tenant left out of the JWKS, retired-key signs with that one.
    let hidden = {
        let mut k = mock_idp::keys::SigningKey::from_seed("p134 retired", mock_idp::Alg::RS256);
        k.published = false;
        let kid = k.kid().as_str().to_owned();
        tenant.keys_mut().add(k);
        kid
    };
    let t = s(&mint_ok(&env, json!({"preset": "retired-key"})).await, "access_token");
    assert_eq!(header(&t)["kid"], hidden.as_str());
    assert!(jwks(&env).await["keys"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k["kid"] != hidden.as_str()));
    // es256-* need an ES256 key: a tenant without one gets a 400 naming the preset.
    let rsa_only = Env::with(
        MockIdp::builder()
            .configure(|t| t.keys.retain(|k| k.alg == mock_idp::Alg::RS256))
            .start()
            .await,
    );
    let (status, body) = mint(&rsa_only, json!({"preset": "es256-zero"})).await;
    assert_eq!(status, 400, "{body}");
    mint_ok(&rsa_only, json!({"preset": "expired"})).await;
}

#[tokio::test]
async fn p134_presets_are_deterministic() {
    let env = Env::start().await;
    env.idp.first_tenant().clock().freeze();
    for p in Preset::ALL {
        if p.name().starts_with("es256") || p == Preset::AlgNotAdvertised || p == Preset::AlgKeyMismatch {
            continue; // ECDSA nonces and RSA-PSS salts are random; their shape is checked above.
        }
        let req = || TokenBuilder::new().tokens([TokenKind::AccessToken]).claim("jti", "j").preset(p);
        let a = env.idp.mint(req()).unwrap().access_token;
        let b = env.idp.mint(req()).unwrap().access_token;
        assert_eq!(a, b, "{p}");
    }
}

// ---------------------------------------------------------------------------------------------
// P101-P109: claims of flow-issued tokens
// ---------------------------------------------------------------------------------------------

async fn client_credentials(env: &Env, extra: &[(&str, &str)]) -> Value {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_id", "ci-runner"),
        ("client_secret", "ci-runner-secret"),
    ];
    form.extend_from_slice(extra);
    let (status, body) = env.token(&form).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn p101_id_token_has_the_registered_claims() {
    let env = Env::start().await;
    let issuer = env.idp.issuer_url();
    let body = env.password_tokens("admin", "admin-pass").await;
    let c = claims(&s(&body, "id_token"));
    assert_eq!(c["iss"].as_str(), Some(issuer.as_str()), "iss byte for byte");
    assert!(c["sub"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(c["aud"], "weaviate");
    for t in ["exp", "iat", "auth_time"] {
        assert!(c[t].is_i64(), "{t} is an integer NumericDate: {c}");
    }
    assert!(c["exp"].as_i64() > c["iat"].as_i64());
    assert!(c["iat"].as_i64().unwrap() < 10_000_000_000, "seconds, not milliseconds");
    assert!(c.get("azp").is_none(), "one audience equal to the client id: no azp by default");
}

#[tokio::test]
async fn p101_azp_when_aud_has_several_values_or_always() {
    let idp = MockIdp::builder()
        .client(ClientConfig {
            client_id: "multi".into(),
            public: true,
            extra_audiences: vec!["api".into()],
            ..ClientConfig::default()
        })
        .client(ClientConfig {
            client_id: "always".into(),
            public: true,
            always_azp: true,
            ..ClientConfig::default()
        })
        .start()
        .await;
    let env = Env::with(idp);
    for (client, aud, azp) in [
        ("multi", json!(["multi", "api"]), Some("multi")),
        ("always", json!("always"), Some("always")),
        ("weaviate", json!("weaviate"), None),
    ] {
        let (status, body) = env
            .token(&[
                ("grant_type", "password"),
                ("username", "admin"),
                ("password", "admin-pass"),
                ("client_id", client),
            ])
            .await;
        assert_eq!(status, 200, "{body}");
        let c = claims(&s(&body, "id_token"));
        assert_eq!(c["aud"], aud, "{client}");
        assert_eq!(c.get("azp").and_then(Value::as_str), azp, "{client}");
    }
    // The access token of a client whose audience is not only itself carries azp too.
    let c = claims(&s(&client_credentials(&env, &[]).await, "access_token"));
    assert_eq!(c["aud"], json!(["ci-runner", "weaviate"]));
    assert_eq!(c["azp"], "ci-runner");
}

#[tokio::test]
async fn p102_nbf_equals_iat_by_default_and_can_be_switched_off() {
    let env = Env::start().await;
    let body = env.password_tokens("admin", "admin-pass").await;
    for kind in ["id_token", "access_token"] {
        let c = claims(&s(&body, kind));
        assert_eq!(c["nbf"], c["iat"], "{kind}");
    }
    let env = Env::with(MockIdp::builder().configure(|t| t.nbf = false).start().await);
    let body = env.password_tokens("admin", "admin-pass").await;
    for kind in ["id_token", "access_token"] {
        assert!(claims(&s(&body, kind)).get("nbf").is_none(), "{kind}");
    }
}

#[tokio::test]
async fn p105_iat_is_tenant_now_and_exp_at_most_50_years_ahead() {
    let env = Env::start().await;
    env.idp
        .first_tenant()
        .clock()
        .set(mock_idp::clock::ClockMode::Frozen { at: 1_800_000_000.9 });
    let body = env.password_tokens("admin", "admin-pass").await;
    for kind in ["id_token", "access_token"] {
        let c = claims(&s(&body, kind));
        assert_eq!(c["iat"].as_i64(), Some(1_800_000_000), "{kind}");
        assert!(c["exp"].as_i64().unwrap() - 1_800_000_000 <= 50 * 366 * 86_400, "{kind}");
    }
    // A configured lifetime beyond 50 years is refused at start, naming the key.
    let err = MockIdp::builder()
        .configure(|t| t.lifetimes.access_token_s = 60 * 365 * 86_400)
        .try_start()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("access_token_s"), "{err}");
    let err = MockIdp::builder()
        .client(ClientConfig {
            client_id: "long".into(),
            public: true,
            lifetimes: LifetimeOverrides {
                id_token_s: Some(60 * 365 * 86_400),
                ..LifetimeOverrides::default()
            },
            ..ClientConfig::default()
        })
        .try_start()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("id_token_s"), "{err}");
    // 49 years is fine.
    MockIdp::builder()
        .configure(|t| t.lifetimes.access_token_s = 49 * 365 * 86_400)
        .try_start()
        .await
        .expect("49 years is allowed");
}

#[tokio::test]
async fn p106_tokens_are_compact_jws_without_padding_or_duplicate_keys() {
    let env = Env::start().await;
    let pw = env.password_tokens("admin", "admin-pass").await;
    let cc = client_credentials(&env, &[]).await;
    let minted = mint_ok(&env, json!({})).await;
    for t in [
        s(&pw, "id_token"),
        s(&pw, "access_token"),
        s(&cc, "access_token"),
        s(&minted, "access_token"),
        s(&minted, "id_token"),
    ] {
        let parts: Vec<&str> = t.split('.').collect();
        assert_eq!(parts.len(), 3, "{t}");
        for p in &parts {
            assert!(
                !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                "base64url without padding: {p}"
            );
        }
        for p in &parts[..2] {
            let bytes = B64.decode(p).unwrap();
            let m = members(&bytes).expect("a JSON object");
            let names: HashSet<&String> = m.iter().map(|(k, _)| k).collect();
            assert_eq!(names.len(), m.len(), "no duplicate keys");
        }
    }
}

#[tokio::test]
async fn p107_access_token_is_a_jwt_typ_jwt_verifiable_with_the_jwks() {
    let env = Env::start().await;
    let (issuer, _, keys) = go_oidc_parts(&env).await;
    let pw = env.password_tokens("admin", "admin-pass").await;
    let cc = client_credentials(&env, &[]).await;
    for t in [s(&pw, "access_token"), s(&cc, "access_token"), s(&pw, "id_token")] {
        assert_eq!(header(&t)["typ"], "JWT");
        rs_verify(&t, &keys, &issuer, "weaviate").expect("verifies with the JWKS");
    }
}

#[tokio::test]
async fn p108_access_token_claims() {
    let env = Env::start().await;
    let issuer = env.idp.issuer_url();
    let pw = env.password_tokens("admin", "admin-pass").await;
    let at = claims(&s(&pw, "access_token"));
    let id = claims(&s(&pw, "id_token"));
    for c in [
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "jti",
        "client_id",
        "scope",
        "auth_time",
        "preferred_username",
        "email",
        "groups",
    ] {
        assert!(at.get(c).is_some(), "{c} in {at}");
    }
    assert_eq!(at["iss"].as_str(), Some(issuer.as_str()));
    assert_eq!(at["client_id"], "weaviate");
    assert_eq!(at["scope"], pw["scope"], "space-separated granted scope");
    assert_eq!(at["groups"], json!(["admins"]));
    assert_eq!(at["sub"], id["sub"]);
    let pw2 = env.password_tokens("admin", "admin-pass").await;
    let jtis: HashSet<String> = [&at, &id, &claims(&s(&pw2, "access_token")), &claims(&s(&pw2, "id_token"))]
        .iter()
        .map(|c| s(c, "jti"))
        .collect();
    assert_eq!(jtis.len(), 4, "jti unique per token");
    // Client credentials: the client is the subject, no auth_time, and the configured claims.
    let cc = claims(&s(&client_credentials(&env, &[("scope", "openid")]).await, "access_token"));
    assert_eq!(
        (cc["sub"].as_str(), cc["client_id"].as_str(), cc["scope"].as_str()),
        (Some("ci-runner"), Some("ci-runner"), Some("openid"))
    );
    assert!(cc.get("auth_time").is_none());
    assert_eq!(cc["preferred_username"], "ci-runner");
    assert!(cc["jti"].is_string());
}

#[tokio::test]
async fn p109_expires_in_equals_exp_minus_iat() {
    let env = Env::start().await;
    for body in [
        env.password_tokens("viewer", "viewer-pass").await,
        client_credentials(&env, &[]).await,
        mint_ok(&env, json!({"lifetime_s": 77})).await,
    ] {
        let c = claims(&s(&body, "access_token"));
        assert_eq!(
            body["expires_in"].as_i64(),
            Some(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap()),
            "{body}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// P118-P123: shaping
// ---------------------------------------------------------------------------------------------

fn public_client(id: &str, form: AudienceForm, extra: &[&str]) -> ClientConfig {
    ClientConfig {
        client_id: id.into(),
        public: true,
        audience_form: form,
        extra_audiences: extra.iter().map(|s| s.to_string()).collect(),
        ..ClientConfig::default()
    }
}

#[tokio::test]
async fn p118_audience_forms_and_a_verifier_accepting_only_its_client_id() {
    let idp = MockIdp::builder()
        .client(public_client("c-auto", AudienceForm::Auto, &[]))
        .client(public_client("c-auto-2", AudienceForm::Auto, &["api"]))
        .client(public_client("c-string", AudienceForm::String, &[]))
        .client(public_client("c-array", AudienceForm::Array, &[]))
        .start()
        .await;
    let env = Env::with(idp);
    let (issuer, allow, keys) = go_oidc_parts(&env).await;
    for (client, aud) in [
        ("c-auto", json!("c-auto")),
        ("c-auto-2", json!(["c-auto-2", "api"])),
        ("c-string", json!("c-string")),
        ("c-array", json!(["c-array"])),
    ] {
        let (status, body) = env
            .token(&[
                ("grant_type", "password"),
                ("username", "viewer"),
                ("password", "viewer-pass"),
                ("client_id", client),
            ])
            .await;
        assert_eq!(status, 200, "{body}");
        for kind in ["id_token", "access_token"] {
            let t = s(&body, kind);
            assert_eq!(claims(&t)["aud"], aud, "{client} {kind}");
            let rs = |c: &'static str| GoOidc {
                issuer: &issuer,
                client_id: c,
                allow: allow.clone(),
                jwks: &keys,
                username_claim: "preferred_username",
                groups_claim: "groups",
                now: real_now(),
            };
            let own: &'static str = Box::leak(client.to_owned().into_boxed_str());
            assert_eq!(rs(own).verify(&t).status, 200, "{client} {kind}");
            assert_eq!(rs("someone-else").verify(&t).status, 401, "{client} {kind}");
        }
    }
    // A string form with several audiences is a configuration error.
    let err = MockIdp::builder()
        .client(public_client("bad", AudienceForm::String, &["api"]))
        .try_start()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("audience_form"), "{err}");
    // A mint request chooses the form by the JSON type; the ID token keeps the client id.
    let minted = mint_ok(&env, json!({"aud": ["weaviate"]})).await;
    assert_eq!(claims(&s(&minted, "access_token"))["aud"], json!(["weaviate"]));
    let minted = mint_ok(&env, json!({"aud": "api"})).await;
    assert_eq!(claims(&s(&minted, "access_token"))["aud"], "api");
    assert_eq!(claims(&s(&minted, "access_token"))["azp"], "weaviate");
    assert_eq!(claims(&s(&minted, "id_token"))["aud"], json!(["weaviate", "api"]));
    assert_eq!(claims(&s(&minted, "id_token"))["azp"], "weaviate");
    // A requested audience replaces the client id in the access token (P63).
    let cc = claims(&s(&client_credentials(&env, &[("audience", "api")]).await, "access_token"));
    assert_eq!(cc["aud"], "api");
}

#[tokio::test]
async fn p119_lifetimes_per_tenant_client_user_and_mint() {
    let idp = MockIdp::builder()
        .configure(|t| {
            t.lifetimes.access_token_s = 1000;
            t.lifetimes.id_token_s = 900;
            t.lifetimes.refresh_token_s = 5000;
        })
        .client(ClientConfig {
            client_id: "short".into(),
            public: true,
            lifetimes: LifetimeOverrides {
                access_token_s: Some(500),
                ..LifetimeOverrides::default()
            },
            ..ClientConfig::default()
        })
        .user(UserConfig {
            username: "brief".into(),
            password: "brief-pass".into(),
            lifetimes: LifetimeOverrides {
                access_token_s: Some(200),
                id_token_s: Some(100),
                ..LifetimeOverrides::default()
            },
            ..UserConfig::default()
        })
        .start()
        .await;
    let env = Env::with(idp);
    let life = |t: &str| {
        let c = claims(t);
        c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap()
    };
    for (client, user, pw, at, id) in [
        ("weaviate", "viewer", "viewer-pass", 1000, 900),
        ("short", "viewer", "viewer-pass", 500, 900),
        ("short", "brief", "brief-pass", 200, 100),
    ] {
        let (status, body) = env
            .token(&[
                ("grant_type", "password"),
                ("username", user),
                ("password", pw),
                ("client_id", client),
            ])
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            (life(&s(&body, "access_token")), life(&s(&body, "id_token"))),
            (at, id),
            "{client}/{user}"
        );
    }
    let minted = mint_ok(&env, json!({"user": "brief", "client_id": "short", "lifetime_s": 42})).await;
    assert_eq!((life(&s(&minted, "access_token")), life(&s(&minted, "id_token"))), (42, 42));
    // The refresh token's lifetime is the tenant's, on the tenant clock.
    let tenant = env.idp.first_tenant();
    tenant.clock().freeze();
    let now = tenant.clock().now();
    let rt = s(
        &mint_ok(&env, json!({"user": "viewer", "tokens": ["refresh_token"]})).await,
        "refresh_token",
    );
    let expires_at = tenant.grants().refresh[&mock_idp::grants::store_key(&rt)].expires_at;
    assert_eq!(expires_at, now + 5000);
    // The minimum is 1 s.
    let err = MockIdp::builder()
        .configure(|t| t.lifetimes.id_token_s = 0)
        .try_start()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("id_token_s"), "{err}");
}

#[tokio::test]
async fn p120_claim_merge_order_and_registered_claims() {
    let idp = MockIdp::builder()
        .configure(|t| {
            t.claims.insert("tier".into(), json!("tenant"));
            t.claims.insert("from_tenant".into(), json!(true));
        })
        .client(ClientConfig {
            client_id: "layered".into(),
            public: true,
            claims: [("tier".to_owned(), json!("client")), ("from_client".to_owned(), json!(1))]
                .into_iter()
                .collect(),
            ..ClientConfig::default()
        })
        .user(UserConfig {
            username: "layer".into(),
            password: "layer-pass".into(),
            claims: [("tier".to_owned(), json!("user"))].into_iter().collect(),
            ..UserConfig::default()
        })
        .start()
        .await;
    let env = Env::with(idp);
    let (status, body) = env
        .token(&[
            ("grant_type", "password"),
            ("username", "layer"),
            ("password", "layer-pass"),
            ("client_id", "layered"),
        ])
        .await;
    assert_eq!(status, 200, "{body}");
    for kind in ["id_token", "access_token"] {
        let c = claims(&s(&body, kind));
        assert_eq!(
            (&c["tier"], &c["from_tenant"], &c["from_client"]),
            (&json!("user"), &json!(true), &json!(1)),
            "{kind}: user over client over tenant"
        );
    }
    let (status, body) = env
        .token(&[
            ("grant_type", "password"),
            ("username", "viewer"),
            ("password", "viewer-pass"),
            ("client_id", "layered"),
        ])
        .await;
    assert_eq!(status, 200);
    assert_eq!(claims(&s(&body, "access_token"))["tier"], "client");
    // A mint request comes last, and may even change registered claims.
    let minted = mint_ok(
        &env,
        json!({"user": "layer", "client_id": "layered", "claims": {"tier": "mint", "iss": "https://elsewhere.invalid"}}),
    )
    .await;
    let c = claims(&s(&minted, "access_token"));
    assert_eq!(
        (c["tier"].as_str(), c["iss"].as_str()),
        (Some("mint"), Some("https://elsewhere.invalid"))
    );
    // Configuration may not set a registered claim.
    for level in ["tenant", "client", "user"] {
        let b = MockIdp::builder();
        let b = match level {
            "tenant" => b.configure(|t| {
                t.claims.insert("iss".into(), json!("x"));
            }),
            "client" => b.client(ClientConfig {
                client_id: "c".into(),
                public: true,
                claims: [("sub".to_owned(), json!("x"))].into_iter().collect(),
                ..ClientConfig::default()
            }),
            _ => b.user(UserConfig {
                username: "u".into(),
                password: "p".into(),
                claims: [("exp".to_owned(), json!(1))].into_iter().collect(),
                ..UserConfig::default()
            }),
        };
        let err = b.try_start().await.unwrap_err();
        assert!(err.to_string().contains("registered claim"), "{level}: {err}");
    }
}

#[tokio::test]
async fn p121_username_claims_for_several_choices() {
    let user = UserConfig {
        username: "alice".into(),
        password: "alice-pass".into(),
        email: Some("alice@example.com".into()),
        name: Some("Alice Liddell".into()),
        preferred_username: Some("ally".into()),
        claims: [("login".to_owned(), json!("a.liddell"))].into_iter().collect(),
        ..UserConfig::default()
    };
    for (claim, expected) in [
        ("preferred_username", "ally"),
        ("email", "alice@example.com"),
        ("name", "Alice Liddell"),
        ("login", "a.liddell"),
    ] {
        let env = Env::with(
            MockIdp::builder()
                .configure(|t| t.username_claims = vec![claim.into()])
                .user(user.clone())
                .start()
                .await,
        );
        let (issuer, allow, keys) = go_oidc_parts(&env).await;
        let body = env.password_tokens("alice", "alice-pass").await;
        for kind in ["id_token", "access_token"] {
            let t = s(&body, kind);
            assert_eq!(claims(&t)[claim], expected, "{claim} in {kind}");
            assert!(claims(&t)["sub"].is_string(), "sub is always present");
            let rs = GoOidc {
                issuer: &issuer,
                client_id: "weaviate",
                allow: allow.clone(),
                jwks: &keys,
                username_claim: claim,
                groups_claim: "groups",
                now: real_now(),
            };
            let v = rs.verify(&t);
            assert_eq!((v.status, v.username.as_deref()), (200, Some(expected)), "{claim} {kind}: {v:?}");
        }
        // The same RS with the claim removed answers as Weaviate does (500).
        let minted = mint_ok(&env, json!({"user": "alice", "preset": "username-missing"})).await;
        let rs = GoOidc {
            issuer: &issuer,
            client_id: "weaviate",
            allow: allow.clone(),
            jwks: &keys,
            username_claim: claim,
            groups_claim: "groups",
            now: real_now(),
        };
        assert_eq!(rs.verify(&s(&minted, "access_token")).status, 500, "{claim}");
    }
}

#[tokio::test]
async fn p122_groups_claim_name_empty_array_and_omit_option() {
    let users = |b: mock_idp::MockIdpBuilder| {
        b.user(UserConfig {
            username: "many".into(),
            password: "many-pass".into(),
            groups: vec!["a".into(), "b".into()],
            ..UserConfig::default()
        })
        .user(UserConfig {
            username: "none".into(),
            password: "none-pass".into(),
            ..UserConfig::default()
        })
    };
    let env = Env::with(
        users(MockIdp::builder().configure(|t| t.groups_claim = "roles".into()))
            .start()
            .await,
    );
    let (issuer, allow, keys) = go_oidc_parts(&env).await;
    let many = env.password_tokens("many", "many-pass").await;
    let none = env.password_tokens("none", "none-pass").await;
    for kind in ["id_token", "access_token"] {
        assert_eq!(claims(&s(&many, kind))["roles"], json!(["a", "b"]), "{kind}");
        assert!(claims(&s(&many, kind)).get("groups").is_none(), "{kind}: only the configured name");
        assert_eq!(claims(&s(&none, kind))["roles"], json!([]), "{kind}: empty array, not missing");
    }
    let rs = GoOidc {
        issuer: &issuer,
        client_id: "weaviate",
        allow: allow.clone(),
        jwks: &keys,
        username_claim: "preferred_username",
        groups_claim: "roles",
        now: real_now(),
    };
    assert_eq!(rs.verify(&s(&many, "access_token")).groups, ["a", "b"]);
    let as_string = mint_ok(&env, json!({"user": "many", "preset": "groups-as-string"})).await;
    assert_eq!(claims(&s(&as_string, "access_token"))["roles"], "a");
    assert_eq!(rs.verify(&s(&as_string, "access_token")).groups, ["a"], "one string is one group");
    // The tenant option leaves an empty groups claim out.
    let env = Env::with(users(MockIdp::builder().configure(|t| t.omit_empty_groups = true)).start().await);
    let none = env.password_tokens("none", "none-pass").await;
    let many = env.password_tokens("many", "many-pass").await;
    for kind in ["id_token", "access_token"] {
        assert!(claims(&s(&none, kind)).get("groups").is_none(), "{kind}");
        assert_eq!(claims(&s(&many, kind))["groups"], json!(["a", "b"]), "{kind}");
    }
}

#[tokio::test]
async fn p123_two_tenants_shape_tokens_independently() {
    let mut other = TenantConfig::named("other");
    other.groups_claim = "roles".into();
    other.username_claims = vec!["email".into()];
    other.nbf = false;
    other.lifetimes.access_token_s = 120;
    other.users = vec![UserConfig {
        username: "admin".into(),
        password: "admin-pass".into(),
        email: Some("root@other.example".into()),
        groups: vec!["ops".into()],
        ..UserConfig::default()
    }];
    other.clients = vec![ClientConfig {
        client_id: "weaviate".into(),
        public: true,
        audience_form: AudienceForm::Array,
        ..ClientConfig::default()
    }];
    let env = Env::with(MockIdp::builder().tenant(other).start().await);
    let first = env.password_tokens("admin", "admin-pass").await;
    let other_issuer = env.idp.issuer_url_of("other").unwrap();
    let token_url = format!("{other_issuer}/token");
    let second: Value = env
        .http
        .post(&token_url)
        .form(&[
            ("grant_type", "password"),
            ("username", "admin"),
            ("password", "admin-pass"),
            ("client_id", "weaviate"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (a, b) = (claims(&s(&first, "access_token")), claims(&s(&second, "access_token")));
    assert_eq!(a["iss"].as_str(), Some(env.idp.issuer_url().as_str()));
    assert_eq!(b["iss"].as_str(), Some(other_issuer.as_str()));
    assert_eq!((a["groups"].clone(), b["roles"].clone()), (json!(["admins"]), json!(["ops"])));
    assert!(a.get("roles").is_none() && b.get("groups").is_none());
    assert!(a.get("preferred_username").is_some() && b.get("preferred_username").is_none());
    assert_eq!(b["email"], "root@other.example");
    assert!(a.get("nbf").is_some() && b.get("nbf").is_none());
    assert_eq!((a["aud"].clone(), b["aud"].clone()), (json!("weaviate"), json!(["weaviate"])));
    assert_eq!(b["exp"].as_i64().unwrap() - b["iat"].as_i64().unwrap(), 120);
    assert_ne!(a["sub"], b["sub"], "subjects are per tenant");
    assert_ne!(
        header(&s(&first, "access_token"))["kid"],
        header(&s(&second, "access_token"))["kid"],
        "keys are per tenant"
    );
    // Minting follows each tenant's shape too, and a token of one tenant does not verify at the other.
    let m = env.idp.mint_in("other", TokenBuilder::new()).unwrap();
    let mc = claims(m.access_token.as_deref().unwrap());
    assert_eq!(
        (mc["iss"].as_str(), mc["roles"].clone()),
        (Some(other_issuer.as_str()), json!(["ops"]))
    );
    let other_jwks: Value = env
        .http
        .get(format!("{other_issuer}/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(rs_verify(&s(&first, "access_token"), &other_jwks, &other_issuer, "weaviate").is_err());
    rs_verify(&s(&second, "access_token"), &other_jwks, &other_issuer, "weaviate").expect("verifies at its own tenant");
}
