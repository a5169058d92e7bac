//! The official Weaviate clients (Python v4, TypeScript v3) against two targets with the
//! in-process mock provider: the real `weaviate-server` and the emulation
//! (`weaviate_auth_emu::EmbeddedWeaviate`). What each client reports per auth case is recorded in
//! `crates/conformance/drivers/OBSERVED.md`; one case table (`api_key_cases`, `oidc_cases`,
//! `client_credentials_cases`) is played against both targets, so the emulation is held to the
//! real server's outcomes.
//!
//! The emulation runs in-process rather than as `oidc-harness weaviate`: the drivers are child
//! processes already, so a third process would add a ready-line protocol and a lifecycle to
//! manage without testing anything about the auth layer (the CLI has its own tests).
//!
//! The real target needs `weaviate-server` (env `WEAVIATE_BIN`, else `PATH`, else
//! `$HOME/go/bin`); both need each client's driver packages
//! (`crates/conformance/drivers/install.sh`). Whatever is missing is reported as
//! `skipped: <reason>` (under `CI=true`, where `.ci/run` installs them, a failure:
//! `conformance::skip::missing`); a client that is present is always checked.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mock_idp::MockIdp;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use weaviate_auth_emu::EmbeddedWeaviate;

/// How long one driver run may take (connect, a few calls, and Python's version lookup).
const DRIVER_DEADLINE: Duration = Duration::from_secs(90);
/// How long Weaviate may take to answer ready (5-10 s on 2 cores; parallel tests share them).
const READY_DEADLINE: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_millis(100);

fn drivers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/conformance/drivers")
}

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

/// The two client drivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Py,
    Ts,
}

impl Lang {
    fn suffix(self) -> &'static str {
        match self {
            Lang::Py => "Py",
            Lang::Ts => "Ts",
        }
    }

    fn command(self) -> Command {
        match self {
            Lang::Py => {
                let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
                let mut c = Command::new(python);
                c.arg(drivers_dir().join("weaviate_py.py"));
                c
            }
            Lang::Ts => {
                let mut c = Command::new("node");
                c.arg(drivers_dir().join("weaviate_ts.mjs"));
                c
            }
        }
    }

    /// Whether this client's driver can run here; the reason when it cannot.
    fn available(self) -> Result<(), String> {
        let probe = match self {
            Lang::Py => {
                let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
                Command::new(python).args(["-c", "import weaviate"]).output()
            }
            Lang::Ts => {
                if !drivers_dir().join("node_modules/weaviate-client").is_dir() {
                    return Err("TypeScript client: node_modules missing (run drivers/install.sh)".into());
                }
                Command::new("node").arg("--version").output()
            }
        };
        match probe {
            Ok(out) if out.status.success() => Ok(()),
            Ok(_) if self == Lang::Py => Err("Python client: package weaviate missing (run drivers/install.sh)".into()),
            Ok(_) => Err("TypeScript client: node does not run".into()),
            Err(e) => Err(format!("{self:?} client: interpreter not found: {e}")),
        }
    }
}

/// The clients that can run here; the others are skipped (a failure under `CI=true`, where
/// `.ci/run` installs both). `None`: skip the test.
fn available_clients() -> Option<Vec<Lang>> {
    let mut langs = Vec::new();
    for lang in [Lang::Py, Lang::Ts] {
        match lang.available() {
            Ok(()) => langs.push(lang),
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
fn prerequisites(kind: Kind) -> Option<(Option<PathBuf>, Vec<Lang>)> {
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
    available_clients().map(|langs| (bin, langs))
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

    /// The driver's `connection` object.
    fn connection(&self, skip_init_checks: bool) -> Value {
        let (rest, grpc) = match self {
            Target::Real(w) => (w.rest, w.grpc),
            Target::Embedded(w) => (w.addr(), w.grpc_addr()),
        };
        json!({
            "rest_url": format!("http://{rest}"),
            "grpc": grpc.to_string(),
            "skip_init_checks": skip_init_checks,
            "timeouts": {"init": 10, "query": 30, "insert": 60},
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
async fn drive(lang: Lang, input: &Value) -> Vec<Value> {
    let mut cmd = tokio::process::Command::from(lang.command());
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("could not start the {lang:?} driver: {e}"));
    let mut stdin = child.stdin.take().expect("driver stdin is piped");
    stdin
        .write_all(input.to_string().as_bytes())
        .await
        .expect("could not write the driver's input");
    drop(stdin);
    let out = tokio::time::timeout(DRIVER_DEADLINE, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("the {lang:?} driver did not finish within {DRIVER_DEADLINE:?}"))
        .expect("could not wait for the driver");
    assert!(
        out.status.success(),
        "the {lang:?} driver exited with {}; stderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "the {lang:?} driver printed no JSON document ({e}); stdout:\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    doc["results"].as_array().cloned().unwrap_or_default()
}

/// What one action must report: `ok`, the error class, the status, and a message fragment.
#[derive(Debug, Clone)]
struct Outcome {
    ok: bool,
    class: Option<&'static str>,
    status: Option<i64>,
    message: Option<String>,
    value: Option<Value>,
}

fn ok() -> Outcome {
    Outcome {
        ok: true,
        class: None,
        status: None,
        message: None,
        value: None,
    }
}

fn ok_value(v: Value) -> Outcome {
    Outcome { value: Some(v), ..ok() }
}

fn err(class: &'static str, status: Option<i64>, message: &str) -> Outcome {
    Outcome {
        ok: false,
        class: Some(class),
        status,
        message: Some(message.to_string()),
        value: None,
    }
}

/// Plays `actions` with `credential` on `lang` and checks each result against `expected`.
async fn check(case: &str, lang: Lang, server: &Target, skip: bool, credential: Value, steps: Vec<(Value, Outcome)>) {
    let actions: Vec<Value> = steps.iter().map(|(a, _)| a.clone()).collect();
    let input = json!({"connection": server.connection(skip), "credential": credential, "actions": actions});
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

fn act(name: &str) -> Value {
    json!({"action": name})
}

/// Runs the same case on every available client at once.
async fn on_clients<F, Fut>(langs: &[Lang], f: F)
where
    F: Fn(Lang) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut runs: Vec<Fut> = langs.iter().map(|&lang| f(lang)).collect();
    match (runs.pop(), runs.pop()) {
        (Some(second), Some(first)) => {
            tokio::join!(first, second);
        }
        (Some(only), None) => only.await,
        _ => {}
    }
}

fn admin_list_env() -> Vec<(&'static str, String)> {
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

fn oidc_env(issuer: &str, client_id: &str) -> Vec<(&'static str, String)> {
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

/// Per client: the class a read-only user's `insert_many` reports. Python raises when every
/// object failed; TypeScript returns per-object errors (the driver's synthetic class).
fn all_failed_batch(lang: Lang) -> &'static str {
    match lang {
        Lang::Py => "WeaviateInsertManyAllFailedError",
        Lang::Ts => "BatchObjectErrors",
    }
}

/// Per client: the class and status of a 403 on REST.
fn forbidden(lang: Lang, message: &str) -> Outcome {
    match lang {
        Lang::Py => err("InsufficientPermissionsError", Some(403), message),
        Lang::Ts => err("WeaviateInsufficientPermissionsError", Some(403), message),
    }
}

/// Per client: a 401 from `/v1/meta` at connect, whose Weaviate `message` starts with `message`.
fn connect_unauthenticated(lang: Lang, message: &str) -> Outcome {
    match lang {
        Lang::Py => err("UnexpectedStatusCodeError", Some(401), &format!("'message': '{message}")),
        Lang::Ts => err(
            "WeaviateStartUpError",
            None,
            &format!(r#"Unauthenticated: {{"code":401,"message":"{message}"#),
        ),
    }
}

/// Admin writes and reads, the read-only user reads and is denied every write, the full
/// sequence of one client's user; collection names carry the client so both run at once.
fn write_then_read(lang: Lang, collection: &str, user: &str) -> Vec<(Value, Outcome)> {
    let c = format!("{collection}{}", lang.suffix());
    let mut steps = vec![
        (act("connect"), ok()),
        (act("is_ready"), ok_value(json!(true))),
        (act("meta"), ok_value(json!("1.38.11"))),
        (act("own_info"), ok_value(json!(user))),
        (json!({"action": "create_collection", "name": c}), ok()),
        (json!({"action": "insert", "collection": c, "properties": {"title": "one"}}), ok()),
        (json!({"action": "query", "collection": c}), ok_value(json!(1))),
        (json!({"action": "batch_insert", "collection": c, "n": 3}), ok_value(json!(3))),
        (json!({"action": "query", "collection": c}), ok_value(json!(4))),
        (json!({"action": "fetch", "collection": c}), ok_value(stored_properties())),
        (json!({"action": "count", "collection": c}), ok_value(json!(4))),
    ];
    if lang == Lang::Py {
        // `collection.batch.dynamic()` (gRPC `BatchObjects` on v1.38, as `insert_many`).
        let dynamic = format!("{c}Dyn");
        steps.extend([
            (
                json!({"action": "batch_dynamic", "collection": dynamic, "n": 3}),
                ok_value(json!(3)),
            ),
            (json!({"action": "count", "collection": dynamic}), ok_value(json!(3))),
        ]);
    }
    steps
}

/// What `write_then_read` stored: one insert and a batch of three (`{"n": i}`).
fn stored_properties() -> Value {
    json!([{"n": 0}, {"n": 1}, {"n": 2}, {"title": "one"}])
}

fn read_only(lang: Lang, collection: &str, user: &str, group: &str) -> Vec<(Value, Outcome)> {
    let c = format!("{collection}{}", lang.suffix());
    let who = format!("user '{user}'{group} has insufficient permissions to");
    let mut steps = vec![
        (act("connect"), ok()),
        (act("own_info"), ok_value(json!(user))),
        (json!({"action": "query", "collection": c}), ok_value(json!(4))),
        (json!({"action": "fetch", "collection": c}), ok_value(stored_properties())),
        (json!({"action": "count", "collection": c}), ok_value(json!(4))),
        (
            json!({"action": "create_collection", "name": format!("{c}Denied")}),
            forbidden(
                lang,
                &format!("adminlist: authorization, forbidden action: {who} C [schema/collections/{c}Denied/shards/#]"),
            ),
        ),
        (
            json!({"action": "insert", "collection": c, "properties": {"title": "two"}}),
            forbidden(lang, &format!("{who} C [data/collections/{c}/shards/*/objects/*]")),
        ),
        (
            json!({"action": "batch_insert", "collection": c, "n": 2}),
            err(
                all_failed_batch(lang),
                None,
                &format!("{who} U [data/collections/{c}/shards/*/objects/*]"),
            ),
        ),
        (
            json!({"action": "delete_collection", "name": c}),
            forbidden(lang, &format!("{who} D [schema/collections/{c}/shards/#]")),
        ),
    ];
    if lang == Lang::Py {
        // `batch.dynamic()` reads the class's `vectorIndexConfig` first, then every object of
        // the `BatchObjects` call fails with the denial (recorded on v1.38.11).
        steps.push((
            json!({"action": "batch_dynamic", "collection": c, "n": 2}),
            err(
                "BatchObjectErrors",
                None,
                &format!("WeaviateInsertManyAllFailedError(\"Every object failed during insertion. Here is the set of all errors: adminlist: authorization, forbidden action: {who} U [data/collections/{c}/shards/*/objects/*]"),
            ),
        ));
    }
    steps
}

/// Static API keys: the admin writes, the read-only key reads and is denied writes, a wrong key
/// fails at connect (and, with init checks skipped, on each call).
async fn api_key_cases(kind: Kind) {
    let Some((bin, langs)) = prerequisites(kind) else { return };
    let server = Target::start(bin.as_deref(), &admin_list_env()).await;

    on_clients(&langs, |lang| {
        let steps = write_then_read(lang, "Books", "admin-user");
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
        let steps = read_only(lang, "Books", "ro-user", "");
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
        let steps = vec![
            (act("connect"), connect_unauthenticated(lang, "unauthorized: invalid api key")),
            (act("meta"), err("DriverNotConnected", None, "no successful connect")),
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
    // With init checks skipped, Python still calls /v1/meta at connect; TypeScript connects
    // without traffic and each later call fails on its own (gRPC: UNKNOWN "extract auth: ...").
    on_clients(&langs, |lang| {
        let c = format!("Books{}", lang.suffix());
        let steps = match lang {
            Lang::Py => vec![(act("connect"), connect_unauthenticated(lang, "unauthorized: invalid api key"))],
            Lang::Ts => vec![
                (act("connect"), ok()),
                (
                    act("meta"),
                    err(
                        "WeaviateUnauthenticatedError",
                        None,
                        r#"Unauthenticated: {"code":401,"message":"unauthorized: invalid api key"}"#,
                    ),
                ),
                (
                    json!({"action": "query", "collection": c}),
                    err("WeaviateQueryError", None, "UNKNOWN: extract auth: unauthorized: invalid api key"),
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
    let Some((bin, langs)) = prerequisites(kind) else { return };
    let idp = MockIdp::start().await;
    let issuer = idp.issuer_url();
    let server = Target::start(bin.as_deref(), &oidc_env(&issuer, "weaviate")).await;

    // A Weaviate Cloud style login: Weaviate's discovery, the provider's, then the token POST.
    on_clients(&langs, |lang| {
        let steps = write_then_read(lang, "Notes", "admin@example.com");
        let cred = json!({"kind": "password", "username": "admin", "password": "admin-pass"});
        check("password admin", lang, &server, false, cred, steps)
    })
    .await;
    on_clients(&langs, |lang| {
        let steps = read_only(lang, "Notes", "viewer@example.com", " (of group 'viewers')");
        let cred = json!({"kind": "password", "username": "viewer", "password": "viewer-pass"});
        check("password viewer", lang, &server, false, cred, steps)
    })
    .await;
    on_clients(&langs, |lang| {
        let outcome = match lang {
            Lang::Py => err("OAuthError", None, "invalid_grant: Invalid user credentials"),
            Lang::Ts => err(
                "WeaviateStartUpError",
                None,
                r#"failed to refresh access token: WeaviateUnexpectedStatusCodeError: The request to Weaviate failed with status code: 400 and message: {"error":"invalid_grant","error_description":"Invalid user credentials"}"#,
            ),
        };
        let steps = vec![(act("connect"), outcome)];
        let cred = json!({"kind": "password", "username": "admin", "password": "wrong-pass"});
        check("wrong password", lang, &server, false, cred, steps)
    })
    .await;

    let token = mint(&issuer, json!({"user": "admin"})).await;
    on_clients(&langs, |lang| {
        let c = format!("Minted{}", lang.suffix());
        let steps = vec![
            (act("connect"), ok()),
            (act("own_info"), ok_value(json!("admin@example.com"))),
            (json!({"action": "create_collection", "name": c}), ok()),
            (json!({"action": "batch_insert", "collection": c, "n": 2}), ok_value(json!(2))),
            (json!({"action": "query", "collection": c}), ok_value(json!(2))),
            (json!({"action": "delete_collection", "name": c}), ok()),
        ];
        let cred = json!({"kind": "bearer", "access_token": token, "expires_in": 300});
        check("minted bearer token", lang, &server, false, cred, steps)
    })
    .await;

    let expired = mint(&issuer, json!({"preset": "expired"})).await;
    on_clients(&langs, |lang| {
        let steps = vec![(
            act("connect"),
            connect_unauthenticated(lang, "unauthorized: oidc: token is expired (Token Expiry: 20"),
        )];
        let cred = json!({"kind": "bearer", "access_token": expired, "expires_in": 60});
        check("expired bearer token", lang, &server, false, cred, steps)
    })
    .await;

    on_clients(&langs, |lang| {
        let outcome = match lang {
            Lang::Py => err("AuthenticationFailedError", None, "No login credentials provided."),
            Lang::Ts => err(
                "WeaviateStartUpError",
                None,
                r#"Unauthenticated: {"code":401,"message":"anonymous access not enabled. Please authenticate through one of the available methods: [OIDC]"}"#,
            ),
        };
        let steps = vec![(act("connect"), outcome)];
        check("no credentials", lang, &server, false, json!({"kind": "none"}), steps)
    })
    .await;
}

/// OIDC client credentials of the confidential `ci-runner` client, without scope, wrong secret.
async fn client_credentials_cases(kind: Kind) {
    let Some((bin, langs)) = prerequisites(kind) else { return };
    let idp = MockIdp::start().await;
    // Client credentials send the secret with Weaviate's clientId, so that must be ci-runner.
    let server = Target::start(bin.as_deref(), &oidc_env(&idp.issuer_url(), "ci-runner")).await;

    on_clients(&langs, |lang| {
        let c = format!("Ci{}", lang.suffix());
        let steps = vec![
            (act("connect"), ok()),
            (act("own_info"), ok_value(json!("ci-runner@example.com"))),
            (json!({"action": "create_collection", "name": c}), ok()),
            (json!({"action": "batch_insert", "collection": c, "n": 2}), ok_value(json!(2))),
            (json!({"action": "query", "collection": c}), ok_value(json!(2))),
            (json!({"action": "delete_collection", "name": c}), ok()),
        ];
        let cred = json!({"kind": "client_credentials", "client_secret": "ci-runner-secret", "scopes": ["openid"]});
        check("client credentials", lang, &server, false, cred, steps)
    })
    .await;
    // No scope anywhere (Weaviate advertises none): Python refuses before any request.
    on_clients(&langs, |lang| {
        let outcome = match lang {
            Lang::Py => err("MissingScopeError", None, ""),
            Lang::Ts => ok(),
        };
        let steps = vec![(act("connect"), outcome)];
        let cred = json!({"kind": "client_credentials", "client_secret": "ci-runner-secret"});
        check("client credentials without scope", lang, &server, false, cred, steps)
    })
    .await;
    on_clients(&langs, |lang| {
        let outcome = match lang {
            Lang::Py => err("OAuthError", None, "invalid_client: client authentication failed"),
            Lang::Ts => err(
                "WeaviateStartUpError",
                None,
                r#"failed to refresh access token: WeaviateUnauthenticatedError: Unauthenticated: {"error":"invalid_client","error_description":"client authentication failed"}"#,
            ),
        };
        let steps = vec![(act("connect"), outcome)];
        let cred = json!({"kind": "client_credentials", "client_secret": "wrong-secret", "scopes": ["openid"]});
        check("wrong client secret", lang, &server, false, cred, steps)
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
