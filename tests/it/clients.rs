//! The official Weaviate clients (Python v4, TypeScript v3, Go v5, Java v5) against two targets
//! with the in-process mock provider: the real `weaviate-server` and the emulation
//! (`weaviate_auth_emu::EmbeddedWeaviate`). What each client reports per auth case is recorded in
//! `crates/conformance/drivers/OBSERVED.md`; one case table (`api_key_cases`, `oidc_cases`,
//! `client_credentials_cases`, and the login and refresh cases of `logins`) is played against
//! both targets, so the emulation is held to the real server's outcomes. What each client's
//! expected results are lives in `expect`.
//!
//! The emulation runs in-process rather than as `oidc-harness weaviate`: the drivers are child
//! processes already, so a third process would add a ready-line protocol and a lifecycle to
//! manage without testing anything about the auth layer (the CLI has its own tests).
//!
//! The real target needs `weaviate-server` (env `WEAVIATE_BIN`, else `PATH`, else
//! `$HOME/go/bin`); both need each client's driver: the Python and Node packages
//! (`crates/conformance/drivers/install.sh`), Go and Java 11+ with Maven for the drivers the
//! suite compiles (`conformance::client::build`). Whatever is missing is reported as
//! `skipped: <reason>` (under `CI=true`, where `.ci/run` installs everything, a failure:
//! `conformance::skip::missing`); a client that is present is always checked.

mod expect;
mod logins;

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use conformance::client::Lang;
use mock_idp::MockIdp;
use serde_json::{json, Value};
use weaviate_auth_emu::EmbeddedWeaviate;

use expect::{act, connect_unauthenticated, err, grpc_without_token, ok, ok_value, read_only, rest_error, write_then_read, Outcome};

/// How long one driver run may take (connect, a few calls, and Python's version lookup).
const DRIVER_DEADLINE: Duration = Duration::from_secs(90);
/// How long Weaviate may take to answer ready (5-10 s on 2 cores; parallel tests share them).
const READY_DEADLINE: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_millis(100);

/// `WEAVIATE_BIN`, else `weaviate-server` on `PATH`, else `$HOME/go/bin/weaviate-server`.
pub(crate) fn weaviate_bin() -> Result<PathBuf, String> {
    if let Some(bin) = std::env::var_os("WEAVIATE_BIN") {
        let bin = PathBuf::from(bin);
        return if bin.is_file() {
            Ok(bin)
        } else {
            Err(format!("WEAVIATE_BIN={} is not a file", bin.display()))
        };
    }
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join("weaviate-server")).collect::<Vec<_>>())
        .unwrap_or_default();
    let in_home = std::env::var_os("HOME").map(|h| PathBuf::from(h).join("go/bin/weaviate-server"));
    on_path
        .into_iter()
        .chain(in_home)
        .find(|p| p.is_file())
        .ok_or_else(|| "weaviate-server not found (WEAVIATE_BIN, PATH, $HOME/go/bin)".to_string())
}

/// The clients that can run here; prints `skipped: ...` for the others (under `CI=true`, where
/// `.ci/run` installs them all, a failure). `None`: skip the test.
async fn available_clients() -> Option<Vec<Lang>> {
    let mut langs = Vec::new();
    for lang in Lang::ALL {
        match lang.driver().await {
            Ok(_) => langs.push(lang),
            Err(why) => conformance::skip::missing(&why),
        }
    }
    if langs.is_empty() {
        conformance::skip::missing("no client driver can run");
        return None;
    }
    Some(langs)
}

/// Which server the clients talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `weaviate-server` v1.38.11 as a child process.
    Real,
    /// The emulation, in this process.
    Embedded,
}

/// The clients that can run here and what the target needs; `None`: skip the test.
pub(crate) async fn prerequisites(kind: Kind) -> Option<(Option<PathBuf>, Vec<Lang>)> {
    let bin = match kind {
        Kind::Embedded => None,
        Kind::Real => match weaviate_bin() {
            Ok(bin) => Some(bin),
            Err(why) => {
                conformance::skip::missing(&why);
                return None;
            }
        },
    };
    available_clients().await.map(|langs| (bin, langs))
}

/// A running target: the real server or the emulation; stopped on drop.
pub(crate) enum Target {
    Real(Weaviate),
    Embedded(EmbeddedWeaviate),
}

impl Target {
    /// Starts the target with `auth_env` (Weaviate's variables).
    pub(crate) async fn start(bin: Option<&Path>, auth_env: &[(&str, String)]) -> Target {
        match bin {
            Some(bin) => Target::Real(Weaviate::start(bin, auth_env).await),
            None => {
                let weaviate = EmbeddedWeaviate::builder()
                    .envs(auth_env.iter().map(|(k, v)| (k.to_string(), v.clone())))
                    .start()
                    .await
                    .unwrap_or_else(|e| panic!("the emulation refused to start: {e}"));
                Target::Embedded(weaviate)
            }
        }
    }

    /// The REST base URL, e.g. `http://127.0.0.1:8080`.
    pub(crate) fn rest_url(&self) -> String {
        match self {
            Target::Real(w) => format!("http://{}", w.rest),
            Target::Embedded(w) => w.rest_url(),
        }
    }

    /// The driver's `connection` object (init timeout 10 s).
    pub(crate) fn connection(&self, skip_init_checks: bool) -> Value {
        self.connection_with(skip_init_checks, 10)
    }

    /// The driver's `connection` object with an init timeout of `init_s` seconds.
    pub(crate) fn connection_with(&self, skip_init_checks: bool, init_s: u64) -> Value {
        let (rest, grpc) = match self {
            Target::Real(w) => (w.rest, w.grpc),
            Target::Embedded(w) => (w.addr(), w.grpc_addr()),
        };
        json!({
            "rest_url": format!("http://{rest}"),
            "grpc": grpc.to_string(),
            "skip_init_checks": skip_init_checks,
            "timeouts": {"init": init_s, "query": 30, "insert": 60},
        })
    }
}

/// A port the OS handed out, released just before Weaviate binds it (a child process cannot
/// inherit our listener). `pair` also holds the next port, which Weaviate derives itself.
fn os_port(pair: bool) -> u16 {
    loop {
        let first = TcpListener::bind("127.0.0.1:0").expect("could not bind a local port");
        let port = first.local_addr().expect("bound listener has an address").port();
        if !pair {
            return port;
        }
        if port < u16::MAX && TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
}

/// A real `weaviate-server` child process with its own data directory; killed on drop.
pub(crate) struct Weaviate {
    child: Child,
    data_dir: PathBuf,
    log: PathBuf,
    rest: SocketAddr,
    grpc: SocketAddr,
}

impl Drop for Weaviate {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

impl Weaviate {
    /// Starts the server with the appendix environment of weaviate-auth.md plus `auth_env`,
    /// and waits for `/v1/.well-known/ready` to answer 200.
    async fn start(bin: &Path, auth_env: &[(&str, String)]) -> Weaviate {
        let unique = format!(
            "oidc-harness-clients-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        );
        let data_dir = std::env::temp_dir().join(unique);
        std::fs::create_dir_all(&data_dir).expect("could not create a data directory for Weaviate");
        let log = data_dir.join("weaviate.log");
        let log_file = std::fs::File::create(&log).expect("could not create Weaviate's log file");
        let (rest_port, grpc_port) = (os_port(false), os_port(false));
        let (gossip, raft) = (os_port(true), os_port(true));
        let ports = conformance::target::ServerPorts {
            rest: rest_port,
            grpc: grpc_port,
            gossip,
            raft,
        };
        let mut cmd = conformance::target::server_command(bin, &data_dir.join("data"), ports);
        cmd.stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("could not share the log file"))
            .stderr(log_file);
        for (k, v) in auth_env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("could not spawn weaviate-server");
        let mut server = Weaviate {
            child,
            data_dir,
            log,
            rest: SocketAddr::from(([127, 0, 0, 1], rest_port)),
            grpc: SocketAddr::from(([127, 0, 0, 1], grpc_port)),
        };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&mut self) {
        let http = reqwest::Client::new();
        let url = format!("http://{}/v1/.well-known/ready", self.rest);
        let deadline = Instant::now() + READY_DEADLINE;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("weaviate-server exited with {status} before ready; log:\n{}", self.log_tail());
            }
            if let Ok(resp) = http.get(&url).timeout(Duration::from_secs(2)).send().await {
                if resp.status() == 200 {
                    return;
                }
            }
            if Instant::now() > deadline {
                panic!("weaviate-server not ready within {READY_DEADLINE:?}; log:\n{}", self.log_tail());
            }
            tokio::time::sleep(POLL).await;
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let start = text.len().saturating_sub(3000);
        text.get(start..).unwrap_or_default().to_string()
    }
}

/// Runs one driver on one input document and returns its `results` array.
pub(crate) async fn drive(lang: Lang, input: &Value) -> Vec<Value> {
    let command = lang
        .driver()
        .await
        .unwrap_or_else(|why| panic!("the {} driver ran a moment ago, now: {why}", lang.name()));
    let doc = conformance::client::run_driver(lang, command, input, DRIVER_DEADLINE)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    doc["results"].as_array().cloned().unwrap_or_default()
}

/// Plays `actions` with `credential` on `lang` and checks each result against `expected`.
pub(crate) async fn check(case: &str, lang: Lang, server: &Target, skip: bool, credential: Value, steps: Vec<(Value, Outcome)>) {
    check_on(case, lang, server.connection(skip), credential, steps).await;
}

/// `check` with the driver's `connection` object as given.
pub(crate) async fn check_on(case: &str, lang: Lang, connection: Value, credential: Value, steps: Vec<(Value, Outcome)>) {
    let actions: Vec<Value> = steps.iter().map(|(a, _)| a.clone()).collect();
    let input = json!({"connection": connection, "credential": credential, "actions": actions});
    let results = drive(lang, &input).await;
    assert_eq!(results.len(), steps.len(), "{case} {lang:?}: one result per action: {results:#?}");
    for ((action, want), got) in steps.iter().zip(&results) {
        let at = format!("{case} {lang:?} {}: {got:#}", action["action"]);
        assert_eq!(got["action"], action["action"], "{at}");
        assert_eq!(got["ok"], json!(want.ok), "{at}");
        assert_eq!(got["error_class"], json!(want.class), "{at}");
        if !want.ok {
            assert_eq!(got["status"], json!(want.status), "{at}");
        }
        if let Some(fragment) = &want.message {
            let message = got["message"].as_str().unwrap_or_default();
            assert!(message.contains(fragment.as_str()), "{at}\nmessage lacks: {fragment}");
        }
        if let Some(value) = &want.value {
            assert_eq!(&got["value"], value, "{at}");
        }
    }
}

/// Runs the same case on every available client at once.
pub(crate) async fn on_clients<F, Fut>(langs: &[Lang], f: F)
where
    F: Fn(Lang) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    join_all(langs.iter().map(|&lang| f(lang)).collect()).await;
}

/// Awaits every future at once (halves joined with `tokio::join!`).
fn join_all<'a, F>(mut runs: Vec<F>) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + 'a>>
where
    F: std::future::Future<Output = ()> + 'a,
{
    Box::pin(async move {
        match runs.len() {
            0 => {}
            1 => {
                if let Some(only) = runs.pop() {
                    only.await;
                }
            }
            n => {
                let rest = runs.split_off(n / 2);
                tokio::join!(join_all(runs), join_all(rest));
            }
        }
    })
}

pub(crate) fn admin_list_env() -> Vec<(&'static str, String)> {
    vec![
        ("AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED", "false".into()),
        ("AUTHENTICATION_APIKEY_ENABLED", "true".into()),
        ("AUTHENTICATION_APIKEY_ALLOWED_KEYS", "admin-key,ro-key".into()),
        ("AUTHENTICATION_APIKEY_USERS", "admin-user,ro-user".into()),
        ("AUTHORIZATION_ADMINLIST_ENABLED", "true".into()),
        ("AUTHORIZATION_ADMINLIST_USERS", "admin-user".into()),
        ("AUTHORIZATION_ADMINLIST_READONLY_USERS", "ro-user".into()),
    ]
}

pub(crate) fn oidc_env(issuer: &str, client_id: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED", "false".into()),
        ("AUTHENTICATION_OIDC_ENABLED", "true".into()),
        ("AUTHENTICATION_OIDC_ISSUER", issuer.into()),
        ("AUTHENTICATION_OIDC_CLIENT_ID", client_id.into()),
        ("AUTHENTICATION_OIDC_USERNAME_CLAIM", "email".into()),
        ("AUTHENTICATION_OIDC_GROUPS_CLAIM", "groups".into()),
        ("AUTHORIZATION_ADMINLIST_ENABLED", "true".into()),
        ("AUTHORIZATION_ADMINLIST_USERS", "admin@example.com,ci-runner@example.com".into()),
        ("AUTHORIZATION_ADMINLIST_READONLY_USERS", "viewer@example.com".into()),
    ]
}

/// Static API keys: the admin writes, the read-only key reads and is denied writes, a wrong key
/// fails at connect (Python, TypeScript) or at the first call (Go, Java), and, with init checks
/// skipped, on each call.
async fn api_key_cases(kind: Kind) {
    let Some((bin, langs)) = prerequisites(kind).await else { return };
    let server = Target::start(bin.as_deref(), &admin_list_env()).await;

    on_clients(&langs, |lang| {
        let steps = write_then_read(lang, "Books", "admin-user", false);
        check(
            "admin api key",
            lang,
            &server,
            false,
            json!({"kind": "api_key", "key": "admin-key"}),
            steps,
        )
    })
    .await;
    on_clients(&langs, |lang| {
        let steps = read_only(lang, "Books", "ro-user", "", false);
        check(
            "read-only api key",
            lang,
            &server,
            false,
            json!({"kind": "api_key", "key": "ro-key"}),
            steps,
        )
    })
    .await;
    // The same request succeeds with the right key (above); here only the key is wrong.
    on_clients(&langs, |lang| {
        let meta = match lang {
            Lang::Python | Lang::Typescript => err("DriverNotConnected", None, "no successful connect"),
            Lang::Go | Lang::Java => rest_error(lang, 401, "unauthorized: invalid api key"),
        };
        let steps = vec![
            (act("connect"), connect_unauthenticated(lang, "unauthorized: invalid api key")),
            (act("meta"), meta),
        ];
        check(
            "wrong api key",
            lang,
            &server,
            false,
            json!({"kind": "api_key", "key": "wrong-key"}),
            steps,
        )
    })
    .await;
    // With init checks skipped, Python still calls /v1/meta at connect; TypeScript, Go and Java
    // connect without traffic and each later call fails on its own (gRPC: UNKNOWN "extract
    // auth: ..."). Go and Java behave so with or without init checks.
    on_clients(&langs, |lang| {
        let c = format!("Books{}", lang.suffix());
        let query = json!({"action": "query", "collection": c});
        let grpc_denied = "extract auth: unauthorized: invalid api key";
        let steps = match lang {
            Lang::Python => vec![(act("connect"), connect_unauthenticated(lang, "unauthorized: invalid api key"))],
            Lang::Typescript => vec![
                (act("connect"), ok()),
                (
                    act("meta"),
                    err(
                        "WeaviateUnauthenticatedError",
                        None,
                        r#"Unauthenticated: {"code":401,"message":"unauthorized: invalid api key"}"#,
                    ),
                ),
                (query, err("WeaviateQueryError", None, &format!("UNKNOWN: {grpc_denied}"))),
                (act("is_ready"), ok_value(json!(true))),
            ],
            Lang::Go => vec![
                (act("connect"), ok()),
                (act("meta"), rest_error(lang, 401, "unauthorized: invalid api key")),
                (
                    query,
                    err("*status.Error", Some(2), &format!("rpc error: code = Unknown desc = {grpc_denied}")),
                ),
                (
                    json!({"action": "batch_insert", "collection": c, "n": 1}),
                    err(
                        "*fmt.wrapError",
                        Some(2),
                        &format!("batch objects: rpc error: code = Unknown desc = {grpc_denied}"),
                    ),
                ),
                (act("is_ready"), ok_value(json!(true))),
            ],
            Lang::Java => vec![
                (act("connect"), ok()),
                (act("meta"), rest_error(lang, 401, "unauthorized: invalid api key")),
                (query, err("StatusRuntimeException", Some(2), &format!("UNKNOWN: {grpc_denied}"))),
                (
                    json!({"action": "batch_insert", "collection": c, "n": 1}),
                    err("StatusRuntimeException", Some(2), &format!("UNKNOWN: {grpc_denied}")),
                ),
                (act("is_ready"), ok_value(json!(true))),
            ],
        };
        check(
            "wrong api key, init checks skipped",
            lang,
            &server,
            true,
            json!({"kind": "api_key", "key": "wrong-key"}),
            steps,
        )
    })
    .await;
}

/// OIDC through the provider: password logins (admin, viewer, wrong password), a minted bearer
/// token, an expired one, and no credentials at all.
async fn oidc_cases(kind: Kind) {
    let Some((bin, langs)) = prerequisites(kind).await else { return };
    let idp = MockIdp::start().await;
    let issuer = idp.issuer_url();
    let server = Target::start(bin.as_deref(), &oidc_env(&issuer, "weaviate")).await;

    // A Weaviate Cloud style login: Weaviate's discovery, the provider's, then the token POST.
    on_clients(&langs, |lang| {
        let steps = write_then_read(lang, "Notes", "admin@example.com", true);
        let cred = json!({"kind": "password", "username": "admin", "password": "admin-pass"});
        check("password admin", lang, &server, false, cred, steps)
    })
    .await;
    on_clients(&langs, |lang| {
        let steps = read_only(lang, "Notes", "viewer@example.com", " (of group 'viewers')", true);
        let cred = json!({"kind": "password", "username": "viewer", "password": "viewer-pass"});
        check("password viewer", lang, &server, false, cred, steps)
    })
    .await;
    on_clients(&langs, |lang| {
        let outcome = match lang {
            Lang::Python => err("OAuthError", None, "invalid_grant: Invalid user credentials"),
            Lang::Typescript => err(
                "WeaviateStartUpError",
                None,
                r#"failed to refresh access token: WeaviateUnexpectedStatusCodeError: The request to Weaviate failed with status code: 400 and message: {"error":"invalid_grant","error_description":"Invalid user credentials"}"#,
            ),
            Lang::Go => err("*oauth2.RetrieveError", Some(400), r#"oauth2: "invalid_grant" "Invalid user credentials""#),
            Lang::Java => err("AuthException", None, "Invalid user credentials"),
        };
        let steps = vec![(act("connect"), outcome)];
        let cred = json!({"kind": "password", "username": "admin", "password": "wrong-pass"});
        check("wrong password", lang, &server, false, cred, steps)
    })
    .await;

    let token = mint(&issuer, json!({"user": "admin"})).await;
    on_clients(&langs, |lang| {
        let c = format!("Minted{}", lang.suffix());
        let go = lang == Lang::Go;
        let steps = vec![
            (act("connect"), ok()),
            (act("own_info"), ok_value(json!("admin@example.com"))),
            (json!({"action": "create_collection", "name": c}), ok()),
            (
                json!({"action": "batch_insert", "collection": c, "n": 2}),
                if go { grpc_without_token(true) } else { ok_value(json!(2)) },
            ),
            (
                json!({"action": "query", "collection": c}),
                if go { grpc_without_token(false) } else { ok_value(json!(2)) },
            ),
            (json!({"action": "delete_collection", "name": c}), ok()),
        ];
        let cred = json!({"kind": "bearer", "access_token": token, "expires_in": 300});
        check("minted bearer token", lang, &server, false, cred, steps)
    })
    .await;

    let expired = mint(&issuer, json!({"preset": "expired"})).await;
    on_clients(&langs, |lang| {
        let message = "unauthorized: oidc: token is expired (Token Expiry: 20";
        let mut steps = vec![(act("connect"), connect_unauthenticated(lang, message))];
        if matches!(lang, Lang::Go | Lang::Java) {
            steps.push((act("own_info"), rest_error(lang, 401, message)));
        }
        let cred = json!({"kind": "bearer", "access_token": expired, "expires_in": 60});
        check("expired bearer token", lang, &server, false, cred, steps)
    })
    .await;

    on_clients(&langs, |lang| {
        let anonymous = "anonymous access not enabled. Please authenticate through one of the available methods: [OIDC]";
        let steps = match lang {
            Lang::Python => vec![(
                act("connect"),
                err("AuthenticationFailedError", None, "No login credentials provided."),
            )],
            Lang::Typescript => vec![(
                act("connect"),
                err(
                    "WeaviateStartUpError",
                    None,
                    &format!(r#"Unauthenticated: {{"code":401,"message":"{anonymous}"}}"#),
                ),
            )],
            // Without credentials neither reads Weaviate's OIDC configuration: the first call is
            // refused.
            Lang::Go | Lang::Java => vec![(act("connect"), ok()), (act("meta"), rest_error(lang, 401, anonymous))],
        };
        check("no credentials", lang, &server, false, json!({"kind": "none"}), steps)
    })
    .await;
}

/// OIDC client credentials of the confidential `ci-runner` client, without scope, wrong secret.
async fn client_credentials_cases(kind: Kind) {
    let Some((bin, langs)) = prerequisites(kind).await else { return };
    let idp = MockIdp::start().await;
    // Client credentials send the secret with Weaviate's clientId, so that must be ci-runner.
    let server = Target::start(bin.as_deref(), &oidc_env(&idp.issuer_url(), "ci-runner")).await;

    on_clients(&langs, |lang| {
        let c = format!("Ci{}", lang.suffix());
        let go = lang == Lang::Go;
        let steps = vec![
            (act("connect"), ok()),
            (act("own_info"), ok_value(json!("ci-runner@example.com"))),
            (json!({"action": "create_collection", "name": c}), ok()),
            (
                json!({"action": "batch_insert", "collection": c, "n": 2}),
                if go { grpc_without_token(true) } else { ok_value(json!(2)) },
            ),
            (
                json!({"action": "query", "collection": c}),
                if go { grpc_without_token(false) } else { ok_value(json!(2)) },
            ),
            (json!({"action": "delete_collection", "name": c}), ok()),
        ];
        let cred = json!({"kind": "client_credentials", "client_secret": "ci-runner-secret", "scopes": ["openid"]});
        check("client credentials", lang, &server, false, cred, steps)
    })
    .await;
    // No scope anywhere (Weaviate advertises none): Python refuses before any request; the
    // others send no scope and the provider grants the client's default.
    on_clients(&langs, |lang| {
        let steps = match lang {
            Lang::Python => vec![(act("connect"), err("MissingScopeError", None, ""))],
            Lang::Typescript | Lang::Go | Lang::Java => {
                vec![(act("connect"), ok()), (act("own_info"), ok_value(json!("ci-runner@example.com")))]
            }
        };
        let cred = json!({"kind": "client_credentials", "client_secret": "ci-runner-secret"});
        check("client credentials without scope", lang, &server, false, cred, steps)
    })
    .await;
    // Go asks for its token lazily, from the readiness wait of its init checks, which then runs
    // out (2 s here): its error names neither the provider nor its answer (that is only logged).
    on_clients(&langs, |lang| {
        let outcome = match lang {
            Lang::Python => err("OAuthError", None, "invalid_client: client authentication failed"),
            Lang::Typescript => err(
                "WeaviateStartUpError",
                None,
                r#"failed to refresh access token: WeaviateUnauthenticatedError: Unauthenticated: {"error":"invalid_client","error_description":"client authentication failed"}"#,
            ),
            Lang::Go => err("*errors.errorString", None, "weaviate did not start up in 2s."),
            Lang::Java => err("AuthException", None, "client authentication failed"),
        };
        let steps = vec![(act("connect"), outcome)];
        let cred = json!({"kind": "client_credentials", "client_secret": "wrong-secret", "scopes": ["openid"]});
        check_on("wrong client secret", lang, server.connection_with(false, 2), cred, steps)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_real_api_keys_admin_writes_read_only_is_denied_writes_wrong_key_fails() {
    api_key_cases(Kind::Real).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_embedded_api_keys_admin_writes_read_only_is_denied_writes_wrong_key_fails() {
    api_key_cases(Kind::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_real_oidc_password_bearer_expired_and_no_credentials() {
    oidc_cases(Kind::Real).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_embedded_oidc_password_bearer_expired_and_no_credentials() {
    oidc_cases(Kind::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_real_oidc_client_credentials_of_the_ci_runner() {
    client_credentials_cases(Kind::Real).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_embedded_oidc_client_credentials_of_the_ci_runner() {
    client_credentials_cases(Kind::Embedded).await;
}

/// Mints tokens through the provider's control API and returns the access token.
async fn mint(issuer: &str, body: Value) -> String {
    let resp = reqwest::Client::new()
        .post(format!("{issuer}/_mock/mint"))
        .json(&body)
        .send()
        .await
        .expect("the mock provider answers _mock/mint");
    assert_eq!(resp.status(), 200, "_mock/mint with {body}");
    let doc: Value = resp.json().await.expect("_mock/mint answers JSON");
    doc["access_token"]
        .as_str()
        .expect("_mock/mint returns an access_token")
        .to_string()
}
