//! A non-Rust relying party: Python's authlib (crates/conformance/drivers/authlib_rp.py) against
//! the spawned `oidc-harness idp`, for the password and client credentials grants.
//!
//! When python3 or authlib is missing the test prints `skipped: <reason>` and returns; under
//! `CI=true` a missing driver is a failure instead, because CI installs it (.ci/run;
//! `conformance::skip::missing`).

use std::process::Command;

use serde_json::Value;

use crate::cli::RunningIdp;

const DRIVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/crates/conformance/drivers/authlib_rp.py");

/// `Some(reason)` when the Python side cannot run here.
fn missing_python_driver() -> Option<String> {
    match Command::new("python3").args(["-c", "import authlib, requests"]).output() {
        Err(e) => Some(format!("python3 is not runnable ({e})")),
        Ok(out) if !out.status.success() => Some(format!(
            "authlib or requests is not installed for python3 (pip install authlib): {}",
            String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")
        )),
        Ok(_) => None,
    }
}

#[test]
fn p57_p61_authlib_gets_and_verifies_password_and_client_credentials_tokens() {
    if let Some(reason) = missing_python_driver() {
        return conformance::skip::missing(&reason);
    }
    // Arrange
    let idp = RunningIdp::spawn();
    // Act
    let out = Command::new("python3")
        .arg(DRIVER)
        .arg(idp.issuer())
        .output()
        .expect("python3 runs the driver");
    // Assert
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the authlib driver failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let checks: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("driver line is not JSON ({e}): {l}")))
        .collect();
    let check = |name: &str| -> &Value {
        checks
            .iter()
            .find(|c| c["check"] == name)
            .unwrap_or_else(|| panic!("the driver did not report {name}:\n{stdout}"))
    };
    for c in &checks {
        assert_eq!(c["ok"], true, "authlib check failed: {c}");
    }
    assert_eq!(check("discovery")["issuer"], idp.issuer().as_str());
    let pw = check("password");
    assert_eq!(pw["preferred_username"], "admin");
    assert_eq!(pw["alg"], "RS256");
    assert_eq!(pw["token_type"], "Bearer");
    assert_eq!(check("password_wrong")["error"], "invalid_grant");
    assert_eq!(check("tampered_signature")["ok"], true);
    let cc = check("client_credentials");
    assert_eq!(cc["sub"], "ci-runner");
    assert_eq!(cc["has_refresh_token"], false);
    assert!(cc["aud"].as_array().is_some_and(|a| a.iter().any(|x| x == "weaviate")));
}
