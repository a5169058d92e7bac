//! Weaviate releases for the weaviate-binary target: `weaviate-binary@vX.Y.Z` (or
//! `--weaviate-version`) runs the `weaviate-server` of that release, built once with
//! `go install github.com/weaviate/weaviate/cmd/weaviate-server@vX.Y.Z` into a cache folder
//! named after the version and reused after.
//!
//! The cache is `$OIDC_HARNESS_WEAVIATE_CACHE`, else `$XDG_CACHE_HOME/oidc-harness/weaviate`,
//! else `$HOME/.cache/oidc-harness/weaviate`; the release lives in `<cache>/vX.Y.Z/`. A build
//! goes to a temporary folder inside the cache that is renamed to `vX.Y.Z` only when `go`
//! succeeded, so a failed or interrupted build leaves no entry that looks finished (its
//! temporary folder, named `.building-…`, is removed on failure). The pinned version
//! ([`PINNED`]) is first looked up where the plain `weaviate-binary` target finds it
//! (WEAVIATE_BIN, PATH, `$HOME/go/bin`).
//!
//! Go decides which toolchain builds a release: a `go.mod` that needs a newer Go than the
//! installed one fails with Go's message unless `GOTOOLCHAIN` names one (the environment is
//! passed through).

use crate::Error;
use std::fmt;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

/// The Weaviate version this project follows: the emulation's, the snapshots', the image tag's.
pub const PINNED: &str = weaviate_auth_emu::WEAVIATE_VERSION;

/// Weaviate's module and the command that `go install` builds.
const PACKAGE: &str = "github.com/weaviate/weaviate/cmd/weaviate-server";

/// A Weaviate release, `v1.38.11`: an exact semantic version (`v` optional on input).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WeaviateVersion(semver::Version);

impl WeaviateVersion {
    /// The pinned version ([`PINNED`]).
    pub fn pinned() -> WeaviateVersion {
        PINNED.parse().unwrap_or_else(|_| WeaviateVersion(semver::Version::new(0, 0, 0)))
    }

    /// The version as semver, for requirements such as `>=1.30`.
    pub fn semver(&self) -> &semver::Version {
        &self.0
    }

    /// True for [`PINNED`].
    pub fn is_pinned(&self) -> bool {
        *self == WeaviateVersion::pinned()
    }
}

impl fmt::Display for WeaviateVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.0)
    }
}

impl FromStr for WeaviateVersion {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let bare = s.strip_prefix('v').unwrap_or(s);
        semver::Version::parse(bare)
            .map(WeaviateVersion)
            .map_err(|e| Error::Invalid(format!("Weaviate version {s:?}: {e}; name an exact release such as v{PINNED}")))
    }
}

/// Why a release could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallError {
    /// `go` is not installed (or not runnable).
    NoGo(String),
    /// `go install` failed; what Go printed (the module registry's answer for an unknown version).
    Build {
        /// The version asked for.
        version: String,
        /// Go's exit status.
        status: String,
        /// Go's last lines on stderr.
        output: String,
    },
    /// The cache folder could not be written.
    Cache(String),
}

impl fmt::Display for InstallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstallError::NoGo(why) => write!(f, "building a weaviate-server needs Go: {why}"),
            InstallError::Build { version, status, output } => {
                write!(f, "go install {PACKAGE}@{version} failed ({status}):\n{output}")
            }
            InstallError::Cache(why) => write!(f, "weaviate-server cache: {why}"),
        }
    }
}

impl std::error::Error for InstallError {}

impl From<InstallError> for Error {
    fn from(e: InstallError) -> Error {
        match e {
            InstallError::NoGo(_) => Error::Unavailable(e.to_string()),
            InstallError::Build { .. } | InstallError::Cache(_) => Error::Process(e.to_string()),
        }
    }
}

/// Where releases are built and found: the cache folder and the `go` program.
#[derive(Debug, Clone)]
pub struct Installer {
    /// The cache folder (one `vX.Y.Z/weaviate-server` per release).
    pub cache: PathBuf,
    /// The `go` program.
    pub go: PathBuf,
}

impl Installer {
    /// The cache from `OIDC_HARNESS_WEAVIATE_CACHE`, else the user's cache folder; `go` from PATH.
    pub fn from_env() -> Result<Installer, InstallError> {
        let cache = match std::env::var_os("OIDC_HARNESS_WEAVIATE_CACHE") {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => match (std::env::var_os("XDG_CACHE_HOME"), std::env::var_os("HOME")) {
                (Some(x), _) if !x.is_empty() => Path::new(&x).join("oidc-harness/weaviate"),
                (_, Some(home)) => Path::new(&home).join(".cache/oidc-harness/weaviate"),
                _ => {
                    return Err(InstallError::Cache(
                        "no cache folder: set OIDC_HARNESS_WEAVIATE_CACHE (or HOME)".into(),
                    ))
                }
            },
        };
        Ok(Installer { cache, go: "go".into() })
    }

    /// `<cache>/vX.Y.Z/weaviate-server`, whether it exists or not.
    pub fn entry(&self, v: &WeaviateVersion) -> PathBuf {
        self.cache.join(v.to_string()).join("weaviate-server")
    }

    /// The release's binary when it is there: for the pinned version, first where the plain
    /// target looks ([`super::find_weaviate_binary`]), then the cache.
    pub fn find(&self, v: &WeaviateVersion) -> Option<PathBuf> {
        if v.is_pinned() {
            if let Ok(p) = super::find_weaviate_binary() {
                return Some(p);
            }
        }
        Some(self.entry(v)).filter(|p| p.is_file())
    }

    /// The release's binary, built first when absent. `progress` gets one line per thing Go
    /// reports and one every 30 s while it compiles (a build takes 3-10 minutes of 2 cores).
    pub fn ensure(&self, v: &WeaviateVersion, mut progress: impl FnMut(&str)) -> Result<PathBuf, InstallError> {
        if let Some(p) = self.find(v) {
            return Ok(p);
        }
        std::fs::create_dir_all(&self.cache).map_err(|e| InstallError::Cache(format!("{}: {e}", self.cache.display())))?;
        let tmp = self
            .cache
            .join(format!(".building-{v}-{}-{}", std::process::id(), rand::random::<u32>()));
        std::fs::create_dir(&tmp).map_err(|e| InstallError::Cache(format!("{}: {e}", tmp.display())))?;
        // Whatever happens below, the temporary folder does not outlive this call.
        let guard = RemoveOnDrop(tmp.clone());
        progress(&format!("building weaviate-server {v} with go install (3-10 minutes of 2 cores)"));
        let started = Instant::now();
        self.go_install(v, &tmp, &mut progress)?;
        if !tmp.join("weaviate-server").is_file() {
            return Err(InstallError::Cache(format!(
                "go install {v} succeeded but wrote no weaviate-server"
            )));
        }
        let dest = self.cache.join(v.to_string());
        match std::fs::rename(&tmp, &dest) {
            Ok(()) => {}
            // Another process finished the same release first: keep its entry.
            Err(_) if self.entry(v).is_file() => {}
            Err(e) => return Err(InstallError::Cache(format!("{} -> {}: {e}", tmp.display(), dest.display()))),
        }
        drop(guard);
        progress(&format!("built weaviate-server {v} in {} s", started.elapsed().as_secs()));
        Ok(self.entry(v))
    }

    fn go_install(&self, v: &WeaviateVersion, gobin: &Path, progress: &mut impl FnMut(&str)) -> Result<(), InstallError> {
        let mut child = Command::new(&self.go)
            .arg("install")
            .arg(format!("{PACKAGE}@{v}"))
            .env("GOBIN", gobin)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| InstallError::NoGo(format!("{}: {e}", self.go.display())))?;
        let stderr = child.stderr.take().ok_or_else(|| InstallError::NoGo("no stderr pipe".into()))?;
        // Go prints while it downloads and says nothing while it compiles: a reader thread
        // forwards its lines, and this thread adds a line every 30 s until Go exits.
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let started = Instant::now();
        let mut tail: Vec<String> = Vec::new();
        loop {
            match rx.recv_timeout(Duration::from_secs(30)) {
                Ok(line) => {
                    progress(&line);
                    tail.push(line);
                    if tail.len() > 40 {
                        tail.remove(0);
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    progress(&format!("still building weaviate-server {v}: {} s", started.elapsed().as_secs()));
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        let _ = reader.join();
        let status = child.wait().map_err(|e| InstallError::NoGo(format!("waiting for go: {e}")))?;
        if status.success() {
            Ok(())
        } else {
            Err(InstallError::Build {
                version: v.to_string(),
                status: status.to_string(),
                output: tail.join("\n"),
            })
        }
    }
}

/// Removes a folder (and what is in it) when dropped.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if self.0.exists() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_exact_releases_with_or_without_v_and_bad_ones_are_named() {
        assert_eq!("1.29.8".parse::<WeaviateVersion>().expect("exact").to_string(), "v1.29.8");
        assert_eq!("v1.29.8".parse::<WeaviateVersion>().expect("exact").to_string(), "v1.29.8");
        let e = "v1.30.x".parse::<WeaviateVersion>().expect_err("not exact").to_string();
        assert!(
            e.starts_with("Weaviate version \"v1.30.x\": ") && e.contains("exact release"),
            "{e}"
        );
        assert!(WeaviateVersion::pinned().is_pinned());
        assert_eq!(WeaviateVersion::pinned().to_string(), format!("v{PINNED}"));
    }

    /// A stand-in for `go` that writes half a binary into GOBIN and fails, as a build that
    /// breaks during linking would.
    fn failing_go(dir: &Path) -> PathBuf {
        let go = dir.join("go");
        std::fs::write(
            &go,
            "#!/bin/sh\nprintf 'partial' > \"$GOBIN/weaviate-server\"\necho 'go: downloading github.com/weaviate/weaviate' >&2\necho 'link: something broke' >&2\nexit 1\n",
        )
        .expect("writes the stand-in");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&go, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        go
    }

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "oidc-harness-install-{name}-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    }

    #[test]
    fn a_failed_build_leaves_no_cache_entry_and_no_temporary_folder_and_reports_what_go_said() {
        // Arrange
        let root = temp_dir("fail");
        let installer = Installer {
            cache: root.join("cache"),
            go: failing_go(&root),
        };
        let v: WeaviateVersion = "1.2.3".parse().expect("a version");
        let mut lines = Vec::new();
        // Act
        let err = installer.ensure(&v, |l| lines.push(l.to_owned())).expect_err("the stand-in fails");
        // Assert
        match &err {
            InstallError::Build { version, output, .. } => {
                assert_eq!(version, "v1.2.3");
                assert!(output.ends_with("link: something broke"), "{output}");
            }
            other => panic!("expected a build error, got {other:?}"),
        }
        assert!(
            lines.iter().any(|l| l.contains("go: downloading")),
            "progress shows go's lines: {lines:?}"
        );
        let left: Vec<_> = std::fs::read_dir(&installer.cache).expect("cache exists").collect();
        assert!(left.is_empty(), "nothing may stay in the cache: {left:?}");
        assert!(installer.find(&v).is_none());
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn a_finished_entry_is_reused_without_running_go() {
        let root = temp_dir("reuse");
        let installer = Installer {
            cache: root.join("cache"),
            go: root.join("no-such-go"),
        };
        let v: WeaviateVersion = "1.2.4".parse().expect("a version");
        std::fs::create_dir_all(installer.entry(&v).parent().expect("a parent")).expect("mkdir");
        std::fs::write(installer.entry(&v), "bin").expect("writes");
        assert_eq!(installer.ensure(&v, |_| {}), Ok(installer.entry(&v)));
        let missing: WeaviateVersion = "1.2.5".parse().expect("a version");
        assert!(matches!(installer.ensure(&missing, |_| {}), Err(InstallError::NoGo(_))));
        let _ = std::fs::remove_dir_all(&root);
    }
}
