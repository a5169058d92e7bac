//! The provider configuration parser (`Config::from_toml`, with its `validate` step): any
//! text gives a `Config` or a `ConfigError`, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use mock_idp::Config;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Config::from_toml(text, Path::new("fuzz.toml"));
    }
});
