//! The conformance scenario parser (`Scenario::parse`: TOML, then every step's shape): any text
//! gives a scenario or a `LoadError`, never a panic.
#![no_main]

use conformance::Scenario;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(s) = Scenario::parse("s01-fuzz", text) {
            let _ = s.env_for("http://127.0.0.1:1/default");
        }
    }
});
