//! Issuers, tenants, the discovery document and the JWKS (P1-P36).
//!
//! Endpoint URLs come from discovery. Signatures are checked with `jsonwebtoken` against the
//! served JWKS, and issuer matching with the `openidconnect` crate as an independent RP.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::Request;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use mock_idp::config::KeyConfig;
use mock_idp::{Alg, Config, GrantType, MockIdp, TenantConfig};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

use crate::support::{claims, header, Env};

/// Keys derived from `seed`, one per algorithm (RSA generation runs once per entry).
fn seeded_keys(seed: &str, algs: &[Alg]) -> Vec<KeyConfig> {
    algs.iter()
        .map(|a| serde_json::from_value(json!({"alg": a.as_str(), "seed": format!("{seed}/{}", a.as_str())})).unwrap())
        .collect()
}

async fn get_json(http: &reqwest::Client, url: &str) -> Value {
    http.get(url)
        .send()
        .await
        .expect("the provider answers")
        .json()
        .await
        .expect("a JSON body")
}

async fn jwks_of(env: &Env) -> Value {
    get_json(&env.http, &env.endpoint("jwks_uri").await).await
}

/// Verifies `jwt` against the served `jwks` (by `kid`) with the given issuer; `Err` says why not.
pub(crate) fn verify(jwt: &str, jwks: &Value, issuer: &str) -> Result<Value, String> {
    let set: JwkSet = serde_json::from_value(jwks.clone()).map_err(|e| format!("JWKS does not parse: {e}"))?;
    let h = jsonwebtoken::decode_header(jwt).map_err(|e| e.to_string())?;
    let kid = h.kid.ok_or("no kid")?;
    let jwk = set.find(&kid).ok_or_else(|| format!("kid {kid} is not in the JWKS"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut v = Validation::new(h.alg);
    v.set_issuer(&[issuer]);
    v.validate_aud = false;
    jsonwebtoken::decode::<Value>(jwt, &key, &v)
        .map(|d| d.claims)
        .map_err(|e| e.to_string())
}

/// RFC 7638 thumbprint, written here independently of the provider's own.
fn rfc7638(jwk: &Value) -> String {
    let canon = match jwk["kty"].as_str().unwrap() {
        "RSA" => json!({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}),
        "EC" => json!({"crv": jwk["crv"], "kty": "EC", "x": jwk["x"], "y": jwk["y"]}),
        _ => json!({"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]}),
    };
    // serde_json writes object keys sorted (BTreeMap) and without spaces: the RFC's form.
    B64.encode(Sha256::digest(serde_json::to_vec(&canon).unwrap()))
}

fn b64(value: &Value) -> Vec<u8> {
    B64.decode(value.as_str().expect("a string")).expect("base64url without padding")
}

// ---------------------------------------------------------------------------------------------
// §1 Issuers, base URLs and tenants

fn config_with_issuer(issuer: &str) -> String {
    format!("[[tenant]]\nname = \"default\"\nissuer = {issuer:?}\n")
}

#[test]
fn p1_issuers_with_query_fragment_or_no_host_are_refused_quoting_the_value() {
    for bad in [
        "http://127.0.0.1:8080/default?x=1",
        "http://127.0.0.1:8080/default#f",
        "ftp://127.0.0.1/default",
        "http:///default",
        "127.0.0.1:8080/default",
    ] {
        // Act
        let err = Config::from_toml(&config_with_issuer(bad), std::path::Path::new("p1.toml"))
            .expect_err(bad)
            .to_string();
        // Assert
        assert!(err.contains(bad), "the error must quote {bad:?}: {err}");
        assert!(err.contains("p1.toml") && err.contains("issuer"), "names file and key: {err}");
    }
    // The same issuer without the broken part loads.
    Config::from_toml(
        &config_with_issuer("http://127.0.0.1:8080/default"),
        std::path::Path::new("p1.toml"),
    )
    .expect("a valid issuer loads");
}

#[test]
fn p1_base_urls_with_a_query_or_fragment_are_refused_naming_the_field_and_the_value() {
    // The issuer and the endpoints are built on these bases, so they obey the issuer's syntax.
    for (toml, field, bad) in [
        (
            "[server]\nbase_url = \"http://127.0.0.1:8080?x=1\"\n[[tenant]]\nname = \"default\"\n",
            "server.base_url",
            "http://127.0.0.1:8080?x=1",
        ),
        (
            "[[tenant]]\nname = \"default\"\nfront_channel_base = \"http://localhost:8080#f\"\n",
            "front_channel_base",
            "http://localhost:8080#f",
        ),
        (
            "[[tenant]]\nname = \"default\"\nback_channel_base = \"http://idp:8080/?q\"\n",
            "back_channel_base",
            "http://idp:8080/?q",
        ),
    ] {
        // Act
        let err = Config::from_toml(toml, std::path::Path::new("p1.toml")).expect_err(bad).to_string();
        // Assert
        assert!(err.contains(bad) && err.contains(field), "names {field} and quotes {bad:?}: {err}");
        assert!(err.contains("query or a fragment"), "says why: {err}");
    }
    // The same bases without the broken part load.
    Config::from_toml(
        "[server]\nbase_url = \"http://127.0.0.1:8080\"\n[[tenant]]\nname = \"default\"\n\
         front_channel_base = \"http://localhost:8080\"\nback_channel_base = \"http://idp:8080/\"\n",
        std::path::Path::new("p1.toml"),
    )
    .expect("valid bases load");
}

/// Sends one request to the router in process and returns status and JSON body.
async fn oneshot(app: &axum::Router, req: Request<Body>) -> (u16, Value) {
    let resp = app.clone().oneshot(req).await.expect("the router answers");
    let status = resp.status().as_u16();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn p2_issuer_is_byte_identical_in_discovery_and_tokens_and_never_normalised() {
    // Arrange: upper case, a default port and a trailing slash would all be "normalised" away.
    let issuer = "http://IdP.Example:80/default/";
    let mut config = Config::builtin();
    config.tenants[0].issuer = Some(issuer.into());
    let app = mock_idp::router(mock_idp::AppState::new(&config, "http://unused").unwrap());
    // Act
    let (_, doc) = oneshot(
        &app,
        Request::get("/default/.well-known/openid-configuration")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let form = "grant_type=password&username=admin&password=admin-pass&client_id=weaviate&scope=openid";
    let (status, tokens) = oneshot(
        &app,
        Request::post("/default/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(form))
            .unwrap(),
    )
    .await;
    // Assert
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(doc["issuer"].as_str(), Some(issuer));
    assert_eq!(claims(tokens["id_token"].as_str().unwrap())["iss"].as_str(), Some(issuer));
    assert_eq!(claims(tokens["access_token"].as_str().unwrap())["iss"].as_str(), Some(issuer));
}

#[tokio::test]
async fn p2_every_token_carries_the_discovery_issuer() {
    let env = Env::start().await;
    let issuer = env.discovery().await["issuer"].as_str().unwrap().to_owned();
    assert_eq!(issuer, env.idp.issuer_url());
    let user = env.password_tokens("admin", "admin-pass").await;
    let (status, service) = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "ci-runner"),
            ("client_secret", "ci-runner-secret"),
        ])
        .await;
    assert_eq!(status, 200, "{service}");
    for jwt in [&user["id_token"], &user["access_token"], &service["access_token"]] {
        assert_eq!(claims(jwt.as_str().unwrap())["iss"].as_str(), Some(issuer.as_str()));
    }
}

async fn discover(issuer: &str) -> Result<(), String> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = openidconnect::IssuerUrl::new(issuer.to_owned()).map_err(|e| e.to_string())?;
    openidconnect::core::CoreProviderMetadata::discover_async(url, &http)
        .await
        .map(|_| ())
        .map_err(|e| format!("{e}: {:?}", std::error::Error::source(&e).map(|s| s.to_string())))
}

#[tokio::test]
async fn p3_trailing_slash_issuer_is_served_exactly_and_the_other_form_is_refused_by_an_rp() {
    // Arrange: one provider per form.
    let slash = Env::with(MockIdp::builder().configure(|t| t.trailing_slash = true).start().await);
    let plain = Env::start().await;
    let with_slash = slash.idp.issuer_url();
    let without = plain.idp.issuer_url();
    assert!(
        with_slash.ends_with("/default/") && !without.ends_with('/'),
        "{with_slash} {without}"
    );
    // Act + Assert: discovery is at issuer-without-slash + /.well-known and echoes its own form.
    assert_eq!(
        slash.idp.discovery_url(),
        format!("{}/.well-known/openid-configuration", with_slash.trim_end_matches('/'))
    );
    assert_eq!(slash.discovery().await["issuer"].as_str(), Some(with_slash.as_str()));
    assert_eq!(plain.discovery().await["issuer"].as_str(), Some(without.as_str()));
    let tokens = slash.password_tokens("admin", "admin-pass").await;
    assert_eq!(
        claims(tokens["id_token"].as_str().unwrap())["iss"].as_str(),
        Some(with_slash.as_str())
    );
    // An independent RP accepts each form as configured, and refuses the other form.
    discover(&with_slash).await.expect("the slash form discovers");
    discover(&without).await.expect("the plain form discovers");
    let other = with_slash.trim_end_matches('/').to_owned();
    assert!(
        discover(&other).await.is_err(),
        "an RP configured without the slash must refuse {with_slash}"
    );
}

#[tokio::test]
async fn p4_two_tenants_on_one_port_keep_issuers_and_keys_apart() {
    // Arrange
    let env = Env::with(MockIdp::builder().tenant(TenantConfig::named("b")).start().await);
    let a = env.idp.tenant("default").unwrap();
    let b = env.idp.tenant("b").unwrap();
    let doc_b = get_json(&env.http, &b.discovery_url()).await;
    let jwks_b = get_json(&env.http, doc_b["jwks_uri"].as_str().unwrap()).await;
    assert_eq!(doc_b["issuer"].as_str(), Some(b.issuer().as_str()));
    assert_ne!(a.issuer(), b.issuer());
    assert!(doc_b["token_endpoint"].as_str().unwrap().starts_with(b.issuer().as_str()));
    // Act
    let doc_a = get_json(&env.http, &a.discovery_url()).await;
    let jwks_a = get_json(&env.http, doc_a["jwks_uri"].as_str().unwrap()).await;
    let form = [
        ("grant_type", "password"),
        ("username", "admin"),
        ("password", "admin-pass"),
        ("client_id", "weaviate"),
    ];
    let resp = env
        .http
        .post(doc_a["token_endpoint"].as_str().unwrap())
        .form(&form)
        .send()
        .await
        .unwrap();
    let tokens: Value = resp.json().await.unwrap();
    let jwt = tokens["access_token"].as_str().expect("tenant A issues a token").to_owned();
    // Assert: B refuses A's token (issuer and keys differ); A accepts it.
    let against_b = verify(&jwt, &jwks_b, b.issuer().as_str());
    assert!(against_b.is_err(), "tenant B must not verify tenant A's token");
    for jwk in jwks_b["keys"].as_array().unwrap() {
        // Even ignoring the kid, no key of B verifies the signature.
        let key = DecodingKey::from_jwk(&serde_json::from_value(jwk.clone()).unwrap()).unwrap();
        let mut strict = Validation::new(jsonwebtoken::decode_header(&jwt).unwrap().alg);
        strict.validate_aud = false;
        assert!(
            jsonwebtoken::decode::<Value>(&jwt, &key, &strict).is_err(),
            "B's key {} verifies A's token",
            jwk["kid"]
        );
    }
    verify(&jwt, &jwks_a, a.issuer().as_str()).expect("tenant A verifies its own token");
}

#[tokio::test]
async fn p4_unknown_tenant_prefix_gets_a_json_404_naming_it() {
    let env = Env::start().await;
    let base = env.idp.base_url();
    for path in ["/nope/.well-known/openid-configuration", "/nope/token", "/nope/anything/else"] {
        let resp = env.http.get(format!("{base}{path}")).send().await.unwrap();
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.expect("a JSON body");
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["error"], "unknown_tenant", "{path}: {body}");
        assert!(body["message"].as_str().unwrap().contains("nope"), "{path}: {body}");
    }
    // The same path under the real tenant is served.
    let ok = env
        .http
        .get(format!("{base}/default/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

/// The password grant of `admin` at the tenant called `name`, through its own discovery.
async fn password_at(env: &Env, name: &str) -> (u16, Value) {
    let tenant = env.idp.tenant(name).expect("the tenant exists");
    let doc = get_json(&env.http, &tenant.discovery_url()).await;
    let form = [
        ("grant_type", "password"),
        ("username", "admin"),
        ("password", "admin-pass"),
        ("client_id", "weaviate"),
    ];
    let resp = env
        .http
        .post(doc["token_endpoint"].as_str().unwrap())
        .form(&form)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn p5_clock_users_and_keys_belong_to_one_tenant() {
    // Arrange: tenant "twin" has the same users and clients as "default", and its own clock.
    let mut twin = Config::builtin().tenants.remove(0);
    twin.name = "twin".into();
    twin.keys = seeded_keys("p5", &[Alg::RS256]);
    let empty = TenantConfig::named("empty");
    let env = Env::with(MockIdp::builder().tenant(twin).tenant(empty).start().await);
    let (a, b) = (env.idp.tenant("default").unwrap(), env.idp.tenant("twin").unwrap());
    let start = mock_idp::clock::ClockMode::Frozen { at: 1_800_000_000.0 };
    a.clock().set(start);
    b.clock().set(start);
    // Act: only A's clock moves.
    a.clock().advance(10_000.0);
    let (sa, ta) = password_at(&env, "default").await;
    let (sb, tb) = password_at(&env, "twin").await;
    let (s_empty, t_empty) = password_at(&env, "empty").await;
    // Assert
    assert_eq!((sa, sb), (200, 200), "{ta} {tb}");
    let (ca, cb) = (
        claims(ta["access_token"].as_str().unwrap()),
        claims(tb["access_token"].as_str().unwrap()),
    );
    assert_eq!(ca["iat"].as_i64().unwrap(), 1_800_010_000, "A's iat follows A's clock");
    assert_eq!(cb["iat"].as_i64().unwrap(), 1_800_000_000, "B's iat is unchanged");
    assert_ne!(
        header(ta["access_token"].as_str().unwrap())["kid"],
        header(tb["access_token"].as_str().unwrap())["kid"]
    );
    assert_eq!(s_empty, 401, "users and clients of other tenants do not exist here: {t_empty}");
}

#[tokio::test]
async fn p7_front_and_back_channel_bases_split_the_endpoints_and_keep_the_issuer() {
    // Arrange
    let env = Env::with(
        MockIdp::builder()
            .configure(|t| {
                t.front_channel_base = Some("http://localhost:8080/default".into());
                t.back_channel_base = Some("http://idp:8080/default".into());
            })
            .start()
            .await,
    );
    // Act
    let doc = env.discovery().await;
    // Assert
    assert_eq!(doc["issuer"].as_str(), Some(env.idp.issuer_url().as_str()));
    for front in ["authorization_endpoint", "end_session_endpoint"] {
        assert!(
            doc[front].as_str().unwrap().starts_with("http://localhost:8080/default/"),
            "{front}: {}",
            doc[front]
        );
    }
    for back in [
        "token_endpoint",
        "jwks_uri",
        "userinfo_endpoint",
        "introspection_endpoint",
        "revocation_endpoint",
    ] {
        assert!(
            doc[back].as_str().unwrap().starts_with("http://idp:8080/default/"),
            "{back}: {}",
            doc[back]
        );
    }
    // Without the bases every endpoint hangs off the issuer.
    let plain = Env::start().await.discovery().await;
    assert!(plain["jwks_uri"].as_str().unwrap().starts_with(plain["issuer"].as_str().unwrap()));
}

#[tokio::test]
async fn p8_host_and_forwarded_headers_never_change_the_document() {
    // Arrange
    let env = Env::start().await;
    let url = env.idp.discovery_url();
    let honest = env.http.get(&url).send().await.unwrap().bytes().await.unwrap();
    // Act
    let spoofed = env
        .http
        .get(&url)
        .header("host", "evil.example")
        .header("x-forwarded-host", "evil.example")
        .header("x-forwarded-proto", "https")
        .header("forwarded", "host=evil.example;proto=https")
        .send()
        .await
        .unwrap();
    // Assert
    assert_eq!(spoofed.status(), 200);
    let spoofed = spoofed.bytes().await.unwrap();
    assert_eq!(spoofed, honest);
    assert!(!String::from_utf8_lossy(&spoofed).contains("evil.example"));
}

#[tokio::test]
async fn p9_unknown_path_is_a_json_404_and_wrong_method_a_405_with_allow() {
    let env = Env::start().await;
    let base = env.idp.base_url();
    // Unknown path under a real tenant, and at the root.
    for path in ["/default/no-such-endpoint", "/", "/_mock/no-such-control"] {
        let resp = env.http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{path}");
        assert!(
            resp.headers()["content-type"].to_str().unwrap().starts_with("application/json"),
            "{path}"
        );
        let body: Value = resp.json().await.unwrap();
        assert!(body["error"].is_string(), "{path}: {body}");
    }
    // Known paths, wrong method.
    let token = env.endpoint("token_endpoint").await;
    let resp = env.http.get(&token).send().await.unwrap();
    assert_eq!(resp.status(), 405);
    assert!(resp.headers()["allow"].to_str().unwrap().contains("POST"));
    let resp = env.http.delete(env.idp.discovery_url()).send().await.unwrap();
    assert_eq!(resp.status(), 405);
    assert!(resp.headers()["allow"].to_str().unwrap().contains("GET"));
    // The right method is served.
    assert_eq!(env.http.get(env.idp.discovery_url()).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn p10_rfc8414_metadata_sits_between_host_and_issuer_path() {
    for slash in [false, true] {
        // Arrange
        let env = Env::with(MockIdp::builder().configure(|t| t.trailing_slash = slash).start().await);
        let issuer = env.idp.issuer_url();
        let path = issuer.strip_prefix(&env.idp.base_url()).unwrap();
        // Act
        let url = format!("{}/.well-known/oauth-authorization-server{path}", env.idp.base_url());
        let resp = env.http.get(&url).send().await.unwrap();
        // Assert
        assert_eq!(resp.status(), 200, "{url}");
        let doc: Value = resp.json().await.unwrap();
        assert_eq!(doc["issuer"].as_str(), Some(issuer.as_str()));
        assert_eq!(doc, env.discovery().await);
    }
}

// ---------------------------------------------------------------------------------------------
// §2 Discovery document

#[tokio::test]
async fn p11_discovery_is_a_json_object_with_cors() {
    let env = Env::start().await;
    let resp = env.http.get(env.idp.discovery_url()).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    let body: Value = resp.json().await.unwrap();
    assert!(body.is_object());
}

#[tokio::test]
async fn p12_p13_required_members_are_present_and_endpoints_absolute() {
    let doc = Env::start().await.discovery().await;
    for m in [
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "response_types_supported",
        "subject_types_supported",
        "id_token_signing_alg_values_supported",
        "userinfo_endpoint",
    ] {
        assert!(!doc[m].is_null(), "{m} is missing");
    }
    assert_eq!(doc["subject_types_supported"], json!(["public"]));
    for (k, v) in doc.as_object().unwrap() {
        if k.ends_with("_endpoint") || k == "jwks_uri" || k == "issuer" {
            let url = reqwest::Url::parse(v.as_str().unwrap()).unwrap_or_else(|e| panic!("{k} = {v}: {e}"));
            assert!(url.scheme() == "http" || url.scheme() == "https", "{k}");
            assert!(url.host_str().is_some(), "{k}");
        }
    }
}

const OPTIONAL: [(&str, &str); 3] = [
    ("introspection_endpoint", "introspection_endpoint_auth_methods_supported"),
    ("revocation_endpoint", "revocation_endpoint_auth_methods_supported"),
    ("end_session_endpoint", ""),
];

#[tokio::test]
async fn p14_optional_endpoints_are_listed_only_when_enabled_and_404_when_not() {
    // Arrange
    let on = Env::start().await;
    let off = Env::with(MockIdp::builder().configure(|t| t.optional_endpoints = false).start().await);
    let (doc_on, doc_off) = (on.discovery().await, off.discovery().await);
    for (endpoint, methods) in OPTIONAL {
        // Assert: listed with its auth methods when on; absent when off.
        assert!(doc_on[endpoint].is_string(), "{endpoint} listed when enabled");
        assert!(doc_off.get(endpoint).is_none(), "{endpoint} absent when disabled");
        if !methods.is_empty() {
            assert!(doc_on[methods].is_array(), "{methods}");
            assert!(doc_off.get(methods).is_none(), "{methods}");
        }
        // Act: the disabled route answers 404; the enabled one is not the disabled answer.
        let path = doc_on[endpoint]
            .as_str()
            .unwrap()
            .strip_prefix(&on.idp.base_url())
            .unwrap()
            .to_owned();
        let method = if endpoint == "end_session_endpoint" {
            reqwest::Method::GET
        } else {
            reqwest::Method::POST
        };
        let resp = off
            .http
            .request(method.clone(), format!("{}{path}", off.idp.base_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 404, "{endpoint} must not be served when disabled");
        let body: Value = resp.json().await.unwrap();
        assert!(body["message"].as_str().unwrap_or("").contains("disabled"), "{body}");
        let resp = on
            .http
            .request(method, format!("{}{path}", on.idp.base_url()))
            .send()
            .await
            .unwrap();
        let text = resp.text().await.unwrap();
        assert!(!text.contains("disabled for this tenant"), "{endpoint} enabled: {text}");
    }
}

fn as_set(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|s| s.as_str().expect("strings").to_owned())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn p15_p16_response_types_and_modes() {
    let doc = Env::start().await.discovery().await;
    assert_eq!(
        as_set(&doc["response_types_supported"]),
        set(&["code", "id_token", "code id_token"])
    );
    assert_eq!(doc["response_modes_supported"], json!(["query", "fragment", "form_post"]));
    // Without the implicit grant the front-channel ID token types go away with it.
    let no_implicit = Env::with(
        MockIdp::builder()
            .configure(|t| t.grant_types.retain(|g| *g != GrantType::Implicit))
            .start()
            .await,
    );
    assert_eq!(as_set(&no_implicit.discovery().await["response_types_supported"]), set(&["code"]));
}

#[tokio::test]
async fn p17_grant_list_follows_configuration_and_a_disabled_grant_is_refused() {
    // Arrange
    let on = Env::start().await;
    let off = Env::with(
        MockIdp::builder()
            .configure(|t| t.grant_types.retain(|g| *g != GrantType::Password))
            .start()
            .await,
    );
    let form = [
        ("grant_type", "password"),
        ("username", "admin"),
        ("password", "admin-pass"),
        ("client_id", "weaviate"),
    ];
    // Act
    let (status_off, body_off) = off.token(&form).await;
    let (status_on, body_on) = on.token(&form).await;
    // Assert
    assert_eq!(
        as_set(&on.discovery().await["grant_types_supported"]),
        set(&["authorization_code", "implicit", "password", "client_credentials", "refresh_token"])
    );
    assert!(!as_set(&off.discovery().await["grant_types_supported"]).contains("password"));
    assert_eq!(
        (status_off, body_off["error"].as_str()),
        (400, Some("unsupported_grant_type")),
        "{body_off}"
    );
    assert_eq!(status_on, 200, "{body_on}");
}

#[tokio::test]
async fn p18_p19_scopes_and_claims_include_the_configured_ones() {
    let env = Env::with(
        MockIdp::builder()
            .configure(|t| {
                t.scopes.push("weaviate:read".into());
                t.groups_claim = "roles".into();
                t.groups_scope = "roles".into();
                t.username_claims = vec!["preferred_username".into(), "upn".into()];
                t.claims.insert("department".into(), json!("qa"));
            })
            .start()
            .await,
    );
    let doc = env.discovery().await;
    let scopes = as_set(&doc["scopes_supported"]);
    for s in ["openid", "profile", "email", "offline_access", "roles", "weaviate:read"] {
        assert!(scopes.contains(s), "scope {s}: {scopes:?}");
    }
    let claims = as_set(&doc["claims_supported"]);
    for c in [
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "email",
        "email_verified",
        "preferred_username",
        "upn",
        "roles",
        "department",
    ] {
        assert!(claims.contains(c), "claim {c}: {claims:?}");
    }
}

#[tokio::test]
async fn p20_signing_algorithms_list_every_key_and_rs256_and_nothing_symmetric() {
    let env = Env::start().await;
    let doc = env.discovery().await;
    let algs = as_set(&doc["id_token_signing_alg_values_supported"]);
    assert!(algs.contains("RS256"));
    for bad in ["none", "HS256", "HS384", "HS512"] {
        assert!(!algs.contains(bad), "{bad}");
    }
    for key in jwks_of(&env).await["keys"].as_array().unwrap() {
        assert!(
            algs.contains(key["alg"].as_str().unwrap()),
            "{} is published but not listed",
            key["alg"]
        );
    }
}

#[tokio::test]
async fn p21_p22_auth_methods_and_pkce_methods_follow_configuration() {
    let doc = Env::start().await.discovery().await;
    assert_eq!(
        as_set(&doc["token_endpoint_auth_methods_supported"]),
        set(&["client_secret_basic", "client_secret_post", "none"])
    );
    assert_eq!(as_set(&doc["code_challenge_methods_supported"]), set(&["S256", "plain"]));
    let strict = Env::with(MockIdp::builder().configure(|t| t.pkce_plain = false).start().await);
    assert_eq!(strict.discovery().await["code_challenge_methods_supported"], json!(["S256"]));
}

#[tokio::test]
async fn p23_missing_capabilities_are_declared_false() {
    let doc = Env::start().await.discovery().await;
    for m in [
        "request_parameter_supported",
        "request_uri_parameter_supported",
        "claims_parameter_supported",
    ] {
        assert_eq!(doc[m], json!(false), "{m}");
    }
    assert_eq!(doc["authorization_response_iss_parameter_supported"], json!(true));
    let off = Env::with(MockIdp::builder().configure(|t| t.authorization_response_iss = false).start().await);
    assert_eq!(
        off.discovery().await["authorization_response_iss_parameter_supported"],
        json!(false)
    );
}

/// Top-level members registered by OpenID Connect Discovery 1.0 §3, RFC 8414 §2 (and §2.1
/// `signed_metadata`), RFC 9207 §3 and RP-Initiated Logout 1.0 §2.1 (`end_session_endpoint`).
pub(crate) const REGISTERED_METADATA: [&str; 45] = [
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "registration_endpoint",
    "scopes_supported",
    "response_types_supported",
    "response_modes_supported",
    "grant_types_supported",
    "acr_values_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
    "id_token_encryption_alg_values_supported",
    "id_token_encryption_enc_values_supported",
    "userinfo_signing_alg_values_supported",
    "userinfo_encryption_alg_values_supported",
    "userinfo_encryption_enc_values_supported",
    "request_object_signing_alg_values_supported",
    "request_object_encryption_alg_values_supported",
    "request_object_encryption_enc_values_supported",
    "token_endpoint_auth_methods_supported",
    "token_endpoint_auth_signing_alg_values_supported",
    "display_values_supported",
    "claim_types_supported",
    "claims_supported",
    "service_documentation",
    "claims_locales_supported",
    "ui_locales_supported",
    "claims_parameter_supported",
    "request_parameter_supported",
    "request_uri_parameter_supported",
    "require_request_uri_registration",
    "op_policy_uri",
    "op_tos_uri",
    "revocation_endpoint",
    "revocation_endpoint_auth_methods_supported",
    "revocation_endpoint_auth_signing_alg_values_supported",
    "introspection_endpoint",
    "introspection_endpoint_auth_methods_supported",
    "introspection_endpoint_auth_signing_alg_values_supported",
    "code_challenge_methods_supported",
    "signed_metadata",
    "authorization_response_iss_parameter_supported",
    "end_session_endpoint",
];

#[tokio::test]
async fn p24_only_registered_member_names() {
    let doc = Env::start().await.discovery().await;
    for name in doc.as_object().unwrap().keys() {
        assert!(
            REGISTERED_METADATA.contains(&name.as_str()),
            "{name} is not a registered metadata member"
        );
    }
}

#[tokio::test]
async fn p25_document_is_stable_until_the_key_set_changes() {
    // Arrange
    let env = Env::start().await;
    let url = env.idp.discovery_url();
    // Act
    let first = env.http.get(&url).send().await.unwrap().bytes().await.unwrap();
    let second = env.http.get(&url).send().await.unwrap().bytes().await.unwrap();
    let added = mock_idp::keys::SigningKey::from_seed("p25", Alg::ES384);
    env.idp.first_tenant().keys_mut().add(added);
    let third: Value = env.http.get(&url).send().await.unwrap().json().await.unwrap();
    // Assert
    assert_eq!(first, second, "two GETs give the same bytes");
    assert!(
        as_set(&third["id_token_signing_alg_values_supported"]).contains("ES384"),
        "a key change shows"
    );
}

// ---------------------------------------------------------------------------------------------
// §3 Keys and JWKS

#[tokio::test]
async fn p27_jwks_is_json_with_keys_and_cors() {
    let env = Env::start().await;
    let resp = env.http.get(env.endpoint("jwks_uri").await).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    let body: Value = resp.json().await.unwrap();
    assert!(!body["keys"].as_array().expect("a keys array").is_empty());
    // The set reflects a change at once.
    let count = body["keys"].as_array().unwrap().len();
    env.idp
        .first_tenant()
        .keys_mut()
        .add(mock_idp::keys::SigningKey::from_seed("p27", Alg::ES256));
    assert_eq!(jwks_of(&env).await["keys"].as_array().unwrap().len(), count + 1);
}

#[tokio::test]
async fn p28_to_p30_p36_key_members_are_exact_public_and_kid_is_the_thumbprint() {
    // Arrange: one key of each family from seeds.
    let env = Env::with(
        MockIdp::builder()
            .configure(|t| t.keys = seeded_keys("p28", &[Alg::RS256, Alg::ES256, Alg::ES384, Alg::EdDSA]))
            .start()
            .await,
    );
    // Act
    let jwks = jwks_of(&env).await;
    let keys = jwks["keys"].as_array().unwrap();
    // Assert
    assert_eq!(keys.len(), 4);
    let mut kids = BTreeSet::new();
    for k in keys {
        let kid = k["kid"].as_str().expect("P30: every key has a kid");
        assert!(kids.insert(kid.to_owned()), "P30: kid {kid} is used twice");
        assert_eq!(kid, rfc7638(k), "P30: the default kid is the RFC 7638 thumbprint");
        assert_eq!(k["use"], "sig");
        assert!(k["alg"].is_string());
        for secret in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
            assert!(k.get(secret).is_none(), "P29: {secret} in {kid}");
        }
        for v in k.as_object().unwrap().values() {
            assert!(!v.as_str().unwrap_or("").contains('='), "P28: no padding");
        }
        match k["kty"].as_str().unwrap() {
            "RSA" => {
                let n = b64(&k["n"]);
                assert_ne!(n[0], 0, "P28: n has no leading zero octet");
                assert_eq!(n.len(), 256, "RSA-2048");
                assert_eq!(k["e"], "AQAB");
            }
            "EC" => {
                let want = match k["crv"].as_str().unwrap() {
                    "P-256" => 32,
                    "P-384" => 48,
                    other => panic!("P36: unexpected curve {other}"),
                };
                assert_eq!(b64(&k["x"]).len(), want, "P28: x is full length");
                assert_eq!(b64(&k["y"]).len(), want, "P28: y is full length");
            }
            "OKP" => {
                assert_eq!(k["crv"], "Ed25519", "P36");
                assert_eq!(b64(&k["x"]).len(), 32);
            }
            other => panic!("P36: unexpected kty {other}"),
        }
    }
}

#[tokio::test]
async fn p31_every_algorithm_signs_tokens_that_verify_against_the_served_jwks() {
    // Arrange: one key per algorithm (each RSA key generated once).
    let env = Env::with(
        MockIdp::builder()
            .configure(|t| t.keys = seeded_keys("p31", &Alg::ALL))
            .start()
            .await,
    );
    let jwks = jwks_of(&env).await;
    let tenant = env.idp.first_tenant();
    let issuer = env.idp.issuer_url();
    let mut payload = serde_json::Map::new();
    payload.insert("iss".into(), json!(issuer));
    payload.insert("sub".into(), json!("p31"));
    payload.insert("exp".into(), json!(tenant.clock().now() + 300));
    for alg in Alg::ALL {
        // Act
        let jwt = {
            let ring = tenant.keys();
            let key = ring.for_alg(alg).unwrap_or_else(|| panic!("a key for {alg:?}"));
            assert_eq!(key.alg(), alg);
            key.sign(&payload, "JWT")
        };
        // Assert
        assert_eq!(header(&jwt)["alg"], alg.as_str());
        verify(&jwt, &jwks, &issuer).unwrap_or_else(|e| panic!("{alg:?} does not verify: {e}"));
        let sig = B64.decode(jwt.rsplit('.').next().unwrap()).unwrap();
        match alg {
            Alg::ES256 => assert_eq!(sig.len(), 64, "ES256 is raw R||S"),
            Alg::ES384 => assert_eq!(sig.len(), 96, "ES384 is raw R||S"),
            _ => {}
        }
        // A flipped signature byte does not verify: the check above is real.
        let mut bad = sig.clone();
        bad[0] ^= 1;
        let (signed, _) = jwt.rsplit_once('.').unwrap();
        assert!(verify(&format!("{signed}.{}", B64.encode(bad)), &jwks, &issuer).is_err(), "{alg:?}");
    }
}

#[tokio::test]
async fn p32_p33_client_algorithm_chooses_the_key_and_headers_are_clean() {
    // Arrange: the public client asks for ES256; the default signer is RS256.
    let env = Env::with(
        MockIdp::builder()
            .configure(|t| {
                if let Some(c) = t.clients.iter_mut().find(|c| c.client_id == "weaviate") {
                    c.alg = Some(Alg::ES256);
                }
            })
            .start()
            .await,
    );
    let jwks = jwks_of(&env).await;
    // Act
    let es = env.password_tokens("admin", "admin-pass").await;
    let (_, rs) = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "ci-runner"),
            ("client_secret", "ci-runner-secret"),
        ])
        .await;
    // Assert
    for (jwt, alg) in [
        (&es["id_token"], "ES256"),
        (&es["access_token"], "ES256"),
        (&rs["access_token"], "RS256"),
    ] {
        let jwt = jwt.as_str().unwrap();
        let h = header(jwt);
        assert_eq!(h["alg"], alg);
        let names: BTreeSet<&str> = h.as_object().unwrap().keys().map(String::as_str).collect();
        assert!(names.is_subset(&["alg", "kid", "typ"].into_iter().collect()), "P33: {h}");
        verify(jwt, &jwks, &env.idp.issuer_url()).expect("the signing key is published");
    }
}

#[tokio::test]
async fn p34_same_seed_gives_the_same_kids_across_starts_and_keys_are_ready_at_start() {
    // Arrange
    let algs = [Alg::RS256, Alg::ES256, Alg::EdDSA];
    let kids = |jwks: Value| -> Vec<String> {
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    };
    // Act
    let one = Env::with(MockIdp::builder().configure(|t| t.keys = seeded_keys("p34", &algs)).start().await);
    let first = kids(jwks_of(&one).await);
    drop(one);
    let two = Env::with(MockIdp::builder().configure(|t| t.keys = seeded_keys("p34", &algs)).start().await);
    let other = Env::with(
        MockIdp::builder()
            .configure(|t| t.keys = seeded_keys("p34-other", &algs))
            .start()
            .await,
    );
    // Assert
    assert_eq!(first.len(), 3, "all keys are published as soon as start returns");
    assert_eq!(kids(jwks_of(&two).await), first);
    let other_kids = kids(jwks_of(&other).await);
    assert!(other_kids.iter().all(|k| !first.contains(k)), "another seed gives other keys");
}

#[tokio::test]
async fn p35_after_a_rotation_new_tokens_use_the_new_kid_and_old_tokens_still_verify() {
    // Arrange
    let env = Env::start().await;
    let old = env.password_tokens("admin", "admin-pass").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let tenant = env.idp.first_tenant();
    let new_key = mock_idp::keys::SigningKey::from_seed("p35", Alg::RS256);
    let new_kid = new_key.kid().as_str().to_owned();
    // Act: rotation = add, make it the signer, keep the old one published.
    {
        let mut ring = tenant.keys_mut();
        ring.add(new_key);
        assert!(ring.activate(&new_kid));
    }
    let fresh = env.password_tokens("admin", "admin-pass").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let jwks = jwks_of(&env).await;
    // Assert
    assert_eq!(header(&fresh)["kid"], new_kid.as_str());
    assert_ne!(header(&old)["kid"], header(&fresh)["kid"]);
    verify(&fresh, &jwks, &env.idp.issuer_url()).expect("new tokens verify");
    verify(&old, &jwks, &env.idp.issuer_url()).expect("old tokens verify during the overlap");
}

#[tokio::test]
async fn p4_first_tenant_is_the_first_configured_not_the_first_by_name() {
    // "alpha" sorts before "default": the handle must follow config order, not names.
    let idp = mock_idp::MockIdp::builder()
        .tenant(mock_idp::TenantConfig::named("alpha"))
        .start()
        .await;
    assert!(idp.issuer_url().ends_with("/default"), "{}", idp.issuer_url());
    assert!(idp.issuer_url_of("alpha").is_some());
}
