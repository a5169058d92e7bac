//! Minting (P131-P133): `_mock/mint` and `TokenBuilder`. The preset catalogue is tested in
//! `presets.rs`, the claims and shape of tokens in `token_shape.rs`; the helpers below serve all
//! of them. What Weaviate answers to a token is checked with the emulation and the real server
//! (the root `tests/it/presets.rs`, `weaviate-auth-emu`'s tests), not here.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use jsonwebtoken::{DecodingKey, Validation};
use mock_idp::{MockIdp, TokenBuilder};
use serde_json::{json, Value};

use crate::support::{claims, header, Env};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// `{issuer base}/_mock/{path}` of the first tenant (the `_mock` routes are not in discovery).
pub(crate) async fn mock_url(env: &Env, path: &str) -> String {
    let issuer = env.discovery().await["issuer"]
        .as_str()
        .expect("discovery has an issuer")
        .to_owned();
    format!("{}/_mock/{path}", issuer.trim_end_matches('/'))
}

pub(crate) async fn mint(env: &Env, body: Value) -> (u16, Value) {
    let url = mock_url(env, "mint").await;
    let resp = env.http.post(url).json(&body).send().await.expect("mint answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn mint_ok(env: &Env, body: Value) -> Value {
    let (status, resp) = mint(env, body.clone()).await;
    assert_eq!(status, 200, "mint {body} failed: {resp}");
    resp
}

pub(crate) fn s(v: &Value, field: &str) -> String {
    v[field].as_str().unwrap_or_else(|| panic!("no string {field} in {v}")).to_owned()
}

/// Verifies a JWT with `jsonwebtoken` and the JWKS key of its `kid`: signature, `iss`, `aud`, `exp`.
pub(crate) fn rs_verify(token: &str, jwks: &Value, issuer: &str, aud: &str) -> Result<Value, String> {
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

/// The tenant's issuer (from discovery) and its published JWKS.
pub(crate) async fn issuer_and_jwks(env: &Env) -> (String, Value) {
    (s(&env.discovery().await, "issuer"), env.jwks().await)
}

/// JSON object members in order, with repeats (serde_json keeps only the last); `None` when the
/// bytes are not one JSON object.
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

pub(crate) fn idp_now(idp: &MockIdp) -> i64 {
    idp.first_tenant().clock().now()
}

// ---------------------------------------------------------------------------------------------
// P131-P133: minting
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn p131_default_mint_verifies_for_the_default_client() {
    let env = Env::start().await;
    let body = mint_ok(&env, json!({})).await;
    let (issuer, keys) = issuer_and_jwks(&env).await;
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
            .get(&mock_idp::internals::store_key(&rt))
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
    let (issuer, keys) = issuer_and_jwks(&env).await;
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
    tenant.clock().set(mock_idp::ClockMode::Frozen { at: 2_000_000_000.25 });
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
    let keys = env.jwks().await;
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
    let (issuer, keys) = issuer_and_jwks(&env).await;
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
