//! The short variant of the load and fault run (`just soak` is the 60 s one): mixed valid,
//! forged, malformed and oversized tokens against the embedded emulation while the JWKS fails
//! and the key rotates. Asserts answers, never timings; figures go to docs/reliability.md.

use std::time::Duration;

use conformance::soak::{run, SoakOptions};

/// Seconds of load: `OIDC_HARNESS_SOAK_SECONDS`, else 10.
fn seconds() -> u64 {
    std::env::var("OIDC_HARNESS_SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10)
}

#[test]
fn r7_r8_r9_r14_mixed_load_with_jwks_outages_and_rotation_gets_no_wrong_answer() {
    // Arrange
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let options = SoakOptions {
        duration: Duration::from_secs(seconds()),
        connections: 32,
    };
    // Act
    let report = rt.block_on(run(options)).unwrap_or_else(|e| panic!("{e}"));
    // Assert
    let shown = serde_json::to_string_pretty(&report).expect("the report serializes");
    eprintln!("{shown}");
    assert_eq!(report.failures(), 0, "{shown}");
    for class in ["valid", "forged", "malformed", "oversized"] {
        assert!(
            report.classes.get(class).is_some_and(|c| c.requests > 0),
            "no {class} request: {shown}"
        );
    }
    assert!(
        report.rotations >= 1 && report.outages >= 1,
        "no rotation or outage happened: {shown}"
    );
}
