//! The `oidc-harness` command line as a process: ready line (P128), SIGTERM (P159), config
//! errors, `--help`. Also `RunningIdp`, the spawned `idp` that other modules drive.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The built binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_oidc-harness");

/// How long a child may take to print its ready line (a deadline, not a sleep).
const READY_DEADLINE: Duration = Duration::from_secs(30);

/// The two-worker runtime the load tests (R5, R12) drive their connections from.
pub fn load_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// One keep-alive connection's client, as each load loop uses.
pub fn keep_alive_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("an HTTP client")
}

/// A client_credentials token request of the built-in `ci-runner` client.
pub async fn client_credentials(http: &reqwest::Client, token_url: &str) -> reqwest::Result<reqwest::Response> {
    http.post(token_url)
        .basic_auth("ci-runner", Some("ci-runner-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
}

/// A spawned `oidc-harness` server process (`idp --listen 127.0.0.1:0` unless spawned with other
/// arguments, e.g. `weaviate`). Dropping it kills the child.
pub struct RunningIdp {
    child: Option<Child>,
    /// The parsed ready line.
    pub ready: Value,
}

impl RunningIdp {
    /// Spawns the provider with the built-in config and waits for its ready line on stdout.
    pub fn spawn() -> RunningIdp {
        RunningIdp::spawn_with(&["idp", "--listen", "127.0.0.1:0"], &[])
    }

    /// Spawns `oidc-harness ARGS` with `envs` added and waits for its ready line on stdout.
    pub fn spawn_with(args: &[&str], envs: &[(&str, &str)]) -> RunningIdp {
        let mut child = Command::new(BIN)
            .args(args)
            .envs(envs.iter().copied())
            .env_remove("OIDC_HARNESS_CONFIG")
            .env_remove("OIDC_HARNESS_BASE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("could not spawn {BIN}: {e}"));
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = match rx.recv_timeout(READY_DEADLINE) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("oidc-harness {args:?} printed no ready line within {READY_DEADLINE:?}");
            }
        };
        let ready: Value = serde_json::from_str(line.trim()).unwrap_or_else(|e| panic!("the ready line is not JSON ({e}): {line:?}"));
        RunningIdp { child: Some(child), ready }
    }

    /// The issuer from the ready line.
    pub fn issuer(&self) -> String {
        self.ready["issuer"].as_str().expect("the ready line has an issuer").to_owned()
    }

    /// Sends SIGTERM and waits up to `deadline`; returns the exit status and the time it took,
    /// or `None` when the child was still running at the deadline (it is then killed).
    pub fn terminate(mut self, deadline: Duration) -> Option<(ExitStatus, Duration)> {
        let mut child = self.child.take().expect("the child runs");
        let pid = child.id().to_string();
        let started = Instant::now();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().expect("the kill command runs");
        assert!(sent.success(), "kill -TERM {pid} failed");
        let (tx, rx) = mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let status = child.wait();
            let _ = tx.send(());
            (child, status)
        });
        match rx.recv_timeout(deadline) {
            Ok(()) => {
                let (_, status) = waiter.join().expect("the wait thread ends");
                Some((status.expect("wait succeeds"), started.elapsed()))
            }
            Err(_) => {
                // Still running: SIGKILL it so the test leaves nothing behind.
                let _ = Command::new("kill").args(["-KILL", &pid]).status();
                None
            }
        }
    }
}

impl Drop for RunningIdp {
    fn drop(&mut self) {
        // Kills the child if the test did not stop it, so no process outlives the test.
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[test]
fn p128_ready_line_names_the_event_the_issuer_and_its_discovery_url() {
    // Arrange + Act
    let idp = RunningIdp::spawn();
    // Assert
    assert_eq!(idp.ready["event"], "ready");
    let issuer = idp.issuer();
    let listen = idp.ready["listen"].as_str().expect("the ready line has listen");
    assert_eq!(issuer, format!("http://{listen}/default"));
    assert!(!listen.ends_with(":0"), "the ready line carries the bound port, not 0");
    assert_eq!(idp.ready["issuers"][0]["issuer"], issuer.as_str());
    assert_eq!(
        idp.ready["issuers"][0]["discovery"],
        format!("{issuer}/.well-known/openid-configuration").as_str()
    );
    // The issuer in the line is the one discovery serves (the line is not just decoration).
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let doc: Value = rt.block_on(async {
        reqwest::get(format!("{issuer}/.well-known/openid-configuration"))
            .await
            .expect("discovery answers")
            .json()
            .await
            .expect("discovery is JSON")
    });
    assert_eq!(doc["issuer"], issuer.as_str());
}

#[test]
fn p159_sigterm_stops_the_provider_with_exit_0_within_5_s() {
    // Arrange
    let idp = RunningIdp::spawn();
    // Act
    let stopped = idp.terminate(Duration::from_secs(5));
    // Assert
    let (status, took) = stopped.expect("the provider was still running 5 s after SIGTERM");
    assert!(status.success(), "exit status after SIGTERM: {status:?}");
    assert!(took < Duration::from_secs(5));
}

/// Runs `oidc-harness idp --config FILE` on a config file written from `text`.
fn run_with_config(name: &str, text: &str) -> (std::process::Output, String) {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, text).expect("writing a config file to the target tmp dir");
    let out = Command::new(BIN)
        .args(["idp", "--listen", "127.0.0.1:0", "--config"])
        .arg(&path)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    (out, path.display().to_string())
}

#[test]
fn p1_a_bad_config_file_exits_non_zero_naming_the_file_the_field_and_the_reason() {
    // Arrange: an issuer with a query string (P1).
    let bad = "[[tenant]]\nname = \"default\"\nissuer = \"http://127.0.0.1:1/default?x=1\"\n";
    // Act
    let (out, file) = run_with_config("p1-bad-issuer.toml", bad);
    // Assert
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a bad config must not start: {stderr}");
    assert!(out.stdout.is_empty(), "no ready line for a bad config");
    assert!(stderr.contains(&file), "stderr names the file: {stderr}");
    assert!(stderr.contains("tenant[0].issuer"), "stderr names the field: {stderr}");
    assert!(stderr.contains("query"), "stderr gives the reason: {stderr}");
    assert!(stderr.contains("?x=1"), "P1: the error quotes the bad value: {stderr}");
}

#[test]
fn p1_an_unknown_config_key_is_refused_by_name_and_the_fixed_file_loads() {
    // Arrange
    let (out, file) = run_with_config("unknown-key.toml", "[[tenant]]\nname = \"default\"\nbogus_key = 1\n");
    // Assert: refused, naming the file and the key.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains(&file) && stderr.contains("bogus_key"), "{stderr}");
    // The same file without the bad key gets past configuration: it fails only on what it
    // lacks (no users or clients is fine; the tenant has keys from its seed), so it starts.
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixed-key.toml");
    std::fs::write(&path, "[[tenant]]\nname = \"default\"\n").expect("writing the fixed config");
    let mut child = Command::new(BIN)
        .args(["idp", "--listen", "127.0.0.1:0", "--config"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut line)
        .expect("reading stdout");
    let _ = child.kill();
    let _ = child.wait();
    let ready: Value = serde_json::from_str(line.trim()).unwrap_or_else(|e| panic!("no ready line ({e}): {line:?}"));
    assert_eq!(ready["event"], "ready");
}

#[test]
fn help_lists_the_subcommands() {
    // Act
    let out = Command::new(BIN).arg("--help").output().expect("the binary runs");
    // Assert
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for sub in ["idp", "conformance"] {
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(sub)),
            "--help does not list {sub}:\n{help}"
        );
    }
}

#[test]
fn p26_conformance_prints_progress_on_stderr_the_report_on_stdout_and_exits_by_its_result() {
    // Act
    let out = Command::new(BIN)
        .args(["conformance", "--format", "json"])
        .env("RUST_LOG", "off")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    // Assert: stdout is exactly one JSON report.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("stdout is not one JSON report ({e}):\n{stdout}"));
    let checks = report["checks"].as_array().expect("the report lists its checks");
    assert!(checks.len() > 10, "every advertised capability gets a row: {report}");
    assert_eq!(checks[0]["check"], "discovery");
    for c in checks {
        assert!(["pass", "fail", "skip"].contains(&c["result"].as_str().unwrap_or("")), "{c}");
    }
    // The scenarios follow the self-check, one row each, on the embedded target by default.
    assert!(
        checks.iter().any(|c| c["check"]
            .as_str()
            .is_some_and(|n| n.starts_with("s01-") && n.ends_with(" @ embedded"))),
        "no scenario rows: {report}"
    );
    // One progress line per check on stderr, each naming its check.
    let stderr = String::from_utf8_lossy(&out.stderr);
    for c in checks {
        let name = c["check"].as_str().unwrap_or_default();
        assert!(stderr.lines().any(|l| l.contains(name)), "no progress line for {name}:\n{stderr}");
    }
    // The exit status follows the report: non-zero exactly when a check failed.
    let failed = report["failed"].as_u64().expect("a failed count");
    assert_eq!(failed as usize, checks.iter().filter(|c| c["result"] == "fail").count());
    assert_eq!(
        out.status.success(),
        failed == 0,
        "exit {:?} with {failed} failed checks",
        out.status
    );
}

#[test]
fn conformance_refuses_a_bad_target_or_version_by_name_before_playing_anything() {
    for (args, says) in [
        (
            vec!["--target", "embedded@v1.29.8"],
            "target \"embedded@v1.29.8\": only weaviate-binary takes a version",
        ),
        (
            vec!["--target", "weaviate-binary", "--weaviate-version", "1.30"],
            "Weaviate version \"1.30\": ",
        ),
        (
            vec!["--target", "embedded", "--weaviate-version", "v1.30.17"],
            "--weaviate-version goes with --target weaviate-binary, not embedded",
        ),
        (vec!["--compare", "embedded", "weaviate"], "unknown target \"weaviate\""),
    ] {
        // Act
        let out = Command::new(BIN)
            .arg("conformance")
            .args(&args)
            .env("RUST_LOG", "off")
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::null())
            .output()
            .expect("the binary runs");
        // Assert: a non-zero exit naming the input, and no check was played.
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(!stderr.lines().any(|l| l.starts_with("pass ")), "{args:?} played checks:\n{stderr}");
    }
}

#[test]
fn r10_weaviate_with_its_provider_unreachable_exits_1_naming_the_cause_within_10_s() {
    // Arrange: OIDC on, the issuer on a loopback port where nothing listens.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("binding a port");
    let port = closed.local_addr().expect("its address").port();
    drop(closed);
    let issuer = format!("http://127.0.0.1:{port}/default");
    // Act
    let started = Instant::now();
    let mut child = Command::new(BIN)
        .args(["weaviate", "--listen", "127.0.0.1:0"])
        .env("AUTHENTICATION_OIDC_ENABLED", "true")
        .env("AUTHENTICATION_OIDC_ISSUER", &issuer)
        .env("AUTHENTICATION_OIDC_CLIENT_ID", "weaviate")
        .env("AUTHENTICATION_OIDC_USERNAME_CLAIM", "sub")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let status = loop {
        if let Some(s) = child.try_wait().expect("waiting") {
            break s;
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("R10: still running after 10 s with its provider unreachable");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("piped"), &mut stderr).expect("reading stderr");
    // Assert: status 1, and the message is Weaviate's, naming the address that refused.
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("dial tcp 127.0.0.1:{port}: connect: connection refused")),
        "{stderr}"
    );
}

/// How `oidc-harness idp` ended up: running (its ready line came) or exited (with its stderr).
pub enum Outcome {
    Running(RunningIdp),
    Exited(ExitStatus, String),
}

/// Spawns `oidc-harness ARGS` with `envs` (and none of the provider's variables from this
/// process), and waits for its ready line or its exit. Stderr goes to a file named after `name`.
pub fn start_or_exit(name: &str, args: &[&str], envs: &[(&str, &str)]) -> Outcome {
    let log = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.stderr"));
    let stderr = std::fs::File::create(&log).expect("creating the stderr file");
    let mut cmd = Command::new(BIN);
    for var in [
        "OIDC_HARNESS_CONFIG",
        "OIDC_HARNESS_LISTEN",
        "OIDC_HARNESS_BASE_URL",
        "OIDC_HARNESS_ADMIN_TOKEN",
        "OIDC_HARNESS_ADMIN_TOKEN_FILE",
        "OIDC_HARNESS_INSECURE_OPEN_CONTROLS",
    ] {
        cmd.env_remove(var);
    }
    let mut child = cmd
        .args(args)
        .envs(envs.iter().copied())
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap_or_else(|e| panic!("could not spawn {BIN}: {e}"));
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let Ok(line) = rx.recv_timeout(READY_DEADLINE) else {
        let _ = child.kill();
        panic!("{args:?}: neither a ready line nor an exit within {READY_DEADLINE:?}");
    };
    if line.trim().is_empty() {
        // End of stdout without a line: the process is exiting.
        let status = child.wait().expect("waiting for the child");
        return Outcome::Exited(status, std::fs::read_to_string(&log).unwrap_or_default());
    }
    let ready: Value = serde_json::from_str(line.trim()).unwrap_or_else(|e| panic!("the ready line is not JSON ({e}): {line:?}"));
    Outcome::Running(RunningIdp { child: Some(child), ready })
}

/// Asserts that `idp ARGS` refused to start because its open controls would be exposed.
pub fn assert_refused(name: &str, args: &[&str], envs: &[(&str, &str)]) {
    match start_or_exit(name, args, envs) {
        Outcome::Running(idp) => panic!("{name}: {args:?} {envs:?} started: {}", idp.ready),
        Outcome::Exited(status, stderr) => {
            assert!(!status.success(), "{name}: exit status {status:?}");
            for part in [
                "refusing to start",
                "beyond loopback",
                "mint tokens",
                "--insecure-open-controls",
                "OIDC_HARNESS_ADMIN_TOKEN",
            ] {
                assert!(stderr.contains(part), "{name}: stderr lacks {part:?}:\n{stderr}");
            }
        }
    }
}

/// Asserts that `idp ARGS` started, and returns it with `http://127.0.0.1:PORT/default`.
pub fn assert_started(name: &str, args: &[&str], envs: &[(&str, &str)]) -> (RunningIdp, String) {
    match start_or_exit(name, args, envs) {
        Outcome::Exited(status, stderr) => panic!("{name}: {args:?} {envs:?} exited with {status:?}:\n{stderr}"),
        Outcome::Running(idp) => {
            let listen: std::net::SocketAddr = idp.ready["listen"].as_str().expect("listen").parse().expect("an address");
            let issuer = format!("http://127.0.0.1:{}/default", listen.port());
            (idp, issuer)
        }
    }
}

/// A config file's tenant `default` with a user and a client, so that `_mock/mint` has someone to mint for.
const MINTABLE_TENANT: &str = "[[tenant]]\nname = \"default\"\n\n[[tenant.user]]\nusername = \"u\"\npassword = \"p\"\n\n\
                               [[tenant.client]]\nclient_id = \"c\"\npublic = true\n";

/// POSTs `{}` to `{issuer}/_mock/mint` with an optional bearer token; the status.
pub fn mint_status(issuer: &str, token: Option<&str>) -> u16 {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    rt.block_on(async {
        let mut req = reqwest::Client::new()
            .post(format!("{issuer}/_mock/mint"))
            .json(&serde_json::json!({}));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("the provider answers").status().as_u16()
    })
}

#[test]
fn p125_idp_refuses_to_listen_beyond_loopback_with_open_controls_by_every_route_to_the_address() {
    // --listen, its environment variable, and the config file's server.listen.
    assert_refused("refuse-flag", &["idp", "--listen", "0.0.0.0:0"], &[]);
    assert_refused("refuse-env", &["idp"], &[("OIDC_HARNESS_LISTEN", "0.0.0.0:0")]);
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("p125-wide.toml");
    std::fs::write(&path, format!("[server]\nlisten = \"0.0.0.0:0\"\n\n{MINTABLE_TENANT}")).expect("writing a config file");
    let path = path.display().to_string();
    assert_refused("refuse-file", &["idp", "--config", &path], &[]);
    assert_refused("refuse-file-env", &["idp"], &[("OIDC_HARNESS_CONFIG", &path)]);
    // The same file with a token, or --listen on loopback, starts.
    let (_idp, issuer) = assert_started(
        "file-with-token",
        &["idp", "--config", &path],
        &[("OIDC_HARNESS_ADMIN_TOKEN", "file-admin")],
    );
    assert_eq!(mint_status(&issuer, None), 401);
    assert_eq!(mint_status(&issuer, Some("file-admin")), 200);
    let (_idp, issuer) = assert_started("file-on-loopback", &["idp", "--config", &path, "--listen", "127.0.0.1:0"], &[]);
    assert_eq!(
        mint_status(&issuer, None),
        200,
        "on loopback without a token the controls stay open"
    );
}

#[test]
fn p125_idp_beyond_loopback_starts_with_a_token_from_each_source_or_with_the_open_flag() {
    // Arrange: a token file as a Docker secret would be (first line, newline-terminated).
    let token_file = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("p125-admin-token");
    std::fs::write(&token_file, "from-a-file\n").expect("writing the token file");
    let token_file = token_file.display().to_string();
    /// A test name, the extra flags, the extra variables, and the token they configure.
    type Source<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let sources: [Source; 3] = [
        ("token-env", &[], &[("OIDC_HARNESS_ADMIN_TOKEN", "from-env")], "from-env"),
        ("token-flag", &["--admin-token", "from-flag"], &[], "from-flag"),
        ("token-file", &["--admin-token-file", &token_file], &[], "from-a-file"),
    ];
    for (name, extra, envs, token) in sources {
        let args: Vec<&str> = ["idp", "--listen", "0.0.0.0:0"]
            .iter()
            .copied()
            .chain(extra.iter().copied())
            .collect();
        // Act
        let (_idp, issuer) = assert_started(name, &args, envs);
        // Assert: guarded, and open to the token.
        assert_eq!(mint_status(&issuer, None), 401, "{name}");
        assert_eq!(mint_status(&issuer, Some("wrong")), 401, "{name}");
        assert_eq!(mint_status(&issuer, Some(token)), 200, "{name}");
    }
    // A tenant's token alone also closes the controls, so it may listen beyond loopback.
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("p125-tenant-token.toml");
    std::fs::write(
        &path,
        MINTABLE_TENANT.replace("[[tenant]]\n", "[[tenant]]\nadmin_token = \"tenant-admin\"\n"),
    )
    .expect("writing a config file");
    let (_idp, issuer) = assert_started(
        "tenant-token",
        &["idp", "--listen", "0.0.0.0:0", "--config", &path.display().to_string()],
        &[],
    );
    assert_eq!(mint_status(&issuer, None), 401);
    assert_eq!(mint_status(&issuer, Some("tenant-admin")), 200);
    // The explicit flag (or its variable) starts an open provider, with a warning.
    for (name, args, envs) in [
        (
            "open-flag",
            &["idp", "--listen", "0.0.0.0:0", "--insecure-open-controls"][..],
            &[][..],
        ),
        (
            "open-env",
            &["idp", "--listen", "0.0.0.0:0"][..],
            &[("OIDC_HARNESS_INSECURE_OPEN_CONTROLS", "true")][..],
        ),
    ] {
        let (idp, issuer) = assert_started(name, args, envs);
        assert_eq!(mint_status(&issuer, None), 200, "{name}: the controls are open");
        drop(idp);
        let log = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.stderr"));
        let stderr = std::fs::read_to_string(log).unwrap_or_default();
        assert!(
            stderr.contains("WARN") && stderr.contains("--insecure-open-controls"),
            "{name}:\n{stderr}"
        );
    }
    // An empty token file is refused by name.
    let empty = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("p125-empty-token");
    std::fs::write(&empty, "\n").expect("writing the empty token file");
    match start_or_exit(
        "token-file-empty",
        &["idp", "--admin-token-file", &empty.display().to_string()],
        &[],
    ) {
        Outcome::Running(idp) => panic!("started with an empty token file: {}", idp.ready),
        Outcome::Exited(status, stderr) => {
            assert!(!status.success());
            assert!(stderr.contains("admin token file") && stderr.contains("empty"), "{stderr}");
        }
    }
}

#[test]
fn p125_ipv6_loopback_counts_as_loopback_and_the_ipv6_wildcard_does_not() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true: this host has no IPv6 loopback"
        );
        println!("skipped: no IPv6 loopback on this host");
        return;
    }
    let (_idp, _) = assert_started("v6-loopback", &["idp", "--listen", "[::1]:0"], &[]);
    assert_refused("v6-wildcard", &["idp", "--listen", "[::]:0"], &[]);
}

#[test]
fn p125_idp_help_says_what_the_open_flag_exposes() {
    let out = Command::new(BIN).args(["idp", "--help"]).output().expect("the binary runs");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for part in [
        "--insecure-open-controls",
        "mint tokens",
        "signing",
        "keys",
        "delete an issuer",
        "users",
        "faults",
        "clock",
        "journal",
        "--admin-token",
        "--admin-token-file",
    ] {
        assert!(help.contains(part), "idp --help lacks {part:?}:\n{help}");
    }
}
