//! R13: the whole conformance run (self-check and every scenario, embedded target) at
//! `RUST_LOG=trace`, then a search of everything it logged for the secrets it used and issued.
//! The run's own tokens never leave the process, so issued JWTs are searched by their shape (every
//! JWS header starts `eyJ`, base64url of `{"`); passwords, client secrets, API keys and literal
//! credentials are read from the built-in config and the scenario files.

use std::path::Path;
use std::process::Command;

use crate::cli::BIN;

/// Every value of `password`, `client_secret`, `secrets`, `value` and of the API-key variables in
/// the scenario files and the built-in config, at least 8 characters long.
fn known_secrets(root: &Path) -> Vec<String> {
    let mut files = vec![root.join("fixtures/configs/default.toml")];
    for e in std::fs::read_dir(root.join("fixtures/scenarios")).expect("the scenarios folder reads") {
        files.push(e.expect("a folder entry").path());
    }
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("a fixture reads");
        for line in text.lines() {
            let line = line.trim();
            let Some((key, value)) = line.split_once('=') else { continue };
            let key = key.trim();
            if [
                "password",
                "client_secret",
                "secrets",
                "value",
                "AUTHENTICATION_APIKEY_ALLOWED_KEYS",
            ]
            .contains(&key)
            {
                for v in value.split([',', '"', '[', ']', '\'']).map(str::trim) {
                    if v.len() >= 8 && !v.contains(' ') {
                        out.push(v.to_owned());
                    }
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn r13_a_full_conformance_run_at_trace_level_logs_no_secret_and_no_token() {
    // Arrange
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let secrets = known_secrets(root);
    assert!(
        secrets.iter().any(|s| s == "admin-pass") && secrets.iter().any(|s| s == "ci-runner-secret"),
        "{secrets:?}"
    );
    // Act
    let out = Command::new(BIN)
        .args(["conformance", "--scenarios"])
        .arg(root.join("fixtures/scenarios"))
        .env("RUST_LOG", "trace")
        .current_dir(root)
        .output()
        .unwrap_or_else(|e| panic!("could not run {BIN}: {e}"));
    let log = format!("{}{}", String::from_utf8_lossy(&out.stderr), String::from_utf8_lossy(&out.stdout));
    // Assert: the run passed and really logged at the most verbose level.
    assert!(
        out.status.success(),
        "the conformance run failed:\n{}",
        &log[log.len().saturating_sub(4000)..]
    );
    assert!(
        log.contains(" TRACE ") && log.contains(" DEBUG "),
        "no trace and debug lines were logged"
    );
    let scenario_rows = log.lines().filter(|l| l.starts_with("pass ") && l.contains(" @ embedded")).count();
    assert!(scenario_rows >= 60, "only {scenario_rows} scenarios ran");
    for s in &secrets {
        assert!(!log.contains(s.as_str()), "a secret appears in the trace log: {}…", &s[..8]);
    }
    let jwt_like = log.match_indices("eyJ").count();
    assert_eq!(jwt_like, 0, "{jwt_like} token-shaped strings (eyJ…) in the trace log");
    eprintln!("R13: {} bytes of trace log, {} secrets searched, 0 found", log.len(), secrets.len());
}
