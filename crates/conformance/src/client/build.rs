//! Builds the compiled client drivers (Go, Java) on demand into a cache, once per source version.
//!
//! The Go driver (`drivers/go`, `go.mod`/`go.sum` pin the client) is built with `go build`, the
//! Java driver (`drivers/java/pom.xml` pins the client) with `mvn package` plus the dependency
//! classpath. Each build goes to `{cache}/{lang}-{hash}`, where the hash covers every source file
//! of the driver, so a changed driver is rebuilt and an unchanged one is built once per machine.
//! A build writes into a fresh temporary folder and renames it into place, so runs in parallel
//! (the suite, the tests) never see half a build; within one process, one build per driver runs
//! at a time and the others wait for it. The cache is `OIDC_HARNESS_DRIVER_CACHE`, else
//! `driver-cache/` in the cargo target dir this binary runs from, else the temp dir.
//!
//! A toolchain or registry that is missing is an `Err` with the reason; the caller decides
//! whether that is a skip or (under CI) a failure.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::Error;

/// How long one build may take: a cold Go build compiles gRPC and protobuf; a cold Maven build
/// downloads the client and its dependencies.
const BUILD_DEADLINE: Duration = Duration::from_secs(900);

/// One build at a time per driver in this process (tests ask for a driver from many threads).
static GO_BUILD: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
static JAVA_BUILD: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A built Java driver: the driver's jar and the dependency classpath Maven resolved.
#[derive(Debug, Clone)]
pub struct JavaDriver {
    /// The `java` launcher to run it with (`JAVA_HOME/bin/java`, else `java`).
    pub java: PathBuf,
    /// The classpath: the driver's jar, then the client and its dependencies.
    pub classpath: String,
}

/// The folder of the drivers' sources (`OIDC_HARNESS_DRIVERS`, else this crate's `drivers/`).
pub fn drivers_dir() -> PathBuf {
    std::env::var_os("OIDC_HARNESS_DRIVERS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("drivers"))
}

/// The build cache (see the module docs).
fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("OIDC_HARNESS_DRIVER_CACHE") {
        return PathBuf::from(dir);
    }
    // Cargo marks its target dir with CACHEDIR.TAG; binaries and tests run from below it.
    let exe = std::env::current_exe().ok();
    let target = exe.as_deref().and_then(|e| {
        e.ancestors()
            .skip(1)
            .find(|d| d.join("CACHEDIR.TAG").is_file())
            .map(Path::to_path_buf)
    });
    target
        .unwrap_or_else(|| std::env::temp_dir().join("oidc-harness"))
        .join("driver-cache")
}

/// SHA-256 over the relative paths and contents of `files` (under `root`), in order.
fn source_hash(root: &Path, files: &[&str]) -> Result<String, Error> {
    let mut h = Sha256::new();
    for f in files {
        let bytes = std::fs::read(root.join(f)).map_err(|e| Error::io("reading", root.join(f), e))?;
        h.update(f.as_bytes());
        h.update([0]);
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    Ok(h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect())
}

/// Runs a build command with the deadline; its output is kept for the error.
async fn run_build(what: &str, mut cmd: tokio::process::Command) -> Result<(), Error> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = cmd.spawn().map_err(|e| Error::Unavailable(format!("{what}: cannot start: {e}")))?;
    let out = tokio::time::timeout(BUILD_DEADLINE, child.wait_with_output())
        .await
        .map_err(|_| Error::Process(format!("{what}: did not finish within {BUILD_DEADLINE:?}")))?
        .map_err(|e| Error::Process(format!("{what}: {e}")))?;
    if out.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(25)..].join("\n");
    Err(Error::Process(format!("{what} failed ({}):\n{tail}", out.status)))
}

/// Builds into a fresh folder with `build`, then renames it to `dest`; a folder already at
/// `dest` (another process's build of the same sources) wins.
async fn build_into<F, Fut>(dest: &Path, build: F) -> Result<(), Error>
where
    F: FnOnce(PathBuf) -> Fut,
    Fut: std::future::Future<Output = Result<(), Error>>,
{
    if dest.is_dir() {
        return Ok(());
    }
    let parent = dest
        .parent()
        .ok_or_else(|| Error::invalid("the driver cache has no parent folder"))?;
    std::fs::create_dir_all(parent).map_err(|e| Error::io("creating", parent, e))?;
    let unique = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let partial = parent.join(format!(".partial-{}-{unique}", std::process::id()));
    std::fs::create_dir_all(&partial).map_err(|e| Error::io("creating", &partial, e))?;
    let result = build(partial.clone()).await;
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&partial);
        return Err(e);
    }
    if std::fs::rename(&partial, dest).is_err() {
        // Another build of the same sources got there first; theirs is as good as ours.
        let _ = std::fs::remove_dir_all(&partial);
        if !dest.is_dir() {
            return Err(Error::Process(format!("could not move the build to {}", dest.display())));
        }
    }
    Ok(())
}

/// The Go driver's binary, built when missing. Needs `go` (1.24+, from `go.mod`) and the Go
/// module proxy for a cold build.
pub async fn go_driver() -> Result<PathBuf, Error> {
    let src = drivers_dir().join("go");
    let hash = source_hash(&src, &["go.mod", "go.sum", "main.go"])?;
    let dest = cache_dir().join(format!("go-{hash}"));
    let bin = dest.join("weaviate_go");
    let _one_build = GO_BUILD.lock().await;
    if bin.is_file() {
        return Ok(bin);
    }
    let version = tokio::process::Command::new("go").arg("version").output().await;
    match version {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            return Err(Error::Unavailable(format!(
                "Go client: `go version` failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )))
        }
        Err(e) => return Err(Error::Unavailable(format!("Go client: no Go toolchain (`go`): {e}"))),
    }
    build_into(&dest, |dir| async move {
        let mut cmd = tokio::process::Command::new("go");
        cmd.current_dir(&src)
            .args(["build", "-trimpath", "-o"])
            .arg(dir.join("weaviate_go"))
            .arg(".")
            .env("GOFLAGS", "-mod=readonly");
        run_build("Go client: go build of drivers/go", cmd).await
    })
    .await?;
    Ok(bin)
}

/// `JAVA_HOME/bin/{name}` when `JAVA_HOME` is set, else `name` from `PATH`.
fn java_tool(name: &str) -> PathBuf {
    std::env::var_os("JAVA_HOME")
        .map(|h| PathBuf::from(h).join("bin").join(name))
        .unwrap_or_else(|| PathBuf::from(name))
}

/// The feature release of a `java -version` text (`17` of `openjdk version "17.0.15"`, `8` of
/// `"1.8.0_402"`).
pub fn java_major(version_text: &str) -> Option<u32> {
    let quoted = version_text.split('"').nth(1)?;
    let mut parts = quoted.split(['.', '-', '+', '_']);
    let first: u32 = parts.next()?.parse().ok()?;
    if first == 1 {
        return parts.next()?.parse().ok();
    }
    Some(first)
}

/// The Java driver, built when missing. Needs Java 11+ and Maven (`mvn`), and Maven Central for
/// a cold build.
pub async fn java_driver() -> Result<JavaDriver, Error> {
    let src = drivers_dir().join("java");
    let hash = source_hash(&src, &["pom.xml", "src/main/java/WeaviateJava.java"])?;
    let dest = cache_dir().join(format!("java-{hash}"));
    let java = java_tool("java");
    let out = tokio::process::Command::new(&java)
        .arg("-version")
        .output()
        .await
        .map_err(|e| Error::Unavailable(format!("Java client: no Java runtime ({}): {e}", java.display())))?;
    let text = String::from_utf8_lossy(&out.stderr);
    match java_major(&text) {
        Some(v) if v >= 11 => {}
        Some(v) => {
            return Err(Error::Unavailable(format!(
                "Java client: needs Java 11 or later, {} is Java {v}",
                java.display()
            )))
        }
        None => {
            return Err(Error::Unavailable(format!(
                "Java client: cannot read the version of {}: {}",
                java.display(),
                text.trim()
            )))
        }
    }
    let classpath_file = dest.join("classpath.txt");
    let jar = dest.join("weaviate-java-driver-0.1.0.jar");
    let _one_build = JAVA_BUILD.lock().await;
    if !classpath_file.is_file() || !jar.is_file() {
        let mvn = tokio::process::Command::new("mvn").arg("--version").output().await;
        if !mvn.is_ok_and(|o| o.status.success()) {
            return Err(Error::Unavailable(
                "Java client: Maven (`mvn`) not found; it builds drivers/java".into(),
            ));
        }
        build_into(&dest, |dir| async move {
            let mut cmd = tokio::process::Command::new("mvn");
            cmd.current_dir(&src)
                .args([
                    "-q",
                    "-B",
                    "-Dstyle.color=never",
                    "package",
                    "dependency:build-classpath",
                    "-DskipTests",
                ])
                .arg(format!("-Ddriver.build.dir={}", dir.display()))
                .arg(format!("-Dmdep.outputFile={}", dir.join("classpath.txt").display()));
            run_build("Java client: mvn package of drivers/java", cmd).await
        })
        .await?;
    }
    let deps = std::fs::read_to_string(&classpath_file).map_err(|e| Error::io("reading", &classpath_file, e))?;
    let sep = if cfg!(windows) { ";" } else { ":" };
    Ok(JavaDriver {
        java,
        classpath: format!("{}{sep}{}", jar.display(), deps.trim()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_major_reads_old_and_new_version_strings() {
        assert_eq!(java_major("openjdk version \"17.0.15\" 2025-04-15"), Some(17));
        assert_eq!(java_major("java version \"1.8.0_402\""), Some(8));
        assert_eq!(java_major("openjdk version \"21\" 2023-09-19"), Some(21));
        assert_eq!(java_major("openjdk version \"25-ea\""), Some(25));
        assert_eq!(java_major("no version here"), None);
    }

    #[test]
    fn source_hash_changes_with_content_and_names_a_missing_file() {
        let dir = std::env::temp_dir().join(format!("driver-hash-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a"), "one").unwrap();
        let first = source_hash(&dir, &["a"]).unwrap();
        std::fs::write(dir.join("a"), "two").unwrap();
        assert_ne!(first, source_hash(&dir, &["a"]).unwrap());
        let missing = source_hash(&dir, &["b"]).unwrap_err();
        assert!(matches!(&missing, Error::Io { path, .. } if *path == dir.join("b")), "{missing:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
