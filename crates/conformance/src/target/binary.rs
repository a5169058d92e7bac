//! The weaviate-binary target: a real `weaviate-server` child process (one per batch of
//! scenarios, [`crate::schedule`]).

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::StartError;
use crate::Error;

/// How long a server may take to answer ready (5-10 s on 2 cores, observed).
const READY_DEADLINE: Duration = Duration::from_secs(90);

/// `weaviate-server` from WEAVIATE_BIN, else PATH, else `$HOME/go/bin`.
pub fn find_weaviate_binary() -> Result<PathBuf, Error> {
    if let Some(p) = std::env::var_os("WEAVIATE_BIN") {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(Error::Unavailable(format!("WEAVIATE_BIN={} is not a file", p.display())))
        };
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let p = dir.join("weaviate-server");
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    if let Some(home) = std::env::var_os("HOME") {
        let p = Path::new(&home).join("go/bin/weaviate-server");
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(Error::Unavailable(
        "weaviate-server not found (set WEAVIATE_BIN, or put it on PATH or in $HOME/go/bin)".into(),
    ))
}

/// A running `weaviate-server`; killed (and its data folder removed) when dropped.
#[derive(Debug)]
pub struct WeaviateProcess {
    child: Child,
    rest_port: u16,
    grpc_port: u16,
    dir: PathBuf,
}

impl WeaviateProcess {
    /// `http://127.0.0.1:PORT`.
    pub fn rest_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.rest_port)
    }

    /// `127.0.0.1:PORT` of the gRPC port.
    pub fn grpc_addr(&self) -> String {
        format!("127.0.0.1:{}", self.grpc_port)
    }
}

impl Drop for WeaviateProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Ports for an external process: the OS picks them (port 0); `pair` wants `p` and `p + 1` free.
/// The external server binds them after we release them, which is the best a child process allows.
fn free_ports(pairs: usize, singles: usize) -> std::io::Result<(Vec<u16>, Vec<u16>)> {
    let mut held = Vec::new();
    let mut pair_ports = Vec::new();
    while pair_ports.len() < pairs {
        let a = TcpListener::bind("127.0.0.1:0")?;
        let p = a.local_addr()?.port();
        if p == u16::MAX {
            continue;
        }
        if let Ok(b) = TcpListener::bind(("127.0.0.1", p + 1)) {
            held.push(a);
            held.push(b);
            pair_ports.push(p);
        }
    }
    let mut single = Vec::new();
    for _ in 0..singles {
        let a = TcpListener::bind("127.0.0.1:0")?;
        single.push(a.local_addr()?.port());
        held.push(a);
    }
    Ok((pair_ports, single))
}

/// What Weaviate logs when it refuses to start: the first `error` or `fatal` line's `msg`, followed
/// by its `error` field when it has one. Releases before v1.38.8 log the cause in that field
/// (`"msg":"apikey client could not start up","error":"invalid apikey config: ..."`); later
/// ones format it into `msg` (`"msg":"apikey client could not start up: invalid apikey config:
/// ..."`), so both read the same here.
pub(super) fn refusal(log: &str) -> Option<String> {
    log.lines().find_map(|l| {
        let v: serde_json::Value = serde_json::from_str(l).ok()?;
        let level = v.get("level")?.as_str()?;
        if level != "error" && level != "fatal" {
            return None;
        }
        let msg = v.get("msg")?.as_str()?;
        match v.get("error").and_then(serde_json::Value::as_str) {
            Some(cause) if !msg.ends_with(cause) => Some(format!("{msg}: {cause}")),
            _ => Some(msg.to_owned()),
        }
    })
}

/// The ports a single-node `weaviate-server` listens on; `gossip + 1` and `raft + 1` are taken too.
#[derive(Debug, Clone, Copy)]
pub struct ServerPorts {
    /// REST port.
    pub rest: u16,
    /// gRPC port.
    pub grpc: u16,
    /// Cluster gossip port (the data port is the next one).
    pub gossip: u16,
    /// Raft port (the internal RPC port is the next one).
    pub raft: u16,
}

/// A `weaviate-server` command for one loopback node, with the appendix environment of
/// weaviate-auth.md and nothing else from this process but `PATH`; callers add the scenario's
/// variables and the stdio they want.
pub fn server_command(bin: &std::path::Path, data_dir: &std::path::Path, p: ServerPorts) -> Command {
    let mut cmd = Command::new(bin);
    cmd.args(["--scheme", "http", "--host", "127.0.0.1", "--port", &p.rest.to_string()])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("PERSISTENCE_DATA_PATH", data_dir)
        .env("DEFAULT_VECTORIZER_MODULE", "none")
        .env("CLUSTER_HOSTNAME", "node1")
        .env("CLUSTER_IN_LOCALHOST", "true")
        .env("CLUSTER_BIND_ADDR", "127.0.0.1")
        .env("CLUSTER_ADVERTISE_ADDR", "127.0.0.1")
        .env("CLUSTER_GOSSIP_BIND_PORT", p.gossip.to_string())
        .env("CLUSTER_DATA_BIND_PORT", (p.gossip + 1).to_string())
        .env("RAFT_PORT", p.raft.to_string())
        .env("RAFT_INTERNAL_RPC_PORT", (p.raft + 1).to_string())
        .env("RAFT_BOOTSTRAP_EXPECT", "1")
        .env("GRPC_PORT", p.grpc.to_string())
        .env("DISABLE_TELEMETRY", "true")
        .env("GO_PROFILING_DISABLE", "true")
        .env("API_BASED_MODULES_DISABLED", "true")
        .env("TZ", "UTC");
    cmd
}

/// Starts `bin` with the appendix environment and `env`, and waits until it answers ready.
///
/// The ports are the OS's free ones at the moment they are picked; another process may take one
/// before the server binds it, and the server then exits, with `bind: address already in use` in
/// its error line or without an error line (its listener failed before its logger was up). Such a
/// start is tried again with new ports, twice at most; no scenario expects either.
pub(super) async fn start(bin: &Path, env: &BTreeMap<String, String>) -> Result<WeaviateProcess, StartError> {
    let mut attempt = 1;
    loop {
        match start_once(bin, env).await {
            Err(Exited(_)) if attempt < 3 => attempt += 1,
            Err(Exited(why)) => return Err(StartError::Unavailable(format!("{why} ({attempt} attempts)"))),
            Ok(started) => return started,
        }
    }
}

/// A server that exited without saying why (see [`start`]).
struct Exited(String);

async fn start_once(bin: &Path, env: &BTreeMap<String, String>) -> Result<Result<WeaviateProcess, StartError>, Exited> {
    let started = start_attempt(bin, env).await;
    match started {
        Err(StartError::Unavailable(why)) if why.starts_with(EXITED) => Err(Exited(why)),
        Err(StartError::Refused(why)) if why.contains(PORT_TAKEN) => Err(Exited(why)),
        other => Ok(other),
    }
}

/// How an attempt whose server exited without an error line begins its reason.
const EXITED: &str = "weaviate-server exited";

/// What Go says when a port was taken between our pick and the server's bind.
const PORT_TAKEN: &str = "bind: address already in use";

async fn start_attempt(bin: &Path, env: &BTreeMap<String, String>) -> Result<WeaviateProcess, StartError> {
    let unavailable = |what: &str, e: std::io::Error| StartError::Unavailable(format!("{what}: {e}"));
    let (pairs, singles) = free_ports(2, 2).map_err(|e| unavailable("picking ports", e))?;
    let (gossip, raft, rest, grpc) = (pairs[0], pairs[1], singles[0], singles[1]);
    let dir = std::env::temp_dir().join(format!("oidc-harness-weaviate-{}-{rest}", std::process::id()));
    std::fs::create_dir_all(dir.join("data")).map_err(|e| unavailable("data folder", e))?;
    let log_path = dir.join("log");
    let log = std::fs::File::create(&log_path).map_err(|e| unavailable("log file", e))?;
    let log2 = log.try_clone().map_err(|e| unavailable("log file", e))?;
    let mut cmd = server_command(bin, &dir.join("data"), ServerPorts { rest, grpc, gossip, raft });
    cmd.envs(env).stdin(Stdio::null()).stdout(log).stderr(log2);
    let child = cmd.spawn().map_err(|e| unavailable(&format!("spawning {}", bin.display()), e))?;
    let mut proc = WeaviateProcess {
        child,
        rest_port: rest,
        grpc_port: grpc,
        dir,
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .map_err(|e| StartError::Unavailable(format!("http client: {e}")))?;
    let ready = format!("{}/v1/.well-known/ready", proc.rest_url());
    let deadline = Instant::now() + READY_DEADLINE;
    loop {
        if let Ok(Some(status)) = proc.child.try_wait() {
            let text = std::fs::read_to_string(&log_path).unwrap_or_default();
            return Err(match refusal(&text) {
                Some(m) => StartError::Refused(m),
                None => StartError::Unavailable(format!(
                    "{EXITED} ({status}) without an error line; its last line: {}",
                    text.lines().last().unwrap_or("(none)")
                )),
            });
        }
        if let Ok(r) = http.get(&ready).send().await {
            if r.status().as_u16() == 200 {
                return Ok(proc);
            }
        }
        if Instant::now() > deadline {
            return Err(StartError::Unavailable(format!(
                "weaviate-server not ready within {} s",
                READY_DEADLINE.as_secs()
            )));
        }
        // Polling the ready endpoint with a deadline is how a child Weaviate announces itself.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in server that counts its starts in `$COUNT_FILE`, logs `line` and exits 1.
    fn failing_server(dir: &Path, line: &str) -> PathBuf {
        let bin = dir.join("weaviate-server");
        std::fs::write(&bin, format!("#!/bin/sh\necho x >> \"$COUNT_FILE\"\necho '{line}'\nexit 1\n")).expect("writes the stand-in");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        bin
    }

    #[tokio::test]
    async fn a_port_taken_before_the_server_binds_it_is_retried_and_a_refusal_is_not() {
        // Arrange
        let dir = std::env::temp_dir().join(format!("oidc-harness-binary-{}-{}", std::process::id(), rand::random::<u32>()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let count = dir.join("count");
        let env: BTreeMap<String, String> = [("COUNT_FILE".to_owned(), count.display().to_string())].into();
        let taken = failing_server(
            &dir,
            r#"{"level":"fatal","msg":"memberlist not created: listen tcp 127.0.0.1:41497: bind: address already in use"}"#,
        );
        // Act
        let clash = start(&taken, &env).await.map(|_| ());
        let clash_starts = std::fs::read_to_string(&count).unwrap_or_default().lines().count();
        std::fs::remove_file(&count).expect("resets the count");
        let refusing = failing_server(&dir, r#"{"level":"fatal","msg":"apikey client could not start up","error":"no"}"#);
        let refused = start(&refusing, &env).await.map(|_| ());
        let refused_starts = std::fs::read_to_string(&count).unwrap_or_default().lines().count();
        // Assert
        assert!(
            matches!(&clash, Err(StartError::Unavailable(m)) if m.ends_with("(3 attempts)")),
            "{clash:?}"
        );
        assert_eq!(clash_starts, 3);
        assert_eq!(refused, Err(StartError::Refused("apikey client could not start up: no".into())));
        assert_eq!(refused_starts, 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_refusal_is_the_first_error_or_fatal_line() {
        let log = "{\"level\":\"info\",\"msg\":\"x\"}\nnot json\n{\"action\":\"startup\",\"level\":\"error\",\"msg\":\"could not load config: y\"}\n";
        assert_eq!(refusal(log).as_deref(), Some("could not load config: y"));
        assert_eq!(refusal("{\"level\":\"info\",\"msg\":\"x\"}"), None);
        let before_1_38_8 = "{\"action\":\"api_keys_init\",\"error\":\"invalid apikey config: keys cannot have length 0\",\"level\":\"fatal\",\"msg\":\"apikey client could not start up\"}";
        assert_eq!(
            refusal(before_1_38_8).as_deref(),
            Some("apikey client could not start up: invalid apikey config: keys cannot have length 0")
        );
    }
}
