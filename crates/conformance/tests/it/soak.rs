//! The short variants of the load and fault runs (`just soak` runs them for 60 s): the mixed plan
//! (valid, forged, malformed and oversized tokens while the JWKS fails and the key rotates) and
//! the steady plan (valid tokens while K2 is added and K1 deleted). They assert answers and JWKS
//! fetch counts, never timings; the figures go to docs/reliability.md.

use std::time::Duration;

use conformance::soak::{run, Plan, SoakOptions, SoakReport};

/// Seconds of load: `OIDC_HARNESS_SOAK_SECONDS`, else `default`.
fn seconds(default: u64) -> u64 {
    std::env::var("OIDC_HARNESS_SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn soak(plan: Plan, seconds: u64, connections: usize) -> (SoakReport, String) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let options = SoakOptions {
        duration: Duration::from_secs(seconds),
        connections,
        plan,
    };
    let report = rt.block_on(run(options)).unwrap_or_else(|e| panic!("{e}"));
    let shown = serde_json::to_string_pretty(&report).expect("the report serializes");
    eprintln!("{shown}");
    (report, shown)
}

#[test]
fn r7_r9_r14_mixed_load_with_every_jwks_fault_and_rotation_gets_no_wrong_answer() {
    // Arrange, Act: 18 s is one round of the six faults (the 30 s stall's slot is 4 s).
    let (report, shown) = soak(Plan::Mixed, seconds(18), 32);
    // Assert
    assert_eq!(report.failures(), 0, "{shown}");
    for class in ["valid", "forged", "malformed", "oversized"] {
        assert!(
            report.classes.get(class).is_some_and(|c| c.requests > 0),
            "no {class} request: {shown}"
        );
    }
    assert!(report.key_operations >= 1, "no rotation happened: {shown}");
    assert!(
        report.faults.iter().any(|f| f.starts_with("hang")) && report.faults.iter().any(|f| f.starts_with("oversized")),
        "the stall and the 10 MiB body were not armed: {shown}"
    );
    // R7: the emulation never has two JWKS fetches in flight (the latency fault makes them last).
    assert_eq!(report.jwks_peak_in_flight, 1, "{shown}");
    // R9: a refetch meeting the 30 s stall is given up by the emulation's own timeout (3 s), so no
    // rejection waits for the stall; the bound is far from both so that load cannot reach it.
    let forged = &report.classes["forged"];
    assert!(forged.max_ms < 20_000.0, "a forged request waited {} ms: {shown}", forged.max_ms);
}

#[test]
fn r6_r8_steady_load_fetches_the_jwks_only_for_k2_and_keeps_deleted_k1_cached() {
    // Arrange, Act
    let (report, shown) = soak(Plan::Steady, seconds(9), 256);
    // Assert
    assert_eq!(report.failures(), 0, "{shown}");
    let fetches: Vec<(&str, u64)> = report.jwks_fetches_by_phase.iter().map(|(p, n)| (p.as_str(), *n)).collect();
    assert_eq!(fetches.len(), 3, "{shown}");
    // R6: none after warm-up while every token's key is cached.
    assert_eq!(fetches[0], ("k1 only", 0), "{shown}");
    // R8: the first K2 token refetches (concurrent ones share that fetch; at most 3 in all).
    assert_eq!(fetches[1].0, "k2 added");
    assert!((1..=2).contains(&fetches[1].1), "{shown}");
    // A37: K1 deleted from the JWKS, its tokens stay accepted from the cache, with no fetch.
    assert_eq!(fetches[2], ("k1 deleted", 0), "{shown}");
    for class in ["k1", "k2", "k1-deleted"] {
        assert!(
            report.classes.get(class).is_some_and(|c| c.requests > 0),
            "no {class} request: {shown}"
        );
    }
}
