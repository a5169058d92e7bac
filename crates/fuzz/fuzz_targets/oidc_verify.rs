//! The emulation's token verifier reached directly (no HTTP, no oracle; issue 19): the input,
//! as choice bytes, becomes a forged token (`conformance::oracle::forge`), and as itself a raw
//! token. Neither may panic; a token known to carry no valid signature of a published key (an
//! attacker's key, another algorithm than the header's, a flipped bit, no signature, a preset
//! go-oidc refuses) and the raw bytes must never verify.
#![no_main]

use std::sync::OnceLock;

use conformance::oracle::differential::Emulation;
use conformance::oracle::Verdict;
use libfuzzer_sys::fuzz_target;
use mock_idp::Preset;

fn emulation() -> &'static Emulation {
    static EMU: OnceLock<Emulation> = OnceLock::new();
    EMU.get_or_init(|| Emulation::start().unwrap_or_else(|e| panic!("the emulation cannot start: {e}")))
}

fuzz_target!(
    init: {
        // Make the presets' attacker keys before libFuzzer's per-input timer runs.
        for preset in Preset::ALL {
            emulation().preset(preset).expect("the provider mints every preset");
        }
    },
    |data: &[u8]| {
        let emu = emulation();
        let forged = emu.forge(data);
        let verdict = emu.verdict(&forged.token);
        if forged.must_fail {
            assert!(
                !matches!(verdict, Verdict::Accepted { .. }),
                "a token without a valid signature verified: {} ({:?})",
                forged.recipe,
                String::from_utf8_lossy(&forged.token)
            );
        }
        assert!(
            !matches!(emu.verdict(data), Verdict::Accepted { .. }),
            "the raw input verified as a token"
        );
    }
);
