//! The emulation's token verifier against Weaviate's own (issue 19): the input is a string of
//! choice bytes that `conformance::oracle::forge` turns into a token (a bad-token preset or a
//! structured mutation of a valid one); go-oidc (the Go oracle) and the emulation's
//! `OidcVerifier` must give the same verdict, status, principal and Go text. A difference
//! panics with the token and its recipe. `run.sh` builds the oracle first and skips this target
//! (outside CI) when it cannot.
#![no_main]

use std::sync::{Mutex, OnceLock};

use conformance::oracle::differential::Differential;
use libfuzzer_sys::fuzz_target;
use mock_idp::Preset;

fn differential() -> &'static Mutex<Differential> {
    static DIFF: OnceLock<Mutex<Differential>> = OnceLock::new();
    DIFF.get_or_init(|| match Differential::start() {
        Ok(d) => Mutex::new(d),
        Err(e) => panic!("the differential run cannot start: {e} (crates/fuzz/run.sh builds the oracle, or set GO_OIDC_ORACLE)"),
    })
}

fuzz_target!(
    init: {
        // Start everything and mint every preset once before libFuzzer's per-input timer runs:
        // the presets' attacker keys are made on first use.
        let mut d = differential().lock().unwrap_or_else(|p| p.into_inner());
        for preset in Preset::ALL {
            let forged = d.emulation().preset(preset).expect("the provider mints every preset");
            if let Err(e) = d.check(&forged) {
                panic!("{e}");
            }
        }
    },
    |data: &[u8]| {
        let mut d = differential().lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = d.check_choices(data) {
            panic!("{e}");
        }
    }
);
