//! Control plane, its surface (P125, P126, P129, P140): switched off, bad input named, users
//! and clients at runtime, every operation as a Rust method, and listings without credentials.

use mock_idp::config::ServerConfig;
use mock_idp::Endpoint;
use mock_idp::{AddKey, KeyAction, KeyWhen as When, RotateKeys};
use mock_idp::{Config, FaultSpec, MockIdp, UserConfig};
use reqwest::Method;
use serde_json::json;

use crate::control_support::{ctl, ctl_url, password_grant, tenant_b};
use crate::support::{claims, kids, Env};

fn with_server(server: ServerConfig) -> Config {
    let mut c = Config::builtin();
    c.server = server;
    c
}

#[tokio::test]
async fn p125_controls_can_be_disabled_and_never_appear_in_discovery() {
    let idp = MockIdp::builder()
        .config(with_server(ServerConfig {
            control: Some(false),
            ..Default::default()
        }))
        .start()
        .await;
    let http = reqwest::Client::new();
    assert_eq!(http.get(ctl_url(&idp, "default", "clock")).send().await.unwrap().status(), 404);
    assert_eq!(
        http.get(format!("{}/_mock/issuers", idp.base_url())).send().await.unwrap().status(),
        404
    );
    assert_eq!(
        http.get(format!("{}/_mock/ready", idp.base_url())).send().await.unwrap().status(),
        200
    );
    let doc = http.get(idp.discovery_url()).send().await.unwrap().text().await.unwrap();
    assert!(!doc.contains("_mock"));
    // Enabled (the default), the same route answers.
    let env = Env::start().await;
    assert_eq!(ctl(&env, Method::GET, "clock", None).await.0, 200);
}

#[tokio::test]
async fn p125_bad_control_input_is_a_400_naming_the_field() {
    let env = Env::start().await;
    let cases = [
        (
            "faults",
            json!({"endpoint": "jwks", "kind": "status", "status": 503, "bogus": 1}),
            "bogus",
        ),
        ("faults", json!({"endpoint": "jwks", "kind": "status", "status": 418}), "status"),
        ("faults", json!({"endpoint": "jwks", "kind": "teapot"}), "kind"),
        ("faults", json!({"endpoint": "token", "kind": "jwks_empty"}), "endpoint"),
        ("faults", json!({"endpoint": "jwks", "kind": "latency", "ms": 1, "mib": 2}), "mib"),
        ("clock", json!({"advance_s": "soon"}), "advance_s"),
        ("clock", json!({"advance_s": 1, "real": true}), "real"),
        ("keys/rotate", json!({"overlap_s": -1}), "overlap_s"),
        ("keys", json!({"alg": "HS256"}), "alg"),
        ("users", json!({"username": "", "password": "x"}), "username"),
        (
            "users",
            json!({"username": "x", "password": "x", "claims": {"iss": "me"}}),
            "claims.iss",
        ),
    ];
    for (path, body, field) in cases {
        let (s, err) = ctl(&env, Method::POST, path, Some(body.clone())).await;
        assert_eq!(s, 400, "{path} {body}: {err}");
        assert!(err["error"].is_string(), "{err}");
        assert!(
            err["message"].as_str().unwrap().contains(field),
            "{path} {body}: {err} should name {field}"
        );
    }
    assert!(env.idp.faults().is_empty(), "nothing was half-applied");
    // Fixed, the same request is accepted.
    let (s, _) = ctl(
        &env,
        Method::POST,
        "faults",
        Some(json!({"endpoint": "jwks", "kind": "status", "status": 503})),
    )
    .await;
    assert_eq!(s, 201);
    // Unknown things are 404.
    assert_eq!(ctl(&env, Method::DELETE, "users/nobody", None).await.0, 404);
    assert_eq!(ctl(&env, Method::DELETE, "faults/999", None).await.0, 404);
    let r = env
        .http
        .get(format!("{}/nowhere/_mock/clock", env.idp.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn p129_users_and_clients_change_at_runtime() {
    let env = Env::start().await;
    let (s, user) = ctl(
        &env,
        Method::POST,
        "users",
        Some(json!({"username": "carol", "password": "carol-pass", "groups": ["ops"]})),
    )
    .await;
    assert_eq!(s, 200, "{user}");
    assert!(user.get("password").is_none());
    let (s, body) = password_grant(&env, "default", "carol", "carol-pass", "weaviate").await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(claims(body["access_token"].as_str().unwrap())["groups"], json!(["ops"]));
    let (_, users) = ctl(&env, Method::GET, "users", None).await;
    assert!(!users.to_string().contains("carol-pass"));
    assert_eq!(ctl(&env, Method::DELETE, "users/carol", None).await.0, 200);
    assert_eq!(password_grant(&env, "default", "carol", "carol-pass", "weaviate").await.0, 400);
    // A client, then a replacement with another secret.
    let client = json!({"client_id": "svc", "secrets": ["svc-secret-1"], "grant_types": ["client_credentials"]});
    assert_eq!(ctl(&env, Method::POST, "clients", Some(client)).await.0, 200);
    let cc = |secret: &'static str| {
        [
            ("grant_type", "client_credentials"),
            ("client_id", "svc"),
            ("client_secret", secret),
        ]
    };
    assert_eq!(env.token(&cc("svc-secret-1")).await.0, 200);
    let client = json!({"client_id": "svc", "secrets": ["svc-secret-2"], "grant_types": ["client_credentials"]});
    assert_eq!(ctl(&env, Method::POST, "clients", Some(client)).await.0, 200);
    assert_eq!(env.token(&cc("svc-secret-1")).await.0, 401);
    assert_eq!(env.token(&cc("svc-secret-2")).await.0, 200);
    let (_, clients) = ctl(&env, Method::GET, "clients", None).await;
    assert!(!clients.to_string().contains("svc-secret"));
    assert_eq!(ctl(&env, Method::DELETE, "clients/svc", None).await.0, 200);
    assert_eq!(env.token(&cc("svc-secret-2")).await.0, 401);
}

#[tokio::test]
async fn p126_every_operation_is_also_a_rust_method() {
    let env = Env::start().await;
    let idp = &env.idp;
    // Keys.
    let old = idp.keys().unwrap().active().unwrap().to_owned();
    let list = idp
        .rotate_keys(RotateKeys {
            overlap_s: Some(10.0),
            ..Default::default()
        })
        .unwrap();
    assert_ne!(list.active().unwrap(), old);
    let added = idp
        .add_key(AddKey {
            seed: Some("p126".into()),
            published: Some(false),
            ..Default::default()
        })
        .unwrap();
    let hidden = added.keys.iter().find(|k| !k.published).unwrap().kid.clone();
    idp.key_action(&hidden, KeyAction::Publish, When::default()).unwrap();
    assert!(kids(&env.jwks().await).contains(&hidden));
    // Clock drives the scheduled retirement.
    idp.advance_clock(11.0);
    assert!(!kids(&env.jwks().await).contains(&old));
    // Faults, journal, users, tenants.
    idp.clear_journal();
    idp.add_fault(FaultSpec::status(Endpoint::Discovery, 504).times(1)).unwrap();
    assert_eq!(env.http.get(idp.discovery_url()).send().await.unwrap().status(), 504);
    assert!(idp.add_fault(FaultSpec::status(Endpoint::Discovery, 404)).is_err());
    assert_eq!(idp.counters()[&Endpoint::Discovery], 1);
    idp.add_user(UserConfig {
        username: "dave".into(),
        password: "dave-pass".into(),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(password_grant(&env, "default", "dave", "dave-pass", "weaviate").await.0, 200);
    idp.remove_user("dave").unwrap();
    let issuer = idp.create_issuer(tenant_b()).unwrap();
    assert!(idp.issuers().iter().any(|i| i.issuer == issuer));
    idp.delete_issuer("b").unwrap();
    assert!(idp.delete_issuer("b").is_err());
    idp.reset();
    assert_eq!(idp.keys().unwrap().active().unwrap(), old);
}

#[tokio::test]
async fn p140_user_listing_shows_neither_passwords_nor_one_time_codes() {
    let idp = mock_idp::MockIdp::builder()
        .user(mock_idp::UserConfig {
            username: "mfa".into(),
            password: "pw-secret".into(),
            otp: Some("314159".into()),
            ..Default::default()
        })
        .start()
        .await;
    let url = format!("{}/_mock/users", idp.issuer_url());
    let body = reqwest::get(&url).await.expect("users answers").text().await.expect("a body");
    assert!(body.contains("\"mfa\""), "the user is listed: {body}");
    assert!(!body.contains("pw-secret") && !body.contains("314159"), "{body}");
}
