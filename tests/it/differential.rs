//! The emulation's token verifier against Weaviate's own (go-oidc v3.12.0 and go-jose v4.1.4 in
//! `crates/conformance/drivers/go-oidc-oracle`), token by token (issue 19): every bad-token
//! preset, then a property test over structured mutations (`conformance::oracle::forge`). Any
//! difference in verdict, status, principal or Go's error text fails, naming the token and how it
//! was made (`conformance::oracle::differential` says what is compared).
//!
//! Bounds: `PROPTEST_CASES` tokens (256 when unset; CI sets 10,000) and `DIFF_TIME_LIMIT_S`
//! seconds (300 when unset), whichever comes first. The choice bytes come from a seeded
//! generator; the seed is printed, random unless `DIFF_SEED` is set, so a failure replays with
//! `DIFF_SEED=<seed> PROPTEST_CASES=<n> cargo test --test it differential` (proptest then also prints the minimal
//! choice bytes). Without the oracle (no Go, no module proxy) both tests print `skipped` outside
//! CI and fail under `CI=true`, where `.ci/run` builds it.

use std::cell::RefCell;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use conformance::oracle::differential::{Differential, StartError};
use mock_idp::Preset;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, RngAlgorithm, TestRng, TestRunner};

fn start(what: &str) -> Option<Differential> {
    match Differential::start() {
        Ok(d) => Some(d),
        Err(StartError::Unavailable(u)) => {
            u.skip_or_fail(what);
            None
        }
        Err(StartError::Failed(e)) => panic!("{what}: {e}"),
    }
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[test]
fn r19_every_bad_token_preset_gets_go_oidcs_verdict() {
    let Some(mut diff) = start("r19 presets") else { return };
    let mut failures = Vec::new();
    for preset in Preset::ALL {
        let forged = diff.emulation().preset(preset).expect("the provider mints every preset");
        if let Err(e) = diff.check(&forged) {
            failures.push(e.to_string());
        }
    }
    let tally = diff.tally();
    let versions = diff.oracle_versions();
    println!("presets against go-oidc ({versions}): {tally:?}");
    // The oracle is Weaviate v1.38.11's verifier only with the versions its go.mod pins.
    for pin in ["github.com/coreos/go-oidc/v3 v3.12.0", "github.com/go-jose/go-jose/v4 v4.1.4"] {
        assert!(versions.contains(pin), "the oracle was built with {versions}, not {pin}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} presets differ:\n{}",
        failures.len(),
        Preset::ALL.len(),
        failures.join("\n")
    );
    assert_eq!(tally.tokens, Preset::ALL.len() as u64);
}

#[test]
fn r19_structured_mutations_get_go_oidcs_verdict() {
    let Some(diff) = start("r19 mutations") else { return };
    let cases = env_number("PROPTEST_CASES").unwrap_or(256) as u32;
    let limit = Duration::from_secs(env_number("DIFF_TIME_LIMIT_S").unwrap_or(300));
    let seed = env_number("DIFF_SEED").unwrap_or_else(|| {
        let t = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        t.as_secs() ^ u64::from(t.subsec_nanos()) << 20
    });
    println!("differential seed {seed} (replay: DIFF_SEED={seed} PROPTEST_CASES={cases} cargo test --test it differential)");
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = RunnerConfig {
        cases,
        failure_persistence: None,
        // Shrinking replays tokens against both verifiers; a few hundred steps are enough to
        // make the recipe short.
        max_shrink_iters: 400,
        ..RunnerConfig::default()
    };
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes));
    let diff = RefCell::new(diff);
    let began = Instant::now();
    let result = runner.run(&vec(any::<u8>(), 0..160), |choices| {
        if began.elapsed() >= limit {
            return Ok(());
        }
        diff.borrow_mut()
            .check_choices(&choices)
            .map_err(|e| TestCaseError::fail(e.to_string()))
    });
    let diff = diff.into_inner();
    let tally = diff.tally();
    println!(
        "{} tokens in {:.1} s against go-oidc ({}): {tally:?}",
        tally.tokens,
        began.elapsed().as_secs_f64(),
        diff.oracle_versions()
    );
    if let Err(e) = result {
        panic!("seed {seed}: {e}");
    }
    assert!(tally.tokens > 0, "no token was compared");
}
