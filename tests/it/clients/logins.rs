//! What each official client sends to the provider when it logs in and refreshes, read from the
//! provider's journal (grant, client authentication, scope), and how the Go and Java clients keep
//! a session alive past the access token's expiry, with a bearer token and its refresh token, and
//! with a provider that rotates refresh tokens (this one by default) or one that keeps them
//! (as Keycloak does by default). Recorded in `drivers/OBSERVED.md` ("Login and refresh").
//!
//! The user `brief` gets 12 s access tokens: longer than the Go client's 10 s refresh margin,
//! short enough to wait out (Weaviate checks `exp` against the real clock, so the drivers wait).

use conformance::client::Lang;
use mock_idp::{ClientConfig, Endpoint, GrantType, JournalEntry as Entry, JournalQuery as Query, MockIdp, UserConfig};
use serde_json::{json, Value};

use super::expect::{act, ok, ok_value, rest_error, Outcome};
use super::{check, oidc_env, on_clients, prerequisites, Kind, Target};

/// Seconds an access token of `brief` lives.
const BRIEF_TOKEN_S: u64 = 12;

/// The provider with the built-in configuration, the short-lived user `brief`, and the public
/// client `weaviate-kc`, which keeps refresh tokens across refreshes (no rotation).
async fn provider() -> MockIdp {
    let mut brief = UserConfig {
        username: "brief".into(),
        password: "brief-pass".into(),
        email: Some("brief@example.com".into()),
        email_verified: Some(true),
        groups: vec!["admins".into()],
        ..UserConfig::default()
    };
    brief.lifetimes.access_token_s = Some(BRIEF_TOKEN_S);
    let keeps = ClientConfig {
        client_id: "weaviate-kc".into(),
        public: true,
        grant_types: vec![GrantType::Password, GrantType::RefreshToken],
        default_scope: "openid profile email offline_access groups".into(),
        rotate_refresh_tokens: false,
        ..ClientConfig::default()
    };
    MockIdp::builder().user(brief).client(keeps).start().await
}

/// Weaviate with OIDC through `client_id`; `brief` is an admin.
fn env(issuer: &str, client_id: &str) -> Vec<(&'static str, String)> {
    oidc_env(issuer, client_id)
        .into_iter()
        .map(|(k, v)| match k {
            "AUTHORIZATION_ADMINLIST_USERS" => (k, format!("{v},brief@example.com")),
            _ => (k, v),
        })
        .collect()
}

/// One token request as the journal shows it: grant, client authentication, scope, answer.
fn summary(e: &Entry) -> String {
    let fp = &e.facts.fingerprints;
    let auth = if fp.get("authorization").is_some() {
        "basic".to_owned()
    } else if let Some(secret) = fp.get("client_secret") {
        if secret == mock_idp::internals::fingerprint("") {
            "post(empty secret)".to_owned()
        } else {
            "post".to_owned()
        }
    } else {
        "none".to_owned()
    };
    format!(
        "{} {auth} scope={} -> {}{}",
        e.facts.grant_type.as_deref().unwrap_or("-"),
        e.facts.scope.as_deref().unwrap_or("-"),
        e.status.map(|s| s.to_string()).unwrap_or_default(),
        e.error.as_deref().map(|x| format!(" {x}")).unwrap_or_default(),
    )
}

/// The token requests after journal entry `since`.
fn token_requests(idp: &MockIdp, since: u64) -> Vec<Entry> {
    idp.first_tenant().journal_entries(&Query {
        endpoint: Some(Endpoint::Token),
        since: Some(since),
        limit: None,
    })
}

/// The sequence number of the provider's latest journal entry.
fn last_seq(idp: &MockIdp) -> u64 {
    let all = idp.first_tenant().journal_entries(&Query {
        limit: Some(1),
        ..Query::default()
    });
    all.last().map(|e| e.seq).unwrap_or(0)
}

/// What each client sends to the token endpoint at a password login and a client credentials
/// login (without scopes of their own, but Python's `openid` for client credentials, without which
/// it refuses to start; Weaviate advertises none). Identical requests are listed once: the
/// TypeScript client sends its login three times at connect, once per init call.
fn expected_logins(lang: Lang) -> (Vec<&'static str>, Vec<&'static str>) {
    match lang {
        // Authlib: the form; the secret in the form too (client_secret_post).
        Lang::Python => (
            vec!["password none scope=- -> 200"],
            vec!["client_credentials post scope=openid -> 200"],
        ),
        Lang::Typescript => (
            vec!["password none scope=offline_access -> 200"],
            vec!["client_credentials post scope= -> 200"],
        ),
        // x/oauth2 tries HTTP Basic first (`weaviate:` with an empty secret), which the provider
        // refuses for a public client, then the form; the scopes it computes are never sent.
        Lang::Go => (
            vec!["password basic scope=- -> 401 invalid_client", "password none scope=- -> 200"],
            vec!["client_credentials basic scope=- -> 200"],
        ),
        // Nimbus: the form, always with client_secret (empty for the password grant).
        Lang::Java => (
            vec!["password post(empty secret) scope=offline_access -> 200"],
            vec!["client_credentials post scope=- -> 200"],
        ),
    }
}

/// The summaries of the token requests after `since`, identical neighbours once.
fn logins_since(idp: &MockIdp, since: u64) -> Vec<String> {
    let mut got: Vec<String> = token_requests(idp, since).iter().map(summary).collect();
    got.dedup();
    got
}

/// Each client's password and client credentials logins, one client at a time, as the journal
/// records them.
async fn login_requests(kind: Kind) {
    let Some((bin, langs)) = prerequisites(kind).await else { return };
    let idp = provider().await;
    let issuer = idp.issuer_url();
    let public = Target::start(bin.as_deref(), &env(&issuer, "weaviate")).await;
    let confidential = Target::start(bin.as_deref(), &env(&issuer, "ci-runner")).await;
    for lang in langs {
        let (password, client_credentials) = expected_logins(lang);
        let since = last_seq(&idp);
        let cred = json!({"kind": "password", "username": "admin", "password": "admin-pass"});
        let steps = vec![(act("connect"), ok()), (act("own_info"), ok_value(json!("admin@example.com")))];
        check("password login, journal", lang, &public, false, cred, steps).await;
        assert_eq!(logins_since(&idp, since), password, "{lang:?}: the password login's token requests");

        let since = last_seq(&idp);
        let scopes = if lang == Lang::Python { json!(["openid"]) } else { Value::Null };
        let cred = json!({"kind": "client_credentials", "client_secret": "ci-runner-secret", "scopes": scopes});
        let steps = vec![(act("connect"), ok()), (act("own_info"), ok_value(json!("ci-runner@example.com")))];
        check("client credentials login, journal", lang, &confidential, false, cred, steps).await;
        assert_eq!(
            logins_since(&idp, since),
            client_credentials,
            "{lang:?}: the client credentials login's token requests"
        );
    }
}

/// A Go or Java session of `brief` past two token lifetimes (own_info at 0, 14 and 26 s); `last`
/// is what the call at 26 s must report.
fn two_lifetimes(last: Outcome) -> Vec<(Value, Outcome)> {
    let wait = |s: u64| json!({"action": "wait", "seconds": s});
    let brief = || ok_value(json!("brief@example.com"));
    vec![
        (act("connect"), ok()),
        (act("own_info"), brief()),
        (wait(BRIEF_TOKEN_S + 2), ok()),
        (act("own_info"), brief()),
        (wait(BRIEF_TOKEN_S), ok()),
        (act("own_info"), last),
    ]
}

/// Go and Java past two token lifetimes, with the provider's default client (refresh tokens
/// rotate, a reuse revokes the family) and with one that keeps refresh tokens; then each with a
/// bearer token and its refresh token. The journal shows who refreshed with which token.
async fn refresh_cases(kind: Kind) {
    let Some((bin, langs)) = prerequisites(kind).await else { return };
    let langs: Vec<Lang> = langs.into_iter().filter(|l| matches!(l, Lang::Go | Lang::Java)).collect();
    if langs.is_empty() {
        println!("skipped: neither the Go nor the Java client can run");
        return;
    }
    let idp = provider().await;
    let issuer = idp.issuer_url();
    let rotating = Target::start(bin.as_deref(), &env(&issuer, "weaviate")).await;
    let keeping = Target::start(bin.as_deref(), &env(&issuer, "weaviate-kc")).await;
    let cred = json!({"kind": "password", "username": "brief", "password": "brief-pass"});

    let since = last_seq(&idp);
    on_clients(&langs, |lang| {
        let last = match lang {
            // Java's second refresh reuses the login's refresh token: refused, session over.
            Lang::Java => rest_error(lang, 401, "unauthorized: oidc: token is expired (Token Expiry: 20"),
            _ => ok_value(json!("brief@example.com")),
        };
        check(
            "refresh, rotating provider",
            lang,
            &rotating,
            false,
            cred.clone(),
            two_lifetimes(last),
        )
    })
    .await;
    let refreshes: Vec<Entry> = token_requests(&idp, since)
        .into_iter()
        .filter(|e| e.facts.grant_type.as_deref() == Some("refresh_token"))
        .collect();
    if langs.contains(&Lang::Java) {
        // Java's refreshes are the ones that post a client_secret.
        let java: Vec<&Entry> = refreshes
            .iter()
            .filter(|e| e.facts.fingerprints.get("client_secret").is_some())
            .collect();
        let shown: Vec<String> = java.iter().map(|e| summary(e)).collect();
        assert_eq!(
            shown,
            [
                "refresh_token post(empty secret) scope=- -> 200",
                "refresh_token post(empty secret) scope=- -> 400 invalid_grant"
            ],
            "Java's refreshes"
        );
        assert_eq!(
            java[0].facts.fingerprints.get("refresh_token"),
            java[1].facts.fingerprints.get("refresh_token"),
            "Java refreshes with the login's refresh token every time"
        );
    }
    if langs.contains(&Lang::Go) {
        // Go probes HTTP Basic once per token source (refused for the public client), then
        // sends the form; it refreshes 10 s before each expiry, every 2 s here.
        let probes: Vec<String> = refreshes
            .iter()
            .filter(|e| e.facts.fingerprints.get("authorization").is_some())
            .map(summary)
            .collect();
        assert!(
            probes.iter().all(|p| p == "refresh_token basic scope=- -> 401 invalid_client"),
            "{probes:#?}"
        );
        let go: Vec<&Entry> = refreshes
            .iter()
            .filter(|e| e.facts.fingerprints.get("client_secret").is_none() && e.facts.fingerprints.get("authorization").is_none())
            .collect();
        assert!(go.len() >= 5, "Go refreshes every 2 s: {go:#?}");
        assert!(go.iter().all(|e| summary(e) == "refresh_token none scope=- -> 200"), "{go:#?}");
        let mut tokens: Vec<_> = go.iter().filter_map(|e| e.facts.fingerprints.get("refresh_token")).collect();
        let n = tokens.len();
        tokens.sort_unstable();
        tokens.dedup();
        assert_eq!(tokens.len(), n, "Go refreshes with the newest refresh token each time");
    }

    // A provider that keeps refresh tokens (Keycloak's default): Java's reuse is accepted.
    on_clients(&langs, |lang| {
        check(
            "refresh, provider that keeps refresh tokens",
            lang,
            &keeping,
            false,
            cred.clone(),
            two_lifetimes(ok_value(json!("brief@example.com"))),
        )
    })
    .await;

    // A bearer token with its refresh token, one login per client (they must not share a
    // rotating refresh token).
    on_clients(&langs, |lang| {
        let idp = &idp;
        let rotating = &rotating;
        async move {
            let tokens = password_tokens(idp, "brief", "brief-pass").await;
            let cred = json!({
                "kind": "bearer",
                "access_token": tokens["access_token"],
                "refresh_token": tokens["refresh_token"],
                "expires_in": tokens["expires_in"],
            });
            let wait = json!({"action": "wait", "seconds": BRIEF_TOKEN_S + 2});
            let steps = vec![
                (act("connect"), ok()),
                (act("own_info"), ok_value(json!("brief@example.com"))),
                (wait, ok()),
                (act("own_info"), ok_value(json!("brief@example.com"))),
            ];
            check("bearer and refresh token", lang, rotating, false, cred, steps).await;
        }
    })
    .await;
}

/// A password grant at the provider's token endpoint (client `weaviate`, with a refresh token).
async fn password_tokens(idp: &MockIdp, username: &str, password: &str) -> Value {
    let resp = reqwest::Client::new()
        .post(format!("{}/token", idp.issuer_url()))
        .form(&[
            ("grant_type", "password"),
            ("client_id", "weaviate"),
            ("username", username),
            ("password", password),
            ("scope", "openid offline_access"),
        ])
        .send()
        .await
        .expect("the provider answers the token request");
    assert_eq!(resp.status(), 200, "password grant for {username}");
    resp.json().await.expect("a JSON token response")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_real_login_requests_grant_client_authentication_and_scope() {
    login_requests(Kind::Real).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_embedded_login_requests_grant_client_authentication_and_scope() {
    login_requests(Kind::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_real_go_and_java_refresh_past_expiry_rotating_and_kept_refresh_tokens() {
    refresh_cases(Kind::Real).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_embedded_go_and_java_refresh_past_expiry_rotating_and_kept_refresh_tokens() {
    refresh_cases(Kind::Embedded).await;
}
