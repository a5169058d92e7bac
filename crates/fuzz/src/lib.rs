//! Shared fixtures of the fuzz targets: one provider state built from the built-in
//! configuration, made once per process, so each input only pays for the code under test.

use std::sync::{Arc, OnceLock};

use mock_idp::{AppState, Config, Tenant};

/// The built-in provider's state (issuer `http://127.0.0.1:8080/default`), built once.
pub fn state() -> &'static AppState {
    static STATE: OnceLock<AppState> = OnceLock::new();
    STATE.get_or_init(|| AppState::new(&Config::builtin(), "http://127.0.0.1:8080").expect("the built-in configuration makes a provider"))
}

/// The built-in `default` tenant, with its fixture keys.
pub fn tenant() -> Arc<Tenant> {
    state().tenant("default").expect("the built-in configuration has a default tenant")
}
