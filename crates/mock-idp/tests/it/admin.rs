//! Who may use the `_mock/` controls (P125, `admin.rs`): the issuer takeover tried as an attacker
//! would, tenant and server tokens, closed routes, and the exposure check the CLI runs.
//!
//! Every refusal is followed by the same request with the right token, which succeeds, so a
//! refusal cannot come from a broken route.

use std::net::SocketAddr;

use mock_idp::config::ServerConfig;
use mock_idp::{Config, MockIdp, TenantConfig};
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{claims, kids};

const SERVER: &str = "server-token-1";
const TENANT: &str = "tenant-token-1";
const OTHER: &str = "other-token-1";

/// The built-in configuration plus a tenant `other` with its own token and a tenant `plain`
/// without one; `default` gets `tenant_token`, the server `server_token`.
fn config(server_token: Option<&str>, tenant_token: Option<&str>) -> Config {
    let mut c = Config::builtin();
    c.server.admin_token = server_token.map(Into::into);
    c.tenants[0].admin_token = tenant_token.map(Into::into);
    let mut other = TenantConfig::named("other");
    other.admin_token = Some(OTHER.into());
    c.tenants.push(other);
    c.tenants.push(TenantConfig::named("plain"));
    c
}

async fn start(config: Config) -> MockIdp {
    MockIdp::builder().config(config).start().await
}

/// Sends `method url` with `body` as JSON and `token` as bearer; status and JSON body.
async fn send(method: Method, url: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let mut req = reqwest::Client::new().request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("the provider answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn issuers_url(idp: &MockIdp) -> String {
    format!("{}/_mock/issuers", idp.base_url())
}

fn ctl(idp: &MockIdp, tenant: &str, path: &str) -> String {
    format!("{}/_mock/{path}", idp.issuer_url_of(tenant).expect("the tenant exists"))
}

/// The `kid`s the tenant's JWKS publishes.
async fn tenant_kids(idp: &MockIdp, tenant: &str) -> Vec<String> {
    let jwks: Value = reqwest::get(format!("{}/jwks", idp.issuer_url_of(tenant).unwrap()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    kids(&jwks)
}

#[tokio::test]
async fn p125_takeover_with_only_a_tenant_token_is_refused_and_the_issuer_stays() {
    // Arrange: a tenant token, no server token (the finding of issue 19).
    let idp = start(config(None, Some(TENANT))).await;
    let default_issuer = idp.issuer_url();
    let kids_before = tenant_kids(&idp, "default").await;
    // Act + Assert: the server-wide routes are closed to everyone, the tenant's token included.
    for token in [None, Some(TENANT), Some(OTHER), Some("guess")] {
        let (status, body) = send(Method::DELETE, &format!("{}/default", issuers_url(&idp)), token, None).await;
        assert_eq!(status, 403, "DELETE /_mock/issuers/default with {token:?}: {body}");
        assert_eq!(body["error"], "forbidden", "{body}");
        assert!(body["message"].as_str().unwrap().contains("server.admin_token"), "{body}");
        let (status, _) = send(Method::POST, &issuers_url(&idp), token, Some(json!({"name": "default"}))).await;
        assert_eq!(status, 403, "POST /_mock/issuers with {token:?}");
        let (status, _) = send(Method::POST, &issuers_url(&idp), token, Some(json!({"name": "fresh"}))).await;
        assert_eq!(status, 403, "POST /_mock/issuers (a new name) with {token:?}");
        assert_eq!(send(Method::GET, &issuers_url(&idp), token, None).await.0, 403);
    }
    // The issuer was neither deleted nor replaced: same URL, same keys, no new tenant.
    assert_eq!(idp.issuer_url_of("default"), Some(default_issuer));
    assert_eq!(tenant_kids(&idp, "default").await, kids_before);
    assert!(idp.issuer_url_of("fresh").is_none());
    // Mint: refused without the tenant's token or with another one, minted with it.
    let mint = ctl(&idp, "default", "mint");
    for token in [None, Some("guess"), Some(OTHER)] {
        let (status, body) = send(Method::POST, &mint, token, Some(json!({}))).await;
        assert_eq!(status, 401, "default mint with {token:?}: {body}");
        assert_eq!(body["error"], "unauthorized");
    }
    let (status, minted) = send(Method::POST, &mint, Some(TENANT), Some(json!({}))).await;
    assert_eq!(status, 200, "default mint with its own token: {minted}");
    assert_eq!(claims(minted["access_token"].as_str().unwrap())["iss"], idp.issuer_url().as_str());
    // The tenant's token opens that tenant only: `other` takes its own token, not default's
    // (`other` has no users to mint for, so its clock stands for its routes).
    let other_clock = ctl(&idp, "other", "clock");
    assert_eq!(send(Method::GET, &other_clock, Some(TENANT), None).await.0, 401);
    assert_eq!(send(Method::GET, &other_clock, Some(OTHER), None).await.0, 200);
    // A tenant without a token, while tokens are configured elsewhere, is closed: no token opens it.
    for token in [None, Some(TENANT), Some(OTHER)] {
        let (status, body) = send(Method::POST, &ctl(&idp, "plain", "mint"), token, Some(json!({}))).await;
        assert_eq!(status, 403, "plain mint with {token:?}: {body}");
        assert!(body["message"].as_str().unwrap().contains("\"plain\""), "{body}");
    }
}

#[tokio::test]
async fn p125_an_issuer_deleted_and_recreated_does_not_come_back_open() {
    // Arrange: the guard was decided at start, from the tenant token alone.
    let idp = start(config(None, Some(TENANT))).await;
    // Act: the test's owner (in process) deletes the tenant that had the token and recreates it.
    idp.delete_issuer("default").unwrap();
    idp.delete_issuer("other").unwrap();
    idp.create_issuer(TenantConfig::named("default")).unwrap();
    // Assert: no token is configured on any tenant now, and still nothing is open.
    let (status, body) = send(Method::POST, &ctl(&idp, "default", "mint"), None, Some(json!({}))).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        send(Method::POST, &ctl(&idp, "default", "mint"), Some(TENANT), Some(json!({})))
            .await
            .0,
        403
    );
    assert_eq!(send(Method::GET, &issuers_url(&idp), None, None).await.0, 403);
}

#[tokio::test]
async fn p125_the_server_token_opens_server_wide_routes_and_a_recreated_issuer_needs_it() {
    // Arrange
    let idp = start(config(Some(SERVER), Some(TENANT))).await;
    let one = format!("{}/default", issuers_url(&idp));
    // Act + Assert: DELETE is refused without a token and with a tenant's, done with the server's.
    for token in [None, Some(TENANT), Some(OTHER), Some("guess")] {
        let (status, body) = send(Method::DELETE, &one, token, None).await;
        assert_eq!(status, 401, "DELETE with {token:?}: {body}");
        assert_eq!(body["error"], "unauthorized");
    }
    assert!(idp.issuer_url_of("default").is_some(), "a refused DELETE deletes nothing");
    assert_eq!(send(Method::DELETE, &one, Some(SERVER), None).await.0, 200);
    assert!(idp.issuer_url_of("default").is_none());
    // POST likewise; the recreated issuer has the same URL (and someone to mint for).
    let body = json!({
        "name": "default",
        "user": [{"username": "mallory", "password": "pw"}],
        "client": [{"client_id": "weaviate", "public": true}],
    });
    for token in [None, Some(TENANT), Some(OTHER)] {
        assert_eq!(
            send(Method::POST, &issuers_url(&idp), token, Some(body.clone())).await.0,
            401,
            "{token:?}"
        );
    }
    let (status, created) = send(Method::POST, &issuers_url(&idp), Some(SERVER), Some(body)).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["issuer"], format!("{}/default", idp.base_url()).as_str());
    // The new issuer is guarded: the old tenant token is gone with its tenant, the server's opens it.
    let mint = ctl(&idp, "default", "mint");
    assert_eq!(send(Method::POST, &mint, None, Some(json!({}))).await.0, 401);
    assert_eq!(send(Method::POST, &mint, Some(TENANT), Some(json!({}))).await.0, 401);
    assert_eq!(send(Method::POST, &mint, Some(SERVER), Some(json!({}))).await.0, 200);
    // The server's token also opens tenants with a token of their own, and those without.
    assert_eq!(send(Method::GET, &ctl(&idp, "other", "clock"), Some(SERVER), None).await.0, 200);
    assert_eq!(send(Method::GET, &ctl(&idp, "plain", "clock"), None, None).await.0, 401);
    assert_eq!(send(Method::GET, &ctl(&idp, "plain", "clock"), Some(SERVER), None).await.0, 200);
    // A tenant created with its own token opens with it, not with another tenant's.
    let (status, _) = send(
        Method::POST,
        &issuers_url(&idp),
        Some(SERVER),
        Some(json!({"name": "owned", "admin_token": "owned-token"})),
    )
    .await;
    assert_eq!(status, 201);
    let owned = ctl(&idp, "owned", "clock");
    assert_eq!(send(Method::GET, &owned, Some(OTHER), None).await.0, 401);
    assert_eq!(send(Method::GET, &owned, Some("owned-token"), None).await.0, 200);
    assert_eq!(send(Method::GET, &issuers_url(&idp), Some("owned-token"), None).await.0, 401);
}

#[tokio::test]
async fn p125_every_control_route_is_guarded_read_only_ones_too_but_ready() {
    // Arrange
    let idp = start(config(Some(SERVER), None)).await;
    let routes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::POST, ctl(&idp, "default", "mint"), Some(json!({}))),
        (Method::POST, ctl(&idp, "default", "keys/rotate"), Some(json!({"alg": "RS256"}))),
        (
            Method::POST,
            ctl(&idp, "default", "users"),
            Some(json!({"username": "eve", "password": "pw"})),
        ),
        (
            Method::POST,
            ctl(&idp, "default", "clients"),
            Some(json!({"client_id": "eve", "secrets": ["s"]})),
        ),
        (
            Method::POST,
            ctl(&idp, "default", "faults"),
            Some(json!({"endpoint": "jwks", "kind": "status", "status": 500, "times": 1})),
        ),
        (Method::DELETE, ctl(&idp, "default", "faults"), None),
        (Method::POST, ctl(&idp, "default", "clock"), Some(json!({"advance_s": 1}))),
        (Method::POST, ctl(&idp, "default", "reset"), None),
        (Method::GET, ctl(&idp, "default", "keys"), None),
        (Method::GET, ctl(&idp, "default", "users"), None),
        (Method::GET, ctl(&idp, "default", "clients"), None),
        (Method::GET, ctl(&idp, "default", "journal"), None),
        (Method::GET, ctl(&idp, "default", "counters"), None),
        (Method::GET, ctl(&idp, "default", "presets"), None),
        (Method::GET, ctl(&idp, "default", ""), None),
        (Method::GET, issuers_url(&idp), None),
    ];
    for (method, url, body) in routes {
        // Act + Assert
        let (status, answer) = send(method.clone(), &url, None, body.clone()).await;
        assert_eq!(status, 401, "{method} {url} without a token: {answer}");
        let (status, answer) = send(method.clone(), &url, Some(SERVER), body).await;
        assert!((200..300).contains(&status), "{method} {url} with the token: {status} {answer}");
    }
    // Readiness stays open for health checks; the protocol endpoints are not affected.
    assert_eq!(
        send(Method::GET, &format!("{}/_mock/ready", idp.base_url()), None, None).await.0,
        200
    );
    assert_eq!(reqwest::get(idp.discovery_url()).await.unwrap().status(), 200);
}

#[tokio::test]
async fn p125_odd_spellings_of_a_server_route_do_not_get_past_the_guard() {
    // Arrange: only a tenant token, so the server-wide routes are closed.
    let idp = start(config(None, Some(TENANT))).await;
    let base = idp.base_url();
    // Act
    for path in [
        "//_mock/issuers/default",
        "/_mock//issuers/default",
        "/%5Fmock/issuers/default",
        "/_mock/issuers/default/",
    ] {
        let (status, body) = send(Method::DELETE, &format!("{base}{path}"), None, None).await;
        // Assert: refused or not found, never done.
        assert!(matches!(status, 401 | 403 | 404), "{path}: {status} {body}");
    }
    assert!(idp.issuer_url_of("default").is_some(), "no spelling deleted the issuer");
}

#[tokio::test]
async fn p125_without_any_token_the_in_process_provider_stays_open() {
    // Arrange: the builder's defaults, as every other test uses them.
    let idp = MockIdp::start().await;
    // Act + Assert
    assert_eq!(
        send(Method::POST, &ctl(&idp, "default", "mint"), None, Some(json!({}))).await.0,
        200
    );
    assert_eq!(send(Method::GET, &issuers_url(&idp), None, None).await.0, 200);
    // A tenant created with a token of its own is guarded by it, the rest stays open.
    idp.create_issuer(TenantConfig {
        admin_token: Some("own".into()),
        ..TenantConfig::named("owned")
    })
    .unwrap();
    assert_eq!(send(Method::GET, &ctl(&idp, "owned", "clock"), None, None).await.0, 401);
    assert_eq!(send(Method::GET, &ctl(&idp, "owned", "clock"), Some("own"), None).await.0, 200);
    assert_eq!(send(Method::GET, &ctl(&idp, "default", "clock"), None, None).await.0, 200);
}

#[tokio::test]
async fn p125_an_empty_or_spaced_admin_token_is_refused_at_start_naming_the_field() {
    for (token, field) in [("", "server.admin_token"), ("a b", "server.admin_token")] {
        let mut c = Config::builtin();
        c.server = ServerConfig {
            admin_token: Some(token.into()),
            ..ServerConfig::default()
        };
        let err = MockIdp::builder().config(c).try_start().await.expect_err("refused");
        assert!(err.to_string().contains(field), "{token:?}: {err}");
    }
    let mut c = Config::builtin();
    c.tenants[0].admin_token = Some("".into());
    let err = MockIdp::builder().config(c).try_start().await.expect_err("refused");
    assert!(err.to_string().contains("tenant[0].admin_token"), "{err}");
    // Debug never shows a token.
    let c = config(Some(SERVER), Some(TENANT));
    let shown = format!("{c:?}");
    assert!(
        !shown.contains(SERVER) && !shown.contains(TENANT) && !shown.contains(OTHER),
        "{shown}"
    );
}

#[test]
fn p125_exposure_only_beyond_loopback_with_the_controls_open() {
    let open = Config::builtin();
    let addr = |s: &str| s.parse::<SocketAddr>().unwrap();
    for wide in ["0.0.0.0:8080", "[::]:8080", "192.168.1.10:8080"] {
        let text = mock_idp::open_exposure(addr(wide), &open).unwrap_or_else(|| panic!("{wide} is exposed"));
        assert!(text.contains("mint tokens"), "{text}");
    }
    for local in ["127.0.0.1:8080", "[::1]:8080", "[::ffff:127.0.0.1]:8080"] {
        assert!(mock_idp::open_exposure(addr(local), &open).is_none(), "{local}");
    }
    // Any configured token, even a tenant's alone, closes the controls; so does turning them off.
    let wide = addr("0.0.0.0:8080");
    assert!(mock_idp::open_exposure(wide, &config(Some(SERVER), None)).is_none());
    let mut tenant_only = Config::builtin();
    tenant_only.tenants[0].admin_token = Some(TENANT.into());
    assert!(mock_idp::open_exposure(wide, &tenant_only).is_none());
    let mut off = Config::builtin();
    off.server.control = Some(false);
    assert!(mock_idp::open_exposure(wide, &off).is_none());
}
