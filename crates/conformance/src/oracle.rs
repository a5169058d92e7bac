//! The go-oidc oracle: Weaviate v1.38.11's own token verifier (go-oidc v3.12.0 and go-jose
//! v4.1.4, configured as Weaviate configures them) in a small Go program, driven line by line,
//! so that the emulation's verifier can be compared with the real thing token by token.
//!
//! The program lives in `drivers/go-oidc-oracle/` (its own `go.mod` pins the versions). [`binary`]
//! finds it: `GO_OIDC_ORACLE` (a built binary, what `.ci/run` sets), else it is built with `go
//! build` into the system's temporary directory, named after a digest of its sources so that a
//! change rebuilds it. [`Oracle`] runs one process: one token in (as base64, so any byte can
//! travel), one JSON verdict out, with a time limit per answer.
//!
//! [`forge`] makes the tokens (every bad-token preset and structured mutations) and
//! [`differential`] runs a token through the oracle and the emulation's `OidcVerifier`, both
//! pointed at the same in-process mock provider, and names any difference.

pub mod differential;
pub mod forge;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::Error;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The environment variable naming a built oracle binary.
pub const ORACLE_ENV: &str = "GO_OIDC_ORACLE";
/// How long one answer may take: a verification that refetches the JWKS from a loopback
/// provider takes milliseconds; this only bounds a hung process.
pub const ANSWER_LIMIT: Duration = Duration::from_secs(10);
/// How long the start may take (discovery from the provider).
const START_LIMIT: Duration = Duration::from_secs(30);
/// How long `go build` may take (it may download the pinned modules first).
const BUILD_LIMIT: Duration = Duration::from_secs(600);

/// The oracle's sources, relative to this crate.
fn source_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("drivers").join("go-oidc-oracle")
}

/// Why the oracle cannot run here (no Go, no module proxy, a missing binary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable(pub String);

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Unavailable {
    /// What a test does without the oracle: under `CI=true` (where `.ci/run` builds it) that is a
    /// failure, so this panics; elsewhere it prints `skipped: <reason>`.
    pub fn skip_or_fail(&self, what: &str) {
        crate::skip::missing(format!("{what}: the go-oidc oracle: {self}"));
    }
}

/// The oracle binary: `GO_OIDC_ORACLE`, else one built from `drivers/go-oidc-oracle` (cached
/// in the temporary directory under a digest of the sources).
pub fn binary() -> Result<PathBuf, Unavailable> {
    if let Some(path) = std::env::var_os(ORACLE_ENV).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(Unavailable(format!("{ORACLE_ENV}={} is not a file", path.display())))
        };
    }
    let src = source_dir();
    let mut digest = Sha256::new();
    for name in ["go.mod", "go.sum", "main.go"] {
        let bytes =
            std::fs::read(src.join(name)).map_err(|e| Unavailable(format!("cannot read the oracle's {name} in {}: {e}", src.display())))?;
        digest.update(name.as_bytes());
        digest.update(&bytes);
    }
    let hex: String = digest.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect();
    let target = std::env::temp_dir().join(format!("oidc-harness-go-oidc-oracle-{hex}"));
    if target.is_file() {
        return Ok(target);
    }
    build(&src, &target)?;
    Ok(target)
}

/// `go build -o <target>` in `src`, through a temporary name so that concurrent builds never
/// leave a half-written binary.
fn build(src: &Path, target: &Path) -> Result<(), Unavailable> {
    let partial = target.with_extension(format!("partial-{}", std::process::id()));
    let child = Command::new("go")
        .arg("build")
        .arg("-o")
        .arg(&partial)
        .arg(".")
        .current_dir(src)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Unavailable(format!("cannot run `go build` for the oracle (is Go installed?): {e}")))?;
    let (tx, rx) = mpsc::channel();
    let pid = child.id();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output = match rx.recv_timeout(BUILD_LIMIT) {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => return Err(Unavailable(format!("`go build` of the oracle failed to run: {e}"))),
        Err(_) => {
            let _ = Command::new("kill").arg(pid.to_string()).status();
            return Err(Unavailable(format!(
                "`go build` of the oracle took over {} s (no module proxy?)",
                BUILD_LIMIT.as_secs()
            )));
        }
    };
    if !output.status.success() {
        let _ = std::fs::remove_file(&partial);
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(Unavailable(format!(
            "`go build` of the oracle failed ({}): {}",
            output.status,
            stderr.trim()
        )));
    }
    std::fs::rename(&partial, target).map_err(|e| Unavailable(format!("cannot place the oracle binary: {e}")))
}

/// How the oracle's verifier is configured: Weaviate's `AUTHENTICATION_OIDC_*` variables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OracleSettings {
    /// `AUTHENTICATION_OIDC_ISSUER`.
    pub issuer: String,
    /// `AUTHENTICATION_OIDC_CLIENT_ID`.
    pub client_id: String,
    /// `AUTHENTICATION_OIDC_SKIP_CLIENT_ID_CHECK`.
    pub skip_client_id_check: bool,
    /// `AUTHENTICATION_OIDC_USERNAME_CLAIM`.
    pub username_claim: String,
    /// `AUTHENTICATION_OIDC_GROUPS_CLAIM`.
    pub groups_claim: String,
    /// `AUTHENTICATION_OIDC_JWKS_URL` (skips discovery).
    pub jwks_url: Option<String>,
}

/// What Weaviate v1.38.11 makes of one token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Verified; the principal's name and groups.
    Accepted {
        /// The username claim.
        username: String,
        /// The groups claim's strings.
        groups: Vec<String>,
    },
    /// Refused: 401 from go-oidc, 500 from Weaviate's claim handling, with Weaviate's message.
    Refused {
        /// 401 or 500.
        status: u16,
        /// The message Weaviate answers with.
        message: String,
    },
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verdict::Accepted { username, groups } => write!(f, "accepted as {username:?} (groups {groups:?})"),
            Verdict::Refused { status, message } => write!(f, "{status} {message}"),
        }
    }
}

#[derive(Deserialize)]
struct Line {
    #[serde(default)]
    ok: bool,
    #[serde(default)]
    status: u16,
    #[serde(default)]
    message: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    event: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    versions: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A running oracle process. Dropping it ends the process.
pub struct Oracle {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
    versions: String,
}

impl std::fmt::Debug for Oracle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oracle")
            .field("pid", &self.child.id())
            .field("versions", &self.versions)
            .finish()
    }
}

impl Oracle {
    /// Finds (or builds) the binary and starts it; returns once its verifier is ready.
    /// `Err(Unavailable)` when the program cannot be had; a start that fails (discovery
    /// refused, say) is also `Unavailable`, with the program's own message.
    pub fn start(settings: &OracleSettings) -> Result<Oracle, Unavailable> {
        let bin = binary()?;
        let mut cmd = Command::new(&bin);
        cmd.arg("-base64")
            .arg("-issuer")
            .arg(&settings.issuer)
            .arg("-client-id")
            .arg(&settings.client_id)
            .arg("-username-claim")
            .arg(&settings.username_claim)
            .arg("-groups-claim")
            .arg(&settings.groups_claim);
        if settings.skip_client_id_check {
            cmd.arg("-skip-client-id-check");
        }
        if let Some(url) = &settings.jwks_url {
            cmd.arg("-jwks-url").arg(url);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| Unavailable(format!("cannot start the oracle {}: {e}", bin.display())))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            return Err(Unavailable("the oracle's pipes are missing".into()));
        };
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut oracle = Oracle {
            child,
            stdin,
            lines,
            versions: String::new(),
        };
        let ready = oracle.next_line(START_LIMIT).map_err(|e| Unavailable(e.to_string()))?;
        match (ready.event.as_deref(), ready.error) {
            (Some("ready"), _) => {
                oracle.versions = ready
                    .versions
                    .map(|v| {
                        v.iter()
                            .map(|(k, v)| format!("{k} {}", v.as_str().unwrap_or("?")))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                Ok(oracle)
            }
            (_, Some(e)) => Err(Unavailable(format!("the oracle did not start: {e}"))),
            _ => Err(Unavailable("the oracle's first line was not its ready event".into())),
        }
    }

    /// The Go, go-oidc and go-jose versions the binary was built with.
    pub fn versions(&self) -> &str {
        &self.versions
    }

    fn next_line(&mut self, limit: Duration) -> Result<Line, Error> {
        let line = match self.lines.recv_timeout(limit) {
            Ok(l) => l,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(Error::Process(format!("the oracle gave no answer within {} s", limit.as_secs())))
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = self.child.try_wait().ok().flatten();
                return Err(Error::Process(format!("the oracle ended (exit {status:?})")));
            }
        };
        serde_json::from_str(&line).map_err(|e| Error::Process(format!("the oracle printed something that is not its JSON ({e}): {line}")))
    }

    /// Go's verdict on `token` (any bytes, as a Go string holds them). `Err` when the process
    /// fails to answer within [`ANSWER_LIMIT`] or answers nonsense.
    pub fn verify(&mut self, token: &[u8]) -> Result<Verdict, Error> {
        let mut line = STANDARD.encode(token);
        line.push('\n');
        self.stdin
            .write_all(line.as_bytes())
            .and_then(|()| self.stdin.flush())
            .map_err(|e| Error::Process(format!("cannot write to the oracle: {e}")))?;
        let answer = self.next_line(ANSWER_LIMIT)?;
        if let Some(e) = answer.error {
            return Err(Error::Process(format!("the oracle refused its input: {e}")));
        }
        Ok(if answer.ok {
            Verdict::Accepted {
                username: answer.username,
                groups: answer.groups,
            }
        } else {
            Verdict::Refused {
                status: answer.status,
                message: answer.message,
            }
        })
    }
}

impl Drop for Oracle {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
