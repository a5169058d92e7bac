//! The debugger page `{base}/_mock/` (P125-P143, last bullet of the control plane): router
//! tests through `oneshot`, on the built-in configuration.

use axum::body::Body;
use axum::http::Request;
use mock_idp::config::ServerConfig;
use mock_idp::{AppState, Config, Endpoint, FaultSpec, Preset, UserConfig};
use serde_json::Value;
use tower::ServiceExt;

use crate::support::claims;

fn state_with(server: ServerConfig) -> AppState {
    let mut config = Config::builtin();
    config.server = server;
    AppState::new(&config, "http://idp.test").expect("the built-in config builds")
}

fn state() -> AppState {
    state_with(ServerConfig::default())
}

/// Sends one request and returns status, content type and body text.
async fn send(state: &AppState, req: Request<Body>) -> (u16, String, String) {
    let resp = mock_idp::router(state.clone()).oneshot(req).await.expect("the router answers");
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    (status, ct, String::from_utf8_lossy(&bytes).into_owned())
}

async fn get_page(state: &AppState, path: &str) -> (u16, String) {
    let (status, ct, body) = send(state, Request::get(path).body(Body::empty()).unwrap()).await;
    if status == 200 {
        assert!(ct.starts_with("text/html"), "the page is HTML: {ct}");
    }
    (status, body)
}

async fn post_mint(state: &AppState, form: &str) -> (u16, String) {
    let (status, _, body) = send(
        state,
        Request::post("/default/_mock/debug/mint")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(form.to_owned()))
            .unwrap(),
    )
    .await;
    (status, body)
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The text of the first `<pre class="{class}">` after `after`, unescaped.
fn pre(page: &str, after: &str, class: &str) -> String {
    let start = page.find(after).unwrap_or_else(|| panic!("the page has {after:?}"));
    let open = format!("<pre class=\"{class}\">");
    let rest = &page[start..];
    let i = rest.find(&open).unwrap_or_else(|| panic!("a {class} block follows {after:?}")) + open.len();
    let j = rest[i..].find("</pre>").expect("the block closes") + i;
    unescape(&rest[i..j])
}

#[tokio::test]
async fn p135_p129_page_lists_keys_users_and_clients_without_any_secret() {
    // Arrange: a user with a password and a one-time code, neither of which may show.
    let state = state();
    let tenant = state.tenant("default").unwrap();
    tenant
        .add_user(UserConfig {
            username: "carol".into(),
            password: "carol-password-77".into(),
            otp: Some("otp-code-424242".into()),
            ..UserConfig::default()
        })
        .unwrap();
    let kids: Vec<String> = tenant.key_list().unwrap().keys.into_iter().map(|k| k.kid).collect();
    assert!(kids.len() >= 2, "the built-in tenant has several keys");
    for path in ["/default/_mock/", "/default/_mock/debug"] {
        // Act
        let (status, page) = get_page(&state, path).await;
        // Assert
        assert_eq!(status, 200, "{path}");
        for kid in &kids {
            assert!(page.contains(kid.as_str()), "{path} lists key {kid}");
        }
        for name in ["admin", "viewer", "carol", "weaviate", "ci-runner", "RS256", "ES256"] {
            assert!(page.contains(name), "{path} shows {name}");
        }
        for secret in [
            "admin-pass",
            "viewer-pass",
            "ci-runner-secret",
            "carol-password-77",
            "otp-code-424242",
        ] {
            assert!(!page.contains(secret), "{path} leaks {secret}");
        }
        assert!(!page.contains("<script"), "no JavaScript on the page");
        // The discovery document is on the page, pretty-printed.
        assert!(page.contains("&quot;jwks_uri&quot;: &quot;http://idp.test/default/jwks&quot;"));
    }
}

#[tokio::test]
async fn p139_p146_p142_page_shows_journal_counters_faults_and_clock() {
    // Arrange: one token request, a fault and a frozen clock.
    let state = state();
    let tenant = state.tenant("default").unwrap();
    let (status, _, _) = send(
        &state,
        Request::post("/default/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(
                "grant_type=password&username=viewer&password=viewer-pass&client_id=weaviate",
            ))
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let (_, before) = get_page(&state, "/default/_mock/").await;
    assert!(before.contains("No faults armed."));
    tenant.add_fault(FaultSpec::status(Endpoint::Discovery, 503).times(2)).unwrap();
    tenant.clock().freeze();
    // Act
    let (_, page) = get_page(&state, "/default/_mock/").await;
    // Assert
    assert!(page.contains("<td>/default/token</td>"), "the token request is in the journal");
    assert!(page.contains("weaviate password viewer"), "with client, grant and user");
    assert!(page.contains("<td>token</td><td>1</td>"), "and counted");
    assert!(!page.contains("No faults armed."), "the fault is listed");
    assert!(page.contains("503"));
    assert!(page.contains("&quot;mode&quot;: &quot;frozen&quot;"), "the clock is shown frozen");
    assert!(!page.contains("viewer-pass"), "the journal keeps no password");
}

#[tokio::test]
async fn p134_mint_form_offers_every_preset_and_algorithm() {
    let (_, page) = get_page(&state(), "/default/_mock/debug").await;
    for p in Preset::ALL {
        assert!(
            page.contains(&format!("<option value=\"{}\">", p.name())),
            "preset {} is offered",
            p.name()
        );
    }
    for alg in mock_idp::Alg::ALL {
        assert!(page.contains(&format!("<option value=\"{}\">", alg.as_str())));
    }
    assert!(page.contains("action=\"/default/_mock/debug/mint\""));
}

#[tokio::test]
async fn p131_p134_mint_form_shows_the_token_decoded() {
    // Arrange
    let state = state();
    let active = state.tenant("default").unwrap().key_list().unwrap().active().unwrap().to_owned();
    // Act: an expired token for viewer with another audience.
    let (status, page) = post_mint(&state, "user=viewer&client=weaviate&aud=other-aud&preset=expired").await;
    // Assert
    assert_eq!(status, 200, "{page}");
    let token = pre(&page, "<h3>access_token</h3>", "token");
    let header: Value = serde_json::from_str(&pre(&page, "<h3>access_token</h3>", "header")).unwrap();
    let payload: Value = serde_json::from_str(&pre(&page, "<h3>access_token</h3>", "payload")).unwrap();
    assert_eq!(header["kid"], active.as_str());
    assert_eq!(header["alg"], "RS256");
    assert_eq!(payload["preferred_username"], "viewer");
    assert_eq!(payload["aud"], "other-aud");
    assert!(payload["exp"].as_i64() < payload["iat"].as_i64(), "the expired preset applied");
    assert_eq!(payload, claims(&token), "the decoded payload is the raw token's");
    // The form keeps what was sent.
    assert!(page.contains("<option value=\"viewer\" selected>"));
    assert!(page.contains("<option value=\"expired\" selected>"));
    // The same form without the preset gives a token that is not expired.
    let (_, page) = post_mint(&state, "user=viewer&client=weaviate&aud=other-aud&lifetime_s=120&alg=ES256").await;
    let payload: Value = serde_json::from_str(&pre(&page, "<h3>access_token</h3>", "payload")).unwrap();
    assert_eq!(payload["exp"].as_i64().unwrap() - payload["iat"].as_i64().unwrap(), 120);
    let header: Value = serde_json::from_str(&pre(&page, "<h3>access_token</h3>", "header")).unwrap();
    assert_eq!(header["alg"], "ES256");
}

#[tokio::test]
async fn p131_refused_mint_is_shown_on_the_page_and_the_fixed_request_mints() {
    let state = state();
    let (status, page) = post_mint(&state, "user=nobody").await;
    assert_eq!(status, 400);
    assert!(page.contains("The mint was refused"), "{page}");
    assert!(page.contains("&quot;nobody&quot;"), "the error names the user");
    assert!(!page.contains("<h3>access_token</h3>"));
    let (status, page) = post_mint(&state, "user=admin").await;
    assert_eq!(status, 200);
    assert!(page.contains("<h3>access_token</h3>"));
    assert!(page.contains("<h3>id_token</h3>"));
}

#[tokio::test]
async fn every_value_on_the_page_is_html_escaped() {
    // Arrange: a user whose name and claims are markup.
    let state = state();
    let evil = "<script>alert(1)</script>";
    state
        .tenant("default")
        .unwrap()
        .add_user(UserConfig {
            username: evil.into(),
            password: "pw".into(),
            name: Some("\"><img src=x onerror=alert(2)>".into()),
            ..UserConfig::default()
        })
        .unwrap();
    // Act
    let (status, page) = get_page(&state, "/default/_mock/").await;
    let (mint_status, minted) = post_mint(&state, "user=%3Cscript%3Ealert%281%29%3C%2Fscript%3E").await;
    // Assert
    assert_eq!((status, mint_status), (200, 200), "{minted}");
    for p in [&page, &minted] {
        assert!(p.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the name shows, escaped");
        assert!(!p.contains("<script"), "never as markup");
        assert!(!p.contains("<img"), "never as markup");
    }
    let payload: Value = serde_json::from_str(&pre(&minted, "<h3>access_token</h3>", "payload")).unwrap();
    assert_eq!(payload["preferred_username"], evil, "the token carries the name unchanged");
}

#[tokio::test]
async fn p125_page_and_mint_form_need_the_admin_token_when_one_is_set() {
    let state = state_with(ServerConfig {
        admin_token: Some("debug-admin".into()),
        ..ServerConfig::default()
    });
    let (status, _) = get_page(&state, "/default/_mock/").await;
    assert_eq!(status, 401, "the page without a token");
    let (status, _) = post_mint(&state, "user=admin").await;
    assert_eq!(status, 401, "the mint form without a token");
    let authed = |req: axum::http::request::Builder| req.header("authorization", "Bearer debug-admin");
    let (status, _, _) = send(&state, authed(Request::get("/default/_mock/")).body(Body::empty()).unwrap()).await;
    assert_eq!(status, 200, "the page with the token");
    let (status, _, body) = send(
        &state,
        authed(Request::post("/default/_mock/debug/mint"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from("user=admin"))
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "the mint form with the token");
    assert!(body.contains("<h3>access_token</h3>"));
    // With the controls switched off the page does not exist.
    let off = state_with(ServerConfig {
        control: Some(false),
        ..ServerConfig::default()
    });
    assert_eq!(get_page(&off, "/default/_mock/").await.0, 404);
    assert_eq!(get_page(&self::state(), "/default/_mock/").await.0, 200);
}
